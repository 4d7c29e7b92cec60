package org.capbus.dbus.wire;

import java.util.function.Consumer;

/**
 * Test helper: hand-builds message frames field by field, including ones that break rules the builder never
 * breaks (wrong variant signatures, duplicate or missing fields, forged lengths).
 */
final class RawFrame {

    private final boolean bigEndian;
    private byte endianness;
    private int type = MessageType.METHOD_CALL;
    private int flags;
    private int version = 1;
    private int serial = 1;
    private final WireWriter fields;
    private final WireWriter body;
    private Integer bodyLengthOverride;
    private Integer fieldsLengthOverride;
    private int extraHeaderPadding;

    RawFrame(boolean bigEndian) {
        this.bigEndian = bigEndian;
        this.endianness = bigEndian ? (byte) 'B' : (byte) 'l';
        // Both writers start at an 8-aligned offset of the message, so their own alignment is the message's.
        this.fields = new WireWriter(bigEndian, 64);
        this.body = new WireWriter(bigEndian, 64);
    }

    /** A frame with the fields a method call needs. */
    static RawFrame methodCall(boolean bigEndian) {
        return new RawFrame(bigEndian).path("/org/example").member("Ping");
    }

    RawFrame endianness(int b) {
        this.endianness = (byte) b;
        return this;
    }

    RawFrame type(int type) {
        this.type = type;
        return this;
    }

    RawFrame flags(int flags) {
        this.flags = flags;
        return this;
    }

    RawFrame version(int version) {
        this.version = version;
        return this;
    }

    RawFrame serial(int serial) {
        this.serial = serial;
        return this;
    }

    RawFrame bodyLength(int length) {
        this.bodyLengthOverride = length;
        return this;
    }

    RawFrame fieldsLength(int length) {
        this.fieldsLengthOverride = length;
        return this;
    }

    /** One header field: code, variant signature, then the value written by {@code value}. */
    RawFrame field(int code, String signature, Consumer<WireWriter> value) {
        fields.align(8).putByte(code).putSignature(signature);
        value.accept(fields);
        return this;
    }

    RawFrame stringField(int code, String value) {
        return field(code, "s", w -> w.putString(value));
    }

    RawFrame path(String value) {
        return field(HeaderField.PATH, "o", w -> w.putString(value));
    }

    RawFrame interfaceName(String value) {
        return stringField(HeaderField.INTERFACE, value);
    }

    RawFrame member(String value) {
        return stringField(HeaderField.MEMBER, value);
    }

    RawFrame uint32Field(int code, int value) {
        return field(code, "u", w -> w.putInt32(value));
    }

    RawFrame signature(String value) {
        return field(HeaderField.SIGNATURE, "g", w -> w.putSignature(value));
    }

    /** Appends raw body bytes through the writer (alignment relative to the body start). */
    RawFrame body(Consumer<WireWriter> value) {
        value.accept(body);
        return this;
    }

    /** Makes the padding after the header-field array one non-zero byte, if there is any padding. */
    RawFrame dirtyHeaderPadding() {
        this.extraHeaderPadding = 1;
        return this;
    }

    byte[] build() {
        int fieldsLength = fields.position();
        int headerEnd = WireBytes.align(16 + fieldsLength, 8);
        byte[] m = new byte[headerEnd + body.position()];
        m[0] = endianness;
        m[1] = (byte) type;
        m[2] = (byte) flags;
        m[3] = (byte) version;
        WireBytes.putInt(m, 4, bodyLengthOverride != null ? bodyLengthOverride : body.position(), bigEndian);
        WireBytes.putInt(m, 8, serial, bigEndian);
        WireBytes.putInt(m, 12, fieldsLengthOverride != null ? fieldsLengthOverride : fieldsLength, bigEndian);
        System.arraycopy(fields.array(), 0, m, 16, fieldsLength);
        if (extraHeaderPadding != 0 && headerEnd > 16 + fieldsLength) {
            m[16 + fieldsLength] = 1;
        }
        System.arraycopy(body.array(), 0, m, headerEnd, body.position());
        return m;
    }

    static Validity parse(byte[] m) {
        return new DBusMessage().parse(m, m.length);
    }
}
