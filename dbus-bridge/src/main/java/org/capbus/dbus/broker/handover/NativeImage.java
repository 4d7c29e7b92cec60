package org.capbus.dbus.broker.handover;

import java.util.List;

/**
 * The native protocol's part of a bus as a live upgrade hands it over (docs/live-upgrade.md, section 9): the core's
 * sequence, every node a native connection holds a handle to, and per native connection its handles (with the ids
 * its client knows, their references and how many of those are the client's), the counter of its handle ids, its
 * root node and the nodes it registered under well-known names. Connections are numbered as in
 * {@link BusImage#connections()}. No core queue travels: the old process drained them into the sockets first.
 * Immutable; any thread.
 *
 * @param sequence    the core's last sequence number (the numbers native clients see keep increasing)
 * @param nodes       the nodes, referred to by index
 * @param connections the native connections
 */
public record NativeImage(long sequence, List<Node> nodes, List<Connection> connections) {

    /** Owner of the bus driver's root node. */
    public static final int OWNER_DRIVER = -1;
    /** Owner of a reply node: the bus's native bridge ({@link Node#reply()} says whose call it answers). */
    public static final int OWNER_BRIDGE = -2;
    /** A destroyed node whose owner, a D-Bus connection, left. */
    public static final int OWNER_GONE_DBUS = -3;
    /** A destroyed node whose owner, a native connection, left. */
    public static final int OWNER_GONE_NATIVE = -4;

    /**
     * A node: a connection's (its root node, or for a native connection one it created), the driver's root node,
     * a reply node, or a destroyed node of a connection that left.
     *
     * @param owner     a connection index, or one of the {@code OWNER_*} values
     * @param destroyed whether it was destroyed
     * @param reply     for {@link #OWNER_BRIDGE}: the call it answers; else null
     */
    public record Node(int owner, boolean destroyed, Reply reply) {
    }

    /**
     * The call a reply node answers (a D-Bus method call delivered to a native service).
     *
     * @param callee   the native connection the call was delivered to, or -1 if it left
     * @param caller   the caller's unique name
     * @param serial   the call's serial
     * @param answered whether a reply (or NoReply) went out already
     */
    public record Reply(int callee, String caller, long serial, boolean answered) {
    }

    /**
     * One native connection's side of the graph.
     *
     * @param connection   its index
     * @param nextHandleId the id its next new handle gets
     * @param rootHandle   its handle to its root node (as WELCOME named it)
     * @param handles      its handles, by increasing id
     * @param names        the nodes it registered under well-known names (D-Bus calls to the name reach them)
     */
    public record Connection(int connection, long nextHandleId, long rootHandle, List<Handle> handles,
                             List<NamedNode> names) {
    }

    /**
     * A handle.
     *
     * @param id         its id on the connection
     * @param node       index in {@link NativeImage#nodes()}
     * @param count      references held (the client's and the bus's own, such as routing's)
     * @param clientRefs references the client holds (and may release)
     */
    public record Handle(long id, int node, int count, int clientRefs) {
    }

    /** A well-known name bound to the node of the connection's handle {@code handle}. */
    public record NamedNode(String name, long handle) {
    }
}
