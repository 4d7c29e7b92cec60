package org.capbus.core;

import java.util.ArrayList;

/**
 * An endpoint with one incoming queue, belonging to a user. It is never addressed directly: others reach it only
 * through handles to nodes it owns.
 *
 * <p>Every operation is one transaction of the {@link Core}: it either fails and changes nothing, or commits under
 * the next global sequence number. Queue-ready listeners run after the commit, so a listener that sends starts a
 * new, later transaction.
 *
 * <p>Created by {@link Core#createPeer}; event-loop thread only.
 */
public final class Peer {
    /** The transferred array of a message that carries no handles. */
    private static final Handle[] NO_HANDLES = Message.NO_HANDLES;
    /** Transfer arrays of up to this length are reused between deliveries. */
    private static final int MAX_REUSED_TRANSFER_ARRAY = 16;

    final Core core;
    private final long id;
    private final User user;
    private final QueueListener listener;
    final Account account;
    /**
     * The bus's own peer (see {@link Core#createQuotaExemptPeer}): what is sent to it is never refused nor charged to
     * its user, and what it sends is checked against the receiving peer's budget only.
     */
    final boolean quotaExempt;
    private final Queue queue = new Queue();
    private final HandleTable handlesById = new HandleTable(false);
    private final HandleTable handlesByNode = new HandleTable(true);
    private long nextHandleId = 1;
    boolean connected = true;

    private final Handle[][] transferArrays = new Handle[MAX_REUSED_TRANSFER_ARRAY + 1][];
    private int drainDepth;
    /** Which budget the last send refused for a quota ran out of; see {@link #lastQuota()}. */
    private int lastQuota = SendResult.QUOTA_NONE;

    Peer(Core core, long id, User user, QueueListener listener, Limits limits, boolean quotaExempt) {
        this.core = core;
        this.id = id;
        this.user = user;
        this.listener = listener;
        this.quotaExempt = quotaExempt;
        // An exempt peer's queue is not part of its user's account, so it is no holder of the user's peer share.
        this.account = new Account(user, limits, !quotaExempt);
    }

    public long id() {
        return id;
    }

    public User user() {
        return user;
    }

    /** Creates a node owned by this peer, and returns this peer's handle to it; null if this peer is disconnected. */
    public Handle createNode(Object tag) {
        if (!connected) {
            return null;
        }
        Node node = new Node(core.nextNodeId(), this, tag);
        core.nodeCount++;
        Handle h = acquire(node);
        node.ownerHandle = h;
        return h;
    }

    /**
     * Unicast send; returns a {@link SendResult} code. A failed send changes nothing.
     *
     * <p>{@code destination} must be a valid handle of this peer, and so must every handle the message carries.
     */
    public int send(Handle destination, Message message) {
        if (!connected) {
            return SendResult.DISCONNECTED;
        }
        int code = checkTransfers(message);
        if (code != SendResult.OK) {
            return code;
        }
        Core c = core;
        code = stage(destination, message, c.stagePeerUsages, c.stageUserUsages, 0);
        if (code != SendResult.OK) {
            return code;
        }
        long sequence = c.commit();
        Node node = destination.node;
        node.owner.enqueueMessage(sequence, node.ownerHandle, message, c.stagePeerUsages[0], c.stageUserUsages[0]);
        c.flushReady();
        return SendResult.OK;
    }

    /**
     * Multicast send to {@code destinations[0..count)} as one transaction. Without
     * {@link SendResult#CONTINUE_ON_ERROR}: all or nothing, returns the first failure's code. With it: each
     * destination's code goes to {@code results[i]} (may be null), returns OK if all succeeded, else the first failure.
     *
     * <p>Every copy is queued under the same sequence number. A destination listed twice receives two copies.
     * {@code results} is written only with {@code CONTINUE_ON_ERROR}. A message error (a carried handle that is not
     * this peer's) or a disconnected sender fails every destination.
     */
    public int send(Handle[] destinations, int count, Message message, int flags, int[] results) {
        boolean eachOnItsOwn = (flags & SendResult.CONTINUE_ON_ERROR) != 0;
        int code = connected ? checkTransfers(message) : SendResult.DISCONNECTED;
        if (code != SendResult.OK) {
            if (eachOnItsOwn && results != null) {
                java.util.Arrays.fill(results, 0, count, code);
            }
            return code;
        }
        Core c = core;
        c.ensureStage(count);
        int[] codes = c.stageCodes;
        Usage[] peerUsages = c.stagePeerUsages;
        Usage[] userUsages = c.stageUserUsages;
        if (eachOnItsOwn) {
            return sendEachOnItsOwn(c, destinations, count, message, results, codes, peerUsages, userUsages);
        }
        // All or nothing: every destination is staged first; the first that cannot take the message undoes the
        // others and fails the send.
        for (int i = 0; i < count; i++) {
            code = stage(destinations[i], message, peerUsages, userUsages, i);
            codes[i] = code;
            if (code != SendResult.OK) {
                unstage(message, codes, peerUsages, userUsages, i);
                return code;
            }
        }
        if (count > 0) {
            long sequence = c.commit();
            for (int i = 0; i < count; i++) {
                Node node = destinations[i].node;
                node.owner.enqueueMessage(sequence, node.ownerHandle, message, peerUsages[i], userUsages[i]);
            }
        }
        c.flushReady();
        return SendResult.OK;
    }

