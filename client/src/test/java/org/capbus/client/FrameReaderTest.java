package org.capbus.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

/** {@link FrameReader}: frames split anywhere, several per read, one longer than its buffer. Runs on JDK 17 too. */
class FrameReaderTest {

    /** A transport that hands out the given chunks, one per read (as far as the reader's buffer takes them). */
    private static final class Chunks implements ClientTransport {
        private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
        int reads;

        Chunks(List<byte[]> chunks) {
            this.chunks.addAll(chunks);
        }

        @Override
        public int read(ByteBuffer dst) {
            if (chunks.isEmpty()) {
                return -1;
            }
            reads++;
            byte[] c = chunks.poll();
            int n = Math.min(c.length, dst.remaining());
            dst.put(c, 0, n);
            if (n < c.length) {
                chunks.push(Arrays.copyOfRange(c, n, c.length));
            }
            return n;
        }

        @Override
        public void write(ByteBuffer src, int[] fds) {
            throw new UnsupportedOperationException();
        }

        @Override
        public int[] takeFds(int count) {
            return new int[0];
        }

        @Override
        public boolean passesFds() {
            return false;
        }

        @Override
        public void closeFd(int fd) {
        }

        @Override
        public void close() {
        }
    }

    private static byte[] frames(Frame... frames) {
        ByteBuffer all = ByteBuffer.allocate(Arrays.stream(frames).mapToInt(f -> f.encode().remaining()).sum());
        for (Frame f : frames) {
            all.put(f.encode());
        }
        return all.array();
    }

    private static Frame message(long sequence, String text, long... handles) {
        return new Frame(Frame.MESSAGE, 0, sequence, new long[] {7}, handles, 0,
                text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldDecodeFramesSplitAtEveryByteBoundary() throws IOException {
        byte[] stream = frames(message(1, "first", 3), message(2, ""), message(3, "third, longer than the others"));
        for (int cut = 1; cut < stream.length; cut++) {
            FrameReader reader = new FrameReader(new Chunks(List.of(Arrays.copyOfRange(stream, 0, cut),
                    Arrays.copyOfRange(stream, cut, stream.length))));
            List<String> got = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Frame f = reader.next();
                got.add(f.requestId() + ":" + new String(f.payload(), StandardCharsets.UTF_8) + ":"
                        + Arrays.toString(f.handles()));
            }
            assertThat(got).as("cut at %d", cut)
                    .containsExactly("1:first:[3]", "2::[]", "3:third, longer than the others:[]");
            assertThatThrownBy(reader::next).isInstanceOf(EOFException.class);
        }
    }

    @Test
    void shouldReadABurstOfFramesInOneRead() throws IOException {
        Frame[] burst = new Frame[100];
        for (int i = 0; i < burst.length; i++) {
            burst[i] = message(i + 1, "message " + i);
        }
        Chunks transport = new Chunks(List.of(frames(burst)));
        FrameReader reader = new FrameReader(transport);
        for (int i = 0; i < burst.length; i++) {
            assertThat(reader.next().requestId()).isEqualTo(i + 1);
        }
        assertThat(transport.reads).isEqualTo(1);
    }

    @Test
    void shouldReadAFrameLongerThanItsBufferAndTheFramesAfterIt() throws IOException {
        byte[] big = new byte[300_000];
        Arrays.fill(big, (byte) 'x');
        byte[] stream = frames(message(1, "small"),
                new Frame(Frame.MESSAGE, 0, 2, new long[] {7}, Frame.NO_IDS, 0, big), message(3, "after"));
        List<byte[]> chunks = new ArrayList<>();
        for (int i = 0; i < stream.length; i += 10_000) {
            chunks.add(Arrays.copyOfRange(stream, i, Math.min(stream.length, i + 10_000)));
        }
        FrameReader reader = new FrameReader(new Chunks(chunks));
        assertThat(reader.next().requestId()).isEqualTo(1);
        assertThat(reader.next().payload()).isEqualTo(big);
        assertThat(new String(reader.next().payload(), StandardCharsets.UTF_8)).isEqualTo("after");
    }

    @Test
    void shouldRefuseAFrameShorterThanItsHeader() {
        byte[] bad = frames(message(1, "x"));
        bad[0] = 3;
        bad[1] = 0;
        FrameReader reader = new FrameReader(new Chunks(List.of(bad)));
        assertThatThrownBy(reader::next).isInstanceOf(IOException.class).hasMessageContaining("frame length: 3");
    }
}
