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
    private final Map<Long, long[]> chargedPerUser = new HashMap<>();

    /** A quota reading {@code max_incoming_bytes} from {@code maxIncomingBytes} (so a reload applies at once). */
    public IncomingQuota(LongSupplier maxIncomingBytes) {
        this.maxIncomingBytes = maxIncomingBytes;
    }

    /** The budget of one connection of {@code uid}. */
    public IncomingBudget budgetFor(long uid) {
        return new ConnectionBudget(uid);
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
        private final long uid;
        private long charged;

        ConnectionBudget(long uid) {
            this.uid = uid;
        }

        @Override
        public boolean charge(int bytes) {
            long[] user = chargedPerUser.get(uid);
            long userCharged = user == null ? 0 : user[0];
            if (charged + bytes > perConnection() || userCharged + bytes > perUser()) {
                return false;
            }
            if (user == null) {
                user = new long[1];
                chargedPerUser.put(uid, user);
            }
            user[0] += bytes;
            charged += bytes;
            return true;
        }

        @Override
        public void refund(int bytes) {
            charged -= bytes;
            long[] user = chargedPerUser.get(uid);
            user[0] -= bytes;
            if (user[0] == 0) {
                chargedPerUser.remove(uid);
            }
        }
    }
}
