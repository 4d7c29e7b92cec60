package org.capbus.client;

/**
 * What a node does with what reaches it. Called on the client's event thread, one event at a time, in the bus's
 * order: do not block in it (use the futures' callbacks, or hand work to another thread).
 */
public interface NodeHandler {

    /** A message sent to the node. The handles and descriptors it carried are now this connection's. */
    void onMessage(Node node, Delivery delivery);

    /** No one but this connection holds a handle to the node any more (the protocol's NODE_RELEASED). */
    default void onReleased(Node node) {
    }

    /** The node was destroyed; nothing more arrives through it. */
    default void onDestroyed(Node node) {
    }
}
