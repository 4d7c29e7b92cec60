package org.capbus.deploy.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Live upgrades in a test (docs/live-upgrade.md): the bus is started through a launcher script of the test's
 * ({@code $CAPBUS_LAUNCHER}), which decides what "the installation" starts at the next upgrade; {@link #upgrade} runs
 * {@code capbus --upgrade=PID} and remembers the process that took over, which is no child of the test's, so that
 * {@link #stopTakenOver} can stop it afterwards. One per test instance.
 */
final class Upgrades {
    private static final Pattern UPGRADED = Pattern.compile("^upgraded: pid (\\d+) ");

    private final List<Long> newPids = new ArrayList<>();
    private Path launcher;

    /**
     * The test's launcher script, made on first use to run the real capbus (rewrite it with {@link #useLauncher} to
     * change what the next upgrade starts); removed by {@link #stopTakenOver}.
     */
    Path launcher() throws IOException {
        if (launcher == null) {
            launcher = Files.createTempFile("capbus-launcher-", ".sh");
            useLauncher(launcher, "exec " + BusKind.CAPBUS.executable() + " \"$@\"");
        }
        return launcher;
    }

    /** Upgrades the bus with pid {@code pid}, asserts it worked, and returns the new process's pid. */
    long upgrade(long pid) {
        ClientResult result = command(pid);
        Matcher m = UPGRADED.matcher(result.stdout());
        assertThat(m.find()).as(result.describe()).isTrue();
        long newPid = Long.parseLong(m.group(1));
        newPids.add(newPid);
        assertThat(result.exitCode()).isZero();
        return newPid;
    }

    /** Stops every process that took over (by pid: they are not the test's children) and removes the launcher. */
    void stopTakenOver() throws IOException {
        for (long pid : newPids) {
            ProcessHandle.of(pid).ifPresent(p -> {
                p.destroy();
                p.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> {
                    p.destroyForcibly();
                    return p;
                }).join();
            });
        }
        if (launcher != null) {
            Files.deleteIfExists(launcher);
        }
    }

    /** {@code capbus --upgrade=PID}, whatever its outcome. */
    static ClientResult command(long pid) {
        return Clients.run(Map.of("CAPBUS_NO_BUILD", "1"), java.time.Duration.ofSeconds(90),
                List.of(BusKind.CAPBUS.executable().toString(), "--upgrade=" + pid));
    }

    /** Makes {@code launcher} a shell script running {@code body}: what the next upgrade starts. */
    static void useLauncher(Path launcher, String body) throws IOException {
        Files.writeString(launcher, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwx------"));
    }

    /** The bus's environment: started through {@code launcher} (without the AOT cache, as the tests' buses are). */
    static Map<String, String> environment(Path launcher) {
        return Map.of("CAPBUS_LAUNCHER", launcher.toString(), "CAPBUS_AOT", "0");
    }
}
