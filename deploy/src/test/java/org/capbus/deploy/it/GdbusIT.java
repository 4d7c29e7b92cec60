package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** GLib's {@code gdbus} tool against the bus: the driver's methods, introspection, monitoring, calls to a service. */
class GdbusIT {
    private static final TestBus.Shared BUSES = new TestBus.Shared();
    private static final Pattern UNIQUE_NAME = Pattern.compile("':1\\.[0-9]+'|':[0-9]+\\.[0-9]+'");

    @AfterAll
    static void stopBuses() {
        BUSES.close();
    }

    static ClientResult driverCall(TestBus bus, String method, String... args) {
        List<String> command = new ArrayList<>(List.of("gdbus", "call", "--session", "--dest", "org.freedesktop.DBus",
                "--object-path", "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus." + method));
        command.addAll(List.of(args));
        return Clients.run(bus, command.toArray(String[]::new));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldListTheDriverAndTheCallersOwnUniqueName(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        ClientResult before = driverCall(bus, "ListNames");
        assertThat(before.exitCode()).as(before.describe()).isZero();
        ClientResult listed = driverCall(bus, "ListNames");
        assertThat(listed.exitCode()).as(listed.describe()).isZero();
        assertThat(listed.stdout()).contains("'org.freedesktop.DBus'");
        // The caller's own unique name is the one listed name that no other connection had before it connected,
        // and that disappears once it has exited.
        Matcher matcher = UNIQUE_NAME.matcher(listed.stdout());
        String own = null;
        while (matcher.find()) {
            String name = matcher.group();
            if (!before.stdout().contains(name)) {
                assertThat(own).as("only the caller is new: %s vs %s", before.stdout(), listed.stdout()).isNull();
                own = name;
            }
        }
        assertThat(own).as("the caller's unique name in %s (before: %s)", listed.stdout(), before.stdout()).isNotNull();
        String callerName = own;
        Await.until(() -> !driverCall(bus, "ListNames").stdout().contains(callerName),
                () -> "unique name " + callerName + " still listed after its connection closed");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldReturnAStableBusId(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        ClientResult first = driverCall(bus, "GetId");
        assertThat(first.exitCode()).as(first.describe()).isZero();
        assertThat(first.stdout().trim()).matches("\\('[0-9a-f]{32}',\\)");
        // Note: dbus-daemon's bus id is NOT the guid of its listening address (each server has its own guid).
        assertThat(driverCall(bus, "GetId").stdout()).isEqualTo(first.stdout());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldAnswerGetNameOwnerAndNameHasOwner(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        assertThat(driverCall(bus, "GetNameOwner", "org.freedesktop.DBus").stdout().trim())
                .isEqualTo("('org.freedesktop.DBus',)");
        ClientResult missing = driverCall(bus, "GetNameOwner", "org.capbus.NobodyOwnsThis");
        assertThat(missing.exitCode()).isNotZero();
        assertThat(missing.stderr()).contains("org.freedesktop.DBus.Error.NameHasNoOwner");
        assertThat(driverCall(bus, "NameHasOwner", "org.freedesktop.DBus").stdout().trim()).isEqualTo("(true,)");
        assertThat(driverCall(bus, "NameHasOwner", "org.capbus.NobodyOwnsThis").stdout().trim()).isEqualTo("(false,)");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldIntrospectTheDriver(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        ClientResult result = Clients.runOk(bus, "gdbus", "introspect", "--session", "--dest", "org.freedesktop.DBus",
                "--object-path", "/org/freedesktop/DBus");
        assertThat(result.stdout())
                .contains("interface org.freedesktop.DBus {")
                .contains("interface org.freedesktop.DBus.Introspectable {")
                .contains("Hello(")
                .contains("RequestName(")
                .contains("ReleaseName(")
                .contains("ListNames(")
                .contains("AddMatch(")
                .contains("GetNameOwner(")
                .contains("NameOwnerChanged(");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldCallAPythonServiceAndGetItsReply(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        try (Clients.Background service = Clients.pythonService(bus, "org.capbus.GdbusCallee")) {
            ClientResult echo = Clients.runOk(bus, "gdbus", "call", "--session", "--dest", "org.capbus.GdbusCallee",
                    "--object-path", "/org/capbus/Test", "--method", "org.capbus.Test.EchoString", "hello capbus");
            assertThat(echo.stdout().trim()).isEqualTo("('hello capbus',)");
            ClientResult add = Clients.runOk(bus, "gdbus", "call", "--session", "--dest", "org.capbus.GdbusCallee",
                    "--object-path", "/org/capbus/Test", "--method", "org.capbus.Test.Add", "40", "2");
            assertThat(add.stdout().trim()).isEqualTo("(42,)");
        }
    }

    /**
     * {@code gdbus monitor} subscribes to the signals of the current owner of a name, so the emitter must own one:
     * a python service emits org.capbus.Test.Changed when gdbus calls its EmitChanged method. (A {@code gdbus emit}
     * connection owns no name, so {@code gdbus monitor} cannot select it; its signals are checked below instead.)
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldShowAServicesSignalInGdbusMonitor(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        try (Clients.Background service = Clients.start(bus, Clients.PYTHON, Clients.resource("service.py"),
                "org.capbus.GdbusEmitter");
                Clients.Background monitor = Clients.start(bus, "gdbus", "monitor", "--session", "--dest",
                        "org.capbus.GdbusEmitter")) {
            service.awaitStdout("READY");
            // Printed once the name watch has resolved the owner and the signal subscription is in place.
            monitor.awaitStdout("is owned by");
            Clients.runOk(bus, "gdbus", "call", "--session", "--dest", "org.capbus.GdbusEmitter", "--object-path",
                    "/org/capbus/Test", "--method", "org.capbus.Test.EmitChanged", "ping from gdbus");
            monitor.awaitStdout("/org/capbus/Test: org.capbus.Test.Changed ('ping from gdbus',)");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldDeliverAGdbusEmitSignalToAMatchingListener(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        try (Clients.Background listener = Clients.start(bus, "dbus-monitor", "--session",
                "type='signal',interface='org.capbus.Emit'")) {
            // dbus-monitor prints the NameAcquired/NameLost of its own monitor connection once it is installed.
            listener.awaitStdout("member=NameLost");
            Clients.runOk(bus, "gdbus", "emit", "--session", "--object-path", "/org/capbus/Emitted", "--signal",
                    "org.capbus.Emit.Ping", "'hello'", "42");
            listener.awaitStdout("path=/org/capbus/Emitted; interface=org.capbus.Emit; member=Ping");
            assertThat(listener.stdout()).contains("string \"hello\"").contains("int32 42");
        }
    }
}
