package org.capbus.client;

/** The protocol's status codes (docs/native-protocol.md, section 6). */
public final class Status {
    public static final int OK = 0;
    public static final int DESTROYED = 1;
    public static final int QUOTA = 2;
    public static final int INVALID_HANDLE = 3;
    public static final int INVALID_ARGUMENT = 4;
    public static final int NOT_PERMITTED = 5;
    public static final int NAME_NOT_FOUND = 6;
    public static final int NOT_NATIVE = 7;
    public static final int INVALID_MESSAGE = 8;
    public static final int LIMITS_EXCEEDED = 9;
    public static final int UNKNOWN_OPERATION = 10;
    public static final int ACCESS_DENIED = 11;

    // A reply's detail (section 4.2): the resource a QUOTA or LIMITS_EXCEEDED refusal ran out of; 0 otherwise.
    /** No detail: not a quota refusal, or the resource is not known. */
    public static final int DETAIL_NONE = 0;
    /** {@link #QUOTA}: the receiver's budget of queued bytes (its own, its user's, or the sender's share of them). */
    public static final int DETAIL_BYTES = 1;
    /** {@link #QUOTA}: the receiver's budget of queued messages. */
    public static final int DETAIL_MESSAGES = 2;
    /** {@link #QUOTA}: the receiver's budget of handles in flight. */
    public static final int DETAIL_HANDLES = 3;
    /** {@link #QUOTA}: the receiver's budget of descriptors in flight. */
    public static final int DETAIL_FDS = 4;
    /** {@link #LIMITS_EXCEEDED}: the bus's {@code max_names_per_connection}. */
    public static final int DETAIL_NAMES = 5;

    private static final String[] NAMES = {"OK", "DESTROYED", "QUOTA", "INVALID_HANDLE", "INVALID_ARGUMENT",
        "NOT_PERMITTED", "NAME_NOT_FOUND", "NOT_NATIVE", "INVALID_MESSAGE", "LIMITS_EXCEEDED", "UNKNOWN_OPERATION",
        "ACCESS_DENIED"};
    private static final String[] DETAILS = {"none", "bytes", "messages", "handles", "fds", "names"};

    private Status() {
    }

    /** The specification's name of {@code status}. */
    public static String name(int status) {
        return status >= 0 && status < NAMES.length ? NAMES[status] : "status " + status;
    }

    /** A word for the resource {@code detail} names ({@code "bytes"}, ...). */
    public static String detailName(int detail) {
        return detail >= 0 && detail < DETAILS.length ? DETAILS[detail] : "detail " + detail;
    }
}
