package org.capbus.dbus.io;

/**
 * One accepted stream connection, as the bridge sees it. Implemented by a transport adapter; every method is
 * called on the event-loop thread only.
 *
 * <p>Writes are buffered by the transport and flushed once per event-loop batch (after the read event that
 * caused them, or by a task the transport schedules); the bridge never flushes.
 */
public interface TransportConnection {

    /** The peer's credentials, read at accept. */
    PeerCredentials credentials();

    /**
     * Appends bytes to the outgoing stream. The bytes are copied before this returns.
     */
    void write(byte[] src, int offset, int length);

    /**
     * Attaches file descriptors to the next byte written: they are sent with it in one {@code SCM_RIGHTS}
     * control message. The transport duplicates them ({@code dup}) before this returns and closes its copies
     * once sent or when the connection closes, so the caller keeps ownership of {@code fds}.
     *
     * @return false if the descriptors could not be duplicated (e.g. {@code EMFILE}); nothing was attached then
     */
    boolean attachFds(int[] fds, int offset, int count);

    /**
     * Whether the outgoing buffer is below its high-water marks (bytes, and descriptors, each of which the bus holds
     * open until sent). The bridge stops draining while false; {@link ConnectionHandler#onWritable()} says when to go on.
     */
    boolean isWritable();

    /**
     * From now on every read uses {@code recvmsg} with room for descriptors (D-Bus {@code NEGOTIATE_UNIX_FD}).
     * Reads before this call may also receive descriptors; they are handed over just the same.
     */
    void enableFdPassing();

    /**
     * Stops reading from the socket until every byte queued so far has been written, then reads again by itself. As
     * dbus-daemon in the authentication phase: a client that sends and never reads cannot make the bus queue replies
     * without bound. Does nothing when nothing is queued. The {@code onData} call in progress, if any, is not cut
     * short; no further one comes until the output drained.
     */
    void suspendReadingUntilWritten();

    /** Bytes queued and not yet written to the socket. */
    long pendingOutboundBytes();

    /**
     * Closes the socket after trying once, without blocking, to write what is buffered. Does not call
     * {@link ConnectionHandler#onClosed()}. Idempotent.
     */
    void close();

    /** Whether {@link #close()} was called or the peer hung up. */
    boolean isClosed();
}
