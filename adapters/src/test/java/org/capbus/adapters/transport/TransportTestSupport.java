package org.capbus.adapters.transport;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.capbus.dbus.io.ConnectionAcceptor;

/** Shared plumbing of the transport tests: an acceptor that queues its handlers, loop calls, a blocking client. */
final class TransportTestSupport {
    static final long TIMEOUT_SECONDS = 20;

    private TransportTestSupport() {
    }

    /** An acceptor creating a {@link RecordingHandler} per connection and queueing it for the test. */
    static class QueueingAcceptor implements ConnectionAcceptor {
        final BlockingQueue<RecordingHandler> handlers = new LinkedBlockingQueue<>();
        private final boolean echo;

        QueueingAcceptor(boolean echo) {
            this.echo = echo;
        }

        @Override
        public RecordingHandler accept(org.capbus.dbus.io.TransportConnection connection) {
            RecordingHandler handler = new RecordingHandler(connection, echo);
            handlers.add(handler);
            return handler;
        }

        RecordingHandler next() throws InterruptedException {
            RecordingHandler handler = handlers.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (handler == null) {
                throw new AssertionError("no connection accepted in " + TIMEOUT_SECONDS + " s");
            }
            return handler;
        }
    }

    static <T> T onLoop(UnixTransport transport, Callable<T> task) throws Exception {
        return transport.executor().submit(task).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    static SocketChannel connect(String printedAddress) throws IOException {
        String prefix = "unix:path=";
        if (!printedAddress.startsWith(prefix)) {
            throw new IllegalArgumentException(printedAddress);
        }
        String path = DBusAddress.unescape(printedAddress.substring(prefix.length()));
        return SocketChannel.open(UnixDomainSocketAddress.of(Path.of(path)));
    }

    static byte[] readExactly(SocketChannel channel, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new IOException("end of stream after " + buffer.position() + " of " + length + " bytes");
            }
        }
        return buffer.array();
    }
}
