package org.capbus.config;

import java.nio.file.Path;

/**
 * One D-Bus activation file ({@code *.service}, dbus-daemon(1) "SERVICE FILES"): the {@code [D-BUS Service]}
 * section's keys that the bus uses. Immutable; made by {@link ServiceFileParser} off the event loop.
 *
 * @param file           where it was read from
 * @param name           {@code Name=}: the well-known bus name it provides
 * @param exec           {@code Exec=}: the command line (shell-like quoting, see {@link ExecCommandLine})
 * @param user           {@code User=}: the user the system bus's launch helper runs it as, or null
 * @param systemdService {@code SystemdService=}: the unit systemd activation asks for, or null
 */
public record ServiceFile(Path file, String name, String exec, String user, String systemdService) {

    /** The file name dbus-daemon expects for this service: the bus name plus {@code .service}. */
    public String canonicalFileName() {
        return name + ".service";
    }
}
