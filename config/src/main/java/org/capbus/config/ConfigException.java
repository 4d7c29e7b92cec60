package org.capbus.config;

import java.nio.file.Path;

/**
 * A configuration file was refused: it names the file, the line and the reason, as
 * {@code /etc/dbus-1/x.conf:12: Element <foo> not allowed inside <busconfig>}.
 *
 * <p>Thrown by {@link BusConfig#load} only; a configuration is accepted whole or not at all
 * (dbus-daemon keeps its previous configuration on a failed reload, and so should the caller).
 */
public final class ConfigException extends Exception {

    private final Path file;
    private final int line;
    private final String reason;

    /**
     * @param file   the file at fault (the included file, when the fault is inside an include)
     * @param line   1-based line, or 0 when the fault has no line (e.g. an unreadable file)
     * @param reason what is wrong, without the location
     */
    public ConfigException(Path file, int line, String reason) {
        this(file, line, reason, null);
    }

    public ConfigException(Path file, int line, String reason, Throwable cause) {
        super(file + ":" + line + ": " + reason, cause);
        this.file = file;
        this.line = line;
        this.reason = reason;
    }

    public Path file() {
        return file;
    }

    public int line() {
        return line;
    }

    public String reason() {
        return reason;
    }
}
