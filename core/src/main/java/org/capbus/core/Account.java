package org.capbus.core;

/**
 * A budget of queued resources (bytes, messages, handles, fds) and what is charged against it, split by the user
 * on whose behalf each charge was made. Every user has one (with the core's user limits) and every peer has one
 * (with the peer limits); a queued message is charged to both accounts of its receiver.
 *
 * <h2>Fair share</h2>
 * A user may charge {@code amount} of a resource to an account only if, after the charge, the account is still within
 * its limit and what that user holds there is at most what remains free divided by one more than the number of
 * <em>other</em> users holding charges there:
 * <pre>
 *   share + amount &lt;= (limit - used - amount) / (others + 1)
 * </pre>
 * So a lone foreign user can fill at most half of what is free, each further user gets a fraction of what the first
 * ones left, and a reserve always remains: one user flooding a receiver is cut off while other users still get
 * through (bus1's "fairdist"; dbus-broker grants a remote user between 1/n and 1/n&sup2; of the rest in the same way).
 * The account's own user is not a remote user: charges it makes to its own accounts (a user's peers talking to each
 * other) are bounded by the limit only, as in dbus-broker. A zero amount is always allowed.
 *
 * <h2>Fair share among a user's peers</h2>
 * For what a user sends to its own peers, which the rule above does not bound, the same rule applies between the
 * receiving peers instead ({@link #peerShareRefusal}): what one receiving peer holds in its user's account, after a
 * charge, is at most what remains free divided by one more than the number of the user's other peers holding
 * charges. A user's peers that do not read can therefore take at most half of its account, and a reserve always
 * remains for its other peers and for other users (bus1 applies its fair share per user; this applies it once more
 * inside the user).
 *
 * <p>Owned by its {@link User} or {@link Peer}; event-loop thread only.
 */
final class Account {
    private final User owner;
    /** A peer's account, whose charges also count as one holder of its user's account's peer share. */
    private final boolean ofPeer;
    // The limits as plain fields: one cache line less per charge than reading them through the record.
    private final long maxBytes;
    private final long maxMessages;
    private final long maxHandles;
    private final long maxFds;

    long bytes;
    long messages;
    long handles;
    long fds;

    /** Users with a non-empty usage here. */
    private int chargingUsers;
    /** For a user's account: its peers whose own accounts hold messages. */
    private int holdingPeers;

    /** Open-addressing table of usages keyed by {@link User#index}; usages are never removed. */
    private Usage[] usages = new Usage[4];
    private int usageCount;
    /** The last usage looked up: a flow between two users hits it every time. */
    private Usage last;

    /** A user's account ({@code ofPeer} false), or the account of one of its peers. */
    Account(User owner, Limits limits, boolean ofPeer) {
        this.owner = owner;
        this.ofPeer = ofPeer;
        this.maxBytes = limits.bytes();
        this.maxMessages = limits.messages();
        this.maxHandles = limits.handles();
        this.maxFds = limits.fds();
    }

    /** The usage of {@code user} here, created on first use. */
    Usage usage(User user) {
        Usage u = last;
        if (u != null && u.user == user) {
            return u;
        }
        int mask = usages.length - 1;
        int i = mix(user.index) & mask;
        while ((u = usages[i]) != null) {
            if (u.user == user) {
                last = u;
                return u;
            }
            i = (i + 1) & mask;
        }
        u = new Usage(this, user);
        if ((usageCount + 1) * 2 > usages.length) {
            grow();
        }
        insert(u);
        usageCount++;
        last = u;
        return u;
    }

    /** Whether {@code usage} (of this account) may additionally charge one message of the given size. */
    boolean allows(Usage usage, long size, int handleCount, int fdCount) {
        return refusal(usage, size, handleCount, fdCount) == SendResult.QUOTA_NONE;
    }

