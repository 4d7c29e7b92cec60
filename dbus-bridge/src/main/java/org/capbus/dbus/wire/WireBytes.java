package org.capbus.dbus.wire;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Reads and writes of marshalled integers in either byte order, and alignment arithmetic. Byte-array view
 * VarHandles compile to single (unaligned) loads and stores; no allocation, no bounds beyond the array's own.
 */
final class WireBytes {

    private static final VarHandle LE16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle BE16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LE32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle BE32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LE64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle BE64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    /** The endianness byte of little-endian messages. */
    static final byte LITTLE = 'l';
    /** The endianness byte of big-endian messages. */
    static final byte BIG = 'B';

    private WireBytes() {
    }

    static short getShort(byte[] b, int i, boolean bigEndian) {
        return bigEndian ? (short) BE16.get(b, i) : (short) LE16.get(b, i);
    }

    static int getInt(byte[] b, int i, boolean bigEndian) {
        return bigEndian ? (int) BE32.get(b, i) : (int) LE32.get(b, i);
    }

    static long getUInt(byte[] b, int i, boolean bigEndian) {
        return getInt(b, i, bigEndian) & 0xFFFF_FFFFL;
    }

    static long getLong(byte[] b, int i, boolean bigEndian) {
        return bigEndian ? (long) BE64.get(b, i) : (long) LE64.get(b, i);
    }

    static void putShort(byte[] b, int i, short v, boolean bigEndian) {
        if (bigEndian) {
            BE16.set(b, i, v);
        } else {
            LE16.set(b, i, v);
        }
    }

    static void putInt(byte[] b, int i, int v, boolean bigEndian) {
        if (bigEndian) {
            BE32.set(b, i, v);
        } else {
            LE32.set(b, i, v);
        }
    }

    static void putLong(byte[] b, int i, long v, boolean bigEndian) {
        if (bigEndian) {
            BE64.set(b, i, v);
        } else {
            LE64.set(b, i, v);
        }
    }

    /** {@code pos} rounded up to a multiple of {@code alignment} (a power of two). */
    static int align(int pos, int alignment) {
        return (pos + alignment - 1) & -alignment;
    }

    /** Whether {@code b[from, to)} holds only zero bytes. */
    static boolean isZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
