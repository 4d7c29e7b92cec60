package org.capbus.client;

import java.util.List;

import org.freedesktop.dbus.messages.Message;

/**
 * One message that reached a node: its payload, the handles it carried (now this connection's: release them when
 * done; an entry is null where the node was destroyed before the message arrived), and, for a D-Bus message, the
 * parsed message and its reply handle. Read on the event thread or after; immutable.
 */
public final class Delivery {
    private final long sequence;
    private final byte[] payload;
    private final List<Handle> handles;
    private final boolean dbus;
    private final int fdCount;
    private final int[] fds;
    private Message parsed;

    Delivery(long sequence, byte[] payload, List<Handle> handles, boolean dbus, int fdCount, int[] fds) {
        this.fds = fds;
        this.sequence = sequence;
        this.payload = payload;
        this.handles = handles;
        this.dbus = dbus;
        this.fdCount = fdCount;
    }

    /** The message's place in the bus's global order (increasing for every event this connection receives). */
    public long sequence() {
        return sequence;
    }

    /** The payload bytes (a D-Bus message in the wire format if {@link #isDBus()}). */
    public byte[] payload() {
        return payload;
    }

    /** The handles the message carried, in order. */
    public List<Handle> handles() {
        return handles;
    }

    /** How many descriptors the message carried. */
    public int fdCount() {
        return fdCount;
    }

    /**
     * The descriptors the message carried, now this process's (close them with {@link CapbusClient#closeFd}); empty
     * below Java 22, where they cannot be received (the kernel closes them).
     */
    public int[] fds() {
        return fds.clone();
    }

    /** Whether the payload is a D-Bus message. */
    public boolean isDBus() {
        return dbus;
    }

    /** The D-Bus message, parsed by dbus-java (null if this is not a D-Bus message). */
    public synchronized Message dbusMessage() {
        if (dbus && parsed == null) {
            parsed = DBusMessages.parse(payload, fds);
        }
        return parsed;
    }

    /**
     * The reply handle of a D-Bus method call that expects a reply: answer with
     * {@link CapbusClient#replyDBus} (or pass it on); null otherwise.
     */
    public Handle replyHandle() {
        return dbus && handles.size() == 1 && dbusMessage() instanceof org.freedesktop.dbus.messages.MethodCall
                ? handles.get(0) : null;
    }
}
