package org.capbus.dbus.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.capbus.dbus.DBusErrors;
import org.capbus.dbus.broker.TestClient.Received;
import org.capbus.dbus.wire.DBusNames;
import org.capbus.dbus.wire.MessageBuilder;
import org.capbus.dbus.wire.MessageType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Routing, with the whole bus built in the test's process over fake transports ({@link TestBus}): calls and replies,
 * broadcasts through match rules, policy and quota refusals with the error the sender gets, monitor copies, what a
 * departure causes, and descriptors. No process, no socket, no thread, no sleep.
 */
class RoutingTest {
    private TestBus bus;

    @AfterEach
    void close() {
        if (bus != null) {
            bus.close();
        }
    }

    private static MessageBuilder call(TestClient to, String member) {
        return MessageBuilder.methodCall(to.uniqueName, "/org/capbus/Test", "org.capbus.Test", member);
    }

    private static MessageBuilder signal(String iface, String member) {
        return MessageBuilder.signal("/org/capbus/Test", iface, member);
    }

    @Test
    void shouldDeliverACallToAWellKnownNameAndTheReplyToTheCaller() {
        bus = new TestBus();
        TestClient a = bus.connect();
        TestClient b = bus.connect();
        assertThat(b.requestName("org.capbus.B", 0)).isEqualTo(1);
        b.received();

        long serial = a.call(MessageBuilder.methodCall("org.capbus.B", "/", "org.capbus.Test", "Ping").string("hi"));
        List<Received> atB = b.received();
        assertThat(atB).hasSize(1);
        Received c = atB.getFirst();
        assertThat(c.member()).isEqualTo("Ping");
        assertThat(c.message().sender()).as("the sender field the bus sets").isEqualTo(a.uniqueName);
        assertThat(c.arg0()).isEqualTo("hi");

        b.call(MessageBuilder.methodReturn(c.message().serial(), a.uniqueName).string("pong"));
        Received reply = a.replyTo(serial);
        assertThat(reply.type()).isEqualTo(MessageType.METHOD_RETURN);
        assertThat(reply.message().sender()).isEqualTo(b.uniqueName);
        assertThat(reply.arg0()).isEqualTo("pong");
    }

    @Test
    void shouldRefuseAReplyNobodyAskedForAndTellItsSender() {
        bus = new TestBus();
        TestClient a = bus.connect();
        TestClient b = bus.connect();
        a.received();

        long serial = b.call(MessageBuilder.methodReturn(999, a.uniqueName));
        Received error = b.replyTo(serial);
        assertThat(error.errorName()).isEqualTo(DBusErrors.ACCESS_DENIED);
        assertThat(error.arg0()).contains("method_return with reply_serial 999 from " + b.uniqueName + " to "
                + a.uniqueName).contains("requested_reply=0");
        assertThat(a.received()).isEmpty();
        assertThat(bus.bus.stats().unexpectedReplies()).isEqualTo(1);
    }

    @Test
    void shouldAcceptOneReplyPerCallOnly() {
        bus = new TestBus();
        TestClient a = bus.connect();
        TestClient b = bus.connect();
        long serial = a.call(call(b, "Once"));
        long callSerial = b.received().getLast().message().serial();
        b.call(MessageBuilder.methodReturn(callSerial, a.uniqueName));
        long second = b.call(MessageBuilder.methodReturn(callSerial, a.uniqueName));

        assertThat(a.replyTo(serial).type()).isEqualTo(MessageType.METHOD_RETURN);
        assertThat(a.received()).as("the second reply").isEmpty();
        assertThat(b.replyTo(second).errorName()).isEqualTo(DBusErrors.ACCESS_DENIED);
    }

