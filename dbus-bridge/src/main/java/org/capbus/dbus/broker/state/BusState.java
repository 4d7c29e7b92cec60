package org.capbus.dbus.broker.state;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.capbus.dbus.broker.connection.BusConnection;
import org.capbus.dbus.bus.MatchIndex;
import org.capbus.dbus.bus.MatchRule;
import org.capbus.dbus.bus.NameOwnerChange;
import org.capbus.dbus.bus.NameRegistry;
import org.capbus.dbus.bus.ReplyEndpoint;
import org.capbus.dbus.bus.ReplyTracker;

/**
 * The state of the bus as D-Bus sees it: the open connections, the unique names of the registered ones, the
 * well-known name registry, the match index, the reply slots and the monitors, with the operations that change
 * them together. It sends nothing: an operation whose effect others must hear about returns what happened (a
 * {@link Goodbye}, name changes), and the caller hands that to the outbox. This keeps one place where a departure
 * is worked out ({@link #goodbye}), for a disconnect, BecomeMonitor and shutdown alike.
 *
 * <p>Owned by the composition root; read and changed by routing and the driver. Event-loop thread only.
 */
public final class BusState {
    private final NameRegistry<BusConnection> names = new NameRegistry<>();
    private final MatchIndex<BusConnection> matches = new MatchIndex<>();
    private final ReplyTracker<BusConnection> replies;
    private final Map<String, BusConnection> byUniqueName = new HashMap<>();
    /** Registered (non-monitor) connections per uid, for max_connections_per_user. */
    private final Map<Long, Integer> registeredPerUid = new HashMap<>();
    private final Set<BusConnection> connections = new LinkedHashSet<>();
    /**
     * Connections that have not completed Hello, oldest first: dbus-daemon's incomplete connections, which
     * max_incomplete_connections and auth_timeout bound.
     */
    private final Set<BusConnection> incomplete = new LinkedHashSet<>();
    private final List<BusConnection> monitors = new ArrayList<>();
    private final Map<BusConnection, List<MatchRule>> monitorRules = new HashMap<>();
    /** Match rules with eavesdrop='true': while there are none, unicast messages need no observer lookup. */
    private int eavesdropRules;
    /** Match rules of all monitors, counted as dbus-daemon counts them (see {@link #monitorRuleCount}). */
    private int monitorMatchRules;
    /** dbus-daemon numbers unique names from :1.0 (GLib's tests expect the second connection to be :1.1). */
    private long nextUniqueId = 0;
    private final BusPeaks peaks = new BusPeaks();
    private final Activations activations;

    /**
     * An empty bus whose connections may each wait for at most {@code maxRepliesPerConnection} replies, each for at
     * most {@code replyTimeoutNanos} (-1: for ever, dbus-daemon's default).
     */
    public BusState(int maxRepliesPerConnection, long replyTimeoutNanos) {
        this(maxRepliesPerConnection, replyTimeoutNanos, null);
    }

    /** As {@link #BusState(int, long)}, with the state of service activation ({@code activations}, may be null). */
    public BusState(int maxRepliesPerConnection, long replyTimeoutNanos, Activations activations) {
        this.replies = new ReplyTracker<>(maxRepliesPerConnection, replyTimeoutNanos);
        this.activations = activations;
    }

    /** Service activation: the catalog, the environment and the activations under way; null if not set up. */
    public Activations activations() {
        return activations;
    }

    public NameRegistry<BusConnection> names() {
        return names;
    }

    public MatchIndex<BusConnection> matches() {
        return matches;
    }

    public ReplyTracker<BusConnection> replies() {
        return replies;
    }

    /** Every open connection, authenticated or not, in the order they came. */
    public Set<BusConnection> connections() {
        return connections;
    }

    /** Connections that completed Hello and are neither monitors nor closed, by unique name. */
    public Map<String, BusConnection> connectionsByUniqueName() {
        return byUniqueName;
    }

    public List<BusConnection> monitors() {
        return monitors;
    }

    /** The (eavesdropping) match rules of monitor {@code c}; empty means every message. */
    public List<MatchRule> monitorRules(BusConnection c) {
        return monitorRules.get(c);
    }

    /** How many match rules of registered connections have eavesdrop='true'. */
    public int eavesdropRules() {
        return eavesdropRules;
    }

    /** The bus-wide high-water marks of Debug.Stats. */
    public BusPeaks peaks() {
        return peaks;
    }

    // ---- names ----

    /** The connection a unique or well-known name stands for now (monitors included), or null. */
    public BusConnection resolve(String name) {
        if (name.isEmpty()) {
            return null;
        }
        if (name.charAt(0) == ':') {
            return byUniqueName.get(name);
        }
        return names.primaryOwner(name);
    }

    /** The registered connection a unique or well-known name stands for now, or null. */
    public BusConnection resolveRegistered(String name) {
        BusConnection c = resolve(name);
        return c != null && c.isRegistered() ? c : null;
    }

    // ---- connections ----

    /** Adds a connection that was accepted. */
    public void add(BusConnection c) {
        connections.add(c);
        incomplete.add(c);
    }

    /** How many connections have not completed Hello. */
    public int incompleteCount() {
        return incomplete.size();
    }

    /**
     * The incomplete connection to drop when there are too many: the oldest of the uid that has the most (null if
     * there is none). dbus-daemon stops accepting instead until one completes or times out, which lets one user's
     * crowd of silent connections keep every other user out; here the crowd pays for itself.
     */
    public BusConnection oldestIncompleteOfBusiestUser() {
        Map<Long, Integer> perUid = new HashMap<>();
        long busiest = -1;
        int most = 0;
        for (BusConnection c : incomplete) {
            long uid = c.credentials().uid();
            int n = perUid.merge(uid, 1, Integer::sum);
            if (n > most) {
                most = n;
                busiest = uid;
            }
        }
        for (BusConnection c : incomplete) {
            if (c.credentials().uid() == busiest) {
                return c;
            }
        }
        return null;
    }

