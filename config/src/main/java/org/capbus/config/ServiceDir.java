package org.capbus.config;

import java.nio.file.Path;

/**
 * A directory searched for {@code .service} activation files.
 *
 * @param path         absolute directory
 * @param watched      whether dbus-daemon watches it for changes (inotify); the transient
 *                     {@code $XDG_RUNTIME_DIR/dbus-1/services} is not watched
 * @param strictNaming whether a file must be named after the bus name it activates
 *                     ({@code org.example.Foo.service}); true only for the transient directory
 */
public record ServiceDir(Path path, boolean watched, boolean strictNaming) {
}
