package org.capbus.dbus.broker;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

import org.capbus.dbus.io.PeerCredentials;
import org.capbus.dbus.io.TransportConnection;

/**
 * A {@link TransportConnection} in memory: what the bus writes is kept in a byte stream, with the descriptors it
 * attached and where in the stream they go. Like the real transport it refuses more than
 * {@link #MAX_FDS_PER_WRITE} descriptors on one byte. Test thread only.
 */
final class FakeTransport implements TransportConnection {
    /** The kernel's SCM_MAX_FD, which the unix transport enforces. */
    static final int MAX_FDS_PER_WRITE = 253;

    /** Descriptors attached at byte {@code position} of the stream. */
    record Attachment(long position, int[] fds) {
    }

    private final PeerCredentials credentials;
    final ByteArrayOutputStream written = new ByteArrayOutputStream();
    final List<Attachment> attachments = new ArrayList<>();
    boolean writable = true;
    boolean fdPassing;
    boolean closed;
    /** How often the bridge asked to stop reading until its output is written. */
    int readSuspensions;
    /** Whether reading is paused ({@link #pauseReading()}), as a throttled sender's is. */
    boolean readingPaused;

    FakeTransport(PeerCredentials credentials) {
        this.credentials = credentials;
    }

    @Override
    public PeerCredentials credentials() {
        return credentials;
    }

    @Override
    public void write(byte[] src, int offset, int length) {
        if (!closed) {
            written.write(src, offset, length);
        }
    }

    @Override
    public boolean attachFds(int[] fds, int offset, int count) {
        if (closed || count > MAX_FDS_PER_WRITE) {
            return false;
        }
        int[] copy = new int[count];
        System.arraycopy(fds, offset, copy, 0, count);
        attachments.add(new Attachment(written.size(), copy));
        return true;
    }

    @Override
    public boolean isWritable() {
        return writable && !closed;
    }

    @Override
    public void enableFdPassing() {
        fdPassing = true;
    }

    @Override
    public void suspendReadingUntilWritten() {
        readSuspensions++;
    }

    @Override
    public void pauseReading() {
        readingPaused = true;
    }

    @Override
    public void resumeReading() {
        readingPaused = false;
    }

    @Override
    public long pendingOutboundBytes() {
        return 0;
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public boolean isClosed() {
        return closed;
    }
}