    /** The connection completed Hello: gives it its unique name and its reply endpoint; returns the name. */
    public String register(BusConnection c) {
        // No longer incomplete: auth_timeout is over for it.
        c.cancelAuthTimeout();
        String name = ":1." + nextUniqueId++;
        incomplete.remove(c);
        c.assignUniqueName(name);
        byUniqueName.put(name, c);
        registeredPerUid.merge(c.credentials().uid(), 1, Integer::sum);
        c.setReplyEndpoint(replies.register(c));
        busNamesGrew(c);
        return name;
    }

    /** The number the next unique name gets ({@code :1.N}); never reused. */
    public long nextUniqueId() {
        return nextUniqueId;
    }

    /** Continues the unique-name counter of a bus this one takes over from (live upgrade). */
    public void continueUniqueIds(long next) {
        this.nextUniqueId = next;
    }

    /**
     * Registers a connection taken over from the previous process under the unique name it had there (live
     * upgrade): as {@link #register}, without drawing a new name.
     */
    public void restoreRegistered(BusConnection c, String name) {
        c.assignUniqueName(name);
        byUniqueName.put(name, c);
        registeredPerUid.merge(c.credentials().uid(), 1, Integer::sum);
        c.setReplyEndpoint(replies.register(c));
        busNamesGrew(c);
    }

    /** Restores a monitor taken over from the previous process (live upgrade), with its unique name and rules. */
    public void restoreMonitor(BusConnection c, String name, List<MatchRule> rules) {
        c.assignUniqueName(name);
        c.becomeMonitor();
        monitors.add(c);
        monitorRules.put(c, new ArrayList<>(rules));
        int n = monitorRuleCount(rules);
        monitorMatchRules += n;
        c.matchRulesNow(n);
    }

    /** How many registered connections user {@code uid} has. */
    public int registeredConnections(long uid) {
        return registeredPerUid.getOrDefault(uid, 0);
    }

    /**
     * Removes a connection that closed (its state already CLOSED) and everything it had: its match rules, its reply
     * slots, its names, its unique name. Returns what its departure causes, for the outbox to send.
     */
    public Goodbye goodbye(BusConnection c) {
        boolean wasRegistered = c.uniqueName() != null && byUniqueName.get(c.uniqueName()) == c;
        connections.remove(c);
        incomplete.remove(c);
        if (monitors.remove(c)) {
            monitorMatchRules -= monitorRuleCount(monitorRules.remove(c));
        }
        if (!wasRegistered) {
            return new Goodbye(c, null, List.of(), List.of());
        }
        return unregister(c);
    }

    /**
     * Turns {@code c} into a monitor (BecomeMonitor): like a departure, it loses its names, match
     * rules and reply slots and its unique name leaves the bus, as in dbus-daemon; from now on it only receives.
     * Returns what that causes, for the outbox to send.
     */
    public Goodbye becomeMonitor(BusConnection c) {
        Goodbye goodbye = unregister(c);
        c.becomeMonitor();
        return goodbye;
    }

    /**
     * The new monitor {@code c} starts to see traffic selected by {@code rules}: after the outbox sent what
     * {@link #becomeMonitor} caused, which dbus-daemon does not show the new monitor (it happened before).
     */
    public void startMonitoring(BusConnection c, List<MatchRule> rules) {
        List<MatchRule> eavesdropping = new ArrayList<>(rules.size());
        for (MatchRule r : rules) {
            eavesdropping.add(r.withEavesdrop(true));
        }
        monitors.add(c);
        monitorRules.put(c, eavesdropping);
        int n = monitorRuleCount(eavesdropping);
        monitorMatchRules += n;
        c.matchRulesNow(n);
        peaks.matchRules(n, totalMatchRules());
    }

    private Goodbye unregister(BusConnection c) {
        eavesdropRules -= countEavesdrop(matches.rulesOf(c));
        matches.removeAll(c);
        List<OwedReply> owed = List.of();
        ReplyEndpoint<BusConnection> endpoint = c.replyEndpoint();
        c.setReplyEndpoint(null);
        if (endpoint != null) {
            List<OwedReply> list = new ArrayList<>();
            replies.disconnect(endpoint, (caller, serial, callee) ->
                    list.add(new OwedReply(caller, serial & 0xFFFFFFFFL)));
            owed = list;
        }
        List<NameOwnerChange<BusConnection>> changes = names.removeOwner(c);
        byUniqueName.remove(c.uniqueName());
        registeredPerUid.computeIfPresent(c.credentials().uid(), (uid, n) -> n == 1 ? null : n - 1);
        return new Goodbye(c, c.uniqueName(), owed, changes);
    }

    // ---- match rules ----

    /** Adds a match rule for {@code c}. */
    public void addMatch(BusConnection c, MatchRule rule) {
        matches.add(c, rule);
        if (rule.eavesdrop()) {
            eavesdropRules++;
        }
        int n = matches.ruleCount(c);
        c.matchRulesNow(n);
        peaks.matchRules(n, totalMatchRules());
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

    /** What a monitor's rules count for: dbus-daemon gives a monitor with no rules one rule that matches all. */
    private static int monitorRuleCount(List<MatchRule> rules) {
        return Math.max(1, rules.size());
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

    /** Raises the high-water marks after {@code c} gained a bus name (Hello, RequestName). */
    public void busNamesGrew(BusConnection c) {
        int n = busNameCount(c);
        c.busNamesNow(n);
        peaks.busNames(n, totalBusNames());
    }
}
