package org.capbus.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.capbus.core.Recorder.Kind.DESTROYED;
import static org.capbus.core.Recorder.Kind.MESSAGE;
import static org.capbus.core.Recorder.Kind.RELEASED;
import static org.capbus.core.Recorder.message;

import org.junit.jupiter.api.Test;

class NodeTest {
    private final Core core = new Core(Recorder.UNLIMITED, Recorder.UNLIMITED);
    private final Peer owner = core.createPeer(core.user(1), null);
    private final Peer alice = core.createPeer(core.user(2), null);
    private final Peer bob = core.createPeer(core.user(3), null);
    private final Recorder recorder = new Recorder();

    @Test
    void shouldBelongToItsCreatorWithItsTag() {
        Handle own = owner.createNode("tag");

        assertThat(own.node().owner()).isSameAs(owner);
        assertThat(own.node().tag()).isEqualTo("tag");
        assertThat(own.holder()).isSameAs(owner);
        assertThat(own.count()).isEqualTo(1);
        assertThat(own.node().isDestroyed()).isFalse();
        assertThat(own.node().holderCount()).isEqualTo(1);
    }

    @Test
    void shouldFailLaterSendsButDeliverWhatWasAlreadyQueued() {
        Handle own = owner.createNode("n");
        Handle toNode = owner.grant(own, alice);
        alice.send(toNode, message("before"));

        owner.destroyNode(own);

        assertThat(own.node().isDestroyed()).isTrue();
        assertThat(alice.send(toNode, message("after"))).isEqualTo(SendResult.DESTROYED);
        var events = recorder.drain(owner);
        assertThat(events).extracting(Recorder.Event::kind).containsExactly(MESSAGE, DESTROYED);
        assertThat(events.get(0).message().payload()).isEqualTo("before");
    }

    @Test
    void shouldNotifyEveryHolderAfterEveryMessageThatReferencedIt() {
        Handle own = owner.createNode("n");
        Handle aliceHandle = owner.grant(own, alice);
        Handle bobNode = bob.createNode("b");
        Handle aliceToBob = bob.grant(bobNode, alice);
        // Alice hands Bob the node: the message is queued before the destruction, so Bob gets a valid handle first
        // and the notification after it.
        alice.send(aliceToBob, message("take this", aliceHandle));

        owner.destroyNode(own);

        var atBob = recorder.drain(bob);
        assertThat(atBob).extracting(Recorder.Event::kind).containsExactly(MESSAGE, DESTROYED);
        Handle bobsHandle = atBob.get(0).transferred()[0];
        assertThat(bobsHandle.node()).isSameAs(own.node());
        assertThat(atBob.get(1).handle()).isSameAs(bobsHandle);
        assertThat(recorder.drain(alice)).singleElement().satisfies(e -> {
            assertThat(e.kind()).isEqualTo(DESTROYED);
            assertThat(e.handle()).isSameAs(aliceHandle);
        });
        assertThat(recorder.drain(owner)).singleElement().extracting(Recorder.Event::kind).isEqualTo(DESTROYED);
    }

    @Test
    void shouldIgnoreDestructionByAnotherPeerOrTwice() {
        Handle own = owner.createNode("n");
        Handle aliceHandle = owner.grant(own, alice);

        alice.destroyNode(aliceHandle);
        assertThat(own.node().isDestroyed()).isFalse();

        owner.destroyNode(own);
        long sequence = core.lastSequence();
        owner.destroyNode(own);
        assertThat(core.lastSequence()).isEqualTo(sequence);
        assertThat(recorder.drain(alice)).hasSize(1);
    }

    @Test
    void shouldTellTheOwnerWhenTheLastOtherHandleGoesAway() {
        Handle own = owner.createNode("n");
        Handle aliceHandle = owner.grant(own, alice);
        Handle bobHandle = owner.grant(own, bob);
        owner.grant(own, bob);

        alice.release(aliceHandle);
        bob.release(bobHandle);
        assertThat(owner.hasQueued()).isFalse();
        bob.release(bobHandle);

        assertThat(recorder.drain(owner)).singleElement().satisfies(e -> {
            assertThat(e.kind()).isEqualTo(RELEASED);
            assertThat(e.handle()).isSameAs(own);
            assertThat(e.sequence()).isEqualTo(core.lastSequence());
        });
        assertThat(own.node().holderCount()).isEqualTo(1);
    }

    @Test
    void shouldNotTellTheOwnerOfReleaseOnceDestroyed() {
        Handle own = owner.createNode("n");
        Handle aliceHandle = owner.grant(own, alice);
        owner.destroyNode(own);
        recorder.drain(owner);

        alice.release(aliceHandle);

        assertThat(owner.hasQueued()).isFalse();
    }

    @Test
    void shouldTellTheOwnerWhenTheLastOtherHolderDisconnects() {
        Handle own = owner.createNode("n");
        owner.grant(own, alice);

        alice.disconnect();

        assertThat(recorder.drain(owner)).extracting(Recorder.Event::kind).containsExactly(RELEASED);
    }

    @Test
    void shouldBeDestroyedWhenItsOwnerReleasesItsLastReference() {
        Handle own = owner.createNode("n");
        Handle aliceHandle = owner.grant(own, alice);

        owner.release(own);

        assertThat(own.isValid()).isFalse();
        assertThat(own.node().isDestroyed()).isTrue();
        assertThat(owner.handleCount()).isZero();
        assertThat(owner.hasQueued()).isFalse();
        assertThat(recorder.drain(alice)).singleElement().satisfies(e -> assertThat(e.handle()).isSameAs(aliceHandle));
        assertThat(alice.send(aliceHandle, message("m"))).isEqualTo(SendResult.DESTROYED);
    }
}
