package org.capbus.dbus.broker;

import java.util.HashMap;
import java.util.Map;

import org.capbus.core.Limits;
import org.capbus.core.Peer;
import org.capbus.core.User;
import org.capbus.dbus.broker.connection.BusConnection;

/**
 * The bus's gauges at one moment: values that need a walk over loop-owned collections (connections, users, the
 * core's queues), which a metrics scrape must never do itself. {@link #capture} runs on the event-loop thread, every
 * few seconds, and the immutable result is published to scrapers (through a volatile field of the metrics adapter).
 *
 * @param capturedAtNanos         {@link System#nanoTime()} at capture
 * @param authenticating          connections still in SASL authentication
 * @param awaitingHello           authenticated connections that have not sent {@code Hello}
 * @param active                  connections with a unique name (not monitors)
 * @param monitors                connections that became monitors
 * @param peersByUid              open connections by the uid of their credentials (bounded by the users of the
 *                                machine; never by connection)
 * @param wellKnownNames          well-known names that have an owner
 * @param matchRules              match rules of every connection
 * @param matchRulesWithoutSender match rules without a {@code sender} key: every broadcast is checked against them
 * @param pendingReplies          method calls awaiting a reply (reply slots)
 * @param queuedMessages          messages queued in the core for connections
 * @param queuedBytes             bytes of those messages
 * @param queuedHandles           handles carried by those messages
 * @param queuedFds               file descriptors carried by those messages
 * @param handles                 handles held by the connections' peers
 * @param userQuotaMaxRatio       per resource (bytes, messages, handles, fds, in this order), the highest fraction
 *                                of the per-user limit that any one user has queued
 */
public record BusSnapshot(long capturedAtNanos, int authenticating, int awaitingHello, int active, int monitors,
                          Map<Long, Integer> peersByUid, int wellKnownNames, int matchRules,
                          int matchRulesWithoutSender, int pendingReplies, long queuedMessages, long queuedBytes,
                          long queuedHandles, long queuedFds, long handles, double[] userQuotaMaxRatio) {

    /** The quota resources of {@link #userQuotaMaxRatio}, as metric labels, in index order. */
    public static final String[] QUOTA_RESOURCES = {"bytes", "messages", "handles", "fds"};

    /** Nothing captured yet: every gauge zero. */
    public static final BusSnapshot EMPTY = new BusSnapshot(0, 0, 0, 0, 0, Map.of(), 0, 0, 0, 0, 0, 0, 0, 0, 0,
            new double[QUOTA_RESOURCES.length]);

    public BusSnapshot {
        peersByUid = Map.copyOf(peersByUid);
        userQuotaMaxRatio = userQuotaMaxRatio.clone();
    }

    /** Open connections, in any state. */
    public int connections() {
        return authenticating + awaitingHello + active + monitors;
    }

    /** A copy of the per-resource maxima. */
    @Override
    public double[] userQuotaMaxRatio() {
        return userQuotaMaxRatio.clone();
    }

    /** The highest fraction of its per-user limit of {@code QUOTA_RESOURCES[resource]} that one user has queued. */
    public double userQuotaMaxRatio(int resource) {
        return userQuotaMaxRatio[resource];
    }

    /** Walks the bus's state. Event-loop thread only; O(connections). */
    public static BusSnapshot capture(Bus bus) {
        int authenticating = 0;
        int awaitingHello = 0;
        int active = 0;
        int monitors = 0;
        Map<Long, Integer> peersByUid = new HashMap<>();
        Map<User, Boolean> users = new HashMap<>();
        long queuedMessages = 0;
        long queuedBytes = 0;
        long handles = 0;
        for (BusConnection c : bus.state().connections()) {
            switch (c.state()) {
                case AUTHENTICATING -> authenticating++;
                case AWAITING_HELLO -> awaitingHello++;
                case ACTIVE -> active++;
                case MONITOR -> monitors++;
                case CLOSED -> {
                    continue;
                }
            }
            peersByUid.merge(c.credentials().uid(), 1, Integer::sum);
            Peer p = c.peer();
            users.put(p.user(), Boolean.TRUE);
            queuedMessages += p.chargedMessages();
            queuedBytes += p.chargedBytes();
            handles += p.handleCount();
        }
        // Queued handles and fds are only accounted per user; sum the users of open connections.
        long queuedHandles = 0;
        long queuedFds = 0;
        double[] ratio = new double[QUOTA_RESOURCES.length];
        Limits limits = bus.core().userLimits();
        for (User u : users.keySet()) {
            queuedHandles += u.chargedHandles();
            queuedFds += u.chargedFds();
            ratio[0] = Math.max(ratio[0], fraction(u.chargedBytes(), limits.bytes()));
            ratio[1] = Math.max(ratio[1], fraction(u.chargedMessages(), limits.messages()));
            ratio[2] = Math.max(ratio[2], fraction(u.chargedHandles(), limits.handles()));
            ratio[3] = Math.max(ratio[3], fraction(u.chargedFds(), limits.fds()));
        }
        return new BusSnapshot(System.nanoTime(), authenticating, awaitingHello, active, monitors, peersByUid,
                bus.state().names().names().size(), bus.state().matches().totalRules(),
                bus.state().matches().rulesWithoutSender(), bus.state().replies().size(), queuedMessages, queuedBytes,
                queuedHandles, queuedFds, handles, ratio);
    }

    private static double fraction(long used, long limit) {
        return limit <= 0 ? 0 : (double) used / limit;
    }
}
