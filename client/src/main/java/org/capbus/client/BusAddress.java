package org.capbus.client;

import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;

/** The unix socket path of a D-Bus address ({@code unix:path=...}; the first usable entry of a list). */
final class BusAddress {
    private BusAddress() {
    }

    /** The session bus's socket, from {@code DBUS_SESSION_BUS_ADDRESS}. */
    static UnixDomainSocketAddress session() {
        String address = System.getenv("DBUS_SESSION_BUS_ADDRESS");
        if (address == null || address.isEmpty()) {
            throw new IllegalStateException("DBUS_SESSION_BUS_ADDRESS is not set");
        }
        return parse(address);
    }

    static UnixDomainSocketAddress parse(String address) {
        for (String entry : address.split(";")) {
            if (!entry.startsWith("unix:")) {
                continue;
            }
            for (String kv : entry.substring(5).split(",")) {
                if (kv.startsWith("path=")) {
                    return UnixDomainSocketAddress.of(Path.of(unescape(kv.substring(5))));
                }
            }
        }
        throw new IllegalArgumentException("no unix:path= entry in D-Bus address " + address
                + " (abstract sockets are not supported by the JDK's unix-domain channels)");
    }

    /** The D-Bus address escaping: %XX for any byte. */
    private static String unescape(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length()) {
                out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.write(c);
            }
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }
}
