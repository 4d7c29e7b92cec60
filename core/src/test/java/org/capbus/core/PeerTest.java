package org.capbus.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.capbus.core.Recorder.Kind.DESTROYED;
import static org.capbus.core.Recorder.Kind.MESSAGE;
import static org.capbus.core.Recorder.Kind.RELEASED;
import static org.capbus.core.Recorder.message;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PeerTest {
    private final Core core = new Core(Recorder.UNLIMITED, Recorder.UNLIMITED);
    private final List<Peer> ready = new ArrayList<>();
    private final Peer alice = core.createPeer(core.user(1000), ready::add);
    private final Peer bob = core.createPeer(core.user(1001), ready::add);
    private final Peer carol = core.createPeer(core.user(1002), ready::add);
    private final Recorder recorder = new Recorder();

    @Test
    void shouldDeliverUnicastToTheNodesOwnerThroughItsOwnHandle() {
        Handle bobNode = bob.createNode("bob-root");
        Handle toBob = bob.grant(bobNode, alice);
        Message m = message("hello");

        assertThat(alice.send(toBob, m)).isEqualTo(SendResult.OK);

        var events = recorder.drain(bob);
        assertThat(events).hasSize(1);
        assertThat(events.getFirst().message()).isSameAs(m);
        assertThat(events.getFirst().handle()).isSameAs(bobNode);
        assertThat(events.getFirst().node().tag()).isEqualTo("bob-root");
        assertThat(events.getFirst().transferred()).isEmpty();
        assertThat(bob.hasQueued()).isFalse();
    }

    @Test
    void shouldRefuseAHandleOfAnotherPeer() {
        Handle bobNode = bob.createNode("b");

        assertThat(alice.send(bobNode, message("m"))).isEqualTo(SendResult.INVALID_HANDLE);
        assertThat(bob.hasQueued()).isFalse();
    }

    @Test
    void shouldRefuseAReleasedHandle() {
        Handle toBob = bob.grant(bob.createNode("b"), alice);
        alice.release(toBob);

        assertThat(toBob.isValid()).isFalse();
        assertThat(alice.send(toBob, message("m"))).isEqualTo(SendResult.INVALID_HANDLE);
    }

    @Test
    void shouldRefuseToSendWhenDisconnected() {
        Handle toBob = bob.grant(bob.createNode("b"), alice);
        alice.disconnect();

        assertThat(alice.send(toBob, message("m"))).isEqualTo(SendResult.DISCONNECTED);
        assertThat(alice.send(new Handle[] {toBob}, 1, message("m"), SendResult.CONTINUE_ON_ERROR, new int[1]))
                .isEqualTo(SendResult.DISCONNECTED);
        assertThat(alice.createNode("x")).isNull();
    }

    @Test
    void shouldDeliverAMulticastToEveryDestinationUnderOneSequence() {
        Handle toBob = bob.grant(bob.createNode("b"), alice);
        Handle toCarol = carol.grant(carol.createNode("c"), alice);
        Message m = message("signal");

        int code = alice.send(new Handle[] {toBob, toCarol}, 2, m, 0, null);

        assertThat(code).isEqualTo(SendResult.OK);
        var atBob = recorder.drain(bob);
        var atCarol = recorder.drain(carol);
        assertThat(atBob).singleElement().extracting(Recorder.Event::message).isSameAs(m);
        assertThat(atCarol).singleElement().extracting(Recorder.Event::message).isSameAs(m);
        assertThat(atBob.getFirst().sequence()).isEqualTo(atCarol.getFirst().sequence()).isEqualTo(core.lastSequence());
    }

    @Test
    void shouldDeliverNothingWhenOneDestinationFailsWithoutContinueOnError() {
        Handle toBob = bob.grant(bob.createNode("b"), alice);
        Handle carolNode = carol.createNode("c");
        Handle toCarol = carol.grant(carolNode, alice);
        carol.destroyNode(carolNode);
        recorder.drain(carol);
        long sequence = core.lastSequence();
        int[] results = {-1, -1};

        int code = alice.send(new Handle[] {toBob, toCarol}, 2, message("m"), 0, results);

        assertThat(code).isEqualTo(SendResult.DESTROYED);
        assertThat(results).containsExactly(-1, -1);
        assertThat(bob.hasQueued()).isFalse();
        assertThat(bob.chargedMessages()).isZero();
        assertThat(bob.user().chargedBytes()).isZero();
        assertThat(core.lastSequence()).isEqualTo(sequence);
    }

    @Test
    void shouldReportEachDestinationWithContinueOnError() {
        Handle toBob = bob.grant(bob.createNode("b"), alice);
        Handle carolNode = carol.createNode("c");
        Handle toCarol = carol.grant(carolNode, alice);
        carol.destroyNode(carolNode);
        recorder.drain(carol);
        int[] results = new int[3];

        int code = alice.send(new Handle[] {toCarol, toBob, carolNode}, 3, message("m"),
                SendResult.CONTINUE_ON_ERROR, results);

        assertThat(code).isEqualTo(SendResult.DESTROYED);
        assertThat(results).containsExactly(SendResult.DESTROYED, SendResult.OK, SendResult.INVALID_HANDLE);
        assertThat(recorder.drain(bob)).singleElement().extracting(Recorder.Event::kind).isEqualTo(MESSAGE);
        assertThat(carol.hasQueued()).isFalse();
    }

    @Test
    void shouldFailEveryDestinationWhenTheMessageCarriesAForeignHandle() {
        Handle toBob = bob.grant(bob.createNode("b"), alice);
        Handle carolsOwn = carol.createNode("c");
        int[] results = new int[1];

        int code = alice.send(new Handle[] {toBob}, 1, message("m", carolsOwn), SendResult.CONTINUE_ON_ERROR, results);

        assertThat(code).isEqualTo(SendResult.INVALID_HANDLE);
        assertThat(results).containsExactly(SendResult.INVALID_HANDLE);
        assertThat(bob.hasQueued()).isFalse();
    }

    @Test
    void shouldStopDrainingWhenTheReceiverSaysSo() {
        Handle toBob = bob.grant(bob.createNode("b"), alice);
        alice.send(toBob, message("1"));
        alice.send(toBob, message("2"));
        alice.send(toBob, message("3"));
        recorder.budget = 2;

        assertThat(bob.drain(recorder)).isEqualTo(2);
        assertThat(bob.queuedCount()).isEqualTo(1);
        recorder.budget = -1;
        assertThat(bob.drain(recorder)).isEqualTo(1);
        assertThat(recorder.events).extracting(e -> e.message().payload()).containsExactly("1", "2", "3");
    }

    @Test
    void shouldTellTheListenerOnlyWhenTheQueueBecomesNonEmpty() {
        Handle toBob = bob.grant(bob.createNode("b"), alice);

        alice.send(toBob, message("1"));
        alice.send(toBob, message("2"));
        assertThat(ready).containsExactly(bob);

        bob.drain(recorder);
        alice.send(toBob, message("3"));
        assertThat(ready).containsExactly(bob, bob);
    }

    @Test
    void shouldOrderWhatAListenerSendsAfterTheTransactionThatWokeIt() {
        Handle carolNode = carol.createNode("c");
        Handle aliceToCarol = carol.grant(carolNode, alice);
        Handle[] erinToCarol = new Handle[1];
        Peer[] erin = new Peer[1];
        // Erin forwards as soon as her queue becomes ready; Alice's multicast lists Erin before Carol, yet it is one
        // transaction, so Carol must receive the original before the forward.
        erin[0] = core.createPeer(core.user(1004), p -> erin[0].send(erinToCarol[0], message("forwarded")));
        erinToCarol[0] = carol.grant(carolNode, erin[0]);
        Handle toErin = erin[0].grant(erin[0].createNode("e"), alice);

        alice.send(new Handle[] {toErin, aliceToCarol}, 2, message("original"), 0, null);

        var atCarol = recorder.drain(carol);
        assertThat(atCarol).extracting(e -> e.message().payload()).containsExactly("original", "forwarded");
        assertThat(atCarol.get(0).sequence()).isLessThan(atCarol.get(1).sequence());
    }

    @Test
    void shouldGrantAHandleThatWorksAtOnceAndMergesWithTheHoldersOwn() {
        Handle bobNode = bob.createNode("b");
        long before = core.lastSequence();

        Handle first = bob.grant(bobNode, alice);
        Handle second = bob.grant(bobNode, alice);

        assertThat(second).isSameAs(first);
        assertThat(first.count()).isEqualTo(2);
        assertThat(first.holder()).isSameAs(alice);
        assertThat(core.lastSequence()).isEqualTo(before + 2);
        assertThat(alice.handle(first.id())).isSameAs(first);
        assertThat(alice.send(first, message("m"))).isEqualTo(SendResult.OK);
    }

    @Test
    void shouldNotGrantADestroyedNodeOrAForeignHandle() {
        Handle bobNode = bob.createNode("b");
        Handle carolNode = carol.createNode("c");
        bob.destroyNode(bobNode);

        assertThat(bob.grant(bobNode, alice)).isNull();
        assertThat(bob.grant(carolNode, alice)).isNull();
        assertThat(alice.handleCount()).isZero();
    }

    @Test
    void shouldDestroyNodesReleaseHandlesAndDiscardQueueOnDisconnect() {
        List<Message> discarded = new ArrayList<>();
        core.setDiscardListener((peer, m) -> {
            assertThat(peer).isSameAs(bob);
            discarded.add(m);
        });
        Handle bobNode = bob.createNode("b");
        Handle toBob = bob.grant(bobNode, alice);
        Handle carolNode = carol.createNode("c");
        bob.grant(carol.grant(carolNode, bob), bob);
        Message m1 = message("1");
        Message m2 = message("2");
        alice.send(toBob, m1);
        alice.send(toBob, m2);

        bob.disconnect();

        assertThat(discarded).containsExactly(m1, m2);
        assertThat(bob.isConnected()).isFalse();
        assertThat(bob.hasQueued()).isFalse();
        assertThat(bob.handleCount()).isZero();
        assertThat(bobNode.node().isDestroyed()).isTrue();
        assertThat(bob.chargedMessages()).isZero();
        assertThat(bob.user().chargedBytes()).isZero();
        assertThat(recorder.drain(alice)).singleElement().satisfies(e -> {
            assertThat(e.kind()).isEqualTo(DESTROYED);
            assertThat(e.handle()).isSameAs(toBob);
        });
        assertThat(recorder.drain(carol)).singleElement().satisfies(e -> {
            assertThat(e.kind()).isEqualTo(RELEASED);
            assertThat(e.handle()).isSameAs(carolNode);
        });
        assertThat(alice.send(toBob, message("late"))).isEqualTo(SendResult.DESTROYED);
    }

    @Test
    void shouldIgnoreASecondDisconnect() {
        bob.createNode("b");
        bob.disconnect();
        long sequence = core.lastSequence();

        bob.disconnect();

        assertThat(core.lastSequence()).isEqualTo(sequence);
    }

    @Test
    void shouldLetAReceiverSendFromInsideItsCallback() {
        Handle bobNode = bob.createNode("b");
        Handle toBob = bob.grant(bobNode, alice);
        Handle toAlice = alice.grant(alice.createNode("a"), bob);
        alice.send(toBob, message("ping"));

        bob.drain(new Recorder() {
            @Override
            public boolean onMessage(long sequence, Handle destination, Message message, Handle[] transferred) {
                assertThat(bob.send(toAlice, message("pong"))).isEqualTo(SendResult.OK);
                return true;
            }
        });

        assertThat(recorder.drain(alice)).extracting(e -> e.message().payload()).containsExactly("pong");
    }
}
