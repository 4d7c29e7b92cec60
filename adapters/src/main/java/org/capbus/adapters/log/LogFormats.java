package org.capbus.adapters.log;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The three encodings of a {@link LogLine}: standard error's text line, a syslog datagram as glibc's
 * {@code syslog(3)} sends it to {@code /dev/log}, and a datagram of the journal's native protocol
 * ({@code sd_journal_send}'s format: {@code KEY=value} lines, or, for a value with a newline, the key, a newline,
 * the value's length as 64-bit little-endian and the value). Pure functions, any thread.
 */
final class LogFormats {
    /** What syslog and the journal show as the program, and what standard error's lines start with. */
    static final String IDENTIFIER = "capbus";
    /** The bus log's lines are dbus-daemon's and read as such, without a level or logger name in front. */
    static final String BUS_LOGGER = "capbus.bus";
    private static final DateTimeFormatter SYSLOG_TIME =
            DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss", Locale.ROOT);

    private LogFormats() {
    }

    /** {@code capbus[PID]: TEXT} for the bus log (dbus-daemon's own format), {@code capbus[PID]: LEVEL Logger: TEXT} else. */
    static String stderrLine(LogLine line, long pid) {
        String head = IDENTIFIER + "[" + pid + "]: ";
        if (line.logger().equals(BUS_LOGGER)) {
            return head + line.text();
        }
        String logger = line.logger();
        return head + line.level() + " " + logger.substring(logger.lastIndexOf('.') + 1) + ": " + line.text();
    }

    /** {@code <PRI>Mmm dd hh:mm:ss capbus[PID]: TEXT}, the local time as glibc writes it. */
    static byte[] syslog(LogLine line, long pid, ZoneId zone) {
        int priority = line.facility() * 8 + line.severity();
        String time = SYSLOG_TIME.format(Instant.ofEpochMilli(line.epochMillis()).atZone(zone));
        String text = line.logger().equals(BUS_LOGGER) ? line.text()
                : line.level() + " " + line.logger().substring(line.logger().lastIndexOf('.') + 1) + ": " + line.text();
        return ("<" + priority + ">" + time + " " + IDENTIFIER + "[" + pid + "]: " + text)
                .getBytes(StandardCharsets.UTF_8);
    }

    /** The journal's native datagram: MESSAGE, PRIORITY, SYSLOG_FACILITY, SYSLOG_IDENTIFIER, SYSLOG_PID, CAPBUS_LOGGER. */
    static byte[] journal(LogLine line, long pid) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(line.text().length() + 160);
        field(out, "MESSAGE", line.text());
        field(out, "PRIORITY", Integer.toString(line.severity()));
        field(out, "SYSLOG_FACILITY", Integer.toString(line.facility()));
        field(out, "SYSLOG_IDENTIFIER", IDENTIFIER);
        field(out, "SYSLOG_PID", Long.toString(pid));
        field(out, "CAPBUS_LOGGER", line.logger());
        return out.toByteArray();
    }

    private static void field(ByteArrayOutputStream out, String key, String value) {
        byte[] k = key.getBytes(StandardCharsets.US_ASCII);
        byte[] v = value.getBytes(StandardCharsets.UTF_8);
        out.writeBytes(k);
        if (value.indexOf('\n') < 0) {
            out.write('=');
            out.writeBytes(v);
        } else {
            out.write('\n');
            long n = v.length;
            for (int i = 0; i < 8; i++) {
                out.write((int) (n >>> (8 * i)) & 0xff);
            }
            out.writeBytes(v);
        }
        out.write('\n');
    }
}
