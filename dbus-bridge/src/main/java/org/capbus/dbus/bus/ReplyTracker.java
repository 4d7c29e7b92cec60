package org.capbus.dbus.bus;

import java.util.Arrays;

/**
 * Reply slots: the record that a caller awaits one reply to one method call. When the bus forwards a method
 * call that expects a reply from caller C with serial S to callee E, it {@linkplain #expectReply expects} a
 * reply; a METHOD_RETURN or ERROR from E to C with reply serial S then {@linkplain #acceptReply passes} once and
 * consumes the slot. Any other reply is unexpected: like dbus-broker (and dbus-daemon since 1.2), the bus must
 * not deliver it, since a peer could otherwise inject replies into calls it was never asked. When E disconnects,
 * each caller it owes a reply gets {@code org.freedesktop.DBus.Error.NoReply}, in the order the calls were
 * made; when C disconnects, its slots are dropped.
 *
 * <p>Optional timeout: dbus-daemon's {@code reply_timeout} defaults to -1 (never) in {@code bus/config-parser.c}
 * and dbus-broker has none; a configured timeout makes {@link #expire} yield the overdue slots (NoReply as well)
 * and {@link #nextDeadline} tells the bridge when to arm its timer. Since every slot gets the same timeout and
 * time is monotonic, creation order is deadline order and one list serves as the timer queue.
 *
 * <p>Storage is flat primitive arrays with index-linked lists and a {@code long}-keyed open-addressing map from
 * (caller id, serial) to slot: no boxing and, once warmed up, no allocation per call. Owned by the bus event-loop
 * thread; not thread-safe. The sinks must not call back into the tracker.
 *
 * @param <C> the connection type
 */
public final class ReplyTracker<C> {

    /** The outcome of {@link #expectReply}. */
    public enum ExpectResult {
        /** The slot was created. */
        ADDED,
        /** The caller already awaits a reply to this serial (it reused a serial); nothing changed. */
        EXISTS,
        /** The caller awaits {@code max_replies_per_connection} replies already: {@code LimitsExceeded}. */
        LIMIT_EXCEEDED
    }

    /** The outcome of {@link #acceptReply}. */
    public enum ReplyResult {
        /** The reply was expected; its slot is consumed. Deliver it. */
        ACCEPTED,
        /** No call of the addressed connection awaits a reply with this serial. Do not deliver. */
        UNEXPECTED,
        /** A call with this serial awaits a reply, but from another connection. Do not deliver; the slot stays. */
        WRONG_SENDER
    }

    /** Receives the callers owed a {@code NoReply} error. */
    @FunctionalInterface
    public interface NoReplySink<C> {
        /**
         * The reply to {@code caller}'s call {@code serial} will never come from {@code callee}: the bus sends
         * {@code caller} a NoReply error with that reply serial.
         */
        void noReply(C caller, int serial, C callee);
    }

    static final int NIL = -1;

    private final int maxRepliesPerConnection;
    private final long timeoutNanos;
    private final LongIntMap index = new LongIntMap(64);

    @SuppressWarnings("unchecked")
    private ReplyEndpoint<C>[] endpoints = new ReplyEndpoint[16];
    private int[] freeIds = new int[16];
    private int freeIdCount;
    private int nextId;

    private int[] callerId = new int[0];
    private int[] calleeId = new int[0];
    private int[] serial = new int[0];
    private long[] deadline = new long[0];
    private int[] pendingPrev = new int[0];
    private int[] pendingNext = new int[0];
    private int[] owedPrev = new int[0];
    private int[] owedNext = new int[0];
    private int[] timePrev = new int[0];
    private int[] timeNext = new int[0];
    private int freeSlot = NIL;
    private int timeHead = NIL;
    private int timeTail = NIL;
    private int size;

    /**
     * @param maxRepliesPerConnection how many replies one caller may await at once
     *                                ({@code max_replies_per_connection}, dbus-daemon default 128 on the system bus)
     * @param timeoutNanos            how long a slot lives ({@code reply_timeout}), or {@code <= 0} for never
     */
    public ReplyTracker(int maxRepliesPerConnection, long timeoutNanos) {
        if (maxRepliesPerConnection < 0) {
            throw new IllegalArgumentException("maxRepliesPerConnection: " + maxRepliesPerConnection + " (expected: >= 0)");
        }
        this.maxRepliesPerConnection = maxRepliesPerConnection;
        this.timeoutNanos = timeoutNanos;
        grow(16);
    }

