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
     * Appends bytes without copying them, where the transport can: it keeps {@code src} and sends straight from it
     * (for a large message body, this saves copying it into the transport's buffer), and calls
     * {@code done.written()} once it no longer needs them. Until then the caller must not change or reuse
     * {@code src[offset, offset + length)}. A transport that copies calls {@code done} before returning.
     */
    default void writeLent(byte[] src, int offset, int length, WrittenCallback done) {
        write(src, offset, length);
        done.written();
    }

    /**
     * Attaches file descriptors to the next byte written: they are sent with it in one {@code SCM_RIGHTS}
     * control message. The transport duplicates them ({@code dup}) before this returns and closes its copies
     * once sent or when the connection closes, so the caller keeps ownership of {@code fds}.
     *
     * @return false if the descriptors could not be duplicated (e.g. {@code EMFILE}); nothing was attached then
     */
    boolean attachFds(int[] fds, int offset, int count);

    /** Whether the outgoing buffer is below its high-water mark. The bridge stops draining while false. */
    boolean isWritable();

    /**
     * From now on every read uses {@code recvmsg} with room for descriptors (D-Bus {@code NEGOTIATE_UNIX_FD}).
     * Reads before this call may also receive descriptors; they are handed over just the same.
     */
    void enableFdPassing();

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
