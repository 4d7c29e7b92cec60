package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Clients that announce large messages and never send them: a bus holds memory only for the bytes that arrived, not
 * for what a 16-byte header announces. 300 connections each announce a 30 MiB message, send 1,000 bytes of it and
 * hang up; the bus's resident memory stays within a generous bound (allocating at the announced size costs 9 GB),
 * and innocent clients of the same and of another uid are answered throughout.
 */
class AnnouncedSizeIT {
    private static final int CONNECTIONS = 300;
    private static final int ANNOUNCED = 30 << 20;
    /** Far above what 300 partial messages of 1,000 bytes need, far below 300 x 30 MiB. */
    private static final long RSS_GROWTH_BOUND_MIB = 512;

    /** A fixed header announcing a method call of {@code length} bytes with an empty header field array. */
    static byte[] announce(int length, int serial) {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'l').put((byte) WireMessage.METHOD_CALL).put((byte) 0).put((byte) 1);
        b.putInt(length - 16).putInt(serial).putInt(0);
        return b.array();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldHoldOnlyTheBytesThatArrived(BusKind kind) {
        String limits = "  <limit name=\"max_connections_per_user\">1000</limit>\n";
        try (TestBus bus = TestBus.startWithConfiguration(kind, TestBus.configurationWithLimits(limits), Map.of());
                RawConnection bystander = RawConnection.open(bus)) {
            ProcStatus before = ProcStatus.of(bus.pid());
            List<RawConnection> attackers = new ArrayList<>();
            try {
                for (int i = 0; i < CONNECTIONS; i++) {
                    RawConnection c = RawConnection.open(bus);
                    attackers.add(c);
                    c.send(announce(ANNOUNCED, c.nextSerial()));
                    c.send(new byte[1000]);
                }
                Innocents.assertAnswered(bus, bystander);
                Innocents.assertAnswered(bus);
                ProcStatus held = ProcStatus.of(bus.pid());
                assertThat(held.rssMiB() - before.rssMiB())
                        .as("[%s] RSS growth while %d connections announce %d MiB each (before: %s, held: %s)", kind,
                                CONNECTIONS, ANNOUNCED >> 20, before, held)
                        .isLessThan(RSS_GROWTH_BOUND_MIB);
            } finally {
                attackers.forEach(RawConnection::close);
            }
            Innocents.assertAnswered(bus, bystander);
            Innocents.assertAnswered(bus);
            ProcStatus after = ProcStatus.of(bus.pid());
            assertThat(after.rssMiB() - before.rssMiB()).as("[%s] RSS growth after the hang-ups (before: %s, after: %s)",
                    kind, before, after).isLessThan(RSS_GROWTH_BOUND_MIB);
            assertThat(bus.isAlive()).as("[%s] bus alive\n%s", kind, bus.stderr()).isTrue();
        }
    }
}
