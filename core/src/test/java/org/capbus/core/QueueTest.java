package org.capbus.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class QueueTest {
    private final Core core = new Core(Recorder.UNLIMITED, Recorder.UNLIMITED);
    private final Peer peer = core.createPeer(core.user(1), null);
    private final Handle handle = peer.createNode("n");

    @Test
    void shouldKeepFifoOrderAcrossWrapAroundAndGrowth() {
        Queue q = new Queue();
        long next = 0;
        long expected = 0;
        // Interleave pushes and pops so the ring wraps before it grows, several times over.
        for (int round = 0; round < 50; round++) {
            for (int i = 0; i < round; i++) {
                Message m = new Message(next, 1, null, 0);
                q.pushMessage(next++, handle, m, null, null);
            }
            for (int i = 0; i < round / 2; i++) {
                assertThat(q.headSequence()).isEqualTo(expected);
                assertThat(q.headMessage().payload()).isEqualTo(expected);
                q.pop();
                expected++;
            }
        }
        while (!q.isEmpty()) {
            assertThat(q.headSequence()).isEqualTo(expected++);
            q.pop();
        }
        assertThat(expected).isEqualTo(next);
        assertThat(q.size()).isZero();
    }

    @Test
    void shouldKeepTransfersInEntryOrder() {
        Queue q = new Queue();
        Handle other = peer.createNode("o");
        for (int i = 0; i < 40; i++) {
            q.pushNotification(i, Queue.NODE_RELEASED, handle);
            q.pushTransfer(i % 2 == 0 ? handle : other);
            q.pushTransfer(null);
        }
        for (int i = 0; i < 40; i++) {
            assertThat(q.headKind()).isEqualTo(Queue.NODE_RELEASED);
            q.pop();
            assertThat(q.popTransfer()).isSameAs(i % 2 == 0 ? handle : other);
            assertThat(q.popTransfer()).isNull();
        }
    }
}
