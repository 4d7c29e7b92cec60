package org.capbus.dbus.broker;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.capbus.config.BusConfig;
import org.capbus.config.BusLimit;
import org.capbus.config.ExecCommandLine;
import org.capbus.config.ServiceCatalog;
import org.capbus.config.ServiceFile;
import org.capbus.core.Handle;
import org.capbus.core.Message;
import org.capbus.core.Peer;
import org.capbus.core.Receiver;
import org.capbus.core.SendResult;
import org.capbus.dbus.DBusErrors;
import org.capbus.dbus.activation.ActivationEnvironment;
import org.capbus.dbus.activation.ActivationError;
import org.capbus.dbus.activation.ActivationStats;
import org.capbus.dbus.activation.LaunchRequest;
import org.capbus.dbus.activation.ServiceDirectoryWatcher;
import org.capbus.dbus.activation.ServiceLauncher;
import org.capbus.dbus.wire.DBusMessage;
import org.capbus.dbus.wire.MessageBuilder;
import org.capbus.dbus.wire.Validity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Service activation in the bus, as dbus-daemon's {@code bus/activation.c} does it, without leaving a caller stuck:
 * a message to a well-known name with no owner (and no NO_AUTO_START flag), or a StartServiceByName call, starts the
 * service that a service file provides and waits in a {@link PendingActivation} until the name is owned, then is
 * delivered in order; if the child cannot be executed, exits or is killed before owning the name, or the
 * {@code service_start_timeout} passes, every waiting caller gets the failure's error and everything they were
 * charged is returned. With systemd activation ({@code --systemd-activation}) a service with {@code SystemdService=}
 * is started by sending {@code org.freedesktop.systemd1.Activator.ActivationRequest} to systemd, which answers a
 * failure with {@code ActivationFailure}; while systemd itself is not on the bus, the request waits for it like any
 * message.
 *
 * <p>The catalog of services comes from a {@link ServiceDirectoryWatcher} (files are never read on the loop); a name
 * not in the catalog makes the watcher look again before the caller is told ServiceUnknown, as dbus-daemon re-reads
 * its directories on a miss. Children are started by a {@link ServiceLauncher}, off the loop.
 *
 * <p>Owned by the {@link Bus}; event-loop thread only (results of other threads come back through the loop).
 */
public final class Activator {
    private static final Logger log = LoggerFactory.getLogger(Activator.class);
    /** systemd's bus name: the receiver of ActivationRequest, activatable without a file under systemd activation. */
    public static final String SYSTEMD_NAME = "org.freedesktop.systemd1";
    static final String SYSTEMD_ACTIVATOR = "org.freedesktop.systemd1.Activator";
    /** StartServiceByName's reply: the service was started. */
    static final int START_REPLY_SUCCESS = 1;

    private final Bus bus;
    private final ServiceLauncher launcher;
    private final ServiceDirectoryWatcher watcher;
    private final ActivationEnvironment environment = new ActivationEnvironment(System.getenv());
    private final ActivationStats stats = new ActivationStats();
    private final Map<String, PendingActivation> pending = new LinkedHashMap<>();
    private final ArrayDeque<PendingActivation> completed = new ArrayDeque<>();
    private ServiceCatalog catalog = ServiceCatalog.empty();
    private int waiting;
    private Router router;

    Activator(Bus bus, ServiceLauncher launcher) {
        this.bus = bus;
        this.launcher = launcher;
        this.watcher = new ServiceDirectoryWatcher(c -> bus.host().loop().execute(() -> catalog = c));
        configure(bus.config());
    }

    void setRouter(Router router) {
        this.router = router;
    }

    /** Reads the directories of {@code config} (at start and at every reload), off the loop. */
    void configure(BusConfig config) {
        watcher.configure(config.serviceDirs(), config.servicehelper() != null);
    }

    private boolean systemdActivation() {
        return bus.host().systemdActivation();
    }

    // ---- what the driver and metrics read ----

    /** The names the service files provide, in search order (ListActivatableNames). */
    public List<String> activatableNames() {
        return new ArrayList<>(catalog.services().keySet());
    }

    /** UpdateActivationEnvironment: later children get these variables. */
    public void updateEnvironment(Map<String, String> variables) {
        environment.update(variables);
    }

    public ActivationStats stats() {
        return stats;
    }

    /** Activations not yet succeeded or failed. */
    public int pendingCount() {
        return pending.size();
    }

    /** Messages and StartServiceByName calls waiting for activations. */
    public int waitingCount() {
        return waiting;
    }

    /** Bytes of the messages waiting for activations, as the core charged them. */
    public long waitingBytes() {
        long n = 0;
        for (PendingActivation p : pending.values()) {
            n += p.queue.chargedBytes();
        }
        return n;
    }

