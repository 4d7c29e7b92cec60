package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Large messages carrying descriptors, written piece by piece over a raw socket (large_fds.py), with the descriptors
 * on the bytes the test chooses. capbus reads the rest of a large message straight into its buffer with a read that
 * has no room for descriptors, only once every descriptor the message announces has arrived
 * ({@code MessageFramer#directLength}); these show that descriptors sent with the first bytes (every client library)
 * or in the middle of the body (the specification allows any byte of the message) still arrive, on capbus as on
 * dbus-daemon, and what happens to descriptors sent too early.
 */
class LargeMessageFdsIT {
    private static final TestBus.Shared BUSES = new TestBus.Shared();

    @AfterAll
    static void stopBuses() {
        BUSES.close();
    }

    private static String expectedGot(int fds) throws NoSuchAlgorithmException {
        byte[] data = new byte[1 << 20];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7 % 251);
        }
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data)).substring(0, 16);
        return "GOT len=1048576 sha256=" + sha + " fds=" + fds + " devnull=" + fds;
    }

    /** Every selected bus with each way of sending a large message's descriptors that the specification allows. */
    static Stream<Arguments> busesAndAllowedSendings() {
        return BusKind.selected().stream().flatMap(kind -> Stream.of(
                // with its first bytes, as every client library sends them
                Arguments.of(kind, "first"),
                // with a piece in the middle of its body: the specification allows any byte of the message
                Arguments.of(kind, "middle")));
    }

    @ParameterizedTest(name = "{0}, descriptors sent {1}")
    @MethodSource("busesAndAllowedSendings")
    void shouldDeliverTheDescriptorsOfALargeMessageWhereverAmongItsBytesTheyCome(BusKind kind, String mode)
            throws Exception {
        TestBus bus = BUSES.get(kind);
        String out = Clients.python(bus, "large_fds.py", mode).stdout();
        assertThat(out.lines()).containsExactly(expectedGot(2), "BUS OK");
    }

    /**
     * Descriptors of a later message sent within the body of a large one break the specification ("they may not be
     * sent before the first byte of the message"). dbus-daemon queues them for the later message; capbus's direct
     * read lets the kernel drop them, so the later message misses its descriptors and only the sender's connection
     * is closed, as a protocol violation (stricter, as dbus-broker, which never matches descriptors across messages).
     * clients too). capbus only: the two buses deliberately differ here. The same holds for a writer that sends the
     * end of one large message and the start of the next in one {@code sendmsg} with the next one's descriptors (the
     * kernel attaches them to the first bytes of that call); no client library writes so
     * (docs/features/configuration.md).
     */
    @Test
    void shouldCloseOnlyTheSenderWhoseDescriptorsCameBeforeTheirMessage() throws Exception {
        TestBus bus = BUSES.get(BusKind.CAPBUS);
        String out = Clients.python(bus, "large_fds.py", "early").stdout();
        assertThat(out.lines()).containsExactly(expectedGot(0), "SENDER CLOSED", "BUS OK");
        assertThat(bus.isAlive()).isTrue();
    }
}
