package org.capbus.deploy;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.capbus.adapters.transport.TransportImage;
import org.capbus.dbus.broker.handover.ActivationImage;
import org.capbus.dbus.broker.handover.BusImage;
import org.capbus.dbus.broker.handover.NativeImage;
import org.capbus.dbus.io.PeerCredentials;
import org.capbus.dbus.io.TransportConnection;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HandoverFormatTest {

    @Test
    void shouldReadBackWhatItWrote() throws Exception {
        Fake a = new Fake();
        Fake b = new Fake();
        BusImage bus = new BusImage("0123456789abcdef0123456789abcdef", 42, 77,
                List.of(new BusImage.Connection(a, BusImage.Phase.ACTIVE, ":1.3", "EXTERNAL", true, new byte[0],
                                new byte[] {'l', 0, 0, 1}, new int[] {31}),
                        new BusImage.Connection(b, BusImage.Phase.AUTHENTICATING, null, null, false,
                                "\0AUTH EXTERNAL 30\r\n".getBytes(), new byte[0], new int[0],
                                new org.capbus.dbus.sasl.SaslServer.CookieChallenge(
                                        new org.capbus.dbus.sasl.CookieKeyring.Cookie(7, "5ec12e7"), "c0ffee"))),
                List.of(new BusImage.Name("org.example.A", new int[] {0}, new int[] {4})),
                List.of(new BusImage.Rule(0, "type='signal',interface='org.example.A'")),
                List.of(new BusImage.Reply(0, 9, 0, 1500), new BusImage.Reply(1, 10, 0)),
                List.of());
        Map<TransportConnection, TransportImage.Socket> sockets = new LinkedHashMap<>();
        sockets.put(a, new TransportImage.Socket(10, new TransportImage.Pending(new byte[] {1, 2, 3}, new long[] {1},
                new int[][] {{40, 41}})));
        sockets.put(b, new TransportImage.Socket(11, TransportImage.Pending.NONE));
        TransportImage transport = new TransportImage(
                List.of(new TransportImage.Listener(5, "unix:path=/tmp/x", "/tmp/x")), sockets);

        HandoverFormat.Encoded encoded = HandoverFormat.encode(bus, transport);
        // The receiving process gets other numbers for the same descriptors.
        int[] received = new int[encoded.fds().length];
        for (int i = 0; i < received.length; i++) {
            received[i] = 100 + encoded.fds()[i];
        }
        HandoverFormat.Decoded d = HandoverFormat.decode(encoded.bytes(), received, HandoverFormat.MAX_READ_VERSION);

        assertThat(d.listeners()).containsExactly(new TransportImage.Listener(105, "unix:path=/tmp/x", "/tmp/x"));
        assertThat(d.sockets()).extracting(TransportImage.Socket::fd).containsExactly(110, 111);
        assertThat(d.sockets().get(0).pending().bytes()).containsExactly(1, 2, 3);
        assertThat(d.sockets().get(0).pending().attachedAt()).containsExactly(1L);
        assertThat(d.sockets().get(0).pending().attachedFds()[0]).containsExactly(140, 141);
        BusImage r = d.bus();
        assertThat(r.guid()).isEqualTo(bus.guid());
        assertThat(r.nextUniqueId()).isEqualTo(42);
        assertThat(r.nextSerial()).isEqualTo(77);
        assertThat(r.connections().get(0).uniqueName()).isEqualTo(":1.3");
        assertThat(r.connections().get(0).partialInput()).containsExactly('l', 0, 0, 1);
        assertThat(r.connections().get(0).unclaimedFds()).containsExactly(131);
        assertThat(r.connections().get(1).phase()).isEqualTo(BusImage.Phase.AUTHENTICATING);
        assertThat(new String(r.connections().get(1).authTranscript())).isEqualTo("\0AUTH EXTERNAL 30\r\n");
        assertThat(r.connections().get(1).cookieChallenge()).isEqualTo(bus.connections().get(1).cookieChallenge());
        assertThat(r.connections().get(0).cookieChallenge()).isNull();
        assertThat(r.names().get(0).flags()).containsExactly(4);
        assertThat(r.matchRules()).containsExactly(bus.matchRules().get(0));
        assertThat(r.replies()).containsExactly(new BusImage.Reply(0, 9, 0, 1500), new BusImage.Reply(1, 10, 0, -1));
    }

    @Test
    void shouldCarryTheCountersInAnOptionalSection() throws Exception {
        BusImage bus = new BusImage("g", 1, 1, List.of(), List.of(), List.of(), List.of(), List.of());
        Map<String, long[]> counters = new LinkedHashMap<>();
        counters.put("bus.messagesIn", new long[] {0, 7, 8, 9, 10});
        counters.put("transport.accepted", new long[] {3});
        byte[] bytes = HandoverFormat.encode(bus, new TransportImage(List.of(), Map.of()), counters).bytes();

        HandoverFormat.Decoded d = HandoverFormat.decode(bytes, new int[0], HandoverFormat.MAX_READ_VERSION);

        assertThat(d.counters()).containsOnlyKeys("bus.messagesIn", "transport.accepted");
        assertThat(d.counters().get("bus.messagesIn")).containsExactly(0, 7, 8, 9, 10);
        assertThat(d.counters().get("transport.accepted")).containsExactly(3);
        // Optional: a reader of version 1 that predates the section skips it (the flag is clear).
        int at = 12;
        while (ByteBuffer.wrap(bytes).getShort(at) != HandoverFormat.SECTION_COUNTERS) {
            at += 8 + ByteBuffer.wrap(bytes).getInt(at + 4);
        }
        assertThat(ByteBuffer.wrap(bytes).getShort(at + 2) & HandoverFormat.REQUIRED).isZero();
        assertThat(HandoverFormat.decode(emptyImage(), new int[0], HandoverFormat.MAX_READ_VERSION).counters())
                .isEmpty();
    }

    @Test
    void shouldCarryNativeConnectionsInARequiredSectionOnlyWhenThereIsOne() throws Exception {
        Fake a = new Fake();
        Fake b = new Fake();
        NativeImage natives = new NativeImage(123_456_789_012L,
                List.of(new NativeImage.Node(NativeImage.OWNER_DRIVER, false, null),
                        new NativeImage.Node(0, false, null),
                        new NativeImage.Node(1, true, null),
                        new NativeImage.Node(NativeImage.OWNER_BRIDGE, false,
                                new NativeImage.Reply(0, ":1.9", 0xFFFF_FFF0L, false)),
                        new NativeImage.Node(NativeImage.OWNER_BRIDGE, true, new NativeImage.Reply(-1, ":1.7", 3, true)),
                        new NativeImage.Node(NativeImage.OWNER_GONE_NATIVE, true, null),
                        new NativeImage.Node(NativeImage.OWNER_GONE_DBUS, true, null)),
                List.of(new NativeImage.Connection(0, 42, 2,
                        List.of(new NativeImage.Handle(1, 0, 1, 0), new NativeImage.Handle(2, 1, 1, 1),
                                new NativeImage.Handle(7, 3, 1, 1), new NativeImage.Handle(9, 2, 3, 2),
                                new NativeImage.Handle(11, 5, 1, 1), new NativeImage.Handle(12, 6, 2, 1)),
                        List.of(new NativeImage.NamedNode("org.example.Native", 2)))));
        BusImage bus = new BusImage("g", 10, 20,
                List.of(new BusImage.Connection(a, BusImage.Phase.ACTIVE, ":1.3", "EXTERNAL", true, new byte[0],
                                new byte[] {40, 0, 0, 0, 2}, new int[] {31}),
                        new BusImage.Connection(b, BusImage.Phase.ACTIVE, ":1.4", "EXTERNAL", false, new byte[0],
                                new byte[0], new int[0])),
                List.of(), List.of(), List.of(), List.of(), ActivationImage.NONE, natives);
        Map<TransportConnection, TransportImage.Socket> sockets = new LinkedHashMap<>();
        sockets.put(a, new TransportImage.Socket(10, TransportImage.Pending.NONE));
        sockets.put(b, new TransportImage.Socket(11, TransportImage.Pending.NONE));
        HandoverFormat.Encoded encoded = HandoverFormat.encode(bus, new TransportImage(List.of(), sockets));

        HandoverFormat.Decoded d = HandoverFormat.decode(encoded.bytes(), encoded.fds(),
                HandoverFormat.MAX_READ_VERSION);

        assertThat(d.bus().natives()).isEqualTo(natives);
        assertThat(d.bus().connections().get(0).partialInput()).containsExactly(40, 0, 0, 0, 2);
        // Required: a capbus that does not know section 9 refuses (the old bus keeps serving)...
        assertThatThrownBy(() -> HandoverFormat.decode(encoded.bytes(), encoded.fds(),
                HandoverFormat.MAX_READ_VERSION, java.util.Set.of(HandoverFormat.SECTION_NATIVE)))
                .isInstanceOf(HandoverFormat.UnreadableException.class)
                .hasMessageContaining("required section " + HandoverFormat.SECTION_NATIVE);
        // ...and a bus without native connections does not write it, so that such a capbus still reads it.
        assertThat(HandoverFormat.decode(emptyImage(), new int[0], HandoverFormat.MAX_READ_VERSION,
                java.util.Set.of(HandoverFormat.SECTION_NATIVE)).bus().natives()).isNull();
        // An index out of range is refused before anything is restored.
        BusImage broken = new BusImage("g", 10, 20, bus.connections(), List.of(), List.of(), List.of(), List.of(),
                ActivationImage.NONE, new NativeImage(1, natives.nodes(), List.of(new NativeImage.Connection(0, 2, 1,
                        List.of(new NativeImage.Handle(1, 99, 1, 1)), List.of()))));
        byte[] brokenBytes = HandoverFormat.encode(broken, new TransportImage(List.of(), sockets)).bytes();
        assertThatThrownBy(() -> HandoverFormat.decode(brokenBytes, encoded.fds(), HandoverFormat.MAX_READ_VERSION))
                .hasMessageContaining("to node 99");
    }

    @Test
    void shouldCarryActivationsWithTheirCallersAndTheirDescriptorsInARequiredSection() throws Exception {
        Fake a = new Fake();
        Fake b = new Fake();
        ActivationImage activations = new ActivationImage(Map.of("LANG", "C.UTF-8", "EMPTY", ""), List.of(
                new ActivationImage.Pending("org.example.Slow", new ActivationImage.Service(
                        "/usr/share/dbus-1/services/org.example.Slow.service", "org.example.Slow", "/bin/slow --x",
                        null, null), null, 4242, 1500,
                        List.of(new ActivationImage.StartCall(1, 0xFFFF_FFFEL, true)),
                        List.of(new ActivationImage.Waiter(0, new byte[] {'l', 1, 0, 1}, new int[] {50}),
                                new ActivationImage.Waiter(1, new byte[] {'l', 1, 1, 1}, new int[0]))),
                new ActivationImage.Pending("org.example.Unit", null, "example.service", -1, 10, List.of(),
                        List.of()),
                new ActivationImage.Pending("org.example.Systemd", null, null, -1, 0,
                        List.of(new ActivationImage.StartCall(0, 3, false)), List.of())));
        BusImage bus = new BusImage("g", 1, 1,
                List.of(new BusImage.Connection(a, BusImage.Phase.ACTIVE, ":1.1", "EXTERNAL", true, new byte[0],
                                new byte[0], new int[0]),
                        new BusImage.Connection(b, BusImage.Phase.ACTIVE, ":1.2", "EXTERNAL", false, new byte[0],
                                new byte[0], new int[0])),
                List.of(), List.of(), List.of(), List.of(), activations);
        Map<TransportConnection, TransportImage.Socket> sockets = new LinkedHashMap<>();
        sockets.put(a, new TransportImage.Socket(10, TransportImage.Pending.NONE));
        sockets.put(b, new TransportImage.Socket(11, TransportImage.Pending.NONE));
        HandoverFormat.Encoded encoded = HandoverFormat.encode(bus, new TransportImage(List.of(), sockets));
        int[] received = new int[encoded.fds().length];
        for (int i = 0; i < received.length; i++) {
            received[i] = 100 + encoded.fds()[i];
        }

        ActivationImage r = HandoverFormat.decode(encoded.bytes(), received, HandoverFormat.MAX_READ_VERSION).bus()
                .activations();

        assertThat(r.environment()).isEqualTo(activations.environment());
        assertThat(r.pending()).hasSize(3);
        ActivationImage.Pending slow = r.pending().get(0);
        assertThat(slow.service()).isEqualTo(activations.pending().get(0).service());
        assertThat(slow.childPid()).isEqualTo(4242);
        assertThat(slow.elapsedMillis()).isEqualTo(1500);
        assertThat(slow.startCalls()).containsExactly(new ActivationImage.StartCall(1, 0xFFFF_FFFEL, true));
        assertThat(slow.waiters()).extracting(ActivationImage.Waiter::sender).containsExactly(0, 1);
        assertThat(slow.waiters().get(0).message()).containsExactly('l', 1, 0, 1);
        assertThat(slow.waiters().get(0).fds()).as("the receiving process's number").containsExactly(150);
        assertThat(r.pending().get(1).systemdUnit()).isEqualTo("example.service");
        assertThat(r.pending().get(1).service()).isNull();
        assertThat(r.pending().get(2).name()).isEqualTo("org.example.Systemd");
        assertThat(r.pending().get(2).startCalls()).containsExactly(new ActivationImage.StartCall(0, 3, false));
        // Required: a reader that skipped it would drop those callers; and absent when there is nothing to carry.
        assertThat(flagsOf(encoded.bytes(), HandoverFormat.SECTION_ACTIVATIONS) & HandoverFormat.REQUIRED)
                .isEqualTo(HandoverFormat.REQUIRED);
        assertThat(flagsOf(emptyImage(), HandoverFormat.SECTION_ACTIVATIONS)).isEqualTo(-1);
        assertThat(HandoverFormat.decode(emptyImage(), new int[0], HandoverFormat.MAX_READ_VERSION).bus()
                .activations().isEmpty()).isTrue();
    }

    @Test
    void shouldRefuseAnActivationNamingAConnectionThatIsNotThere() throws Exception {
        ActivationImage activations = new ActivationImage(Map.of(), List.of(new ActivationImage.Pending(
                "org.example.A", null, null, -1, 0, List.of(new ActivationImage.StartCall(3, 1, true)),
                List.of())));
        BusImage bus = new BusImage("g", 1, 1, List.of(), List.of(), List.of(), List.of(), List.of(), activations);
        byte[] bytes = HandoverFormat.encode(bus, new TransportImage(List.of(), Map.of())).bytes();
        assertThatThrownBy(() -> HandoverFormat.decode(bytes, new int[0], HandoverFormat.MAX_READ_VERSION))
                .isInstanceOf(HandoverFormat.UnreadableException.class);
    }

    /** The flags of section {@code id} in a hand-over, or -1 if it has none. */
    private static int flagsOf(byte[] bytes, int id) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        for (int at = 12; b.getShort(at) != 0; at += 8 + b.getInt(at + 4)) {
            if (b.getShort(at) == id) {
                return b.getShort(at + 2);
            }
        }
        return -1;
    }

    @Test
    void shouldRefuseAVersionFromTheFuture() throws Exception {
        byte[] bytes = emptyImage();
        ByteBuffer.wrap(bytes).putInt(8, HandoverFormat.MAX_READ_VERSION + 1);
        assertThatThrownBy(() -> HandoverFormat.decode(bytes, new int[0], HandoverFormat.MAX_READ_VERSION))
                .isInstanceOf(HandoverFormat.UnreadableException.class)
                .hasMessageContaining("version " + (HandoverFormat.MAX_READ_VERSION + 1));
    }

    @Test
    void shouldRefuseAnUnknownRequiredSectionAndSkipAnOptionalOne() throws Exception {
        byte[] bytes = emptyImage();
        byte[] optional = withSection(bytes, 99, 0);
        assertThat(HandoverFormat.decode(optional, new int[0], HandoverFormat.MAX_READ_VERSION).bus().guid())
                .isEqualTo("g");
        byte[] required = withSection(bytes, 99, HandoverFormat.REQUIRED);
        assertThatThrownBy(() -> HandoverFormat.decode(required, new int[0], HandoverFormat.MAX_READ_VERSION))
                .hasMessageContaining("required section 99");
    }

    @Test
    void shouldRefuseSomethingElse() {
        assertThatThrownBy(() -> HandoverFormat.decode("not a hand-over".getBytes(), new int[0], 1))
                .hasMessageContaining("no magic");
    }

    private static byte[] emptyImage() throws Exception {
        BusImage bus = new BusImage("g", 1, 1, List.of(), List.of(), List.of(), List.of(), List.of());
        return HandoverFormat.encode(bus, new TransportImage(List.of(), Map.of())).bytes();
    }

    /** {@code bytes} with a section (id, flags, 3 bytes of body) inserted before the end marker. */
    private static byte[] withSection(byte[] bytes, int id, int flags) {
        ByteBuffer out = ByteBuffer.allocate(bytes.length + 11);
        out.put(bytes, 0, bytes.length - 2);
        out.putShort((short) id).putShort((short) flags).putInt(3).put(new byte[3]);
        out.putShort((short) 0);
        return out.array();
    }

    /** A socket that is never used: the format only needs its identity. */
    private static final class Fake implements TransportConnection {
        @Override
        public PeerCredentials credentials() {
            return new PeerCredentials(1000, 1000, 1, new long[0], null);
        }

        @Override
        public void write(byte[] src, int offset, int length) {
        }

        @Override
        public boolean attachFds(int[] fds, int offset, int count) {
            return true;
        }

        @Override
        public boolean isWritable() {
            return true;
        }

        @Override
        public void enableFdPassing() {
        }

        @Override
        public void suspendReadingUntilWritten() {
        }

        @Override
        public void pauseReading() {
        }

        @Override
        public void resumeReading() {
        }

        @Override
        public long pendingOutboundBytes() {
            return 0;
        }

        @Override
        public void close() {
        }

        @Override
        public boolean isClosed() {
            return false;
        }
    }
}
