package org.capbus.adapters.transport;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import org.capbus.dbus.io.ConnectionHandler;
import org.capbus.dbus.io.TransportConnection;

/**
 * A test handler: records what the transport delivers and, if asked, echoes every byte back. Its fields are written
 * on the loop thread; tests read them after a latch or through the loop.
 */
class RecordingHandler implements ConnectionHandler {
    final TransportConnection connection;
    final boolean echo;
    final ByteArrayOutputStream received = new ByteArrayOutputStream();
    final List<Integer> fds = new ArrayList<>();
    final AtomicInteger closedCalls = new AtomicInteger();
    final AtomicInteger writableCalls = new AtomicInteger();
    final CountDownLatch closed = new CountDownLatch(1);
    volatile boolean sawUnwritable;
    private byte[] chunk = new byte[64 * 1024];

    RecordingHandler(TransportConnection connection, boolean echo) {
        this.connection = connection;
        this.echo = echo;
    }

    @Override
    public void onFds(int[] fds, int count) {
        for (int i = 0; i < count; i++) {
            this.fds.add(fds[i]);
        }
    }

    @Override
    public void onData(ByteBuffer data) {
        int length = data.remaining();
        if (chunk.length < length) {
            chunk = new byte[length];
        }
        data.get(chunk, 0, length);
        onBytes(chunk, length);
    }

    /** Called with each read's bytes; echoes by default. */
    void onBytes(byte[] bytes, int length) {
        if (echo) {
            connection.write(bytes, 0, length);
            if (!connection.isWritable()) {
                sawUnwritable = true;
            }
        } else {
            received.write(bytes, 0, length);
        }
    }

    @Override
    public void onWritable() {
        writableCalls.incrementAndGet();
    }

    @Override
    public void onClosed() {
        closedCalls.incrementAndGet();
        closed.countDown();
    }
}
