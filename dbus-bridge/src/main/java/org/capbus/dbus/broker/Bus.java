package org.capbus.dbus.broker;

import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.capbus.config.BusConfig;
import org.capbus.config.BusLimit;
import org.capbus.config.ClientPolicy;
import org.capbus.config.UserDatabase;
import org.capbus.core.Core;
import org.capbus.core.Limits;
import org.capbus.core.SendResult;
import org.capbus.dbus.DBusErrors;
import org.capbus.dbus.bus.MatchIndex;
import org.capbus.dbus.bus.MatchRule;
import org.capbus.dbus.bus.NameOwnerChange;
import org.capbus.dbus.bus.NameRegistry;
import org.capbus.dbus.bus.ReplyEndpoint;
import org.capbus.dbus.bus.ReplyTracker;
import org.capbus.dbus.driver.Driver;
import org.capbus.dbus.io.ConnectionAcceptor;
import org.capbus.dbus.io.ConnectionHandler;
import org.capbus.dbus.io.PeerCredentials;
import org.capbus.dbus.io.TransportConnection;
import org.capbus.dbus.sasl.FileCookieKeyring;
import org.capbus.dbus.sasl.SaslServer;
import org.capbus.dbus.sasl.SaslServerConfig;
import org.capbus.dbus.wire.DBusMessage;
import org.capbus.dbus.wire.LargeBufferPool;
import org.capbus.dbus.wire.MessageBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The D-Bus message bus on the capability core: the set of connections, the name registry, the match rules, the
 * reply slots, the monitors and the driver, and the routing of every message a client sends. Messages travel
 * between connections only as core sends ({@link CoreMapping}); this class decides where they go and which D-Bus
 * error answers a message that cannot go anywhere.
 *
 * <p>Threading: one event-loop thread owns the bus and everything in it, as in dbus-broker. Nothing here locks.
 * Deliveries are written to sockets in {@link #flushReady()}, which runs after every batch of input.
 */
public final class Bus implements ConnectionAcceptor {
    private static final Logger log = LoggerFactory.getLogger(Bus.class);

    /** The bus's own name, owned by the driver. */
    public static final String DRIVER_NAME = "org.freedesktop.DBus";
    /** The driver's object path. */
    public static final String DRIVER_PATH = "/org/freedesktop/DBus";

    private final BusHost host;
    private final PeerCredentials ownCredentials;
    private final UserDatabase users = loadUsers();
    private SaslServerConfig saslConfig;
    private BusConfig config;
    private final String guid;
    private final CoreMapping mapping;
    private final Router router;
    private final Driver driver;
    final NameRegistry<BusConnection> names = new NameRegistry<>();
    final MatchIndex<BusConnection> matches = new MatchIndex<>();
    final ReplyTracker<BusConnection> replies;
    final Map<String, BusConnection> byUniqueName = new HashMap<>();
    /** Registered (non-monitor) connections per uid, for max_connections_per_user. */
    private final Map<Long, Integer> registeredPerUid = new HashMap<>();
    private final Set<BusConnection> connections = new LinkedHashSet<>();
    /** Connections that have not completed Hello, oldest first (max_incomplete_connections, auth_timeout). */
    private final Set<BusConnection> incomplete = new LinkedHashSet<>();
    final List<BusConnection> monitors = new ArrayList<>();
    final Map<BusConnection, List<MatchRule>> monitorRules = new HashMap<>();
    private final ArrayDeque<BusConnection> ready = new ArrayDeque<>();
    private boolean driverReady;
    private boolean flushing;
    private long nextUniqueId = 1;
    private long driverSerial = 1;
    /** Match rules with eavesdrop='true': while there are none, unicast messages need no observer lookup. */
    int eavesdropRules;
    final BusStats stats = new BusStats();
    /** Buffers of large messages, reused (see {@link LargeBufferPool}); at most 32 MiB kept idle. */
    private final LargeBufferPool buffers = new LargeBufferPool(32L << 20);
    final BusPeaks peaks = new BusPeaks();
    /** Bytes of messages still being received (max_incoming_bytes). */
    private final IncomingQuota incoming = new IncomingQuota(this);
    /** Match rules of all monitors, counted as dbus-daemon counts them (see {@link #monitorRuleCount}). */
    private int monitorMatchRules;

    /** Creates a bus with {@code config}, running on {@code host}'s loop, in a process with {@code ownCredentials}. */
    public Bus(BusConfig config, BusHost host, PeerCredentials ownCredentials) {
        this.host = host;
        this.ownCredentials = ownCredentials;
        long busUid = ownCredentials.uid();
        this.config = config;
        byte[] id = new byte[16];
        new SecureRandom().nextBytes(id);
        this.guid = HexFormat.of().formatHex(id);
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
            if (message.payload() instanceof BusMessage m) {
                m.release();
            }
        });
        this.mapping = new CoreMapping(core, busUid, p -> driverReady = true);
        this.replies = new ReplyTracker<>((int) Math.min(Integer.MAX_VALUE,
                config.limits().get(BusLimit.MAX_REPLIES_PER_CONNECTION)), -1);
        this.driver = new Driver(this);
        this.router = new Router(this, new PolicyGate(stats));
        this.saslConfig = saslConfig(config);
    }

    private static UserDatabase loadUsers() {
        try {
            return UserDatabase.localFiles();
        } catch (java.io.IOException e) {
            log.warn("cannot read /etc/passwd or /etc/group ({}); policy names no user or group by name", e.toString());
            return UserDatabase.numericOnly();
        }
    }

    private static long saturatedTimes(long v, int k) {
        return v > Long.MAX_VALUE / k ? Long.MAX_VALUE : v * k;
    }

    // ---- accessors for the driver and the daemon ----

    public String guid() {
        return guid;
    }

    public BusConfig config() {
        return config;
    }

    public BusHost host() {
        return host;
    }

    LargeBufferPool buffers() {
        return buffers;
    }

    IncomingQuota incoming() {
        return incoming;
    }

    CoreMapping mapping() {
        return mapping;
    }

    public NameRegistry<BusConnection> names() {
        return names;
    }

    public MatchIndex<BusConnection> matches() {
        return matches;
    }

    public BusStats stats() {
        return stats;
    }

    /** The bus-wide high-water marks of Debug.Stats. */
    public BusPeaks peaks() {
        return peaks;
    }

    public Core core() {
        return mapping.core();
    }

    public Driver driver() {
        return driver;
    }

    /** The connection a unique or well-known name stands for now, or null. */
    public BusConnection resolveName(String name) {
        BusConnection c = router.resolve(name);
        return c != null && c.isRegistered() ? c : null;
    }

    /** The bus process's own credentials (for questions about org.freedesktop.DBus). */
    public PeerCredentials ownCredentials() {
        return ownCredentials;
    }

    /** Connections that completed Hello, by unique name. */
    public Map<String, BusConnection> connectionsByUniqueName() {
        return byUniqueName;
    }

    /** Every open connection, authenticated or not. */
    public Set<BusConnection> connections() {
        return connections;
    }

    public List<BusConnection> monitors() {
        return monitors;
    }

    // ---- counts for Debug.Stats ----

    /** Connections that completed Hello and are still open, monitors included (dbus-daemon's "active"). */
    public int activeConnectionCount() {
        return byUniqueName.size() + monitors.size();
    }

    /** Match rules of every connection and every monitor. */
    public int totalMatchRules() {
        return matches.totalRules() + monitorMatchRules;
    }

    /** Bus names of every connection: unique names, plus each well-known name's owners, queued ones too. */
    public int totalBusNames() {
        return byUniqueName.size() + names.entryCount();
    }

    /** The bus names {@code c} holds: its unique name and each well-known name it owns or is queued for. */
    public int busNameCount(BusConnection c) {
        return (c.isRegistered() ? 1 : 0) + names.ownedNameCount(c);
    }

    /** Raises the high-water marks after {@code c} gained a bus name (Hello, RequestName). Called by the driver. */
    public void busNamesGrew(BusConnection c) {
        int n = busNameCount(c);
        if (n > c.peakBusNames) {
            c.peakBusNames = n;
        }
        peaks.busNames(n, totalBusNames());
    }

    private void matchRulesGrew(BusConnection c, int n) {
        if (n > c.peakMatchRules) {
            c.peakMatchRules = n;
        }
        peaks.matchRules(n, totalMatchRules());
    }

    /** What a monitor's rules count for: dbus-daemon gives a monitor with no rules one rule that matches all. */
    private static int monitorRuleCount(List<MatchRule> rules) {
        return Math.max(1, rules.size());
    }

    int maxMessageSize() {
        return (int) Math.min(config.limits().get(BusLimit.MAX_MESSAGE_SIZE), 134_217_728L);
    }

    int maxMessageUnixFds() {
        return (int) Math.min(config.limits().get(BusLimit.MAX_MESSAGE_UNIX_FDS), 1024);
    }

    /** Replaces the configuration (from a reload that parsed). Loop thread. */
    public void applyConfig(BusConfig newConfig) {
        this.config = newConfig;
        this.saslConfig = saslConfig(newConfig);
        for (BusConnection c : connections) {
            c.policy = policyFor(c.credentials());
        }
        log.info("configuration reloaded from {}", newConfig.file());
    }

    // ---- connections ----

    @Override
    public ConnectionHandler accept(TransportConnection transport) {
        PeerCredentials creds = transport.credentials();
        long maxIncomplete = config.limits().get(BusLimit.MAX_INCOMPLETE_CONNECTIONS);
        long maxTotal = config.limits().get(BusLimit.MAX_COMPLETED_CONNECTIONS) + maxIncomplete;
        BusConnection c = new BusConnection(this, transport, creds.uid());
        if (connections.size() >= maxTotal) {
            log.warn("refusing connection from uid {}: {} connections open (limit {})", creds.uid(),
                    connections.size(), maxTotal);
            stats.quotaRejected(QuotaResource.CONNECTIONS);
            stats.disconnected(DisconnectReason.QUOTA);
            c.state = BusConnection.State.CLOSED;
            mapping.detach(c);
            transport.close();
            return c;
        }
        connections.add(c);
        stats.accepted();
        // As dbus-daemon, a connection is incomplete until its Hello: auth_timeout and max_incomplete_connections
        // cover the time after authentication too, so connections that authenticate and stay silent cannot pile up.
        incomplete.add(c);
        if (incomplete.size() > maxIncomplete) {
            BusConnection victim = oldestIncompleteOfBusiestUser();
            stats.quotaRejected(QuotaResource.CONNECTIONS);
            disconnect(victim, DisconnectReason.QUOTA, "more than " + maxIncomplete + " connections without Hello"
                    + " (max_incomplete_connections); dropping the oldest of the user with the most");
            if (c.state == BusConnection.State.CLOSED) {
                return c;
            }
        }
        long timeoutMs = config.limits().get(BusLimit.AUTH_TIMEOUT);
        c.authTimeout = host.loop().schedule(() -> {
            if (c.state != BusConnection.State.CLOSED && !c.hasUniqueName()) {
                disconnect(c, DisconnectReason.AUTH_FAILED, c.state == BusConnection.State.AUTHENTICATING
                        ? "authentication timed out" : "no Hello within auth_timeout");
                flushReady();
            }
        }, timeoutMs, java.util.concurrent.TimeUnit.MILLISECONDS);
        return c;
    }

    /**
     * Which incomplete connection goes when there are too many: the oldest of the uid that has the most. dbus-daemon
     * stops accepting instead until one completes or times out, which lets one user's crowd of silent connections
     * keep every other user out; here the crowd pays for itself.
     */
    private BusConnection oldestIncompleteOfBusiestUser() {
        Map<Long, Integer> perUid = new HashMap<>();
        long busiest = -1;
        int most = 0;
        for (BusConnection i : incomplete) {
            long uid = i.credentials().uid();
            int n = perUid.merge(uid, 1, Integer::sum);
            if (n > most) {
                most = n;
                busiest = uid;
            }
        }
        for (BusConnection i : incomplete) {
            if (i.credentials().uid() == busiest) {
                return i;
            }
        }
        throw new IllegalStateException("no incomplete connection");
    }

    SaslServer newSaslServer(PeerCredentials creds) {
        return new SaslServer(saslConfig, creds.uid(), true);
    }

    private SaslServerConfig saslConfig(BusConfig c) {
        SecureRandom random = new SecureRandom();
        return new SaslServerConfig(c.auth(), c.allowAnonymous(), guid, FileCookieKeyring.forCurrentUser(random),
                random);
    }

    /** The configuration's policy for a connection with these credentials. */
    ClientPolicy policyFor(PeerCredentials creds) {
        return config.policy().forPeer(creds.uid(), creds.groups(), false, users);
    }

    /** The policy of a connection, for the driver. */
    public ClientPolicy policyFor(BusConnection c) {
        return c.policy;
    }

    /** Authentication succeeded: the configuration decides whether this user may connect at all. */
    boolean onAuthenticated(BusConnection c) {
        PeerCredentials creds = c.credentials();
        if (!config.policy().canConnect(creds.uid(), creds.groups(), ownCredentials.uid(), users)) {
            stats.policyDenied(PolicyDenial.CONNECT);
            disconnect(c, DisconnectReason.AUTH_FAILED, "uid " + creds.uid() + " is not allowed to connect");
            return false;
        }
        // The root node exists from now on, so that the driver can answer even before Hello; the unique name
        // that stands for it is given at Hello.
        c.root = mapping.createRoot(c);
        stats.authenticated(c.authMechanism);
        return true;
    }

    /** The connection completed Hello: it gets its unique name and root node. Called by the driver. */
    public String register(BusConnection c) {
        String name = ":1." + nextUniqueId++;
        c.cancelAuthTimeout();
        incomplete.remove(c);
        c.assignUniqueName(name);
        byUniqueName.put(name, c);
        registered(c);
        c.replyEndpoint = replies.register(c);
        busNamesGrew(c);
        return name;
    }

    /** Whether {@code uid} may have one more connection (max_connections_per_user). */
    public boolean underUserConnectionLimit(long uid) {
        long limit = config.limits().get(BusLimit.MAX_CONNECTIONS_PER_USER);
        return registeredPerUid.getOrDefault(uid, 0) < limit;
    }

    private void registered(BusConnection c) {
        registeredPerUid.merge(c.credentials().uid(), 1, Integer::sum);
    }

    private void unregistered(BusConnection c) {
        registeredPerUid.computeIfPresent(c.credentials().uid(), (uid, n) -> n == 1 ? null : n - 1);
    }

    /**
     * Closes the connection and lets go of everything it had: its queued messages, its names (with the
     * signals that announce the new owners), its match rules, the replies it owed (callers get NoReply, after any
     * reply it had already sent, since those are already queued before them) and its unique name.
     */
    public void disconnect(BusConnection c, DisconnectReason reason, String detail) {
        if (c.state == BusConnection.State.CLOSED) {
            return;
        }
        boolean wasRegistered = c.uniqueName != null && byUniqueName.get(c.uniqueName) == c;
        c.state = BusConnection.State.CLOSED;
        c.cancelAuthTimeout();
        if (reason != DisconnectReason.CLIENT_CLOSED && detail != null) {
            log.info("closing {} ({}): {}", c, reason, detail);
        }
        stats.disconnected(reason);
        c.transport.close();
        int[] unclaimed = c.unclaimedFds();
        closeFds(unclaimed, unclaimed.length);
        connections.remove(c);
        incomplete.remove(c);
        if (monitors.remove(c)) {
            monitorMatchRules -= monitorRuleCount(monitorRules.remove(c));
        }
        if (wasRegistered) {
            eavesdropRules -= countEavesdrop(matches.rulesOf(c));
            matches.removeAll(c);
            ReplyEndpoint<BusConnection> endpoint = c.replyEndpoint;
            c.replyEndpoint = null;
            if (endpoint != null) {
                replies.disconnect(endpoint, (caller, serial, callee) ->
                        sendError(caller, serial & 0xFFFFFFFFL, DBusErrors.NO_REPLY,
                                "Message recipient disconnected from message bus without replying"));
            }
            announce(names.removeOwner(c), c);
            byUniqueName.remove(c.uniqueName);
            unregistered(c);
            driver.nameOwnerChanged(c.uniqueName, c.uniqueName, "");
        }
        mapping.detach(c);
    }

    /** Closes descriptors the bus will not pass on. */
    public void closeFds(int[] fds, int count) {
        for (int i = 0; i < count; i++) {
            host.closeFd(fds[i]);
        }
    }

    // ---- readiness: moving queued deliveries into sockets ----

    void markReady(BusConnection c) {
        if (!c.ready) {
            c.ready = true;
            ready.add(c);
        }
    }

    /**
     * Runs the driver on what it was sent and writes every connection's queued deliveries to its socket, until
     * nothing is left to do. Called after each batch of input and from timers.
     */
    public void flushReady() {
        if (flushing) {
            return;
        }
        flushing = true;
        try {
            while (driverReady || !ready.isEmpty()) {
                if (driverReady) {
                    driverReady = false;
                    mapping.driverPeer().drain(driver);
                    continue;
                }
                BusConnection c = ready.poll();
                c.ready = false;
                c.drain();
            }
        } finally {
            flushing = false;
        }
    }

    // ---- routing ----

    /** Routes one valid message {@code m} that {@code sender} sent, with its descriptors. */
    void dispatch(BusConnection sender, DBusMessage m, int[] fds) {
        router.dispatch(sender, m, fds);
    }

    /** Shows monitors the Hello of a connection that has just got its unique name. */
    public void monitorHello(BusConnection c, DBusMessage hello) {
        router.monitorHello(c, hello);
    }

    // ---- messages from the driver ----

    /** The next serial of a message the driver sends. */
    public long nextDriverSerial() {
        long s = driverSerial++;
        if (driverSerial > 0xFFFFFFFFL) {
            driverSerial = 1;
        }
        return s;
    }

    /** Sends a message the driver built to {@code target} (and to monitors). */
    public void sendFromDriver(BusConnection target, byte[] message) {
        if (target.state == BusConnection.State.CLOSED || target.driverHandle == null) {
            return;
        }
        BusMessage out = BusMessage.whole(message);
        if (mapping.fromDriver(target, out) == SendResult.OK) {
            stats.sentByDriver(out.size());
        }
        if (!monitors.isEmpty()) {
            DBusMessage parsed = new DBusMessage();
            if (parsed.parse(message, message.length) == org.capbus.dbus.wire.Validity.VALID) {
                router.toMonitors(parsed, DRIVER_NAME, out, target);
            }
        }
        out.release();
    }

    /** Broadcasts a signal the driver built, to every connection whose match rules select it. */
    public void broadcastFromDriver(byte[] message) {
        DBusMessage parsed = new DBusMessage();
        if (parsed.parse(message, message.length) != org.capbus.dbus.wire.Validity.VALID) {
            throw new IllegalStateException("the driver built an invalid signal: " + parsed.validity());
        }
        BusMessage out = BusMessage.whole(message);
        int delivered = router.broadcast(parsed, DRIVER_NAME, null, out);
        stats.broadcast(out.size(), delivered);
        if (!monitors.isEmpty()) {
            router.toMonitors(parsed, DRIVER_NAME, out, null);
        }
        out.release();
    }

    /** Sends an error reply from the driver, unless the target is gone. */
    public void sendError(BusConnection target, long replySerial, String errorName, String text) {
        if (target.uniqueName == null || target.state == BusConnection.State.CLOSED) {
            return;
        }
        stats.errorSent(errorName);
        byte[] bytes = MessageBuilder.error(replySerial, target.uniqueName, errorName).sender(DRIVER_NAME)
                .string(text).build(nextDriverSerial());
        sendFromDriver(target, bytes);
    }

    /**
     * Sends the signals for name ownership changes in dbus-daemon's order: NameLost to the old owner, the
     * NameOwnerChanged broadcast, NameAcquired to the new owner. Nothing is sent to {@code leaving}.
     */
    public void announce(List<NameOwnerChange<BusConnection>> changes, BusConnection leaving) {
        for (NameOwnerChange<BusConnection> ch : changes) {
            BusConnection oldOwner = ch.oldOwner();
            BusConnection newOwner = ch.newOwner();
            if (oldOwner != null && oldOwner != leaving) {
                driver.nameLost(oldOwner, ch.name());
            }
            driver.nameOwnerChanged(ch.name(), oldOwner == null ? "" : oldOwner.uniqueName,
                    newOwner == null ? "" : newOwner.uniqueName);
            if (newOwner != null && newOwner != leaving) {
                driver.nameAcquired(newOwner, ch.name());
            }
        }
    }

    // ---- match rules and monitors, for the driver ----

    /** Adds a match rule for {@code c}. */
    public void addMatch(BusConnection c, MatchRule rule) {
        matches.add(c, rule);
        if (rule.eavesdrop()) {
            eavesdropRules++;
        }
        matchRulesGrew(c, matches.ruleCount(c));
    }

    /** Removes one rule equal to {@code rule}; false if {@code c} had none. */
    public boolean removeMatch(BusConnection c, MatchRule rule) {
        boolean removed = matches.remove(c, rule);
        if (removed && rule.eavesdrop()) {
            eavesdropRules--;
        }
        return removed;
    }

    private static int countEavesdrop(List<MatchRule> rules) {
        int n = 0;
        for (MatchRule r : rules) {
            if (r.eavesdrop()) {
                n++;
            }
        }
        return n;
    }

    /**
     * Turns {@code c} into a monitor (org.freedesktop.DBus.Monitoring.BecomeMonitor): it loses its names and
     * match rules and its unique name leaves the bus, as in dbus-daemon; from now on it only receives.
     */
    public void becomeMonitor(BusConnection c, List<MatchRule> rules) {
        eavesdropRules -= countEavesdrop(matches.rulesOf(c));
        matches.removeAll(c);
        announce(names.removeOwner(c), c);
        byUniqueName.remove(c.uniqueName);
        unregistered(c);
        ReplyEndpoint<BusConnection> endpoint = c.replyEndpoint;
        c.replyEndpoint = null;
        if (endpoint != null) {
            replies.disconnect(endpoint, (caller, serial, callee) ->
                    sendError(caller, serial & 0xFFFFFFFFL, DBusErrors.NO_REPLY,
                            "Message recipient disconnected from message bus without replying"));
        }
        driver.nameOwnerChanged(c.uniqueName, c.uniqueName, "");
        c.state = BusConnection.State.MONITOR;
        List<MatchRule> eavesdropping = new ArrayList<>(rules.size());
        for (MatchRule r : rules) {
            eavesdropping.add(r.withEavesdrop(true));
        }
        monitors.add(c);
        monitorRules.put(c, eavesdropping);
        monitorMatchRules += monitorRuleCount(eavesdropping);
        matchRulesGrew(c, monitorRuleCount(eavesdropping));
    }

    /** Closes every connection, for shutdown. */
    public void shutdown() {
        for (BusConnection c : new ArrayList<>(connections)) {
            disconnect(c, DisconnectReason.SHUTDOWN, null);
        }
        flushReady();
    }
}
