package org.capbus.dbus.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Seeded mutation fuzzing of {@link DBusMessage#parse}: valid messages with a few bytes changed must never make
 * it throw, and it must agree with {@link ReferenceValidator} on whether each one is valid. Accepted mutants must
 * also survive what the bus does next (argument scan, body walk, sender stitching and re-parse).
 */
class DBusMessageFuzzTest {

    private static final int ITERATIONS = 30_000;
    private static final byte[] INTERESTING = {0, 1, 2, 7, 8, (byte) 0x80, (byte) 0xFF, 'l', 'B', 's', 'v', 'a', '(',
        ')', '{', '}', 'h', 'o', 'g', '/', '.', ':'};

    private static List<byte[]> seeds() {
        List<byte[]> seeds = new ArrayList<>();
        for (boolean be : new boolean[] {false, true}) {
            seeds.add(order(MessageBuilder.methodCall("org.example.S", "/a/b", "org.example.I", "M"), be)
                    .unixFds(2).string("héllo").objectPath("/p").unixFd(1).bool(true).build(1));
            seeds.add(order(MessageBuilder.methodReturn(4, ":1.2"), be).sender("org.freedesktop.DBus")
                    .beginArray("{sv}").beginDictEntry().string("k").variantStringArray(List.of("a", "b"))
                    .endDictEntry().beginDictEntry().string("n").variantUInt32(3).endDictEntry().endArray()
                    .beginStruct().int16((short) 1).doubleValue(2).signature("a(sv)").endStruct().build(2));
            seeds.add(order(MessageBuilder.signal("/", "a.b", "S"), be).beginVariant("v").beginVariant("ay")
                    .byteArray(new byte[] {1, 2, 3}).endVariant().endVariant().beginArray("at").int64(1).int64(2)
                    .endArray().beginArray("b").bool(false).endArray().build(3));
            seeds.add(order(MessageBuilder.error(9, null, "a.b.E"), be).string("text").build(4));
        }
        return seeds;
    }

    private static MessageBuilder order(MessageBuilder b, boolean be) {
        return be ? b.bigEndian() : b;
    }

    private static byte[] mutate(byte[] seed, SplittableRandom random) {
        byte[] m = seed.clone();
        int mutations = 1 + random.nextInt(3);
        for (int i = 0; i < mutations; i++) {
            int at = random.nextInt(m.length);
            switch (random.nextInt(4)) {
                case 0 -> m[at] = (byte) random.nextInt(256);
                case 1 -> m[at] = INTERESTING[random.nextInt(INTERESTING.length)];
                case 2 -> m[at] ^= (byte) (1 << random.nextInt(8));
                default -> m[at] = (byte) (m[at] + (random.nextBoolean() ? 1 : -1));
            }
        }
        return m;
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 42, 0xC0FFEE})
    void shouldNeverThrowAndAgreeWithReference(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<byte[]> seeds = seeds();
        DBusMessage m = new DBusMessage();
        int accepted = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            byte[] bytes = mutate(seeds.get(random.nextInt(seeds.size())), random);
            Validity v;
            try {
                v = m.parse(bytes, bytes.length);
            } catch (RuntimeException e) {
                throw new AssertionError("parse threw on " + HexFormat.of().formatHex(bytes), e);
            }
            String reference = ReferenceValidator.check(bytes);
            if (v.isError() != (reference != null)) {
                fail("parse says " + v + ", reference says " + (reference == null ? "valid" : reference) + " for "
                        + HexFormat.of().formatHex(bytes));
            }
            if (!v.isError()) {
                accepted++;
                exerciseAccepted(m);
            }
        }
        // the mutants must reach deep: some are still valid after mutation
        assertThat(accepted).isGreaterThan(100);
    }

    static void exerciseAccepted(DBusMessage m) {
        for (int n = 0; n < 8; n++) {
            m.stringArg(n);
        }
        BodyReader r = new BodyReader(m);
        while (r.hasNext()) {
            r.skip();
        }
        assertThat(r.failed()).isFalse();
        byte[] header = SenderStitcher.stitch(m, ":1.99");
        byte[] out = java.util.Arrays.copyOf(header, header.length + m.bodyLength());
        System.arraycopy(m.buffer(), m.bodyOffset(), out, header.length, m.bodyLength());
        DBusMessage again = new DBusMessage();
        assertThat(again.parse(out, out.length)).isEqualTo(m.validity());
        assertThat(again.sender()).isEqualTo(":1.99");
        assertThat(again.signature()).isEqualTo(m.signature());
    }
}
