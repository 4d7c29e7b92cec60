package org.capbus.adapters.transport;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.capbus.adapters.transport.TransportTestSupport.QueueingAcceptor;
import org.capbus.dbus.io.TransportConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.capbus.adapters.transport.TransportTestSupport.TIMEOUT_SECONDS;

/** Descriptor passing both ways with a real peer (Python's {@code socket.send_fds}/{@code recv_fds}). */
class FdPassingTest {
    @TempDir
    Path dir;

    private final UnixTransport transport = UnixTransport.start();

    @AfterEach
    void stop() {
        transport.shutdown();
    }

    @Test
    void shouldReceiveSeveralFdsWithTheirBytesAndSendFdsAtTheRightByte() throws Exception {
        CompletableFuture<List<String>> contents = new CompletableFuture<>();
        QueueingAcceptor acceptor = new QueueingAcceptor(false) {
            @Override
            public RecordingHandler accept(TransportConnection connection) {
                connection.enableFdPassing();
                RecordingHandler handler = new RecordingHandler(connection, false) {
                    @Override
                    void onBytes(byte[] bytes, int length) {
                        super.onBytes(bytes, length);
                        if (received.size() == 4) {
                            answer(this, connection, contents);
                        }
                    }
                };
                handlers.add(handler);
                return handler;
            }
        };
        String address = transport.listen("unix:path=" + DBusAddress.escape(dir.resolve("s").toString()), acceptor);
        Process peer = PythonPeer.start(dir, "fds", DBusAddress.unescape(address.substring("unix:path=".length())));

        assertThat(contents.get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).containsExactly("content-0", "content-1",
                "content-2");
        List<String> lines = PythonPeer.finish(peer);
        assertThat(lines).containsExactly("first X 0 ", "second Y 1 content-2", "third Z 2 content-0,content-1");
        assertThat(transport.counters().fdsReceived()).isEqualTo(3);
        assertThat(transport.counters().fdsSent()).isEqualTo(3);
    }

    /**
     * On the loop, after "FDS!" arrived: read the three files through the received descriptors, then send "X",
     * "Y" with the third attached and "Z" with the first two (two attachments in one flush), and close ours (the
     * transport keeps its duplicates until sent).
     */
    private static void answer(RecordingHandler handler, TransportConnection connection,
                               CompletableFuture<List<String>> contents) {
        try {
            assertThat(handler.received.toString(StandardCharsets.US_ASCII)).isEqualTo("FDS!");
            List<String> read = new ArrayList<>();
            for (int fd : handler.fds) {
                read.add(Files.readString(Path.of("/proc/self/fd/" + fd)));
            }
            connection.write(new byte[] {'X'}, 0, 1);
            int[] fds = {handler.fds.get(2), handler.fds.get(0), handler.fds.get(1)};
            assertThat(connection.attachFds(fds, 0, 1)).isTrue();
            connection.write(new byte[] {'Y'}, 0, 1);
            assertThat(connection.attachFds(fds, 1, 1)).isTrue();
            assertThat(connection.attachFds(fds, 2, 1)).as("merges with the set on the same byte").isTrue();
            connection.write(new byte[] {'Z'}, 0, 1);
            Syscalls syscalls = new Syscalls();
            for (int fd : handler.fds) {
                syscalls.close(fd);
            }
            contents.complete(read);
        } catch (Throwable t) {
            contents.completeExceptionally(t);
        }
    }

    @Test
    @SuppressWarnings("try") // the client only has to stay connected
    void shouldRefuseMoreFdsThanOneSendmsgCarries() throws Exception {
        QueueingAcceptor acceptor = new QueueingAcceptor(false);
        String address = transport.listen("unix:path=" + DBusAddress.escape(dir.resolve("t").toString()), acceptor);
        try (var client = TransportTestSupport.connect(address)) {
            RecordingHandler handler = acceptor.next();
            int[] many = new int[Syscalls.SCM_MAX_FD + 1];
            java.util.Arrays.fill(many, 0);
            assertThat(TransportTestSupport.onLoop(transport,
                    () -> handler.connection.attachFds(many, 0, many.length))).isFalse();
            assertThat(TransportTestSupport.onLoop(transport,
                    () -> handler.connection.attachFds(new int[] {-1}, 0, 1))).isFalse();
        }
    }

    @Test
    @SuppressWarnings("try") // the client only has to stay connected, and never reads
    void shouldStopBeingWritableWhileTooManyDescriptorsWaitForASlowReader() throws Exception {
        QueueingAcceptor acceptor = new QueueingAcceptor(false);
        String address = transport.listen("unix:path=" + DBusAddress.escape(dir.resolve("t").toString()), acceptor);
        try (var client = TransportTestSupport.connect(address)) {
            RecordingHandler handler = acceptor.next();
            // One small message with one descriptor each (stdin's): few bytes, many duplicates held open.
            int attached = TransportTestSupport.onLoop(transport, () -> {
                int n = 0;
                while (handler.connection.isWritable() && n < 10 * UnixConnection.FD_HIGH_WATER_MARK) {
                    handler.connection.attachFds(new int[] {0}, 0, 1);
                    handler.connection.write(new byte[] {1}, 0, 1);
                    n++;
                }
                return n;
            });
            // (Once the batch is flushed the kernel holds them, and the connection is writable again.)
            assertThat(attached).isEqualTo(UnixConnection.FD_HIGH_WATER_MARK);
        }
    }
}
