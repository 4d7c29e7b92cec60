package org.capbus.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Resolves the user and group names of {@code <policy user="...">} and {@code <allow group="...">}
 * to ids. A decimal number is an id as it is, as in dbus-daemon; an unknown name resolves to -1 and
 * the policy or rule then applies to nobody (dbus-daemon warns and drops it).
 *
 * <p>Resolution happens when a connection's policy is built, not per message.
 */
public interface UserDatabase {

    /** The uid of {@code user}, or -1 if unknown. */
    long uid(String user);

    /** The gid of {@code group}, or -1 if unknown. */
    long gid(String group);

    /** Numbers only: every name is unknown. */
    static UserDatabase numericOnly() {
        return of(Map.of(), Map.of());
    }

    /** A fixed table (tests, containers). */
    static UserDatabase of(Map<String, Long> users, Map<String, Long> groups) {
        Map<String, Long> u = Map.copyOf(users);
        Map<String, Long> g = Map.copyOf(groups);
        return new UserDatabase() {
            @Override
            public long uid(String user) {
                long n = parseId(user);
                return n >= 0 ? n : u.getOrDefault(user, -1L);
            }

            @Override
            public long gid(String group) {
                long n = parseId(group);
                return n >= 0 ? n : g.getOrDefault(group, -1L);
            }
        };
    }

    /**
     * The local files {@code /etc/passwd} and {@code /etc/group}, read now. Users from NSS modules
     * other than files (LDAP, systemd-userdb) are not seen.
     */
    static UserDatabase localFiles() throws IOException {
        return fromFiles(Path.of("/etc/passwd"), Path.of("/etc/group"));
    }

    /** Users and groups from files in the format of {@code /etc/passwd} and {@code /etc/group}, read now. */
    static UserDatabase fromFiles(Path passwd, Path group) throws IOException {
        return of(readIds(passwd), readIds(group));
    }

    private static Map<String, Long> readIds(Path file) throws IOException {
        Map<String, Long> ids = new HashMap<>();
        if (!Files.exists(file)) {
            return ids;
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            // name:password:id:...
            String[] f = line.split(":", 4);
            if (f.length >= 3) {
                long id = parseId(f[2]);
                if (id >= 0) {
                    ids.putIfAbsent(f[0], id);
                }
            }
        }
        return ids;
    }

    /** The value of a decimal id, or -1 if {@code s} is not one. */
    static long parseId(String s) {
        if (s.isEmpty() || s.length() > 10) {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v <= 0xFFFF_FFFFL ? v : -1;
    }
}
