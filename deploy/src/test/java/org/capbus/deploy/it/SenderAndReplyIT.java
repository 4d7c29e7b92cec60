package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * No spoofing: the bus stamps every message with the sender's real unique name, and lets a reply through only if it
 * answers a call the receiver actually made, exactly once; ordering of concurrent broadcasts. Observed on hand-driven
 * connections: after each probe the sender sends a sentinel signal to the same receiver, and since the bus keeps the
 * order of one sender's messages, anything the probe produced arrives before the sentinel.
 */
class SenderAndReplyIT {
    private static final TestBus.Shared BUSES = new TestBus.Shared();

    @AfterAll
    static void stopBuses() {
        BUSES.close();
    }

    /** Sends the sentinel from {@code from} to {@code to} and returns what {@code to} received up to it (excluded). */
    private static List<WireMessage> receivedBeforeSentinel(RawConnection from, RawConnection to) {
        from.send(WireMessage.builder(WireMessage.SIGNAL, from.nextSerial()).path("/org/capbus/Sentinel")
                .iface("org.capbus.Sentinel").member("Sentinel").destination(to.uniqueName()).build());
        List<WireMessage> seen = new ArrayList<>();
        while (true) {
            WireMessage message = to.read(Await.BOUND);
            if ("Sentinel".equals(message.member())) {
                return seen;
            }
            seen.add(message);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldReplaceAForgedSenderWithTheRealUniqueName(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        try (RawConnection forger = RawConnection.open(bus); RawConnection receiver = RawConnection.open(bus)) {
            for (String forged : List.of("org.freedesktop.DBus", receiver.uniqueName(), ":1.99999")) {
                forger.send(WireMessage.builder(WireMessage.SIGNAL, forger.nextSerial()).path("/org/capbus/Forged")
                        .iface("org.capbus.Forged").member("Forged").destination(receiver.uniqueName()).sender(forged)
                        .build());
                WireMessage received = receiver.readUntil(m -> "Forged".equals(m.member()), Await.BOUND);
                assertThat(received.sender()).as("[%s] sender of a message claiming %s", kind, forged)
                        .isEqualTo(forger.uniqueName());
            }
        }
    }

    /**
     * HeaderFiltering (both buses list it in Features): header fields the specification does not define are not
     * forwarded, so a receiver can trust fields that only the bus may set.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldNotForwardUnknownHeaderFields(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        try (RawConnection sender = RawConnection.open(bus); RawConnection receiver = RawConnection.open(bus)) {
            sender.send(WireMessage.builder(WireMessage.SIGNAL, sender.nextSerial()).path("/org/capbus/Filtered")
                    .iface("org.capbus.Filtered").member("Filtered").destination(receiver.uniqueName())
                    .rawField(42, 's', "made up".getBytes(java.nio.charset.StandardCharsets.UTF_8)).build());
            WireMessage received = receiver.readUntil(m -> "Filtered".equals(m.member()), Await.BOUND);
            assertThat(received.fieldCodes()).as("[%s] header fields forwarded", kind).doesNotContain(42)
                    .contains(1, 2, 3, 6, 7);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldStampTheRealSenderSeenByAPythonReceiver(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        try (Clients.Background service = Clients.start(bus, Clients.PYTHON, Clients.resource("service.py"),
                "org.capbus.WhoAsks");
                RawConnection caller = RawConnection.open(bus)) {
            service.awaitStdout("READY");
            int serial = caller.nextSerial();
            caller.send(WireMessage.builder(WireMessage.METHOD_CALL, serial).path("/org/capbus/Test")
                    .iface("org.capbus.Test").member("WhoAmI").destination("org.capbus.WhoAsks")
                    .sender("org.freedesktop.DBus").build());
            WireMessage reply = caller.readUntil(m -> m.replySerial() == serial, Await.BOUND);
            assertThat(reply.type()).isEqualTo(WireMessage.METHOD_RETURN);
            assertThat(reply.firstString()).isEqualTo(caller.uniqueName());
        }
    }

    /**
     * A METHOD_RETURN or ERROR that answers no call of the receiver is dropped. dbus-daemon decides this in its policy
     * check: an {@code <allow send_destination="*"/>} rule does not cover unrequested replies (its message reads
     * "Rejected send message, 0 matched rules; type="method_return" ... requested_reply="0""), and it answers the
     * intruder with AccessDenied. dbus-broker drops such replies too.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldNotDeliverAnUnrequestedReply(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        try (RawConnection intruder = RawConnection.open(bus); RawConnection victim = RawConnection.open(bus)) {
            int returnSerial = intruder.nextSerial();
            intruder.send(WireMessage.builder(WireMessage.METHOD_RETURN, returnSerial).replySerial(4242)
                    .destination(victim.uniqueName()).bodyString("unrequested").build());
            int errorSerial = intruder.nextSerial();
            intruder.send(WireMessage.builder(WireMessage.ERROR, errorSerial).replySerial(4243)
                    .errorName("org.capbus.Error.Unrequested").destination(victim.uniqueName()).build());
            List<Integer> delivered = receivedBeforeSentinel(intruder, victim).stream().map(WireMessage::replySerial)
                    .filter(replySerial -> replySerial != 0).toList();
            assertThat(delivered).as("[%s] unrequested replies delivered", kind).isEmpty();
            // dbus-daemon tells the intruder: an AccessDenied error in reply to each reply it dropped.
            for (int dropped : List.of(returnSerial, errorSerial)) {
                WireMessage refusal = intruder.readUntil(m -> m.replySerial() == dropped, Await.BOUND);
                assertThat(refusal.type()).isEqualTo(WireMessage.ERROR);
                assertThat(refusal.errorName()).isEqualTo("org.freedesktop.DBus.Error.AccessDenied");
                assertThat(refusal.sender()).isEqualTo("org.freedesktop.DBus");
            }
        }
    }

    /** A connection may call itself through the bus; its reply to itself is an expected reply. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldDeliverTheReplyToACallAConnectionMadeToItself(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        try (RawConnection self = RawConnection.open(bus)) {
            int serial = self.nextSerial();
            self.send(WireMessage.builder(WireMessage.METHOD_CALL, serial).path("/org/capbus/Self")
                    .iface("org.capbus.Self").member("Loop").destination(self.uniqueName()).build());
            WireMessage call = self.readUntil(m -> "Loop".equals(m.member()), Await.BOUND);
            assertThat(call.sender()).isEqualTo(self.uniqueName());
            self.send(WireMessage.builder(WireMessage.METHOD_RETURN, self.nextSerial()).replySerial(serial)
                    .destination(self.uniqueName()).bodyString("looped").build());
            WireMessage reply = self.readUntil(m -> m.replySerial() == serial, Await.BOUND);
            assertThat(reply.type()).as("[%s] reply to a call to itself", kind).isEqualTo(WireMessage.METHOD_RETURN);
            assertThat(reply.firstString()).isEqualTo("looped");
        }
    }

    /** A call is answered at most once: a second reply to it is an unrequested reply. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldDeliverAReplyExactlyOnce(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        try (RawConnection caller = RawConnection.open(bus); RawConnection callee = RawConnection.open(bus)) {
            int serial = caller.nextSerial();
            caller.send(WireMessage.builder(WireMessage.METHOD_CALL, serial).path("/org/capbus/Callee")
                    .iface("org.capbus.Callee").member("Ask").destination(callee.uniqueName()).build());
            WireMessage call = callee.readUntil(m -> "Ask".equals(m.member()), Await.BOUND);
            assertThat(call.sender()).isEqualTo(caller.uniqueName());
            for (String answer : List.of("first", "second")) {
                callee.send(WireMessage.builder(WireMessage.METHOD_RETURN, callee.nextSerial()).replySerial(serial)
                        .destination(caller.uniqueName()).bodyString(answer).build());
            }
            List<String> replies = receivedBeforeSentinel(callee, caller).stream()
                    .filter(m -> m.replySerial() == serial).map(WireMessage::firstString).toList();
            assertThat(replies).as("[%s] replies to one call", kind).containsExactly("first");
        }
    }

    /**
     * Ordering: two senders broadcast concurrently; two receivers with the same match rule see the very same sequence
     * (the bus behaves as if every message were globally ordered).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldDeliverConcurrentBroadcastsInTheSameOrderToEveryReceiver(BusKind kind) throws Exception {
        TestBus bus = BUSES.get(kind);
        int perSender = 200;
        try (RawConnection senderA = RawConnection.open(bus); RawConnection senderB = RawConnection.open(bus);
                RawConnection receiver1 = RawConnection.open(bus); RawConnection receiver2 = RawConnection.open(bus)) {
            for (RawConnection receiver : List.of(receiver1, receiver2)) {
                WireMessage added = receiver.callDriver("AddMatch", "type='signal',interface='org.capbus.Order'");
                assertThat(added.type()).isEqualTo(WireMessage.METHOD_RETURN);
            }
            Thread a = Thread.ofPlatform().start(() -> broadcast(senderA, perSender));
            Thread b = Thread.ofPlatform().start(() -> broadcast(senderB, perSender));
            List<String> first = collect(receiver1, 2 * perSender);
            List<String> second = collect(receiver2, 2 * perSender);
            a.join();
            b.join();
            assertThat(second).as("[%s] both receivers see one order", kind).isEqualTo(first);
            // Each sender's own messages keep their order.
            assertThat(first.stream().filter(s -> s.startsWith(senderA.uniqueName() + " ")).toList())
                    .isEqualTo(java.util.stream.IntStream.range(0, perSender)
                            .mapToObj(i -> senderA.uniqueName() + " " + i).toList());
        }
    }

    private static void broadcast(RawConnection sender, int count) {
        for (int i = 0; i < count; i++) {
            sender.send(WireMessage.builder(WireMessage.SIGNAL, sender.nextSerial()).path("/org/capbus/Order")
                    .iface("org.capbus.Order").member("Tick").bodyString(Integer.toString(i)).build());
        }
    }

    private static List<String> collect(RawConnection receiver, int count) {
        List<String> seen = new ArrayList<>();
        while (seen.size() < count) {
            WireMessage message = receiver.readUntil(m -> "Tick".equals(m.member()), Await.BOUND);
            seen.add(message.sender() + " " + message.firstString());
        }
        return seen;
    }
}
