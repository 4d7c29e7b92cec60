package org.capbus.dbus.sasl;

/**
 * The SASL mechanisms of the D-Bus specification ("Authentication mechanisms") that the server
 * supports, in the order dbus-daemon lists them in {@code REJECTED}.
 */
public enum SaslMechanism {
    /** Credentials of the unix socket ({@code SO_PEERCRED}); the client may name its uid. */
    EXTERNAL("EXTERNAL"),
    /** Proof of reading a secret cookie from the server user's {@code ~/.dbus-keyrings}. */
    DBUS_COOKIE_SHA1("DBUS_COOKIE_SHA1"),
    /** No identity at all; only where the configuration says {@code <allow_anonymous/>}. */
    ANONYMOUS("ANONYMOUS");

    private final String wireName;

    SaslMechanism(String wireName) {
        this.wireName = wireName;
    }

    /** The name on the wire ({@code AUTH EXTERNAL}) and in {@code <auth>} elements. */
    public String wireName() {
        return wireName;
    }

    /** The mechanism called {@code name}, or null. Case-sensitive, as in dbus-daemon. */
    public static SaslMechanism byWireName(String name) {
        for (SaslMechanism m : values()) {
            if (m.wireName.equals(name)) {
                return m;
            }
        }
        return null;
    }
}