    /** File descriptors carried by messages waiting for activations. */
    public long waitingFds() {
        long n = 0;
        for (PendingActivation p : pending.values()) {
            n += p.queue.chargedFds();
        }
        return n;
    }

    // ---- entry points ----

    /** Whether a message to {@code destination} that has no owner starts a service rather than failing at once. */
    static boolean mayActivate(String destination, boolean noAutoStart) {
        return !noAutoStart && !destination.isEmpty() && destination.charAt(0) != ':'
                && !destination.equals(Bus.DRIVER_NAME);
    }

    /**
     * A message to {@code name}, which has no owner: waits for the service (starting it if needed). {@code out} is
     * the stitched message; the activation takes over the caller's reference.
     */
    void enqueue(BusConnection sender, DBusMessage m, BusMessage out, String name) {
        PendingActivation p = pendingFor(name, sender, m);
        if (p == null) {
            out.release();
            return;
        }
        ActivationWaiter w = new ActivationWaiter(sender, m, out);
        Peer from = sender == null ? bus.mapping().driverPeer() : sender.peer();
        Handle h = from.handleTo(p.node.node());
        if (h == null) {
            h = p.queue.grant(p.node, from);
        }
        int code = from.send(h, new Message(w, out.size(), null, out.fds.length));
        if (code != SendResult.OK) {
            out.release();
            if (p.entries == 0) {
                pending.remove(name);
                p.queue.disconnect();
            }
            bus.stats().quotaRejected(QuotaResource.QUEUE);
            if (sender != null && m.expectsReply()) {
                bus.sendError(sender, m.serial(), DBusErrors.LIMITS_EXCEEDED, "The maximum number of messages"
                        + " waiting for the activation of \"" + name + "\" has been reached");
            }
            return;
        }
        p.entries++;
        waiting++;
        begin(p, sender);
    }

    /** StartServiceByName(name) from {@code caller}: answered now if running or unknown, else when activated. */
    public void startServiceByName(BusConnection caller, DBusMessage call, String name) {
        PendingActivation p = pendingFor(name, caller, call);
        if (p != null) {
            p.startCalls.add(new PendingActivation.StartCall(caller, call));
            p.entries++;
            waiting++;
            begin(p, caller);
        }
    }

    /**
     * The pending activation of {@code name}, created if there is none (the caller adds its entry, then calls
     * {@link #begin}); null (and the requester told why) if no more may wait.
     */
    private PendingActivation pendingFor(String name, BusConnection requester, DBusMessage m) {
        long limit = bus.config().limits().get(BusLimit.MAX_PENDING_SERVICE_STARTS);
        if (waiting >= limit) {
            fail(requester, m, ActivationError.tooManyPending(name, limit));
            bus.stats().quotaRejected(QuotaResource.QUEUE);
            return null;
        }
        PendingActivation p = pending.get(name);
        if (p != null) {
            return p;
        }
        Peer queue = bus.core().createPeer(bus.core().user(bus.ownCredentials().uid()), null);
        p = new PendingActivation(name, queue);
        pending.put(name, p);
        return p;
    }

    /** Starts a new activation once its first entry waits in it: a failure found at once then reaches that entry. */
    private void begin(PendingActivation p, BusConnection requester) {
        if (p.timeout != null) {
            return;
        }
        p.startNanos = System.nanoTime();
        long timeoutMs = bus.config().limits().get(BusLimit.SERVICE_START_TIMEOUT);
        p.timeout = bus.host().loop().schedule(() -> {
            timedOut(p, timeoutMs);
            bus.flushReady();
        }, timeoutMs, TimeUnit.MILLISECONDS);
        ServiceFile service = catalog.get(p.name);
        if (service != null) {
            start(p, service, requester);
        } else if (systemdActivation() && p.name.equals(SYSTEMD_NAME)) {
            // As dbus-daemon: systemd needs no file; it is assumed to connect soon (early boot).
            p.state = PendingActivation.State.STARTING;
        } else {
            watcher.rescan(() -> bus.host().loop().execute(() -> {
                resolved(p, requester);
                bus.flushReady();
            }));
        }
    }

    /** The directories were read again after {@code p}'s name was not found. */
    private void resolved(PendingActivation p, BusConnection requester) {
        if (pending.get(p.name) != p || p.state != PendingActivation.State.RESOLVING) {
            return;
        }
        ServiceFile service = catalog.get(p.name);
        if (service == null) {
            failAll(p, ActivationError.unknown(p.name), false);
        } else {
            start(p, service, requester);
        }
    }

