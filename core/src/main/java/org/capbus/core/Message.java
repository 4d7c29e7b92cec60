package org.capbus.core;

/**
 * A message: an opaque payload the core never reads, with its size in bytes (what accounting charges), handles
 * of the sending peer to transfer, and a count of file descriptors it carries (charged, not touched).
 * One message object may be queued to many receivers.
 */
public final class Message {
    private final Object payload;
    private final long size;
    private final Handle[] handles;
    private final int fdCount;

    public Message(Object payload, long size, Handle[] handles, int fdCount) {
        this.payload = payload;
        this.size = size;
        this.handles = handles == null ? NO_HANDLES : handles;
        this.fdCount = fdCount;
    }

    static final Handle[] NO_HANDLES = new Handle[0];

    public Object payload() { return payload; }
    public long size() { return size; }
    public Handle[] handles() { return handles; }
    public int fdCount() { return fdCount; }
}
