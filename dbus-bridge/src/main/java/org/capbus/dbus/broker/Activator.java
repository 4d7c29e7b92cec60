package org.capbus.dbus.broker;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.capbus.config.BusConfig;
import org.capbus.config.BusLimit;
import org.capbus.config.ExecCommandLine;
import org.capbus.config.ServiceFile;
import org.capbus.dbus.activation.ActivationError;
import org.capbus.dbus.activation.ActivationStats;
import org.capbus.dbus.activation.AdoptedLaunch;
import org.capbus.dbus.activation.LaunchRequest;
import org.capbus.dbus.activation.ServiceDirectoryWatcher;
import org.capbus.dbus.activation.ServiceLauncher;
import org.capbus.dbus.broker.connection.BusConnection;
import org.capbus.dbus.broker.connection.BusMessage;
import org.capbus.dbus.broker.connection.CoreMapping;
import org.capbus.dbus.broker.handover.ActivationImage;
import org.capbus.dbus.broker.handover.NotNowException;
import org.capbus.dbus.broker.outbox.BusError;
import org.capbus.dbus.broker.outbox.Outbox;
import org.capbus.dbus.broker.routing.Router;
import org.capbus.dbus.broker.state.ActivationStarter;
import org.capbus.dbus.broker.state.ActivationWaiter;
import org.capbus.dbus.broker.state.Activations;
import org.capbus.dbus.broker.state.BusState;
import org.capbus.dbus.broker.state.PendingActivation;
import org.capbus.dbus.wire.BodyReader;
import org.capbus.dbus.wire.DBusMessage;
import org.capbus.dbus.wire.DBusNames;
import org.capbus.dbus.wire.MessageBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Service activation's process side, as dbus-daemon's {@code bus/activation.c} does it, without leaving a caller
 * stuck: it starts what the state's {@link Activations} asks for (a child through the {@link ServiceLauncher}, the
 * system bus's launch helper for services with {@code User=}, or systemd by its ActivationRequest signal under
 * {@code --systemd-activation}), runs the {@code service_start_timeout} timer, and ends each activation: on success
 * (the name got an owner) the StartServiceByName calls get 1 and the waiting messages are delivered in order by
 * routing; on failure (the child cannot be executed, exits or is killed before owning the name, the timer fires,
 * systemd sends ActivationFailure, no service file provides the name) every waiting caller gets the failure's error
 * through the outbox and every charge is returned. The catalog of services comes from a
 * {@link ServiceDirectoryWatcher}: files are never read on the loop; a name not in the catalog makes the watcher look
 * again before the caller hears ServiceUnknown, as dbus-daemon re-reads its directories on a miss.
 *
 * <p>Part of the composition root (it owns threads and timers); the state and the outbox hold the data and send.
 * Event-loop thread only: results of other threads come back through the loop.
 */
final class Activator implements ActivationStarter {
    private static final Logger log = LoggerFactory.getLogger(Activator.class);
    /** systemd's bus name: the receiver of ActivationRequest, activatable without a file under systemd activation. */
    static final String SYSTEMD_NAME = "org.freedesktop.systemd1";
    static final String SYSTEMD_ACTIVATOR = "org.freedesktop.systemd1.Activator";
    /** StartServiceByName's reply: the service was started. */
    private static final int START_REPLY_SUCCESS = 1;

    private final BusHost host;
    private final Supplier<BusConfig> config;
    private final BusState state;
    private final Activations activations;
    private final Outbox outbox;
    private final CoreMapping mapping;
    private final Runnable flush;
    private final ServiceLauncher launcher;
    private final ServiceDirectoryWatcher watcher;
    private final ActivationStats stats = new ActivationStats();
    private Router router;

    Activator(BusHost host, Supplier<BusConfig> config, BusState state, Outbox outbox, CoreMapping mapping,
              Runnable flush) {
        this.host = host;
        this.config = config;
        this.state = state;
        this.activations = state.activations();
        this.outbox = outbox;
        this.mapping = mapping;
        this.flush = flush;
        this.launcher = host.serviceLauncher();
        this.watcher = new ServiceDirectoryWatcher(host.blocking(),
                c -> host.loop().execute(() -> activations.setCatalog(c)));
        configure(config.get());
    }

    void setRouter(Router router) {
        this.router = router;
    }

    /** Reads the directories of {@code c} (at start and at every reload), off the loop. */
    void configure(BusConfig c) {
        watcher.configure(c.serviceDirs(), c.servicehelper() != null);
    }

    ActivationStats stats() {
        return stats;
    }

    long maxPendingStarts() {
        return config.get().limits().get(BusLimit.MAX_PENDING_SERVICE_STARTS);
    }

    // ---- starting ----

