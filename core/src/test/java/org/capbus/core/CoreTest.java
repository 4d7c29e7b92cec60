package org.capbus.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CoreTest {
    private final Core core = new Core(Recorder.UNLIMITED, Recorder.UNLIMITED);

    @Test
    void shouldReturnOneUserPerUid() {
        User a = core.user(1000);
        assertThat(core.user(1000)).isSameAs(a);
        assertThat(core.user(1001)).isNotSameAs(a);
        assertThat(a.uid()).isEqualTo(1000);
    }

    @Test
    void shouldGiveEveryPeerItsOwnId() {
        User u = core.user(1);
        Peer a = core.createPeer(u, null);
        Peer b = core.createPeer(u, null);
        assertThat(a.id()).isNotEqualTo(b.id());
        assertThat(a.user()).isSameAs(u);
        assertThat(a.isConnected()).isTrue();
    }

    @Test
    void shouldRejectUserOfAnotherCore() {
        User foreign = new Core(Recorder.UNLIMITED, Recorder.UNLIMITED).user(1);
        assertThatThrownBy(() -> core.createPeer(foreign, null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldAdvanceSequenceOnlyForCommittedTransactions() {
        Peer a = core.createPeer(core.user(1), null);
        Handle node = a.createNode("n");
        long before = core.lastSequence();

        assertThat(a.send(node, Recorder.message("m"))).isEqualTo(SendResult.OK);
        assertThat(core.lastSequence()).isEqualTo(before + 1);

        a.destroyNode(node);
        long afterDestroy = core.lastSequence();
        assertThat(afterDestroy).isEqualTo(before + 2);
        assertThat(a.send(node, Recorder.message("late"))).isEqualTo(SendResult.DESTROYED);
        assertThat(core.lastSequence()).isEqualTo(afterDestroy);
    }

    @Test
    void shouldTagEveryEventWithItsTransactionsSequence() {
        Peer a = core.createPeer(core.user(1), null);
        Handle node = a.createNode("n");
        a.send(node, Recorder.message("m"));
        long sent = core.lastSequence();
        a.destroyNode(node);
        long destroyed = core.lastSequence();

        var events = new Recorder().drain(a);

        assertThat(events).extracting(Recorder.Event::sequence).containsExactly(sent, destroyed);
    }
}
