package org.capbus.dbus.nativeproto;

/**
 * Encodes native frames (the layout of {@link NativeFrame}) into one new array each. Stateless; any thread.
 */
public final class NativeFrameWriter {
    private static final long[] NO_IDS = new long[0];

    private NativeFrameWriter() {
    }

    /** A frame with the given fields; {@code targets}/{@code handles} may be null for none. */
    public static byte[] frame(int operation, int flags, long requestId, long[] targets, long[] handles, int fdCount,
                               byte[] payload, int payloadOffset, int payloadLength) {
        long[] t = targets == null ? NO_IDS : targets;
        long[] h = handles == null ? NO_IDS : handles;
        byte[] b = new byte[NativeFrame.HEADER_LENGTH + 8 * (t.length + h.length) + payloadLength];
        int p = putHeader(b, operation, flags, requestId, t, h, fdCount, payloadLength);
        if (payloadLength > 0) {
            System.arraycopy(payload, payloadOffset, b, p, payloadLength);
        }
        return b;
    }

    /**
     * The header and ids of a frame whose {@code payloadLength} payload bytes the caller writes right after them: a
     * message delivered to many receivers shares its payload, each receiver's frame differs only here.
     */
    public static byte[] header(int operation, int flags, long requestId, long target, long[] handles, int fdCount,
                                int payloadLength) {
        long[] h = handles == null ? NO_IDS : handles;
        byte[] b = new byte[NativeFrame.HEADER_LENGTH + 8 * (1 + h.length)];
        putHeader(b, operation, flags, requestId, new long[] {target}, h, fdCount, payloadLength);
        return b;
    }

    /** Fills the header and ids into {@code b}; returns where the payload starts. */
    private static int putHeader(byte[] b, int operation, int flags, long requestId, long[] t, long[] h, int fdCount,
                                 int payloadLength) {
        int length = NativeFrame.HEADER_LENGTH + 8 * (t.length + h.length) + payloadLength;
        putInt(b, NativeFrame.OFFSET_LENGTH, length);
        putShort(b, NativeFrame.OFFSET_OPERATION, operation);
        putShort(b, NativeFrame.OFFSET_FLAGS, flags);
        putLong(b, NativeFrame.OFFSET_REQUEST_ID, requestId);
        putShort(b, NativeFrame.OFFSET_TARGET_COUNT, t.length);
        putShort(b, NativeFrame.OFFSET_HANDLE_COUNT, h.length);
        putShort(b, NativeFrame.OFFSET_FD_COUNT, fdCount);
        int p = NativeFrame.HEADER_LENGTH;
        for (long id : t) {
            putLong(b, p, id);
            p += 8;
        }
        for (long id : h) {
            putLong(b, p, id);
            p += 8;
        }
        return p;
    }

    /** A {@code REPLY}: status, detail, then {@code extra} (may be null). */
    public static byte[] reply(long requestId, int status, int detail, long[] targets, byte[] extra) {
        int extraLength = extra == null ? 0 : extra.length;
        byte[] payload = new byte[8 + extraLength];
        putInt(payload, 0, status);
        putInt(payload, 4, detail);
        if (extraLength > 0) {
            System.arraycopy(extra, 0, payload, 8, extraLength);
        }
        return frame(NativeFrame.REPLY, 0, requestId, targets, null, 0, payload, 0, payload.length);
    }

    public static void putShort(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >>> 8);
    }

    public static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >>> 8);
        b[at + 2] = (byte) (v >>> 16);
        b[at + 3] = (byte) (v >>> 24);
    }

    public static void putLong(byte[] b, int at, long v) {
        putInt(b, at, (int) v);
        putInt(b, at + 4, (int) (v >>> 32));
    }

    public static int getShort(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8;
    }

    public static int getInt(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16 | (b[at + 3] & 0xFF) << 24;
    }

    public static long getLong(byte[] b, int at) {
        return (getInt(b, at) & 0xFFFFFFFFL) | (long) getInt(b, at + 4) << 32;
    }
}
