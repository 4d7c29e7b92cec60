package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tools that start the bus themselves, with dbus-daemon's command line: dbus-run-session ({@code --nofork
 * --print-address=N}, {@code --session} or {@code --config-file}), GLib's GTestDBus ({@code --print-address=N
 * --config-file=F} without {@code --nofork}, deleting F once the address is read) and python-dbusmock ({@code --fork
 * --print-address=1 --print-pid=1}). The latter two find {@code dbus-daemon} on PATH, so PATH starts with a directory
 * holding a {@code dbus-daemon} symlink to the bus under test.
 */
class BusLaunchersIT {
    @TempDir
    Path scratch;

    /** Environment for a launcher: the bus's own variables, no inherited session bus, PATH led by the symlink. */
    private Map<String, String> launcherEnvironment(BusKind kind) throws IOException {
        Path bin = Files.createDirectories(scratch.resolve("bin"));
        Files.createSymbolicLink(bin.resolve("dbus-daemon"), kind.executable());
        Map<String, String> env = new HashMap<>(kind.environment());
        env.put("PATH", bin + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("DBUS_SESSION_BUS_ADDRESS", "unix:path=" + scratch.resolve("no-inherited-bus"));
        return env;
    }

    private static ClientResult runOk(BusKind kind, Map<String, String> env, String... command) {
        ClientResult result = Clients.run(env, Clients.CLIENT_BOUND, List.of(command));
        assertThat(result.exitCode()).as("[%s] %s", kind, result.describe()).isZero();
        return result;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldRunACommandOnASessionBusFromDbusRunSession(BusKind kind) throws IOException {
        ClientResult result = runOk(kind, launcherEnvironment(kind), "dbus-run-session",
                "--dbus-daemon=" + kind.executable(), "--", "gdbus", "call", "--session", "--dest",
                "org.freedesktop.DBus", "--object-path", "/org/freedesktop/DBus", "--method",
                "org.freedesktop.DBus.ListNames");
        assertThat(result.stdout()).contains("'org.freedesktop.DBus'").containsPattern("':[0-9]+\\.[0-9]+'");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldRunACommandOnABusWithAGivenConfigFromDbusRunSession(BusKind kind) throws IOException {
        Path config = Files.writeString(scratch.resolve("bus.conf"), TestBus.configuration(false));
        ClientResult result = runOk(kind, launcherEnvironment(kind), "dbus-run-session",
                "--dbus-daemon=" + kind.executable(), "--config-file=" + config, "--", "dbus-send", "--session",
                "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.DBus");
        assertThat(result.stdout()).contains("boolean true");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldPropagateTheCommandsExitStatusFromDbusRunSession(BusKind kind) throws IOException {
        ClientResult result = Clients.run(launcherEnvironment(kind), Clients.CLIENT_BOUND, List.of("dbus-run-session",
                "--dbus-daemon=" + kind.executable(), "--", "dbus-send", "--session", "--print-reply",
                "--dest=org.capbus.Missing", "/org/capbus/Missing", "org.capbus.Missing.Call"));
        assertThat(result.exitCode()).as(result.describe()).isEqualTo(1);
        assertThat(result.stderr()).contains("org.freedesktop.DBus.Error.ServiceUnknown");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldServeGTestDBus(BusKind kind) throws IOException {
        ClientResult result = runOk(kind, launcherEnvironment(kind), Clients.PYTHON, Clients.resource("gtestdbus.py"));
        List<String> lines = result.stdout().lines().toList();
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0)).startsWith("ADDRESS unix:");
        String unique = lines.get(1).substring("UNIQUE ".length());
        assertThat(unique).startsWith(":");
        assertThat(lines.get(2)).startsWith("NAMES ").contains(" " + unique).contains(" org.freedesktop.DBus");
        assertThat(lines.get(3)).isEqualTo("DOWN");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldServePythonDbusmock(BusKind kind) throws IOException {
        ClientResult result = runOk(kind, launcherEnvironment(kind), Clients.PYTHON,
                Clients.resource("dbusmock_session.py"));
        List<String> lines = result.stdout().lines().toList();
        assertThat(lines).hasSize(4);
        long pid = Long.parseLong(lines.get(0).substring("BUS ".length()));
        assertThat(lines.subList(1, 4)).containsExactly("REPLY mocked question", "CALLS Answer(question)", "STOPPED");
        Await.until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true),
                () -> "[" + kind + "] the forked bus " + pid + " is still running after SIGTERM");
    }
}
