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

    // --- live upgrade --------------------------------------------------------------------------------------------

    /**
     * The graph {@code carried} peers hold, for the core of the next process ({@link CoreImage}): their handles and
     * every node those point to, owners named by their index in {@code peers} ({@code carried} must be among them).
     *
     * @throws IllegalStateException    if a carried peer has events queued (its owner must drain it first) or is
     *                                  disconnected
     * @throws IllegalArgumentException if a node that is not destroyed has an owner not in {@code peers}
     */
    public CoreImage exportImage(List<Peer> peers, List<Peer> carried) {
        java.util.IdentityHashMap<Peer, Integer> peerIndex = new java.util.IdentityHashMap<>();
        for (int i = 0; i < peers.size(); i++) {
            peerIndex.put(peers.get(i), i);
        }
        java.util.IdentityHashMap<Node, Integer> nodeIndex = new java.util.IdentityHashMap<>();
        List<CoreImage.NodeImage> nodes = new java.util.ArrayList<>();
        List<CoreImage.PeerImage> images = new java.util.ArrayList<>();
        for (Peer p : carried) {
            Integer index = peerIndex.get(p);
            if (index == null) {
                throw new IllegalArgumentException(p + " is carried but not in the peer list");
            }
            if (!p.connected || !p.queue().isEmpty()) {
                throw new IllegalStateException(p + (p.connected ? " has " + p.queuedCount() + " events queued"
                        : " is disconnected"));
            }
            List<CoreImage.HandleImage> handles = new java.util.ArrayList<>();
            for (Handle h : p.handlesById()) {
                if (h.pending != 0) {
                    throw new IllegalStateException(h + " has references in flight");
                }
                Integer n = nodeIndex.get(h.node);
                if (n == null) {
                    Node node = h.node;
                    Integer owner = node.owner.connected ? peerIndex.get(node.owner) : null;
                    if (owner == null && !node.destroyed) {
                        throw new IllegalArgumentException(node + " is not destroyed and its owner is not listed");
                    }
                    n = nodes.size();
                    nodeIndex.put(node, n);
                    nodes.add(new CoreImage.NodeImage(owner == null ? CoreImage.OWNER_GONE : owner, node.destroyed,
                            node.tag()));
                }
                handles.add(new CoreImage.HandleImage(h.id, n, h.count));
            }
            images.add(new CoreImage.PeerImage(index, p.nextHandleId(), List.copyOf(handles)));
        }
        return new CoreImage(sequence, List.copyOf(nodes), List.copyOf(images));
    }

    /**
     * Rebuilds what {@code image} describes over {@code peers} (the same list, by index, that the previous core's
     * export was given, now of this core): the sequence continues from the image's, each node is the one
     * {@code existing} gives for its index or else a new node of its owner with the image's tag (destroyed if it
     * was; a node without owner gets a departed one), and each carried peer gets its handles with their ids and
     * counts. Commits nothing and queues nothing. Loop thread, before the peers are used.
     *
     * @throws IllegalArgumentException if the image does not fit the peers (an index out of range, a handle id or
     *                                  node a peer already holds, a live node without owner or owner handle)
     */
    public void importImage(CoreImage image, List<Peer> peers, java.util.function.IntFunction<Node> existing) {
        sequence = Math.max(sequence, image.sequence());
        Node[] nodes = new Node[image.nodes().size()];
        boolean[] created = new boolean[nodes.length];
        Peer departed = null;
        for (int i = 0; i < nodes.length; i++) {
            Node bound = existing.apply(i);
            if (bound != null) {
                nodes[i] = bound;
                continue;
            }
            CoreImage.NodeImage n = image.nodes().get(i);
            Peer owner;
            if (n.owner() == CoreImage.OWNER_GONE) {
                if (!n.destroyed()) {
                    throw new IllegalArgumentException("node " + i + " is not destroyed and has no owner");
                }
                if (departed == null) {
                    // Any user: it never holds a handle nor a charge.
                    departed = Peer.departed(this, peers.isEmpty() ? user(-1) : peers.get(0).user());
                }
                owner = departed;
            } else {
                owner = peer(peers, n.owner());
            }
            Node node = new Node(nextNodeId++, owner, n.tag());
            node.destroyed = n.destroyed();
            if (!n.destroyed()) {
                nodeCount++;
            }
            nodes[i] = node;
            created[i] = true;
        }
        for (CoreImage.PeerImage p : image.peers()) {
            Peer peer = peer(peers, p.peer());
            for (CoreImage.HandleImage h : p.handles()) {
                if (h.node() < 0 || h.node() >= nodes.length || h.count() < 1 || h.id() < 1) {
                    throw new IllegalArgumentException("handle " + h + " of peer " + p.peer());
                }
                Node node = nodes[h.node()];
                if (peer.handle(h.id()) != null || peer.handleTo(node) != null) {
                    throw new IllegalArgumentException("peer " + p.peer() + " already holds handle " + h.id()
                            + " or its node");
                }
                Handle handle = peer.importHandle(h.id(), node, h.count(), p.nextHandleId());
                if (node.owner == peer && node.ownerHandle == null) {
                    node.ownerHandle = handle;
                }
            }
        }
        for (int i = 0; i < nodes.length; i++) {
            if (created[i] && !nodes[i].destroyed && nodes[i].ownerHandle == null) {
                throw new IllegalArgumentException("node " + i + " is not destroyed and its owner holds no handle");
            }
        }
    }

    private static Peer peer(List<Peer> peers, int index) {
        if (index < 0 || index >= peers.size()) {
            throw new IllegalArgumentException("peer index " + index + " of " + peers.size());
        }
        return peers.get(index);
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
