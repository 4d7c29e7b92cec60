package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A client in the authentication phase that sends line after line and never reads the answers: the bus stops reading
 * from it while its answers are not taken (as dbus-daemon does), so what it queues for that client stays bounded, and
 * other clients of any uid are answered.
 */
class SaslFloodIT {
    /** What the client tries to send: each empty line costs an ERROR line of about 30 bytes to answer. */
    private static final long FLOOD_BYTES = 64L << 20;
    /** How long the client's writes may make no progress before it concludes the bus stopped reading. */
    private static final long STALL_NANOS = 3_000_000_000L;
    private static final long RSS_GROWTH_BOUND_MIB = 256;

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldStopReadingFromAClientThatDoesNotReadItsAnswers(BusKind kind) throws IOException {
        try (TestBus bus = TestBus.startWithConfiguration(kind, TestBus.configurationWithLimits(""), Map.of())) {
            flood(bus);
        }
    }

    private static void flood(TestBus bus) throws IOException {
        BusKind kind = bus.kind();
        ProcStatus before = ProcStatus.of(bus.pid());
        long sent = 0;
        try (SocketChannel flooder = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            flooder.connect(UnixDomainSocketAddress.of(bus.socket()));
            flooder.configureBlocking(false);
            byte[] lines = new byte[64 * 1024];
            for (int i = 0; i < lines.length; i += 2) {
                lines[i] = '\r';
                lines[i + 1] = '\n';
            }
            flooder.write(ByteBuffer.wrap(new byte[] {0}));
            ByteBuffer chunk = ByteBuffer.wrap(lines);
            long lastProgress = System.nanoTime();
            try {
                while (sent < FLOOD_BYTES && System.nanoTime() - lastProgress < STALL_NANOS) {
                    if (!chunk.hasRemaining()) {
                        chunk.rewind();
                    }
                    int n = flooder.write(chunk);
                    if (n > 0) {
                        sent += n;
                        lastProgress = System.nanoTime();
                    } else {
                        Thread.onSpinWait();
                    }
                }
            } catch (IOException closedByBus) {
                // A bus may also give up on such a client: just as good.
            }
            ProcStatus during = ProcStatus.of(bus.pid());
            assertThat(during.rssMiB() - before.rssMiB())
                    .as("[%s] RSS growth after %d MiB of unanswered lines (before: %s, during: %s)", kind, sent >> 20,
                            before, during)
                    .isLessThan(RSS_GROWTH_BOUND_MIB);
            assertThat(sent).as("[%s] the bus stopped reading from the client", kind).isLessThan(FLOOD_BYTES);
            Innocents.assertAnswered(bus);
        }
        assertThat(bus.isAlive()).isTrue();
    }
}
