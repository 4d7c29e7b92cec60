package org.capbus.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * A core's graph carried to a new core (a live upgrade): ids, references, holders and destroyed nodes as they were,
 * so that ids keep naming the same nodes, are not reused, and NodeReleased and NodeDestroyed still come when due.
 */
class CoreImageTest {
    private final Core old = new Core(Recorder.UNLIMITED, Recorder.UNLIMITED);
    private final Core next = new Core(Recorder.UNLIMITED, Recorder.UNLIMITED);

    /** The old core: a not-carried peer with a root node (a D-Bus connection), two carried peers, one departed. */
    private final Peer bus = old.createPeer(old.user(1), null);
    private final Handle busRoot = bus.createNode("root");
    private final Peer x = old.createPeer(old.user(2), null);
    private final Peer y = old.createPeer(old.user(3), null);

    private final Peer bus2 = next.createPeer(next.user(1), null);
    private final Handle busRoot2 = bus2.createNode("root");
    private final Peer x2 = next.createPeer(next.user(2), null);
    private final Peer y2 = next.createPeer(next.user(3), null);

    /** x's node held by y (twice), x holding the bus's root, y's destroyed node, and a departed peer's node. */
    private long[] build() {
        Handle nx = x.createNode("nx");
        Handle yToNx = x.grant(nx, y);
        assertThat(x.grant(nx, y)).isSameAs(yToNx);
        Handle xToBus = bus.grant(busRoot, x);
        Handle ny = y.createNode("ny");
        Handle xToNy = y.grant(ny, x);
        y.destroyNode(ny);
        Peer w = old.createPeer(old.user(4), null);
        Handle nw = w.createNode("nw");
        Handle xToNw = w.grant(nw, x);
        w.disconnect();
        new Recorder().drain(x);
        new Recorder().drain(y);
        return new long[] {nx.id(), yToNx.id(), xToBus.id(), ny.id(), xToNy.id(), xToNw.id(), yToNx.count()};
    }

    private void carry() {
        CoreImage image = old.exportImage(List.of(bus, x, y), List.of(x, y));
        next.importImage(image, List.of(bus2, x2, y2), i -> image.nodes().get(i).owner() == 0 ? busRoot2.node() : null);
    }

    @Test
    void shouldCarryIdsCountsAndNodesAndContinueTheSequence() {
        long[] ids = build();
        long sequence = old.lastSequence();
        long nextX = x.nextHandleId();
        carry();

        assertThat(next.lastSequence()).isEqualTo(sequence);
        Handle nx = x2.handle(ids[0]);
        assertThat(nx.node().owner()).isSameAs(x2);
        assertThat(nx.node().tag()).isEqualTo("nx");
        Handle yToNx = y2.handle(ids[1]);
        assertThat(yToNx.node()).isSameAs(nx.node());
        assertThat(yToNx.count()).isEqualTo((int) ids[6]);
        assertThat(x2.handle(ids[2]).node()).isSameAs(busRoot2.node());
        assertThat(y2.handle(ids[3]).node().isDestroyed()).isTrue();
        assertThat(x2.handle(ids[4]).node()).isSameAs(y2.handle(ids[3]).node());
        assertThat(x2.handle(ids[5]).node().isDestroyed()).isTrue();

        // Messages go where they went, under later sequence numbers; new ids are not reused ones.
        assertThat(y2.send(yToNx, Recorder.message("after"))).isEqualTo(SendResult.OK);
        List<Recorder.Event> got = new Recorder().drain(x2);
        assertThat(got).singleElement().satisfies(e -> {
            assertThat(e.handle()).isSameAs(nx);
            assertThat(e.sequence()).isGreaterThan(sequence);
        });
        assertThat(x2.send(x2.handle(ids[4]), Recorder.message("late"))).isEqualTo(SendResult.DESTROYED);
        Handle fresh = x2.createNode("fresh");
        assertThat(fresh.id()).isGreaterThanOrEqualTo(nextX);
        assertThat(x2.handle(fresh.id())).isSameAs(fresh);
    }

    @Test
    void shouldFireNodeReleasedWhenTheLastCarriedHolderReleases() {
        long[] ids = build();
        carry();
        Handle yToNx = y2.handle(ids[1]);
        int refs = yToNx.count();
        for (int i = 0; i < refs - 1; i++) {
            y2.release(yToNx);
            assertThat(new Recorder().drain(x2)).isEmpty();
        }
        y2.release(yToNx);
        assertThat(new Recorder().drain(x2)).singleElement().satisfies(e -> {
            assertThat(e.kind()).isEqualTo(Recorder.Kind.RELEASED);
            assertThat(e.handle().id()).isEqualTo(ids[0]);
        });
    }

    @Test
    void shouldSendNodeDestroyedToCarriedHoldersAndReturnCountsToTheirLevel() {
        long[] ids = build();
        long nodesBefore = next.nodeCount();
        long handlesBefore = next.handleCount();
        carry();
        assertThat(next.nodeCount()).as("nx only: the others were destroyed or existed").isEqualTo(nodesBefore + 1);
        assertThat(next.handleCount()).isEqualTo(handlesBefore + 6);

        x2.destroyNode(x2.handle(ids[0]));
        assertThat(new Recorder().drain(y2)).singleElement()
                .satisfies(e -> assertThat(e.kind()).isEqualTo(Recorder.Kind.DESTROYED));
        x2.disconnect();
        y2.disconnect();
        assertThat(next.nodeCount()).isEqualTo(nodesBefore);
        assertThat(next.handleCount()).isEqualTo(handlesBefore);
        assertThat(next.peerCount()).isEqualTo(1);
    }

    @Test
    void shouldRefuseToExportAPeerWithEventsQueued() {
        Handle nx = x.createNode("nx");
        x.send(nx, Recorder.message("queued"));
        assertThatThrownBy(() -> old.exportImage(List.of(x), List.of(x))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void shouldRefuseAnImageThatCollidesWithWhatAPeerHolds() {
        long[] ids = build();
        CoreImage image = old.exportImage(List.of(bus, x, y), List.of(x, y));
        for (long i = 0; i < ids[0]; i++) {
            x2.createNode("taken");
        }
        assertThatThrownBy(() -> next.importImage(image, List.of(bus2, x2, y2),
                i -> image.nodes().get(i).owner() == 0 ? busRoot2.node() : null))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
