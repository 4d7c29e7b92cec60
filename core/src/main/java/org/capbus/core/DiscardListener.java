package org.capbus.core;

/** Told of each queued message copy dropped without being received. */
@FunctionalInterface
public interface DiscardListener {
    void onDiscard(Peer receiver, Message message);
}
