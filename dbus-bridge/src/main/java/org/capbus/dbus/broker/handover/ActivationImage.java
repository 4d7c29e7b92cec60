package org.capbus.dbus.broker.handover;

import java.util.List;
import java.util.Map;

/**
 * Service activation as a live upgrade hands it over (docs/live-upgrade.md, section 10): what
 * UpdateActivationEnvironment changed, and every activation in progress with its waiting callers. Connections are
 * numbered as in {@link BusImage#connections()}. Immutable once built; any thread.
 *
 * @param environment the merged UpdateActivationEnvironment changes (the new process starts from the same process
 *                    environment and applies them again)
 * @param pending     the activations under way, in the order they began
 */
public record ActivationImage(Map<String, String> environment, List<Pending> pending) {
    /** No activation state: nothing to carry (section 10 is then left out). */
    public static final ActivationImage NONE = new ActivationImage(Map.of(), List.of());

    public boolean isEmpty() {
        return environment.isEmpty() && pending.isEmpty();
    }

    /**
     * One activation in progress.
     *
     * @param name          the bus name being activated (started: an activation still looking for its service file
     *                      is not handed over; the old process waits the milliseconds that takes)
     * @param service       the service file being started, or null (looking for it, or systemd itself)
     * @param systemdUnit   the unit systemd was asked to start, or null
     * @param childPid      the child started for it, or -1 (none, or systemd's)
     * @param elapsedMillis how long ago it started: its timeout runs on from there
     * @param startCalls    StartServiceByName calls waiting for it
     * @param waiters       messages waiting for the name's owner, in order
     */
    public record Pending(String name, Service service, String systemdUnit, long childPid,
                          long elapsedMillis, List<StartCall> startCalls, List<Waiter> waiters) {
    }

    /** The service file's fields the activation uses (the new process may not have read the directories yet). */
    public record Service(String file, String name, String exec, String user, String systemdService) {
    }

    /** A StartServiceByName call: its caller, its serial, whether it expects the reply. */
    public record StartCall(int caller, long serial, boolean expectsReply) {
    }

    /**
     * A message waiting for the name's owner: its sender and its bytes as they will be forwarded, with its
     * descriptors (the old process's numbers on export, the new process's on restore).
     */
    public record Waiter(int sender, byte[] message, int[] fds) {
    }
}
