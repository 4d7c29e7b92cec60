package org.capbus.dbus.io;

/**
 * Told by a transport that bytes it was lent with {@link TransportConnection#writeLent} are no longer needed: they
 * are in the socket, or the connection closed. Called once per lending, on the event-loop thread. A message
 * implements it itself, so that lending costs no allocation.
 */
@FunctionalInterface
public interface WrittenCallback {
    void written();
}
