package org.capbus.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HandleTableTest {
    private final Core core = new Core(Recorder.UNLIMITED, Recorder.UNLIMITED);
    private final Peer peer = core.createPeer(core.user(1), null);

    @Test
    void shouldAgreeWithAMapOverRandomPutsAndRemoves() {
        for (long seed = 1; seed <= 5; seed++) {
            SplittableRandom random = new SplittableRandom(seed);
            HandleTable table = new HandleTable(false);
            HashMap<Long, Handle> model = new HashMap<>();
            Node node = peer.createNode("n").node();
            for (int step = 0; step < 5000; step++) {
                long id = random.nextLong(1, 300);
                Handle present = model.get(id);
                if (present == null) {
                    Handle h = new Handle(id, peer, node);
                    table.put(h);
                    model.put(id, h);
                } else {
                    table.remove(present);
                    model.remove(id);
                }
                long probe = random.nextLong(1, 300);
                assertThat(table.get(probe)).as("seed %d step %d", seed, step).isSameAs(model.get(probe));
                assertThat(table.size()).isEqualTo(model.size());
            }
            assertThat(table.toArray()).containsExactlyInAnyOrderElementsOf(model.values());
        }
    }

    @Test
    void shouldIndexByNode() {
        HandleTable table = new HandleTable(true);
        Handle h = peer.createNode("n");

        table.put(h);

        assertThat(table.get(h.node().id)).isSameAs(h);
        table.remove(h);
        assertThat(table.get(h.node().id)).isNull();
        table.remove(h);
        assertThat(table.size()).isZero();
    }
}
