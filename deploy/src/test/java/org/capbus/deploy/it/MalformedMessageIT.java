package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Protocol violations sent over a hand-driven socket: the bus must close exactly that connection, while another raw
 * connection opened before it and new real clients keep working ("a protocol violation closes that connection, and
 * nothing else").
 */
class MalformedMessageIT {
    private static final TestBus.Shared BUSES = new TestBus.Shared();
    private static final Duration CLOSE_BOUND = Duration.ofSeconds(10);

    @AfterAll
    static void stopBuses() {
        BUSES.close();
    }

    /** A well-formed call the offender would send, as a base to break. */
    private static WireMessage.Builder listNames(int serial) {
        return WireMessage.driverCall(serial, "ListNames");
    }

    /** Sends {@code frame} after Hello (unless {@code hello} is false) and asserts only the offender is dropped. */
    private static void assertOnlyOffenderClosed(BusKind kind, boolean hello, byte[] frame) {
        TestBus bus = BUSES.get(kind);
        try (RawConnection bystander = RawConnection.open(bus);
                RawConnection offender = hello ? RawConnection.open(bus) : RawConnection.connect(bus)) {
            offender.send(frame);
            assertThat(offender.awaitClosedByBus(CLOSE_BOUND))
                    .as("[%s] the bus closes the offending connection\n--- bus stderr ---\n%s", kind, bus.stderr())
                    .isTrue();
            assertThat(bus.isAlive()).as("[%s] the bus survives\n%s", kind, bus.stderr()).isTrue();
            WireMessage reply = bystander.callDriver("GetNameOwner", bystander.uniqueName());
            assertThat(reply.type()).isEqualTo(WireMessage.METHOD_RETURN);
            assertThat(reply.firstString()).isEqualTo(bystander.uniqueName());
            ClientResult fresh = Clients.runOk(bus, "dbus-send", "--session", "--print-reply",
                    "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner",
                    "string:" + bystander.uniqueName());
            assertThat(fresh.stdout()).contains("boolean true");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldCloseAConnectionSendingABadEndiannessByte(BusKind kind) {
        byte[] frame = listNames(2).build();
        frame[0] = 'X';
        assertOnlyOffenderClosed(kind, true, frame);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldCloseAConnectionSendingAnUnknownProtocolVersion(BusKind kind) {
        byte[] frame = listNames(2).build();
        frame[3] = 2;
        assertOnlyOffenderClosed(kind, true, frame);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldCloseAConnectionSendingABadSignature(BusKind kind) {
        // "a" is an array with no element type: not a valid signature (the body holds a uint32, as if it were one).
        assertOnlyOffenderClosed(kind, true, WireMessage.driverCall(2, "NameHasOwner").bodyUint32(0).signature("a")
                .build());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldCloseAConnectionClaimingAOneGibibyteBody(BusKind kind) {
        byte[] frame = WireMessage.driverCall(2, "NameHasOwner").bodyString("org.capbus.X").build();
        ByteBuffer.wrap(frame).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 1 << 30);
        // Only the header is sent: the bus must refuse on the declared length, not wait for (or buffer) 1 GiB.
        assertOnlyOffenderClosed(kind, true, frame);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldCloseAConnectionSendingANonUtf8String(BusKind kind) {
        assertOnlyOffenderClosed(kind, true, WireMessage.driverCall(2, "NameHasOwner")
                .bodyString(new byte[] {'o', 'r', 'g', '.', (byte) 0xC3, (byte) 0x28}).build());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldCloseAConnectionSendingANonUtf8HeaderField(BusKind kind) {
        assertOnlyOffenderClosed(kind, true, WireMessage.builder(WireMessage.SIGNAL, 2).path("/org/capbus/Bad")
                .iface("org.capbus.Bad").member("Bad")
                .rawField(WireMessage.FIELD_DESTINATION, 's', new byte[] {':', '1', '.', (byte) 0xFF}).build());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldCloseAConnectionSendingAMethodCallWithoutMember(BusKind kind) {
        assertOnlyOffenderClosed(kind, true, WireMessage.builder(WireMessage.METHOD_CALL, 2).path("/org/freedesktop/DBus")
                .iface("org.freedesktop.DBus").destination("org.freedesktop.DBus").build());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldCloseAConnectionSendingASignalWithoutInterface(BusKind kind) {
        assertOnlyOffenderClosed(kind, true, WireMessage.builder(WireMessage.SIGNAL, 2).path("/org/capbus/Bad")
                .member("Bad").build());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldCloseAConnectionSendingSerialZero(BusKind kind) {
        assertOnlyOffenderClosed(kind, true, listNames(0).build());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldCloseAConnectionSendingASignalBeforeHello(BusKind kind) {
        assertOnlyOffenderClosed(kind, false, WireMessage.builder(WireMessage.SIGNAL, 1).path("/org/capbus/Early")
                .iface("org.capbus.Early").member("TooEarly").build());
    }

    /**
     * dbus-daemon does not disconnect a client whose first call to the driver is not Hello: it answers AccessDenied
     * ("Client tried to send a message other than Hello without being registered", sent to the placeholder
     * destination ":not.active.yet") and still accepts Hello afterwards. capbus copies this.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldRefuseADriverCallBeforeHelloAndStillAcceptHello(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        try (RawConnection early = RawConnection.connect(bus)) {
            int serial = early.nextSerial();
            early.send(listNames(serial).build());
            WireMessage refusal = early.readUntil(m -> m.replySerial() == serial, Await.BOUND);
            assertThat(refusal.type()).isEqualTo(WireMessage.ERROR);
            assertThat(refusal.errorName()).isEqualTo("org.freedesktop.DBus.Error.AccessDenied");
            assertThat(refusal.sender()).isEqualTo("org.freedesktop.DBus");
            assertThat(early.hello()).startsWith(":");
            assertThat(early.callDriver("GetNameOwner", early.uniqueName()).firstString()).isEqualTo(early.uniqueName());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldCloseAConnectionSendingGarbageInsteadOfAuthentication(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        try (RawConnection bystander = RawConnection.open(bus);
                RawConnection offender = RawConnection.connectUnauthenticated(bus)) {
            offender.send("\0AUTH NONSENSE\r\nBEGIN\r\nthis is not a message".getBytes(StandardCharsets.US_ASCII));
            assertThat(offender.awaitClosedByBus(CLOSE_BOUND)).as("[%s] closed within the bound", kind).isTrue();
            assertThat(bystander.callDriver("GetId").type()).isEqualTo(WireMessage.METHOD_RETURN);
        }
    }
}
