package org.capbus.dbus.broker;

/**
 * A message a native connection sent with {@code SEND} (docs/native-protocol.md), as the payload of a core
 * {@link org.capbus.core.Message}: its bytes and descriptors in a {@link BusMessage} (shared by every receiver,
 * descriptors closed when the last receiver wrote or dropped it) and the frame's flags ({@code DBUS}).
 *
 * <p>Event-loop thread only.
 */
final class NativePayload {
    final BusMessage message;
    final int flags;

    NativePayload(BusMessage message, int flags) {
        this.message = message;
        this.flags = flags;
    }
}
