package org.capbus.dbus.broker.handover;

/**
 * The bus is at a moment a hand-over cannot carry, and which passes by itself within milliseconds: a connection
 * waiting for the cookie keyring, a service's child being spawned. The upgrade tries the snapshot again a little
 * later rather than failing (see {@code Upgrader}); a refusal that would not pass is a plain
 * {@link IllegalStateException}.
 */
public final class NotNowException extends IllegalStateException {
    public NotNowException(String message) {
        super(message);
    }
}
