package org.capbus.dbus.broker.state;

import java.util.List;

import org.capbus.dbus.broker.connection.BusConnection;
import org.capbus.dbus.bus.NameOwnerChange;

/**
 * What the departure of a connection causes, as {@link BusState#goodbye} computed it, for the outbox to send in
 * this order (dbus-broker's {@code driver_goodbye}): a NoReply error to each caller it owed a reply, oldest call
 * first; the ownership changes of the well-known names it owned or queued for; then NameOwnerChanged for its unique
 * name. A connection that never completed Hello causes nothing.
 *
 * @param leaving     the connection that leaves
 * @param uniqueName  the unique name it gives up, or null if it had none on the bus (never registered, or already a
 *                    monitor)
 * @param owedReplies the NoReply errors owed to its callers, in the order the calls were made
 * @param nameChanges the well-known names that changed primary owner or disappeared, in dbus-daemon's order
 */
public record Goodbye(BusConnection leaving, String uniqueName, List<OwedReply> owedReplies,
                      List<NameOwnerChange<BusConnection>> nameChanges) {

    /** Whether the departure changes nothing anyone sees. */
    public boolean isEmpty() {
        return uniqueName == null && owedReplies.isEmpty() && nameChanges.isEmpty();
    }
}
