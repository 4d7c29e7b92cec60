package org.capbus.dbus.sasl;

import java.io.IOException;

/**
 * The secret cookies of the DBUS_COOKIE_SHA1 mechanism, in one cookie context (D-Bus specification,
 * "DBUS_COOKIE_SHA1"). A client proves who it is by reading the same cookie from the same file.
 *
 * <p>Reading it is file I/O; see {@link FileCookieKeyring}.
 */
public interface CookieKeyring {

    /** The cookie context, which names the keyring file; usually {@code org_freedesktop_general}. */
    String context();

    /**
     * A cookie to challenge a client with now: a recent one from the keyring, or a new one added to it.
     *
     * @throws IOException if the keyring cannot be read or written; the attempt is then rejected
     */
    Cookie cookieForChallenge() throws IOException;

    /**
     * One cookie.
     *
     * @param id     its id in the keyring file
     * @param secret its hex secret, used as it appears in the file
     */
    record Cookie(long id, String secret) {
    }
}
