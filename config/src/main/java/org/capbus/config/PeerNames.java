package org.capbus.config;

/**
 * The bus names a connection holds, as policy matching needs them: {@code send_destination} and
 * {@code receive_sender} match when the peer is the primary owner of the name or waits in its queue
 * (dbus-daemon's {@code bus_service_owner_in_queue}).
 *
 * <p>The bridge implements it over its name registry without copying; {@link #of} is for the bus
 * driver (whose only name is {@code org.freedesktop.DBus}), activation (the name being activated)
 * and tests.
 */
public interface PeerNames {

    /** Whether the peer owns or is queued for {@code name} (a unique or well-known name). */
    boolean hasName(String name);

    /** Whether the peer owns or is queued for {@code prefix} or a name below it ({@code prefix.*}). */
    boolean hasNameUnder(String prefix);

    /** A fixed set of names. */
    static PeerNames of(String... names) {
        String[] copy = names.clone();
        return new PeerNames() {
            @Override
            public boolean hasName(String name) {
                for (String n : copy) {
                    if (n.equals(name)) {
                        return true;
                    }
                }
                return false;
            }

            @Override
            public boolean hasNameUnder(String prefix) {
                for (String n : copy) {
                    if (isNameUnder(n, prefix)) {
                        return true;
                    }
                }
                return false;
            }
        };
    }

    /**
     * Whether {@code name} is {@code prefix} or starts with {@code prefix + "."} (dbus-daemon's
     * {@code _dbus_string_starts_with_words_c_str (name, prefix, '.')}).
     */
    static boolean isNameUnder(String name, String prefix) {
        return name.startsWith(prefix)
                && (name.length() == prefix.length() || name.charAt(prefix.length()) == '.');
    }
}
