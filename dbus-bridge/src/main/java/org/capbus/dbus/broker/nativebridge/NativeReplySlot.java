package org.capbus.dbus.broker.nativebridge;

import org.capbus.core.Handle;
import org.capbus.dbus.broker.connection.BusConnection;

/**
 * The tag of a reply node: the one-shot capability a native service gets with a D-Bus method call
 * (docs/native-protocol.md, section 7). It says whose call it answers; the {@link NativeBridge} owns the node.
 *
 * <p>Event-loop thread only.
 */
final class NativeReplySlot {
    /**
     * The native connection the call was delivered to: the reply goes out as its reply. Null in a slot a live upgrade
     * carried after that connection left (a reply handle it had passed on): nothing can answer for it any more.
     */
    final BusConnection callee;
    /** The caller's unique name, the reply's DESTINATION. */
    final String caller;
    /** The call's serial, the reply's REPLY_SERIAL. */
    final long serial;
    /** The bridge's owner handle of the reply node. */
    Handle ownerHandle;
    /** Whether a reply (or NoReply) went out. */
    boolean answered;

    NativeReplySlot(BusConnection callee, String caller, long serial) {
        this.callee = callee;
        this.caller = caller;
        this.serial = serial;
    }
}
