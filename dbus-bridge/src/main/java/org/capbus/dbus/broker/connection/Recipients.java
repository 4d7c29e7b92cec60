package org.capbus.dbus.broker.connection;

import java.util.Arrays;

import org.capbus.core.Handle;
import org.capbus.core.Peer;
import org.capbus.core.SendResult;

/**
 * The receivers of one fan-out (a broadcast, eavesdroppers, monitor copies), collected, filtered in place and sent
 * as one core transaction ({@link CoreMapping#multicast}). Scratch space reused for every message, so that a
 * fan-out allocates nothing per receiver; one instance per user (the router, the outbox), never shared between
 * two fan-outs in progress.
 *
 * <p>Event-loop thread only.
 */
public final class Recipients {
    private BusConnection[] list = new BusConnection[16];
    private int count;
    private Handle[] handleScratch = new Handle[16];
    private int[] resultScratch = new int[16];
    /** The first failed core send of the last {@link #send}, as a {@link SendResult} code; OK if none. */
    private int firstFailure;

    /** Adds a receiver. */
    public void add(BusConnection c) {
        if (count == list.length) {
            list = Arrays.copyOf(list, count * 2);
        }
        list[count++] = c;
    }

    public int count() {
        return count;
    }

    public BusConnection get(int i) {
        return list[i];
    }

    /** Keeps only the receivers that negotiated descriptor passing. */
    public void dropWithoutFds() {
        int n = 0;
        for (int i = 0; i < count; i++) {
            if (list[i].isFdPassingEnabled()) {
                list[n++] = list[i];
            }
        }
        truncate(n);
    }

    /** Keeps the first {@code n} receivers (after the caller compacted the list with {@link #set}). */
    public void truncate(int n) {
        for (int i = n; i < count; i++) {
            list[i] = null;
        }
        count = n;
    }

    /** Replaces the receiver at {@code i} (for compacting in place). */
    public void set(int i, BusConnection c) {
        list[i] = c;
    }

    /** Forgets every receiver without sending. */
    public void clear() {
        truncate(0);
    }

    /**
     * Sends {@code out} from {@code sender} to every receiver, each on its own (a full receiver does not hold back
     * the others), and empties the list. Returns how many received it; {@link #firstFailure()} tells why the others
     * did not.
     */
    public int send(CoreMapping mapping, Peer sender, BusMessage out) {
        int n = count;
        firstFailure = SendResult.OK;
        if (n == 0) {
            return 0;
        }
        if (handleScratch.length < n) {
            handleScratch = new Handle[Math.max(n, handleScratch.length * 2)];
            resultScratch = new int[handleScratch.length];
        }
        int delivered = mapping.multicast(sender, list, n, out, handleScratch, resultScratch);
        if (delivered < n) {
            for (int i = 0; i < n; i++) {
                if (resultScratch[i] != SendResult.OK) {
                    firstFailure = resultScratch[i];
                    break;
                }
            }
            if (firstFailure == SendResult.OK) {
                firstFailure = SendResult.DESTROYED; // a receiver had no handle: it is gone
            }
        }
        clear();
        return delivered;
    }

    /** Why the last {@link #send} did not reach every receiver ({@link SendResult}), or OK. */
    public int firstFailure() {
        return firstFailure;
    }
}
