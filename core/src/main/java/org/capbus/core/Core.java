package org.capbus.core;

import java.util.HashMap;
import java.util.List;

/**
 * The capability core: the universe of peers, nodes, handles and users of one bus.
 *
 * <p>Threading: a core is driven by exactly one thread (the bus's event-loop thread). No method is thread-safe;
 * there are no locks. Because one thread commits every transaction, a single global sequence number orders all
 * events (messages and notifications): every event gets the next sequence number when its transaction commits,
 * and every queue is in sequence order, which gives bus1's global order and causality.
 *
 * <h2>Order</h2>
 * Every transaction that changes what peers can observe (a send that delivers at least one copy, a grant, a node's
 * destruction, the release of a handle's last reference, a disconnect) takes {@code ++sequence} when it commits, and
 * every event it queues carries that number; a failed send takes none. Queues are FIFO and commits are serial, so
 * every queue is in non-decreasing sequence order. Hence:
 * <ul>
 *   <li>two events received by two peers are received in the same relative order by both (their sequence order);</li>
 *   <li>causality: a peer sends only after it received, so what it sends is ordered after what it received;</li>
 *   <li>a node's {@code NodeDestroyed} is ordered after every message queued for it or carrying a handle to it, and
 *       nothing is sent through it afterwards, since later sends fail.</li>
 * </ul>
 * bus1 needs per-queue Lamport clocks and staged timestamps for this because its peers commit concurrently; here one
 * counter suffices.
 *
 * <h2>Accounting</h2>
 * A queued message is charged to its receiving peer's account ({@code peerLimits}) and to the receiving user's
 * account ({@code userLimits}), on behalf of the sending user, and the charge is returned when it is drained or
 * discarded; see {@link Account} for the fair-share rule. Notifications are not charged (a node produces at most
 * one {@code NodeDestroyed} per holder and one {@code NodeReleased} per release of its last foreign handle).
 */
public final class Core {
    private final Limits userLimits;
    private final Limits peerLimits;
    private final HashMap<Long, User> users = new HashMap<>();
    private long sequence;
    private long nextPeerId = 1;
    private long nextNodeId = 1;
    private DiscardListener discardListener;
    /** Connected peers, nodes not destroyed, and handles held by connected peers: what must return to its level. */
    int peerCount;
    long nodeCount;
    long handleCount;

    /** Peers whose queue became non-empty in the current transaction, told after it commits. */
    private Peer[] ready = new Peer[16];
    private int readyCount;
    private boolean flushing;

    /** Per-destination scratch of a send in progress (never used across a listener call). */
    int[] stageCodes = new int[16];
    Usage[] stagePeerUsages = new Usage[16];
    Usage[] stageUserUsages = new Usage[16];

    /** Creates a core whose users get {@code userLimits} and whose peers get {@code peerLimits}. */
    public Core(Limits userLimits, Limits peerLimits) {
        this.userLimits = userLimits;
        this.peerLimits = peerLimits;
    }

    /** The budget of each user's account. */
    public Limits userLimits() {
        return userLimits;
    }

    /** The budget of each peer's account. */
    public Limits peerLimits() {
        return peerLimits;
    }

    /** The accounting principal for {@code uid}, created on first use. */
    public User user(long uid) {
        User u = users.get(uid);
        if (u == null) {
            u = new User(this, uid, users.size(), userLimits);
            users.put(uid, u);
        }
        return u;
    }

    /**
     * Creates a peer of {@code user}. The listener (may be null) is told when its queue becomes non-empty.
     *
     * @throws IllegalArgumentException if {@code user} belongs to another core (a programming error)
     */
    public Peer createPeer(User user, QueueListener listener) {
        if (user.core != this) {
            throw new IllegalArgumentException("user of another core: " + user);
        }
        peerCount++;
        return new Peer(this, nextPeerId++, user, listener, peerLimits, false);
    }

    /**
     * Creates the peer of the bus itself (a D-Bus bus's driver): messages to it are never refused for quota and not
     * charged to its user's account, so that no user filling its account (the bus's user included) can stop the bus
     * from hearing requests; its own sends are checked against each receiving peer's budget only, not the receiver's
     * user's, so that it can answer a peer whatever that peer's user's other peers hold. Its owner must drain its
     * queue promptly: nothing else bounds it.
     */
    public Peer createQuotaExemptPeer(User user, QueueListener listener) {
        if (user.core != this) {
            throw new IllegalArgumentException("user of another core: " + user);
        }
        peerCount++;
        return new Peer(this, nextPeerId++, user, listener, peerLimits, true);
    }

    /** Called for every queued message dropped without being received (its receiver disconnected). */
    public void setDiscardListener(DiscardListener listener) {
        this.discardListener = listener;
    }

    /** Every user this core has accounted for (users are never removed): their accounts, for statistics. */
    public java.util.Collection<User> users() {
        return java.util.Collections.unmodifiableCollection(users.values());
    }

    /** Peers created and not yet disconnected. */
    public int peerCount() {
        return peerCount;
    }

    /** Nodes created and not yet destroyed. */
    public long nodeCount() {
        return nodeCount;
    }

    /** Distinct handles held by connected peers (a handle with several references counts once). */
    public long handleCount() {
        return handleCount;
    }

    /** The sequence number of the last committed event. */
    public long lastSequence() {
        return sequence;
    }

    // --- for peers --------------------------------------------------------------------------------------------

    long commit() {
        return ++sequence;
    }

    long nextNodeId() {
        return nextNodeId++;
    }

    void ensureStage(int count) {
        if (stageCodes.length < count) {
            int n = Math.max(count, stageCodes.length * 2);
            stageCodes = new int[n];
            stagePeerUsages = new Usage[n];
            stageUserUsages = new Usage[n];
        }
    }

    void queueReady(Peer peer) {
        if (peer.listener() == null) {
            return;
        }
        if (readyCount == ready.length) {
            ready = java.util.Arrays.copyOf(ready, readyCount * 2);
        }
        ready[readyCount++] = peer;
    }

    /**
     * Tells listeners of the queues the committed transaction made non-empty. A listener may start a transaction
     * of its own; peers that one makes ready are told by this same loop, in order.
     */
    void flushReady() {
        if (flushing || readyCount == 0) {
            return;
        }
        flushing = true;
        try {
            for (int i = 0; i < readyCount; i++) {
                Peer p = ready[i];
                ready[i] = null;
                p.listener().onQueueReady(p);
            }
        } finally {
            readyCount = 0;
            flushing = false;
        }
    }

    void discarded(Peer receiver, List<Message> messages) {
        DiscardListener l = discardListener;
        if (l != null) {
            for (Message m : messages) {
                l.onDiscard(receiver, m);
            }
        }
    }
}
