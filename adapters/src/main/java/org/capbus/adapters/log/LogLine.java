package org.capbus.adapters.log;

import org.slf4j.event.Level;

/**
 * One log event, formatted by the thread that logged it and written by the {@link LogWriter}'s thread. Immutable.
 *
 * @param epochMillis when it was logged
 * @param level       its slf4j level
 * @param security    dbus-daemon's security class (a policy denial): syslog facility auth, priority notice
 * @param logger      the logger's name
 * @param text        the message, with a throwable's stack trace after it when there was one
 */
record LogLine(long epochMillis, Level level, boolean security, String logger, String text) {
    static final int FACILITY_DAEMON = 3;
    static final int FACILITY_AUTH = 4;

    /** The syslog severity (RFC 5424): error 3, warning 4, notice 5 (security), info 6, debug 7. */
    int severity() {
        if (security) {
            return 5;
        }
        return switch (level) {
            case ERROR -> 3;
            case WARN -> 4;
            case INFO -> 6;
            case DEBUG, TRACE -> 7;
        };
    }

    /** The syslog facility: auth for security lines, as dbus-daemon's, daemon for the rest. */
    int facility() {
        return security ? FACILITY_AUTH : FACILITY_DAEMON;
    }
}
