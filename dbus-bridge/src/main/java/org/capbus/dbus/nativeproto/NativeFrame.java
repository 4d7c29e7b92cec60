package org.capbus.dbus.nativeproto;

/**
 * One decoded frame of the native protocol, and the protocol's constants (docs/native-protocol.md, section 2):
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------------------------------------------------------+
 * |                      Frame Length (u32)                       |  0
 * +-------------------------------+-------------------------------+
 * |       Operation (u16)         |          Flags (u16)          |  4
 * +-------------------------------+-------------------------------+
 * |                       Request Id (u64)                        |  8
 * +-------------------------------+-------------------------------+
 * |      Target Count (u16)       |      Handle Count (u16)       | 16
 * +-------------------------------+-------------------------------+
 * |        Fd Count (u16)         |       Reserved (u16) = 0      | 20
 * +-------------------------------+-------------------------------+
 * |  Target Ids (u64 each), Handle Ids (u64 each), Payload       ...  24
 * </pre>
 * All little-endian. A frame object is immutable once decoded; the payload array is the frame's own.
 *
 * @param operation  the operation code
 * @param flags      the flags
 * @param requestId  the request id (sequence number in events)
 * @param targets    the target ids
 * @param handles    the carried handle ids
 * @param fds        descriptors that came with the frame (the receiver owns them)
 * @param payload    the payload bytes
 */
public record NativeFrame(int operation, int flags, long requestId, long[] targets, long[] handles, int[] fds,
                          byte[] payload) {

    /** The protocol version negotiated by {@code NEGOTIATE_CAPBUS_NATIVE 1}. */
    public static final int VERSION = 1;
    public static final int HEADER_LENGTH = 24;
    public static final int MAX_TARGETS = 1024;
    public static final int MAX_HANDLES = 1024;

    public static final int OFFSET_LENGTH = 0;
    public static final int OFFSET_OPERATION = 4;
    public static final int OFFSET_FLAGS = 6;
    public static final int OFFSET_REQUEST_ID = 8;
    public static final int OFFSET_TARGET_COUNT = 16;
    public static final int OFFSET_HANDLE_COUNT = 18;
    public static final int OFFSET_FD_COUNT = 20;
    public static final int OFFSET_RESERVED = 22;

    // Requests (client to bus).
    public static final int CREATE_NODE = 0x0001;
    public static final int SEND = 0x0002;
    public static final int RELEASE = 0x0003;
    public static final int DESTROY_NODE = 0x0004;
    public static final int REGISTER_NAME = 0x0005;
    public static final int RELEASE_NAME = 0x0006;
    public static final int RESOLVE_NAME = 0x0007;
    public static final int DBUS_SEND = 0x0008;

    // Bus to client.
    public static final int REPLY = 0x8000;
    public static final int WELCOME = 0x8001;
    public static final int MESSAGE = 0x8002;
    public static final int NODE_DESTROYED = 0x8003;
    public static final int NODE_RELEASED = 0x8004;

    /** The high bit of the operation: set on frames the bus sends. */
    public static final int FROM_BUS = 0x8000;

    /** SEND flag: deliver to each destination that can take it and report each one's status. */
    public static final int FLAG_CONTINUE_ON_ERROR = 0x1;
    /** SEND / MESSAGE flag: the payload is one D-Bus message. */
    public static final int FLAG_DBUS = 0x2;
    /**
     * SEND and RELEASE flag: no {@code REPLY} when the request succeeds (a refusal is still answered). Saves the bus
     * a frame, and often a write, per message: D-Bus sends are not acknowledged either.
     */
    public static final int FLAG_QUIET = 0x4;

    /** The number of payload bytes. */
    public int payloadLength() {
        return payload.length;
    }
}
