package org.capbus.client;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One frame of the protocol (docs/native-protocol.md, section 2): a 24-byte little-endian header, then ids, then the
 * payload. Immutable.
 */
record Frame(int operation, int flags, long requestId, long[] targets, long[] handles, int fdCount, byte[] payload) {
    static final int HEADER_LENGTH = 24;
    static final long[] NO_IDS = new long[0];

    static final int CREATE_NODE = 0x0001;
    static final int SEND = 0x0002;
    static final int RELEASE = 0x0003;
    static final int DESTROY_NODE = 0x0004;
    static final int REGISTER_NAME = 0x0005;
    static final int RELEASE_NAME = 0x0006;
    static final int RESOLVE_NAME = 0x0007;
    static final int DBUS_SEND = 0x0008;
    static final int REPLY = 0x8000;
    static final int WELCOME = 0x8001;
    static final int MESSAGE = 0x8002;
    static final int NODE_DESTROYED = 0x8003;
    static final int NODE_RELEASED = 0x8004;

    static final int FLAG_CONTINUE_ON_ERROR = 0x1;
    static final int FLAG_DBUS = 0x2;
    static final int FLAG_QUIET = 0x4;

    /** The frame's bytes. */
    ByteBuffer encode() {
        int length = HEADER_LENGTH + 8 * (targets.length + handles.length) + payload.length;
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(length).putShort((short) operation).putShort((short) flags).putLong(requestId)
                .putShort((short) targets.length).putShort((short) handles.length).putShort((short) fdCount)
                .putShort((short) 0);
        for (long id : targets) {
            b.putLong(id);
        }
        for (long id : handles) {
            b.putLong(id);
        }
        b.put(payload).flip();
        return b;
    }

    /** Decodes the whole frame {@code b[off, off+length)} (its length field already checked). */
    static Frame decode(byte[] b, int off, int length) {
        ByteBuffer bb = ByteBuffer.wrap(b, off, length).slice().order(ByteOrder.LITTLE_ENDIAN);
        int operation = bb.getShort(4) & 0xFFFF;
        int flags = bb.getShort(6) & 0xFFFF;
        long requestId = bb.getLong(8);
        int t = bb.getShort(16) & 0xFFFF;
        int h = bb.getShort(18) & 0xFFFF;
        int fds = bb.getShort(20) & 0xFFFF;
        bb.position(HEADER_LENGTH);
        long[] targets = t == 0 ? NO_IDS : new long[t];
        for (int i = 0; i < t; i++) {
            targets[i] = bb.getLong();
        }
        long[] handles = h == 0 ? NO_IDS : new long[h];
        for (int i = 0; i < h; i++) {
            handles[i] = bb.getLong();
        }
        byte[] payload = new byte[bb.remaining()];
        bb.get(payload);
        return new Frame(operation, flags, requestId, targets, handles, fds, payload);
    }

    /** The little-endian u32 at {@code b[off]}. */
    static long u32(byte[] b, int off) {
        return (b[off] & 0xFFL) | (b[off + 1] & 0xFFL) << 8 | (b[off + 2] & 0xFFL) << 16 | (b[off + 3] & 0xFFL) << 24;
    }

    /** u32 at {@code offset} of the payload. */
    int payloadInt(int offset) {
        return ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN).getInt(offset);
    }
}
