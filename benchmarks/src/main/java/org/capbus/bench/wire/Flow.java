package org.capbus.bench.wire;

import java.util.concurrent.locks.LockSupport;

/**
 * Flow control of a multicast shape: the emitter stays at most {@link #WINDOW} messages ahead of the slowest
 * receiver (as the shared D-Bus harness does), so no queue in the bus grows without bound and nothing is refused
 * for quota. Receivers count on their own reading threads; the emitter parks until the slowest catches up.
 */
final class Flow {
    static final int WINDOW = 128;

    private final Counter[] counters;
    private volatile long wakeAt = Long.MAX_VALUE;
    private volatile Thread waiter;

    /** One receiver's count of messages, written by its reading thread only. */
    static final class Counter {
        private volatile long count;
    }

    Flow(int receivers) {
        counters = new Counter[receivers];
        for (int i = 0; i < receivers; i++) {
            counters[i] = new Counter();
        }
    }

    Counter counter(int i) {
        return counters[i];
    }

    /** A message reached the receiver of {@code c} (on its reading thread). */
    void received(Counter c) {
        long v = c.count + 1;
        c.count = v;
        if (v >= wakeAt) {
            Thread w = waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }
    }

    long slowest() {
        long min = Long.MAX_VALUE;
        for (Counter c : counters) {
            min = Math.min(min, c.count);
        }
        return min;
    }

    /** Before emitting message number {@code emitted} (counting from {@code base}): waits while too far ahead. */
    void beforeEmit(long base, long emitted) {
        if (emitted - (slowest() - base) > WINDOW) {
            awaitSlowest(base + emitted - WINDOW / 2);
        }
    }

    /** Waits until every receiver has counted {@code target}. */
    void awaitSlowest(long target) {
        waiter = Thread.currentThread();
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (slowest() < target) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("receivers stopped at " + slowest() + " of " + target);
            }
            wakeAt = target;
            if (slowest() >= target) {
                break;
            }
            LockSupport.parkNanos(10_000_000L);
        }
        wakeAt = Long.MAX_VALUE;
    }
}
