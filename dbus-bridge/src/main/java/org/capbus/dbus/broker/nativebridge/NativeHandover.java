package org.capbus.dbus.broker.nativebridge;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.capbus.core.Core;
import org.capbus.core.CoreImage;
import org.capbus.core.Handle;
import org.capbus.core.Node;
import org.capbus.core.Peer;
import org.capbus.dbus.broker.connection.BusConnection;
import org.capbus.dbus.broker.connection.CoreMapping;
import org.capbus.dbus.broker.handover.NativeImage;

/**
 * The native protocol's part of a live upgrade (docs/live-upgrade.md, section 9): maps the core's graph as its
 * native connections and the bridge hold it ({@link CoreImage}) to and from the bus's terms ({@link NativeImage}:
 * connections by index, the driver, reply nodes with the call they answer), with what each session adds (the
 * client's references, the named nodes).
 *
 * <p>The core image's peer list is, by index: the driver's peer, the bridge's peer, then each connection's peer in
 * the image's connection order. Carried are the bridge and the native connections; the handles the bus keeps in
 * D-Bus connections' peers (routing's, the driver's) are made again by the new process as for any connection (the
 * driver's handle to a native root node at restore, routing's at the next send), which changes no client-visible id
 * and no notification: a root node always has the driver among its holders, so no {@code NodeReleased} is due.
 *
 * <p>Stateless; called on the loop thread by the bus (the composition root).
 */
public final class NativeHandover {
    private static final int DRIVER = 0;
    private static final int BRIDGE = 1;
    private static final int FIRST_CONNECTION = 2;

    private NativeHandover() {
    }

    /**
     * Describes the native connections among {@code connections} (the image's connections, in order) and the graph
     * they hold. Every core queue must be empty (the caller drained them into the sockets).
     *
     * @throws IllegalStateException if a queue is not empty
     */
    public static NativeImage export(CoreMapping mapping, NativeBridge bridge, List<BusConnection> connections) {
        Map<BusConnection, Integer> index = new IdentityHashMap<>();
        List<Peer> peers = new ArrayList<>();
        peers.add(mapping.driverPeer());
        peers.add(bridge.peer());
        List<Peer> carried = new ArrayList<>();
        carried.add(bridge.peer());
        for (BusConnection c : connections) {
            index.put(c, index.size());
            peers.add(c.peer());
            if (c.isNative()) {
                carried.add(c.peer());
            }
        }
        if (bridge.peer().hasQueued() || mapping.driverPeer().hasQueued()) {
            throw new IllegalStateException("the bus's own queues are not empty");
        }
        CoreImage core = mapping.core().exportImage(peers, carried);
        List<NativeImage.Node> nodes = new ArrayList<>();
        for (CoreImage.NodeImage n : core.nodes()) {
            nodes.add(switch (n.owner()) {
                case DRIVER -> new NativeImage.Node(NativeImage.OWNER_DRIVER, n.destroyed(), null);
                case BRIDGE -> {
                    NativeReplySlot slot = (NativeReplySlot) n.tag();
                    Integer callee = slot.callee == null ? null : index.get(slot.callee);
                    yield new NativeImage.Node(NativeImage.OWNER_BRIDGE, n.destroyed(), new NativeImage.Reply(
                            callee == null ? -1 : callee, slot.caller, slot.serial, slot.answered));
                }
                case CoreImage.OWNER_GONE -> new NativeImage.Node(
                        n.tag() instanceof BusConnection c && c.isNative() || n.tag() == NativeSession.DEPARTED_NATIVE
                                ? NativeImage.OWNER_GONE_NATIVE : NativeImage.OWNER_GONE_DBUS, true, null);
                default -> new NativeImage.Node(n.owner() - FIRST_CONNECTION, n.destroyed(), null);
            });
        }
        List<NativeImage.Connection> natives = new ArrayList<>();
        for (CoreImage.PeerImage p : core.peers()) {
            if (p.peer() == BRIDGE) {
                // Its handles are the owner handles of the reply nodes not yet answered: made again from the nodes.
                continue;
            }
            BusConnection c = connections.get(p.peer() - FIRST_CONNECTION);
            NativeSession session = (NativeSession) c.nativeEndpoint();
            List<NativeImage.Handle> handles = new ArrayList<>();
            for (CoreImage.HandleImage h : p.handles()) {
                handles.add(new NativeImage.Handle(h.id(), h.node(), h.count(), session.clientRefs(h.id())));
            }
            List<NativeImage.NamedNode> named = new ArrayList<>();
            session.namedNodes().forEach((name, id) -> named.add(new NativeImage.NamedNode(name, id)));
            natives.add(new NativeImage.Connection(p.peer() - FIRST_CONNECTION, p.nextHandleId(), c.root().id(),
                    List.copyOf(handles), List.copyOf(named)));
        }
        return new NativeImage(core.sequence(), List.copyOf(nodes), List.copyOf(natives));
    }

