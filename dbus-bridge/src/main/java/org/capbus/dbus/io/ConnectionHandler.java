package org.capbus.dbus.io;

import java.nio.ByteBuffer;

/**
 * The bridge's side of one connection: receives what the transport reads. Called on the event-loop thread.
 */
public interface ConnectionHandler {

    /**
     * Descriptors received with the bytes of the next {@link #onData} call (in arrival order). The handler takes
     * ownership: it must close every descriptor it does not pass on.
     */
    void onFds(int[] fds, int count);

    /**
     * Bytes read from the socket. {@code data} is valid only during the call (the transport reuses it): the
     * handler consumes all of it, copying what it keeps. The handler may call {@link TransportConnection#close()}
     * from here; the transport then stops reading.
     */
    void onData(ByteBuffer data);

    /**
     * How many of the next bytes the handler would take straight into an array of its own, skipping the copy out of
     * the transport's read buffer ({@link #onData}), or 0. When positive, the transport may read up to that many with
     * a read that has no room for descriptors into {@link #directReadArray()} from {@link #directReadOffset()}, and
     * reports them with {@link #onDirectData}; the handler offers this only where descriptors cannot rightly arrive.
     */
    default int directReadLength() {
        return 0;
    }

    /** The array a direct read goes to (see {@link #directReadLength()}). */
    default byte[] directReadArray() {
        throw new IllegalStateException("no direct read offered");
    }

    /** Where in {@link #directReadArray()} a direct read goes. */
    default int directReadOffset() {
        throw new IllegalStateException("no direct read offered");
    }

    /** A direct read put {@code n} bytes (1 to {@link #directReadLength()}) into the array at its offset. */
    default void onDirectData(int n) {
        throw new IllegalStateException("no direct read offered");
    }

    /** The outgoing buffer went back below its low-water mark after {@link TransportConnection#isWritable()} was false. */
    void onWritable();

    /** The peer hung up or the socket failed. Called once, and never after the bridge called {@code close()}. */
    void onClosed();
}
