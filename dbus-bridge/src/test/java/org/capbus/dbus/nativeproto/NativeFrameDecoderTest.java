package org.capbus.dbus.nativeproto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.capbus.dbus.wire.RecordingBudget;
import org.junit.jupiter.api.Test;

class NativeFrameDecoderTest {

    static final class Collector implements NativeFrameDecoder.Listener {
        final List<NativeFrame> frames = new ArrayList<>();
        final List<String> violations = new ArrayList<>();

        @Override
        public void onFrame(NativeFrame frame) {
            frames.add(frame);
        }

        @Override
        public void onProtocolViolation(String reason) {
            violations.add(reason);
        }
    }

    private static byte[] sampleStream() {
        byte[] a = NativeFrameWriter.frame(NativeFrame.SEND, NativeFrame.FLAG_CONTINUE_ON_ERROR, 7,
                new long[] {3, 4}, new long[] {9}, 2, "payload".getBytes(), 0, 7);
        byte[] b = NativeFrameWriter.frame(NativeFrame.CREATE_NODE, 0, 8, null, null, 0, null, 0, 0);
        byte[] c = NativeFrameWriter.frame(NativeFrame.RESOLVE_NAME, 0, Long.MAX_VALUE, null, null, 0,
                "org.example.X".getBytes(), 0, 13);
        ByteBuffer all = ByteBuffer.allocate(a.length + b.length + c.length).put(a).put(b).put(c);
        return all.array();
    }

    private static void assertSample(Collector c) {
        assertThat(c.violations).isEmpty();
        assertThat(c.frames).hasSize(3);
        NativeFrame send = c.frames.get(0);
        assertThat(send.operation()).isEqualTo(NativeFrame.SEND);
        assertThat(send.flags()).isEqualTo(NativeFrame.FLAG_CONTINUE_ON_ERROR);
        assertThat(send.requestId()).isEqualTo(7);
        assertThat(send.targets()).containsExactly(3, 4);
        assertThat(send.handles()).containsExactly(9);
        assertThat(send.fds()).containsExactly(100, 101);
        assertThat(new String(send.payload())).isEqualTo("payload");
        assertThat(c.frames.get(1).operation()).isEqualTo(NativeFrame.CREATE_NODE);
        assertThat(c.frames.get(1).payloadLength()).isZero();
        assertThat(c.frames.get(2).requestId()).isEqualTo(Long.MAX_VALUE);
        assertThat(new String(c.frames.get(2).payload())).isEqualTo("org.example.X");
    }

    @Test
    void shouldDecodeFramesSplitAtEveryByteBoundary() {
        byte[] stream = sampleStream();
        for (int split = 0; split <= stream.length; split++) {
            Collector c = new Collector();
            NativeFrameDecoder d = new NativeFrameDecoder(c, 1 << 20, 16);
            d.onFds(new int[] {100, 101}, 2);
            d.onData(ByteBuffer.wrap(stream, 0, split));
            d.onData(ByteBuffer.wrap(stream, split, stream.length - split));
            assertSample(c);
            assertThat(d.drainFds()).isEmpty();
        }
    }

    /**
     * A live upgrade at every byte boundary: what one decoder holds of the frame being read, with its unclaimed
     * descriptors, fed to a new decoder before the rest of the stream, gives every frame once.
     */
    @Test
    void shouldHandItsPartialFrameToANewDecoderAtEveryByteBoundary() {
        byte[] stream = sampleStream();
        for (int split = 0; split <= stream.length; split++) {
            Collector c = new Collector();
            NativeFrameDecoder old = new NativeFrameDecoder(c, 1 << 20, 16);
            old.onFds(new int[] {100, 101}, 2);
            old.onData(ByteBuffer.wrap(stream, 0, split));
            byte[] partial = old.partialBytes();
            int[] fds = old.peekFds();
            assertThat(old.queuedFds()).as("peeking leaves them").isEqualTo(fds.length);

            NativeFrameDecoder next = new NativeFrameDecoder(c, 1 << 20, 16);
            next.onFds(fds, fds.length);
            next.onData(ByteBuffer.wrap(partial));
            next.onData(ByteBuffer.wrap(stream, split, stream.length - split));
            assertSample(c);
            assertThat(next.drainFds()).isEmpty();
        }
    }

    @Test
    void shouldDecodeOneByteAtATime() {
        byte[] stream = sampleStream();
        Collector c = new Collector();
        NativeFrameDecoder d = new NativeFrameDecoder(c, 1 << 20, 16);
        d.onFds(new int[] {100, 101}, 2);
        for (byte b : stream) {
            d.onData(ByteBuffer.wrap(new byte[] {b}));
        }
        assertSample(c);
    }