    @Override
    public void start(PendingActivation p, BusConnection requester) {
        long timeoutMs = config.get().limits().get(BusLimit.SERVICE_START_TIMEOUT);
        p.started(System.nanoTime(), host.loop().schedule(() -> {
            timedOut(p, timeoutMs);
            flush.run();
        }, timeoutMs, TimeUnit.MILLISECONDS));
        ServiceFile service = activations.catalog().get(p.name());
        if (service != null) {
            launch(p, service, requester);
        } else if (host.systemdActivation() && p.name().equals(SYSTEMD_NAME)) {
            // As dbus-daemon: systemd needs no file; it is assumed to connect soon (early boot).
            p.starting(null, null, System.nanoTime());
        } else {
            watcher.rescan(() -> host.loop().execute(() -> {
                resolved(p, requester);
                flush.run();
            }));
        }
    }

    /** The directories were read again after {@code p}'s name was not found. */
    private void resolved(PendingActivation p, BusConnection requester) {
        if (activations.pending(p.name()) != p || p.phase() != PendingActivation.Phase.RESOLVING) {
            return;
        }
        ServiceFile service = activations.catalog().get(p.name());
        if (service == null) {
            fail(p, of(BusError.SERVICE_UNKNOWN, p.name()), false);
        } else {
            launch(p, service, requester);
        }
    }

    private void launch(PendingActivation p, ServiceFile service, BusConnection requester) {
        String who = requester == null ? DBusNames.DRIVER_NAME : requester.uniqueName();
        BusConfig c = config.get();
        if (host.systemdActivation() && service.systemdService() != null) {
            p.starting(service, service.systemdService(), System.nanoTime());
            stats.onStarted();
            askSystemd(p, who);
            return;
        }
        p.starting(service, null, System.nanoTime());
        stats.onStarted();
        String helper = c.servicehelper() == null ? null : c.servicehelper().toString();
        List<String> argv;
        if (helper != null) {
            if (service.user() == null) {
                fail(p, ActivationError.noUser(), false);
                return;
            }
            argv = List.of(helper, p.name());
        } else {
            try {
                argv = ExecCommandLine.split(service.exec());
            } catch (IllegalArgumentException e) {
                fail(p, ActivationError.badCommandLine(e.getMessage()), false);
                return;
            }
        }
        log.info("Activating service name='{}' requested by '{}'{}", p.name(), who,
                helper != null ? " (using servicehelper)" : "");
        LaunchRequest request = new LaunchRequest(p.name(), argv,
                activations.environment().forChild(host.serverAddress(), c.type()), helper != null);
        p.launched(launcher.launch(request, error -> host.loop().execute(() -> {
            childFailed(p, error);
            flush.run();
        })));
    }

    /** Sends ActivationRequest(unit) to systemd, or lets it wait for systemd to connect, as dbus-daemon does. */
    private void askSystemd(PendingActivation p, String who) {
        MessageBuilder request = MessageBuilder.signal(DBusNames.DRIVER_PATH, SYSTEMD_ACTIVATOR, "ActivationRequest")
                .sender(DBusNames.DRIVER_NAME).destination(SYSTEMD_NAME).string(p.systemdUnit());
        BusConnection systemd = state.resolveRegistered(SYSTEMD_NAME);
        if (systemd != null) {
            log.info("Activating via systemd: service name='{}' unit='{}' requested by '{}'", p.name(),
                    p.systemdUnit(), who);
            outbox.send(systemd, request);
            return;
        }
        log.info("Activating systemd to hand-off: service name='{}' unit='{}' requested by '{}'", p.name(),
                p.systemdUnit(), who);
        switch (activations.addBusMessage(SYSTEMD_NAME, mapping.driverPeer(), request, maxPendingStarts())) {
            case WAITING -> { }
            case NEW -> start(activations.pending(SYSTEMD_NAME), null);
            case TOO_MANY, QUOTA -> fail(p, of(BusError.ACTIVATION_LIMIT, SYSTEMD_NAME, maxPendingStarts()), false);
        }
    }

    /**
     * ActivationFailure(unit, error name, text) from systemd: every activation of that unit fails with it. As
     * dbus-daemon, only the owner of org.freedesktop.systemd1 may send it, and only under systemd activation.
     */
    void systemdFailure(BusConnection sender, DBusMessage signal) {
        if (state.resolveRegistered(SYSTEMD_NAME) != sender) {
            log.warn("Ignoring forged ActivationFailure message from connection {}", sender.uniqueName());
            return;
        }
        if (!host.systemdActivation()) {
            log.warn("Ignoring unexpected ActivationFailure message while not using systemd activation");
            return;
        }
        if (!"sss".equals(signal.signature())) {
            return;
        }
        BodyReader r = new BodyReader(signal);
        String unit = r.readString();
        String errorName = r.readString();
        String text = r.readString();
        log.info("Activation via systemd failed for unit '{}': {}", unit, text);
        for (PendingActivation p : activations.all()) {
            if (unit.equals(p.systemdUnit())) {
                fail(p, new ActivationError(errorName, text), false);
            }
        }
    }

