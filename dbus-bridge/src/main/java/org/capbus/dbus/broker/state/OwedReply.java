package org.capbus.dbus.broker.state;

import org.capbus.dbus.broker.connection.BusConnection;

/**
 * A reply that will never come: {@code caller} waits for the answer to its call {@code replySerial} from a connection
 * that is leaving; the bus owes it a {@code NoReply} error.
 *
 * @param caller      the connection that made the call
 * @param replySerial the serial of its call (unsigned 32-bit), the error's reply serial
 */
public record OwedReply(BusConnection caller, long replySerial) {
}
