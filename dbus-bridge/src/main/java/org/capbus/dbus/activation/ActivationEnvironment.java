package org.capbus.dbus.activation;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The environment activated services start with, as dbus-daemon builds it: the bus's own environment at start,
 * less what describes the bus's process rather than the service (systemd's {@code LISTEN_*}, {@code NOTIFY_SOCKET},
 * {@code JOURNAL_STREAM}, {@code INVOCATION_ID}), plus every {@code UpdateActivationEnvironment} since, and for
 * each child {@code DBUS_STARTER_ADDRESS}, {@code DBUS_STARTER_BUS_TYPE} and {@code DBUS_SESSION_BUS_ADDRESS} (or
 * {@code DBUS_SYSTEM_BUS_ADDRESS}), which override anything set before.
 *
 * <p>Owned by the bus's activation state; event-loop thread only.
 */
public final class ActivationEnvironment {
    /** Variables of the bus's own process that dbus-daemon does not pass on (bus/activation.c). */
    static final List<String> NOT_INHERITED = List.of("JOURNAL_STREAM", "LISTEN_FDNAMES", "LISTEN_FDS", "LISTEN_PID",
            "NOTIFY_SOCKET", "INVOCATION_ID");

    private final Map<String, String> variables;
    /** Every UpdateActivationEnvironment so far, merged: what a live upgrade carries (the rest is the process's). */
    private final Map<String, String> updates = new HashMap<>();

    /** Starts from {@code processEnvironment} (the bus's, normally {@link System#getenv()}). */
    public ActivationEnvironment(Map<String, String> processEnvironment) {
        variables = new HashMap<>(processEnvironment);
        NOT_INHERITED.forEach(variables::remove);
    }

    /** UpdateActivationEnvironment: sets each variable for services started afterwards. */
    public void update(Map<String, String> changes) {
        variables.putAll(changes);
        updates.putAll(changes);
    }

    /**
     * What UpdateActivationEnvironment changed, merged (later calls win): the new process of a live upgrade starts
     * from the same process environment and applies these again.
     */
    public Map<String, String> updates() {
        return Map.copyOf(updates);
    }

    /** The environment of one child of a bus of {@code busType} (may be null) listening on {@code address}. */
    public Map<String, String> forChild(String address, String busType) {
        Map<String, String> env = new HashMap<>(variables);
        if (address != null) {
            env.put("DBUS_STARTER_ADDRESS", address);
            if ("session".equals(busType)) {
                env.put("DBUS_SESSION_BUS_ADDRESS", address);
            } else if ("system".equals(busType)) {
                env.put("DBUS_SYSTEM_BUS_ADDRESS", address);
            }
        }
        if (busType != null) {
            env.put("DBUS_STARTER_BUS_TYPE", busType);
        }
        return env;
    }
}