    /** Adds a connection; keep the endpoint with it and pass it to every call. */
    public ReplyEndpoint<C> register(C connection) {
        int id = freeIdCount > 0 ? freeIds[--freeIdCount] : nextId++;
        if (id >= endpoints.length) {
            endpoints = Arrays.copyOf(endpoints, endpoints.length * 2);
        }
        ReplyEndpoint<C> endpoint = new ReplyEndpoint<>(connection, id);
        endpoints[id] = endpoint;
        return endpoint;
    }

    /**
     * Records that {@code caller} awaits a reply from {@code callee} to its call {@code serial}.
     *
     * @param nowNanos the current monotonic time ({@link System#nanoTime()} or the event loop's clock)
     */
    public ExpectResult expectReply(ReplyEndpoint<C> caller, int callSerial, ReplyEndpoint<C> callee, long nowNanos) {
        checkRegistered(caller);
        checkRegistered(callee);
        if (caller.pendingCount >= maxRepliesPerConnection) {
            return ExpectResult.LIMIT_EXCEEDED;
        }
        long key = key(caller.id, callSerial);
        if (index.get(key) != LongIntMap.MISSING) {
            return ExpectResult.EXISTS;
        }
        if (freeSlot == NIL) {
            grow(serial.length * 2);
        }
        int s = freeSlot;
        freeSlot = timeNext[s];
        callerId[s] = caller.id;
        calleeId[s] = callee.id;
        serial[s] = callSerial;
        deadline[s] = timeoutNanos > 0 ? nowNanos + timeoutNanos : Long.MAX_VALUE;

        pendingPrev[s] = caller.pendingTail;
        pendingNext[s] = NIL;
        if (caller.pendingTail == NIL) {
            caller.pendingHead = s;
        } else {
            pendingNext[caller.pendingTail] = s;
        }
        caller.pendingTail = s;
        caller.pendingCount++;

        owedPrev[s] = callee.owedTail;
        owedNext[s] = NIL;
        if (callee.owedTail == NIL) {
            callee.owedHead = s;
        } else {
            owedNext[callee.owedTail] = s;
        }
        callee.owedTail = s;
        callee.owedCount++;

        timePrev[s] = timeTail;
        timeNext[s] = NIL;
        if (timeTail == NIL) {
            timeHead = s;
        } else {
            timeNext[timeTail] = s;
        }
        timeTail = s;

        index.put(key, s);
        size++;
        return ExpectResult.ADDED;
    }

    /**
     * Checks a METHOD_RETURN or ERROR that {@code replier} sends to {@code caller} with {@code replySerial}, and
     * consumes the slot if it was expected.
     */
    public ReplyResult acceptReply(ReplyEndpoint<C> replier, ReplyEndpoint<C> caller, int replySerial) {
        if (!caller.registered) {
            return ReplyResult.UNEXPECTED;
        }
        int s = index.get(key(caller.id, replySerial));
        if (s == LongIntMap.MISSING) {
            return ReplyResult.UNEXPECTED;
        }
        if (calleeId[s] != replier.id || !replier.registered) {
            return ReplyResult.WRONG_SENDER;
        }
        release(s);
        return ReplyResult.ACCEPTED;
    }

    /**
     * Removes {@code endpoint}: drops the replies it awaits, and reports every reply it owes to another
     * connection to {@code sink}, in the order the calls were made. The endpoint is dead afterwards.
     *
     * @return the number of NoReply errors reported
     */
    public int disconnect(ReplyEndpoint<C> endpoint, NoReplySink<? super C> sink) {
        checkRegistered(endpoint);
        while (endpoint.pendingHead != NIL) {
            release(endpoint.pendingHead);
        }
        int count = 0;
        while (endpoint.owedHead != NIL) {
            int s = endpoint.owedHead;
            C caller = endpoints[callerId[s]].connection;
            int callSerial = serial[s];
            release(s);
            sink.noReply(caller, callSerial, endpoint.connection);
            count++;
        }
        endpoint.registered = false;
        endpoints[endpoint.id] = null;
        if (freeIdCount == freeIds.length) {
            freeIds = Arrays.copyOf(freeIds, freeIds.length * 2);
        }
        freeIds[freeIdCount++] = endpoint.id;
        return count;
    }

    /**
     * Removes every slot whose deadline is at or before {@code nowNanos} and reports it to {@code sink} (the
     * caller gets NoReply), oldest first.
     *
     * @return the number of expired slots
     */
    public int expire(long nowNanos, NoReplySink<? super C> sink) {
        int count = 0;
        while (timeHead != NIL && deadline[timeHead] != Long.MAX_VALUE && deadline[timeHead] - nowNanos <= 0) {
            int s = timeHead;
            C caller = endpoints[callerId[s]].connection;
            C callee = endpoints[calleeId[s]].connection;
            int callSerial = serial[s];
            release(s);
            sink.noReply(caller, callSerial, callee);
            count++;
        }
        return count;
    }

