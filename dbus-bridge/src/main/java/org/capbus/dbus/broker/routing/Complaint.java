package org.capbus.dbus.broker.routing;

import org.capbus.config.PolicyMessage;
import org.capbus.dbus.broker.connection.BusConnection;
import org.capbus.dbus.wire.DBusNames;

/**
 * How dbus-daemon describes a message it refuses ({@code complain_about_message} in its {@code bus/bus.c}), the text of
 * its AccessDenied and full-queue LimitsExceeded errors and of their log lines:
 * {@code <complaint>, <n> matched rules; type="...", sender="..." (<loginfo>) interface="..." member="..." error
 * name="..." requested_reply="0|1" destination="..." (<loginfo>)}. Stateless; event-loop thread (it reads connections).
 */
final class Complaint {
    private Complaint() {
    }

    /**
     * The part after {@code "<n> matched rules; "}: the message {@code pm} from {@code sender} to {@code receiver}
     * (null: the bus driver). The destination is the message's own (its well-known name if it named one).
     */
    static String message(BusConnection sender, BusConnection receiver, PolicyMessage pm, boolean requestedReply) {
        return "type=\"" + pm.type().configName() + "\", sender=\"" + sender.uniqueName() + "\" (" + sender.loginfo()
                + ") interface=\"" + unset(pm.interfaceName()) + "\" member=\"" + unset(pm.member())
                + "\" error name=\"" + unset(pm.errorName()) + "\" requested_reply=\"" + (requestedReply ? 1 : 0)
                + "\" destination=\"" + (pm.destination() == null ? DBusNames.DRIVER_NAME : pm.destination()) + "\" ("
                + (receiver == null ? "bus" : receiver.loginfo()) + ")";
    }

    private static String unset(String s) {
        return s == null ? "(unset)" : s;
    }
}
