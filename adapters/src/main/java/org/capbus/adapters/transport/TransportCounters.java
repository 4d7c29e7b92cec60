package org.capbus.adapters.transport;

/**
 * Plain counters of one {@link UnixTransport}. Written only by the event-loop thread (no atomics on the data path);
 * read from another thread they may be slightly stale, which is what a metrics scrape accepts.
 */
public final class TransportCounters {
    long accepted;
    long acceptErrors;
    long recvmsgCalls;
    long sendmsgCalls;
    long bytesRead;
    long bytesWritten;
    long fdsReceived;
    long fdsSent;
    /** Connections the transport closed because the socket failed or broke the protocol (not hang-ups). */
    long failures;

    TransportCounters() {
    }

    /** Connections accepted. */
    public long accepted() {
        return accepted;
    }

    /** {@code accept4} failures other than {@code EAGAIN} (descriptor exhaustion, aborted connections). */
    public long acceptErrors() {
        return acceptErrors;
    }

    /** {@code recvmsg} calls made, including those that returned {@code EAGAIN}. */
    public long recvmsgCalls() {
        return recvmsgCalls;
    }

    /** {@code sendmsg} calls made, including those that returned {@code EAGAIN}. */
    public long sendmsgCalls() {
        return sendmsgCalls;
    }

    public long bytesRead() {
        return bytesRead;
    }

    public long bytesWritten() {
        return bytesWritten;
    }

    public long fdsReceived() {
        return fdsReceived;
    }

    public long fdsSent() {
        return fdsSent;
    }

    /** Connections closed by the transport on a socket error or truncated descriptors (not peer hang-ups). */
    public long failures() {
        return failures;
    }
}
