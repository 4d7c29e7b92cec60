package org.capbus.dbus.sasl;

/**
 * Who authenticated, known once {@code BEGIN} was received.
 *
 * @param uid               the authenticated uid, or -1 for {@link SaslMechanism#ANONYMOUS}
 * @param mechanism         the mechanism that succeeded
 * @param unixFdsNegotiated whether {@code NEGOTIATE_UNIX_FD} was answered with {@code AGREE_UNIX_FD}
 * @param nativeNegotiated  whether {@code NEGOTIATE_CAPBUS_NATIVE 1} was agreed: after BEGIN the connection speaks
 *                          capbus's native protocol, not D-Bus
 */
public record SaslIdentity(long uid, SaslMechanism mechanism, boolean unixFdsNegotiated, boolean nativeNegotiated) {

    /** A D-Bus (not native) identity. */
    public SaslIdentity(long uid, SaslMechanism mechanism, boolean unixFdsNegotiated) {
        this(uid, mechanism, unixFdsNegotiated, false);
    }

    public boolean isAnonymous() {
        return mechanism == SaslMechanism.ANONYMOUS;
    }
}
