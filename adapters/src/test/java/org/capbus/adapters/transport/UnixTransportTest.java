package org.capbus.adapters.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.capbus.adapters.transport.TransportTestSupport.QueueingAcceptor;
import org.capbus.dbus.io.PeerCredentials;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.capbus.adapters.transport.TransportTestSupport.TIMEOUT_SECONDS;
import static org.capbus.adapters.transport.TransportTestSupport.connect;
import static org.capbus.adapters.transport.TransportTestSupport.onLoop;
import static org.capbus.adapters.transport.TransportTestSupport.readExactly;

class UnixTransportTest {
    @TempDir
    Path dir;

    private UnixTransport transport;

    @BeforeEach
    void start() {
        transport = UnixTransport.start(TransportOptions.DEFAULTS.withWaterMarks(256 * 1024, 64 * 1024));
    }

    @AfterEach
    void stop() {
        transport.shutdown();
    }

    private String listen(QueueingAcceptor acceptor) throws IOException {
        return transport.listen("unix:path=" + DBusAddress.escape(dir.resolve("bus").toString()), acceptor);
    }

    @Test
    void shouldEchoBytesSentInManySmallWrites() throws Exception {
        QueueingAcceptor acceptor = new QueueingAcceptor(true);
        String address = listen(acceptor);
        byte[] sent = new byte[5000];
        new Random(1).nextBytes(sent);
        try (SocketChannel client = connect(address)) {
            for (int offset = 0; offset < sent.length; offset += 7) {
                client.write(ByteBuffer.wrap(sent, offset, Math.min(7, sent.length - offset)));
            }
            assertThat(readExactly(client, sent.length)).isEqualTo(sent);
        }
        assertThat(acceptor.next().closed.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void shouldCarryLargeTransferThroughSlowReaderWithWaterMarks() throws Exception {
        QueueingAcceptor acceptor = new QueueingAcceptor(true);
        String address = listen(acceptor);
        int total = 32 << 20;
        byte[] block = new byte[1 << 20];
        new Random(2).nextBytes(block);
        try (SocketChannel client = connect(address)) {
            RecordingHandler handler = acceptor.next();
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    for (int sent = 0; sent < total; sent += block.length) {
                        client.write(ByteBuffer.wrap(block));
                    }
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            // Read nothing until the transport has had to queue past its high-water mark: the reader is slow.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
            while (!handler.sawUnwritable && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(handler.sawUnwritable).isTrue();
            ByteBuffer buffer = ByteBuffer.allocate(block.length);
            for (int read = 0; read < total; read += block.length) {
                buffer.clear();
                while (buffer.hasRemaining()) {
                    assertThat(client.read(buffer)).isNotNegative();
                }
                assertThat(buffer.array()).isEqualTo(block);
            }
            writer.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            // Read on the loop: the last flush (and its onWritable) ran in a loop step before this task.
            assertThat(onLoop(transport, handler.connection::pendingOutboundBytes)).isZero();
            assertThat(onLoop(transport, handler.connection::isWritable)).isTrue();
            assertThat(handler.writableCalls.get()).isPositive();
        }
    }

    @Test
    @SuppressWarnings("try") // the client only has to stay connected
    void shouldReadPeerCredentialsAtAccept() throws Exception {
        QueueingAcceptor acceptor = new QueueingAcceptor(true);
        String address = listen(acceptor);
        try (SocketChannel ignored = connect(address)) {
            PeerCredentials credentials = acceptor.next().connection.credentials();
            assertThat(credentials.pid()).isEqualTo(ProcessHandle.current().pid());
            assertThat(credentials.uid()).isEqualTo(((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid"))
                    .longValue());
            assertThat(credentials.gid()).isEqualTo(((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:gid"))
                    .longValue());
            assertThat(credentials.groups()).isNotNull();
        }
    }

    @Test
    void shouldCallOnClosedOnceWhenPeerHangsUp() throws Exception {
        QueueingAcceptor acceptor = new QueueingAcceptor(false);
        String address = listen(acceptor);
        SocketChannel client = connect(address);
        RecordingHandler handler = acceptor.next();
        client.write(ByteBuffer.wrap("bye".getBytes(StandardCharsets.US_ASCII)));
        client.close();
        assertThat(handler.closed.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
        assertThat(onLoop(transport, () -> handler.received.toString(StandardCharsets.US_ASCII))).isEqualTo("bye");
        assertThat(onLoop(transport, handler.connection::isClosed)).isTrue();
        assertThat(onLoop(transport, transport::connectionCount)).isZero();
        assertThat(handler.closedCalls.get()).isEqualTo(1);
    }

    @Test
    void shouldCloseFromHandlerAfterFlushingWithoutCallingOnClosed() throws Exception {
        QueueingAcceptor acceptor = new QueueingAcceptor(false) {
            @Override
            public RecordingHandler accept(org.capbus.dbus.io.TransportConnection connection) {
                RecordingHandler handler = new RecordingHandler(connection, false) {
                    @Override
                    void onBytes(byte[] bytes, int length) {
                        connection.write("goodbye".getBytes(StandardCharsets.US_ASCII), 0, 7);
                        connection.close();
                    }
                };
                handlers.add(handler);
                return handler;
            }
        };
        String address = listen(acceptor);
        try (SocketChannel client = connect(address)) {
            client.write(ByteBuffer.wrap(new byte[] {1}));
            assertThat(new String(readExactly(client, 7), StandardCharsets.US_ASCII)).isEqualTo("goodbye");
            assertThat(client.read(ByteBuffer.allocate(1))).isEqualTo(-1);
            RecordingHandler handler = acceptor.next();
            assertThat(onLoop(transport, handler.connection::isClosed)).isTrue();
            assertThat(handler.closedCalls.get()).isZero();
        }
    }

    @Test
    void shouldServeManyConnectionsAtOnce() throws Exception {
        QueueingAcceptor acceptor = new QueueingAcceptor(true);
        String address = listen(acceptor);
        List<SocketChannel> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) {
                clients.add(connect(address));
            }
            for (int i = 0; i < clients.size(); i++) {
                clients.get(i).write(ByteBuffer.wrap(new byte[] {(byte) i, (byte) (i >> 8)}));
            }
            for (int i = 0; i < clients.size(); i++) {
                assertThat(readExactly(clients.get(i), 2)).containsExactly((byte) i, (byte) (i >> 8));
            }
            assertThat(onLoop(transport, transport::connectionCount)).isEqualTo(200);
        } finally {
            for (SocketChannel client : clients) {
                client.close();
            }
        }
    }

    @Test
    void shouldFlushEachConnectionWithOneSendmsgPerBatch() throws Exception {
        QueueingAcceptor acceptor = new QueueingAcceptor(false);
        String address = listen(acceptor);
        List<SocketChannel> clients = new ArrayList<>();
        List<RecordingHandler> handlers = new ArrayList<>();
        try {
            for (int i = 0; i < 100; i++) {
                clients.add(connect(address));
                handlers.add(acceptor.next());
            }
            byte[] message = "signal".getBytes(StandardCharsets.US_ASCII);
            long before = onLoop(transport, () -> transport.counters().sendmsgCalls());
            // One loop task broadcasting ten messages to every peer, as the bridge would for ten signals.
            onLoop(transport, () -> {
                for (int m = 0; m < 10; m++) {
                    for (RecordingHandler handler : handlers) {
                        handler.connection.write(message, 0, message.length);
                    }
                }
                return null;
            });
            for (SocketChannel client : clients) {
                assertThat(readExactly(client, message.length * 10)).hasSize(60);
            }
            assertThat(onLoop(transport, () -> transport.counters().sendmsgCalls()) - before).isEqualTo(100);
        } finally {
            for (SocketChannel client : clients) {
                client.close();
            }
        }
    }

    @Test
    void shouldCloseOnlyTheConnectionWhoseHandlerThrows() throws Exception {
        QueueingAcceptor acceptor = new QueueingAcceptor(true) {
            @Override
            public RecordingHandler accept(org.capbus.dbus.io.TransportConnection connection) {
                RecordingHandler handler = new RecordingHandler(connection, true) {
                    @Override
                    void onBytes(byte[] bytes, int length) {
                        if (bytes[0] == '!') {
                            throw new IllegalStateException("handler bug (expected by this test)");
                        }
                        super.onBytes(bytes, length);
                    }
                };
                handlers.add(handler);
                return handler;
            }
        };
        String address = listen(acceptor);
        try (SocketChannel bad = connect(address); SocketChannel good = connect(address)) {
            RecordingHandler badHandler = acceptor.next();
            bad.write(ByteBuffer.wrap(new byte[] {'!'}));
            assertThat(badHandler.closed.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
            assertThat(bad.read(ByteBuffer.allocate(1))).isEqualTo(-1);
            good.write(ByteBuffer.wrap(new byte[] {'a'}));
            assertThat(readExactly(good, 1)).containsExactly('a');
            assertThat(onLoop(transport, () -> transport.counters().failures())).isEqualTo(1);
        }
    }

    @Test
    void shouldSendLentBytesInStreamOrderAndTellTheLenderOnlyOnceTheyAreSent() throws Exception {
        QueueingAcceptor acceptor = new QueueingAcceptor(false);
        String address = listen(acceptor);
        byte[] big = new byte[1 << 20];
        new Random(3).nextBytes(big);
        byte[] small = "0123456789".getBytes(StandardCharsets.US_ASCII);
        java.util.concurrent.atomic.AtomicInteger bigDone = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger smallDone = new java.util.concurrent.atomic.AtomicInteger();
        java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
        expected.write(new byte[] {'a', 'b'});
        expected.write(big, 100, big.length - 200);
        expected.write('c');
        expected.write(small, 2, 5);
        expected.write(small, 0, 1); // two lendings in a row
        expected.write('d');
        try (SocketChannel client = connect(address)) {
            RecordingHandler handler = acceptor.next();
            onLoop(transport, () -> {
                handler.connection.write(new byte[] {'a', 'b'}, 0, 2);
                handler.connection.writeLent(big, 100, big.length - 200, bigDone::incrementAndGet);
                handler.connection.write(new byte[] {'c'}, 0, 1);
                handler.connection.writeLent(small, 2, 5, smallDone::incrementAndGet);
                handler.connection.writeLent(small, 0, 1, smallDone::incrementAndGet);
                handler.connection.write(new byte[] {'d'}, 0, 1);
                return null;
            });
            // The end-of-batch flush ran before this task: a socket holds far less than 1 MiB, so the lender waits.
            assertThat(onLoop(transport, () -> bigDone.get())).isZero();
            assertThat(onLoop(transport, handler.connection::pendingOutboundBytes)).isPositive();
            assertThat(readExactly(client, expected.size())).isEqualTo(expected.toByteArray());
            // The last flush (which told the lenders) ran in a loop step before this task.
            assertThat(onLoop(transport, handler.connection::pendingOutboundBytes)).isZero();
            assertThat(bigDone.get()).isEqualTo(1);
            assertThat(smallDone.get()).isEqualTo(2);
        }
    }

    @Test
    void shouldTellLendersOnceWhenTheConnectionClosesBeforeSendingTheirBytes() throws Exception {
        QueueingAcceptor acceptor = new QueueingAcceptor(false);
        String address = listen(acceptor);
        byte[] big = new byte[4 << 20];
        java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
        try (SocketChannel client = connect(address)) {
            RecordingHandler handler = acceptor.next();
            onLoop(transport, () -> {
                handler.connection.writeLent(big, 0, big.length, done::incrementAndGet);
                return null;
            });
            assertThat(onLoop(transport, () -> done.get())).isZero();
            onLoop(transport, () -> {
                handler.connection.close();
                return null;
            });
            assertThat(done.get()).isEqualTo(1);
            assertThat(onLoop(transport, handler.connection::pendingOutboundBytes)).isZero();
        }
    }

    @Test
    void shouldLeaveInputInTheSocketWhileReadingIsPausedAndReadItOnceResumed() throws Exception {
        QueueingAcceptor acceptor = new QueueingAcceptor(false);
        String address = listen(acceptor);
        SocketChannel client = connect(address);
        RecordingHandler handler = acceptor.next();
        onLoop(transport, () -> {
            handler.connection.pauseReading();
            return null;
        });
        client.write(ByteBuffer.wrap("held".getBytes(StandardCharsets.US_ASCII)));
        // Writing goes on while reading is paused.
        onLoop(transport, () -> {
            handler.connection.write("out".getBytes(StandardCharsets.US_ASCII), 0, 3);
            return null;
        });
        assertThat(new String(readExactly(client, 3), StandardCharsets.US_ASCII)).isEqualTo("out");
        client.close();
        // The bytes and the hang-up were in the socket before these two tasks were posted: the loop has polled it at
        // least once between them (each wakes it from epoll_wait, and it handles ready sockets before its tasks).
        onLoop(transport, () -> null);
        onLoop(transport, () -> null);
        assertThat(onLoop(transport, handler.received::size)).isZero();
        assertThat(handler.closedCalls.get()).as("the hang-up waits for reading too").isZero();

        onLoop(transport, () -> {
            handler.connection.resumeReading();
            return null;
        });
        assertThat(handler.closed.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
        assertThat(onLoop(transport, () -> handler.received.toString(StandardCharsets.US_ASCII))).isEqualTo("held");
        assertThat(handler.closedCalls.get()).isEqualTo(1);
    }
}
