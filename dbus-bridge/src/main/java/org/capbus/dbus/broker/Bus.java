package org.capbus.dbus.broker;

import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.capbus.config.BusConfig;
import org.capbus.config.BusLimit;
import org.capbus.config.ClientPolicy;
import org.capbus.config.UserDatabase;
import org.capbus.core.Core;
import org.capbus.core.Limits;
import org.capbus.dbus.broker.connection.BusConnection;
import org.capbus.dbus.broker.connection.BusMessage;
import org.capbus.dbus.broker.connection.ConnectionEvents;
import org.capbus.dbus.broker.connection.ConnectionState;
import org.capbus.dbus.broker.connection.CoreMapping;
import org.capbus.dbus.broker.handover.BusImage;
import org.capbus.dbus.broker.handover.NativeImage;
import org.capbus.dbus.broker.outbox.BusError;
import org.capbus.dbus.broker.connection.NativeEndpoint;
import org.capbus.dbus.broker.connection.NativePayload;
import org.capbus.dbus.broker.nativebridge.NativeBridge;
import org.capbus.dbus.broker.nativebridge.NativeHandover;
import org.capbus.dbus.broker.nativebridge.NativeSession;
import org.capbus.dbus.broker.connection.IncomingQuota;
import org.capbus.dbus.broker.outbox.Outbox;
import org.capbus.dbus.activation.ActivationStats;
import org.capbus.dbus.broker.routing.Router;
import org.capbus.dbus.broker.state.ActivationWaiter;
import org.capbus.dbus.broker.state.Activations;
import org.capbus.dbus.broker.state.BusState;
import org.capbus.dbus.broker.state.PendingActivation;
import org.capbus.dbus.broker.stats.BusStats;
import org.capbus.dbus.broker.stats.DisconnectReason;
import org.capbus.dbus.broker.stats.PolicyDenial;
import org.capbus.dbus.broker.stats.QuotaResource;
import org.capbus.dbus.driver.Driver;
import org.capbus.dbus.driver.DriverHost;
import org.capbus.dbus.io.ConnectionAcceptor;
import org.capbus.dbus.io.ConnectionHandler;
import org.capbus.dbus.io.PeerCredentials;
import org.capbus.dbus.log.BusLog;
import org.capbus.dbus.io.TransportConnection;
import org.capbus.dbus.sasl.CookieKeyring;
import org.capbus.dbus.sasl.RandomBytes;
import org.capbus.dbus.sasl.SaslServer;
import org.capbus.dbus.sasl.SaslServerConfig;
import org.capbus.dbus.wire.DBusMessage;
import org.capbus.dbus.wire.LargeBufferPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The D-Bus message bus on the capability core, put together: the composition root that wires the transport's
 * connections, the event loop ({@link BusHost}) and the configuration to the parts that do the work, and the one
 * class the process ({@code deploy}) talks to. It owns
 * <ul>
 *   <li>the {@link BusState} (connections, names, match rules, reply slots, monitors),</li>
 *   <li>the {@link Outbox} (everything the bus itself sends) over the {@link CoreMapping},</li>
 *   <li>the {@link Router} (where a client's message goes) and the {@link Driver} (org.freedesktop.DBus),</li>
 *   <li>the {@link Activator} (starting activated services, their timers, ending activations),</li>
 * </ul>
 * and does what needs all of them: accepting and closing connections ({@link #disconnect}: the state's goodbye,
 * then the outbox sends what it caused), applying a reloaded configuration, and writing queued deliveries to
 * sockets ({@link #flush}). Nothing below imports this class.
 *
 * <p>Threading: one event-loop thread owns the bus and everything in it, as in dbus-broker. Nothing here locks.
 */
public final class Bus implements ConnectionAcceptor, ConnectionEvents, DriverHost {
    private static final Logger log = LoggerFactory.getLogger(Bus.class);

    private final BusHost host;
    private final PeerCredentials ownCredentials;
    /** User and group names, read with the configuration (off the loop) and replaced with it at a reload. */
    private UserDatabase users;
    private SaslServerConfig saslConfig;
    private BusConfig config;
    private final String guid;
    private final CoreMapping mapping;
    private final BusState state;
    private final Outbox outbox;
    private final Router router;
    private final Driver driver;
    private final Activator activator;
    private final BusStats stats = new BusStats();
    /** Buffers of large messages, reused (see {@link LargeBufferPool}); at most 32 MiB, dropped once idle. */
    private final LargeBufferPool buffers = new LargeBufferPool(32L << 20, this::scheduleOnLoop);
    /** Bytes of messages still being received (max_incoming_bytes). */
    private final IncomingQuota incoming = new IncomingQuota(() -> config.limits().get(BusLimit.MAX_INCOMING_BYTES));
    private final ArrayDeque<BusConnection> ready = new ArrayDeque<>();
    private boolean driverReady;
    private boolean runningDriver;
    /** The pending reply_timeout timer, or null. */
    private java.util.concurrent.ScheduledFuture<?> replyTimer;
    /** The native protocol's reply nodes (docs/native-protocol.md); made with the first native connection. */
    private NativeBridge nativeBridge;
    /** Whether clients may negotiate the native protocol ({@code <capbus_native enabled="false"/>} turns it off). */
    private boolean nativeProtocol;
    private boolean flushing;

    /**
     * Creates a bus with {@code config}, whose policy names users and groups as {@code users} resolves them (both
     * read by the caller, off the loop), running on {@code host}'s loop, in a process with {@code ownCredentials}.
     */
    public Bus(BusConfig config, UserDatabase users, BusHost host, PeerCredentials ownCredentials) {
        this(config, users, host, ownCredentials, null);
    }

    /**
     * As above, with the bus id {@code guid} (32 hex digits) of the bus this one takes over from in a live upgrade;
     * null draws a new one.
     */
    public Bus(BusConfig config, UserDatabase users, BusHost host, PeerCredentials ownCredentials, String guid) {
        this.host = host;
        this.users = users;
        this.ownCredentials = ownCredentials;
        this.config = config;
        BusLog.configure(config.type() == null ? "unknown" : config.type(), ownCredentials.uid(), ownCredentials.pid());
        if (guid == null) {
            guid = SaslServerConfig.randomGuid();
        }
        this.guid = guid;
        long peerBytes = config.limits().get(BusLimit.MAX_OUTGOING_BYTES);
        long peerFds = config.limits().get(BusLimit.MAX_OUTGOING_UNIX_FDS);
        long maxConnections = config.limits().get(BusLimit.MAX_COMPLETED_CONNECTIONS);
        // Per peer: what dbus-daemon lets queue towards one connection. Per user: room for several such
        // connections; the core's fair-share rule keeps one sending user from taking all of it.
        Limits peerLimits = new Limits(peerBytes, Math.max(1024, peerBytes / 16), 4 * maxConnections + 64, peerFds);
        Limits userLimits = new Limits(saturatedTimes(peerBytes, 4), saturatedTimes(peerLimits.messages(), 4),
                saturatedTimes(peerLimits.handles(), 4), saturatedTimes(peerFds, 4));
        Core core = new Core(userLimits, peerLimits);
        core.setDiscardListener((receiver, message) -> {
            NativePayload.drop(message);
            if (message.payload() instanceof ActivationWaiter w) {
                w.release();
            }
        });
        this.mapping = new CoreMapping(core, ownCredentials.uid(), p -> driverReady = true);
        this.state = new BusState((int) Math.min(Integer.MAX_VALUE,
                config.limits().get(BusLimit.MAX_REPLIES_PER_CONNECTION)), replyTimeoutNanos(config),
                new Activations(core, ownCredentials.uid()));
        this.outbox = new Outbox(mapping, state, stats);
        this.router = new Router(state, outbox, mapping, stats, host::closeFd, buffers);
        this.activator = new Activator(host, () -> this.config, state, outbox, mapping, this::flush);
        activator.setRouter(router);
        router.enableActivation(activator, activator.maxPendingStarts());
        this.driver = new Driver(state, outbox, stats, this);
        this.saslConfig = saslConfig(config);
        this.nativeProtocol = config.nativeProtocol();
    }

    private void scheduleOnLoop(Runnable task, long millis) {
        host.loop().schedule(task, millis, TimeUnit.MILLISECONDS);
    }

    /** reply_timeout in nanoseconds, as the reply tracker takes it: -1 (dbus-daemon's default) for never. */
    private static long replyTimeoutNanos(BusConfig config) {
        long ms = config.limits().get(BusLimit.REPLY_TIMEOUT);
        return ms <= 0 ? -1 : TimeUnit.MILLISECONDS.toNanos(ms);
    }

    private static long saturatedTimes(long v, int k) {
        return v > Long.MAX_VALUE / k ? Long.MAX_VALUE : v * k;
    }

    // ---- what the process and the metrics read ----

    @Override
    public String guid() {
        return guid;
    }

    @Override
    public BusConfig config() {
        return config;
    }

    @Override
    public PeerCredentials ownCredentials() {
        return ownCredentials;
    }

    @Override
    public boolean systemdActivation() {
        return host.systemdActivation();
    }

    public BusStats stats() {
        return stats;
    }

    /** The bus state, for snapshots; event-loop thread only. */
    public BusState state() {
        return state;
    }

    @Override
    public Core core() {
        return mapping.core();
    }

    /** Counters of service activation, for metrics. */
    public ActivationStats activationStats() {
        return activator.stats();
    }

    private int maxMessageSize() {
        return (int) Math.min(config.limits().get(BusLimit.MAX_MESSAGE_SIZE), 134_217_728L);
    }

    private int maxMessageUnixFds() {
        return (int) Math.min(config.limits().get(BusLimit.MAX_MESSAGE_UNIX_FDS), 1024);
    }

    /**
     * Replaces the configuration (from a reload that parsed) and the user database read with it: every
     * connection's policy is built again. Loop thread.
     */
    public void applyConfig(BusConfig newConfig, UserDatabase newUsers) {
        this.config = newConfig;
        this.users = newUsers;
        this.saslConfig = saslConfig(newConfig);
        this.nativeProtocol = newConfig.nativeProtocol();
        activator.configure(newConfig);
        router.enableActivation(activator, activator.maxPendingStarts());
        for (BusConnection c : state.connections()) {
            c.setPolicy(policyFor(c.credentials()));
        }
        log.info("configuration reloaded from {}", newConfig.file());
    }

    @Override
    public void reloadConfig(Consumer<String> done) {
        host.reloadConfig(failure -> {
            done.accept(failure);
            flush();
        });
    }

    // ---- activation, for the driver ----

    @Override
    public void startActivation(PendingActivation p, BusConnection requester) {
        activator.start(p, requester);
    }

    @Override
    public long maxPendingStarts() {
        return activator.maxPendingStarts();
    }

    @Override
    public void activationFailure(BusConnection sender, DBusMessage signal) {
        activator.systemdFailure(sender, signal);
    }

    // ---- connections ----

    @Override
    public ConnectionHandler accept(TransportConnection transport) {
        PeerCredentials creds = transport.credentials();
        long maxIncomplete = config.limits().get(BusLimit.MAX_INCOMPLETE_CONNECTIONS);
        long maxTotal = config.limits().get(BusLimit.MAX_COMPLETED_CONNECTIONS) + maxIncomplete;
        SaslServer sasl = new SaslServer(saslConfig, creds.uid(), true);
        sasl.allowNativeProtocol(nativeProtocol);
        BusConnection c = new BusConnection(this, transport, mapping, sasl, policyFor(creds), state.names(),
                maxMessageSize(), maxMessageUnixFds(), buffers, incoming.budgetFor(creds.uid()),
                config.limits().get(BusLimit.MAX_INCOMING_UNIX_FDS));
        int open = state.connections().size();
        if (open >= maxTotal) {
            BusLog.warning("Refusing connection from " + BusLog.loginfo(creds) + ": " + open
                    + " connections open (max_completed_connections + max_incomplete_connections = " + maxTotal + ")");
            stats.quotaRejected(QuotaResource.CONNECTIONS);
            stats.disconnected(DisconnectReason.QUOTA);
            c.refuse();
            mapping.detach(c);
            return c;
        }
        state.add(c);
        stats.accepted();
        // As dbus-daemon, a connection is incomplete until its Hello: auth_timeout and max_incomplete_connections
        // cover the time after authentication too, so connections that authenticate and stay silent cannot pile up.
        if (state.incompleteCount() > maxIncomplete) {
            stats.quotaRejected(QuotaResource.CONNECTIONS);
            disconnect(state.oldestIncompleteOfBusiestUser(), DisconnectReason.QUOTA, "more than " + maxIncomplete
                    + " connections without Hello (max_incomplete_connections); dropping the oldest of the user"
                    + " with the most");
            if (c.isClosed()) {
                return c;
            }
        }
        long timeoutMs = config.limits().get(BusLimit.AUTH_TIMEOUT);
        c.setAuthTimeout(host.loop().schedule(() -> {
            if (!c.isClosed() && c.uniqueName() == null) {
                disconnect(c, DisconnectReason.AUTH_FAILED, c.state() == ConnectionState.AUTHENTICATING
                        ? "authentication timed out" : "no Hello within auth_timeout");
                flush();
            }
        }, timeoutMs, TimeUnit.MILLISECONDS));
        return c;
    }

    private SaslServerConfig saslConfig(BusConfig c) {
        SecureRandom random = RandomBytes.deferred();
        return new SaslServerConfig(c.auth(), c.allowAnonymous(), guid, host.cookieKeyring(random), random);
    }

    /** The configuration's policy for a connection with these credentials. */
    private ClientPolicy policyFor(PeerCredentials creds) {
        return config.policy().forPeer(creds.uid(), creds.groups(), false, users);
    }

    @Override
    public boolean authenticated(BusConnection c) {
        PeerCredentials creds = c.credentials();
        if (!config.policy().canConnect(creds.uid(), creds.groups(), ownCredentials.uid(), users)) {
            stats.policyDenied(PolicyDenial.CONNECT);
            disconnect(c, DisconnectReason.AUTH_FAILED, "uid " + creds.uid() + " is not allowed to connect");
            return false;
        }
        // The root node exists from now on, so that the driver can answer even before Hello; the unique name
        // that stands for it is given at Hello (which also ends auth_timeout).
        mapping.createRoot(c);
        stats.authenticated(c.authMechanism());
        return true;
    }

    @Override
    public void fetchCookie(BusConnection c, CookieKeyring keyring) {
        host.blocking().execute(() -> {
            CookieKeyring.Cookie cookie = null;
            String failure = null;
            try {
                cookie = keyring.cookieForChallenge();
            } catch (java.io.IOException | RuntimeException e) {
                failure = e.getMessage() != null ? e.getMessage() : e.toString();
            }
            CookieKeyring.Cookie answer = cookie;
            String why = failure;
            host.loop().execute(() -> c.keyringAnswered(answer, why));
        });
    }

    @Override
    public void dispatch(BusConnection sender, DBusMessage m, int[] fds) {
        long sample = stats.dispatchStart();
        String violation = router.dispatch(sender, m, fds);
        if (violation != null) {
            disconnect(sender, DisconnectReason.PROTOCOL_VIOLATION, violation);
        }
        // dbus-daemon handles a driver call in line: it takes effect before the sender's next message is routed. A
        // client that pipelines AddMatch (GDBus sends it without waiting for the reply) and then a signal must
        // receive that signal, and one that pipelines RemoveMatch and a signal must not.
        runDriver();
        armReplyTimer();
        stats.dispatchEnd(sample);
    }

    /**
     * Closes the connection and lets go of everything it had: its queued messages and, through the state's
     * {@link BusState#goodbye goodbye}, its names, match rules, reply slots and unique name, whose consequences
     * (NoReply to its callers, the signals that announce new owners) the outbox sends.
     */
    @Override
    public void disconnect(BusConnection c, DisconnectReason reason, String detail) {
        if (c.isClosed()) {
            return;
        }
        if ((reason == DisconnectReason.PROTOCOL_VIOLATION || reason == DisconnectReason.QUOTA) && detail != null) {
            BusLog.warning("Disconnecting \"" + c + "\" (" + c.loginfo() + "): "
                    + (reason == DisconnectReason.QUOTA ? "limit reached: " : "protocol violation: ") + detail);
        } else if (reason != DisconnectReason.CLIENT_CLOSED && detail != null) {
            log.info("closing {} ({}): {}", c, reason, detail);
        }
        stats.disconnected(reason);
        c.close(this);
        outbox.goodbye(state.goodbye(c));
        mapping.detach(c);
    }

    @Override
    public NativeEndpoint nativeNegotiated(BusConnection c) {
        long uid = c.credentials().uid();
        if (state.registeredConnections(uid) >= config.limits().get(BusLimit.MAX_CONNECTIONS_PER_USER)) {
            stats.quotaRejected(QuotaResource.CONNECTIONS_PER_USER);
            disconnect(c, DisconnectReason.QUOTA, "too many connections for its user");
            return null;
        }
        if (nativeBridge == null) {
            nativeBridge = new NativeBridge(mapping.core(), ownCredentials.uid(), this);
        }
        NativeSession session = newSession(c);
        session.start();
        return session;
    }

    /** The native protocol's session of {@code c}, not started (the bridge exists). */
    private NativeSession newSession(BusConnection c) {
        return new NativeSession(c, this, state, outbox, mapping, nativeBridge, stats,
                config.limits().get(BusLimit.MAX_NAMES_PER_CONNECTION), maxMessageSize(), maxMessageUnixFds(),
                host::closeFd);
    }

    @Override
    public void incomingQuotaExceeded(BusConnection c, int announcedLength) {
        stats.quotaRejected(QuotaResource.INCOMING_BYTES);
        disconnect(c, DisconnectReason.QUOTA, "a message of " + announcedLength
                + " bytes does not fit in what max_incoming_bytes leaves to the connection and its user");
    }

    @Override
    public ScheduledFuture<?> armPendingFdsTimeout(BusConnection c) {
        // dbus-daemon (bus/connection.c, check_pending_fds_cb) reads pending_fd_timeout when descriptors start to
        // wait: a reload applies to the next wait, not to one already running.
        long timeoutMs = config.limits().get(BusLimit.PENDING_FD_TIMEOUT);
        return host.loop().schedule(() -> pendingFdsTimedOut(c), timeoutMs, TimeUnit.MILLISECONDS);
    }

    /** dbus-daemon's pending_unix_fds_timeout_cb: its warning, then the connection goes. */
    private void pendingFdsTimedOut(BusConnection c) {
        if (c.isClosed()) {
            return;
        }
        BusLog.warning("Connection \"" + (c.uniqueName() != null ? c.uniqueName() : "(null)") + "\" ("
                + c.loginfo() + ") has had Unix fds pending for too long, closing it (pending_fd_timeout="
                + config.limits().get(BusLimit.PENDING_FD_TIMEOUT) + " ms)");
        stats.quotaRejected(QuotaResource.PENDING_FDS);
        disconnect(c, DisconnectReason.QUOTA, null);
        flush();
    }

    @Override
    public void closeFds(int[] fds, int count) {
        for (int i = 0; i < count; i++) {
            host.closeFd(fds[i]);
        }
    }

    // ---- readiness: moving queued deliveries into sockets ----

    @Override
    public void queueReady(BusConnection c) {
        if (c.markReady()) {
            ready.add(c);
        }
    }

    /**
     * Runs the driver on what it was sent and writes every connection's queued deliveries to its socket, until
     * nothing is left to do. Called after each batch of input and from timers.
     */
    @Override
    public void flush() {
        if (flushing) {
            return;
        }
        flushing = true;
        try {
            while (true) {
                if (nativeBridge != null && nativeBridge.isReady()) {
                    nativeBridge.drain();
                    continue;
                }
                if (driverReady) {
                    driverReady = false;
                    mapping.driverPeer().drain(driver);
                    continue;
                }
                // After the step that gave an activated name its owner: its waiting messages, in order.
                if (activator.deliverSucceeded()) {
                    continue;
                }
                BusConnection full = outbox.pollOverflowed();
                if (full != null) {
                    disconnect(full, DisconnectReason.QUOTA, "its queue cannot take what the bus sends it"
                            + " (max_outgoing_bytes): it does not read");
                    continue;
                }
                if (ready.isEmpty()) {
                    break;
                }
                BusConnection c = ready.poll();
                c.clearReady();
                c.drain();
            }
        } finally {
            flushing = false;
        }
    }

    // ---- live upgrade (docs/live-upgrade.md) ----

    /**
     * Quiesces and describes the bus for the next process: runs the driver and moves every connection's queued
     * deliveries into its socket buffer, then records the state. Changes nothing a resumed bus would notice if the
     * hand-over fails (the moved deliveries are simply written later). Loop thread; the caller has stopped input.
     *
     * <p>Native connections travel with the core graph they hold ({@link NativeHandover}): their handles keep their
     * ids, references and nodes, and the core's sequence continues.
     *
     * @throws IllegalStateException with the reason if a connection cannot be carried (waiting for the cookie
     *                               keyring, or an authentication transcript too long to keep)
     */
    public BusImage exportImage() {
        quiesce();
        java.util.Map<BusConnection, Integer> ids = new java.util.HashMap<>();
        java.util.List<BusImage.Connection> connections = new ArrayList<>();
        java.util.List<BusConnection> order = new ArrayList<>();
        boolean anyNative = false;
        for (BusConnection c : state.connections()) {
            BusImage.Phase phase = switch (c.state()) {
                case AUTHENTICATING -> BusImage.Phase.AUTHENTICATING;
                case AWAITING_HELLO -> BusImage.Phase.AWAITING_HELLO;
                case ACTIVE -> BusImage.Phase.ACTIVE;
                case MONITOR -> BusImage.Phase.MONITOR;
                case CLOSED -> null;
            };
            if (phase == null) {
                continue;
            }
            anyNative |= c.isNative();
            byte[] transcript = new byte[0];
            if (phase == BusImage.Phase.AUTHENTICATING) {
                transcript = c.authTranscript();
                if (transcript == null) {
                    throw new IllegalStateException(c + " is authenticating in a way a hand-over cannot carry"
                            + " (transcript too long)");
                }
                if (c.waitsForKeyring()) {
                    throw new org.capbus.dbus.broker.handover.NotNowException(c + " waits for the cookie keyring");
                }
            }
            ids.put(c, connections.size());
            order.add(c);
            connections.add(new BusImage.Connection(c.transport(), phase, c.uniqueName(), c.authMechanism(),
                    c.isFdPassingEnabled(), transcript, c.partialInput(), c.unclaimedFds(), c.cookieChallenge()));
        }
        java.util.List<BusImage.Name> names = new ArrayList<>();
        for (String name : state.names().names()) {
            java.util.List<BusConnection> owners = state.names().queuedOwners(name);
            int[] ownerIds = new int[owners.size()];
            int[] flags = new int[owners.size()];
            for (int i = 0; i < ownerIds.length; i++) {
                ownerIds[i] = ids.get(owners.get(i));
                flags[i] = state.names().flagsOf(name, owners.get(i));
            }
            names.add(new BusImage.Name(name, ownerIds, flags));
        }
        java.util.List<BusImage.Rule> rules = new ArrayList<>();
        java.util.List<BusImage.Monitor> monitors = new ArrayList<>();
        for (BusConnection c : state.connections()) {
            Integer id = ids.get(c);
            if (id == null) {
                continue;
            }
            if (c.isRegistered()) {
                for (org.capbus.dbus.bus.MatchRule r : state.matches().rulesOf(c)) {
                    rules.add(new BusImage.Rule(id, r.toString()));
                }
            } else if (c.state() == ConnectionState.MONITOR) {
                java.util.List<String> texts = new ArrayList<>();
                for (org.capbus.dbus.bus.MatchRule r : state.monitorRules(c)) {
                    texts.add(r.toString());
                }
                monitors.add(new BusImage.Monitor(id, texts));
            }
        }
        java.util.List<BusImage.Reply> replies = new ArrayList<>();
        long now = System.nanoTime();
        state.replies().forEachSlot((caller, serial, callee, deadline) -> {
            Integer a = ids.get(caller);
            Integer b = ids.get(callee);
            if (a != null && b != null) {
                replies.add(new BusImage.Reply(a, serial, b, deadline == Long.MAX_VALUE ? -1
                        : TimeUnit.NANOSECONDS.toMillis(Math.max(0, deadline - now))));
            }
        });
        // The native connections' handles, the nodes they point to and the core's sequence (section 9); written only
        // when there is one, so that a bus without native clients stays readable by a capbus that knows no section 9.
        NativeImage natives = anyNative ? NativeHandover.export(mapping, nativeBridge, order) : null;
        org.capbus.dbus.broker.handover.ActivationImage activations = activator.exportImage(c -> {
            Integer id = ids.get(c);
            return id == null ? -1 : id;
        });
        return new BusImage(guid, state.nextUniqueId(), outbox.serialCounter(), connections, names, rules, replies,
                monitors, activations, natives);
    }

    /**
     * Empties every core queue into the socket buffers (past the high-water mark), the driver's and the native
     * bridge's included, until nothing is left: a delivery can cause another (a native session drops a destroyed
     * node's handle, whose owner then has NodeReleased), so it runs to a fixed point.
     *
     * @throws IllegalStateException if the queues do not settle (a bug: each round only moves what was queued)
     */
    private void quiesce() {
        flush();
        for (int round = 0; round < 1000; round++) {
            boolean queued = false;
            for (BusConnection c : state.connections()) {
                if (c.peer().hasQueued()) {
                    queued = true;
                    c.drainForHandOver();
                }
            }
            flush();
            if (!queued && !mapping.driverPeer().hasQueued()
                    && (nativeBridge == null || !nativeBridge.isReady())) {
                return;
            }
        }
        throw new IllegalStateException("the core's queues do not settle");
    }

    /**
     * Takes over the state a previous process handed over (its guid already given to the constructor): every
     * connection over its new transport, with its names, match rules, reply slots and monitors. Sends nothing: the
     * clients already heard everything. Loop thread, before any input is read.
     *
     * @return the connection handler of each {@link BusImage#connections()} entry, in order, for the transport to
     *         start reading with
     * @throws IllegalArgumentException if the image is inconsistent (a rule that does not parse, a bad index)
     */
    public java.util.List<ConnectionHandler> restoreImage(BusImage image) {
        state.continueUniqueIds(image.nextUniqueId());
        outbox.continueSerials(image.nextSerial());
        java.util.Map<Integer, java.util.List<org.capbus.dbus.bus.MatchRule>> monitorRules = new java.util.HashMap<>();
        for (BusImage.Monitor m : image.monitors()) {
            java.util.List<org.capbus.dbus.bus.MatchRule> rules = new ArrayList<>();
            for (String text : m.rules()) {
                rules.add(parseRule(text));
            }
            monitorRules.put(m.connection(), rules);
        }
        java.util.Set<Integer> nativeConnections = new java.util.HashSet<>();
        if (image.natives() != null) {
            for (NativeImage.Connection n : image.natives().connections()) {
                nativeConnections.add(n.connection());
            }
        }
        java.util.List<BusConnection> restored = new ArrayList<>();
        for (BusImage.Connection ci : image.connections()) {
            boolean carried = nativeConnections.contains(restored.size());
            if (ci.phase() == BusImage.Phase.MONITOR && !monitorRules.containsKey(restored.size())) {
                monitorRules.put(restored.size(), java.util.List.of());
            }
            restored.add(restoreConnection(ci, monitorRules.get(restored.size()),
                    nativeConnections.contains(restored.size())));
        }
        if (image.natives() != null) {
            if (nativeBridge == null) {
                nativeBridge = new NativeBridge(mapping.core(), ownCredentials.uid(), this);
            }
            NativeHandover.restore(image.natives(), mapping, nativeBridge, restored, this::newSession);
            for (int i : nativeConnections) {
                BusImage.Connection ci = image.connections().get(i);
                restored.get(i).resumeInput(ci.partialInput(), ci.unclaimedFds());
            }
        }
        for (BusImage.Name n : image.names()) {
            for (int i = 0; i < n.owners().length; i++) {
                BusConnection owner = restored.get(n.owners()[i]);
                // Replayed in queue order: the first request makes the primary owner, the others queue behind it.
                int flags = i == 0 ? n.flags()[i]
                        : n.flags()[i] & ~(org.capbus.dbus.bus.NameRegistry.REPLACE_EXISTING
                        | org.capbus.dbus.bus.NameRegistry.DO_NOT_QUEUE);
                state.names().requestName(n.name(), owner, flags);
                state.busNamesGrew(owner);
            }
        }
        for (BusImage.Rule r : image.matchRules()) {
            state.addMatch(restored.get(r.connection()), parseRule(r.text()));
        }
        long now = System.nanoTime();
        for (BusImage.Reply r : image.replies()) {
            BusConnection caller = restored.get(r.caller());
            BusConnection callee = restored.get(r.callee());
            if (caller.replyEndpoint() != null && callee.replyEndpoint() != null) {
                // What it had left of reply_timeout (section 12; a full one if the hand-over did not say).
                state.replies().restoreReply(caller.replyEndpoint(), r.serial(), callee.replyEndpoint(), now,
                        r.remainingMillis() < 0 ? -1 : TimeUnit.MILLISECONDS.toNanos(r.remainingMillis()));
            }
        }
        armReplyTimer();
        activator.restoreImage(image.activations(), restored, host::closeFd);
        return java.util.List.copyOf(restored);
    }

    /**
     * One connection of {@link #restoreImage}. A method of its own so that the JIT compiles it in the new process's
     * rehearsal of the takeover; inlined in the loop it would run interpreted through the real one.
     */
    private BusConnection restoreConnection(BusImage.Connection ci,
                                            java.util.List<org.capbus.dbus.bus.MatchRule> monitorRules,
                                            boolean carried) {
        TransportConnection transport = ci.transport();
        PeerCredentials creds = transport.credentials();
        SaslServer sasl = new SaslServer(saslConfig, creds.uid(), true);
        // As at accept: a client mid-authentication may have negotiated the native protocol (or be about to).
        sasl.allowNativeProtocol(nativeProtocol);
        // A native connection's peer starts bare: its handles, root node included, come with section 9.
        BusConnection c = new BusConnection(this, transport, mapping, sasl, policyFor(creds), state.names(),
                maxMessageSize(), maxMessageUnixFds(), buffers, incoming.budgetFor(creds.uid()),
                config.limits().get(BusLimit.MAX_INCOMING_UNIX_FDS), carried);
        state.add(c);
        if (ci.phase() == BusImage.Phase.AUTHENTICATING) {
            c.resumeAuthentication(ci.authTranscript(), ci.cookieChallenge());
            long timeoutMs = config.limits().get(BusLimit.AUTH_TIMEOUT);
            c.setAuthTimeout(host.loop().schedule(() -> {
                if (c.state() == ConnectionState.AUTHENTICATING) {
                    disconnect(c, DisconnectReason.AUTH_FAILED, "authentication timed out");
                    flush();
                }
            }, timeoutMs, TimeUnit.MILLISECONDS));
            return c;
        }
        c.resumeAuthenticated(ci.authMechanism(), ci.unixFds());
        if (ci.unixFds()) {
            transport.enableFdPassing();
        }
        if (!carried) {
            mapping.createRoot(c);
        }
        switch (ci.phase()) {
            case ACTIVE -> state.restoreRegistered(c, ci.uniqueName());
            case MONITOR -> state.restoreMonitor(c, ci.uniqueName(), monitorRules);
            default -> { }
        }
        if (!carried) {
            // A native connection's input goes to its session, made once the graph is restored.
            c.resumeInput(ci.partialInput(), ci.unclaimedFds());
        }
        return c;
    }

    private static org.capbus.dbus.bus.MatchRule parseRule(String text) {
        org.capbus.dbus.bus.MatchRuleParseResult parsed = org.capbus.dbus.bus.MatchRule.parse(text);
        if (!parsed.isValid()) {
            throw new IllegalArgumentException("match rule '" + text + "': " + parsed.message());
        }
        return parsed.rule();
    }

    /** Runs the driver on the calls queued to it, now (not re-entered from inside the driver). */
    private void runDriver() {
        if (runningDriver) {
            return;
        }
        runningDriver = true;
        try {
            while (driverReady) {
                driverReady = false;
                mapping.driverPeer().drain(driver);
            }
        } finally {
            runningDriver = false;
        }
    }

    /**
     * Arms the reply_timeout timer for the oldest pending call, unless it is armed already or reply_timeout is off;
     * checked after each message (a cheap comparison) and re-armed by the timer while slots remain.
     */
    private void armReplyTimer() {
        long deadline = state.replies().nextDeadline();
        if (replyTimer != null || deadline == Long.MAX_VALUE) {
            return;
        }
        replyTimer = host.loop().schedule(this::expireReplies, Math.max(0, deadline - System.nanoTime()),
                TimeUnit.NANOSECONDS);
    }

    /** reply_timeout passed for the oldest calls: each caller gets NoReply from the bus and its slot is freed. */
    private void expireReplies() {
        replyTimer = null;
        state.replies().expire(System.nanoTime(), (caller, serial, callee) ->
                outbox.error(caller, serial & 0xFFFFFFFFL, BusError.REPLY_TIMEOUT));
        armReplyTimer();
        flush();
    }

    /**
     * Lets go of what a bus that never served holds outside its loop (the service-directory watcher's thread), and
     * nothing else: the live upgrade's rehearsal restores a made-up bus and throws it away (its connections were never
     * registered with the transport, and their descriptors are closed by whoever made them).
     */
    public void discard() {
        activator.shutdown();
    }

    /** Closes every connection, for shutdown. */
    public void shutdown() {
        activator.shutdown();
        for (BusConnection c : new ArrayList<>(state.connections())) {
            disconnect(c, DisconnectReason.SHUTDOWN, null);
        }
        flush();
    }
}
