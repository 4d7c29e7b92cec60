package org.capbus.dbus.broker;

import org.capbus.dbus.wire.DBusMessage;

/**
 * A message waiting for its destination's service to start: the payload of a core message queued to the
 * activation's peer (so that it is charged, with its fds, under the core's quota on behalf of its sender).
 *
 * @param sender  who sent it; null for a message of the bus itself (systemd's ActivationRequest)
 * @param message the parsed message (its header decides policy and the reply slot at delivery)
 * @param out     the message as it will be forwarded; the waiter holds one reference until delivered or failed
 */
record ActivationWaiter(BusConnection sender, DBusMessage message, BusMessage out) {
}