    private void start(PendingActivation p, ServiceFile service, BusConnection requester) {
        p.state = PendingActivation.State.STARTING;
        p.service = service;
        p.startNanos = System.nanoTime();
        stats.onStarted();
        String who = requester == null ? "org.freedesktop.DBus" : requester.uniqueName();
        if (systemdActivation() && service.systemdService() != null) {
            p.systemdUnit = service.systemdService();
            askSystemd(p, who);
            return;
        }
        String helper = bus.config().servicehelper() == null ? null : bus.config().servicehelper().toString();
        List<String> argv;
        if (helper != null) {
            if (service.user() == null) {
                failAll(p, ActivationError.noUser(), false);
                return;
            }
            argv = List.of(helper, p.name);
        } else {
            try {
                argv = ExecCommandLine.split(service.exec());
            } catch (IllegalArgumentException e) {
                failAll(p, ActivationError.badCommandLine(e.getMessage()), false);
                return;
            }
        }
        p.exec = service.exec();
        log.info("Activating service name='{}' requested by '{}'{}", p.name, who,
                helper != null ? " (using servicehelper)" : "");
        LaunchRequest request = new LaunchRequest(p.name, argv,
                environment.forChild(bus.host().serverAddress(), bus.config().type()), helper != null);
        p.launch = launcher.launch(request, error -> bus.host().loop().execute(() -> {
            childFailed(p, error);
            bus.flushReady();
        }));
    }

    /** Sends ActivationRequest(unit) to systemd, or lets it wait for systemd to connect. */
    private void askSystemd(PendingActivation p, String who) {
        byte[] bytes = MessageBuilder.signal(Bus.DRIVER_PATH, SYSTEMD_ACTIVATOR, "ActivationRequest")
                .sender(Bus.DRIVER_NAME).destination(SYSTEMD_NAME).string(p.systemdUnit).build(bus.nextDriverSerial());
        BusConnection systemd = bus.resolveName(SYSTEMD_NAME);
        if (systemd != null) {
            log.info("Activating via systemd: service name='{}' unit='{}' requested by '{}'", p.name, p.systemdUnit,
                    who);
            bus.sendFromDriver(systemd, bytes);
            return;
        }
        log.info("Activating systemd to hand-off: service name='{}' unit='{}' requested by '{}'", p.name,
                p.systemdUnit, who);
        DBusMessage parsed = new DBusMessage();
        if (parsed.parse(bytes, bytes.length) != Validity.VALID) {
            throw new IllegalStateException("built an invalid ActivationRequest");
        }
        enqueue(null, parsed, BusMessage.whole(bytes), SYSTEMD_NAME);
    }

    /**
     * ActivationFailure(unit, error name, text) from systemd: every activation of that unit fails with it. As
     * dbus-daemon, only the owner of org.freedesktop.systemd1 may send it, and only under systemd activation.
     */
    public void systemdFailure(BusConnection sender, DBusMessage signal) {
        if (bus.resolveName(SYSTEMD_NAME) != sender) {
            log.warn("Ignoring forged ActivationFailure message from connection {}", sender.uniqueName());
            return;
        }
        if (!systemdActivation()) {
            log.warn("Ignoring unexpected ActivationFailure message while not using systemd activation");
            return;
        }
        if (!"sss".equals(signal.signature())) {
            return;
        }
        org.capbus.dbus.wire.BodyReader r = new org.capbus.dbus.wire.BodyReader(signal);
        String unit = r.readString();
        String errorName = r.readString();
        String text = r.readString();
        log.info("Activation via systemd failed for unit '{}': {}", unit, text);
        for (PendingActivation p : new ArrayList<>(pending.values())) {
            if (unit.equals(p.systemdUnit)) {
                failAll(p, new ActivationError(errorName, text), false);
            }
        }
    }

    // ---- outcomes ----

    /** {@code name} got a primary owner: its activation succeeded; the waiting messages go out after this step. */
    void nameOwned(String name) {
        PendingActivation p = pending.remove(name);
        if (p == null) {
            return;
        }
        if (p.timeout != null) {
            p.timeout.cancel(false);
        }
        if (p.state == PendingActivation.State.STARTING && !name.equals(SYSTEMD_NAME)) {
            stats.onSucceeded(System.nanoTime() - p.startNanos);
            log.info("Successfully activated service '{}'", name);
        }
        completed.add(p);
    }

    /** Whether succeeded activations have messages to deliver ({@link #deliverCompleted}). */
    boolean hasCompleted() {
        return !completed.isEmpty();
    }

