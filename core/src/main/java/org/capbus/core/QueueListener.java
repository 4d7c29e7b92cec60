package org.capbus.core;

/** Told, synchronously inside the transaction that caused it, that a peer's queue went from empty to non-empty. */
@FunctionalInterface
public interface QueueListener {
    void onQueueReady(Peer peer);
}
