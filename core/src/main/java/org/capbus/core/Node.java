package org.capbus.core;

/**
 * An object owned by exactly one peer, forever; messages sent to it land in its owner's queue. It keeps the handles
 * that refer to it (its holders), to notify them of its destruction and to tell its owner when every other holder is
 * gone.
 *
 * <p>Created by {@link Peer#createNode}; lives on the event-loop thread.
 */
public final class Node {
    /** Core-wide id, the key of per-peer handle tables; never reused. */
    final long id;
    final Peer owner;
    private final Object tag;
    /** The owner's handle: the destination of every message queued for this node. */
    Handle ownerHandle;
    boolean destroyed;

    private Handle[] holders = new Handle[2];
    private int holderCount;
    /** Holders other than the owner. */
    int foreignHolders;

    Node(long id, Peer owner, Object tag) {
        this.id = id;
        this.owner = owner;
        this.tag = tag;
    }

    public Peer owner() {
        return owner;
    }

    /** The value given at creation (the bridge keeps its own object here). */
    public Object tag() {
        return tag;
    }

    public boolean isDestroyed() {
        return destroyed;
    }

    /** The number of peers holding a handle to it, the owner included. */
    public int holderCount() {
        return holderCount;
    }

    void addHolder(Handle handle) {
        if (holderCount == holders.length) {
            holders = java.util.Arrays.copyOf(holders, holderCount * 2);
        }
        handle.holderIndex = holderCount;
        holders[holderCount++] = handle;
        if (handle.holder != owner) {
            foreignHolders++;
        }
    }

    void removeHolder(Handle handle) {
        int i = handle.holderIndex;
        Handle last = holders[--holderCount];
        holders[i] = last;
        last.holderIndex = i;
        holders[holderCount] = null;
        if (handle.holder != owner) {
            foreignHolders--;
        }
    }

    /** Marks it destroyed and queues {@code NodeDestroyed} to every connected holder, as part of transaction {@code sequence}. */
    void destroy(long sequence) {
        destroyed = true;
        owner.core.nodeCount--;
        for (int i = 0; i < holderCount; i++) {
            Handle h = holders[i];
            if (h.holder.connected) {
                h.holder.enqueueNotification(sequence, Queue.NODE_DESTROYED, h);
            }
        }
    }

    @Override
    public String toString() {
        return "Node[" + id + " of peer " + owner.id() + (destroyed ? ", destroyed]" : "]");
    }
}
