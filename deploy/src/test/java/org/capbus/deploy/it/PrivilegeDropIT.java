package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code <user>}: a bus started as root binds its socket, then runs as the configured user (every thread, no
 * supplementary groups), and clients of other users still connect; the same with the stock system.conf
 * ({@code <user>messagebus</user>}) on a temporary address. A user that does not exist stops the start (both
 * buses); so does, for capbus, a start by a user who cannot change to the configured one. Run against dbus-daemon
 * too. Needs root, as CI runs (the assumption only guards a
 * developer's non-root run; CI never skips it).
 */
class PrivilegeDropIT {
    /** A client user that is neither root nor the bus's user. */
    private static final String OTHER_UID = "1";

    @TempDir
    Path scratch;

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldRunAsTheConfiguredUserAndServeOtherUsers(BusKind kind) throws IOException {
        assumeTrue(isRoot(), "needs root");
        String config = """
                <busconfig>
                  <type>session</type>
                  <user>nobody</user>
                  <listen>unix:tmpdir=/tmp</listen>
                  <auth>EXTERNAL</auth>
                  <policy context="default">
                    <allow user="*"/>
                    <allow send_destination="*"/>
                    <allow receive_sender="*"/>
                    <allow own="*"/>
                  </policy>
                </busconfig>
                """;
        try (TestBus bus = TestBus.startWithConfiguration(kind, config)) {
            // The scratch directory is root's (0700); other users must reach the socket in it.
            Files.setPosixFilePermissions(bus.directory(), PosixFilePermissions.fromString("rwxr-xr-x"));
            assertRunsAs(bus.pid(), id("nobody", "-u"), id("nobody", "-g"), bus.stderr());
            for (String uid : List.of("0", OTHER_UID, id("nobody", "-u"))) {
                ClientResult call = asUser(uid, Map.of("DBUS_SESSION_BUS_ADDRESS", bus.address()), "--session");
                assertThat(call.exitCode()).as("[%s] client uid %s: %s\n%s", kind, uid, call.describe(), bus.stderr())
                        .isZero();
                assertThat(call.stdout()).as("[%s] the bus says who it runs as", kind)
                        .contains("uint32 " + id("nobody", "-u"));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldRunTheSystemBusAsMessagebusWithTheStockConfiguration(BusKind kind) throws Exception {
        assumeTrue(isRoot(), "needs root");
        Path dir = Files.createDirectories(scratch.resolve("run"));
        Files.setPosixFilePermissions(scratch, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path socket = dir.resolve("system_bus_socket");
        Map<String, String> env = new java.util.HashMap<>(kind.environment());
        try (Clients.Background bus = Clients.Background.start(env, List.of(kind.executable().toString(),
                "--system", "--nofork", "--nopidfile", "--print-address=1", "--address=unix:path=" + socket))) {
            bus.awaitStdout("\n");
            String address = bus.stdout().strip();
            assertRunsAs(bus.process().pid(), id("messagebus", "-u"), id("messagebus", "-g"), bus.describe());
            for (String uid : List.of("0", OTHER_UID)) {
                ClientResult call = asUser(uid, Map.of("DBUS_SYSTEM_BUS_ADDRESS", address), "--system");
                assertThat(call.exitCode()).as("[%s] client uid %s: %s\n%s", kind, uid, call.describe(),
                        bus.describe()).isZero();
                assertThat(call.stdout()).contains("uint32 " + id("messagebus", "-u"));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldRefuseToStartAsAUserThatDoesNotExist(BusKind kind) throws IOException {
        assumeTrue(isRoot(), "needs root");
        ClientResult run = startAs("0", kind, "capbus-no-such-user");
        assertThat(run.exitCode()).as("[%s] %s", kind, run.describe()).isNotZero();
        if (kind == BusKind.CAPBUS) {
            // dbus-daemon prints the address before it changes user, then exits; capbus looks the user up first.
            assertThat(run.stdout()).as("no address printed").isEmpty();
        }
        assertThat(run.stderr()).contains("capbus-no-such-user");
    }

    /**
     * capbus only, on purpose: dbus-daemon (built with libcap-ng, as Debian's) silently keeps running as whoever
     * started it when that is not root; capbus refuses, so that a bus never serves as a user the configuration did
     * not name.
     */
    @Test
    void shouldRefuseToStartWhenItCannotBecomeTheUser() throws IOException {
        assumeTrue(isRoot(), "needs root");
        ClientResult run = startAs(OTHER_UID, BusKind.CAPBUS, "messagebus");
        assertThat(run.exitCode()).as(run.describe()).isNotZero();
        assertThat(run.stdout()).as("no address printed").isEmpty();
        assertThat(run.stderr()).contains("Failed to start message bus").contains("messagebus");
    }

    /** Runs a bus of {@code kind} as {@code uid} with a configuration naming {@code user}, until it exits. */
    private ClientResult startAs(String uid, BusKind kind, String user) throws IOException {
        Path dir = Files.createDirectories(scratch.resolve("refuse"));
        Files.setPosixFilePermissions(scratch, PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path config = dir.resolve("bus.conf");
        Files.writeString(config, """
                <busconfig>
                  <type>session</type>
                  <user>%s</user>
                  <listen>unix:tmpdir=/tmp</listen>
                  <policy context="default"><allow user="*"/></policy>
                </busconfig>
                """.formatted(user));
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
        List<String> command = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid,
                "--clear-groups", "env", "HOME=" + dir));
        kind.environment().forEach((k, v) -> command.add(k + "=" + v));
        command.addAll(List.of(kind.executable().toString(), "--config-file=" + config, "--nofork",
                "--print-address=1", "--address=unix:path=" + dir.resolve("bus")));
        return Clients.run(Map.of(), Clients.CLIENT_BOUND, command);
    }

    /** Every thread of process {@code pid} runs with this uid and gid, real, effective, saved and file system. */
    private static void assertRunsAs(long pid, String uid, String gid, String context) throws IOException {
        List<Path> tasks;
        try (var list = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            tasks = list.toList();
        }
        assertThat(tasks).isNotEmpty();
        for (Path task : tasks) {
            String status = Files.readString(task.resolve("status"));
            assertThat(field(status, "Uid")).as("%s uid\n%s", task, context).isEqualTo(List.of(uid, uid, uid, uid));
            assertThat(field(status, "Gid")).as("%s gid\n%s", task, context).isEqualTo(List.of(gid, gid, gid, gid));
            assertThat(field(status, "Groups")).as("%s supplementary groups", task).isEmpty();
        }
    }

    private static List<String> field(String status, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + ":(.*)$").matcher(status);
        assertThat(m.find()).as(name).isTrue();
        String value = m.group(1).strip();
        return value.isEmpty() ? List.of() : List.of(value.split("\\s+"));
    }

    /** Asks the bus, as user {@code uid}, which uid its own name belongs to. */
    private static ClientResult asUser(String uid, Map<String, String> env, String busOption) {
        return Clients.run(env, Clients.CLIENT_BOUND, List.of("setpriv", "--reuid=" + uid, "--regid=" + uid,
                "--clear-groups", "dbus-send", busOption, "--print-reply", "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus", "org.freedesktop.DBus.GetConnectionUnixUser", "string:org.freedesktop.DBus"));
    }

    private static String id(String user, String what) {
        ClientResult r = Clients.run(Map.of(), Clients.CLIENT_BOUND, List.of("id", what, user));
        assertThat(r.exitCode()).as(r.describe()).isZero();
        return r.stdout().strip();
    }

    private static boolean isRoot() {
        return "0".equals(id("root", "-u")) && "root".equals(System.getProperty("user.name"));
    }
}
