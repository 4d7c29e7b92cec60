package org.capbus.dbus.driver;

import org.capbus.dbus.broker.outbox.BusError;
import org.capbus.dbus.wire.DBusNames;

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
    static boolean callerIsPrivileged(DriverRequest r, DriverHost host) {
        long uid = r.caller.credentials().uid();
        if (uid == host.ownCredentials().uid() || uid == 0) {
            return true;
        }
        r.error(BusError.NOT_PRIVILEGED, r.call.member(), r.caller.uniqueName(),
                r.caller.loginfo(), uid);
        return false;
    }

    /** The object path check; true if the caller may go on. */
    static boolean atCanonicalPath(DriverRequest r) {
        if (DBusNames.DRIVER_PATH.equals(r.call.path())) {
            return true;
        }
        r.error(BusError.CANONICAL_PATH_ONLY, r.call.member(), DBusNames.DRIVER_PATH);
        return false;
    }
}
