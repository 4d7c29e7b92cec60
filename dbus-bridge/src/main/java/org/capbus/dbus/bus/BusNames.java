package org.capbus.dbus.bus;

/**
 * Syntax checks for the names of the D-Bus specification ("Valid Names"): bus names (unique and
 * well-known), interface names, member names, object paths, and the bus-name namespaces of
 * {@code arg0namespace}. Pure functions without allocation; safe on any thread.
 */
public final class BusNames {

    /** The specification's limit for bus, interface and member names, in bytes (all valid names are ASCII). */
    public static final int MAXIMUM_NAME_LENGTH = 255;

    /** The bus's own name, owned by the driver; it can be neither requested nor released. */
    public static final String BUS_NAME = "org.freedesktop.DBus";

    private BusNames() {
    }

    /** True if {@code name} is a valid unique or well-known bus name. */
    public static boolean isValidBusName(String name) {
        if (name == null || name.isEmpty()) {
            return false;
        }
        return name.charAt(0) == ':' ? isValidUniqueName(name) : isValidWellKnownName(name);
    }

    /** True if {@code name} is a unique name: ':' then two or more elements of [A-Za-z0-9_-]. */
    public static boolean isValidUniqueName(String name) {
        return name != null && !name.isEmpty() && name.charAt(0) == ':'
                && elements(name, 1, true, true) >= 2 && name.length() <= MAXIMUM_NAME_LENGTH;
    }

    /** True if {@code name} is a well-known name: two or more elements of [A-Za-z0-9_-], none starting with a digit. */
    public static boolean isValidWellKnownName(String name) {
        return name != null && name.length() <= MAXIMUM_NAME_LENGTH && elements(name, 0, false, true) >= 2;
    }

    /**
     * True if {@code namespace} is a valid {@code arg0namespace} value: like a bus name but a single element is
     * allowed (spec: "a bus name or interface namespace", e.g. {@code com.example} matching
     * {@code com.example.Foo}). A leading ':' selects unique-name element rules, as in dbus-daemon.
     */
    public static boolean isValidNamespace(String namespace) {
        if (namespace == null || namespace.isEmpty() || namespace.length() > MAXIMUM_NAME_LENGTH) {
            return false;
        }
        return namespace.charAt(0) == ':'
                ? elements(namespace, 1, true, true) >= 1
                : elements(namespace, 0, false, true) >= 1;
    }

    /** True if {@code name} is an interface name: two or more elements of [A-Za-z0-9_], none starting with a digit. */
    public static boolean isValidInterfaceName(String name) {
        return name != null && name.length() <= MAXIMUM_NAME_LENGTH && elements(name, 0, false, false) >= 2;
    }

    /** True if {@code name} is a member name: one element of [A-Za-z0-9_] not starting with a digit. */
    public static boolean isValidMemberName(String name) {
        if (name == null || name.isEmpty() || name.length() > MAXIMUM_NAME_LENGTH || isDigit(name.charAt(0))) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            if (!isElementChar(name.charAt(i), false)) {
                return false;
            }
        }
        return true;
    }

    /** True if {@code path} is an object path: "/" or "/" then non-empty [A-Za-z0-9_] elements separated by "/". */
    public static boolean isValidObjectPath(String path) {
        if (path == null || path.isEmpty() || path.charAt(0) != '/') {
            return false;
        }
        int n = path.length();
        if (n == 1) {
            return true;
        }
        boolean lastWasSlash = true;
        for (int i = 1; i < n; i++) {
            char c = path.charAt(i);
            if (c == '/') {
                if (lastWasSlash) {
                    return false;
                }
                lastWasSlash = true;
            } else if (isElementChar(c, false)) {
                lastWasSlash = false;
            } else {
                return false;
            }
        }
        return !lastWasSlash;
    }

    /** True if {@code name} looks like a unique name (starts with ':'); no full validation. */
    public static boolean isUniqueName(String name) {
        return !name.isEmpty() && name.charAt(0) == ':';
    }

    /**
     * Counts the '.'-separated elements of {@code s} from {@code start}, or returns -1 if an element is empty,
     * holds a forbidden character, or (unless {@code digitFirstAllowed}) starts with a digit.
     */
    private static int elements(String s, int start, boolean digitFirstAllowed, boolean hyphenAllowed) {
        int n = s.length();
        if (start >= n) {
            return -1;
        }
        int count = 0;
        boolean atElementStart = true;
        for (int i = start; i < n; i++) {
            char c = s.charAt(i);
            if (c == '.') {
                if (atElementStart) {
                    return -1;
                }
                atElementStart = true;
            } else if (isElementChar(c, hyphenAllowed)) {
                if (atElementStart) {
                    if (!digitFirstAllowed && isDigit(c)) {
                        return -1;
                    }
                    count++;
                    atElementStart = false;
                }
            } else {
                return -1;
            }
        }
        return atElementStart ? -1 : count;
    }

    private static boolean isElementChar(char c, boolean hyphenAllowed) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || isDigit(c) || c == '_' || (hyphenAllowed && c == '-');
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
