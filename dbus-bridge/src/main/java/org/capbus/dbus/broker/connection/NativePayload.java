package org.capbus.dbus.broker.connection;

import org.capbus.core.Message;

/**
 * A message a native connection sent with {@code SEND} (docs/native-protocol.md), as the payload of a core
 * {@link org.capbus.core.Message}: its bytes and descriptors in a {@link BusMessage} (shared by every receiver,
 * descriptors closed when the last receiver wrote or dropped it) and the frame's flags ({@code DBUS}).
 *
 * <p>Event-loop thread only.
 */
public final class NativePayload {
    private final BusMessage message;
    private final int flags;

    public NativePayload(BusMessage message, int flags) {
        this.message = message;
        this.flags = flags;
    }

    /** Lets go of a queued message that will not be received (its receiver is gone): either kind of payload. */
    public static void drop(Message message) {
        if (message.payload() instanceof NativePayload p) {
            p.message.release();
        } else if (message.payload() instanceof BusMessage m) {
            m.release();
        }
    }

    /** The bytes and descriptors, shared by every receiver. */
    public BusMessage message() {
        return message;
    }

    /** The frame's flags (the protocol's {@code DBUS} bit). */
    public int flags() {
        return flags;
    }
}
