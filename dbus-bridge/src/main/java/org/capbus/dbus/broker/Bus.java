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
import org.capbus.config.PeerNames;
import org.capbus.config.PolicyMessage;
import org.capbus.config.UserDatabase;
import org.capbus.core.Core;
import org.capbus.core.Handle;
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
import org.capbus.dbus.wire.HeaderField;
import org.capbus.dbus.wire.MessageBuilder;
import org.capbus.dbus.wire.MessageFlag;
import org.capbus.dbus.wire.MessageType;
import org.capbus.dbus.wire.SenderStitcher;
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
    private final Driver driver;
    final NameRegistry<BusConnection> names = new NameRegistry<>();
    final MatchIndex<BusConnection> matches = new MatchIndex<>();
    final ReplyTracker<BusConnection> replies;
    private final Map<String, BusConnection> byUniqueName = new HashMap<>();
    private final Map<BusConnection, ReplyEndpoint<BusConnection>> endpoints = new HashMap<>();
    private final Set<BusConnection> connections = new LinkedHashSet<>();
    private final List<BusConnection> monitors = new ArrayList<>();
    private final Map<BusConnection, List<MatchRule>> monitorRules = new HashMap<>();
    private final ArrayDeque<BusConnection> ready = new ArrayDeque<>();
    private boolean driverReady;
    private boolean flushing;
    private long nextUniqueId = 1;
    private long driverSerial = 1;
    private int eavesdropRules;
    private final MatchView view = new MatchView();
    private BusConnection[] recipients = new BusConnection[16];
    private int recipientCount;
    private Handle[] handleScratch = new Handle[16];
    private int[] resultScratch = new int[16];
    private final MatchIndex.RecipientSink<BusConnection> collector = this::addRecipient;
    final BusStats stats = new BusStats();
    final BusPeaks peaks = new BusPeaks();
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
        BusConnection c = resolve(name);
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
        long timeoutMs = config.limits().get(BusLimit.AUTH_TIMEOUT);
        host.loop().schedule(() -> {
            if (c.state == BusConnection.State.AUTHENTICATING) {
                disconnect(c, DisconnectReason.AUTH_FAILED, "authentication timed out");
                flushReady();
            }
        }, timeoutMs, java.util.concurrent.TimeUnit.MILLISECONDS);
        return c;
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
        c.assignUniqueName(name);
        byUniqueName.put(name, c);
        endpoints.put(c, replies.register(c));
        busNamesGrew(c);
        return name;
    }

    /** Whether {@code uid} may have one more connection (max_connections_per_user). */
    public boolean underUserConnectionLimit(long uid) {
        long limit = config.limits().get(BusLimit.MAX_CONNECTIONS_PER_USER);
        long n = 0;
        for (BusConnection c : byUniqueName.values()) {
            if (c.credentials().uid() == uid && ++n >= limit) {
                return false;
            }
        }
        return true;
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
        if (reason != DisconnectReason.CLIENT_CLOSED && detail != null) {
            log.info("closing {} ({}): {}", c, reason, detail);
        }
        stats.disconnected(reason);
        c.transport.close();
        int[] unclaimed = c.unclaimedFds();
        closeFds(unclaimed, unclaimed.length);
        connections.remove(c);
        if (monitors.remove(c)) {
            monitorMatchRules -= monitorRuleCount(monitorRules.remove(c));
        }
        if (wasRegistered) {
            eavesdropRules -= countEavesdrop(matches.rulesOf(c));
            matches.removeAll(c);
            ReplyEndpoint<BusConnection> endpoint = endpoints.remove(c);
            if (endpoint != null) {
                replies.disconnect(endpoint, (caller, serial, callee) ->
                        sendError(caller, serial & 0xFFFFFFFFL, DBusErrors.NO_REPLY,
                                "Message recipient disconnected from message bus without replying"));
            }
            announce(names.removeOwner(c), c);
            byUniqueName.remove(c.uniqueName);
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
        if (sender.state != BusConnection.State.ACTIVE) {
            if (sender.state == BusConnection.State.AWAITING_HELLO && isHello(m)) {
                toDriver(sender, m, fds);
                return;
            }
            closeFds(fds, fds.length);
            if (sender.state == BusConnection.State.AWAITING_HELLO && m.type() == MessageType.METHOD_CALL
                    && m.fieldEquals(HeaderField.DESTINATION, DRIVER_NAME)) {
                // dbus-daemon answers, to a placeholder destination, and still accepts Hello afterwards.
                if (m.expectsReply()) {
                    byte[] bytes = MessageBuilder.error(m.serial(), ":not.active.yet", DBusErrors.ACCESS_DENIED)
                            .sender(DRIVER_NAME)
                            .string("Client tried to send a message other than Hello without being registered")
                            .build(nextDriverSerial());
                    sendFromDriver(sender, bytes);
                }
                return;
            }
            disconnect(sender, DisconnectReason.PROTOCOL_VIOLATION, sender.state == BusConnection.State.MONITOR
                    ? "a monitor sent a message" : "the first message must be Hello");
            return;
        }
        stats.received(m.type(), m.length());
        if (m.fieldEquals(HeaderField.DESTINATION, DRIVER_NAME)) {
            toDriver(sender, m, fds);
            return;
        }
        switch (m.type()) {
            case MessageType.METHOD_CALL -> routeCall(sender, m, fds);
            case MessageType.METHOD_RETURN, MessageType.ERROR -> routeReply(sender, m, fds);
            default -> routeSignal(sender, m, fds);
        }
    }

    private static boolean isHello(DBusMessage m) {
        return m.type() == MessageType.METHOD_CALL && m.fieldEquals(HeaderField.DESTINATION, DRIVER_NAME)
                && m.fieldEquals(HeaderField.MEMBER, "Hello")
                && (!m.hasField(HeaderField.INTERFACE) || m.fieldEquals(HeaderField.INTERFACE, DRIVER_NAME));
    }

    private void toDriver(BusConnection sender, DBusMessage m, int[] fds) {
        // The driver takes no descriptors; dbus-daemon drops them too.
        closeFds(fds, fds.length);
        if (sender.uniqueName != null) {
            String denied = policyDenial(sender, null, m, false, false);
            if (denied != null) {
                if (m.expectsReply()) {
                    sendError(sender, m.serial(), DBusErrors.ACCESS_DENIED, denied);
                }
                return;
            }
        }
        // Before Hello the sender has no name yet: the driver shows monitors the Hello once it assigned one.
        if (!monitors.isEmpty() && sender.uniqueName != null) {
            BusMessage copy = stitch(sender, m, BusMessage.NO_FDS);
            if (copy != null) {
                toMonitors(m, sender.uniqueName, copy, null);
                copy.release();
            }
        }
        int code = mapping.toDriver(sender.peer(), new DriverCall(sender, m), m.length());
        if (code == SendResult.QUOTA) {
            stats.quotaRejected(QuotaResource.DRIVER_QUEUE);
        }
        if (code == SendResult.QUOTA && m.expectsReply()) {
            sendError(sender, m.serial(), DBusErrors.LIMITS_EXCEEDED,
                    "The maximum number of pending messages for the bus driver has been reached");
        }
    }

    /** The message as policy rules see it (built once per message, only when a check needs it). */
    private static PolicyMessage policyMessage(DBusMessage m) {
        org.capbus.config.MessageType type = switch (m.type()) {
            case MessageType.METHOD_CALL -> org.capbus.config.MessageType.METHOD_CALL;
            case MessageType.METHOD_RETURN -> org.capbus.config.MessageType.METHOD_RETURN;
            case MessageType.ERROR -> org.capbus.config.MessageType.ERROR;
            default -> org.capbus.config.MessageType.SIGNAL;
        };
        return new PolicyMessage(type, m.path(), m.interfaceName(), m.member(), m.errorName(), m.destination(),
                m.type() == MessageType.METHOD_RETURN || m.type() == MessageType.ERROR, m.unixFds());
    }

    /**
     * The configuration's send rules of the sender and receive rules of the receiver (dbus-daemon's
     * {@code bus_context_check_security_policy}); null if allowed, else the AccessDenied text.
     */
    private String policyDenial(BusConnection sender, BusConnection receiver, DBusMessage m, boolean requestedReply,
                                boolean eavesdropping) {
        if (!eavesdropping && sender.policy.sendsUnrestricted()
                && (receiver == null || receiver.policy.receivesUnrestricted())) {
            return null; // the common session-bus policy: nothing to check, nothing to build
        }
        PolicyMessage pm = policyMessage(m);
        PeerNames receiverNames = receiver == null ? DRIVER_NAMES : receiver;
        if (!eavesdropping && !sender.policy.canSend(pm, receiverNames, requestedReply)) {
            stats.policyDenied(PolicyDenial.SEND);
            return denial("send", sender, receiver, pm, requestedReply);
        }
        if (receiver != null && !receiver.policy.canReceive(pm, sender, requestedReply, eavesdropping)) {
            stats.policyDenied(PolicyDenial.RECEIVE);
            return denial("receive", sender, receiver, pm, requestedReply);
        }
        return null;
    }

    private static String denial(String what, BusConnection sender, BusConnection receiver, PolicyMessage pm,
                                 boolean requestedReply) {
        return "Rejected " + what + " message; type=\"" + pm.type().configName() + "\", sender=\"" + sender.uniqueName
                + "\" (uid=" + sender.credentials().uid() + " pid=" + sender.credentials().pid() + ") interface=\""
                + unset(pm.interfaceName()) + "\" member=\"" + unset(pm.member()) + "\" error name=\""
                + unset(pm.errorName()) + "\" requested_reply=\"" + (requestedReply ? 1 : 0) + "\" destination=\""
                + (receiver == null ? DRIVER_NAME : unset(pm.destination())) + "\"";
    }

    private static String unset(String s) {
        return s == null ? "(unset)" : s;
    }

    private static final PeerNames DRIVER_NAMES = PeerNames.of(DRIVER_NAME);

    private BusConnection resolve(String name) {
        if (name.isEmpty()) {
            return null;
        }
        if (name.charAt(0) == ':') {
            return byUniqueName.get(name);
        }
        return names.primaryOwner(name);
    }

    private BusMessage stitch(BusConnection sender, DBusMessage m, int[] fds) {
        byte[] head = SenderStitcher.stitch(m, sender.uniqueNameBytes);
        if (head == null) {
            return null;
        }
        return new BusMessage(head, m.buffer(), m.bodyOffset(), m.bodyLength(), fds, host::closeFd);
    }

    private void routeCall(BusConnection sender, DBusMessage m, int[] fds) {
        String destination = m.destination();
        boolean expectsReply = m.expectsReply();
        if (destination == null) {
            // A method call without a destination reaches only eavesdroppers and monitors (dbus-daemon).
            deliverUnaddressed(sender, m, fds);
            return;
        }
        BusConnection target = resolve(destination);
        if (target == null || !target.isActive()) {
            closeFds(fds, fds.length);
            if (expectsReply) {
                if (m.hasFlag(MessageFlag.NO_AUTO_START)) {
                    sendError(sender, m.serial(), DBusErrors.NAME_HAS_NO_OWNER,
                            "Name \"" + destination + "\" does not exist");
                } else {
                    sendError(sender, m.serial(), DBusErrors.SERVICE_UNKNOWN,
                            "The name " + destination + " was not provided by any .service files");
                }
            }
            return;
        }
        if (fds.length > 0 && !target.fdsEnabled) {
            closeFds(fds, fds.length);
            if (expectsReply) {
                sendError(sender, m.serial(), DBusErrors.NOT_SUPPORTED,
                        "Tried to send message with Unix file descriptors to a client that doesn't support that.");
            }
            return;
        }
        String denied = policyDenial(sender, target, m, false, false);
        if (denied != null) {
            closeFds(fds, fds.length);
            if (expectsReply) {
                sendError(sender, m.serial(), DBusErrors.ACCESS_DENIED, denied);
            }
            return;
        }
        BusMessage out = stitch(sender, m, fds);
        if (out == null) {
            closeFds(fds, fds.length);
            stats.quotaRejected(QuotaResource.MESSAGE_SIZE);
            if (expectsReply) {
                sendError(sender, m.serial(), DBusErrors.LIMITS_EXCEEDED, "Message too large to forward");
            }
            return;
        }
        ReplyEndpoint<BusConnection> callerEndpoint = endpoints.get(sender);
        ReplyEndpoint<BusConnection> calleeEndpoint = endpoints.get(target);
        boolean slot = false;
        if (expectsReply) {
            ReplyTracker.ExpectResult r = replies.expectReply(callerEndpoint, (int) m.serial(), calleeEndpoint,
                    System.nanoTime());
            if (r == ReplyTracker.ExpectResult.LIMIT_EXCEEDED) {
                out.release();
                stats.quotaRejected(QuotaResource.PENDING_REPLIES);
                sendError(sender, m.serial(), DBusErrors.LIMITS_EXCEEDED,
                        "The maximum number of pending replies for \"" + sender.uniqueName + "\" has been reached");
                return;
            }
            slot = r == ReplyTracker.ExpectResult.ADDED;
        }
        int code = mapping.unicast(sender.peer(), target, out);
        if (code != SendResult.OK) {
            if (slot) {
                replies.acceptReply(calleeEndpoint, callerEndpoint, (int) m.serial());
            }
            stats.quotaRejected(QuotaResource.QUEUE);
            if (expectsReply) {
                sendError(sender, m.serial(), DBusErrors.LIMITS_EXCEEDED,
                        "The maximum number of queued messages for \"" + target.uniqueName + "\" has been reached");
            }
        } else {
            stats.sent(m.type(), out.size(), 1);
        }
        observers(sender, m, out, target);
        out.release();
    }

    private void routeReply(BusConnection sender, DBusMessage m, int[] fds) {
        String destination = m.destination();
        BusConnection target = destination == null ? null : resolve(destination);
        if (target == null || !target.isActive()) {
            // The caller is gone; its reply slot went with it.
            closeFds(fds, fds.length);
            stats.unexpectedReply();
            return;
        }
        ReplyTracker.ReplyResult r = replies.acceptReply(endpoints.get(sender), endpoints.get(target),
                (int) m.replySerial());
        if (r != ReplyTracker.ReplyResult.ACCEPTED) {
            // dbus-broker's rule: only an expected reply passes, once. Anything else is dropped, and the sender
            // is told as dbus-daemon tells it (its default policy denies unrequested replies).
            closeFds(fds, fds.length);
            stats.unexpectedReply();
            stats.policyDenied(PolicyDenial.SEND);
            if (!m.hasFlag(MessageFlag.NO_REPLY_EXPECTED)) {
                sendError(sender, m.serial(), DBusErrors.ACCESS_DENIED, "Rejected send message: "
                        + (m.type() == MessageType.ERROR ? "error" : "method_return") + " with reply_serial "
                        + m.replySerial() + " from " + sender.uniqueName + " to " + destination
                        + " was not requested (requested_reply=0)");
            }
            return;
        }
        String denied = policyDenial(sender, target, m, true, false);
        if (denied != null) {
            closeFds(fds, fds.length);
            // The caller's slot is gone: tell it, so that it does not wait forever.
            sendError(target, m.replySerial(), DBusErrors.ACCESS_DENIED, denied);
            return;
        }
        if (fds.length > 0 && !target.fdsEnabled) {
            closeFds(fds, fds.length);
            sendError(target, m.replySerial(), DBusErrors.NOT_SUPPORTED,
                    "Tried to send message with Unix file descriptors to a client that doesn't support that.");
            return;
        }
        BusMessage out = stitch(sender, m, fds);
        if (out == null) {
            closeFds(fds, fds.length);
            stats.quotaRejected(QuotaResource.MESSAGE_SIZE);
            sendError(target, m.replySerial(), DBusErrors.LIMITS_EXCEEDED, "Reply too large to forward");
            return;
        }
        int code = mapping.unicast(sender.peer(), target, out);
        if (code != SendResult.OK) {
            stats.quotaRejected(QuotaResource.QUEUE);
            // The caller would wait forever: tell it, as dbus-broker does when a reply cannot be queued.
            sendError(target, m.replySerial(), DBusErrors.LIMITS_EXCEEDED,
                    "The reply could not be queued: the recipient's queue is full");
        } else {
            stats.sent(m.type(), out.size(), 1);
        }
        observers(sender, m, out, target);
        out.release();
    }

    private void routeSignal(BusConnection sender, DBusMessage m, int[] fds) {
        String destination = m.destination();
        if (destination != null) {
            BusConnection target = resolve(destination);
            if (target == null || !target.isActive() || (fds.length > 0 && !target.fdsEnabled)
                    || policyDenial(sender, target, m, false, false) != null) {
                deliverUnaddressed(sender, m, fds);
                return;
            }
            BusMessage out = stitch(sender, m, fds);
            if (out == null) {
                closeFds(fds, fds.length);
                return;
            }
            if (mapping.unicast(sender.peer(), target, out) == SendResult.OK) {
                stats.sent(m.type(), out.size(), 1);
            } else {
                stats.quotaRejected(QuotaResource.QUEUE);
            }
            observers(sender, m, out, target);
            out.release();
            return;
        }
        BusMessage out = stitch(sender, m, fds);
        if (out == null) {
            closeFds(fds, fds.length);
            return;
        }
        recipientCount = 0;
        matches.collectRecipients(view.of(m, sender.uniqueName), null, names, collector);
        if (fds.length > 0) {
            dropRecipientsWithoutFds();
        }
        dropRecipientsDeniedByPolicy(sender, m, false);
        int delivered = multicast(sender, out);
        stats.broadcast(out.size(), delivered);
        if (!monitors.isEmpty()) {
            toMonitors(m, sender.uniqueName, out, null);
        }
        out.release();
    }

    /** A message with no reachable addressee: eavesdroppers and monitors still see it. */
    private void deliverUnaddressed(BusConnection sender, DBusMessage m, int[] fds) {
        if (eavesdropRules == 0 && monitors.isEmpty()) {
            closeFds(fds, fds.length);
            return;
        }
        BusMessage out = stitch(sender, m, fds);
        if (out == null) {
            closeFds(fds, fds.length);
            return;
        }
        observers(sender, m, out, null);
        out.release();
    }

    /** Eavesdropping match rules and monitors of a unicast message. */
    private void observers(BusConnection sender, DBusMessage m, BusMessage out, BusConnection target) {
        if (eavesdropRules > 0) {
            recipientCount = 0;
            matches.collectRecipients(view.of(m, sender.uniqueName), target, names, collector);
            if (recipientCount > 0) {
                if (out.fds.length > 0) {
                    dropRecipientsWithoutFds();
                }
                dropRecipientsDeniedByPolicy(sender, m, true);
                multicast(sender, out);
            }
        }
        if (!monitors.isEmpty()) {
            toMonitors(m, sender.uniqueName, out, target);
        }
    }

    private void addRecipient(BusConnection c) {
        if (!c.isActive() || c.state == BusConnection.State.MONITOR) {
            return;
        }
        if (recipientCount == recipients.length) {
            recipients = java.util.Arrays.copyOf(recipients, recipientCount * 2);
        }
        recipients[recipientCount++] = c;
    }

    /** Keeps the recipients the sender may send to and that may receive the message ({@code eavesdropping} copies). */
    private void dropRecipientsDeniedByPolicy(BusConnection sender, DBusMessage m, boolean eavesdropping) {
        if (recipientCount == 0) {
            return;
        }
        boolean reply = m.type() == MessageType.METHOD_RETURN || m.type() == MessageType.ERROR;
        int n = 0;
        for (int i = 0; i < recipientCount; i++) {
            if (policyDenial(sender, recipients[i], m, reply, eavesdropping) == null) {
                recipients[n++] = recipients[i];
            }
        }
        for (int i = n; i < recipientCount; i++) {
            recipients[i] = null;
        }
        recipientCount = n;
    }

    private void dropRecipientsWithoutFds() {
        int n = 0;
        for (int i = 0; i < recipientCount; i++) {
            if (recipients[i].fdsEnabled) {
                recipients[n++] = recipients[i];
            }
        }
        for (int i = n; i < recipientCount; i++) {
            recipients[i] = null;
        }
        recipientCount = n;
    }

    private int multicast(BusConnection sender, BusMessage out) {
        int n = recipientCount;
        if (n == 0) {
            return 0;
        }
        if (handleScratch.length < n) {
            handleScratch = new Handle[Math.max(n, handleScratch.length * 2)];
            resultScratch = new int[handleScratch.length];
        }
        int delivered = mapping.multicast(sender == null ? mapping.driverPeer() : sender.peer(), recipients, n, out,
                handleScratch, resultScratch);
        if (delivered < n) {
            stats.quotaRejected(QuotaResource.QUEUE);
        }
        for (int i = 0; i < n; i++) {
            recipients[i] = null;
        }
        recipientCount = 0;
        return delivered;
    }

    /**
     * Every monitor whose rules match gets a copy, sent by the driver (monitors are read-only peers); a monitor
     * that is itself the addressee ({@code except}) already has it.
     */
    private void toMonitors(DBusMessage m, String senderName, BusMessage out, BusConnection except) {
        view.of(m, senderName);
        int n = 0;
        for (BusConnection mon : monitors) {
            if (mon == except) {
                continue;
            }
            List<MatchRule> rules = monitorRules.get(mon);
            boolean match = rules == null || rules.isEmpty();
            if (!match) {
                for (MatchRule r : rules) {
                    if (r.matches(view, m.destination(), names)) {
                        match = true;
                        break;
                    }
                }
            }
            if (match && (out.fds.length == 0 || mon.fdsEnabled)) {
                if (recipients.length <= recipientCount + n) {
                    recipients = java.util.Arrays.copyOf(recipients, (recipientCount + n + 1) * 2);
                }
                recipients[n++] = mon;
            }
        }
        recipientCount = n;
        multicast(null, out);
    }

    /** Shows monitors the Hello of a connection that has just got its unique name. */
    public void monitorHello(BusConnection c, DBusMessage hello) {
        if (monitors.isEmpty()) {
            return;
        }
        BusMessage copy = stitch(c, hello, BusMessage.NO_FDS);
        if (copy != null) {
            toMonitors(hello, c.uniqueName, copy, null);
            copy.release();
        }
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
                toMonitors(parsed, DRIVER_NAME, out, target);
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
        recipientCount = 0;
        matches.collectRecipients(view.of(parsed, DRIVER_NAME), null, names, collector);
        int delivered = multicast(null, out);
        stats.broadcast(out.size(), delivered);
        if (!monitors.isEmpty()) {
            toMonitors(parsed, DRIVER_NAME, out, null);
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
        ReplyEndpoint<BusConnection> endpoint = endpoints.remove(c);
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
