package org.capbus.dbus.broker.state;

import org.capbus.dbus.broker.connection.BusConnection;
import org.capbus.dbus.broker.connection.BusMessage;
import org.capbus.dbus.wire.DBusMessage;
import org.capbus.dbus.wire.MessageBuilder;

/**
 * A message waiting for its destination's service to start: the payload of a core message queued to the
 * activation's peer, so that it is charged, with its descriptors, under the core's quota on behalf of its sender
 * until it is delivered or answered with the failure.
 *
 * @param sender  who sent it; null for a message of the bus itself
 * @param message the parsed message a client sent (its header decides policy and the reply slot at delivery); null
 *                for a message of the bus
 * @param out     the client's message as it will be forwarded (the waiter holds one reference); null for the bus's
 * @param fromBus a message the bus built (systemd's ActivationRequest while systemd is not yet on the bus); else null
 */
public record ActivationWaiter(BusConnection sender, DBusMessage message, BusMessage out, MessageBuilder fromBus) {

    /** Lets go of the forwarded message (closing its descriptors once nobody else holds it). */
    public void release() {
        if (out != null) {
            out.release();
        }
    }
}
