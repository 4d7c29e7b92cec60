package org.capbus.dbus.driver;

import org.capbus.dbus.DBusErrors;
import org.capbus.dbus.broker.Bus;
import org.capbus.dbus.io.PeerLogInfo;

/**
 * dbus-daemon's two hardening checks for the driver's privileged methods ({@code UpdateActivationEnvironment},
 * {@code BecomeMonitor}): the caller must be root or the bus's own user ({@code bus_driver_check_caller_is_privileged}),
 * and the call must be addressed to the canonical object path {@code /org/freedesktop/DBus}
 * ({@code METHOD_FLAG_PRIVILEGED} methods lack {@code METHOD_FLAG_ANY_PATH}). Each answers AccessDenied with
 * dbus-daemon's text and returns false when the call must not go on. Stateless; driver (event-loop) thread.
 */
final class PrivilegedMethods {

    private PrivilegedMethods() {
    }

    /** The uid check; true if the caller may go on. */
    static boolean callerIsPrivileged(DriverRequest r) {
        long uid = r.caller.credentials().uid();
        if (uid == r.bus.ownCredentials().uid() || uid == 0) {
            return true;
        }
        r.error(DBusErrors.ACCESS_DENIED, "rejected attempt to call " + r.call.member() + " by connection "
                + r.caller.uniqueName() + " (" + PeerLogInfo.of(r.caller.credentials()) + ") with uid " + uid);
        return false;
    }

    /** The object path check; true if the caller may go on. */
    static boolean atCanonicalPath(DriverRequest r) {
        if (Bus.DRIVER_PATH.equals(r.call.path())) {
            return true;
        }
        r.error(DBusErrors.ACCESS_DENIED, "Method '" + r.call.member()
                + "' is only available at the canonical object path '" + Bus.DRIVER_PATH + "'");
        return false;
    }
}
