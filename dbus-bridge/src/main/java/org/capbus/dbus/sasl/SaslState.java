package org.capbus.dbus.sasl;

/** Where a {@link SaslServer} is in the conversation (the D-Bus specification's server states). */
public enum SaslState {
    /** Nothing received yet: the first byte must be NUL. */
    WAITING_FOR_NUL,
    /** Waiting for {@code AUTH}. */
    WAITING_FOR_AUTH,
    /** A mechanism asked the client for {@code DATA}. */
    WAITING_FOR_DATA,
    /**
     * DBUS_COOKIE_SHA1 needs a cookie from the keyring: file I/O, which the owner does off its event loop and hands
     * back with {@link SaslServer#cookieReady} or {@link SaslServer#cookieFailed}. No input is consumed meanwhile.
     */
    WAITING_FOR_KEYRING,
    /** {@code OK} was sent; waiting for {@code BEGIN} (or {@code NEGOTIATE_UNIX_FD}). */
    WAITING_FOR_BEGIN,
    /** {@code BEGIN} received: what follows is the message stream. Terminal. */
    AUTHENTICATED,
    /** A protocol violation: the connection must be closed. Terminal; see {@link SaslServer#violation()}. */
    FAILED
}
