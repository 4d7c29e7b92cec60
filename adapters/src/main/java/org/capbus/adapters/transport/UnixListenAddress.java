package org.capbus.adapters.transport;

import java.util.Map;

/**
 * A {@code unix:} listen address of the D-Bus specification ("Server Addresses", "UNIX Domain Sockets"): exactly
 * one of {@code path}, {@code abstract}, {@code tmpdir}, {@code dir} or {@code runtime=yes}. Immutable.
 *
 * <p>{@code tmpdir} makes a path socket with a random name in that directory, as dbus-daemon 1.14.10 does on Linux
 * (older releases used an abstract socket there); {@code dir} does the same; {@code runtime=yes} means
 * {@code $XDG_RUNTIME_DIR/bus}.
 *
 * @param kind  which of the five forms
 * @param value the path, abstract name or directory (unescaped); {@code "yes"} for {@link Kind#RUNTIME}
 */
public record UnixListenAddress(Kind kind, String value) {

    /** The forms of a unix listen address, named after their key. */
    public enum Kind {
        PATH("path"), ABSTRACT("abstract"), TMPDIR("tmpdir"), DIR("dir"), RUNTIME("runtime");

        final String key;

        Kind(String key) {
            this.key = key;
        }
    }

    /**
     * The unix listen address an entry describes, or null if the entry is of another transport.
     *
     * @throws IllegalArgumentException if it is a {@code unix:} entry without exactly one of the five keys
     */
    public static UnixListenAddress of(DBusAddress address) {
        if (!address.transport().equals("unix")) {
            return null;
        }
        Map<String, String> parameters = address.parameters();
        UnixListenAddress found = null;
        for (Kind kind : Kind.values()) {
            String value = parameters.get(kind.key);
            if (value == null) {
                continue;
            }
            if (found != null) {
                throw new IllegalArgumentException("Cannot specify more than one of path, tmpdir, abstract, dir"
                        + " and runtime in a unix: address");
            }
            if (kind == Kind.RUNTIME && !value.equals("yes")) {
                throw new IllegalArgumentException("if given, the value of \"runtime\" must be \"yes\"");
            }
            if (value.isEmpty()) {
                throw new IllegalArgumentException("Empty value for '" + kind.key + "' in a unix: address");
            }
            found = new UnixListenAddress(kind, value);
        }
        if (found == null) {
            throw new IllegalArgumentException("Must specify path, tmpdir, abstract, dir or runtime in a unix:"
                    + " address");
        }
        return found;
    }
}
