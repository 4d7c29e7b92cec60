package org.capbus.dbus.broker.connection;

import org.capbus.dbus.wire.DBusMessage;

/**
 * A method call addressed to the bus itself, as it travels through the core to the driver's peer.
 *
 * @param caller  the connection that sent it
 * @param message the parsed call
 */
public record DriverCall(BusConnection caller, DBusMessage message) {
}
