package org.capbus.core;

/** Results of a send, as int codes (no allocation on the message path). */
public final class SendResult {
    /** Delivered. */
    public static final int OK = 0;
    /** The destination node is destroyed. */
    public static final int DESTROYED = 1;
    /** The receiver's (or its user's) budget, or the sender's fair share of it, does not allow the message. */
    public static final int QUOTA = 2;
    /** The handle does not belong to the sending peer or was released. */
    public static final int INVALID_HANDLE = 3;
    /** The sending peer is disconnected. */
    public static final int DISCONNECTED = 4;

    /** {@link Peer#lastQuota()}: no send of the peer was refused for a quota yet. */
    public static final int QUOTA_NONE = 0;
    /** {@link Peer#lastQuota()}: the receiver's bytes budget (its own or its user's, or the sender's share). */
    public static final int QUOTA_BYTES = 1;
    /** {@link Peer#lastQuota()}: the receiver's budget of queued messages. */
    public static final int QUOTA_MESSAGES = 2;
    /** {@link Peer#lastQuota()}: the receiver's budget of handles in flight. */
    public static final int QUOTA_HANDLES = 3;
    /** {@link Peer#lastQuota()}: the receiver's budget of file descriptors in flight. */
    public static final int QUOTA_FDS = 4;

    /** Send flag: deliver to every destination that can take it and report a result for each. */
    public static final int CONTINUE_ON_ERROR = 1;

    private SendResult() {
    }
}
