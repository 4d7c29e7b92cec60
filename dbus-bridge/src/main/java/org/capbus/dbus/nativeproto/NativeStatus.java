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
