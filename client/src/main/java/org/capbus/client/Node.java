package org.capbus.client;

/**
 * A node this connection owns, with the handler its messages go to. Its {@link #handle()} is the owner's handle:
 * carry it in a message to give someone the capability to send to the node. Any thread.
 */
public final class Node {
    private final Handle handle;
    private final NodeHandler handler;

    Node(Handle handle, NodeHandler handler) {
        this.handle = handle;
        this.handler = handler;
    }

    /** The owner's handle (it also names the node in {@link CapbusClient#destroy} and name registration). */
    public Handle handle() {
        return handle;
    }

    NodeHandler handler() {
        return handler;
    }

    @Override
    public String toString() {
        return "Node[" + handle.id() + "]";
    }
}
