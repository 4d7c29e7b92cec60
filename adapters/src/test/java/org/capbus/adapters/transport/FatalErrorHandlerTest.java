package org.capbus.adapters.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.capbus.adapters.transport.TransportTestSupport.QueueingAcceptor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.capbus.adapters.transport.TransportTestSupport.TIMEOUT_SECONDS;
import static org.capbus.adapters.transport.TransportTestSupport.connect;

/**
 * An {@link Error} anywhere on the loop (a connection's handler, a task, a timer) reaches the fatal-error handler, which
 * halts the process in production; here it records, so the loop can be seen to report every such error.
 */
class FatalErrorHandlerTest {
    @TempDir
    Path dir;

    private final BlockingQueue<String> fatal = new LinkedBlockingQueue<>();
    private UnixTransport transport;

    @BeforeEach
    void start() {
        transport = UnixTransport.start(TransportOptions.DEFAULTS, (where, error) -> fatal.add(where + ": " + error));
    }

    @AfterEach
    void stop() {
        transport.shutdown();
    }

    @Test
    void shouldReportAnErrorFromAConnectionHandler() throws Exception {
        QueueingAcceptor acceptor = new QueueingAcceptor(false) {
            @Override
            public RecordingHandler accept(org.capbus.dbus.io.TransportConnection connection) {
                RecordingHandler handler = new RecordingHandler(connection, false) {
                    @Override
                    void onBytes(byte[] bytes, int length) {
                        throw new OutOfMemoryError("simulated");
                    }
                };
                handlers.add(handler);
                return handler;
            }
        };
        String address = transport.listen("unix:path=" + DBusAddress.escape(dir.resolve("bus").toString()), acceptor);
        try (SocketChannel client = connect(address)) {
            client.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            assertThat(fatal.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS))
                    .startsWith("connection fd").contains("OutOfMemoryError: simulated");
            // The test handler returned, so the connection went as after a bug; the loop still serves.
            assertThat(acceptor.next().closed.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
            assertThat(transport.executor().submit(() -> 42).get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEqualTo(42);
        }
    }

    @Test
    void shouldReportAnErrorFromATaskAndFromATimer() throws Exception {
        transport.executor().execute(() -> {
            throw new StackOverflowError("from a task");
        });
        assertThat(fatal.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS)).contains("StackOverflowError: from a task");
        transport.executor().schedule(() -> {
            throw new OutOfMemoryError("from a timer");
        }, 1, TimeUnit.MILLISECONDS);
        assertThat(fatal.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS)).contains("OutOfMemoryError: from a timer");
    }

    @Test
    void shouldKeepServingAfterARuntimeExceptionInATask() throws Exception {
        transport.executor().execute(() -> {
            throw new IllegalStateException("a bug, not fatal");
        });
        assertThat(transport.executor().submit(() -> 7).get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEqualTo(7);
        assertThat(fatal).isEmpty();
    }

    @Test
    void shouldPassAnExceptionOfASubmittedTaskToItsFuture() {
        var future = transport.executor().submit(() -> {
            throw new IOException("expected");
        });
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS))
                .hasCauseInstanceOf(IOException.class);
        assertThat(fatal).isEmpty();
    }
}
