package org.capbus.dbus.driver;

import java.util.HashMap;
import java.util.Map;

/**
 * The variables {@code UpdateActivationEnvironment} set, kept for the services the bus starts, within a bound: at most
 * {@link #MAX_VARIABLES} variables and {@link #MAX_BYTES} bytes of names and values in all (about what
 * {@code execve} takes), so that no client grows the bus through it. dbus-daemon keeps whatever it is sent.
 *
 * <p>Owned by the driver's {@code org.freedesktop.DBus} interface; event-loop thread only.
 */
final class EnvironmentUpdates {
    /** The most variables kept. */
    static final int MAX_VARIABLES = 1024;
    /** The most bytes (UTF-16 characters, as Java holds them, of names and values) kept. */
    static final long MAX_BYTES = 1L << 20;

    private final Map<String, String> variables = new HashMap<>();
    private long bytes;

    /** Sets every variable of {@code changes}, or none and returns false if the result would exceed the bound. */
    boolean apply(Map<String, String> changes) {
        long after = bytes;
        int count = variables.size();
        for (Map.Entry<String, String> e : changes.entrySet()) {
            String old = variables.get(e.getKey());
            if (old == null) {
                count++;
                after += e.getKey().length();
            } else {
                after -= old.length();
            }
            after += e.getValue().length();
        }
        if (count > MAX_VARIABLES || after > MAX_BYTES) {
            return false;
        }
        variables.putAll(changes);
        bytes = after;
        return true;
    }
}
