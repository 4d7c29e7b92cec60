package org.capbus.dbus.broker.connection;

/** Where a {@link BusConnection} is in its life; it only moves forward, to the right. */
public enum ConnectionState {
    /** The SASL exchange is running. */
    AUTHENTICATING,
    /** Authenticated; the first message must be {@code Hello}. */
    AWAITING_HELLO,
    /** Has its unique name; sends and receives. */
    ACTIVE,
    /** Became a monitor (BecomeMonitor): receives copies only, may not send. */
    MONITOR,
    /** Closed: nothing more is read or written. */
    CLOSED
}