    // ---- ends ----

    /**
     * Answers the StartServiceByName calls of activations that succeeded and delivers their waiting messages in
     * order, each checked as if the owner had been there. Runs after the step that gave the name its owner, so the
     * owner has its RequestName reply before the first waiting message. Returns whether there was anything.
     */
    boolean deliverSucceeded() {
        PendingActivation p = activations.pollSucceeded();
        if (p == null) {
            return false;
        }
        if (p.phase() == PendingActivation.Phase.STARTING && !p.name().equals(SYSTEMD_NAME)) {
            stats.onSucceeded(System.nanoTime() - p.startNanos());
            log.info("Successfully activated service '{}'", p.name());
        }
        for (PendingActivation.StartCall s : p.startCalls()) {
            if (!s.caller().isClosed() && s.expectsReply()) {
                outbox.send(s.caller(), MessageBuilder.methodReturn(s.serial(), s.caller().uniqueName())
                        .sender(DBusNames.DRIVER_NAME).uint32(START_REPLY_SUCCESS));
            }
        }
        String name = p.name();
        Activations.drain(p, w -> {
            BusConnection target = state.resolveRegistered(name);
            if (w.sender() != null && w.sender().isClosed()) {
                w.release();
            } else if (target == null) {
                // The new owner let go again in the same step.
                if (w.sender() != null && w.message().expectsReply()) {
                    outbox.error(w.sender(), w.message().serial(), BusError.NAME_HAS_NO_OWNER, name);
                }
                w.release();
            } else if (w.fromBus() != null) {
                outbox.send(target, w.fromBus());
            } else {
                router.forwardActivated(w.sender(), w.message(), w.out(), target);
            }
        });
        return true;
    }

    private void timedOut(PendingActivation p, long timeoutMs) {
        if (activations.pending(p.name()) != p) {
            return;
        }
        ActivationError e = ActivationError.timedOut(p.name(), timeoutMs);
        log.warn("{}", e.message());
        fail(p, e, true);
    }

    /** The child failed: as dbus-daemon, every pending activation with the same Exec= fails with it. */
    private void childFailed(PendingActivation p, ActivationError e) {
        if (activations.pending(p.name()) != p) {
            return;
        }
        log.info("Activated service '{}' failed: {}", p.name(), e.message());
        for (PendingActivation other : activations.all()) {
            if (other != p && other.exec() != null && other.exec().equals(p.exec())) {
                fail(other, e, false);
            }
        }
        fail(p, e, false);
    }

    /** Ends {@code p} with {@code e}: every waiting caller is told, every charge returned, the child killed. */
    private void fail(PendingActivation p, ActivationError e, boolean timedOut) {
        if (!activations.remove(p)) {
            return;
        }
        p.stop(true);
        if (p.phase() == PendingActivation.Phase.STARTING) {
            stats.onFailed(e.name(), System.nanoTime() - p.startNanos(), timedOut);
        }
        for (PendingActivation.StartCall s : p.startCalls()) {
            if (s.expectsReply()) {
                outbox.error(s.caller(), s.serial(), e.name(), e.message());
            }
        }
        Activations.drain(p, w -> {
            tell(w.sender(), w.message(), e);
            w.release();
        });
        if (p.name().equals(SYSTEMD_NAME)) {
            // The requests that waited for systemd will not reach it: their activations fail with it.
            for (PendingActivation other : activations.all()) {
                if (other.systemdUnit() != null) {
                    fail(other, e, timedOut);
                }
            }
        }
    }

    private static ActivationError of(BusError error, Object... args) {
        return new ActivationError(error.errorName(), error.text(args));
    }

    private void tell(BusConnection caller, DBusMessage m, ActivationError e) {
        if (caller != null && m != null && m.expectsReply()) {
            outbox.error(caller, m.serial(), e.name(), e.message());
        }
    }

    // ---- live upgrade (docs/live-upgrade.md, section 10) ----

