package org.capbus.dbus.wire;

/**
 * Header field codes and the one variant signature the specification allows for each ("Header Fields"
 * table, and dbus-daemon's one extension). A known field carrying any other signature makes the message invalid;
 * unknown codes are ignored after their variant has been validated.
 */
public final class HeaderField {

    /** Not a valid field code: a header carrying it is rejected. */
    public static final int INVALID = 0;
    public static final int PATH = 1;
    public static final int INTERFACE = 2;
    public static final int MEMBER = 3;
    public static final int ERROR_NAME = 4;
    public static final int REPLY_SERIAL = 5;
    public static final int DESTINATION = 6;
    public static final int SENDER = 7;
    public static final int SIGNATURE = 8;
    public static final int UNIX_FDS = 9;
    /**
     * dbus-daemon's CONTAINER_INSTANCE (its experimental app-container support): an object path a bus adds, never a
     * client. dbus-daemon knows it, so it closes a connection whose message carries it with any other signature, and
     * removes it from what it forwards; capbus does the same.
     */
    public static final int CONTAINER_INSTANCE = 10;

    /** The highest code this version of the specification defines. */
    public static final int MAX_KNOWN = UNIX_FDS;

    private HeaderField() {
    }

    /** The type code a known field's variant must hold, or 0 for an unknown code. */
    public static int typeOf(int code) {
        return switch (code) {
            case PATH, CONTAINER_INSTANCE -> TypeCode.OBJECT_PATH;
            case INTERFACE, MEMBER, ERROR_NAME, DESTINATION, SENDER -> TypeCode.STRING;
            case REPLY_SERIAL, UNIX_FDS -> TypeCode.UINT32;
            case SIGNATURE -> TypeCode.SIGNATURE;
            default -> 0;
        };
    }

    /** The field's name as the specification writes it, for logs; null for an unknown code. */
    public static String name(int code) {
        return switch (code) {
            case PATH -> "PATH";
            case INTERFACE -> "INTERFACE";
            case MEMBER -> "MEMBER";
            case ERROR_NAME -> "ERROR_NAME";
            case REPLY_SERIAL -> "REPLY_SERIAL";
            case DESTINATION -> "DESTINATION";
            case SENDER -> "SENDER";
            case SIGNATURE -> "SIGNATURE";
            case UNIX_FDS -> "UNIX_FDS";
            case CONTAINER_INSTANCE -> "CONTAINER_INSTANCE";
            default -> null;
        };
    }
}
