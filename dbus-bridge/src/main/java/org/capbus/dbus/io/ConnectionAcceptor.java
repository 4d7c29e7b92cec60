package org.capbus.dbus.io;

/** Called by a transport's listener for each accepted connection, on the event-loop thread. */
public interface ConnectionAcceptor {

    /**
     * A new connection. Returns the handler for its events; never null. The acceptor may close the connection
     * at once (for instance over a connection limit).
     */
    ConnectionHandler accept(TransportConnection connection);
}