    /**
     * The activation state for the next process: the environment's changes and every activation under way with its
     * waiting callers (read from their core queues without taking them: if the hand-over fails nothing changed).
     * Callers that have gone ({@code index} gives -1) are left out, as delivery would drop them.
     *
     * @throws NotNowException if an activation is at a moment the hand-over cannot carry: its child is being spawned
     *                         (no process yet), or a request waits for systemd to connect
     */
    ActivationImage exportImage(java.util.function.ToIntFunction<BusConnection> index) {
        long now = System.nanoTime();
        List<ActivationImage.Pending> pending = new java.util.ArrayList<>();
        for (PendingActivation p : activations.all()) {
            if (p.phase() != PendingActivation.Phase.STARTING) {
                // Reading the service directories (off the loop) takes milliseconds; then it is started, or fails.
                throw new NotNowException("the service file of " + p.name() + " is being looked for");
            }
            long pid = -1;
            if (p.systemdUnit() == null && p.service() != null) {
                pid = p.launch() == null ? -1 : p.launch().pid();
                if (pid < 0) {
                    throw new NotNowException("the service " + p.name() + " is being spawned");
                }
            }
            List<ActivationImage.StartCall> calls = new java.util.ArrayList<>();
            for (PendingActivation.StartCall c : p.startCalls()) {
                int i = index.applyAsInt(c.caller());
                if (i >= 0) {
                    calls.add(new ActivationImage.StartCall(i, c.serial(), c.expectsReply()));
                }
            }
            List<ActivationImage.Waiter> waiters = new java.util.ArrayList<>();
            p.queue().forEachQueuedMessage(m -> {
                ActivationWaiter w = (ActivationWaiter) m.payload();
                if (w.fromBus() != null) {
                    throw new NotNowException("a request for " + p.name() + " waits for systemd to connect");
                }
                int i = index.applyAsInt(w.sender());
                if (i >= 0) {
                    waiters.add(new ActivationImage.Waiter(i, w.out().wholeBytes(), w.out().fds()));
                }
            });
            ServiceFile f = p.service();
            ActivationImage.Service service = f == null ? null : new ActivationImage.Service(
                    f.file() == null ? null : f.file().toString(), f.name(), f.exec(), f.user(), f.systemdService());
            pending.add(new ActivationImage.Pending(p.name(), service, p.systemdUnit(), pid,
                    TimeUnit.NANOSECONDS.toMillis(now - p.startNanos()), calls, waiters));
        }
        return new ActivationImage(activations.environment().updates(), pending);
    }

    /**
     * Takes over the activation state of a previous process, after its connections and names: each activation
     * waits again with its callers, in their order, and its timer runs on from where it was. A child it had started
     * is watched only for the timeout ({@link AdoptedLaunch}). Starts nothing and sends nothing (its timers run on
     * the loop, which the takeover holds until this process owns the sockets).
     *
     * @throws IllegalArgumentException if a waiting message does not parse, or the core refuses to queue it
     */
    void restoreImage(ActivationImage image, List<BusConnection> connections, BusMessage.FdCloser fdCloser) {
        if (!image.environment().isEmpty()) {
            activations.environment().update(image.environment());
        }
        long timeoutMs = config.get().limits().get(BusLimit.SERVICE_START_TIMEOUT);
        for (ActivationImage.Pending ip : image.pending()) {
            for (ActivationImage.StartCall c : ip.startCalls()) {
                activations.addStartCall(ip.name(), connections.get(c.caller()), c.serial(), c.expectsReply(),
                        Long.MAX_VALUE);
            }
            for (ActivationImage.Waiter w : ip.waiters()) {
                DBusMessage m = new DBusMessage();
                byte[] bytes = w.message();
                if (m.parse(bytes, bytes.length) != org.capbus.dbus.wire.Validity.VALID) {
                    throw new IllegalArgumentException("a message waiting for " + ip.name() + " does not parse");
                }
                BusMessage out = new BusMessage(bytes, null, 0, 0, w.fds(), fdCloser, null);
                Activations.Added added = activations.addMessage(ip.name(), connections.get(w.sender()), m, out,
                        Long.MAX_VALUE);
                if (added != Activations.Added.NEW && added != Activations.Added.WAITING) {
                    throw new IllegalArgumentException("a message waiting for " + ip.name() + " is over this"
                            + " bus's quota (" + added + ")");
                }
            }
            PendingActivation p = activations.pending(ip.name());
            if (p == null) {
                continue; // nobody waits any more
            }
            ActivationImage.Service s = ip.service();
            ServiceFile file = s == null ? null : new ServiceFile(s.file() == null ? null : java.nio.file.Path.of(
                    s.file()), s.name(), s.exec(), s.user(), s.systemdService());
            long startNanos = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(ip.elapsedMillis());
            p.starting(file, ip.systemdUnit(), startNanos);
            p.started(startNanos, host.loop().schedule(() -> {
                timedOut(p, timeoutMs);
                flush.run();
            }, Math.max(0, timeoutMs - ip.elapsedMillis()), TimeUnit.MILLISECONDS));
            if (ip.childPid() > 0) {
                p.launched(new AdoptedLaunch(ip.childPid()));
            }
        }
    }

    /** Stops watching and every timer; the activations go with the bus. */
    void shutdown() {
        watcher.close();
        for (PendingActivation p : activations.all()) {
            p.stop(false);
        }
    }
}
