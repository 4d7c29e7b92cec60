package org.capbus.core;

/** An endpoint with one incoming queue, belonging to a user. Never addressed directly. */
public final class Peer {
    public long id() { throw new UnsupportedOperationException("skeleton"); }
    public User user() { throw new UnsupportedOperationException("skeleton"); }

    /** Creates a node owned by this peer, and returns this peer's handle to it. */
    public Handle createNode(Object tag) { throw new UnsupportedOperationException("skeleton"); }

    /** Unicast send; returns a {@link SendResult} code. A failed send changes nothing. */
    public int send(Handle destination, Message message) { throw new UnsupportedOperationException("skeleton"); }

    /**
     * Multicast send to {@code destinations[0..count)} as one transaction. Without
     * {@link SendResult#CONTINUE_ON_ERROR}: all or nothing, returns the first failure's code. With it: each
     * destination's code goes to {@code results[i]} (may be null), returns OK if all succeeded, else the first failure.
     */
    public int send(Handle[] destinations, int count, Message message, int flags, int[] results) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** Hands queued events in order to {@code receiver} until it returns false or the queue is empty; returns how many. */
    public int drain(Receiver receiver) { throw new UnsupportedOperationException("skeleton"); }

    public boolean hasQueued() { throw new UnsupportedOperationException("skeleton"); }

    /** Drops one reference of this peer's handle. */
    public void release(Handle handle) { throw new UnsupportedOperationException("skeleton"); }

    /** Destroys the node behind {@code ownerHandle}, which must be this peer's own node. */
    public void destroyNode(Handle ownerHandle) { throw new UnsupportedOperationException("skeleton"); }

    /**
     * Authority operation: gives {@code to} a handle (new or merged) to the node behind {@code mine}, as if it had
     * arrived in a message, ordered now. Returns the receiver's handle, or null if the node is destroyed.
     */
    public Handle grant(Handle mine, Peer to) { throw new UnsupportedOperationException("skeleton"); }

    /** This peer's handle with {@code id}, or null. */
    public Handle handle(long id) { throw new UnsupportedOperationException("skeleton"); }

    /** Destroys its nodes, releases its handles, discards its queue and returns its charges. Idempotent. */
    public void disconnect() { throw new UnsupportedOperationException("skeleton"); }

    public boolean isConnected() { throw new UnsupportedOperationException("skeleton"); }
}
