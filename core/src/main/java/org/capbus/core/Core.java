package org.capbus.core;

/**
 * The capability core: the universe of peers, nodes, handles and users of one bus.
 *
 * <p>Threading: a core is driven by exactly one thread (the bus's event-loop thread). No method is thread-safe;
 * there are no locks. Because one thread commits every transaction, a single global sequence number orders all
 * events (messages and notifications): every event gets the next sequence number when its transaction commits,
 * and every queue is in sequence order, which gives bus1's global order and causality.
 */
public final class Core {

    /** Creates a core whose users get {@code userLimits} and whose peers get {@code peerLimits}. */
    public Core(Limits userLimits, Limits peerLimits) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** The accounting principal for {@code uid}, created on first use. */
    public User user(long uid) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** Creates a peer of {@code user}. The listener is told when its queue becomes non-empty. */
    public Peer createPeer(User user, QueueListener listener) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** Called for every queued message dropped without being received (its receiver disconnected). */
    public void setDiscardListener(DiscardListener listener) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** The sequence number of the last committed event. */
    public long lastSequence() {
        throw new UnsupportedOperationException("skeleton");
    }
}
