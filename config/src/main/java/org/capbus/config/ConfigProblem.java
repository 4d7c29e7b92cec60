package org.capbus.config;

import java.nio.file.Path;

/**
 * A fault that dbus-daemon tolerates and only logs, kept in {@link BusConfig#warnings()} so that the
 * launcher can log it: a broken file inside an {@code <includedir>} is skipped, not fatal.
 *
 * @param file   the file at fault
 * @param line   1-based line, or 0 if none
 * @param reason what is wrong
 */
public record ConfigProblem(Path file, int line, String reason) {

    static ConfigProblem of(ConfigException e) {
        return new ConfigProblem(e.file(), e.line(), e.reason());
    }

    @Override
    public String toString() {
        return file + ":" + line + ": " + reason;
    }
}
