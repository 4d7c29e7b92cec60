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

    /** The outgoing buffer went back below its low-water mark after {@link TransportConnection#isWritable()} was false. */
    void onWritable();

    /** The peer hung up or the socket failed. Called once, and never after the bridge called {@code close()}. */
    void onClosed();
}
