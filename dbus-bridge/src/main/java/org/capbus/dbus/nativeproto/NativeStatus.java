package org.capbus.dbus.nativeproto;

/** The status codes of a {@code REPLY} (docs/native-protocol.md, section 6). A failed request changed nothing. */
public final class NativeStatus {
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

    // The detail of a REPLY (section 4.2): which resource a QUOTA or LIMITS_EXCEEDED refusal ran out of; 0 otherwise.
    /** No detail: the status is not a quota refusal, or the resource is not known. */
    public static final int DETAIL_NONE = 0;
    /** {@code QUOTA}: the receiver's budget of queued bytes (its own, its user's, or the sender's share of them). */
    public static final int DETAIL_BYTES = 1;
    /** {@code QUOTA}: the receiver's budget of queued messages. */
    public static final int DETAIL_MESSAGES = 2;
    /** {@code QUOTA}: the receiver's budget of handles in flight. */
    public static final int DETAIL_HANDLES = 3;
    /** {@code QUOTA}: the receiver's budget of descriptors in flight. */
    public static final int DETAIL_FDS = 4;
    /** {@code LIMITS_EXCEEDED}: {@code max_names_per_connection}. */
    public static final int DETAIL_NAMES = 5;

    private NativeStatus() {
    }

    /** The specification's name of {@code status}. */
    public static String name(int status) {
        return switch (status) {
            case OK -> "OK";
            case DESTROYED -> "DESTROYED";
            case QUOTA -> "QUOTA";
            case INVALID_HANDLE -> "INVALID_HANDLE";
            case INVALID_ARGUMENT -> "INVALID_ARGUMENT";
            case NOT_PERMITTED -> "NOT_PERMITTED";
            case NAME_NOT_FOUND -> "NAME_NOT_FOUND";
            case NOT_NATIVE -> "NOT_NATIVE";
            case INVALID_MESSAGE -> "INVALID_MESSAGE";
            case LIMITS_EXCEEDED -> "LIMITS_EXCEEDED";
            case UNKNOWN_OPERATION -> "UNKNOWN_OPERATION";
            case ACCESS_DENIED -> "ACCESS_DENIED";
            default -> "status " + status;
        };
    }
}
