package org.capbus.core;

/** A peer's reference to a node: the capability to send to it. Per-peer id, never reused; merged with a count. */
public final class Handle {
    public long id() { throw new UnsupportedOperationException("skeleton"); }
    public Peer holder() { throw new UnsupportedOperationException("skeleton"); }
    public Node node() { throw new UnsupportedOperationException("skeleton"); }
    /** Whether the holder still holds it (count > 0). */
    public boolean isValid() { throw new UnsupportedOperationException("skeleton"); }
}
