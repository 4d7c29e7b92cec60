package org.capbus.dbus.sasl;

/**
 * Who authenticated, known once {@code BEGIN} was received.
 *
 * @param uid               the authenticated uid, or -1 for {@link SaslMechanism#ANONYMOUS}
 * @param mechanism         the mechanism that succeeded
 * @param unixFdsNegotiated whether {@code NEGOTIATE_UNIX_FD} was answered with {@code AGREE_UNIX_FD}
 */
public record SaslIdentity(long uid, SaslMechanism mechanism, boolean unixFdsNegotiated) {

    public boolean isAnonymous() {
        return mechanism == SaslMechanism.ANONYMOUS;
    }
}