    /**
     * The continue-on-error multicast in one pass: each destination is staged and, if it can take the message,
     * queued at once under the sequence number the transaction will commit with. Nothing runs between the first
     * queued copy and the commit (listeners are told after it), so no one can observe the number before it is
     * taken; a send that queues nothing takes none.
     */
    private int sendEachOnItsOwn(Core c, Handle[] destinations, int count, Message message, int[] results, int[] codes,
                                 Usage[] peerUsages, Usage[] userUsages) {
        long sequence = c.lastSequence() + 1;
        int first = SendResult.OK;
        int firstQuota = SendResult.QUOTA_NONE;
        int staged = 0;
        for (int i = 0; i < count; i++) {
            int code = stage(destinations[i], message, peerUsages, userUsages, i);
            codes[i] = code;
            if (code == SendResult.OK) {
                staged++;
                Node node = destinations[i].node;
                node.owner.enqueueMessage(sequence, node.ownerHandle, message, peerUsages[i], userUsages[i]);
            } else if (first == SendResult.OK) {
                first = code;
                firstQuota = lastQuota;
            }
        }
        if (first == SendResult.QUOTA) {
            // The budget named is that of the refusal the send returns (its first), as in an all-or-nothing send.
            lastQuota = firstQuota;
        }
        if (staged > 0) {
            c.commit();
        }
        if (results != null) {
            System.arraycopy(codes, 0, results, 0, count);
        }
        c.flushReady();
        return first;
    }

    /**
     * Hands queued events in order to {@code receiver} until it returns false or the queue is empty; returns how many.
     * A message's charges are returned before the receiver sees it.
     */
    public int drain(Receiver receiver) {
        Queue q = queue;
        int n = 0;
        drainDepth++;
        try {
            while (!q.isEmpty()) {
                byte kind = q.headKind();
                long sequence = q.headSequence();
                Handle handle = q.headHandle();
                boolean more;
                if (kind == Queue.MESSAGE) {
                    Message message = q.headMessage();
                    Usage peerUsage = q.headPeerUsage();
                    Usage userUsage = q.headUserUsage();
                    q.pop();
                    int handleCount = message.handles().length;
                    peerUsage.account.uncharge(peerUsage, message.size(), handleCount, message.fdCount());
                    if (userUsage != null) {
                        userUsage.account.uncharge(userUsage, message.size(), handleCount, message.fdCount());
                    }
                    if (handleCount == 0) {
                        more = receiver.onMessage(sequence, handle, message, NO_HANDLES);
                    } else {
                        Handle[] transferred = transferArray(handleCount);
                        for (int j = 0; j < handleCount; j++) {
                            Handle t = q.popTransfer();
                            if (t != null) {
                                t.pending--;
                            }
                            transferred[j] = t;
                        }
                        more = receiver.onMessage(sequence, handle, message, transferred);
                        java.util.Arrays.fill(transferred, null);
                    }
                } else {
                    q.pop();
                    more = kind == Queue.NODE_DESTROYED
                            ? receiver.onNodeDestroyed(sequence, handle)
                            : receiver.onNodeReleased(sequence, handle);
                }
                n++;
                if (!more) {
                    break;
                }
            }
        } finally {
            drainDepth--;
        }
        return n;
    }

