package org.capbus.core;

/** An object owned by exactly one peer forever; messages sent to it land in its owner's queue. */
public final class Node {
    public Peer owner() { throw new UnsupportedOperationException("skeleton"); }
    /** The value given at creation (the bridge keeps its own object here). */
    public Object tag() { throw new UnsupportedOperationException("skeleton"); }
    public boolean isDestroyed() { throw new UnsupportedOperationException("skeleton"); }
}
