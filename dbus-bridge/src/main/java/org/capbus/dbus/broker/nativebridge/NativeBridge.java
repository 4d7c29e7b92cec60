package org.capbus.dbus.broker.nativebridge;

import org.capbus.core.Core;
import org.capbus.core.Handle;
import org.capbus.core.Message;
import org.capbus.core.Peer;
import org.capbus.core.Receiver;
import org.capbus.dbus.DBusErrors;
import org.capbus.dbus.broker.connection.BusConnection;
import org.capbus.dbus.broker.connection.BusMessage;
import org.capbus.dbus.broker.connection.ConnectionEvents;
import org.capbus.dbus.broker.connection.NativePayload;
import org.capbus.dbus.wire.DBusMessage;
import org.capbus.dbus.wire.MessageBuilder;
import org.capbus.dbus.wire.Validity;

/**
 * The bus's peer for the native protocol's reply nodes: it owns one node per D-Bus method call delivered to a native
 * service, and grants the service a handle to it (the reply handle). A reply sent through that handle goes to the
 * caller as the service's reply ({@link NativeSession} dispatches it); when every holder released the handle
 * without answering, this peer receives {@code NodeReleased} and answers the caller with {@code NoReply}.
 *
 * <p>Owned by the bus (the composition root), which drains its queue in its flush loop. Event-loop thread only.
 */
public final class NativeBridge implements Receiver {
    private final ConnectionEvents events;
    private final Peer peer;
    private long serial = 1;
    /** Whether this peer's queue has events to drain. */
    private boolean ready;

    /** A bridge with a peer of the bus's own user in {@code core}; NoReply errors are routed through {@code events}. */
    public NativeBridge(Core core, long busUid, ConnectionEvents events) {
        this.events = events;
        this.peer = core.createPeer(core.user(busUid), p -> ready = true);
    }

    /** Its peer in the core (the owner of the reply nodes). */
    Peer peer() {
        return peer;
    }

    /** Whether its queue has events to drain. */
    public boolean isReady() {
        return ready;
    }

    /** A reply handle for {@code callee}'s answer to {@code caller}'s call {@code serial}; null if it cannot be made. */
    Handle replyHandle(BusConnection callee, String caller, long serial) {
        NativeReplySlot slot = new NativeReplySlot(callee, caller, serial);
        Handle owner = peer.createNode(slot);
        if (owner == null) {
            return null;
        }
        slot.ownerHandle = owner;
        Handle granted = peer.grant(owner, callee.peer());
        if (granted == null) {
            peer.release(owner);
        }
        return granted;
    }

    /** The call was answered through its reply handle: the node goes away (other holders get NodeDestroyed). */
    void answered(NativeReplySlot slot) {
        slot.answered = true;
        Handle h = slot.ownerHandle;
        if (h != null && h.isValid()) {
            peer.release(h);
        }
    }

    /** Handles what its queue holds. */
    public void drain() {
        ready = false;
        peer.drain(this);
    }

    @Override
    public boolean onMessage(long sequence, Handle destination, Message message, Handle[] transferred) {
        // Sessions answer through reply handles directly; nothing is ever queued here. Drop defensively.
        if (message.payload() instanceof NativePayload p) {
            p.message().release();
        }
        for (Handle t : transferred) {
            while (t != null && t.isValid()) {
                int before = t.count();
                peer.release(t);
                if (t.count() == before) {
                    break;
                }
            }
        }
        return true;
    }

    @Override
    public boolean onNodeDestroyed(long sequence, Handle handle) {
        return true;
    }

    @Override
    public boolean onNodeReleased(long sequence, Handle ownerHandle) {
        if (!(ownerHandle.node().tag() instanceof NativeReplySlot slot) || slot.answered) {
            return true;
        }
        slot.answered = true;
        BusConnection callee = slot.callee;
        if (callee != null && callee.isRegistered()) {
            // The service let go of the call without answering: the caller hears NoReply, from the service (as
            // through the bus's reply tracking, so the caller's reply slot is consumed exactly once).
            byte[] bytes = MessageBuilder.error(slot.serial, slot.caller, DBusErrors.NO_REPLY)
                    .string("The native service released the reply handle without replying")
                    .build(nextSerial());
            DBusMessage m = new DBusMessage();
            if (m.parse(bytes, bytes.length) == Validity.VALID) {
                events.dispatch(callee, m, BusMessage.NO_FDS);
            }
        }
        peer.release(ownerHandle);
        return true;
    }

    private long nextSerial() {
        long s = serial++;
        if (serial > 0xFFFFFFFFL) {
            serial = 1;
        }
        return s;
    }
}