    /**
     * Which budget ran out when a send of this peer last returned {@link SendResult#QUOTA} (for a multicast, that of
     * the destination whose refusal the send returned: its first failure): one of the {@code SendResult.QUOTA_*}
     * kinds, {@link SendResult#QUOTA_NONE} before any.
     */
    public int lastQuota() {
        return lastQuota;
    }

    public boolean hasQueued() {
        return !queue.isEmpty();
    }

    /**
     * Hands each message queued to this peer, oldest first, to {@code action} without taking it: nothing is
     * uncharged and the queue is unchanged (the live upgrade describes what waits, and goes on if it fails). The
     * action must not touch the core.
     */
    public void forEachQueuedMessage(java.util.function.Consumer<Message> action) {
        queue.forEachMessage(action);
    }

    /** The number of events queued to this peer. */
    public int queuedCount() {
        return queue.size();
    }

    /**
     * Drops every reference of this peer's handle that can be dropped now, as a holder does when the node is
     * destroyed; returns how many. References still in flight to this peer (in queued messages) stay until those
     * messages are received: unlike a loop of {@link #release} until the handle is invalid, this always ends.
     */
    public int releaseAll(Handle handle) {
        if (!connected || handle == null || handle.holder != this) {
            return 0;
        }
        int n = handle.count - handle.pending;
        for (int i = 0; i < n; i++) {
            release(handle);
        }
        return Math.max(n, 0);
    }

    /**
     * Drops one reference of this peer's handle. References still in flight to this peer (in queued messages) cannot
     * be released yet; such a call, or one with another peer's handle, does nothing.
     *
     * <p>When the count reaches zero the handle is gone: if this peer owns the node, the node is destroyed (its owner
     * gave up the capability to receive; the other holders get {@code NodeDestroyed}); otherwise, if it was the last
     * handle other than the owner's, the owner gets {@code NodeReleased}.
     */
    public void release(Handle handle) {
        if (!connected || handle == null || handle.holder != this || handle.count - handle.pending <= 0) {
            return;
        }
        if (--handle.count > 0) {
            return;
        }
        long sequence = core.commit();
        core.handleCount--;
        handlesById.remove(handle);
        handlesByNode.remove(handle);
        Node node = handle.node;
        node.removeHolder(handle);
        if (node.owner == this) {
            if (!node.destroyed) {
                node.destroy(sequence);
            }
        } else {
            notifyIfReleased(node, sequence);
        }
        core.flushReady();
    }

    /**
     * Destroys the node behind {@code ownerHandle}, which must be this peer's own node: later sends to it fail with
     * {@link SendResult#DESTROYED}, messages already queued are still delivered, and every holder (this peer too)
     * gets {@code NodeDestroyed}, after every message queued to it before. Does nothing if the node is not this
     * peer's or is already destroyed.
     */
    public void destroyNode(Handle ownerHandle) {
        if (!connected || ownerHandle == null || ownerHandle.holder != this || ownerHandle.count <= 0) {
            return;
        }
        Node node = ownerHandle.node;
        if (node.owner != this || node.destroyed) {
            return;
        }
        node.destroy(core.commit());
        core.flushReady();
    }

    /**
     * Authority operation: gives {@code to} a handle (new or merged) to the node behind {@code mine}, as if it had
     * arrived in a message, ordered now. Returns the receiver's handle, or null if the node is destroyed.
     *
     * <p>Also null if {@code mine} is not a valid handle of this peer or either peer is disconnected. The reference
     * is the receiver's at once (it can release it), and the node's destruction reaches it as to any holder. Nothing
     * is queued, so nothing is charged: the authority (the bridge's per-peer cache of resolved names) bounds how many
     * grants it makes.
     */
    public Handle grant(Handle mine, Peer to) {
        if (!connected || to == null || !to.connected || mine == null || mine.holder != this || mine.count <= 0
                || mine.node.destroyed) {
            return null;
        }
        core.commit();
        return to.acquire(mine.node);
    }

    /** This peer's handle with {@code id}, or null. */
    public Handle handle(long id) {
        return handlesById.get(id);
    }

    /** This peer's handle to {@code node}, or null. */
    public Handle handleTo(Node node) {
        return node == null ? null : handlesByNode.get(node.id);
    }

    /** The number of distinct handles this peer holds. */
    public int handleCount() {
        return handlesById.size();
    }

    /** Bytes of messages queued to this peer. */
    public long chargedBytes() {
        return account.bytes;
    }

    /** Messages queued to this peer. */
    public long chargedMessages() {
        return account.messages;
    }

