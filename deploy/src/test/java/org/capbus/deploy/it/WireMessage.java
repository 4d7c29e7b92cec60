package org.capbus.deploy.it;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A D-Bus message as the robustness tests see it: a tiny, test-only marshaller that builds frames byte by byte (so a
 * test can break any of them on purpose) and a parser for the header fields of what the bus sends back. Supports only
 * what the tests need: header fields of types s, o, g, u and bodies of strings and uint32s. Not thread-safe.
 *
 * <pre>
 * fixed header (16 bytes): endianness 'l'|'B', type, flags, version 1, body length u32, serial u32,
 * then header fields a(yv) (array length u32, each field 8-aligned: code byte, signature, value),
 * padding to 8, body.
 * </pre>
 *
 * @param endianness  'l' or 'B'
 * @param type        {@link #METHOD_CALL}, {@link #METHOD_RETURN}, {@link #ERROR} or {@link #SIGNAL}
 * @param flags       header flags
 * @param serial      the sender's serial
 * @param path        PATH field, or null
 * @param iface       INTERFACE field, or null
 * @param member      MEMBER field, or null
 * @param errorName   ERROR_NAME field, or null
 * @param replySerial REPLY_SERIAL field, or 0
 * @param destination DESTINATION field, or null
 * @param sender      SENDER field, or null
 * @param signature   SIGNATURE field, or "" if absent
 * @param body        the body bytes, in the message's byte order
 */
public record WireMessage(byte endianness, int type, int flags, int serial, String path, String iface, String member,
        String errorName, int replySerial, String destination, String sender, String signature, byte[] body,
        java.util.Set<Integer> fieldCodes) {
    public static final int METHOD_CALL = 1;
    public static final int METHOD_RETURN = 2;
    public static final int ERROR = 3;
    public static final int SIGNAL = 4;

    public static final int FIELD_PATH = 1;
    public static final int FIELD_INTERFACE = 2;
    public static final int FIELD_MEMBER = 3;
    public static final int FIELD_ERROR_NAME = 4;
    public static final int FIELD_REPLY_SERIAL = 5;
    public static final int FIELD_DESTINATION = 6;
    public static final int FIELD_SENDER = 7;
    public static final int FIELD_SIGNATURE = 8;

    /** The first body argument, which the caller knows to be a string (e.g. the unique name in Hello's reply). */
    public String firstString() {
        ByteBuffer buffer = ByteBuffer.wrap(body).order(order(endianness));
        int length = buffer.getInt(0);
        return new String(body, 4, length, StandardCharsets.UTF_8);
    }

    /** The first body argument, which the caller knows to be a uint32. */
    public int firstUint32() {
        return ByteBuffer.wrap(body).order(order(endianness)).getInt(0);
    }

    static ByteOrder order(byte endianness) {
        return switch (endianness) {
            case 'l' -> ByteOrder.LITTLE_ENDIAN;
            case 'B' -> ByteOrder.BIG_ENDIAN;
            default -> throw new IllegalArgumentException("endianness byte " + endianness);
        };
    }

    /**
     * Total length of the frame starting at {@code buffer}'s position, once its first 16 bytes are there; -1 if fewer
     * are available.
     */
    static long frameLength(ByteBuffer buffer) {
        if (buffer.remaining() < 16) {
            return -1;
        }
        ByteBuffer view = buffer.duplicate().order(order(buffer.get(buffer.position())));
        int at = buffer.position();
        long bodyLength = Integer.toUnsignedLong(view.getInt(at + 4));
        long fieldsLength = Integer.toUnsignedLong(view.getInt(at + 12));
        return align(16 + fieldsLength, 8) + bodyLength;
    }

    /** Parses one complete frame. */
    static WireMessage parse(byte[] frame) {
        ByteBuffer b = ByteBuffer.wrap(frame).order(order(frame[0]));
        int type = frame[1];
        int flags = frame[2] & 0xff;
        int bodyLength = b.getInt(4);
        int serial = b.getInt(8);
        int fieldsEnd = 16 + b.getInt(12);
        String path = null;
        String iface = null;
        String member = null;
        String errorName = null;
        String destination = null;
        String sender = null;
        String signature = "";
        int replySerial = 0;
        java.util.Set<Integer> codes = new java.util.TreeSet<>();
        int at = 16;
        while (at < fieldsEnd) {
            at = (int) align(at, 8);
            int code = frame[at] & 0xff;
            codes.add(code);
            int sigLength = frame[at + 1] & 0xff;
            char valueType = (char) frame[at + 2];
            at += 2 + sigLength + 1;
            switch (valueType) {
                case 's', 'o' -> {
                    at = (int) align(at, 4);
                    int length = b.getInt(at);
                    String value = new String(frame, at + 4, length, StandardCharsets.UTF_8);
                    at += 4 + length + 1;
                    switch (code) {
                        case FIELD_PATH -> path = value;
                        case FIELD_INTERFACE -> iface = value;
                        case FIELD_MEMBER -> member = value;
                        case FIELD_ERROR_NAME -> errorName = value;
                        case FIELD_DESTINATION -> destination = value;
                        case FIELD_SENDER -> sender = value;
                        default -> { }
                    }
                }
                case 'g' -> {
                    int length = frame[at] & 0xff;
                    String value = new String(frame, at + 1, length, StandardCharsets.US_ASCII);
                    at += 1 + length + 1;
                    if (code == FIELD_SIGNATURE) {
                        signature = value;
                    }
                }
                case 'u' -> {
                    at = (int) align(at, 4);
                    if (code == FIELD_REPLY_SERIAL) {
                        replySerial = b.getInt(at);
                    }
                    at += 4;
                }
                default -> throw new IllegalArgumentException("unexpected header field type " + valueType);
            }
        }
        int bodyStart = (int) align(fieldsEnd, 8);
        byte[] body = java.util.Arrays.copyOfRange(frame, bodyStart, bodyStart + bodyLength);
        return new WireMessage(frame[0], type, flags, serial, path, iface, member, errorName, replySerial, destination,
                sender, signature, body, codes);
    }

    static long align(long value, int boundary) {
        return (value + boundary - 1) & -boundary;
    }

    /** A method call to the bus driver. */
    public static Builder driverCall(int serial, String member) {
        return new Builder(METHOD_CALL, serial).path("/org/freedesktop/DBus").iface("org.freedesktop.DBus")
                .member(member).destination("org.freedesktop.DBus");
    }

    /** Starts a message of {@code type}. */
    public static Builder builder(int type, int serial) {
        return new Builder(type, serial);
    }

    /** Builds one little-endian frame; every part can be set to anything, valid or not. */
    public static final class Builder {
        private final int type;
        private final int serial;
        private final Writer fields = new Writer();
        private final Writer body = new Writer();
        private final StringBuilder bodySignature = new StringBuilder();
        private String signatureOverride;
        private int flags;

        private Builder(int type, int serial) {
            this.type = type;
            this.serial = serial;
        }

        public Builder flags(int value) {
            flags = value;
            return this;
        }

        public Builder path(String value) {
            return field(FIELD_PATH, 'o', value);
        }

        public Builder iface(String value) {
            return field(FIELD_INTERFACE, 's', value);
        }

        public Builder member(String value) {
            return field(FIELD_MEMBER, 's', value);
        }

        public Builder errorName(String value) {
            return field(FIELD_ERROR_NAME, 's', value);
        }

        public Builder destination(String value) {
            return field(FIELD_DESTINATION, 's', value);
        }

        public Builder sender(String value) {
            return field(FIELD_SENDER, 's', value);
        }

        public Builder replySerial(int value) {
            fields.align(8);
            fields.put((byte) FIELD_REPLY_SERIAL);
            fields.signature("u");
            fields.uint32(value);
            return this;
        }

        /** A header field holding a string-like value ({@code s}, {@code o}) given as raw bytes. */
        public Builder rawField(int code, char valueType, byte[] value) {
            fields.align(8);
            fields.put((byte) code);
            fields.signature(String.valueOf(valueType));
            fields.align(4);
            fields.uint32(value.length);
            fields.bytes(value);
            fields.put((byte) 0);
            return this;
        }

        private Builder field(int code, char valueType, String value) {
            return rawField(code, valueType, value.getBytes(StandardCharsets.UTF_8));
        }

        /** Appends a string argument (given as raw bytes, which need not be UTF-8) to the body. */
        public Builder bodyString(byte[] value) {
            body.align(4);
            body.uint32(value.length);
            body.bytes(value);
            body.put((byte) 0);
            bodySignature.append('s');
            return this;
        }

        public Builder bodyString(String value) {
            return bodyString(value.getBytes(StandardCharsets.UTF_8));
        }

        public Builder bodyUint32(int value) {
            body.align(4);
            body.uint32(value);
            bodySignature.append('u');
            return this;
        }

        /** Replaces the SIGNATURE field computed from the body with {@code value}, valid or not. */
        public Builder signature(String value) {
            signatureOverride = value;
            return this;
        }

        public byte[] build() {
            String signature = signatureOverride != null ? signatureOverride : bodySignature.toString();
            Writer header = new Writer();
            header.put((byte) 'l');
            header.put((byte) type);
            header.put((byte) flags);
            header.put((byte) 1);
            header.uint32(body.size());
            header.uint32(serial);
            Writer allFields = new Writer();
            allFields.bytes(fields.toByteArray());
            if (!signature.isEmpty()) {
                allFields.align(8);
                allFields.put((byte) FIELD_SIGNATURE);
                allFields.signature("g");
                allFields.signature(signature);
            }
            header.uint32(allFields.size());
            // The fields start at offset 16, which is 8-aligned, so their alignment was computed correctly.
            header.bytes(allFields.toByteArray());
            header.align(8);
            header.bytes(body.toByteArray());
            return header.toByteArray();
        }
    }

    /** Little-endian byte writer with D-Bus alignment relative to its own start. */
    private static final class Writer {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        void put(byte value) {
            out.write(value);
        }

        void bytes(byte[] value) {
            out.writeBytes(value);
        }

        void uint32(int value) {
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array());
        }

        void signature(String value) {
            out.write(value.length());
            out.writeBytes(value.getBytes(StandardCharsets.US_ASCII));
            out.write(0);
        }

        void align(int boundary) {
            while (out.size() % boundary != 0) {
                out.write(0);
            }
        }

        int size() {
            return out.size();
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }
    }
}
