package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * python3-dbus (libdbus underneath) as service and client: argument types, large messages, match rules with arg0,
 * NameOwnerChanged, the NoReply error of a vanished callee, unix fd passing. The scenarios live in client.py and
 * print one {@code key=value} line per observation.
 */
class PythonDbusIT {
    private static final TestBus.Shared BUSES = new TestBus.Shared();

    @AfterAll
    static void stopBuses() {
        BUSES.close();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldCarryEveryArgumentTypeBothWays(BusKind kind) throws NoSuchAlgorithmException {
        TestBus bus = BUSES.get(kind);
        try (Clients.Background service = Clients.pythonService(bus, "org.capbus.PyTypes")) {
            String out = Clients.python(bus, "client.py", "types", "org.capbus.PyTypes").stdout();
            byte[] data = new byte[1024 * 1024];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i * 7 % 251);
            }
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
            assertThat(out.lines()).containsExactly(
                    "EchoString='grüße, capbus'",
                    "EchoEmptyString=''",
                    "Add=42",
                    "Sum=1099511627779",
                    "Reverse=['c', 'b', 'a']",
                    "EchoVariantInt=65535",
                    "EchoVariantArray=['x', 'y']",
                    "EchoDict={'b': True, 'd': 2.5, 'n': 1, 's': 'two'}",
                    "EchoStruct=('s', 7, True)",
                    "EchoBytes='len=1048576 sha256=" + sha + "'");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldRouteSignalsByArg0AndArg0NamespaceMatchRules(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        String out = Clients.python(bus, "client.py", "arg0").stdout();
        // The receiver's filter sees everything its connection receives, so what is absent was filtered by the bus.
        assertThat(out.lines()).containsExactly(
                "Seen='Changed wanted sender'",
                "Seen='Ns org.capbus.ns.child sender'",
                "Seen='Ns org.capbus.ns sender'",
                "Seen='End end sender'");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldBroadcastNameOwnerChangedOnRequestNameAndOnDisconnect(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        String out = Clients.python(bus, "client.py", "nameowner").stdout();
        assertThat(out.lines()).containsExactly(
                "RequestName=1",
                "NameOwnerChanged='org.capbus.Watched [] [owner]'",
                "NameOwnerChanged='org.capbus.Watched [owner] []'");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldAnswerRequestNameAndReleaseNameWithTheSpecifiedCodes(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        try (Clients.Background service = Clients.pythonService(bus, "org.capbus.PyHeld")) {
            String out = Clients.python(bus, "client.py", "names", "org.capbus.PyHeld").stdout();
            assertThat(out.lines()).containsExactly(
                    "RequestFree=1", // DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER
                    "RequestAgain=4", // DBUS_REQUEST_NAME_REPLY_ALREADY_OWNER
                    "ReleaseOwned=1", // DBUS_RELEASE_NAME_REPLY_RELEASED
                    "ReleaseAgain=2", // DBUS_RELEASE_NAME_REPLY_NON_EXISTENT
                    "RequestHeldDoNotQueue=3", // DBUS_REQUEST_NAME_REPLY_EXISTS
                    "RequestHeldQueue=2", // DBUS_REQUEST_NAME_REPLY_IN_QUEUE
                    "ReleaseQueued=1", // leaving the queue counts as released
                    "ReleaseNotOwner=3", // DBUS_RELEASE_NAME_REPLY_NOT_OWNER
                    "NameOwner='service'");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldFailAPendingCallWithNoReplyWhenTheCalleeExits(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        try (Clients.Background service = Clients.pythonService(bus, "org.capbus.PyVanishing")) {
            String out = Clients.python(bus, "client.py", "noreply", "org.capbus.PyVanishing").stdout();
            assertThat(out.lines()).containsExactly("NoReply='org.freedesktop.DBus.Error.NoReply'");
            assertThat(service.awaitExit()).isZero();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldPassAUnixFdFromServiceToClient(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        try (Clients.Background service = Clients.pythonService(bus, "org.capbus.PyFd")) {
            String out = Clients.python(bus, "client.py", "fd", "org.capbus.PyFd").stdout();
            assertThat(out.lines()).containsExactly("FdType='UnixFd'", "FdContent='content passed by fd'");
        }
    }
}
