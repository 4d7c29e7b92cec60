package org.capbus.adapters.transport;

import java.util.List;
import java.util.Map;

import org.capbus.dbus.io.TransportConnection;

/**
 * The transport's part of a live upgrade's hand-over (docs/live-upgrade.md): the listening sockets and, for every
 * connection, its socket and what was queued for it and not yet taken by the kernel. The listeners' and sockets'
 * descriptors stay the transport's (a resumed bus goes on with them); those attached to pending output are
 * duplicates the holder of the image closes once they are sent. Taken by
 * {@link UnixTransport#exportImage()} on the loop thread; immutable afterwards.
 */
public record TransportImage(List<Listener> listeners, Map<TransportConnection, Socket> sockets) {

    /**
     * A listening socket.
     *
     * @param address    the connectable address it was announced with
     * @param unlinkPath the socket file to remove when the bus finally stops, or null
     */
    public record Listener(int fd, String address, String unlinkPath) {
    }

    /** A connection's socket and its unsent output. */
    public record Socket(int fd, Pending pending) {
    }

    /**
     * Bytes queued and not yet written, with descriptor sets attached at offsets into them (each set goes with
     * the byte at its offset, the first byte of the D-Bus message that carries it).
     */
    public record Pending(byte[] bytes, long[] attachedAt, int[][] attachedFds) {
        /** Nothing queued. */
        public static final Pending NONE = new Pending(new byte[0], new long[0], new int[0][]);
    }
}
