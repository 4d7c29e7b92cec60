package org.capbus.core;

/**
 * The accounting principal (a uid): what is queued to any of its peers is charged to its account, split by the
 * sending user (see {@link Account} for the fair-share rule).
 *
 * <p>One per uid per {@link Core}, created on first use and kept for the core's life; event-loop thread only.
 */
public final class User {
    final Core core;
    private final long uid;
    /** Dense per-core index, the key of per-account usage tables. */
    final int index;
    final Account account;

    User(Core core, long uid, int index, Limits limits) {
        this.core = core;
        this.uid = uid;
        this.index = index;
        this.account = new Account(this, limits, false);
    }

    public long uid() {
        return uid;
    }

    /** Bytes of messages queued to this user's peers. */
    public long chargedBytes() {
        return account.bytes;
    }

    /** Messages queued to this user's peers. */
    public long chargedMessages() {
        return account.messages;
    }

    /** Handles carried by messages queued to this user's peers. */
    public long chargedHandles() {
        return account.handles;
    }

    /** File descriptors carried by messages queued to this user's peers. */
    public long chargedFds() {
        return account.fds;
    }

    @Override
    public String toString() {
        return "User[" + uid + "]";
    }
}
