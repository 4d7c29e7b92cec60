package org.capbus.dbus.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SenderStitcherTest {

    private static DBusMessage parse(byte[] bytes) {
        DBusMessage m = new DBusMessage();
        assertThat(m.parse(bytes, bytes.length)).isEqualTo(Validity.VALID);
        return m;
    }

    /** The stitched header followed by the original body, as the bus writes it. */
    private static byte[] forward(DBusMessage m, String sender) {
        byte[] header = SenderStitcher.stitch(m, sender);
        assertThat(header.length % 8).isZero();
        byte[] out = Arrays.copyOf(header, header.length + m.bodyLength());
        System.arraycopy(m.buffer(), m.bodyOffset(), out, header.length, m.bodyLength());
        return out;
    }

    private static void assertSameExceptSender(DBusMessage original, DBusMessage stitched) {
        assertThat(stitched.isBigEndian()).isEqualTo(original.isBigEndian());
        assertThat(stitched.type()).isEqualTo(original.type());
        assertThat(stitched.flags()).isEqualTo(original.flags());
        assertThat(stitched.serial()).isEqualTo(original.serial());
        assertThat(stitched.path()).isEqualTo(original.path());
        assertThat(stitched.interfaceName()).isEqualTo(original.interfaceName());
        assertThat(stitched.member()).isEqualTo(original.member());
        assertThat(stitched.destination()).isEqualTo(original.destination());
        assertThat(stitched.signature()).isEqualTo(original.signature());
        assertThat(stitched.replySerial()).isEqualTo(original.replySerial());
        assertThat(stitched.unixFds()).isEqualTo(original.unixFds());
        assertThat(stitched.bodyLength()).isEqualTo(original.bodyLength());
        assertThat(Arrays.copyOfRange(stitched.buffer(), stitched.bodyOffset(), stitched.length()))
                .isEqualTo(Arrays.copyOfRange(original.buffer(), original.bodyOffset(), original.length()));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldAddSenderWhenClientSentNone(boolean be) {
        MessageBuilder b = MessageBuilder.methodCall("org.example.S", "/p", "org.example.I", "M").unixFds(1);
        DBusMessage original = parse((be ? b.bigEndian() : b).string("body").unixFd(0).int64(5).build(3));

        DBusMessage stitched = parse(forward(original, ":1.42"));

        assertThat(stitched.sender()).isEqualTo(":1.42");
        assertSameExceptSender(original, stitched);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldReplaceForgedSenderInAnyPosition(boolean be) {
        // forged SENDER first, in the middle and last among the fields
        byte[][] frames = {
            new RawFrame(be).stringField(HeaderField.SENDER, "org.freedesktop.DBus").path("/a").member("M")
                    .signature("s").body(w -> w.putString("x")).build(),
            new RawFrame(be).path("/a").stringField(HeaderField.SENDER, ":1.1").member("M").build(),
            new RawFrame(be).type(MessageType.SIGNAL).path("/a").interfaceName("a.b").member("M")
                    .signature("ay").body(w -> w.putInt32(3).putByte(1).putByte(2).putByte(3))
                    .stringField(HeaderField.SENDER, "a.very.long.forged.Name").build(),
        };
        for (byte[] frame : frames) {
            DBusMessage original = parse(frame);
            assertThat(original.sender()).isNotNull();

            DBusMessage stitched = parse(forward(original, ":1.7"));

            assertThat(stitched.sender()).isEqualTo(":1.7");
            assertSameExceptSender(original, stitched);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldAcceptPreEncodedNameAndDropUnknownFields(boolean be) {
        DBusMessage original = parse(RawFrame.methodCall(be).field(77, "(yy)", w -> w.align(8).putByte(1).putByte(2))
                .stringField(HeaderField.SENDER, ":9.9").uint32Field(HeaderField.REPLY_SERIAL, 12)
                .stringField(200, "abc").build());

        byte[] header = SenderStitcher.stitch(original, ":1.1".getBytes());
        byte[] out = Arrays.copyOf(header, header.length + original.bodyLength());
        System.arraycopy(original.buffer(), original.bodyOffset(), out, header.length, original.bodyLength());

        DBusMessage stitched = parse(out);
        assertThat(stitched.sender()).isEqualTo(":1.1");
        assertThat(stitched.replySerial()).isEqualTo(12);
        assertSameExceptSender(original, stitched);
        // HeaderFiltering: fields the specification does not define are not forwarded.
        assertThat(original.droppedFieldCount()).isEqualTo(3);
        // Only the SENDER the bus set is left to drop, should the message be forwarded again.
        assertThat(stitched.droppedFieldCount()).isEqualTo(1);
        assertThat(stitched.hasField(77)).isFalse();
        assertThat(stitched.hasField(200)).isFalse();
    }
}
