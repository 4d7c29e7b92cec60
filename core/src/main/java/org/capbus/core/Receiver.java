package org.capbus.core;

/**
 * Receives a peer's queued events in order, from {@link Peer#drain}. Each method returns whether draining
 * should go on after this event. Called on the event-loop thread; a receiver may call into the core (send,
 * release, drain again), and what it starts is ordered after the event it is handling.
 */
public interface Receiver {

    /**
     * A message sent to {@code destination} (the receiving peer's own handle to its node, i.e. the node tag is
     * reachable through {@code destination.node()}). {@code transferred} holds the handles the message carried,
     * already installed in the receiving peer (an entry is {@code null} where the node's destruction was
     * ordered before this message); it is empty, never null, when none were carried. The array is the core's and is
     * reused for the next message: it is valid only during this call (copy the handles out to keep them). The
     * message's charges have already been returned.
     */
    boolean onMessage(long sequence, Handle destination, Message message, Handle[] transferred);

    /** The node behind {@code handle} was destroyed; nothing more will arrive through it. */
    boolean onNodeDestroyed(long sequence, Handle handle);

    /** Every handle but the owner's to the node behind {@code ownerHandle} is gone. */
    boolean onNodeReleased(long sequence, Handle ownerHandle);
}
