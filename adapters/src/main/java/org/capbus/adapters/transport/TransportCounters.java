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

    /** Every counter by name, for a live upgrade's hand-over (see the bus's counters). */
    public java.util.Map<String, Long> values() {
        java.util.Map<String, Long> m = new java.util.LinkedHashMap<>();
        m.put("accepted", accepted);
        m.put("acceptErrors", acceptErrors);
        m.put("recvmsgCalls", recvmsgCalls);
        m.put("sendmsgCalls", sendmsgCalls);
        m.put("bytesRead", bytesRead);
        m.put("bytesWritten", bytesWritten);
        m.put("fdsReceived", fdsReceived);
        m.put("fdsSent", fdsSent);
        m.put("failures", failures);
        return m;
    }

    /**
     * Adds what the process this one took over from had counted ({@link #values()} there); names this version does
     * not know are ignored. Event-loop thread.
     */
    public void carryOver(java.util.Map<String, Long> previous) {
        previous.forEach((name, v) -> {
            switch (name) {
                case "accepted" -> accepted += v;
                case "acceptErrors" -> acceptErrors += v;
                case "recvmsgCalls" -> recvmsgCalls += v;
                case "sendmsgCalls" -> sendmsgCalls += v;
                case "bytesRead" -> bytesRead += v;
                case "bytesWritten" -> bytesWritten += v;
                case "fdsReceived" -> fdsReceived += v;
                case "fdsSent" -> fdsSent += v;
                case "failures" -> failures += v;
                default -> {
                    // a counter of another version
                }
            }
        });
    }

    /** Connections accepted. */
    public long accepted() {
        return accepted;
    }

    /** {@code accept4} failures other than {@code EAGAIN} (descriptor exhaustion, aborted connections). */
    public long acceptErrors() {
        return acceptErrors;
    }

    /**
     * {@code recvmsg} calls made, and {@code recv} calls of direct reads into large messages, including those that
     * returned {@code EAGAIN}.
     */
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
