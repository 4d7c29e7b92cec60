package org.capbus.dbus.broker.connection;

import java.nio.ByteBuffer;

import org.capbus.core.Handle;
import org.capbus.core.Message;

/**
 * The native capability protocol on a connection that negotiated it (docs/native-protocol.md): after BEGIN the
 * {@link BusConnection} hands its bytes and descriptors here instead of to the D-Bus framer, and its core queue's
 * events (messages, {@code NodeDestroyed}, {@code NodeReleased}) too. Implemented above this layer (the native
 * bridge), made by {@link ConnectionEvents#nativeNegotiated}. Event-loop thread only.
 */
public interface NativeEndpoint {

    /** Descriptors that arrived with the next bytes; the endpoint owns them. */
    void onFds(int[] fds, int count);

    /** Bytes of native frames. */
    void onData(ByteBuffer data);

    /** The connection is closing: the frame being read is dropped and its incoming charge refunded. */
    void close();

    /** Descriptors received and not claimed by a frame, for closing. */
    int[] unclaimedFds();

    /** How many descriptors wait for the frame that claims them (for pending_fd_timeout). */
    int queuedFds();

    /** Bytes of a frame received in part (a live upgrade carries them); empty between frames. */
    byte[] partialInput();

    /** Descriptors received and not claimed by a frame, left in place (a live upgrade passes copies on). */
    int[] peekFds();

    /** A message from the peer's queue; returns whether the socket takes more. */
    boolean onMessage(long sequence, Handle destination, Message message, Handle[] transferred);

    /** {@code NodeDestroyed} for a handle of the peer; returns whether the socket takes more. */
    boolean onNodeDestroyed(long sequence, Handle handle);

    /** {@code NodeReleased} for a node of the peer; returns whether the socket takes more. */
    boolean onNodeReleased(long sequence, Handle ownerHandle);
}