    /**
     * Restores the graph over {@code connections} (the restored connections, in the image's order; the native ones
     * made with bare peers, registered, without root or session yet): the core's nodes and handles with their ids,
     * each native connection's root node, and its session from {@code sessions} with the client's references and
     * named nodes; then each native connection speaks through its session. Sends nothing.
     *
     * @throws IllegalArgumentException if the image does not fit (an index out of range, a handle not held)
     */
    public static void restore(NativeImage image, CoreMapping mapping, NativeBridge bridge,
                               List<BusConnection> connections, Function<BusConnection, NativeSession> sessions) {
        List<Peer> peers = new ArrayList<>();
        peers.add(mapping.driverPeer());
        peers.add(bridge.peer());
        for (BusConnection c : connections) {
            peers.add(c.peer());
        }
        java.util.Set<Integer> nativeConnections = new java.util.HashSet<>();
        for (NativeImage.Connection c : image.connections()) {
            nativeConnections.add(c.connection());
        }
        List<CoreImage.NodeImage> nodes = new ArrayList<>();
        Node[] existing = new Node[image.nodes().size()];
        List<CoreImage.HandleImage> bridgeHandles = new ArrayList<>();
        Map<Integer, NativeReplySlot> slots = new HashMap<>();
        for (int i = 0; i < existing.length; i++) {
            NativeImage.Node n = image.nodes().get(i);
            switch (n.owner()) {
                case NativeImage.OWNER_DRIVER -> {
                    existing[i] = mapping.driverRoot();
                    nodes.add(new CoreImage.NodeImage(DRIVER, false, null));
                }
                case NativeImage.OWNER_BRIDGE -> {
                    NativeImage.Reply r = n.reply();
                    NativeReplySlot slot = new NativeReplySlot(r.callee() < 0 ? null : connection(connections,
                            r.callee()), r.caller(), r.serial());
                    slot.answered = r.answered();
                    slots.put(i, slot);
                    nodes.add(new CoreImage.NodeImage(BRIDGE, n.destroyed(), slot));
                    if (!n.destroyed()) {
                        bridgeHandles.add(new CoreImage.HandleImage(bridgeHandles.size() + 1, i, 1));
                    }
                }
                case NativeImage.OWNER_GONE_NATIVE ->
                        nodes.add(new CoreImage.NodeImage(CoreImage.OWNER_GONE, true, NativeSession.DEPARTED_NATIVE));
                case NativeImage.OWNER_GONE_DBUS -> nodes.add(new CoreImage.NodeImage(CoreImage.OWNER_GONE, true, null));
                default -> {
                    BusConnection owner = connection(connections, n.owner());
                    if (!nativeConnections.contains(n.owner()) && !n.destroyed() && owner.root() != null) {
                        // A D-Bus connection's root node, made again when the connection was restored.
                        existing[i] = owner.root().node();
                    }
                    nodes.add(new CoreImage.NodeImage(FIRST_CONNECTION + n.owner(), n.destroyed(), owner));
                }
            }
        }
        List<CoreImage.PeerImage> holders = new ArrayList<>();
        holders.add(new CoreImage.PeerImage(BRIDGE, bridgeHandles.size() + 1L, List.copyOf(bridgeHandles)));
        for (NativeImage.Connection c : image.connections()) {
            connection(connections, c.connection()); // only checks the index
            List<CoreImage.HandleImage> handles = new ArrayList<>();
            for (NativeImage.Handle h : c.handles()) {
                handles.add(new CoreImage.HandleImage(h.id(), h.node(), h.count()));
            }
            holders.add(new CoreImage.PeerImage(FIRST_CONNECTION + c.connection(), c.nextHandleId(),
                    List.copyOf(handles)));
        }
        Core core = mapping.core();
        core.importImage(new CoreImage(image.sequence(), List.copyOf(nodes), List.copyOf(holders)), peers,
                i -> existing[i]);
        for (CoreImage.HandleImage h : bridgeHandles) {
            slots.get(h.node()).ownerHandle = bridge.peer().handle(h.id());
        }
        for (NativeImage.Connection c : image.connections()) {
            BusConnection connection = connections.get(c.connection());
            Handle root = connection.peer().handle(c.rootHandle());
            if (root == null || root.node().owner() != connection.peer()) {
                throw new IllegalArgumentException(connection + ": root handle " + c.rootHandle() + " not its own");
            }
            mapping.restoreRoot(connection, root);
            NativeSession session = sessions.apply(connection);
            Map<Long, Integer> refs = new HashMap<>();
            for (NativeImage.Handle h : c.handles()) {
                refs.put(h.id(), h.clientRefs());
            }
            Map<String, Long> named = new HashMap<>();
            for (NativeImage.NamedNode n : c.names()) {
                named.put(n.name(), n.handle());
            }
            session.resume(refs, named);
            connection.resumeNative(session);
        }
    }

    private static BusConnection connection(List<BusConnection> connections, int index) {
        if (index < 0 || index >= connections.size()) {
            throw new IllegalArgumentException("connection index " + index + " of " + connections.size());
        }
        return connections.get(index);
    }
}
