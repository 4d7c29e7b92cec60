package org.capbus.dbus.sasl;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Set;

/**
 * What every {@link SaslServer} of one bus shares: the mechanisms offered, the server GUID sent in
 * {@code OK}, the keyring for DBUS_COOKIE_SHA1 and a random source. Immutable; made once per
 * configuration (load or reload) and read by the event-loop thread.
 */
public final class SaslServerConfig {

    private final EnumSet<SaslMechanism> offered;
    private final String guid;
    private final CookieKeyring keyring;
    private final SecureRandom random;
    private final byte[] rejectedLine;
    private final byte[] okLine;

    /**
     * @param authElements   the {@code <auth>} elements of the configuration, in order; empty means
     *                       every supported mechanism; names the server does not know are ignored, as
     *                       dbus-daemon does
     * @param allowAnonymous {@code <allow_anonymous/>}: whether ANONYMOUS is offered at all
     * @param guid           the server GUID, 32 hex digits
     * @param keyring        the cookie keyring, or null to not offer DBUS_COOKIE_SHA1
     * @param random         for cookie challenges
     */
    public SaslServerConfig(Collection<String> authElements, boolean allowAnonymous, String guid,
                            CookieKeyring keyring, SecureRandom random) {
        if (guid.length() != 32 || !guid.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw new IllegalArgumentException("server GUID must be 32 hex digits: " + guid);
        }
        EnumSet<SaslMechanism> set = EnumSet.noneOf(SaslMechanism.class);
        if (authElements.isEmpty()) {
            set.addAll(EnumSet.allOf(SaslMechanism.class));
        } else {
            for (String name : authElements) {
                SaslMechanism m = SaslMechanism.byWireName(name);
                if (m != null) {
                    set.add(m);
                }
            }
        }
        if (!allowAnonymous) {
            set.remove(SaslMechanism.ANONYMOUS);
        }
        if (keyring == null) {
            set.remove(SaslMechanism.DBUS_COOKIE_SHA1);
        }
        this.offered = set;
        this.guid = guid.toLowerCase(Locale.ROOT);
        this.keyring = keyring;
        this.random = random;
        StringBuilder rejected = new StringBuilder("REJECTED");
        for (SaslMechanism m : set) {
            rejected.append(' ').append(m.wireName());
        }
        this.rejectedLine = rejected.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
        this.okLine = ("OK " + this.guid + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** A new random server GUID. */
    public static String randomGuid() {
        return HexFormat.of().formatHex(RandomBytes.of(16));
    }

    public boolean offers(SaslMechanism mechanism) {
        return offered.contains(mechanism);
    }

    /** The mechanisms offered, in the order REJECTED lists them. */
    public Set<SaslMechanism> offered() {
        return EnumSet.copyOf(offered);
    }

    public String guid() {
        return guid;
    }

    CookieKeyring keyring() {
        return keyring;
    }

    SecureRandom random() {
        return random;
    }

    byte[] rejectedLine() {
        return rejectedLine;
    }

    byte[] okLine() {
        return okLine;
    }
}