    /** File descriptors attached to messages queued to this peer. */
    public long chargedFds() {
        return account.fds;
    }

    /**
     * Destroys its nodes, releases its handles, discards its queue and returns its charges. Idempotent.
     *
     * <p>One transaction: holders of its nodes get {@code NodeDestroyed}, owners of nodes whose last foreign handle
     * this was get {@code NodeReleased}, all under one sequence number. The {@link DiscardListener} then hears of
     * each message that was still queued, in queue order, after the core is consistent again.
     */
    public void disconnect() {
        if (!connected) {
            return;
        }
        connected = false;
        long sequence = core.commit();
        core.peerCount--;
        Handle[] held = handlesById.toArray();
        core.handleCount -= held.length;
        for (Handle h : held) {
            Node node = h.node;
            if (node.owner == this && !node.destroyed) {
                node.destroy(sequence);
            }
        }
        ArrayList<Message> discarded = null;
        Queue q = queue;
        while (!q.isEmpty()) {
            byte kind = q.headKind();
            Message message = q.headMessage();
            Usage peerUsage = q.headPeerUsage();
            Usage userUsage = q.headUserUsage();
            q.pop();
            if (kind == Queue.MESSAGE) {
                int handleCount = message.handles().length;
                peerUsage.account.uncharge(peerUsage, message.size(), handleCount, message.fdCount());
                if (userUsage != null) {
                    userUsage.account.uncharge(userUsage, message.size(), handleCount, message.fdCount());
                }
                for (int j = 0; j < handleCount; j++) {
                    q.popTransfer();
                }
                if (discarded == null) {
                    discarded = new ArrayList<>();
                }
                discarded.add(message);
            }
        }
        for (Handle h : held) {
            h.count = 0;
            h.pending = 0;
            Node node = h.node;
            node.removeHolder(h);
            if (node.owner != this) {
                notifyIfReleased(node, sequence);
            }
        }
        handlesById.clear();
        handlesByNode.clear();
        core.flushReady();
        if (discarded != null) {
            core.discarded(this, discarded);
        }
    }

    public boolean isConnected() {
        return connected;
    }

    @Override
    public String toString() {
        return "Peer[" + id + " of " + user + (connected ? "]" : ", disconnected]");
    }

    // --- inside a transaction ---------------------------------------------------------------------------------

    /** Every handle a message carries must be a valid handle of the sender. */
    private int checkTransfers(Message message) {
        for (Handle h : message.handles()) {
            if (h == null || h.holder != this || h.count <= 0) {
                return SendResult.INVALID_HANDLE;
            }
        }
        return SendResult.OK;
    }

    /** Checks one destination and charges its receiver's accounts; on OK the usages charged are at index {@code i}. */
    private int stage(Handle destination, Message message, Usage[] peerUsages, Usage[] userUsages, int i) {
        if (destination == null || destination.holder != this || destination.count <= 0) {
            return SendResult.INVALID_HANDLE;
        }
        Node node = destination.node;
        if (node.destroyed) {
            return SendResult.DESTROYED;
        }
        Peer receiver = node.owner;
        Account peerAccount = receiver.account;
        Usage peerUsage = peerAccount.usage(user);
        long size = message.size();
        int handleCount = message.handles().length;
        int fdCount = message.fdCount();
        if (receiver.quotaExempt) {
            // To the bus itself: never refused, and not charged to its user (whose peers' traffic must not be able
            // to stop the bus from hearing anyone). Its queue is drained as soon as the input batch is read.
            peerAccount.charge(peerUsage, size, handleCount, fdCount);
            peerUsages[i] = peerUsage;
            userUsages[i] = null;
            return SendResult.OK;
        }
        Account userAccount = receiver.user.account;
        Usage userUsage = userAccount.usage(user);
        int refusal = peerAccount.refusal(peerUsage, size, handleCount, fdCount);
        // From the bus itself only the receiving peer's own budget counts: a full user account (its other peers'
        // backlog) must not keep the bus from answering this one.
        if (refusal == SendResult.QUOTA_NONE && !quotaExempt) {
            refusal = userAccount.refusal(userUsage, size, handleCount, fdCount);
            // A user's own traffic has no user fair share in its account (Account): its peers share it among
            // themselves instead, so that those that do not read cannot take what the others need.
            if (refusal == SendResult.QUOTA_NONE && receiver.user == user) {
                refusal = userAccount.peerShareRefusal(peerAccount, size, handleCount, fdCount);
            }
        }
        if (refusal != SendResult.QUOTA_NONE) {
            lastQuota = refusal;
            return SendResult.QUOTA;
        }
        peerAccount.charge(peerUsage, size, handleCount, fdCount);
        userAccount.charge(userUsage, size, handleCount, fdCount);
        peerUsages[i] = peerUsage;
        userUsages[i] = userUsage;
        return SendResult.OK;
    }