    /**
     * Which budget would not allow {@code usage} (of this account) to charge one more message of the given size: a
     * {@code SendResult.QUOTA_*} kind, or {@link SendResult#QUOTA_NONE} if the message fits.
     */
    int refusal(Usage usage, long size, int handleCount, int fdCount) {
        if (usage.user == owner) {
            if (size > maxBytes - bytes) {
                return SendResult.QUOTA_BYTES;
            }
            if (1 > maxMessages - messages) {
                return SendResult.QUOTA_MESSAGES;
            }
            if (handleCount > maxHandles - handles) {
                return SendResult.QUOTA_HANDLES;
            }
            return fdCount > maxFds - fds ? SendResult.QUOTA_FDS : SendResult.QUOTA_NONE;
        }
        int others = chargingUsers - (usage.messages == 0 ? 0 : 1);
        if (!fits(maxBytes, bytes, usage.bytes, size, others)) {
            return SendResult.QUOTA_BYTES;
        }
        if (!fits(maxMessages, messages, usage.messages, 1, others)) {
            return SendResult.QUOTA_MESSAGES;
        }
        if (!fits(maxHandles, handles, usage.handles, handleCount, others)) {
            return SendResult.QUOTA_HANDLES;
        }
        return fits(maxFds, fds, usage.fds, fdCount, others) ? SendResult.QUOTA_NONE : SendResult.QUOTA_FDS;
    }

    private static boolean fits(long limit, long used, long share, long amount, int others) {
        if (amount == 0) {
            return true;
        }
        long remainingAfter = limit - used - amount;
        if (remainingAfter < 0) {
            return false;
        }
        // share + amount <= remainingAfter / (others + 1), floored: exact for integers and cannot overflow. The
        // common case of a single charging user needs no division.
        return others == 0 ? share + amount <= remainingAfter : share + amount <= remainingAfter / (others + 1);
    }

    /**
     * Which budget of this (its user's) account the peer whose account is {@code peer} would exceed its fair share of
     * among the user's peers (see the class comment) by holding one more message of the given size, or
     * {@link SendResult#QUOTA_NONE}.
     */
    int peerShareRefusal(Account peer, long size, int handleCount, int fdCount) {
        int others = holdingPeers - (peer.messages == 0 ? 0 : 1);
        if (!fits(maxBytes, bytes, peer.bytes, size, others)) {
            return SendResult.QUOTA_BYTES;
        }
        if (!fits(maxMessages, messages, peer.messages, 1, others)) {
            return SendResult.QUOTA_MESSAGES;
        }
        if (!fits(maxHandles, handles, peer.handles, handleCount, others)) {
            return SendResult.QUOTA_HANDLES;
        }
        return fits(maxFds, fds, peer.fds, fdCount, others) ? SendResult.QUOTA_NONE : SendResult.QUOTA_FDS;
    }

    /** Charges one message; {@link #allows} must have said yes (or the sender is exempt). */
    void charge(Usage usage, long size, int handleCount, int fdCount) {
        // Every charge is of one message, so a usage holds charges exactly while it holds messages.
        if (usage.messages == 0) {
            chargingUsers++;
        }
        if (ofPeer && messages == 0) {
            owner.account.holdingPeers++;
        }
        usage.bytes += size;
        usage.messages++;
        usage.handles += handleCount;
        usage.fds += fdCount;
        bytes += size;
        messages++;
        handles += handleCount;
        fds += fdCount;
    }

    /** Returns what {@link #charge} took. */
    void uncharge(Usage usage, long size, int handleCount, int fdCount) {
        usage.bytes -= size;
        usage.messages--;
        usage.handles -= handleCount;
        usage.fds -= fdCount;
        bytes -= size;
        messages--;
        handles -= handleCount;
        fds -= fdCount;
        if (usage.messages == 0) {
            chargingUsers--;
        }
        if (ofPeer && messages == 0) {
            owner.account.holdingPeers--;
        }
    }

    int chargingUsers() {
        return chargingUsers;
    }

    boolean isEmpty() {
        return bytes == 0 && messages == 0 && handles == 0 && fds == 0 && chargingUsers == 0;
    }

    private void grow() {
        Usage[] old = usages;
        usages = new Usage[old.length * 2];
        for (Usage u : old) {
            if (u != null) {
                insert(u);
            }
        }
    }

    private void insert(Usage u) {
        int mask = usages.length - 1;
        int i = mix(u.user.index) & mask;
        while (usages[i] != null) {
            i = (i + 1) & mask;
        }
        usages[i] = u;
    }

    private static int mix(int x) {
        int h = x * 0x9E3779B9;
        return h ^ (h >>> 16);
    }
}