    @Test
    void shouldBroadcastASignalToTheConnectionsWhoseRulesSelectIt() {
        bus = new TestBus();
        TestClient sender = bus.connect();
        TestClient watcher = bus.connect();
        TestClient other = bus.connect();
        watcher.addMatch("type='signal',interface='org.capbus.Watched'");
        other.addMatch("type='signal',interface='org.capbus.Other'");
        watcher.received();
        other.received();

        sender.call(signal("org.capbus.Watched", "Changed").string("x"));
        sender.call(signal("org.capbus.Unwatched", "Changed"));

        List<Received> got = watcher.received();
        assertThat(got).extracting(r -> r.message().interfaceName()).containsExactly("org.capbus.Watched");
        assertThat(got.getFirst().message().sender()).isEqualTo(sender.uniqueName);
        assertThat(other.received()).isEmpty();
        assertThat(sender.received()).as("a sender without rules gets none of its own signals").isEmpty();
    }

    @Test
    void shouldMatchTheBussOwnSignalsWithoutParsingThem() {
        bus = new TestBus();
        TestClient watcher = bus.connect();
        watcher.addMatch("type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',"
                + "arg0='org.capbus.Watched'");
        watcher.received();
        TestClient owner = bus.connect();
        owner.requestName("org.capbus.Other", 0);
        owner.requestName("org.capbus.Watched", 0);

        List<Received> got = watcher.received();
        assertThat(got).hasSize(1);
        assertThat(got.getFirst().message().sender()).isEqualTo(DBusNames.DRIVER_NAME);
        assertThat(got.getFirst().arg0()).isEqualTo("org.capbus.Watched");
        assertThat(got.getFirst().message().stringArg(2)).isEqualTo(owner.uniqueName);
    }

    @Test
    void shouldDenyACallThePolicyForbidsAndSayWhichRule() {
        bus = new TestBus("""
                <policy context="default">
                  <deny send_interface="org.capbus.Denied"/>
                </policy>
                """);
        TestClient a = bus.connect();
        TestClient b = bus.connect();
        b.received();

        long serial = a.call(MessageBuilder.methodCall(b.uniqueName, "/", "org.capbus.Denied", "Do"));
        Received error = a.replyTo(serial);
        assertThat(error.errorName()).isEqualTo(DBusErrors.ACCESS_DENIED);
        assertThat(error.arg0()).startsWith("Rejected send message").contains("interface=\"org.capbus.Denied\"")
                .contains("member=\"Do\"");
        assertThat(b.received()).isEmpty();
        long allowed = a.call(call(b, "Do"));
        assertThat(b.received()).hasSize(1);
        assertThat(a.received()).as("no error for %d", allowed).isEmpty();
    }

    @Test
    void shouldRefuseACallBeyondThePendingRepliesQuota() {
        bus = new TestBus("<limit name=\"max_replies_per_connection\">2</limit>");
        TestClient a = bus.connect();
        TestClient b = bus.connect();
        a.call(call(b, "One"));
        a.call(call(b, "Two"));
        long third = a.call(call(b, "Three"));

        Received error = a.replyTo(third);
        assertThat(error.errorName()).isEqualTo(DBusErrors.LIMITS_EXCEEDED);
        assertThat(error.arg0()).isEqualTo("The maximum number of pending replies for \"" + a.uniqueName
                + "\" has been reached");
        assertThat(b.received()).extracting(Received::member).contains("One", "Two").doesNotContain("Three");
    }

    @Test
    void shouldTellTheSenderWhichBudgetOfTheReceiverRanOut() {
        bus = new TestBus("<limit name=\"max_message_unix_fds\">100</limit>");
        TestClient a = bus.connect();
        TestClient b = bus.connect();
        int[] fds = new int[65]; // max_outgoing_unix_fds is 64 on a session bus
        for (int i = 0; i < fds.length; i++) {
            fds[i] = 3000 + i;
        }

        long serial = a.send(call(b, "TakeMany").unixFds(fds.length), fds);

        Received error = a.replyTo(serial);
        assertThat(error.errorName()).isEqualTo(DBusErrors.LIMITS_EXCEEDED);
        assertThat(error.arg0()).contains(b.uniqueName).contains("unix fds quota");
        assertThat(bus.closedFds).hasSize(fds.length);
    }

