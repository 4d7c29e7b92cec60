package org.capbus.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * {@code capbus --upgrade=PID}: sends SIGUSR2 to the bus with that pid and waits for the outcome it writes
 * ({@link UpgradeOutcome}), printing it. Exit status 0 if the bus was upgraded, 1 otherwise.
 */
final class UpgradeCommand {
    private static final long WAIT_SECONDS = 120;

    private UpgradeCommand() {
    }

    static int run(String pidText) {
        long pid;
        try {
            pid = Long.parseLong(pidText);
        } catch (NumberFormatException e) {
            System.err.println("capbus: --upgrade needs a process id, got '" + pidText + "'");
            return 1;
        }
        if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) == Boolean.FALSE) {
            System.err.println("capbus: no process " + pid);
            return 1;
        }
        try {
            Path outcome = UpgradeOutcome.file(pid);
            Files.deleteIfExists(outcome);
            Process kill = new ProcessBuilder("kill", "-USR2", Long.toString(pid)).inheritIO().start();
            if (kill.waitFor() != 0) {
                System.err.println("capbus: cannot signal process " + pid);
                return 1;
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            while (System.nanoTime() < deadline) {
                if (Files.exists(outcome)) {
                    String line = Files.readString(outcome, StandardCharsets.UTF_8).strip();
                    Files.deleteIfExists(outcome);
                    System.out.println(line);
                    return line.startsWith("upgraded") ? 0 : 1;
                }
                if (ProcessHandle.of(pid).isEmpty()) {
                    Thread.sleep(100);
                    if (!Files.exists(outcome)) {
                        System.out.println("failed: process " + pid + " exited without saying why");
                        return 1;
                    }
                    continue;
                }
                Thread.sleep(50);
            }
            System.out.println("failed: no outcome within " + WAIT_SECONDS + " s");
            return 1;
        } catch (IOException e) {
            System.err.println("capbus: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }
}
