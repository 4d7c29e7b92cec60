package org.capbus.bench.wire;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Just enough of the D-Bus wire format (little-endian) for the benchmark's raw D-Bus side: building method calls,
 * returns and signals with a string body (and an optional unix fd), and reading a message's type, serial and sender.
 * The benchmark's D-Bus peers must cost about as little per message as the native client does, so that the two
 * sides of a shape differ by the bus; dbus-java (reflection, a thread per connection) would not. Stateless.
 */
final class DBusWire {
    static final int METHOD_CALL = 1;
    static final int METHOD_RETURN = 2;
    static final int ERROR = 3;
    static final int SIGNAL = 4;

    private static final int PATH = 1;
    private static final int INTERFACE = 2;
    private static final int MEMBER = 3;
    private static final int REPLY_SERIAL = 5;
    private static final int DESTINATION = 6;
    private static final int SENDER = 7;
    private static final int SIGNATURE = 8;
    private static final int UNIX_FDS = 9;

    private DBusWire() {
    }

    /** A method call; {@code text} (nullable) is a string argument, {@code withFd} adds an {@code h} argument. */
    static byte[] methodCall(int serial, String destination, String path, String iface, String member, String text,
                             boolean withFd) {
        Writer w = header(METHOD_CALL, serial);
        w.field(PATH, 'o', path);
        w.field(INTERFACE, 's', iface);
        w.field(MEMBER, 's', member);
        w.field(DESTINATION, 's', destination);
        return finish(w, text, withFd);
    }

    /** {@code org.freedesktop.DBus.RequestName(name, DO_NOT_QUEUE)}. */
    static byte[] requestName(int serial, String name) {
        Writer w = header(METHOD_CALL, serial);
        w.field(PATH, 'o', "/org/freedesktop/DBus");
        w.field(INTERFACE, 's', "org.freedesktop.DBus");
        w.field(MEMBER, 's', "RequestName");
        w.field(DESTINATION, 's', "org.freedesktop.DBus");
        w.fieldSignature("su");
        int fieldsEnd = w.size();
        w.align(8);
        int bodyStart = w.size();
        w.string(name).align(4).u32(4);
        byte[] b = w.toByteArray();
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        bb.putInt(4, b.length - bodyStart);
        bb.putInt(12, fieldsEnd - 16);
        return b;
    }

    /** A method return to {@code replySerial} of {@code destination}'s call, with an optional string. */
    static byte[] methodReturn(int serial, int replySerial, String destination, String text) {
        Writer w = header(METHOD_RETURN, serial);
        w.fieldU32(REPLY_SERIAL, replySerial);
        w.field(DESTINATION, 's', destination);
        return finish(w, text, false);
    }

    /** A signal with a string argument. */
    static byte[] signal(int serial, String path, String iface, String member, String text) {
        Writer w = header(SIGNAL, serial);
        w.field(PATH, 'o', path);
        w.field(INTERFACE, 's', iface);
        w.field(MEMBER, 's', member);
        return finish(w, text, false);
    }

    private static Writer header(int type, int serial) {
        Writer w = new Writer();
        w.u8('l').u8(type).u8(0).u8(1).u32(0).u32(serial).u32(0);
        return w;
    }

    private static byte[] finish(Writer w, String text, boolean withFd) {
        String sig = (text != null ? "s" : "") + (withFd ? "h" : "");
        if (!sig.isEmpty()) {
            w.fieldSignature(sig);
        }
        if (withFd) {
            w.fieldU32(UNIX_FDS, 1);
        }
        int fieldsEnd = w.size();
        w.align(8);
        int bodyStart = w.size();
        if (text != null) {
            w.string(text);
        }
        if (withFd) {
            w.align(4).u32(0);
        }
        byte[] b = w.toByteArray();
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        bb.putInt(4, b.length - bodyStart);
        bb.putInt(12, fieldsEnd - 16);
        return b;
    }

    /** Sets the serial of a message built here (its bytes 8-11). */
    static void setSerial(byte[] message, int serial) {
        message[8] = (byte) serial;
        message[9] = (byte) (serial >>> 8);
        message[10] = (byte) (serial >>> 16);
        message[11] = (byte) (serial >>> 24);
    }

    /** The whole length of the message starting at {@code off}, or -1 if its 16-byte start has not arrived. */
    static int length(byte[] b, int off, int available) {
        if (available < 16) {
            return -1;
        }
        int fields = u32(b, off + 12);
        int body = u32(b, off + 4);
        return 16 + ((fields + 7) & ~7) + body;
    }

    static int type(byte[] b, int off) {
        return b[off + 1];
    }

    static int serial(byte[] b, int off) {
        return u32(b, off + 8);
    }

    /** The SENDER header field, or null. */
    static String sender(byte[] b, int off) {
        int p = field(b, off, SENDER);
        return p < 0 ? null : new String(b, p + 4, u32(b, p), StandardCharsets.US_ASCII);
    }

    /** The reply serial of a method return or error, or 0. */
    static int replySerial(byte[] b, int off) {
        int p = field(b, off, REPLY_SERIAL);
        return p < 0 ? 0 : u32(b, p);
    }

    /**
     * Where the value of header field {@code wanted} starts in the little-endian message at {@code off} (aligned for its
     * type: a string's length, a uint32), or -1 if the message has none.
     */
    private static int field(byte[] b, int off, int wanted) {
        int end = off + 16 + u32(b, off + 12);
        int p = off + 16;
        while (p < end) {
            p = off + ((p - off + 7) & ~7);
            int code = b[p];
            char sig = (char) b[p + 2];
            p += 4;
            if (sig != 'g') {
                p = off + ((p - off + 3) & ~3);
            }
            if (code == wanted) {
                return p;
            }
            p += switch (sig) {
                case 's', 'o' -> 4 + u32(b, p) + 1;
                case 'g' -> 1 + (b[p] & 0xFF) + 1;
                case 'u' -> 4;
                default -> throw new IllegalArgumentException("unexpected header field type " + sig);
            };
        }
        return -1;
    }

    private static int u32(byte[] b, int p) {
        return (b[p] & 0xFF) | (b[p + 1] & 0xFF) << 8 | (b[p + 2] & 0xFF) << 16 | (b[p + 3] & 0xFF) << 24;
    }

    /** A growing little-endian buffer with D-Bus alignment. */
    private static final class Writer {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream(256);

        int size() {
            return out.size();
        }

        Writer u8(int v) {
            out.write(v);
            return this;
        }

        Writer u32(int v) {
            out.write(v);
            out.write(v >>> 8);
            out.write(v >>> 16);
            out.write(v >>> 24);
            return this;
        }

        Writer align(int n) {
            while (out.size() % n != 0) {
                out.write(0);
            }
            return this;
        }

        Writer string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            align(4).u32(b.length);
            out.writeBytes(b);
            out.write(0);
            return this;
        }

        void field(int code, char type, String value) {
            align(8).u8(code).u8(1).u8(type).u8(0);
            string(value);
        }

        void fieldU32(int code, int value) {
            align(8).u8(code).u8(1).u8('u').u8(0);
            u32(value);
        }

        void fieldSignature(String sig) {
            align(8).u8(SIGNATURE).u8(1).u8('g').u8(0);
            byte[] b = sig.getBytes(StandardCharsets.US_ASCII);
            u8(b.length);
            out.writeBytes(b);
            out.write(0);
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }
    }
}
