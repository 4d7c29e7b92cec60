package org.capbus.adapters.transport;

/**
 * Tuning of a {@link UnixTransport}; immutable.
 *
 * @param highWaterMark  pending outgoing bytes at which a connection stops being writable
 * @param lowWaterMark   pending outgoing bytes at or below which it becomes writable again ({@code onWritable})
 * @param readBufferSize bytes read by one {@code recvmsg} (one buffer shared by all connections)
 * @param readsPerEvent  {@code recvmsg} calls on one connection per readiness event before the loop moves on to the
 *                       others (epoll is level-triggered, so the rest is read on the next round)
 * @param acceptsPerEvent {@code accept4} calls per readiness event of a listening socket
 * @param acceptPauseMillis how long a listener stops accepting after running out of descriptors
 */
public record TransportOptions(long highWaterMark, long lowWaterMark, int readBufferSize, int readsPerEvent,
                               int acceptsPerEvent, long acceptPauseMillis) {

    /**
     * 8 MiB / 1 MiB water marks, 256 KiB reads, 4 reads and 64 accepts per event, 100 ms pause on EMFILE. A read
     * takes all a unix socket holds (about 200 KiB by default), so a 1 MiB message costs about 5 {@code recvmsg}
     * instead of 17 with 64 KiB; 4 reads per event keep one connection's turn at 1 MiB, as 16 x 64 KiB did.
     */
    public static final TransportOptions DEFAULTS =
            new TransportOptions(8L << 20, 1L << 20, 256 * 1024, 4, 64, 100);

    public TransportOptions {
        if (lowWaterMark < 0 || highWaterMark <= lowWaterMark) {
            throw new IllegalArgumentException("lowWaterMark: " + lowWaterMark + " (expected: >= 0 and < "
                    + highWaterMark + ")");
        }
        if (readBufferSize < 1024) {
            throw new IllegalArgumentException("readBufferSize: " + readBufferSize + " (expected: >= 1024)");
        }
        if (readsPerEvent < 1 || acceptsPerEvent < 1 || acceptPauseMillis < 1) {
            throw new IllegalArgumentException("readsPerEvent, acceptsPerEvent and acceptPauseMillis must be >= 1");
        }
    }

    public TransportOptions withWaterMarks(long high, long low) {
        return new TransportOptions(high, low, readBufferSize, readsPerEvent, acceptsPerEvent, acceptPauseMillis);
    }
}
