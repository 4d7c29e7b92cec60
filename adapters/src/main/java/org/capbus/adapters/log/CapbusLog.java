package org.capbus.adapters.log;

import java.nio.file.Path;
import java.util.Locale;

import org.slf4j.event.Level;

/**
 * The process's log settings, set once at start by the daemon from {@code --syslog}, {@code --syslog-only},
 * {@code --nosyslog} and the configuration's {@code <syslog/>}; until then lines go to standard error. The level
 * is INFO, or {@code $CAPBUS_LOG_LEVEL} (error, warn, info, debug, trace). The sockets are the journal's
 * ({@code $CAPBUS_JOURNAL_SOCKET}, default {@value #JOURNAL_SOCKET}) and syslog's ({@code $CAPBUS_SYSLOG_SOCKET},
 * default {@value #SYSLOG_SOCKET}); the variables exist for tests and containers. Thread-safe.
 */
public final class CapbusLog {
    /** systemd-journald's native protocol socket. */
    public static final String JOURNAL_SOCKET = "/run/systemd/journal/socket";
    /** The syslog socket, as glibc's {@code syslog(3)}. */
    public static final String SYSLOG_SOCKET = "/dev/log";

    static final LogWriter WRITER = new LogWriter(System.err, LogWriter.BURST, LogWriter.LINES_PER_SECOND);
    static final Level LEVEL = level(System.getenv("CAPBUS_LOG_LEVEL"));

    private CapbusLog() {
    }

    /** Where lines go, as dbus-daemon decides it. */
    public enum Destination {
        /** Standard error only ({@code --nosyslog}, or a session bus by default). */
        STDERR,
        /** The system log and standard error ({@code --syslog}, or {@code <syslog/>} as in system.conf). */
        SYSTEM_LOG_AND_STDERR,
        /** The system log only ({@code --syslog-only}, what the systemd units use). */
        SYSTEM_LOG
    }

    /** Sends every line from now on to {@code destination}. */
    public static void configure(Destination destination) {
        if (destination == Destination.STDERR) {
            WRITER.configure(LogWriter.Outputs.STDERR);
            return;
        }
        WRITER.configure(LogWriter.systemLog(destination == Destination.SYSTEM_LOG_AND_STDERR,
                Path.of(env("CAPBUS_JOURNAL_SOCKET", JOURNAL_SOCKET)), Path.of(env("CAPBUS_SYSLOG_SOCKET", SYSLOG_SOCKET))));
    }

    /** What the lines are written to now, for the daemon's debug output: e.g. {@code journal /run/...}. */
    public static String describe() {
        LogWriter.Outputs o = WRITER.outputs();
        String system = o.socket() == null ? "" : (o.journal() ? "journal " : "syslog ") + o.socket();
        return o.stderr() ? (system.isEmpty() ? "stderr" : system + " and stderr") : system;
    }

    private static String env(String name, String otherwise) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? otherwise : v;
    }

    static Level level(String name) {
        if (name == null || name.isBlank()) {
            return Level.INFO;
        }
        try {
            return Level.valueOf(name.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return Level.INFO;
        }
    }
}
