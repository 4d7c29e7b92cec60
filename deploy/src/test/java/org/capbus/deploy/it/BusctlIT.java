package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** systemd's {@code busctl} (sd-bus underneath) against the bus, with {@code --address=}. */
class BusctlIT {
    private static final TestBus.Shared BUSES = new TestBus.Shared();

    @AfterAll
    static void stopBuses() {
        BUSES.close();
    }

    private static ClientResult busctl(TestBus bus, String... args) {
        List<String> command = new ArrayList<>(List.of("busctl", "--address=" + bus.address(), "--no-pager"));
        command.addAll(List.of(args));
        return Clients.runOk(bus, command.toArray(String[]::new));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldListPeersWithTheirProcessIds(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        try (Clients.Background service = Clients.pythonService(bus, "org.capbus.BusctlListed")) {
            String out = busctl(bus, "list").stdout();
            assertThat(out).contains("org.freedesktop.DBus");
            // busctl asks the driver for every peer's credentials (GetConnectionCredentials/UnixProcessID).
            assertThat(out.lines().filter(line -> line.startsWith("org.capbus.BusctlListed ")))
                    .singleElement().asString().contains(" " + service.process().pid() + " ");
            assertThat(out.lines().filter(line -> line.startsWith("org.freedesktop.DBus ")))
                    .singleElement().asString().contains(" " + bus.pid() + " ");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldShowThePeerStatusFromTheBusCredentials(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        try (Clients.Background service = Clients.pythonService(bus, "org.capbus.BusctlStatus")) {
            String out = busctl(bus, "status", "org.capbus.BusctlStatus").stdout();
            assertThat(out.lines()).contains("PID=" + service.process().pid(), "UID=" + RawConnection.uid(), "EUID=" + RawConnection.uid());
            assertThat(out).containsPattern("(?m)^UniqueName=:[0-9]+\\.[0-9]+$");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldCallTheDriverAndAService(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        assertThat(busctl(bus, "call", "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                "GetNameOwner", "s", "org.freedesktop.DBus").stdout().trim()).isEqualTo("s \"org.freedesktop.DBus\"");
        try (Clients.Background service = Clients.pythonService(bus, "org.capbus.BusctlCallee")) {
            assertThat(busctl(bus, "call", "org.capbus.BusctlCallee", "/org/capbus/Test", "org.capbus.Test", "Sum", "ax",
                    "3", "1", "2", "3").stdout().trim()).isEqualTo("x 6");
            assertThat(busctl(bus, "call", "--", "org.capbus.BusctlCallee", "/org/capbus/Test",
                    "org.capbus.Test", "EchoStruct", "(sib)", "abc", "-5", "true").stdout().trim()).isEqualTo("(sib) \"abc\" -5 true");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldReportAFailedCallWithTheErrorName(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        ClientResult result = Clients.run(bus, "busctl", "--address=" + bus.address(), "call", "org.freedesktop.DBus",
                "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetNameOwner", "s", "org.capbus.NotThere");
        assertThat(result.exitCode()).as(result.describe()).isNotZero();
        assertThat(result.stderr()).contains("Call failed");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldIntrospectTheDriver(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        String out = busctl(bus, "introspect", "org.freedesktop.DBus", "/org/freedesktop/DBus").stdout();
        assertThat(out).containsPattern("(?m)^org\\.freedesktop\\.DBus +interface ")
                .containsPattern("(?m)^\\.RequestName +method +su +u ")
                .containsPattern("(?m)^\\.ListNames +method +- +as ")
                .containsPattern("(?m)^\\.NameOwnerChanged +signal +sss ")
                .containsPattern("(?m)^\\.Features +property +as ");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldShowTheDriverObjectTreeAndItsProperties(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        assertThat(busctl(bus, "tree", "org.freedesktop.DBus").stdout()).contains("/org/freedesktop/DBus");
        String features = busctl(bus, "get-property", "org.freedesktop.DBus", "/org/freedesktop/DBus",
                "org.freedesktop.DBus", "Features").stdout().trim();
        assertThat(features).startsWith("as ");
        String interfaces = busctl(bus, "get-property", "org.freedesktop.DBus", "/org/freedesktop/DBus",
                "org.freedesktop.DBus", "Interfaces").stdout().trim();
        assertThat(interfaces).startsWith("as ").contains("\"org.freedesktop.DBus.Monitoring\"");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldShowOtherPeersMessagesInBusctlMonitor(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        try (Clients.Background monitor = Clients.start(bus, "busctl", "--address=" + bus.address(), "monitor")) {
            // Printed once BecomeMonitor has succeeded.
            monitor.awaitStderr("Monitoring bus message stream.");
            Clients.runOk(bus, "gdbus", "emit", "--session", "--object-path", "/org/capbus/Busctl", "--signal",
                    "org.capbus.Busctl.Seen", "'by busctl monitor'");
            monitor.awaitStdout("Path=/org/capbus/Busctl  Interface=org.capbus.Busctl  Member=Seen");
            monitor.awaitStdout("STRING \"by busctl monitor\";");
        }
    }
}
