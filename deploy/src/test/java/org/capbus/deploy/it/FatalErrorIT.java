package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * When the bus cannot go on (here: the heap is too small for a message it must hold), it dies at once and loudly, with
 * a non-zero status the service manager restarts on (the units say {@code Restart=on-failure}); it never lingers with a
 * dead event loop, serving nobody. capbus only: the failure is the JVM's.
 */
class FatalErrorIT {
    private static final Duration EXIT_BOUND = Duration.ofSeconds(60);

    @Test
    void shouldExitLoudlyWhenTheHeapRunsOut() {
        // 24 MiB of heap; one complete 30 MiB message (within the default max_message_size of 32 MiB) cannot fit.
        try (TestBus bus = TestBus.startWithConfiguration(BusKind.CAPBUS, TestBus.configurationWithLimits(""),
                Map.of("CAPBUS_JAVA_OPTS", "-Xmx24m", "CAPBUS_AOT", "0"));
                RawConnection c = RawConnection.open(bus)) {
            int length = 30 << 20;
            c.send(AnnouncedSizeIT.announce(length, c.nextSerial()));
            ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
            try {
                for (int sent = 16; sent < length && bus.isAlive(); sent += chunk.capacity()) {
                    c.send(new byte[Math.min(chunk.capacity(), length - sent)]);
                }
            } catch (RuntimeException | AssertionError e) {
                // The bus went away while we wrote: what the test expects.
            }
            int status = bus.awaitExit(EXIT_BOUND);
            assertThat(status).as("the bus exits, with a failure status\n--- bus stderr ---\n%s", bus.stderr())
                    .isNotIn(-1, 0);
            assertThat(bus.stderr()).contains("OutOfMemoryError");
        }
    }
}