    @Test
    void shouldRefuseACallWhenTheReceiversQueueIsFullAndSaySo() {
        bus = new TestBus("<limit name=\"max_outgoing_bytes\">4096</limit>");
        TestClient a = bus.connect();
        TestClient b = bus.connect();
        b.received();
        b.transport.writable = false; // b stops reading: what is sent to it stays queued in the core
        String kilobyte = "x".repeat(1000);

        long refused = -1;
        for (int i = 0; i < 10 && refused < 0; i++) {
            long serial = a.call(call(b, "Fill").string(kilobyte));
            for (Received r : a.received()) {
                if (r.type() == MessageType.ERROR && r.message().replySerial() == serial) {
                    assertThat(r.errorName()).isEqualTo(DBusErrors.LIMITS_EXCEEDED);
                    assertThat(r.arg0()).contains(b.uniqueName).contains("bytes quota");
                    refused = i;
                }
            }
        }
        assertThat(refused).as("calls queued before the refusal").isBetween(1L, 4L);
        b.transport.writable = true;
        b.handler.onWritable();
        assertThat(b.received()).hasSize((int) refused);
    }

    @Test
    void shouldCopyCallsRepliesAndTheDriversAnswersToAMonitor() {
        bus = new TestBus();
        TestClient a = bus.connect();
        TestClient b = bus.connect();
        TestClient monitor = bus.connect();
        String monitorName = monitor.uniqueName;
        long become = monitor.call(MessageBuilder.methodCall(DBusNames.DRIVER_NAME, DBusNames.DRIVER_PATH,
                "org.freedesktop.DBus.Monitoring", "BecomeMonitor").beginArray("s").endArray().uint32(0));
        assertThat(monitor.replyTo(become).type()).isEqualTo(MessageType.METHOD_RETURN);
        assertThat(monitor.received()).extracting(Received::member, Received::arg0)
                .contains(org.assertj.core.groups.Tuple.tuple("NameLost", monitorName));

        long serial = a.call(call(b, "Watched"));
        long callSerial = b.received().getLast().message().serial();
        b.call(MessageBuilder.methodReturn(callSerial, a.uniqueName));
        a.replyTo(serial);
        long match = a.callDriver("AddMatch", "type='signal'");

        List<Received> seen = monitor.received();
        assertThat(seen).extracting(Received::type, r -> r.message().sender(), r -> r.message().destination())
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(MessageType.METHOD_CALL, a.uniqueName, b.uniqueName),
                        org.assertj.core.groups.Tuple.tuple(MessageType.METHOD_RETURN, b.uniqueName, a.uniqueName),
                        org.assertj.core.groups.Tuple.tuple(MessageType.METHOD_CALL, a.uniqueName,
                                DBusNames.DRIVER_NAME),
                        org.assertj.core.groups.Tuple.tuple(MessageType.METHOD_RETURN, DBusNames.DRIVER_NAME,
                                a.uniqueName));
        assertThat(seen.getLast().message().replySerial()).isEqualTo(match);
    }

    @Test
    void shouldOweNoReplyAndPassTheNamesOnWhenTheCalleeLeaves() {
        bus = new TestBus();
        TestClient a = bus.connect();
        TestClient b = bus.connect();
        TestClient c = bus.connect();
        assertThat(b.requestName("org.capbus.Service", 0)).isEqualTo(1);
        assertThat(c.requestName("org.capbus.Service", 0)).as("queued").isEqualTo(2);
        a.addMatch("type='signal',member='NameOwnerChanged'");
        long pending = a.call(MessageBuilder.methodCall("org.capbus.Service", "/", "org.capbus.Test", "Slow"));
        a.received();
        c.received();
        String leaving = b.uniqueName;

        b.hangUp();

        List<Received> atA = a.received();
        assertThat(atA).extracting(Received::type, Received::errorName, Received::arg0).containsExactly(
                org.assertj.core.groups.Tuple.tuple(MessageType.ERROR, DBusErrors.NO_REPLY,
                        "Message recipient disconnected from message bus without replying"),
                org.assertj.core.groups.Tuple.tuple(MessageType.SIGNAL, null, "org.capbus.Service"),
                org.assertj.core.groups.Tuple.tuple(MessageType.SIGNAL, null, leaving));
        assertThat(atA.getFirst().message().replySerial()).isEqualTo(pending);
        assertThat(atA.get(1).message().stringArg(1)).isEqualTo(leaving);
        assertThat(atA.get(1).message().stringArg(2)).isEqualTo(c.uniqueName);
        assertThat(atA.get(2).message().stringArg(2)).isEmpty();
        assertThat(c.received()).extracting(Received::member, Received::arg0)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("NameAcquired", "org.capbus.Service"));
        assertThat(bus.bus.state().resolve(leaving)).isNull();
        assertThat(bus.bus.state().replies().size()).isZero();
    }

    @Test
    void shouldPassDescriptorsAndCloseTheBussCopiesOnceWritten() {
        bus = new TestBus();
        TestClient a = bus.connect();
        TestClient b = bus.connect();
        b.received();

        a.send(call(b, "Take").unixFd(0).unixFd(1).unixFds(2), new int[] {41, 42});

        List<Received> got = b.received();
        assertThat(got).hasSize(1);
        assertThat(got.getFirst().fds()).containsExactly(41, 42);
        assertThat(got.getFirst().message().unixFds()).isEqualTo(2);
        assertThat(bus.closedFds).as("the transport duplicated them; the bus closes its own").contains(41, 42);
    }

    @Test
    void shouldRefuseDescriptorsToAReceiverThatDidNotNegotiateThem() {
        bus = new TestBus();
        TestClient a = bus.connect();
        TestClient b = bus.connectUnregistered(TestBus.UID, false);
        b.hello();
        b.received();

        long serial = a.send(call(b, "Take").unixFd(0).unixFds(1), new int[] {51});

        Received error = a.replyTo(serial);
        assertThat(error.errorName()).isEqualTo(DBusErrors.NOT_SUPPORTED);
        assertThat(b.received()).isEmpty();
        assertThat(bus.closedFds).contains(51);
    }

    @Test
    void shouldRefuseToItsSenderACallWithMoreDescriptorsThanOneWriteCanPass() {
        bus = new TestBus("<limit name=\"max_message_unix_fds\">1024</limit>"
                + "<limit name=\"max_outgoing_unix_fds\">4096</limit>");
        TestClient a = bus.connect();
        TestClient b = bus.connect();
        int[] fds = new int[FakeTransport.MAX_FDS_PER_WRITE + 1];
        for (int i = 0; i < fds.length; i++) {
            fds[i] = 1000 + i;
        }

        long serial = a.send(call(b, "TakeMany").unixFds(fds.length), fds);

        Received error = a.replyTo(serial);
        assertThat(error.errorName()).isEqualTo(DBusErrors.LIMITS_EXCEEDED);
        assertThat(error.arg0()).contains(Integer.toString(fds.length)).contains("253");
        assertThat(b.received()).as("nothing half-delivered").isEmpty();
        assertThat(bus.closedFds).hasSize(fds.length);
    }

    @Test
    void shouldPassAsManyDescriptorsAsOneWriteCan() {
        bus = new TestBus("<limit name=\"max_message_unix_fds\">1024</limit>"
                + "<limit name=\"max_outgoing_unix_fds\">4096</limit>");
        TestClient a = bus.connect();
        TestClient b = bus.connect();
        int[] fds = new int[FakeTransport.MAX_FDS_PER_WRITE];
        for (int i = 0; i < fds.length; i++) {
            fds[i] = 2000 + i;
        }

        a.send(call(b, "TakeMany").unixFds(fds.length), fds);

        List<Received> got = b.received();
        assertThat(got).hasSize(1);
        assertThat(got.getFirst().fds()).containsExactly(fds);
    }
}