    /** The deadline of the oldest slot, or {@link Long#MAX_VALUE} if there is none or no timeout is configured. */
    public long nextDeadline() {
        return timeHead == NIL ? Long.MAX_VALUE : deadline[timeHead];
    }

    /** True if {@code caller} awaits a reply from {@code callee} to {@code callSerial}. */
    public boolean isExpected(ReplyEndpoint<C> caller, int callSerial, ReplyEndpoint<C> callee) {
        int s = caller.registered ? index.get(key(caller.id, callSerial)) : LongIntMap.MISSING;
        return s != LongIntMap.MISSING && calleeId[s] == callee.id;
    }

    /**
     * Receives one reply slot: {@code caller} awaits the reply to {@code callSerial} from {@code callee} until
     * {@code deadlineNanos} ({@link Long#MAX_VALUE}: no timeout).
     */
    public interface SlotVisitor<C> {
        void slot(C caller, int callSerial, C callee, long deadlineNanos);
    }

    /** Visits every slot, oldest first (for a live upgrade's hand-over, which records them all). */
    public void forEachSlot(SlotVisitor<? super C> visitor) {
        for (int s = timeHead; s != NIL; s = timeNext[s]) {
            visitor.slot(endpoints[callerId[s]].connection, serial[s], endpoints[calleeId[s]].connection,
                    deadline[s]);
        }
    }

    /**
     * As {@link #expectReply}, for a slot a previous process had (live upgrade): it expires {@code remainingNanos}
     * from {@code nowNanos}, what it had left there, whatever this tracker's timeout ({@code < 0}: as a new slot).
     * Slots must be restored oldest first, so that creation order stays deadline order.
     */
    public ExpectResult restoreReply(ReplyEndpoint<C> caller, int callSerial, ReplyEndpoint<C> callee, long nowNanos,
                                     long remainingNanos) {
        if (remainingNanos < 0 || timeoutNanos <= 0) {
            return expectReply(caller, callSerial, callee, nowNanos);
        }
        return expectReply(caller, callSerial, callee, nowNanos + remainingNanos - timeoutNanos);
    }

    /** The number of slots on the bus. */
    public int size() {
        return size;
    }

    private void release(int s) {
        ReplyEndpoint<C> caller = endpoints[callerId[s]];
        ReplyEndpoint<C> callee = endpoints[calleeId[s]];
        index.remove(key(callerId[s], serial[s]));

        int prev = pendingPrev[s];
        int next = pendingNext[s];
        if (prev == NIL) {
            caller.pendingHead = next;
        } else {
            pendingNext[prev] = next;
        }
        if (next == NIL) {
            caller.pendingTail = prev;
        } else {
            pendingPrev[next] = prev;
        }
        caller.pendingCount--;

        prev = owedPrev[s];
        next = owedNext[s];
        if (prev == NIL) {
            callee.owedHead = next;
        } else {
            owedNext[prev] = next;
        }
        if (next == NIL) {
            callee.owedTail = prev;
        } else {
            owedPrev[next] = prev;
        }
        callee.owedCount--;

        prev = timePrev[s];
        next = timeNext[s];
        if (prev == NIL) {
            timeHead = next;
        } else {
            timeNext[prev] = next;
        }
        if (next == NIL) {
            timeTail = prev;
        } else {
            timePrev[next] = prev;
        }

        timeNext[s] = freeSlot;
        freeSlot = s;
        size--;
    }

    private void grow(int capacity) {
        int old = serial.length;
        callerId = Arrays.copyOf(callerId, capacity);
        calleeId = Arrays.copyOf(calleeId, capacity);
        serial = Arrays.copyOf(serial, capacity);
        deadline = Arrays.copyOf(deadline, capacity);
        pendingPrev = Arrays.copyOf(pendingPrev, capacity);
        pendingNext = Arrays.copyOf(pendingNext, capacity);
        owedPrev = Arrays.copyOf(owedPrev, capacity);
        owedNext = Arrays.copyOf(owedNext, capacity);
        timePrev = Arrays.copyOf(timePrev, capacity);
        timeNext = Arrays.copyOf(timeNext, capacity);
        for (int i = capacity - 1; i >= old; i--) {
            timeNext[i] = freeSlot;
            freeSlot = i;
        }
    }

    private static void checkRegistered(ReplyEndpoint<?> endpoint) {
        if (!endpoint.registered) {
            throw new IllegalStateException("connection already disconnected from the reply tracker");
        }
    }

    private static long key(int id, int callSerial) {
        return ((long) id << 32) | (callSerial & 0xFFFF_FFFFL);
    }
}
