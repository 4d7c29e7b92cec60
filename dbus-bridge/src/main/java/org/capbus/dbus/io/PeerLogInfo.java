package org.capbus.dbus.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How dbus-daemon names a peer process in its security messages and AccessDenied texts
 * ({@code bus_connection_get_loginfo}): {@code uid=1000 pid=4242 comm="/usr/bin/foo --bar" label="..."}, where
 * comm is the start of {@code /proc/PID/cmdline} (at most 50 bytes, NULs as spaces, other unprintable bytes as
 * '?') and the label is the LSM label when the kernel reported one.
 *
 * <p>Stateless. Reads procfs, which never blocks on disk; callers use it only for a denial's text, which is rare,
 * not per message.
 */
public final class PeerLogInfo {
    /** dbus-daemon's MAX_LOG_COMMAND_LEN. */
    private static final int MAX_COMMAND = 50;

    private PeerLogInfo() {
    }

    /** The loginfo text of the peer with {@code credentials}. */
    public static String of(PeerCredentials credentials) {
        StringBuilder b = new StringBuilder("uid=").append(credentials.uid());
        if (credentials.pid() > 0) {
            b.append(" pid=").append(credentials.pid()).append(" comm=\"")
                    .append(command(Path.of("/proc", Long.toString(credentials.pid()), "cmdline"))).append('"');
        }
        byte[] label = credentials.securityLabel();
        if (label != null && label.length > 0) {
            int n = label.length;
            while (n > 0 && label[n - 1] == 0) {
                n--;
            }
            b.append(" label=\"").append(new String(label, 0, n, StandardCharsets.UTF_8)).append('"');
        }
        return b.toString();
    }

    /** The printable start of a cmdline file; empty if it cannot be read (the process is gone). */
    static String command(Path cmdline) {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(cmdline)) {
            bytes = in.readNBytes(MAX_COMMAND);
        } catch (IOException e) {
            return "";
        }
        int n = bytes.length;
        if (n > 0 && bytes[n - 1] == 0) {
            n--;
        }
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            int c = bytes[i] & 0xff;
            b.append(c == 0 ? ' ' : c < 0x20 || c > 127 ? '?' : (char) c);
        }
        return b.toString();
    }
}
