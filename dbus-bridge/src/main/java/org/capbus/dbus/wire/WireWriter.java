package org.capbus.dbus.wire;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growable buffer of marshalled values in one byte order, with alignment relative to its first byte (which
 * the message places 8-aligned). The low layer under {@link MessageBuilder}; tests use it to hand-build frames
 * that break rules. Owned by one thread.
 */
final class WireWriter {

    private final boolean bigEndian;
    private byte[] buf;
    private int pos;

    WireWriter(boolean bigEndian, int capacity) {
        this.bigEndian = bigEndian;
        this.buf = new byte[Math.max(capacity, 16)];
    }

    boolean bigEndian() {
        return bigEndian;
    }

    int position() {
        return pos;
    }

    byte[] array() {
        return buf;
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buf, pos);
    }

    private void ensure(int more) {
        if (pos + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + more));
        }
    }

    /** Writes zero padding up to {@code alignment}. */
    WireWriter align(int alignment) {
        int aligned = WireBytes.align(pos, alignment);
        ensure(aligned - pos);
        Arrays.fill(buf, pos, aligned, (byte) 0);
        pos = aligned;
        return this;
    }

    WireWriter putByte(int v) {
        ensure(1);
        buf[pos++] = (byte) v;
        return this;
    }

    WireWriter putBytes(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, pos, b.length);
        pos += b.length;
        return this;
    }

    WireWriter putInt16(int v) {
        align(2);
        ensure(2);
        WireBytes.putShort(buf, pos, (short) v, bigEndian);
        pos += 2;
        return this;
    }

    WireWriter putInt32(int v) {
        align(4);
        ensure(4);
        WireBytes.putInt(buf, pos, v, bigEndian);
        pos += 4;
        return this;
    }

    WireWriter putInt64(long v) {
        align(8);
        ensure(8);
        WireBytes.putLong(buf, pos, v, bigEndian);
        pos += 8;
        return this;
    }

    /** A 's' or 'o' value: u32 length, UTF-8 bytes, NUL. */
    WireWriter putString(String s) {
        return putStringBytes(s.getBytes(StandardCharsets.UTF_8));
    }

    WireWriter putStringBytes(byte[] utf8) {
        putInt32(utf8.length);
        putBytes(utf8);
        return putByte(0);
    }

    /** A 'g' value: u8 length, ASCII bytes, NUL. */
    WireWriter putSignature(String s) {
        putByte(s.length());
        putBytes(s.getBytes(StandardCharsets.US_ASCII));
        return putByte(0);
    }

    /** Overwrites the u32 at {@code at} (already written, aligned). */
    void patchInt32(int at, int v) {
        WireBytes.putInt(buf, at, v, bigEndian);
    }
}
