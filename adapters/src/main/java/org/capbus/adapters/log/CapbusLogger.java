package org.capbus.adapters.log;

import java.io.PrintWriter;
import java.io.StringWriter;

import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.AbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/**
 * An slf4j logger of capbus's backend: below the level it does nothing; otherwise it formats the line on the calling
 * thread and hands it to the {@link LogWriter}, which never makes it wait. A line with the marker {@code SECURITY}
 * (the bus log's denials) is dbus-daemon's security class. Any thread.
 */
final class CapbusLogger extends AbstractLogger {
    private static final long serialVersionUID = 1L;
    private final transient LogWriter writer;
    private final Level threshold;

    CapbusLogger(String name, LogWriter writer, Level threshold) {
        this.name = name;
        this.writer = writer;
        this.threshold = threshold;
    }

    private boolean enabled(Level level) {
        return level.toInt() >= threshold.toInt();
    }

    @Override
    protected String getFullyQualifiedCallerName() {
        return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] arguments,
                                               Throwable throwable) {
        String text = arguments == null || arguments.length == 0 ? String.valueOf(pattern)
                : MessageFormatter.basicArrayFormat(pattern, arguments);
        if (throwable != null) {
            StringWriter trace = new StringWriter();
            throwable.printStackTrace(new PrintWriter(trace));
            text = text + "\n" + trace.toString().stripTrailing();
        }
        boolean security = marker != null && marker.getName().equals("SECURITY");
        writer.submit(new LogLine(System.currentTimeMillis(), level, security, name, text));
    }

    @Override public boolean isTraceEnabled() { return enabled(Level.TRACE); }
    @Override public boolean isTraceEnabled(Marker marker) { return enabled(Level.TRACE); }
    @Override public boolean isDebugEnabled() { return enabled(Level.DEBUG); }
    @Override public boolean isDebugEnabled(Marker marker) { return enabled(Level.DEBUG); }
    @Override public boolean isInfoEnabled() { return enabled(Level.INFO); }
    @Override public boolean isInfoEnabled(Marker marker) { return enabled(Level.INFO); }
    @Override public boolean isWarnEnabled() { return enabled(Level.WARN); }
    @Override public boolean isWarnEnabled(Marker marker) { return enabled(Level.WARN); }
    @Override public boolean isErrorEnabled() { return enabled(Level.ERROR); }
    @Override public boolean isErrorEnabled(Marker marker) { return enabled(Level.ERROR); }
}
