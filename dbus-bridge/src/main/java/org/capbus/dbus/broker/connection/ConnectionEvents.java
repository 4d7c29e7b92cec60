package org.capbus.dbus.broker.connection;

import org.capbus.dbus.broker.stats.DisconnectReason;
import org.capbus.dbus.sasl.CookieKeyring;
import org.capbus.dbus.wire.DBusMessage;

/**
 * What a {@link BusConnection} reports to the bus it belongs to: a whole message to route, a finished
 * authentication, its own end, and that its queue has something to write. Implemented by the composition root
 * ({@code org.capbus.dbus.broker.Bus}), so that the connection looks only down. Event-loop thread only.
 */
public interface ConnectionEvents {

    /** Routes one valid message {@code m} that {@code sender} sent, with its descriptors (now owned by the bus). */
    void dispatch(BusConnection sender, DBusMessage m, int[] fds);

    /**
     * Authentication succeeded: the configuration decides whether the user may connect. Returns false if the
     * connection was closed instead.
     */
    boolean authenticated(BusConnection c);

    /** Closes {@code c}: the bus lets go of everything it had (see {@code BusState#goodbye}). */
    void disconnect(BusConnection c, DisconnectReason reason, String detail);

    /** {@code c}'s core queue has messages to write. */
    void queueReady(BusConnection c);

    /** Runs the driver and writes queued deliveries until nothing is left (after each batch of input). */
    void flush();

    /**
     * The connection agreed to the native protocol (NEGOTIATE_CAPBUS_NATIVE) and authenticated: the bus registers
     * it (its unique name) and returns the endpoint that speaks the protocol, or null if it closed it instead.
     */
    NativeEndpoint nativeNegotiated(BusConnection c);

    /**
     * {@code c} is sending a message of {@code announcedLength} bytes whose bytes do not fit in what
     * {@code max_incoming_bytes} leaves to it and its user ({@link IncomingQuota}): the bus counts it and closes
     * {@code c}.
     */
    void incomingQuotaExceeded(BusConnection c, int announcedLength);

    /**
     * {@code c}'s authentication needs a cookie from {@code keyring}: read it off the loop and hand it back on the
     * loop with {@link BusConnection#keyringAnswered}.
     */
    void fetchCookie(BusConnection c, CookieKeyring keyring);

    /**
     * Descriptors {@code c} sent wait for the rest of their message: returns the timer, on the loop, that closes
     * {@code c} once they have waited {@code pending_fd_timeout} (the value configured now). The connection cancels it
     * when the message is complete or it closes.
     */
    java.util.concurrent.ScheduledFuture<?> armPendingFdsTimeout(BusConnection c);

    /** Closes descriptors the bus will not pass on. */
    void closeFds(int[] fds, int count);
}
