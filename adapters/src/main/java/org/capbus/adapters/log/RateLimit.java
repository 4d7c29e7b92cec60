package org.capbus.adapters.log;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A token bucket for log lines, lock-free (the generic cell rate algorithm: one atomic "theoretical arrival time"):
 * a burst of {@code burst} lines, then {@code perSecond} a second. Shared by every thread that logs.
 */
final class RateLimit {
    private final long interval;
    private final long tolerance;
    private final AtomicLong arrival = new AtomicLong(Long.MIN_VALUE);

    RateLimit(int burst, int perSecond) {
        this.interval = 1_000_000_000L / perSecond;
        this.tolerance = interval * (burst - 1L);
    }

    /** Whether one more line may pass at {@code nanoTime}. */
    boolean tryAcquire(long nanoTime) {
        while (true) {
            long current = arrival.get();
            long start = current == Long.MIN_VALUE ? nanoTime : Math.max(current, nanoTime);
            if (start - nanoTime > tolerance) {
                return false;
            }
            if (arrival.compareAndSet(current, start + interval)) {
                return true;
            }
        }
    }
}
