package org.capbus.deploy;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --fork}: a JVM cannot fork, so the daemon starts itself again as a detached child in the foreground
 * mode ({@code --nofork}, in a new session through {@code setsid} where there is one), reads the child's address
 * and pid from a pipe, prints them where {@code --print-address} and {@code --print-pid} asked, and exits. As with
 * dbus-daemon, the caller's descriptors are not inherited by the daemon, so a pipe the caller reads reaches end of
 * file once the parent has printed (python-dbusmock relies on that).
 */
final class Forker {
    private static final Logger log = LoggerFactory.getLogger(Forker.class);
    /** Set in the child's environment. */
    static final String CHILD_MARKER = "CAPBUS_FORKED_CHILD";
    private static final long START_TIMEOUT_SECONDS = 60;

    private Forker() {
    }

    static int forkDaemon(String[] args, DaemonOptions options) {
        List<String> command = new ArrayList<>();
        if (new File("/usr/bin/setsid").canExecute()) {
            command.add("/usr/bin/setsid");
        }
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Main.class.getName());
        command.addAll(Main.withoutPrintAndFork(args));
        command.add("--nofork");
        command.add("--print-address=1");
        command.add("--print-pid=1");
        Path startLog;
        try {
            startLog = Files.createTempFile("capbus-start-", ".log");
        } catch (IOException e) {
            log.error("cannot create a start log: {}", e.getMessage());
            return 1;
        }
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectError(ProcessBuilder.Redirect.appendTo(startLog.toFile()));
        pb.environment().put(CHILD_MARKER, "1");
        try {
            Process child = pb.start();
            String address;
            String pid;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                address = in.readLine();
                pid = in.readLine();
            }
            if (address == null || pid == null) {
                child.waitFor(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                // The daemon's own account of why it did not start, as it wrote it.
                System.err.print(Files.readString(startLog));
                log.error("the daemon failed to start");
                return 1;
            }
            Files.deleteIfExists(startLog);
            DescriptorPrinter.printAddressAndPid(options.printAddress().orElse(-1), address,
                    options.printPid().orElse(-1), pid);
            return 0;
        } catch (IOException e) {
            log.error("cannot start the daemon: {}", e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }
}
