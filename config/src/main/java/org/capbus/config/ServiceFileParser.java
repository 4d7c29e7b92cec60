package org.capbus.config;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads the desktop-entry-like format of D-Bus service files as dbus-daemon's {@code bus/desktop-file.c} does:
 * {@code [Section]} headers, {@code Key=Value} lines (spaces around {@code =} allowed, keys of letters, digits and
 * {@code -}; localized keys {@code Key[xx]=} ignored), {@code #} comments and blank lines; values unescape
 * {@code \s \t \n \r \\}. Of the {@code [D-BUS Service]} section, {@code Name} and {@code Exec} are required and
 * {@code User} and {@code SystemdService} optional; every other key and section is ignored, as dbus-daemon
 * ignores them.
 *
 * <p>Stateless; called on the thread that reads service directories (never the event loop).
 */
public final class ServiceFileParser {
    /** dbus-daemon refuses service files above 128 KiB. */
    public static final int MAX_SIZE = 128 * 1024;
    static final String SECTION = "D-BUS Service";

    private ServiceFileParser() {
    }

    /**
     * Parses {@code bytes}, the content of {@code file}.
     *
     * @throws ConfigException naming the file, the line (0 when the fault is the file as a whole) and the reason
     */
    public static ServiceFile parse(Path file, byte[] bytes) throws ConfigException {
        if (bytes.length > MAX_SIZE) {
            throw new ConfigException(file, 0, "Desktop file size (" + bytes.length + " bytes) is too large");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ConfigException(file, 0, "invalid UTF-8");
        }
        Map<String, Map<String, String>> sections = new HashMap<>();
        Map<String, String> current = null;
        int lineNo = 0;
        for (String raw : text.split("\n", -1)) {
            lineNo++;
            String line = raw.endsWith("\r") ? raw.substring(0, raw.length() - 1) : raw;
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("[")) {
                if (line.length() <= 2 || !line.endsWith("]")) {
                    throw new ConfigException(file, lineNo, "Invalid syntax for section header");
                }
                String name = line.substring(1, line.length() - 1);
                for (int i = 0; i < name.length(); i++) {
                    char c = name.charAt(i);
                    if (c <= 0x1f || c >= 0x7f || c == '[' || c == ']') {
                        throw new ConfigException(file, lineNo, "Invalid characters in section name");
                    }
                }
                // A repeated section adds to the first one: lookups see its keys first, as dbus-daemon's do.
                current = sections.computeIfAbsent(name, k -> new HashMap<>());
                continue;
            }
            if (current == null) {
                throw new ConfigException(file, lineNo, "invalid service file: key=value before [Section]");
            }
            int p = 0;
            while (p < line.length() && isKeyChar(line.charAt(p))) {
                p++;
            }
            if (p == 0) {
                throw new ConfigException(file, lineNo, "Empty key name");
            }
            String key = line.substring(0, p);
            if (p < line.length() && line.charAt(p) == '[') {
                continue; // a localized key: dbus-daemon skips it
            }
            while (p < line.length() && line.charAt(p) == ' ') {
                p++;
            }
            if (p == line.length()) {
                throw new ConfigException(file, lineNo, "No '=' in key/value pair");
            }
            if (line.charAt(p) != '=') {
                throw new ConfigException(file, lineNo, "Invalid characters in key name");
            }
            p++;
            while (p < line.length() && line.charAt(p) == ' ') {
                p++;
            }
            current.putIfAbsent(key, unescape(file, lineNo, line.substring(p)));
        }
        Map<String, String> service = sections.get(SECTION);
        if (service == null) {
            throw new ConfigException(file, 0, "no [" + SECTION + "] section");
        }
        String name = required(file, service, "Name");
        String exec = required(file, service, "Exec");
        if (!isValidWellKnownName(name)) {
            throw new ConfigException(file, lineOf(text, "Name"), "Name=" + name + " is not a valid well-known bus name");
        }
        return new ServiceFile(file, name, exec, service.get("User"), service.get("SystemdService"));
    }

    private static String required(Path file, Map<String, String> section, String key) throws ConfigException {
        String v = section.get(key);
        if (v == null) {
            throw new ConfigException(file, 0, "No \"" + key + "\" key in section [" + SECTION + "]");
        }
        return v;
    }

    private static int lineOf(String text, String key) {
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith(key)) {
                return i + 1;
            }
        }
        return 0;
    }

    private static boolean isKeyChar(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    }

    private static String unescape(Path file, int lineNo, String s) throws ConfigException {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (++i == s.length()) {
                throw new ConfigException(file, lineNo, "Invalid escape sequence: backslash at end of value");
            }
            switch (s.charAt(i)) {
                case 's' -> sb.append(' ');
                case 't' -> sb.append('\t');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case '\\' -> sb.append('\\');
                default -> throw new ConfigException(file, lineNo, "Invalid escape sequence \\" + s.charAt(i));
            }
        }
        return sb.toString();
    }

    /** A well-known (not unique) bus name per the D-Bus specification. */
    static boolean isValidWellKnownName(String name) {
        if (name.isEmpty() || name.length() > 255 || name.charAt(0) == ':' || name.charAt(0) == '.') {
            return false;
        }
        int elements = 1;
        boolean elementStart = true;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '.') {
                if (elementStart) {
                    return false;
                }
                elements++;
                elementStart = true;
                continue;
            }
            boolean letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == '-';
            boolean digit = c >= '0' && c <= '9';
            if (!letter && !(digit && !elementStart)) {
                return false;
            }
            elementStart = false;
        }
        return !elementStart && elements >= 2;
    }
}
