package org.capbus.dbus.broker;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;

import org.capbus.config.ServiceFile;
import org.capbus.core.Handle;
import org.capbus.core.Peer;
import org.capbus.dbus.activation.ServiceLauncher;
import org.capbus.dbus.wire.DBusMessage;

/**
 * One service being activated (dbus-daemon's {@code BusPendingActivation}): the name, the service file once found,
 * the child or the systemd unit, the timeout, the StartServiceByName calls to answer, and the messages waiting for
 * the name, queued in a core peer of its own so that each is charged to its sender under the core's quota until it
 * is delivered or answered with the failure. Nothing outlives it: at success or failure the queue is drained and the
 * peer disconnected.
 *
 * <p>Owned by the {@link Activator}; event-loop thread only.
 */
final class PendingActivation {
    /** Where it stands: looking the name up in freshly read directories, or started. */
    enum State { RESOLVING, STARTING }

    final String name;
    final Peer queue;
    final Handle node;
    State state = State.RESOLVING;
    ServiceFile service;
    /** The Exec= of the launched child (dbus-daemon fails every pending activation with the same Exec together). */
    String exec;
    /** The unit systemd was asked to start, or null. */
    String systemdUnit;
    long startNanos;
    ScheduledFuture<?> timeout;
    ServiceLauncher.Launch launch;
    /** StartServiceByName calls waiting for the outcome. */
    final List<StartCall> startCalls = new ArrayList<>();
    /** Waiting entries (messages and StartServiceByName calls), counted against max_pending_service_starts. */
    int entries;

    /** A StartServiceByName call: answered 1 on success or with the failure. */
    record StartCall(BusConnection caller, DBusMessage call) {
    }

    PendingActivation(String name, Peer queue) {
        this.name = name;
        this.queue = queue;
        this.node = queue.createNode(this);
    }
}
