package org.capbus.dbus.broker.stats;

/** Why the bus closed a connection, as counted in metrics. */
public enum DisconnectReason {
    /** The client hung up. */
    CLIENT_CLOSED,
    /** The client broke the protocol: a malformed message, a message before Hello, a monitor that sent. */
    PROTOCOL_VIOLATION,
    /** Authentication failed or timed out. */
    AUTH_FAILED,
    /** A quota or limit of the configuration. */
    QUOTA,
    /** The bus is shutting down. */
    SHUTDOWN
}
