package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Monitors as dbus-daemon runs them (issue 8): BecomeMonitor takes every name the connection owned (NameLost for
 * each, unique name first, NameOwnerChanged in the same order) and any message it sends afterwards disconnects it;
 * a monitor sees a call the policy refuses and then the AccessDenied sent back; a rule naming a unique-name
 * destination selects unicast messages to it; a message that breaks the protocol is shown before its sender is
 * dropped. The first three are compat.py's "monitor-names" and "monitor-denied", the last uses raw frames.
 */
class MonitorCompatIT {

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldTakeEveryNameAndDropAMonitorThatSends(BusKind kind) {
        try (TestBus bus = TestBus.start(kind)) {
            String out = Clients.python(bus, "compat.py", "monitor-names").stdout();
            // The monitor sees its names go, then, as a monitor, the observer's AddMatch and its reply and signal.
            assertThat(out.lines()).as("[%s]\n%s", kind, out).containsExactly(
                    "become OK",
                    "monitor signal NameLost :MONITOR",
                    "monitor signal NameLost org.capbus.A",
                    "monitor signal NameLost org.capbus.B",
                    "monitor call AddMatch type='signal',interface='org.capbus.Settle',member='After'",
                    "monitor return None ",
                    "monitor signal After ",
                    "observer signal NameOwnerChanged :MONITOR",
                    "observer signal NameOwnerChanged org.capbus.A",
                    "observer signal NameOwnerChanged org.capbus.B",
                    "connected-after-sending False");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldShowARefusedCallThenItsErrorAndUnicastToAWatchedUniqueName(BusKind kind) {
        String config = TestBus.configuration(false)
                .replace("</policy>", "    <deny send_destination=\"org.capbus.Denied\"/>\n  </policy>");
        try (TestBus bus = TestBus.startWithConfiguration(kind, config)) {
            String out = Clients.python(bus, "compat.py", "monitor-denied").stdout();
            assertThat(out.lines()).as("[%s]\n%s", kind, out).containsExactly(
                    "become OK",
                    "call org.freedesktop.DBus.Error.AccessDenied",
                    "monitor call Refused",
                    "monitor error org.freedesktop.DBus.Error.AccessDenied",
                    "monitor call ToUnique",
                    "monitor call Last");
        }
    }

    /**
     * A message other than Hello from a connection that has not said Hello breaks the protocol: both buses show it to
     * monitors, with the sender {@code :not.active.yet}, and then close its sender.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldShowAViolatingMessageBeforeDroppingItsSender(BusKind kind) {
        try (TestBus bus = TestBus.start(kind);
             RawConnection monitor = RawConnection.open(bus);
             RawConnection offender = RawConnection.connect(bus)) {
            int become = monitor.nextSerial();
            // BecomeMonitor(as rules = [], u flags = 0): an empty array's length, then the flags.
            monitor.send(WireMessage.builder(WireMessage.METHOD_CALL, become).path("/org/freedesktop/DBus")
                    .iface("org.freedesktop.DBus.Monitoring").member("BecomeMonitor")
                    .destination("org.freedesktop.DBus").bodyUint32(0).bodyUint32(0).signature("asu").build());
            WireMessage reply = monitor.readUntil(m -> m.replySerial() == become, Await.BOUND);
            assertThat(reply.type()).as("[%s] %s", kind, reply).isEqualTo(WireMessage.METHOD_RETURN);
            offender.send(WireMessage.builder(WireMessage.SIGNAL, offender.nextSerial()).path("/capbus/it")
                    .iface("org.capbus.Test").member("BeforeHello").build());
            WireMessage seen = monitor.readUntil(m -> "BeforeHello".equals(m.member()), Await.BOUND);
            assertThat(seen.sender()).as("[%s]", kind).isEqualTo(":not.active.yet");
            assertThat(offender.awaitClosedByBus(Duration.ofSeconds(10))).as("[%s] offender closed", kind).isTrue();
        }
    }
}
