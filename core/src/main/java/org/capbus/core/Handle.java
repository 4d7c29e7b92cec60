package org.capbus.core;

/**
 * A peer's reference to a node: the capability to send to it. A peer holds at most one handle per node: every
 * further reference it gets (a transfer in a message, a grant) merges into it and raises its count, and each
 * {@link Peer#release} drops one. Ids are per peer and never reused, so an id a client remembers cannot come to
 * mean another node.
 *
 * <p>References carried by messages still queued to the holder are counted but cannot be released before they are
 * received ({@link #pending}): a peer can only give up what it was given.
 *
 * <p>Owned by its holder peer; event-loop thread only. Senders pass the handle object itself, so sending never looks
 * a handle up in a map.
 */
public final class Handle {
    final long id;
    final Peer holder;
    final Node node;
    /** References held, including {@link #pending}; the handle is gone when it reaches zero. */
    int count;
    /** References that arrived in messages still queued to the holder. */
    int pending;
    /** Index in {@link Node}'s holder array. */
    int holderIndex;

    Handle(long id, Peer holder, Node node) {
        this.id = id;
        this.holder = holder;
        this.node = node;
    }

    public long id() {
        return id;
    }

    public Peer holder() {
        return holder;
    }

    public Node node() {
        return node;
    }

    /** Whether the holder still holds it (count > 0). */
    public boolean isValid() {
        return count > 0;
    }

    /** The number of references the holder has merged into this handle (0 once it is gone). */
    public int count() {
        return count;
    }

    @Override
    public String toString() {
        return "Handle[" + id + " of peer " + holder.id() + " to node " + node.id + ", count " + count + "]";
    }
}
