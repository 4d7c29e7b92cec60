package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** libdbus's command-line tools: {@code dbus-send} calls, errors and signals; {@code dbus-monitor} in both formats. */
class DbusSendIT {
    private static final TestBus.Shared BUSES = new TestBus.Shared();

    @AfterAll
    static void stopBuses() {
        BUSES.close();
    }

    private static ClientResult send(TestBus bus, String... args) {
        List<String> command = new ArrayList<>(List.of("dbus-send", "--session"));
        command.addAll(List.of(args));
        return Clients.run(bus, command.toArray(String[]::new));
    }

    private static ClientResult driver(TestBus bus, String method, String... args) {
        List<String> command = new ArrayList<>(List.of("--print-reply", "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus", "org.freedesktop.DBus." + method));
        command.addAll(List.of(args));
        return send(bus, command.toArray(String[]::new));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldPrintRequestNameAndReleaseNameResults(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        ClientResult fresh = driver(bus, "RequestName", "string:org.capbus.SendFresh", "uint32:0");
        assertThat(fresh.exitCode()).as(fresh.describe()).isZero();
        assertThat(fresh.stdout()).contains("method return").contains("uint32 1");
        ClientResult unowned = driver(bus, "ReleaseName", "string:org.capbus.SendNobody");
        assertThat(unowned.stdout()).contains("uint32 2");
        try (Clients.Background service = Clients.pythonService(bus, "org.capbus.SendHeld")) {
            assertThat(driver(bus, "RequestName", "string:org.capbus.SendHeld", "uint32:4").stdout()).contains("uint32 3");
            assertThat(driver(bus, "RequestName", "string:org.capbus.SendHeld", "uint32:0").stdout()).contains("uint32 2");
            assertThat(driver(bus, "ReleaseName", "string:org.capbus.SendHeld").stdout()).contains("uint32 3");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldReportServiceUnknownForAMissingDestination(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        ClientResult result = send(bus, "--print-reply", "--dest=org.capbus.NoSuchService", "/org/capbus/Nothing",
                "org.capbus.Nothing.Do");
        assertThat(result.exitCode()).as(result.describe()).isNotZero();
        assertThat(result.stderr()).contains("Error org.freedesktop.DBus.Error.ServiceUnknown");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldReportUnknownMethodFromTheDriver(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        ClientResult result = driver(bus, "NoSuchMethod");
        assertThat(result.exitCode()).as(result.describe()).isNotZero();
        assertThat(result.stderr()).contains("Error org.freedesktop.DBus.Error.UnknownMethod");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldReportInvalidArgsForAWrongDriverSignature(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        ClientResult result = driver(bus, "GetNameOwner", "uint32:7");
        assertThat(result.exitCode()).as(result.describe()).isNotZero();
        assertThat(result.stderr()).contains("Error org.freedesktop.DBus.Error.InvalidArgs");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldShowMethodCallsRepliesAndSignalsInDbusMonitor(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        try (Clients.Background service = Clients.pythonService(bus, "org.capbus.SendMonitored");
                Clients.Background monitor = Clients.start(bus, "dbus-monitor", "--address", bus.address())) {
            // A monitor's own NameLost is the last thing it sees before it is installed (dbus-daemon drops its
            // unique name on BecomeMonitor).
            monitor.awaitStdout("member=NameLost");
            assertThat(send(bus, "--print-reply", "--dest=org.capbus.SendMonitored", "/org/capbus/Test",
                    "org.capbus.Test.EchoString", "string:monitored call").stdout()).contains("string \"monitored call\"");
            ClientResult signal = send(bus, "--type=signal", "/org/capbus/Sent", "org.capbus.Sent.Hello",
                    "string:monitored signal", "int32:-3");
            assertThat(signal.exitCode()).as(signal.describe()).isZero();
            monitor.awaitStdout("path=/org/capbus/Sent; interface=org.capbus.Sent; member=Hello");
            String out = monitor.stdout();
            assertThat(out).containsPattern("method call time=[0-9.]+ sender=:[0-9.]+ -> destination="
                    + "org.capbus.SendMonitored serial=[0-9]+ path=/org/capbus/Test; interface=org.capbus.Test; "
                    + "member=EchoString\n   string \"monitored call\"");
            assertThat(out).containsPattern("method return time=[0-9.]+ sender=:[0-9.]+ -> destination=:[0-9.]+ "
                    + "serial=[0-9]+ reply_serial=[0-9]+\n   string \"monitored call\"");
            assertThat(out).containsPattern("signal time=[0-9.]+ sender=:[0-9.]+ -> destination=\\(null destination\\) "
                    + "serial=[0-9]+ path=/org/capbus/Sent; interface=org.capbus.Sent; member=Hello\n"
                    + "   string \"monitored signal\"\n   int32 -3");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldPrintTheProfileFormatInDbusMonitor(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        try (Clients.Background monitor = Clients.start(bus, "dbus-monitor", "--address", bus.address(), "--profile")) {
            monitor.awaitStdout("\tNameLost");
            assertThat(driver(bus, "GetId").exitCode()).isZero();
            monitor.awaitStdout("\torg.freedesktop.DBus\tGetId");
            String out = monitor.stdout();
            assertThat(out).startsWith("#type\ttimestamp\tserial\tsender\tdestination\tpath\tinterface\tmember");
            assertThat(out).containsPattern("(?m)^mc\t[0-9.]+\t1\t:[0-9.]+\torg.freedesktop.DBus\t/org/freedesktop/DBus"
                    + "\torg.freedesktop.DBus\tHello$");
            assertThat(out).containsPattern("(?m)^mc\t[0-9.]+\t2\t:[0-9.]+\torg.freedesktop.DBus\t/org/freedesktop/DBus"
                    + "\torg.freedesktop.DBus\tGetId$");
            assertThat(out).containsPattern("(?m)^mr\t[0-9.]+\t[0-9]+\torg.freedesktop.DBus\t:[0-9.]+\t2$");
        }
    }
}
