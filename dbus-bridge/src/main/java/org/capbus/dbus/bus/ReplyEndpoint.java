package org.capbus.dbus.bus;

/**
 * A connection's membership in a {@link ReplyTracker}: created by {@link ReplyTracker#register}, kept by the
 * connection, passed to every tracker call, and dead after {@link ReplyTracker#disconnect}. Holds the heads of
 * the connection's two slot lists (replies it awaits, replies it owes) so the tracker needs no per-connection
 * map. Event-loop thread only.
 *
 * @param <C> the connection type
 */
public final class ReplyEndpoint<C> {

    final C connection;
    final int id;
    boolean registered = true;
    int pendingHead = ReplyTracker.NIL;
    int pendingTail = ReplyTracker.NIL;
    int pendingCount;
    int owedHead = ReplyTracker.NIL;
    int owedTail = ReplyTracker.NIL;
    int owedCount;

    ReplyEndpoint(C connection, int id) {
        this.connection = connection;
        this.id = id;
    }

    /** The connection this endpoint stands for. */
    public C connection() {
        return connection;
    }

    /** The number of replies this connection awaits (the count {@code max_replies_per_connection} limits). */
    public int pendingCount() {
        return pendingCount;
    }

    /** The number of replies this connection owes to callers. */
    public int owedCount() {
        return owedCount;
    }

    /** False once the connection has been disconnected from the tracker. */
    public boolean isRegistered() {
        return registered;
    }
}
