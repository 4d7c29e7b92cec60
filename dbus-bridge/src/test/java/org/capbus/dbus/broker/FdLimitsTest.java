package org.capbus.dbus.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;

import org.capbus.dbus.DBusErrors;
import org.capbus.dbus.broker.TestClient.Received;
import org.capbus.dbus.wire.MessageBuilder;
import org.capbus.dbus.wire.MessageFlag;
import org.capbus.dbus.wire.MessageType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The descriptor limits of dbus-daemon's configuration, seen from inside the bus: {@code pending_fd_timeout} (a timer
 * on the loop while descriptors wait for the rest of their message), {@code max_incoming_unix_fds} (reading from a
 * sender stops while the bus holds that many of its descriptors) and {@code max_outgoing_unix_fds} (dbus-daemon's
 * full-queue error). The integration test {@code FdLimitsIT} checks the same against dbus-daemon with real sockets.
 */
class FdLimitsTest {
    private TestBus bus;

    @AfterEach
    void closeBus() {
        if (bus != null) {
            bus.close();
        }
    }

    /** A call to {@code to} carrying one descriptor. */
    private static MessageBuilder take(TestClient to) {
        return MessageBuilder.methodCall(to.uniqueName, "/", "org.capbus.Fds", "Take").unixFd(0).unixFds(1);
    }

    /** Sends descriptor {@code fd} with the first {@code n} bytes of {@code message} only. */
    private static void sendStart(TestClient c, byte[] message, int fd, int n) {
        c.handler.onFds(new int[] {fd}, 1);
        c.handler.onData(ByteBuffer.wrap(message, 0, n));
    }

    private static void assertAnswered(TestClient c) {
        assertThat(c.replyTo(c.callDriver("GetId")).type()).isEqualTo(MessageType.METHOD_RETURN);
    }

    @Test
    void shouldCloseAConnectionWhoseDescriptorsWaitLongerThanPendingFdTimeout() {
        bus = new TestBus("<limit name=\"pending_fd_timeout\">1000</limit>");
        TestClient a = bus.connect();
        TestClient b = bus.connect();

        sendStart(a, take(b).build(10), 71, 20);
        assertThat(bus.loop.timerDelaysMillis()).containsExactly(1000L);
        bus.loop.runTimers();

        assertThat(a.transport.closed).isTrue();
        assertThat(bus.closedFds).contains(71);
        assertAnswered(b);
    }

    @Test
    void shouldDropTheTimerOnceTheMessageIsComplete() {
        bus = new TestBus("<limit name=\"pending_fd_timeout\">1000</limit>");
        TestClient a = bus.connect();
        TestClient b = bus.connect();
        byte[] message = take(b).build(10);

        sendStart(a, message, 72, 20);
        a.handler.onData(ByteBuffer.wrap(message, 20, message.length - 20));

        assertThat(bus.loop.timerDelaysMillis()).isEmpty();
        bus.loop.runTimers();
        assertThat(a.transport.closed).isFalse();
        Received got = b.received().getLast();
        assertThat(got.member()).isEqualTo("Take");
        assertThat(got.fds()).containsExactly(72);
    }

    @Test
    void shouldNotArmTheTimerForDescriptorsThatArriveWithTheirWholeMessage() {
        bus = new TestBus("<limit name=\"pending_fd_timeout\">1000</limit>");
        TestClient a = bus.connect();
        TestClient b = bus.connect();

        a.send(take(b), new int[] {73});

        assertThat(bus.loop.timerDelaysMillis()).isEmpty();
        assertThat(b.received().getLast().fds()).containsExactly(73);
    }

    @Test
    void shouldTakeTheTimeoutConfiguredWhenDescriptorsStartToWait() {
        bus = new TestBus("<limit name=\"pending_fd_timeout\">600000</limit>");
        TestClient a = bus.connect();
        TestClient early = bus.connect();
        TestClient b = bus.connect();
        sendStart(early, take(b).build(10), 74, 20);

        bus.nextConfig = bus.config("<limit name=\"pending_fd_timeout\">1000</limit>");
        long reload = a.callDriver("ReloadConfig");
        bus.loop.runTasks();
        assertThat(a.replyTo(reload).type()).isEqualTo(MessageType.METHOD_RETURN);
        sendStart(a, take(b).build(10), 75, 20);

        // As dbus-daemon: a wait that began before the reload keeps its deadline; the next one takes the new value.
        assertThat(bus.loop.timerDelaysMillis()).containsExactly(600000L, 1000L);
    }

    @Test
    void shouldStopReadingASenderWhoseHeldDescriptorsReachMaxIncomingUnixFds() {
        bus = new TestBus("<limit name=\"max_incoming_unix_fds\">3</limit>");
        TestClient a = bus.connect();
        TestClient b = bus.connect();
        b.transport.writable = false; // b does not read: what is sent to it stays in the bus

        a.send(take(b).flags(MessageFlag.NO_REPLY_EXPECTED), new int[] {81});
        a.send(take(b).flags(MessageFlag.NO_REPLY_EXPECTED), new int[] {82});
        assertThat(a.transport.readingPaused).isFalse();
        a.send(take(b).flags(MessageFlag.NO_REPLY_EXPECTED), new int[] {83});
        assertThat(a.transport.readingPaused).as("3 of its descriptors held").isTrue();

        b.transport.writable = true;
        b.handler.onWritable();
        assertThat(a.transport.readingPaused).as("its messages were written: the bus holds none").isFalse();
        assertThat(b.received()).extracting(Received::fds).containsExactly(new int[] {81}, new int[] {82},
                new int[] {83});
    }

    @Test
    void shouldNotCountDescriptorsTheBusRefused() {
        bus = new TestBus("<limit name=\"max_incoming_unix_fds\">2</limit>");
        TestClient a = bus.connect();

        for (int i = 0; i < 4; i++) {
            long serial = a.send(MessageBuilder.methodCall("org.capbus.Nobody", "/", "org.capbus.Fds", "Take")
                    .flags(MessageFlag.NO_AUTO_START).unixFd(0).unixFds(1), new int[] {90 + i});
            assertThat(a.replyTo(serial).errorName()).isEqualTo(DBusErrors.NAME_HAS_NO_OWNER);
        }

        assertThat(a.transport.readingPaused).isFalse();
        assertThat(bus.closedFds).contains(90, 91, 92, 93);
    }

    @Test
    void shouldRefuseWithDbusDaemonsFullQueueTextOverMaxOutgoingUnixFds() {
        bus = new TestBus("<limit name=\"max_outgoing_unix_fds\">2</limit>");
        TestClient a = bus.connect();
        TestClient b = bus.connect();
        b.transport.writable = false;

        Received error = null;
        for (int i = 0; i < 4 && error == null; i++) {
            long serial = a.send(take(b), new int[] {100 + i});
            for (Received r : a.received()) {
                if (r.type() == MessageType.ERROR && r.message().replySerial() == serial) {
                    error = r;
                }
            }
        }

        assertThat(error).isNotNull();
        assertThat(error.errorName()).isEqualTo(DBusErrors.LIMITS_EXCEEDED);
        assertThat(error.arg0()).startsWith("Rejected: destination has a full message queue, 0 matched rules;"
                + " type=\"method_call\", sender=\"" + a.uniqueName + "\" (uid=1000 ")
                .contains(") interface=\"org.capbus.Fds\" member=\"Take\" error name=\"(unset)\" requested_reply=\"0\""
                        + " destination=\"" + b.uniqueName + "\" (uid=1000 ")
                .endsWith(") (unix fds quota)");
    }
}
