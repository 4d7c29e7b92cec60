package org.capbus.core;

import java.util.List;

/**
 * A part of a core's graph as a live upgrade carries it to the core of the next process: the global sequence (so
 * that the numbers a peer sees keep increasing), and for each <em>carried</em> peer its handles with their ids and
 * reference counts and the counter of its handle ids (so that an id a client holds keeps naming the same node and is
 * never reused), and every node those handles point to. Peers are named by their index in a list the caller gives
 * to both {@link Core#exportImage} and {@link Core#importImage}; the caller decides what that list means (the bridge:
 * the bus's own peers, then one per connection).
 *
 * <p>Nothing queued travels: a peer is carried only with an empty queue (its owner drained it into its socket first),
 * so no message, notification or accounting charge is in the image. Handles of peers that are not carried are not in
 * it either; their owner re-creates them (a node's holders, and so when {@code NodeReleased} fires, are exact only
 * for nodes held by carried peers alone).
 *
 * <p>Immutable; the tags are the live objects of the side that made or reads the image. Any thread.
 *
 * @param sequence the last committed sequence number
 * @param nodes    every node a carried peer holds a handle to, referred to by index
 * @param peers    the carried peers
 */
public record CoreImage(long sequence, List<NodeImage> nodes, List<PeerImage> peers) {

    /** The owner index of a node whose owner is not in the peer list (disconnected): such a node is destroyed. */
    public static final int OWNER_GONE = -1;

    /**
     * A node.
     *
     * @param owner     index of its owner in the peer list, or {@link #OWNER_GONE}
     * @param destroyed whether it was destroyed (its holders had {@code NodeDestroyed})
     * @param tag       the value it was created with (on export); the value a node created by the import gets
     */
    public record NodeImage(int owner, boolean destroyed, Object tag) {
    }

    /**
     * A carried peer's handles.
     *
     * @param peer         index in the peer list
     * @param nextHandleId the id its next new handle gets (ids are never reused)
     * @param handles      its handles, by increasing id
     */
    public record PeerImage(int peer, long nextHandleId, List<HandleImage> handles) {
    }

    /**
     * A handle.
     *
     * @param id    its id in its peer
     * @param node  index in {@link CoreImage#nodes()}
     * @param count the references merged into it (at least 1)
     */
    public record HandleImage(long id, int node, int count) {
    }
}
