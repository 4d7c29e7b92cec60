package org.capbus.dbus.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.function.Consumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Body rules of {@link DBusMessage#parse}: every value type, padding, lengths, nesting; both byte orders. */
class BodyValidatorTest {

    private static Validity body(boolean be, String signature, Consumer<WireWriter> values) {
        return RawFrame.parse(RawFrame.methodCall(be).signature(signature).body(values).build());
    }

    private static Validity body(boolean be, String signature, int unixFds, Consumer<WireWriter> values) {
        return RawFrame.parse(RawFrame.methodCall(be).signature(signature)
                .uint32Field(HeaderField.UNIX_FDS, unixFds).body(values).build());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldAcceptEveryBasicType(boolean be) {
        assertThat(body(be, "ybnqiuxtdsogh", 1, w -> w.putByte(1).putInt32(1).putInt16(-2).putInt16(3)
                .putInt32(-4).putInt32(5).putInt64(-6).putInt64(7).putInt64(Double.doubleToLongBits(0.5))
                .putString("s").putString("/o").putSignature("a{sv}").putInt32(0))).isEqualTo(Validity.VALID);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldRejectBooleanOtherThanZeroOrOne(boolean be) {
        assertThat(body(be, "b", w -> w.putInt32(2))).isEqualTo(Validity.BAD_BOOLEAN);
        assertThat(body(be, "ab", w -> w.putInt32(8).putInt32(1).putInt32(0x100))).isEqualTo(Validity.BAD_BOOLEAN);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldRejectBadUtf8(boolean be) {
        assertThat(body(be, "s", w -> w.putStringBytes(new byte[] {'a', (byte) 0xC3}))).isEqualTo(Validity.BAD_UTF8);
        // overlong '/' and a UTF-16 surrogate
        assertThat(body(be, "s", w -> w.putStringBytes(new byte[] {(byte) 0xC0, (byte) 0xAF})))
                .isEqualTo(Validity.BAD_UTF8);
        assertThat(body(be, "s", w -> w.putStringBytes(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80})))
                .isEqualTo(Validity.BAD_UTF8);
        assertThat(body(be, "s", w -> w.putStringBytes(new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80,
                (byte) 0x80}))).isEqualTo(Validity.BAD_UTF8);
        assertThat(body(be, "s", w -> w.putString("\u00e9\u20ac\uD83D\uDE00"))).isEqualTo(Validity.VALID);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldRejectEmbeddedNulAndMissingTerminator(boolean be) {
        assertThat(body(be, "s", w -> w.putStringBytes(new byte[] {'a', 0, 'b'}))).isEqualTo(Validity.STRING_HAS_NUL);
        assertThat(body(be, "s", w -> w.putInt32(1).putByte('a').putByte('b'))).isEqualTo(Validity.MISSING_NUL);
        assertThat(body(be, "g", w -> w.putByte(1).putByte('s').putByte('x'))).isEqualTo(Validity.MISSING_NUL);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldRejectBadObjectPathAndSignatureValues(boolean be) {
        assertThat(body(be, "o", w -> w.putString("no/slash"))).isEqualTo(Validity.BAD_OBJECT_PATH);
        assertThat(body(be, "g", w -> w.putSignature("a"))).isEqualTo(Validity.BAD_SIGNATURE);
        assertThat(body(be, "g", w -> w.putSignature("{ss}"))).isEqualTo(Validity.BAD_SIGNATURE);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldRejectNonZeroPaddingInBody(boolean be) {
        assertThat(body(be, "yu", w -> w.putByte(1).putByte(9).putByte(0).putByte(0).putInt32(3)))
                .isEqualTo(Validity.BAD_PADDING);
        assertThat(body(be, "y(y)", w -> w.putByte(1).putByte(0).putByte(0).putByte(0).putInt32(1 << 24)
                .putByte(1))).isEqualTo(Validity.BAD_PADDING);
        // the padding between an array's length and its first 8-aligned element, even when empty
        assertThat(body(be, "at", w -> w.putInt32(0).putInt32(1))).isEqualTo(Validity.BAD_PADDING);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldRejectArrayOver64MiB(boolean be) {
        assertThat(body(be, "ay", w -> w.putInt32(WireLimits.MAX_ARRAY_LENGTH + 1))).isEqualTo(Validity.ARRAY_TOO_LONG);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldRejectArrayLengthNotMatchingElements(boolean be) {
        assertThat(body(be, "au", w -> w.putInt32(6).putInt32(1).putInt16(2))).isEqualTo(Validity.ARRAY_LENGTH_MISMATCH);
        assertThat(body(be, "as", w -> w.putInt32(7).putString("abc"))).isEqualTo(Validity.ARRAY_LENGTH_MISMATCH);
        assertThat(body(be, "ay", w -> w.putInt32(5).putByte(1))).isEqualTo(Validity.NOT_ENOUGH_DATA);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldAcceptDictsStructsAndVariants(boolean be) {
        assertThat(body(be, "a{sv}(iv)", w -> {
            w.putInt32(0);
            int lengthAt = w.position() - 4;
            w.align(8);
            int start = w.position();
            // {"k": <as ["" ]>}: the inner array holds one empty string, 4 + 1 bytes
            w.putString("k").putSignature("as").putInt32(5).putString("");
            w.patchInt32(lengthAt, w.position() - start);
            w.align(8).putInt32(-1).putSignature("ay").putInt32(2).putByte(1).putByte(2);
        })).isEqualTo(Validity.VALID);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldRejectBadVariantSignature(boolean be) {
        assertThat(body(be, "v", w -> w.putSignature("ii").putInt32(1).putInt32(2)))
                .isEqualTo(Validity.BAD_VARIANT_SIGNATURE);
        assertThat(body(be, "v", w -> w.putSignature("").putByte(0))).isEqualTo(Validity.BAD_VARIANT_SIGNATURE);
        assertThat(body(be, "v", w -> w.putSignature("a{vs}").putInt32(0))).isEqualTo(Validity.BAD_VARIANT_SIGNATURE);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldAcceptUnixFdIndexAtOrAboveUnixFdsAsBothReferenceBusesDo(boolean be) {
        assertThat(body(be, "h", 2, w -> w.putInt32(1))).isEqualTo(Validity.VALID);
        assertThat(body(be, "h", 2, w -> w.putInt32(2))).isEqualTo(Validity.VALID);
        assertThat(body(be, "h", w -> w.putInt32(0))).isEqualTo(Validity.VALID);
        assertThat(body(be, "ah", 1, w -> w.putInt32(8).putInt32(0).putInt32(5))).isEqualTo(Validity.VALID);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldRejectBodyLengthMismatch(boolean be) {
        assertThat(body(be, "u", w -> w.putInt32(1).putInt32(2))).isEqualTo(Validity.TRAILING_BYTES);
        assertThat(body(be, "uu", w -> w.putInt32(1))).isEqualTo(Validity.NOT_ENOUGH_DATA);
        assertThat(body(be, "s", w -> w.putInt32(100).putByte('x').putByte(0))).isEqualTo(Validity.NOT_ENOUGH_DATA);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldLimitVariantNestingTo64(boolean be) {
        assertThat(nestedVariants(be, 64)).isEqualTo(Validity.VALID);
        assertThat(nestedVariants(be, 65)).isEqualTo(Validity.NESTED_TOO_DEEPLY);
    }

    /** {@code n} variants, each holding the next, the innermost holding a byte: the byte is inside n containers. */
    private static Validity nestedVariants(boolean be, int n) {
        return body(be, "v", w -> {
            for (int i = 1; i < n; i++) {
                w.putSignature("v");
            }
            w.putSignature("y").putByte(7);
        });
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldCountVariantContentSignatureTowardsTotalDepth(boolean be) {
        // a variant at top level holding 31 arrays of bytes: 1 + 32 containers around the byte type
        assertThat(body(be, "v", w -> w.putSignature("a".repeat(31) + "y").putInt32(0))).isEqualTo(Validity.VALID);
        // a variant inside 32 arrays holding 32 nested structs: the byte sits in 32 + 1 + 32 = 65 containers
        assertThat(RawFrame.parse(buildDeep(be))).isEqualTo(Validity.NESTED_TOO_DEEPLY);
    }

    private static byte[] buildDeep(boolean be) {
        MessageBuilder b = MessageBuilder.methodCall(null, "/", null, "M");
        if (be) {
            b.bigEndian();
        }
        String structs = "(".repeat(32) + "y" + ")".repeat(32);
        for (int i = 0; i < 32; i++) {
            b.beginArray("a".repeat(31 - i) + "v");
        }
        b.beginVariant(structs);
        for (int i = 0; i < 32; i++) {
            b.beginStruct();
        }
        b.byteValue(1);
        for (int i = 0; i < 32; i++) {
            b.endStruct();
        }
        b.endVariant();
        for (int i = 0; i < 32; i++) {
            b.endArray();
        }
        return b.build(1);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldRejectBodySignatureNestedTooDeeply(boolean be) {
        assertThat(RawFrame.parse(RawFrame.methodCall(be).signature("a".repeat(33) + "y").build()))
                .isEqualTo(Validity.BAD_SIGNATURE);
        assertThat(body(be, "a".repeat(32) + "y", w -> w.putInt32(0))).isEqualTo(Validity.VALID);
    }
}
