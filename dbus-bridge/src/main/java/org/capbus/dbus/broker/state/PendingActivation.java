package org.capbus.dbus.broker.state;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;

import org.capbus.config.ServiceFile;
import org.capbus.core.Handle;
import org.capbus.core.Peer;
import org.capbus.dbus.activation.ServiceLauncher;
import org.capbus.dbus.broker.connection.BusConnection;

/**
 * One service being activated (dbus-daemon's {@code BusPendingActivation}): the name, the service file once found,
 * the child or the systemd unit, the timeout, the StartServiceByName calls to answer, and the messages waiting for
 * the name ({@link ActivationWaiter}s), queued in a core peer of its own so that each is charged to its sender under
 * the core's quota until it is delivered or answered with the failure. Nothing outlives it: at success or failure
 * the queue is drained and the peer disconnected.
 *
 * <p>Held by {@link Activations}; its process-side fields (timeout, launch) are set by whoever starts it. Event-loop
 * thread only.
 */
public final class PendingActivation {
    /** Where it stands: looking the name up in freshly read directories, or started. */
    public enum Phase { RESOLVING, STARTING }

    /**
     * A StartServiceByName call: answered 1 on success or with the failure.
     *
     * @param serial       the call's serial, which the answer replies to
     * @param expectsReply false if the call was sent with NO_REPLY_EXPECTED
     */
    public record StartCall(BusConnection caller, long serial, boolean expectsReply) {
    }

    private final String name;
    private final Peer queue;
    private final Handle node;
    private final List<StartCall> startCalls = new ArrayList<>();
    private int entries;
    private Phase phase = Phase.RESOLVING;
    private ServiceFile service;
    private String systemdUnit;
    private long startNanos;
    private ScheduledFuture<?> timeout;
    private ServiceLauncher.Launch launch;

    PendingActivation(String name, Peer queue) {
        this.name = name;
        this.queue = queue;
        this.node = queue.createNode(this);
    }

    public String name() {
        return name;
    }

    /** The core peer whose queue holds the waiting messages. */
    public Peer queue() {
        return queue;
    }

    Handle node() {
        return node;
    }

    public List<StartCall> startCalls() {
        return startCalls;
    }

    /** Waiting messages and StartServiceByName calls (max_pending_service_starts counts these). */
    public int entries() {
        return entries;
    }

    void addEntry() {
        entries++;
    }

    public Phase phase() {
        return phase;
    }

    /** The service file it starts, once found; null while resolving (or for systemd itself). */
    public ServiceFile service() {
        return service;
    }

    /** The Exec= of the child (dbus-daemon fails every pending activation with the same Exec together), or null. */
    public String exec() {
        return service == null || systemdUnit != null ? null : service.exec();
    }

    /** The unit systemd was asked to start, or null. */
    public String systemdUnit() {
        return systemdUnit;
    }

    public long startNanos() {
        return startNanos;
    }

    public ScheduledFuture<?> timeout() {
        return timeout;
    }

    public ServiceLauncher.Launch launch() {
        return launch;
    }

    /** Its timer started (once, when its first entry waits). */
    public void started(long nanos, ScheduledFuture<?> timer) {
        this.startNanos = nanos;
        this.timeout = timer;
    }

    /** Found {@code file} and started it: a child ({@code launch}) or a systemd unit ({@code unit}). */
    public void starting(ServiceFile file, String unit, long nanos) {
        this.phase = Phase.STARTING;
        this.service = file;
        this.systemdUnit = unit;
        this.startNanos = nanos;
    }

    public void launched(ServiceLauncher.Launch l) {
        this.launch = l;
    }

    /** Stops its timer and its child (a failure or a shutdown); harmless if neither exists. */
    public void stop(boolean killChild) {
        if (timeout != null) {
            timeout.cancel(false);
        }
        if (killChild && launch != null) {
            launch.kill();
        }
    }
}