    /**
     * Answers the StartServiceByName calls of succeeded activations and delivers their waiting messages in order,
     * each checked as it would have been had the owner been there (policy, reply slot, fds). Runs after the step
     * that gave the name its owner, so that the owner has its RequestName reply before the first waiting message.
     */
    void deliverCompleted() {
        PendingActivation p;
        while ((p = completed.poll()) != null) {
            waiting -= p.entries;
            for (PendingActivation.StartCall s : p.startCalls) {
                if (!s.caller().isClosed() && s.call().expectsReply()) {
                    bus.sendFromDriver(s.caller(), MessageBuilder.methodReturn(s.call().serial(), s.caller().uniqueName())
                            .sender(Bus.DRIVER_NAME).uint32(START_REPLY_SUCCESS).build(bus.nextDriverSerial()));
                }
            }
            String name = p.name;
            p.queue.drain(new Receiver() {
                @Override
                public boolean onMessage(long sequence, Handle destination, Message message, Handle[] transferred) {
                    ActivationWaiter w = (ActivationWaiter) message.payload();
                    BusConnection target = bus.resolveName(name);
                    if (w.sender() != null && w.sender().isClosed()) {
                        w.out().release();
                    } else if (target == null) {
                        // The new owner let go again in the same step.
                        if (w.sender() != null && w.message().expectsReply()) {
                            bus.sendError(w.sender(), w.message().serial(), DBusErrors.NAME_HAS_NO_OWNER,
                                    "Name \"" + name + "\" does not exist");
                        }
                        w.out().release();
                    } else if (w.sender() == null) {
                        bus.sendFromDriver(target, w.out().head);
                        w.out().release();
                    } else {
                        router.forwardActivated(w.sender(), w.message(), w.out(), target);
                    }
                    return true;
                }

                @Override
                public boolean onNodeDestroyed(long sequence, Handle handle) {
                    return true;
                }

                @Override
                public boolean onNodeReleased(long sequence, Handle ownerHandle) {
                    return true;
                }
            });
            p.queue.disconnect();
        }
    }

    private void timedOut(PendingActivation p, long timeoutMs) {
        if (pending.get(p.name) != p) {
            return;
        }
        ActivationError e = ActivationError.timedOut(p.name, timeoutMs);
        log.warn("{}", e.message());
        failAll(p, e, true);
    }

    /** The child failed: as dbus-daemon, every pending activation with the same Exec= fails with it. */
    private void childFailed(PendingActivation p, ActivationError e) {
        if (pending.get(p.name) != p) {
            return;
        }
        log.info("Activated service '{}' failed: {}", p.name, e.message());
        for (PendingActivation other : new ArrayList<>(pending.values())) {
            if (other != p && other.exec != null && other.exec.equals(p.exec)) {
                failAll(other, e, false);
            }
        }
        failAll(p, e, false);
    }

    /** Ends {@code p} with {@code e}: every waiting caller is told, every charge returned, the child killed. */
    private void failAll(PendingActivation p, ActivationError e, boolean timedOut) {
        if (pending.remove(p.name) != p) {
            return;
        }
        if (p.timeout != null) {
            p.timeout.cancel(false);
        }
        if (p.launch != null) {
            p.launch.kill();
        }
        if (p.state == PendingActivation.State.STARTING) {
            stats.onFailed(e.name(), System.nanoTime() - p.startNanos, timedOut);
        }
        waiting -= p.entries;
        for (PendingActivation.StartCall s : p.startCalls) {
            fail(s.caller(), s.call(), e);
        }
        p.queue.drain(new Receiver() {
            @Override
            public boolean onMessage(long sequence, Handle destination, Message message, Handle[] transferred) {
                ActivationWaiter w = (ActivationWaiter) message.payload();
                fail(w.sender(), w.message(), e);
                w.out().release();
                return true;
            }

            @Override
            public boolean onNodeDestroyed(long sequence, Handle handle) {
                return true;
            }

            @Override
            public boolean onNodeReleased(long sequence, Handle ownerHandle) {
                return true;
            }
        });
        p.queue.disconnect();
        // An activation that systemd's own activation was carrying fails with it.
        if (p.name.equals(SYSTEMD_NAME)) {
            for (PendingActivation other : new ArrayList<>(pending.values())) {
                if (other.systemdUnit != null) {
                    failAll(other, e, timedOut);
                }
            }
        }
    }

    private void fail(BusConnection caller, DBusMessage m, ActivationError e) {
        if (caller != null && !caller.isClosed() && m.expectsReply()) {
            bus.sendError(caller, m.serial(), e.name(), e.message());
        }
    }

    /** Stops watching; pending activations are dropped with the bus. */
    void shutdown() {
        watcher.close();
        for (PendingActivation p : new ArrayList<>(pending.values())) {
            if (p.timeout != null) {
                p.timeout.cancel(false);
            }
        }
    }
}
