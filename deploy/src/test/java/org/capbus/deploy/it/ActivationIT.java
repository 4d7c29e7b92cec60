package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Service activation with real services and clients, against capbus and dbus-daemon alike: a python3-dbus service
 * started by its first call ({@code dbus-send}) and by StartServiceByName ({@code gdbus}), with dbus-daemon's
 * environment; the failures (a program that does not exist, one that exits, one killed by a signal, one that never
 * takes its name) reaching every waiting caller with the same error name and text from both buses, and nothing held
 * afterwards; a service file that appears while the bus runs; systemd activation against a peer that plays
 * systemd; and, as root, a system bus starting services through Debian's setuid launch helper.
 */
class ActivationIT {
    private static final String TEST_IFACE = "org.capbus.Test";
    /** service_start_timeout where a test waits for it to pass; elsewhere a slow machine must not fail the test. */
    private static final long START_TIMEOUT_MS = 5000;
    private static final long GENEROUS_TIMEOUT_MS = 120_000;
    private static final Pattern GDBUS_ENTRY = Pattern.compile("'([^']+)': <(?:uint32|uint64) (\\d+)>");
    /** The socket of the address Debian's launch helper gives every service it starts (its compiled-in default). */
    private static final Path SYSTEM_BUS_SOCKET = Path.of("/run/dbus/system_bus_socket");
    /**
     * The launch helper reads only /usr/share/dbus-1/system.conf, whose {@code <standard_system_servicedirs/>} are
     * /usr/local/share, /usr/share and /lib's dbus-1/system-services, and takes the file named after the service;
     * a file in a test's own directory is not found there. This one exists wherever Debian's dbus is installed.
     */
    private static final Path SYSTEM_SERVICES = Path.of("/usr/share/dbus-1/system-services");

    @TempDir
    Path services;

    private static String configuration(Path serviceDir) {
        return configuration(serviceDir, GENEROUS_TIMEOUT_MS);
    }

    private static String configuration(Path serviceDir, long startTimeoutMs) {
        return TestBus.configurationWithElements("  <servicedir>" + serviceDir + "</servicedir>\n"
                + "  <limit name=\"service_start_timeout\">" + startTimeoutMs + "</limit>\n");
    }

    private TestBus start(BusKind kind, String... extraArguments) {
        return TestBus.startWithConfiguration(kind, configuration(services), List.of(extraArguments));
    }

    private TestBus startWithShortTimeout(BusKind kind) {
        return TestBus.startWithConfiguration(kind, configuration(services, START_TIMEOUT_MS), List.of());
    }

    private void serviceFile(String name, String exec, String... extraLines) throws IOException {
        StringBuilder sb = new StringBuilder("[D-BUS Service]\nName=" + name + "\nExec=" + exec + "\n");
        for (String line : extraLines) {
            sb.append(line).append('\n');
        }
        Files.writeString(services.resolve(name + ".service"), sb.toString());
    }

    private void pythonServiceFile(String name) throws IOException {
        serviceFile(name, Clients.PYTHON + " " + Clients.resource("service.py") + " " + name);
    }

    private static ClientResult echo(TestBus bus, String name, String text) {
        return Clients.run(bus, "dbus-send", "--session", "--print-reply", "--reply-timeout=30000", "--dest=" + name,
                "/org/capbus/Test", TEST_IFACE + ".EchoString", "string:" + text);
    }

    private static String gdbusDriver(TestBus bus, String method, String... args) {
        List<String> command = new ArrayList<>(List.of("gdbus", "call", "--session", "--dest", "org.freedesktop.DBus",
                "--object-path", "/org/freedesktop/DBus", "--method", method));
        command.addAll(List.of(args));
        return Clients.runOk(bus, command.toArray(String[]::new)).stdout().strip();
    }

