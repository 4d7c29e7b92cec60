package org.capbus.dbus.wire;

/**
 * Message type codes, the second byte of the fixed header (D-Bus specification, "Message Format").
 * Plain {@code int} constants so the hot path never boxes or switches on enums.
 */
public final class MessageType {

    /** Not a valid type: a message carrying it is rejected. */
    public static final int INVALID = 0;
    public static final int METHOD_CALL = 1;
    public static final int METHOD_RETURN = 2;
    public static final int ERROR = 3;
    public static final int SIGNAL = 4;

    private MessageType() {
    }

    /** Whether {@code type} is one of the four types this version of the specification defines. */
    public static boolean isKnown(int type) {
        return type >= METHOD_CALL && type <= SIGNAL;
    }

    /** The spec's name of a type, e.g. {@code "method_call"} as used by match rules; null if unknown. */
    public static String name(int type) {
        return switch (type) {
            case METHOD_CALL -> "method_call";
            case METHOD_RETURN -> "method_return";
            case ERROR -> "error";
            case SIGNAL -> "signal";
            default -> null;
        };
    }
}
