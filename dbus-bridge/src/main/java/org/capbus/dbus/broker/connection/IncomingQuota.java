package org.capbus.dbus.broker.connection;

import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

import org.capbus.dbus.wire.IncomingBudget;

/**
 * The bytes of messages still being received, per connection and per user: dbus-daemon's {@code max_incoming_bytes}
 * for one connection, and four times that for all connections of one user (as the outgoing side's user budget is four
 * connections' worth). A connection's framer charges its buffer here as it grows with the bytes that arrive; the
 * charge goes when the message is routed (into the core, where the receivers' accounts take over) or dropped.
 *
 * <p>Owned by the composition root ({@code Bus}); event-loop thread only.
 */
public final class IncomingQuota {
    private final LongSupplier maxIncomingBytes;
    /**
     * Bytes charged now, per user. A user's entry stays once made (one small array per uid that ever connected, so
     * bounded by the system's users): each budget holds its user's array, and charging a message costs no map lookup,
     * no boxing and no insertion, which the first version paid on every message.
     */
    private final Map<Long, long[]> chargedPerUser = new HashMap<>();

    /** A quota reading {@code max_incoming_bytes} from {@code maxIncomingBytes} (so a reload applies at once). */
    public IncomingQuota(LongSupplier maxIncomingBytes) {
        this.maxIncomingBytes = maxIncomingBytes;
    }

    /** The budget of one connection of {@code uid}. */
    public IncomingBudget budgetFor(long uid) {
        return new ConnectionBudget(chargedPerUser.computeIfAbsent(uid, k -> new long[1]));
    }

    /** Bytes charged now for {@code uid}'s connections. */
    public long chargedBy(long uid) {
        long[] charged = chargedPerUser.get(uid);
        return charged == null ? 0 : charged[0];
    }

    private long perConnection() {
        return maxIncomingBytes.getAsLong();
    }

    private long perUser() {
        long c = perConnection();
        return c > Long.MAX_VALUE / 4 ? Long.MAX_VALUE : 4 * c;
    }

    private final class ConnectionBudget implements IncomingBudget {
        /** The user's charge, shared by every budget of that user. */
        private final long[] user;
        private long charged;

        ConnectionBudget(long[] user) {
            this.user = user;
        }

        @Override
        public boolean charge(int bytes) {
            if (charged + bytes > perConnection() || user[0] + bytes > perUser()) {
                return false;
            }
            user[0] += bytes;
            charged += bytes;
            return true;
        }

        @Override
        public void refund(int bytes) {
            charged -= bytes;
            user[0] -= bytes;
        }
    }
}