    private static String getenv(TestBus bus, String service, String variable) {
        return Clients.runOk(bus, "gdbus", "call", "--session", "--dest", service, "--object-path", "/org/capbus/Test",
                "--method", TEST_IFACE + ".Getenv", variable).stdout().strip();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldStartAServiceForItsFirstCallAndForStartServiceByName(BusKind kind) throws IOException {
        pythonServiceFile("org.capbus.Act.Called");
        pythonServiceFile("org.capbus.Act.Started");
        try (TestBus bus = start(kind)) {
            assertThat(gdbusDriver(bus, "org.freedesktop.DBus.ListActivatableNames"))
                    .contains("'org.capbus.Act.Called'", "'org.capbus.Act.Started'", "'org.freedesktop.DBus'");
            gdbusDriver(bus, "org.freedesktop.DBus.UpdateActivationEnvironment", "{'CAPBUS_IT_VARIABLE': 'set'}");

            ClientResult first = echo(bus, "org.capbus.Act.Called", "first call");
            assertThat(first.exitCode()).as("[%s] %s\n%s", kind, first.describe(), bus.stderr()).isZero();
            assertThat(first.stdout()).contains("string \"first call\"");

            assertThat(gdbusDriver(bus, "org.freedesktop.DBus.StartServiceByName", "org.capbus.Act.Started", "0"))
                    .isEqualTo("(uint32 1,)");
            assertThat(gdbusDriver(bus, "org.freedesktop.DBus.StartServiceByName", "org.capbus.Act.Started", "0"))
                    .isEqualTo("(uint32 2,)");
            assertThat(gdbusDriver(bus, "org.freedesktop.DBus.NameHasOwner", "org.capbus.Act.Started"))
                    .isEqualTo("(true,)");

            // dbus-daemon's environment for its children, and what UpdateActivationEnvironment added.
            assertThat(getenv(bus, "org.capbus.Act.Called", "DBUS_STARTER_BUS_TYPE")).isEqualTo("('session',)");
            assertThat(getenv(bus, "org.capbus.Act.Called", "DBUS_STARTER_ADDRESS"))
                    .isEqualTo("('" + bus.address() + "',)");
            assertThat(getenv(bus, "org.capbus.Act.Called", "DBUS_SESSION_BUS_ADDRESS"))
                    .isEqualTo("('" + bus.address() + "',)");
            assertThat(getenv(bus, "org.capbus.Act.Called", "CAPBUS_IT_VARIABLE")).isEqualTo("('set',)");

            // The child inherits no descriptor of the bus (its sockets, its files), and reads from /dev/null.
            Path listing = services.resolve("fds.txt");
            serviceFile("org.capbus.Act.Fds", "/bin/sh -c 'ls -l /proc/$$/fd > " + listing + "; exec "
                    + Clients.PYTHON + " " + Clients.resource("service.py") + " org.capbus.Act.Fds'");
            assertThat(gdbusDriver(bus, "org.freedesktop.DBus.StartServiceByName", "org.capbus.Act.Fds", "0"))
                    .isEqualTo("(uint32 1,)");
            List<String> fds = Files.readAllLines(listing).stream().filter(l -> l.contains(" -> ")).toList();
            // (dash keeps a copy of stdout at 10 while it redirects; no socket of the bus may be among them.)
            assertThat(fds).as("[%s] the activated child's descriptors", kind).noneMatch(l -> l.contains("socket:"))
                    .anyMatch(l -> l.matches(".* 0 -> /dev/null$"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldTellEveryWaitingCallerWhyTheServiceDidNotStart(BusKind kind) throws IOException {
        serviceFile("org.capbus.Fail.Missing", "/nonexistent/capbus-it-program --flag");
        serviceFile("org.capbus.Fail.Exits", "/bin/sh -c 'exit 3'");
        serviceFile("org.capbus.Fail.Killed", "/bin/sh -c 'kill -9 $$'");
        serviceFile("org.capbus.Fail.Never", "/bin/sleep 30");
        try (TestBus bus = startWithShortTimeout(kind)) {
            expectFailure(bus, "org.capbus.Fail.Missing", "org.freedesktop.DBus.Error.Spawn.ExecFailed",
                    "Failed to execute program org.capbus.Fail.Missing: No such file or directory");
            expectFailure(bus, "org.capbus.Fail.Exits", "org.freedesktop.DBus.Error.Spawn.ChildExited",
                    "Process org.capbus.Fail.Exits exited with status 3");
            expectFailure(bus, "org.capbus.Fail.Killed", "org.freedesktop.DBus.Error.Spawn.ChildSignaled",
                    "Process org.capbus.Fail.Killed received signal 9");
            // Three calls (one carrying a descriptor) and a StartServiceByName wait until the timeout.
            String timedOut = "error=org.freedesktop.DBus.Error.TimedOut|Failed to activate service"
                    + " 'org.capbus.Fail.Never': timed out (service_start_timeout=" + START_TIMEOUT_MS + "ms)";
            try (Clients.Background callers = Clients.start(bus, Clients.PYTHON, Clients.resource("activation.py"),
                    "calls", "org.capbus.Fail.Never", "3", "fd")) {
                if (kind == BusKind.CAPBUS) {
                    Await.until(() -> stats(bus).getOrDefault(STATS + "ActivationWaitingMessages", 0L) == 4,
                            () -> "[" + kind + "] not all callers wait: " + stats(bus));
                    assertThat(stats(bus)).containsEntry(STATS + "PendingActivations", 1L)
                            .containsEntry(STATS + "ActivationWaitingFDs", 1L);
                }
                Await.until(() -> !callers.process().isAlive(), () -> "[" + kind + "] callers still wait");
                assertThat(callers.stdout().lines()).as("[%s] %s", kind, callers.stderr())
                        .containsExactly(timedOut, timedOut, timedOut, "start-" + timedOut);
            }
            ClientResult unknown = echo(bus, "org.capbus.Fail.NoFile", "x");
            assertThat(unknown.stderr()).contains("org.freedesktop.DBus.Error.ServiceUnknown",
                    "The name org.capbus.Fail.NoFile was not provided by any .service files");
            if (kind == BusKind.CAPBUS) {
                // Nothing the failed activations' callers were charged is still held.
                assertThat(stats(bus)).containsEntry(STATS + "PendingActivations", 0L)
                        .containsEntry(STATS + "ActivationWaitingMessages", 0L)
                        .containsEntry(STATS + "ActivationWaitingBytes", 0L)
                        .containsEntry(STATS + "ActivationWaitingFDs", 0L)
                        .containsEntry(STATS + "PendingReplies", 0L);
            }
        }
    }

    private static final String STATS = "org.capbus.Debug.Stats.";

    /** capbus's Debug.Stats numbers, by key. */
    private static java.util.Map<String, Long> stats(TestBus bus) {
        String stats = gdbusDriver(bus, "org.freedesktop.DBus.Debug.Stats.GetStats");
        Matcher m = GDBUS_ENTRY.matcher(stats);
        java.util.Map<String, Long> values = new java.util.HashMap<>();
        while (m.find()) {
            values.put(m.group(1), Long.parseLong(m.group(2)));
        }
        return values;
    }

    /** Three callers on two connections and a StartServiceByName, all waiting at once, get the same failure. */
    private static void expectFailure(TestBus bus, String name, String error, String text) {
        String out = Clients.python(bus, "activation.py", "calls", name, "3").stdout();
        String line = "error=" + error + "|" + text;
        assertThat(out.lines()).as("[%s] %s\n%s", bus.kind(), name, bus.stderr())
                .containsExactly(line, line, line, "start-" + line);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldActivateAServiceInstalledWhileTheBusRuns(BusKind kind) throws IOException {
        try (TestBus bus = start(kind)) {
            assertThat(gdbusDriver(bus, "org.freedesktop.DBus.ListActivatableNames")).doesNotContain("org.capbus.New");
            // Used at once: the bus looks at its directories again when a name is not known.
            pythonServiceFile("org.capbus.New.Called");
            ClientResult reply = echo(bus, "org.capbus.New.Called", "new");
            assertThat(reply.exitCode()).as("[%s] %s", kind, reply.describe()).isZero();
            assertThat(reply.stdout()).contains("string \"new\"");
            // Listed without any call: the directory is watched.
            pythonServiceFile("org.capbus.New.Listed");
            Await.until(() -> gdbusDriver(bus, "org.freedesktop.DBus.ListActivatableNames")
                    .contains("'org.capbus.New.Listed'"), () -> "[" + kind + "] the new file is not listed");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldReadServiceDirectoriesAgainAtReloadConfig(BusKind kind) throws IOException {
        Path other = Files.createDirectories(services.resolve("other"));
        Files.writeString(other.resolve("org.capbus.Reloaded.service"),
                "[D-BUS Service]\nName=org.capbus.Reloaded\nExec=/bin/true\n");
        try (TestBus bus = start(kind)) {
            assertThat(gdbusDriver(bus, "org.freedesktop.DBus.ListActivatableNames"))
                    .doesNotContain("org.capbus.Reloaded");
            Files.writeString(bus.directory().resolve("bus.conf"), configuration(other));
            gdbusDriver(bus, "org.freedesktop.DBus.ReloadConfig");
            Await.until(() -> gdbusDriver(bus, "org.freedesktop.DBus.ListActivatableNames")
                    .contains("'org.capbus.Reloaded'"), () -> "[" + kind + "] the reloaded directory is not read");
        }
    }

    /**
     * A system bus as dbus-daemon runs one: started as root, it switches to {@code <user>messagebus</user>} and
     * starts services through Debian's setuid {@code dbus-daemon-launch-helper}, which runs only for that user, reads
     * the real system configuration and directories, and answers with documented exit codes (a whole activation
     * through it is {@link #shouldRunAUserServiceStartedThroughTheLaunchHelper}).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldStartSystemServicesThroughTheLaunchHelper(BusKind kind) throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                new com.sun.security.auth.module.UnixSystem().getUid() == 0, "a system bus is started as root");
        Path dir = Files.createTempDirectory("capbus-it-system-services-");
        try {
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.writeString(dir.resolve("org.capbus.Sys.NotInstalled.service"),
                    "[D-BUS Service]\nName=org.capbus.Sys.NotInstalled\nExec=/bin/true\nUser=nobody\n");
            Files.writeString(dir.resolve("org.capbus.Sys.NoUser.service"),
                    "[D-BUS Service]\nName=org.capbus.Sys.NoUser\nExec=/bin/true\n");
            String config = systemConfiguration("<servicedir>" + dir + "</servicedir>");
            try (TestBus bus = TestBus.startWithConfiguration(kind, config, List.of())) {
                assertThat(gdbusDriver(bus, "org.freedesktop.DBus.GetConnectionUnixUser", "org.freedesktop.DBus"))
                        .as("[%s] runs as messagebus", kind).isEqualTo("(uint32 " + uid("messagebus") + ",)");
                assertThat(startError(bus, "org.capbus.Sys.NotInstalled")).contains(
                        "org.freedesktop.DBus.Error.Spawn.ServiceNotFound", "Bus name not found in system service directory");
                assertThat(startError(bus, "org.capbus.Sys.NoUser")).contains(
                        "org.freedesktop.DBus.Error.Spawn.FileInvalid", "Cannot do system-bus activation with no user");
                // Installed by systemd with User=root and Exec=/bin/false: the helper runs it, it exits 1.
                assertThat(startError(bus, "org.freedesktop.systemd1")).contains(
                        "org.freedesktop.DBus.Error.Spawn.ChildExited", "Launch helper exited with unknown return code 1");
                ClientResult env = Clients.run(bus, "gdbus", "call", "--session", "--dest", "org.freedesktop.DBus",
                        "--object-path", "/org/freedesktop/DBus", "--method",
                        "org.freedesktop.DBus.UpdateActivationEnvironment", "{'A': 'b'}");
                assertThat(env.stderr()).contains("org.freedesktop.DBus.Error.AccessDenied",
                        "Cannot change activation environment on a system bus.");
            }
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
    }

    /**
     * A system bus's configuration as Debian's (run as messagebus, services through the setuid launch helper from the
     * standard system service directories), listening on {@code unix:tmpdir=/tmp} unless the test gives an address,
     * with every message allowed; {@code extraElements} go in as they are.
     */
    private static String systemConfiguration(String extraElements) {
        return """
                <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
                 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
                <busconfig>
                  <type>system</type>
                  <user>messagebus</user>
                  <listen>unix:tmpdir=/tmp</listen>
                  <auth>EXTERNAL</auth>
                  <servicehelper>/usr/lib/dbus-1.0/dbus-daemon-launch-helper</servicehelper>
                  <standard_system_servicedirs/>
                  %s
                  <policy context="default">
                    <allow user="*"/>
                    <allow send_destination="*"/>
                    <allow receive_sender="*"/>
                    <allow own="*"/>
                  </policy>
                </busconfig>
                """.formatted(extraElements);
    }

    /** The uid of {@code user}, from /etc/passwd. */
    private static String uid(String user) throws IOException {
        return Files.readAllLines(Path.of("/etc/passwd")).stream().filter(l -> l.startsWith(user + ":")).findFirst()
                .orElseThrow(() -> new AssertionError("no user " + user + " in /etc/passwd")).split(":")[2];
    }

    /**
     * A whole system activation through Debian's launch helper: the bus (started as root, running as messagebus) on
     * the system bus address, since that is where the helper points every service it starts; the helper reads the
     * service file from the system's directory, switches to its {@code User=} and execs the python3-dbus service,
     * whose first call is answered. Runs as root only (as CI does); it refuses to run, failing, when something
     * listens on the system bus address already (the bus would take the address over), and it removes the socket and
     * the service file afterwards.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldRunAUserServiceStartedThroughTheLaunchHelper(BusKind kind) throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                new com.sun.security.auth.module.UnixSystem().getUid() == 0, "a system bus is started as root");
        String name = "org.capbus.Sys.Helped";
        Path serviceFile = SYSTEM_SERVICES.resolve(name + ".service");
        assertThat(serviceFile).as("left by an earlier run that was killed? remove it").doesNotExist();
        requireUnused(SYSTEM_BUS_SOCKET);
        Path runDbus = SYSTEM_BUS_SOCKET.getParent();
        boolean madeRunDbus = !Files.isDirectory(runDbus);
        // The service runs as nobody, who may not reach the build directory (a checkout under /root): a copy it can.
        Path dir = Files.createTempDirectory("capbus-it-helped-");
        try {
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            Path script = Files.copy(Path.of(Clients.resource("service.py")), dir.resolve("service.py"));
            Files.setPosixFilePermissions(script, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            Files.createDirectories(runDbus);
            Files.writeString(serviceFile, "[D-BUS Service]\nName=" + name + "\nExec=" + Clients.PYTHON + " " + script
                    + " " + name + "\nUser=nobody\n");
            String address = "unix:path=" + SYSTEM_BUS_SOCKET;
            try (TestBus bus = TestBus.startAt(kind, systemConfiguration(""), address)) {
                ClientResult first = echo(bus, name, "through the launch helper");
                assertThat(first.exitCode()).as("[%s] %s\n%s", kind, first.describe(), bus.stderr()).isZero();
                assertThat(first.stdout()).contains("string \"through the launch helper\"");
                assertThat(bus.stderr()).as("[%s] the bus's log", kind).containsPattern(
                        "Activating service name='" + name + "' requested by .* \\(using servicehelper\\)");
                assertThat(gdbusDriver(bus, "org.freedesktop.DBus.GetConnectionUnixUser", name))
                        .as("[%s] the service runs as its User=", kind).isEqualTo("(uint32 " + uid("nobody") + ",)");
                // The helper's environment, not the bus's: only the starter variables, for the system bus.
                assertThat(getenv(bus, name, "DBUS_STARTER_BUS_TYPE")).isEqualTo("('system',)");
                assertThat(getenv(bus, name, "DBUS_STARTER_ADDRESS")).isEqualTo("('" + address + "',)");
                assertThat(getenv(bus, name, "DBUS_SESSION_BUS_ADDRESS")).isEqualTo("('',)");
                assertThat(gdbusDriver(bus, "org.freedesktop.DBus.StartServiceByName", name, "0"))
                        .isEqualTo("(uint32 2,)");
            }
        } finally {
            Files.deleteIfExists(serviceFile);
            // The bus, no longer root, cannot remove its socket from root's /run/dbus.
            Files.deleteIfExists(SYSTEM_BUS_SOCKET);
            if (madeRunDbus) {
                Files.deleteIfExists(runDbus);
            }
            TestBus.deleteTree(dir);
        }
    }

    /**
     * Fails unless {@code socket} is free: nothing there, or a socket nobody listens on (left by a killed run, which
     * is removed). A bus listening there (a real system bus) must not be replaced by a test's.
     */
    private static void requireUnused(Path socket) throws IOException {
        if (!Files.exists(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        var attributes = Files.readAttributes(socket, java.nio.file.attribute.BasicFileAttributes.class,
                java.nio.file.LinkOption.NOFOLLOW_LINKS);
        assertThat(attributes.isOther()).as("%s exists and is not a socket; this test will not replace it", socket)
                .isTrue();
        boolean listening;
        try {
            java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(socket)).close();
            listening = true;
        } catch (IOException refused) {
            listening = false;
        }
        assertThat(listening).as("something listens on %s (a system bus?); this test runs a bus on that address and"
                + " will not take it over: run it where no system bus runs", socket).isFalse();
        Files.delete(socket);
    }

    private static String startError(TestBus bus, String name) {
        ClientResult r = Clients.run(bus, "gdbus", "call", "--session", "--dest", "org.freedesktop.DBus",
                "--object-path", "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.StartServiceByName", name,
                "0");
        assertThat(r.exitCode()).as("[%s] %s", bus.kind(), r.describe()).isNotZero();
        return r.stderr();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldAskSystemdToStartServicesThatNameAUnit(BusKind kind) throws IOException {
        serviceFile("org.capbus.ViaSystemd", "/bin/false", "SystemdService=ok.service");
        serviceFile("org.capbus.SystemdFails", "/bin/false", "SystemdService=fail.service");
        try (TestBus bus = start(kind, "--systemd-activation");
             Clients.Background systemd = Clients.start(bus, Clients.PYTHON, Clients.resource("activation.py"),
                     "systemd")) {
            systemd.awaitStdout("READY");
            assertThat(Clients.runOk(bus, "gdbus", "call", "--session", "--dest", "org.freedesktop.DBus",
                    "--object-path", "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.Properties.Get",
                    "org.freedesktop.DBus", "Features").stdout()).contains("'SystemdActivation'");

            ClientResult ok = echo(bus, "org.capbus.ViaSystemd", "through systemd");
            assertThat(ok.exitCode()).as("[%s] %s\n%s", kind, ok.describe(), systemd.stdout()).isZero();
            assertThat(ok.stdout()).contains("string \"through systemd\"");

            ClientResult failed = echo(bus, "org.capbus.SystemdFails", "x");
            assertThat(failed.stderr()).as("[%s] %s", kind, failed.describe())
                    .contains("org.freedesktop.systemd1.NoSuchUnit", "Unit fail.service not found.");

            String request = "request path=/org/freedesktop/DBus interface=org.freedesktop.systemd1.Activator"
                    + " member=ActivationRequest destination=org.freedesktop.systemd1 sender=org.freedesktop.DBus"
                    + " signature=s unit=";
            assertThat(systemd.stdout().lines().filter(l -> l.startsWith("request")))
                    .containsExactly(request + "ok.service", request + "fail.service");
        }
    }
}
