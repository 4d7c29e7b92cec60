package org.capbus.dbus.driver;

import java.util.List;

/**
 * One D-Bus interface the driver implements, with its methods, properties and signals (the latter two as
 * introspection text: the driver's properties are read-only and few).
 */
abstract class DriverInterface {

    /** The interface name. */
    abstract String name();

    /** The methods, in introspection order. */
    abstract List<DriverMethod> methods();

    /**
     * Whether the interface exists only on the driver's own path {@code /org/freedesktop/DBus}. dbus-daemon keeps
     * the interfaces that predate that rule (org.freedesktop.DBus, Introspectable, Peer) on every path, for old
     * clients, and offers the later ones (Properties, Monitoring, Debug.Stats) on the canonical path alone:
     * elsewhere they are an unknown interface.
     */
    boolean canonicalPathOnly() {
        return false;
    }

    /** Introspection XML of the interface's properties and signals (indented by four spaces), or "". */
    String extraIntrospection() {
        return "";
    }

    final DriverMethod method(String member) {
        for (DriverMethod m : methods()) {
            if (m.name().equals(member)) {
                return m;
            }
        }
        return null;
    }
}
