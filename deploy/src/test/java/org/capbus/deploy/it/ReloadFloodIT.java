package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Thousands of pipelined {@code ReloadConfig} calls: each gets its answer, the bus reads the file on one worker at
 * most (no thread per call: capbus once started 20,000 of them and slowed everyone 20-fold), capbus coalesces the
 * calls that wait together into one reload (dbus-daemon reloads synchronously, once per call), and innocent clients
 * of both uids are answered.
 */
class ReloadFloodIT {
    private static final int CALLS = 5_000;
    /** Threads the bus may add while it reloads: its one reload worker, and room for the JVM's own. */
    private static final int THREAD_GROWTH_BOUND = 4;

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldAnswerEveryReloadWithOneWorker(BusKind kind) {
        try (TestBus bus = TestBus.startWithConfiguration(kind, TestBus.configurationWithLimits(""), Map.of());
                RawConnection flooder = RawConnection.open(bus)) {
            // Warm up: the first reload may start the worker.
            assertThat(flooder.callDriver("ReloadConfig").type()).isEqualTo(WireMessage.METHOD_RETURN);
            ProcStatus before = ProcStatus.of(bus.pid());
            ByteArrayOutputStream calls = new ByteArrayOutputStream();
            int first = 0;
            for (int i = 0; i < CALLS; i++) {
                int serial = flooder.nextSerial();
                if (i == 0) {
                    first = serial;
                }
                calls.writeBytes(WireMessage.driverCall(serial, "ReloadConfig").build());
            }
            flooder.send(calls.toByteArray());
            int maxThreads = before.threads();
            int returns = 0;
            for (int i = 0; i < CALLS; i++) {
                WireMessage reply = flooder.read(Duration.ofSeconds(60));
                if (reply.replySerial() >= first && reply.type() == WireMessage.METHOD_RETURN) {
                    returns++;
                }
                if (i % 50 == 0) {
                    maxThreads = Math.max(maxThreads, ProcStatus.of(bus.pid()).threads());
                }
            }
            assertThat(returns).as("[%s] ReloadConfig calls answered", kind).isEqualTo(CALLS);
            assertThat(maxThreads - before.threads()).as("[%s] threads added while reloading (before: %s)", kind,
                    before).isLessThanOrEqualTo(THREAD_GROWTH_BOUND);
            if (kind == BusKind.CAPBUS) {
                // capbus logs each configuration it installs: requests that wait together share one reload.
                long reloads = bus.stderr().lines().filter(l -> l.contains("configuration reloaded from")).count();
                assertThat(reloads).as("reloads for %d pipelined calls", CALLS).isLessThan(CALLS / 10);
            }
            Innocents.assertAnswered(bus);
        }
    }
}
