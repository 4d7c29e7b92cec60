package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Small differences from the reference buses found by adversarial testing: a body's unix-fd index at or above
 * UNIX_FDS is delivered, header field 10 (dbus-daemon's CONTAINER_INSTANCE) must be an object path and is not
 * forwarded, and {@code UpdateActivationEnvironment} is refused to other users and bounded.
 */
class ProtocolLimitsIT {
    private static final TestBus.Shared BUSES = new TestBus.Shared(TestBus.configurationWithLimits(""));

    @AfterAll
    static void stopBuses() {
        BUSES.close();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldDeliverAUnixFdIndexAtOrAboveUnixFds(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        try (RawConnection c = RawConnection.open(bus)) {
            int serial = c.nextSerial();
            // A method call to itself, no reply expected, body "h" = 5 with no descriptors at all.
            c.send(WireMessage.builder(WireMessage.METHOD_CALL, serial).flags(1).path("/x").iface("org.capbus.T")
                    .member("M").destination(c.uniqueName()).bodyUint32(5).signature("h").build());
            WireMessage got = c.readUntil(m -> m.serial() == serial && "M".equals(m.member()), Await.BOUND);
            assertThat(got.signature()).isEqualTo("h");
            Innocents.assertAnswered(bus, c);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldCloseAConnectionSettingHeaderFieldTenToAString(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        try (RawConnection offender = RawConnection.open(bus)) {
            offender.send(WireMessage.driverCall(offender.nextSerial(), "GetId")
                    .rawField(10, 's', "/".getBytes(StandardCharsets.US_ASCII)).build());
            assertThat(offender.awaitClosedByBus(Duration.ofSeconds(10))).as("[%s] closed", kind).isTrue();
        }
        Innocents.assertAnswered(bus);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldAcceptHeaderFieldTenAsAnObjectPathAndNotForwardIt(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        try (RawConnection c = RawConnection.open(bus)) {
            int serial = c.nextSerial();
            c.send(WireMessage.builder(WireMessage.METHOD_CALL, serial).flags(1).path("/x").iface("org.capbus.T")
                    .member("M").destination(c.uniqueName())
                    .rawField(10, 'o', "/c".getBytes(StandardCharsets.US_ASCII)).build());
            WireMessage got = c.readUntil(m -> m.serial() == serial && "M".equals(m.member()), Await.BOUND);
            assertThat(got.fieldCodes()).doesNotContain(10);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldRefuseUpdateActivationEnvironmentToAnotherUser(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        ClientResult r = Clients.run(bus.clientEnvironment(), Clients.CLIENT_BOUND, List.of("setpriv",
                "--reuid=" + Innocents.OTHER_UID, "--regid=" + Innocents.OTHER_UID, "--clear-groups", "dbus-send",
                "--bus=" + bus.address(), "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                "org.freedesktop.DBus.UpdateActivationEnvironment", "dict:string:string:CAPBUS_TEST,1"));
        assertThat(r.exitCode()).as(r.describe()).isNotZero();
        assertThat(r.stderr()).as(r.describe()).contains("org.freedesktop.DBus.Error.AccessDenied");
    }

    /** capbus only: dbus-daemon keeps whatever it is sent. */
    @Test
    void shouldBoundTheActivationEnvironment() {
        TestBus bus = BUSES.get(BusKind.CAPBUS);
        String script = """
                import dbus, sys
                bus = dbus.bus.BusConnection(sys.argv[1])
                driver = bus.get_object('org.freedesktop.DBus', '/org/freedesktop/DBus')
                for i in range(64):
                    try:
                        driver.UpdateActivationEnvironment({'CAPBUS_BIG_%d' % i: 'x' * 100000},
                                                           dbus_interface='org.freedesktop.DBus')
                    except dbus.DBusException as e:
                        print(i, e.get_dbus_name())
                        break
                driver.GetId(dbus_interface='org.freedesktop.DBus')
                print('answered')
                """;
        ClientResult r = Clients.run(bus.clientEnvironment(), Clients.CLIENT_BOUND,
                List.of(Clients.PYTHON, "-c", script, bus.address()));
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout()).as(r.describe()).contains("org.freedesktop.DBus.Error.LimitsExceeded")
                .contains("answered");
    }
}
