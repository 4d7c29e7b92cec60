package org.capbus.dbus.wire;

/**
 * Syntax of D-Bus names and object paths ("Valid Names" and "Valid Object Paths" in the specification).
 * Stateless; safe on any thread. Each rule exists twice over one implementation: for a {@link String}, and for
 * a byte range inside a marshalled message so the parser checks names where they lie, without decoding.
 * Invalid input yields {@code false}, never an exception (a null String included).
 */
public final class DBusNames {
    /** The bus's own name, owned by the bus driver. */
    public static final String DRIVER_NAME = "org.freedesktop.DBus";
    /** The bus driver's object path. */
    public static final String DRIVER_PATH = "/org/freedesktop/DBus";

    private static final int BUS_NAME = 0;
    private static final int INTERFACE = 1;

    private DBusNames() {
    }

    /** A unique name ({@code :1.42}) or a well-known name ({@code org.example.Service}). */
    public static boolean isValidBusName(String name) {
        return name != null && dottedName(null, name, 0, name.length(), BUS_NAME);
    }

    /** {@link #isValidBusName(String)} over {@code b[offset, offset + length)}. */
    public static boolean isValidBusName(byte[] b, int offset, int length) {
        return dottedName(b, null, offset, length, BUS_NAME);
    }

    /** A valid bus name that starts with {@code ':'}. */
    public static boolean isValidUniqueName(String name) {
        return isValidBusName(name) && name.charAt(0) == ':';
    }

    /** A valid bus name that does not start with {@code ':'}. */
    public static boolean isValidWellKnownName(String name) {
        return isValidBusName(name) && name.charAt(0) != ':';
    }

    /** An interface name: two or more dot-separated elements of {@code [A-Za-z0-9_]}, none starting with a digit. */
    public static boolean isValidInterfaceName(String name) {
        return name != null && dottedName(null, name, 0, name.length(), INTERFACE);
    }

    public static boolean isValidInterfaceName(byte[] b, int offset, int length) {
        return dottedName(b, null, offset, length, INTERFACE);
    }

    /** Error names follow the interface-name rules. */
    public static boolean isValidErrorName(String name) {
        return isValidInterfaceName(name);
    }

    public static boolean isValidErrorName(byte[] b, int offset, int length) {
        return isValidInterfaceName(b, offset, length);
    }

    /** A member (method or signal) name: 1 to 255 of {@code [A-Za-z0-9_]}, not starting with a digit. */
    public static boolean isValidMemberName(String name) {
        return name != null && memberName(null, name, 0, name.length());
    }

    public static boolean isValidMemberName(byte[] b, int offset, int length) {
        return memberName(b, null, offset, length);
    }

    /** An object path: {@code /}, or {@code /} followed by non-empty {@code [A-Za-z0-9_]} elements separated by {@code /}. */
    public static boolean isValidObjectPath(String path) {
        return path != null && objectPath(null, path, 0, path.length());
    }

    public static boolean isValidObjectPath(byte[] b, int offset, int length) {
        return objectPath(b, null, offset, length);
    }

    private static int ch(byte[] b, String s, int i) {
        return b != null ? b[i] & 0xFF : s.charAt(i);
    }

    private static boolean isAlpha(int c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    }

    private static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }

    private static boolean dottedName(byte[] b, String s, int offset, int length, int kind) {
        if (length < 1 || length > WireLimits.MAX_NAME_LENGTH) {
            return false;
        }
        int end = offset + length;
        int i = offset;
        boolean unique = false;
        if (kind == BUS_NAME && ch(b, s, i) == ':') {
            unique = true;
            i++;
        }
        int elements = 0;
        int elementLength = 0;
        for (; i < end; i++) {
            int c = ch(b, s, i);
            if (c == '.') {
                if (elementLength == 0) {
                    return false;
                }
                elements++;
                elementLength = 0;
            } else if (isAlpha(c) || (kind == BUS_NAME && c == '-')) {
                elementLength++;
            } else if (isDigit(c)) {
                // Only the elements of unique names may start with a digit (":1.42").
                if (elementLength == 0 && !unique) {
                    return false;
                }
                elementLength++;
            } else {
                return false;
            }
        }
        return elementLength > 0 && elements >= 1;
    }

    private static boolean memberName(byte[] b, String s, int offset, int length) {
        if (length < 1 || length > WireLimits.MAX_NAME_LENGTH || isDigit(ch(b, s, offset))) {
            return false;
        }
        for (int i = offset, end = offset + length; i < end; i++) {
            int c = ch(b, s, i);
            if (!isAlpha(c) && !isDigit(c)) {
                return false;
            }
        }
        return true;
    }

    private static boolean objectPath(byte[] b, String s, int offset, int length) {
        if (length < 1 || ch(b, s, offset) != '/') {
            return false;
        }
        if (length == 1) {
            return true;
        }
        int elementLength = 0;
        for (int i = offset + 1, end = offset + length; i < end; i++) {
            int c = ch(b, s, i);
            if (c == '/') {
                if (elementLength == 0) {
                    return false;
                }
                elementLength = 0;
            } else if (isAlpha(c) || isDigit(c)) {
                elementLength++;
            } else {
                return false;
            }
        }
        return elementLength > 0;
    }
}
