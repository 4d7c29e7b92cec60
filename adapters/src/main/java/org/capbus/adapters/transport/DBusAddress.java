package org.capbus.adapters.transport;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One entry of a D-Bus address string ({@code transport:key=value,key=value}), with the value escaping of the D-Bus
 * specification, "Server Addresses": a value byte outside {@code [-0-9A-Za-z_/.\*]} is written {@code %xx}.
 * Immutable. Values are bytes in the specification; here they are decoded and encoded as UTF-8.
 *
 * @param transport  the method before the colon, e.g. {@code unix}
 * @param parameters the decoded key/value pairs, in the order written
 */
public record DBusAddress(String transport, Map<String, String> parameters) {

    public DBusAddress {
        parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    }

    /**
     * Parses a {@code ;}-separated list of addresses; empty entries are skipped.
     *
     * @throws IllegalArgumentException with dbus-daemon's wording when an entry is malformed
     */
    public static List<DBusAddress> parseList(String addresses) {
        List<DBusAddress> result = new ArrayList<>();
        for (String entry : addresses.split(";", -1)) {
            if (!entry.isEmpty()) {
                result.add(parse(entry));
            }
        }
        if (result.isEmpty()) {
            throw new IllegalArgumentException("Empty address '" + addresses + "'");
        }
        return result;
    }

    static DBusAddress parse(String entry) {
        int colon = entry.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("Address does not contain a colon: '" + entry + "'");
        }
        Map<String, String> parameters = new LinkedHashMap<>();
        String rest = entry.substring(colon + 1);
        if (!rest.isEmpty()) {
            for (String pair : rest.split(",", -1)) {
                int equals = pair.indexOf('=');
                if (equals <= 0 || equals == pair.length() - 1) {
                    throw new IllegalArgumentException("Address '" + entry + "' has a key without a value or a"
                            + " value without a key: '" + pair + "'");
                }
                String key = pair.substring(0, equals);
                if (parameters.put(key, unescape(pair.substring(equals + 1))) != null) {
                    throw new IllegalArgumentException("Address '" + entry + "' has the key '" + key + "' twice");
                }
            }
        }
        return new DBusAddress(entry.substring(0, colon), parameters);
    }

    /** Whether the specification lets this byte appear unescaped in a value. */
    static boolean isOptionallyEscaped(int b) {
        return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
                || b == '-' || b == '_' || b == '/' || b == '.' || b == '\\' || b == '*';
    }

    /** Decodes {@code %xx} sequences; as dbus-daemon, refuses a byte that should have been escaped. */
    static String unescape(String value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '%') {
                int high = i + 1 < value.length() ? Character.digit(value.charAt(i + 1), 16) : -1;
                int low = i + 2 < value.length() ? Character.digit(value.charAt(i + 2), 16) : -1;
                if (high < 0 || low < 0) {
                    throw new IllegalArgumentException("In D-Bus address, percent character was not followed by"
                            + " two hex digits: '" + value + "'");
                }
                out.write(high << 4 | low);
                i += 2;
            } else if (isOptionallyEscaped(c)) {
                out.write(c);
            } else {
                throw new IllegalArgumentException("In D-Bus address, character '" + c
                        + "' should have been escaped");
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Escapes a value for printing in an address, with lowercase hex as dbus-daemon prints it. */
    public static String escape(String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder(bytes.length + 8);
        for (byte b : bytes) {
            int unsigned = b & 0xff;
            if (isOptionallyEscaped(unsigned)) {
                out.append((char) unsigned);
            } else {
                out.append('%').append(Character.forDigit(unsigned >> 4, 16)).append(Character.forDigit(unsigned & 15, 16));
            }
        }
        return out.toString();
    }
}