    @Test
    void shouldHoldOnlyWhatArrivedOfAnAnnouncedLargeFrame() {
        int payload = 3 << 20;
        byte[] frame = NativeFrameWriter.frame(NativeFrame.SEND, 0, 5, new long[] {3}, null, 0, new byte[payload], 0,
                payload);
        Collector c = new Collector();
        NativeFrameDecoder d = new NativeFrameDecoder(c, 32 << 20, 16);

        d.onData(ByteBuffer.wrap(frame, 0, NativeFrame.HEADER_LENGTH + 10));
        assertThat(d.heldBytes()).as("the header alone allocates no more than the first body array")
                .isEqualTo(NativeFrameDecoder.FIRST_BODY);
        d.onData(ByteBuffer.wrap(frame, NativeFrame.HEADER_LENGTH + 10, 100_000));
        assertThat(d.heldBytes()).isLessThanOrEqualTo(4 * 100_010);
        d.onData(ByteBuffer.wrap(frame, NativeFrame.HEADER_LENGTH + 100_010,
                frame.length - NativeFrame.HEADER_LENGTH - 100_010));

        assertThat(c.violations).isEmpty();
        assertThat(c.frames).hasSize(1);
        assertThat(c.frames.get(0).payload()).hasSize(payload);
        assertThat(c.frames.get(0).targets()).containsExactly(3);
        assertThat(d.heldBytes()).isZero();
    }

    @Test
    void shouldChargeAFrameWhileItArrivesAndRefundItAtDelivery() {
        int payload = 300_000;
        byte[] frame = NativeFrameWriter.frame(NativeFrame.SEND, 0, 5, new long[] {3}, null, 0, new byte[payload], 0,
                payload);
        RecordingBudget budget = new RecordingBudget(Long.MAX_VALUE);
        Collector c = new Collector();
        NativeFrameDecoder d = new NativeFrameDecoder(c, 32 << 20, 16, budget);

        d.onData(ByteBuffer.wrap(frame, 0, 100_000));
        assertThat(budget.charged).isEqualTo(d.heldBytes()).isPositive();
        d.onData(ByteBuffer.wrap(frame, 100_000, frame.length - 100_000));

        assertThat(c.frames).hasSize(1);
        assertThat(budget.peak).isEqualTo(frame.length - NativeFrame.HEADER_LENGTH);
        assertThat(budget.charged).as("refunded at delivery").isZero();
    }

    @Test
    void shouldRefuseAFrameTheBudgetCannotTakeAndRefundOnClose() {
        byte[] frame = NativeFrameWriter.frame(NativeFrame.SEND, 0, 5, new long[] {3}, null, 0, new byte[300_000], 0,
                300_000);
        RecordingBudget budget = new RecordingBudget(100_000);
        Collector c = new Collector();
        NativeFrameDecoder d = new NativeFrameDecoder(c, 32 << 20, 16, budget);

        d.onData(ByteBuffer.wrap(frame, 0, 60_000));
        assertThat(c.violations).isEmpty();
        assertThat(budget.charged).isEqualTo(NativeFrameDecoder.FIRST_BODY);
        d.onData(ByteBuffer.wrap(frame, 60_000, 100_000));

        assertThat(c.violations).singleElement().asString().startsWith("incoming bytes:");
        assertThat(budget.charged).as("refunded with the violation").isZero();
        assertThat(c.frames).isEmpty();

        RecordingBudget other = new RecordingBudget(Long.MAX_VALUE);
        NativeFrameDecoder closing = new NativeFrameDecoder(new Collector(), 32 << 20, 16, other);
        closing.onData(ByteBuffer.wrap(frame, 0, 90_000));
        closing.close();
        assertThat(other.charged).as("refunded when the connection closes").isZero();
    }

    private static Collector decode(byte[] frame, int maxPayload, int maxFds, int fdsArrived) {
        Collector c = new Collector();
        NativeFrameDecoder d = new NativeFrameDecoder(c, maxPayload, maxFds);
        int[] fds = new int[fdsArrived];
        d.onFds(fds, fdsArrived);
        d.onData(ByteBuffer.wrap(frame));
        return c;
    }

    private static byte[] withHeaderField(byte[] frame, int offset, int width, long value) {
        if (width == 2) {
            NativeFrameWriter.putShort(frame, offset, (int) value);
        } else {
            NativeFrameWriter.putInt(frame, offset, (int) value);
        }
        return frame;
    }

    private static byte[] createNode() {
        return NativeFrameWriter.frame(NativeFrame.CREATE_NODE, 0, 1, null, null, 0, null, 0, 0);
    }

    @Test
    void shouldRefuseAFrameLongerThanTheLimitBeforeAllocatingIt() {
        byte[] header = withHeaderField(createNode(), NativeFrame.OFFSET_LENGTH, 4, 0xFFFFFFF0L);
        Collector c = decode(header, 1024, 16, 0);
        assertThat(c.violations).singleElement().asString()
                .isEqualTo("frame length: 4294967280 (expected: >= 24 and <= 1048)");
        assertThat(c.frames).isEmpty();
    }

