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

    private static final String[] NAMES = {"OK", "DESTROYED", "QUOTA", "INVALID_HANDLE", "INVALID_ARGUMENT",
        "NOT_PERMITTED", "NAME_NOT_FOUND", "NOT_NATIVE", "INVALID_MESSAGE", "LIMITS_EXCEEDED", "UNKNOWN_OPERATION",
        "ACCESS_DENIED"};

    private Status() {
    }

    /** The specification's name of {@code status}. */
    public static String name(int status) {
        return status >= 0 && status < NAMES.length ? NAMES[status] : "status " + status;
    }
}
