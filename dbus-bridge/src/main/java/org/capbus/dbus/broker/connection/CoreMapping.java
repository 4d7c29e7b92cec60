package org.capbus.dbus.broker.connection;

import org.capbus.core.Core;
import org.capbus.core.Handle;
import org.capbus.core.Message;
import org.capbus.core.Peer;
import org.capbus.core.QueueListener;
import org.capbus.core.SendResult;

/**
 * The mapping of D-Bus onto the capability core, in one place (DESIGN.md, "D-Bus onto the core"):
 * <ul>
 *   <li>a connection is a {@link Peer} of the user its socket credentials name;</li>
 *   <li>its unique name is the peer's root node, created at {@code Hello}; the driver peer (the bus itself,
 *       owner of {@code org.freedesktop.DBus}) holds a handle to every root node;</li>
 *   <li>resolving a destination grants the sending peer a handle to the target's root node, once, through the
 *       driver's handle (the bus acting as capability authority); later sends find it with
 *       {@link Peer#handleTo}. A handle goes away when its node is destroyed (the target disconnected);</li>
 *   <li>every message between connections is a core send from the sender's peer, so that accounting charges the
 *       receiving user on behalf of the sending user, and the core's global order is the bus's order.</li>
 * </ul>
 * Well-known names are not nodes: they are bindings in the bridge's name registry, resolved at send time.
 *
 * <p>Event-loop thread only.
 */
public final class CoreMapping {
    private final Core core;
    private final Peer driverPeer;
    private final Handle driverRoot;

    public CoreMapping(Core core, long busUid, QueueListener driverListener) {
        this.core = core;
        this.driverPeer = core.createQuotaExemptPeer(core.user(busUid), driverListener);
        this.driverRoot = driverPeer.createNode(null);
    }

    public Core core() {
        return core;
    }

    public Peer driverPeer() {
        return driverPeer;
    }

    /** A peer for a new connection, holding a handle to the driver so that it can send {@code Hello}. */
    public Peer attach(long uid, QueueListener listener) {
        Peer peer = core.createPeer(core.user(uid), listener);
        driverPeer.grant(driverRoot, peer);
        return peer;
    }

    /**
     * A peer for a connection taken over in a live upgrade whose handles the hand-over brings with their ids (a native
     * connection): no handle yet, not even to the driver.
     */
    public Peer attachBare(long uid, QueueListener listener) {
        return core.createPeer(core.user(uid), listener);
    }

    /** The bus driver's root node (what a handle to the driver points to). */
    public org.capbus.core.Node driverRoot() {
        return driverRoot.node();
    }

    /**
     * Makes {@code root}, a handle the hand-over restored in the connection's peer, the connection's root node and
     * gives the driver a handle to it, as {@link #createRoot} does for a new one.
     */
    public void restoreRoot(BusConnection connection, Handle root) {
        connection.root = root;
        connection.driverHandle = connection.peer().grant(root, driverPeer);
    }

    /** Creates the connection's root node (its unique name) and gives the driver a handle to it. */
    public void createRoot(BusConnection connection) {
        Handle root = connection.peer().createNode(connection);
        connection.root = root;
        connection.driverHandle = connection.peer().grant(root, driverPeer);
    }

    /** The sender's handle to the driver's root node. */
    public Handle driverHandleOf(Peer sender) {
        return sender.handleTo(driverRoot.node());
    }

    /** The sender's handle to {@code target}'s root node, granted on first use; null if the target is gone. */
    public Handle handleFor(Peer sender, BusConnection target) {
        Handle root = target.root;
        if (root == null) {
            return null;
        }
        Handle h = sender.handleTo(root.node());
        if (h == null && target.driverHandle != null) {
            h = driverPeer.grant(target.driverHandle, sender);
        }
        return h;
    }

    /** Sends {@code message} from {@code sender} to {@code target}'s root node. Returns a {@link SendResult} code. */
    public int unicast(Peer sender, BusConnection target, BusMessage message) {
        Handle h = handleFor(sender, target);
        if (h == null) {
            return SendResult.DESTROYED;
        }
        int code = sender.send(h, new Message(message, message.size(), null, message.fds.length));
        if (code == SendResult.OK) {
            message.expect(1);
        }
        return code;
    }

    /** Sends a message to the driver. */
    public int toDriver(Peer sender, Object call, long size) {
        Handle h = driverHandleOf(sender);
        if (h == null) {
            return SendResult.INVALID_HANDLE;
        }
        return sender.send(h, new Message(call, size, null, 0));
    }

    /** Sends a message the driver created to {@code target}. */
    public int fromDriver(BusConnection target, BusMessage message) {
        if (target.driverHandle == null) {
            return SendResult.DESTROYED;
        }
        int code = driverPeer.send(target.driverHandle, new Message(message, message.size(), null, 0));
        if (code == SendResult.OK) {
            message.expect(1);
        }
        return code;
    }

    /**
     * Sends one message from {@code sender} to {@code count} connections as one core transaction, each
     * destination on its own (continue-on-error): a full receiver does not hold back the others.
     * Returns how many received it.
     */
    public int multicast(Peer sender, BusConnection[] targets, int count, BusMessage message, Handle[] scratch, int[] results) {
        int n = 0;
        for (int i = 0; i < count; i++) {
            Handle h = sender == driverPeer ? targets[i].driverHandle : handleFor(sender, targets[i]);
            if (h != null) {
                scratch[n++] = h;
            }
        }
        if (n == 0) {
            return 0;
        }
        sender.send(scratch, n, new Message(message, message.size(), null, message.fds.length),
                SendResult.CONTINUE_ON_ERROR, results);
        int delivered = 0;
        for (int i = 0; i < n; i++) {
            if (results[i] == SendResult.OK) {
                delivered++;
            }
            scratch[i] = null;
        }
        message.expect(delivered);
        return delivered;
    }

    /** Disconnects the connection's peer: destroys its root node, drops its queue, returns its charges. */
    public void detach(BusConnection connection) {
        connection.peer().disconnect();
    }
}