    @Test
    void shouldRefuseAFrameShorterThanItsIds() {
        byte[] f = NativeFrameWriter.frame(NativeFrame.RELEASE, 0, 1, new long[] {1}, null, 0, null, 0, 0);
        withHeaderField(f, NativeFrame.OFFSET_LENGTH, 4, 24);
        assertThat(decode(f, 1024, 16, 0).violations).singleElement().asString().startsWith("frame length: 24");
    }

    @Test
    void shouldRefuseTooManyIdsOrFdsAndNonZeroReserved() {
        assertThat(decode(withHeaderField(createNode(), NativeFrame.OFFSET_TARGET_COUNT, 2, 1025), 1 << 20, 16, 0)
                .violations).singleElement().asString().isEqualTo("target count: 1025 (expected: <= 1024)");
        assertThat(decode(withHeaderField(createNode(), NativeFrame.OFFSET_HANDLE_COUNT, 2, 1025), 1 << 20, 16, 0)
                .violations).singleElement().asString().isEqualTo("handle count: 1025 (expected: <= 1024)");
        assertThat(decode(withHeaderField(createNode(), NativeFrame.OFFSET_FD_COUNT, 2, 17), 1 << 20, 16, 0)
                .violations).singleElement().asString().isEqualTo("fd count: 17 (expected: <= 16)");
        assertThat(decode(withHeaderField(createNode(), NativeFrame.OFFSET_RESERVED, 2, 1), 1 << 20, 16, 0)
                .violations).singleElement().asString().isEqualTo("reserved: 1 (expected: 0)");
    }

    @Test
    void shouldRefuseABusOperationFromAClient() {
        byte[] f = withHeaderField(createNode(), NativeFrame.OFFSET_OPERATION, 2, NativeFrame.MESSAGE);
        assertThat(decode(f, 1024, 16, 0).violations).singleElement().asString().startsWith("operation: 0x8002");
    }

    @Test
    void shouldRefuseAFrameWhoseDescriptorsDidNotArrive() {
        byte[] f = withHeaderField(createNode(), NativeFrame.OFFSET_FD_COUNT, 2, 2);
        Collector c = decode(f, 1024, 16, 1);
        assertThat(c.violations).singleElement().asString()
                .isEqualTo("descriptors: 1 arrived (expected: 2 by the frame's last byte)");
        assertThat(c.frames).isEmpty();
    }

    @Test
    void shouldIgnoreEverythingAfterAViolation() {
        byte[] bad = withHeaderField(createNode(), NativeFrame.OFFSET_RESERVED, 2, 1);
        byte[] good = createNode();
        byte[] both = ByteBuffer.allocate(bad.length + good.length).put(bad).put(good).array();
        Collector c = decode(both, 1024, 16, 0);
        assertThat(c.violations).hasSize(1);
        assertThat(c.frames).isEmpty();
    }

    @Test
    void shouldBoundTheDescriptorsThatWaitForFrames() {
        Collector oneRead = new Collector();
        new NativeFrameDecoder(oneRead, 1024, 2).onFds(new int[] {1, 2, 3}, 3);
        assertThat(oneRead.violations).singleElement().asString()
                .isEqualTo("descriptors: 3 in one read, 3 queued (expected: <= 2)");

        Collector waiting = new Collector();
        NativeFrameDecoder d = new NativeFrameDecoder(waiting, 1024, 2);
        byte[] f = createNode();
        d.onFds(new int[] {1, 2}, 2);
        d.onData(ByteBuffer.wrap(f, 0, 1));
        assertThat(waiting.violations).isEmpty();
        d.onFds(new int[] {3}, 1);
        d.onData(ByteBuffer.wrap(f, 1, 1));
        assertThat(waiting.violations).singleElement().asString()
                .isEqualTo("descriptors: 3 waiting for frames (expected: <= 2)");
        assertThat(d.drainFds()).containsExactly(1, 2, 3);
    }

    @Test
    void shouldKeepUnclaimedDescriptorsForClosing() {
        Collector c = new Collector();
        NativeFrameDecoder d = new NativeFrameDecoder(c, 1024, 16);
        d.onFds(new int[] {5, 6, 7}, 3);
        byte[] f = withHeaderField(createNode(), NativeFrame.OFFSET_FD_COUNT, 2, 1);
        d.onData(ByteBuffer.wrap(f));
        assertThat(c.frames).singleElement().satisfies(fr -> assertThat(fr.fds()).containsExactly(5));
        assertThat(d.drainFds()).containsExactly(6, 7);
    }
}
