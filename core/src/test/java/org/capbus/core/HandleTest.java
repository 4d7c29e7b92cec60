package org.capbus.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.capbus.core.Recorder.message;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class HandleTest {
    private final Core core = new Core(Recorder.UNLIMITED, Recorder.UNLIMITED);
    private final Peer alice = core.createPeer(core.user(1), null);
    private final Peer bob = core.createPeer(core.user(2), null);
    private final Recorder recorder = new Recorder();

    @Test
    void shouldNeverReuseAnId() {
        Handle first = alice.createNode("1");
        alice.release(first);
        Handle second = alice.createNode("2");

        assertThat(second.id()).isGreaterThan(first.id());
        assertThat(alice.handle(first.id())).isNull();
        assertThat(alice.handle(second.id())).isSameAs(second);
    }

    @Test
    void shouldMergeReferencesToOneNodeWithACount() {
        Handle own = alice.createNode("n");
        Handle bobNode = bob.createNode("b");
        Handle toBob = bob.grant(bobNode, alice);

        alice.send(toBob, message("1", own));
        alice.send(toBob, message("2", own));

        var events = recorder.drain(bob);
        Handle first = events.get(0).transferred()[0];
        assertThat(events.get(1).transferred()[0]).isSameAs(first);
        assertThat(first.count()).isEqualTo(2);
        assertThat(first.holder()).isSameAs(bob);
        assertThat(bob.handleTo(own.node())).isSameAs(first);
        assertThat(bob.handleCount()).isEqualTo(2);
        assertThat(own.node().holderCount()).isEqualTo(2);

        bob.release(first);
        assertThat(first.isValid()).isTrue();
        bob.release(first);
        assertThat(first.isValid()).isFalse();
        assertThat(bob.handle(first.id())).isNull();
    }

    @Test
    void shouldMergeAHandleSentBackIntoTheOwnersOwn() {
        Handle own = alice.createNode("n");
        Handle toAlice = alice.grant(own, bob);

        bob.send(toAlice, message("yours", toAlice));

        assertThat(recorder.drain(alice).getFirst().transferred()).containsExactly(own);
        assertThat(own.count()).isEqualTo(2);
    }

    @Test
    void shouldArriveInvalidWhenItsNodesDestructionIsOrderedFirst() {
        Handle bobNode = bob.createNode("b");
        Handle toBob = bob.grant(bobNode, alice);
        Handle own = alice.createNode("n");
        alice.destroyNode(own);

        alice.send(toBob, message("dead", own, toBob));

        var transferred = recorder.drain(bob).getFirst().transferred();
        assertThat(transferred[0]).isNull();
        assertThat(transferred[1]).isSameAs(bobNode);
        assertThat(bob.handleTo(own.node())).isNull();
    }

    @Test
    void shouldNotReleaseAReferenceStillInFlight() {
        Handle bobNode = bob.createNode("b");
        Handle toBob = bob.grant(bobNode, alice);
        Handle own = alice.createNode("n");
        alice.send(toBob, message("m", own));
        Handle bobsHandle = bob.handleTo(own.node());

        bob.release(bobsHandle);
        assertThat(bobsHandle.count()).isEqualTo(1);

        recorder.drain(bob);
        bob.release(bobsHandle);
        assertThat(bobsHandle.isValid()).isFalse();
    }

    @Test
    void shouldReleaseAllItCanAndStopWhileAReferenceIsStillInFlight() {
        Handle bobNode = bob.createNode("b");
        Handle toBob = bob.grant(bobNode, alice);
        Handle own = alice.createNode("n");
        Handle bobsHandle = alice.grant(own, bob);
        alice.send(toBob, message("m", own));
        assertThat(bobsHandle.count()).isEqualTo(2);

        // A loop of release() until the handle is invalid would never end here: one reference is in flight.
        assertThat(assertTimeoutPreemptively(Duration.ofSeconds(10), () -> bob.releaseAll(bobsHandle))).isEqualTo(1);
        assertThat(bobsHandle.count()).isEqualTo(1);

        recorder.drain(bob);
        assertThat(bob.releaseAll(bobsHandle)).isEqualTo(1);
        assertThat(bobsHandle.isValid()).isFalse();
        assertThat(bob.releaseAll(bobsHandle)).isZero();
    }

    @Test
    void shouldIgnoreReleaseByAnotherPeer() {
        Handle own = alice.createNode("n");

        bob.release(own);

        assertThat(own.count()).isEqualTo(1);
    }

    @Test
    void shouldDescribeItselfWithoutReachingIntoThePayload() {
        Handle own = alice.createNode("n");

        assertThat(own.toString()).contains("peer " + alice.id()).contains("count 1");
    }
}
