package org.capbus.dbus.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Header rules of {@link DBusMessage#parse} and its accessors, in both byte orders. */
class DBusMessageTest {

    private static Validity parse(RawFrame f) {
        return RawFrame.parse(f.build());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldParseValidMethodCallAndExposeFields(boolean be) {
        RawFrame f = RawFrame.methodCall(be).interfaceName("org.example.Iface").stringField(HeaderField.DESTINATION,
                "org.example.Service").stringField(HeaderField.SENDER, ":1.9").signature("su").flags(
                MessageFlag.NO_AUTO_START).serial(77).body(w -> w.putString("héllo").putInt32(42));
        byte[] bytes = f.build();
        DBusMessage m = new DBusMessage();

        assertThat(m.parse(bytes, bytes.length)).isEqualTo(Validity.VALID);
        assertThat(m.isBigEndian()).isEqualTo(be);
        assertThat(m.type()).isEqualTo(MessageType.METHOD_CALL);
        assertThat(m.flags()).isEqualTo(MessageFlag.NO_AUTO_START);
        assertThat(m.serial()).isEqualTo(77);
        assertThat(m.path()).isEqualTo("/org/example");
        assertThat(m.interfaceName()).isEqualTo("org.example.Iface");
        assertThat(m.member()).isEqualTo("Ping");
        assertThat(m.destination()).isEqualTo("org.example.Service");
        assertThat(m.destination()).isSameAs(m.destination());
        assertThat(m.sender()).isEqualTo(":1.9");
        assertThat(m.signature()).isEqualTo("su");
        assertThat(m.signatureEquals("su")).isTrue();
        assertThat(m.fieldEquals(HeaderField.MEMBER, "Ping")).isTrue();
        assertThat(m.fieldEquals(HeaderField.ERROR_NAME, "Ping")).isFalse();
        assertThat(m.errorName()).isNull();
        assertThat(m.bodyOffset() % 8).isZero();
        assertThat(m.bodyOffset() + m.bodyLength()).isEqualTo(bytes.length);
        assertThat(m.expectsReply()).isTrue();
        assertThat(m.stringArg(0)).isEqualTo("héllo");
        assertThat(m.argType(1)).isEqualTo('u');
        assertThat(m.stringArg(1)).isNull();
        assertThat(m.stringArg(2)).isNull();
        assertThat(m.stringArg(64)).isNull();
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldComputeFrameLengthFromFixedHeader(boolean be) {
        byte[] bytes = RawFrame.methodCall(be).signature("s").body(w -> w.putString("abc")).build();

        assertThat(DBusMessage.frameLength(bytes, 0)).isEqualTo(bytes.length);
        assertThat(DBusMessage.frameLength(ByteBuffer.wrap(bytes, 0, 16).slice())).isEqualTo(bytes.length);
    }

    @Test
    void shouldRejectFrameOverTheMessageLimit() {
        byte[] bytes = RawFrame.methodCall(false).bodyLength(WireLimits.MAX_MESSAGE_LENGTH).build();

        int length = DBusMessage.frameLength(bytes, 0);

        assertThat(length).isNegative();
        assertThat(DBusMessage.frameError(length)).isEqualTo(Validity.TOO_LARGE);
        assertThat(RawFrame.parse(bytes)).isEqualTo(Validity.TOO_LARGE);
    }

    @Test
    void shouldRejectFrameWhoseTotalOverflowsIntegerArithmetic() {
        byte[] bytes = RawFrame.methodCall(false).bodyLength(-1).build();

        assertThat(DBusMessage.frameError(DBusMessage.frameLength(bytes, 0))).isEqualTo(Validity.TOO_LARGE);
    }

    @Test
    void shouldRejectHeaderFieldArrayOver64MiB() {
        byte[] bytes = RawFrame.methodCall(false).fieldsLength(WireLimits.MAX_ARRAY_LENGTH + 1).build();

        assertThat(DBusMessage.frameError(DBusMessage.frameLength(bytes, 0))).isEqualTo(Validity.ARRAY_TOO_LONG);
    }

    @Test
    void shouldRejectBadEndianness() {
        assertThat(parse(RawFrame.methodCall(false).endianness('L'))).isEqualTo(Validity.BAD_ENDIANNESS);
        assertThat(DBusMessage.frameError(DBusMessage.frameLength(ByteBuffer.wrap(
                RawFrame.methodCall(false).endianness('b').build())))).isEqualTo(Validity.BAD_ENDIANNESS);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 2, 255})
    void shouldRejectBadVersion(int version) {
        assertThat(parse(RawFrame.methodCall(true).version(version))).isEqualTo(Validity.BAD_VERSION);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldRejectTypeZero(boolean be) {
        assertThat(parse(RawFrame.methodCall(be).type(0))).isEqualTo(Validity.BAD_MESSAGE_TYPE);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldReportUnknownTypeAsIgnorableNotError(boolean be) {
        Validity v = parse(new RawFrame(be).type(5));

        assertThat(v).isEqualTo(Validity.UNKNOWN_MESSAGE_TYPE);
        assertThat(v.isError()).isFalse();
    }

    @Test
    void shouldStillValidateMessagesOfUnknownType() {
        assertThat(parse(new RawFrame(false).type(9).member("1bad"))).isEqualTo(Validity.BAD_MEMBER);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldRejectZeroSerial(boolean be) {
        assertThat(parse(RawFrame.methodCall(be).serial(0))).isEqualTo(Validity.BAD_SERIAL);
    }

    @Test
    void shouldAcceptHighSerialAsUnsigned() {
        byte[] bytes = RawFrame.methodCall(false).serial(-1).build();
        DBusMessage m = new DBusMessage();

        assertThat(m.parse(bytes, bytes.length)).isEqualTo(Validity.VALID);
        assertThat(m.serial()).isEqualTo(0xFFFF_FFFFL);
    }

    @Test
    void shouldRejectBufferShorterOrLongerThanFrame() {
        byte[] bytes = RawFrame.methodCall(false).build();
        DBusMessage m = new DBusMessage();

        assertThat(m.parse(bytes, 15)).isEqualTo(Validity.TRUNCATED);
        assertThat(m.parse(bytes, bytes.length - 8)).isEqualTo(Validity.LENGTH_MISMATCH);
        byte[] longer = java.util.Arrays.copyOf(bytes, bytes.length + 8);
        assertThat(m.parse(longer, longer.length)).isEqualTo(Validity.LENGTH_MISMATCH);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldRequireFieldsPerType(boolean be) {
        assertThat(parse(new RawFrame(be).member("Ping"))).isEqualTo(Validity.MISSING_PATH);
        assertThat(parse(new RawFrame(be).path("/a"))).isEqualTo(Validity.MISSING_MEMBER);
        assertThat(parse(new RawFrame(be).type(MessageType.METHOD_RETURN))).isEqualTo(Validity.MISSING_REPLY_SERIAL);
        assertThat(parse(new RawFrame(be).type(MessageType.ERROR).uint32Field(HeaderField.REPLY_SERIAL, 3)))
                .isEqualTo(Validity.MISSING_ERROR_NAME);
        assertThat(parse(new RawFrame(be).type(MessageType.ERROR).stringField(HeaderField.ERROR_NAME, "a.b.C")))
                .isEqualTo(Validity.MISSING_REPLY_SERIAL);
        assertThat(parse(new RawFrame(be).type(MessageType.SIGNAL).interfaceName("a.b").member("S")))
                .isEqualTo(Validity.MISSING_PATH);
        assertThat(parse(new RawFrame(be).type(MessageType.SIGNAL).path("/").member("S")))
                .isEqualTo(Validity.MISSING_INTERFACE);
        assertThat(parse(new RawFrame(be).type(MessageType.SIGNAL).path("/").interfaceName("a.b")))
                .isEqualTo(Validity.MISSING_MEMBER);

        assertThat(parse(new RawFrame(be).type(MessageType.METHOD_RETURN).uint32Field(HeaderField.REPLY_SERIAL, 3)))
                .isEqualTo(Validity.VALID);
        assertThat(parse(new RawFrame(be).type(MessageType.ERROR).uint32Field(HeaderField.REPLY_SERIAL, 3)
                .stringField(HeaderField.ERROR_NAME, "a.b.C"))).isEqualTo(Validity.VALID);
        assertThat(parse(new RawFrame(be).type(MessageType.SIGNAL).path("/").interfaceName("a.b").member("S")))
                .isEqualTo(Validity.VALID);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldRejectZeroReplySerial(boolean be) {
        assertThat(parse(new RawFrame(be).type(MessageType.METHOD_RETURN).uint32Field(HeaderField.REPLY_SERIAL, 0)))
                .isEqualTo(Validity.BAD_REPLY_SERIAL);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldRejectBadNamesInHeader(boolean be) {
        assertThat(parse(RawFrame.methodCall(be).interfaceName("noDots"))).isEqualTo(Validity.BAD_INTERFACE);
        assertThat(parse(RawFrame.methodCall(be).interfaceName("a.1b"))).isEqualTo(Validity.BAD_INTERFACE);
        assertThat(parse(new RawFrame(be).path("/").member("has.dot"))).isEqualTo(Validity.BAD_MEMBER);
        assertThat(parse(new RawFrame(be).path("/").member(""))).isEqualTo(Validity.BAD_MEMBER);
        assertThat(parse(new RawFrame(be).type(MessageType.ERROR).uint32Field(HeaderField.REPLY_SERIAL, 1)
                .stringField(HeaderField.ERROR_NAME, "Nope"))).isEqualTo(Validity.BAD_ERROR_NAME);
        assertThat(parse(RawFrame.methodCall(be).stringField(HeaderField.DESTINATION, "org..x")))
                .isEqualTo(Validity.BAD_DESTINATION);
        assertThat(parse(RawFrame.methodCall(be).stringField(HeaderField.DESTINATION, "1org.x")))
                .isEqualTo(Validity.BAD_DESTINATION);
        assertThat(parse(RawFrame.methodCall(be).stringField(HeaderField.SENDER, "x")))
                .isEqualTo(Validity.BAD_SENDER);
        assertThat(parse(new RawFrame(be).path("/a//b").member("M"))).isEqualTo(Validity.BAD_OBJECT_PATH);
        assertThat(parse(new RawFrame(be).path("/a/").member("M"))).isEqualTo(Validity.BAD_OBJECT_PATH);
        assertThat(parse(RawFrame.methodCall(be).interfaceName("a".repeat(128) + "." + "b".repeat(127))))
                .isEqualTo(Validity.BAD_INTERFACE);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldRejectReservedLocalPathAndInterface(boolean be) {
        assertThat(parse(new RawFrame(be).path("/org/freedesktop/DBus/Local").member("M")))
                .isEqualTo(Validity.LOCAL_PATH);
        assertThat(parse(RawFrame.methodCall(be).interfaceName("org.freedesktop.DBus.Local")))
                .isEqualTo(Validity.LOCAL_INTERFACE);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldRejectWrongVariantSignatureForKnownField(boolean be) {
        assertThat(parse(new RawFrame(be).stringField(HeaderField.PATH, "/a").member("M")))
                .isEqualTo(Validity.BAD_HEADER_FIELD_SIGNATURE);
        assertThat(parse(RawFrame.methodCall(be).field(HeaderField.REPLY_SERIAL, "i", w -> w.putInt32(4))))
                .isEqualTo(Validity.BAD_HEADER_FIELD_SIGNATURE);
        assertThat(parse(RawFrame.methodCall(be).field(HeaderField.SIGNATURE, "s", w -> w.putString("s"))))
                .isEqualTo(Validity.BAD_HEADER_FIELD_SIGNATURE);
        assertThat(parse(RawFrame.methodCall(be).field(HeaderField.UNIX_FDS, "as",
                w -> w.putInt32(0)))).isEqualTo(Validity.BAD_HEADER_FIELD_SIGNATURE);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldRejectDuplicateField(boolean be) {
        assertThat(parse(RawFrame.methodCall(be).member("Again"))).isEqualTo(Validity.DUPLICATE_HEADER_FIELD);
    }

    @Test
    void shouldRejectFieldCodeZero() {
        assertThat(parse(RawFrame.methodCall(false).field(0, "y", w -> w.putByte(1))))
                .isEqualTo(Validity.BAD_HEADER_FIELD_CODE);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldIgnoreUnknownFieldsButValidateThem(boolean be) {
        assertThat(parse(RawFrame.methodCall(be).field(42, "a{sv}", w -> {
            w.putInt32(0).align(8);
        }))).isEqualTo(Validity.VALID);
        assertThat(parse(RawFrame.methodCall(be).field(42, "s", w -> w.putStringBytes(new byte[] {(byte) 0xFF}))))
                .isEqualTo(Validity.BAD_UTF8);
        assertThat(parse(RawFrame.methodCall(be).field(42, "ss", w -> w.putString("a").putString("b"))))
                .isEqualTo(Validity.BAD_VARIANT_SIGNATURE);
        assertThat(parse(RawFrame.methodCall(be).field(200, "b", w -> w.putInt32(3))))
                .isEqualTo(Validity.BAD_BOOLEAN);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldTreatContainerInstanceAsDbusDaemonDoes(boolean be) {
        // dbus-daemon knows field 10 (CONTAINER_INSTANCE): any signature but 'o' closes the connection ...
        assertThat(parse(RawFrame.methodCall(be).field(HeaderField.CONTAINER_INSTANCE, "s", w -> w.putString("/"))))
                .isEqualTo(Validity.BAD_HEADER_FIELD_SIGNATURE);
        assertThat(parse(RawFrame.methodCall(be).field(HeaderField.CONTAINER_INSTANCE, "u", w -> w.putInt32(7))))
                .isEqualTo(Validity.BAD_HEADER_FIELD_SIGNATURE);
        // ... and an object path is accepted but never forwarded.
        byte[] bytes = RawFrame.methodCall(be).field(HeaderField.CONTAINER_INSTANCE, "o", w -> w.putString("/c"))
                .build();
        DBusMessage m = new DBusMessage();
        assertThat(m.parse(bytes, bytes.length)).isEqualTo(Validity.VALID);
        assertThat(m.droppedFieldCount()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldRejectNonZeroPaddingBetweenFields(boolean be) {
        byte[] bytes = RawFrame.methodCall(be).build();
        // The PATH element "/org/example" ends at 16 + 4 + 4 + 12 + 1 = 37; 37..40 is padding before MEMBER.
        assertThat(bytes[37]).isZero();
        bytes[38] = 7;

        assertThat(RawFrame.parse(bytes)).isEqualTo(Validity.BAD_PADDING);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldRejectNonZeroPaddingAfterHeader(boolean be) {
        assertThat(parse(RawFrame.methodCall(be).dirtyHeaderPadding())).isEqualTo(Validity.BAD_PADDING);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldRejectFieldArrayLengthNotOnElementBoundary(boolean be) {
        byte[] bytes = RawFrame.methodCall(be).build();
        int fields = WireBytes.getInt(bytes, 12, be);
        // Claim 2 bytes less: the last element then runs past the array.
        WireBytes.putInt(bytes, 12, fields - 2, be);

        assertThat(RawFrame.parse(bytes)).isEqualTo(Validity.ARRAY_LENGTH_MISMATCH);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldRejectBodyWithoutSignature(boolean be) {
        assertThat(parse(RawFrame.methodCall(be).body(w -> w.putInt32(1)))).isEqualTo(Validity.BODY_WITHOUT_SIGNATURE);
    }

    @Test
    void shouldBeReusableForAnotherBuffer() {
        DBusMessage m = new DBusMessage();
        byte[] first = RawFrame.methodCall(false).signature("s").body(w -> w.putString("one"))
                .stringField(HeaderField.DESTINATION, "a.b").build();
        byte[] second = new RawFrame(true).path("/x").member("Other").signature("o").body(w -> w.putString("/p"))
                .build();

        assertThat(m.parse(first, first.length)).isEqualTo(Validity.VALID);
        assertThat(m.destination()).isEqualTo("a.b");
        assertThat(m.stringArg(0)).isEqualTo("one");
        assertThat(m.parse(second, second.length)).isEqualTo(Validity.VALID);
        assertThat(m.destination()).isNull();
        assertThat(m.member()).isEqualTo("Other");
        assertThat(m.stringArg(0)).isEqualTo("/p");
        assertThat(m.argType(0)).isEqualTo('o');
    }

    @Test
    void shouldReportErrorOffset() {
        byte[] bytes = RawFrame.methodCall(false).serial(0).build();
        DBusMessage m = new DBusMessage();

        m.parse(bytes, bytes.length);

        assertThat(m.validity()).isEqualTo(Validity.BAD_SERIAL);
        assertThat(m.errorOffset()).isEqualTo(8);
        assertThat(m.toString()).contains("serial is 0");
    }
}
