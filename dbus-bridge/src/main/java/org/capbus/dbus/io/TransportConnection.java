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
     * The most descriptors one message can carry: the kernel passes at most {@code SCM_MAX_FD} (253) in one
     * {@code sendmsg}, and {@link #attachFds} refuses more. The bus refuses a message with more to its sender.
     */
    int MAX_FDS_PER_MESSAGE = 253;

    /**
     * Attaches file descriptors to the next byte written: they are sent with it in one {@code SCM_RIGHTS}
     * control message. The transport duplicates them ({@code dup}) before this returns and closes its copies
     * once sent or when the connection closes, so the caller keeps ownership of {@code fds}.
     *
     * @return false if the descriptors could not be duplicated (e.g. {@code EMFILE}) or are more than
     *         {@link #MAX_FDS_PER_MESSAGE}; nothing was attached then
     */
    boolean attachFds(int[] fds, int offset, int count);

    /**
     * Whether the outgoing buffer is below its high-water marks (bytes, and descriptors, each of which the bus holds
     * open until sent). The bridge stops draining while false; {@link ConnectionHandler#onWritable()} says when to go on.
     */
    boolean isWritable();

    /**
     * The client negotiated descriptor passing (D-Bus {@code NEGOTIATE_UNIX_FD}). Transports that always read with
     * room for descriptors (the unix transport reads every time with {@code recvmsg}, since a plain read would let
     * the kernel close descriptors a peer sent unasked) need do nothing; the bridge, not the transport, decides
     * whether descriptors may travel to and from this connection.
     */
    void enableFdPassing();

    /**
     * Stops reading from the socket until every byte queued so far has been written, then reads again by itself. As
     * dbus-daemon in the authentication phase: a client that sends and never reads cannot make the bus queue replies
     * without bound. Does nothing when nothing is queued. The {@code onData} call in progress, if any, is not cut
     * short; no further one comes until the output drained.
     */
    void suspendReadingUntilWritten();

    /**
     * Stops reading from the socket until {@link #resumeReading()}, whatever is written meanwhile: dbus-daemon's
     * disabled read watch, for a connection whose messages still held in the bus carry {@code max_incoming_unix_fds}
     * descriptors. The {@code onData} call in progress, if any, is not cut short; the client's further bytes wait in
     * its socket, and a hang-up is noticed once reading resumes. Idempotent.
     */
    void pauseReading();

    /** Reads again after {@link #pauseReading()}. Idempotent; does nothing on a closed connection. */
    void resumeReading();

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