    /** Returns the charges of the destinations staged before {@code end}: an all-or-nothing send failed. */
    private static void unstage(Message message, int[] codes, Usage[] peerUsages, Usage[] userUsages, int end) {
        long size = message.size();
        int handleCount = message.handles().length;
        int fdCount = message.fdCount();
        for (int i = 0; i < end; i++) {
            if (codes[i] == SendResult.OK) {
                peerUsages[i].account.uncharge(peerUsages[i], size, handleCount, fdCount);
                if (userUsages[i] != null) {
                    userUsages[i].account.uncharge(userUsages[i], size, handleCount, fdCount);
                }
            }
        }
    }

    /** Queues a staged message, installing the handles it carries (null for a node already destroyed). */
    void enqueueMessage(long sequence, Handle destination, Message message, Usage peerUsage, Usage userUsage) {
        Queue q = queue;
        boolean wasEmpty = q.isEmpty();
        q.pushMessage(sequence, destination, message, peerUsage, userUsage);
        for (Handle carried : message.handles()) {
            Node node = carried.node;
            if (node.destroyed) {
                q.pushTransfer(null);
            } else {
                Handle t = acquire(node);
                t.pending++;
                q.pushTransfer(t);
            }
        }
        if (wasEmpty) {
            core.queueReady(this);
        }
    }

    void enqueueNotification(long sequence, byte kind, Handle handle) {
        boolean wasEmpty = queue.isEmpty();
        queue.pushNotification(sequence, kind, handle);
        if (wasEmpty) {
            core.queueReady(this);
        }
    }

    /** One more reference to {@code node}: merged into this peer's handle to it, or a new handle with a fresh id. */
    private Handle acquire(Node node) {
        Handle h = handlesByNode.get(node.id);
        if (h == null) {
            h = new Handle(nextHandleId++, this, node);
            core.handleCount++;
            handlesById.put(h);
            handlesByNode.put(h);
            node.addHolder(h);
        }
        h.count++;
        return h;
    }

    private static void notifyIfReleased(Node node, long sequence) {
        if (node.foreignHolders == 0 && !node.destroyed && node.owner.connected) {
            node.owner.enqueueNotification(sequence, Queue.NODE_RELEASED, node.ownerHandle);
        }
    }

    // --- live upgrade (CoreImage) ------------------------------------------------------------------------------

    /** Its handles, by increasing id. */
    Handle[] handlesById() {
        Handle[] all = handlesById.toArray();
        java.util.Arrays.sort(all, (a, b) -> Long.compare(a.id, b.id));
        return all;
    }

    long nextHandleId() {
        return nextHandleId;
    }

    /**
     * Installs a handle a previous core's image describes, with its id and references; its id counter continues past
     * {@code nextId}. The caller checked that neither the id nor the node is held here already.
     */
    Handle importHandle(long id, Node node, int count, long nextId) {
        Handle h = new Handle(id, this, node);
        h.count = count;
        core.handleCount++;
        handlesById.put(h);
        handlesByNode.put(h);
        node.addHolder(h);
        nextHandleId = Math.max(nextHandleId, Math.max(nextId, id + 1));
        return h;
    }

    /** A peer of a previous core that is gone: the owner of the destroyed nodes an image names without one. */
    static Peer departed(Core core, User user) {
        Peer p = new Peer(core, 0, user, null, core.peerLimits(), false);
        p.connected = false;
        return p;
    }

    QueueListener listener() {
        return listener;
    }

    Queue queue() {
        return queue;
    }

    /** A transfer array of {@code length}: reused unless a receiver drains again from inside a callback. */
    private Handle[] transferArray(int length) {
        if (length > MAX_REUSED_TRANSFER_ARRAY || drainDepth > 1) {
            return new Handle[length];
        }
        Handle[] a = transferArrays[length];
        if (a == null) {
            a = new Handle[length];
            transferArrays[length] = a;
        }
        return a;
    }
}
