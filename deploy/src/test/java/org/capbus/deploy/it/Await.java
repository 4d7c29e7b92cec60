package org.capbus.deploy.it;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Bounded waits on an observable condition, for tests that watch another process. Stateless. */
public final class Await {
    /** The default bound for anything a healthy bus and client do in well under a second. */
    public static final Duration BOUND = Duration.ofSeconds(20);

    private static final long POLL_NANOS = Duration.ofMillis(10).toNanos();

    private Await() {
    }

    /**
     * Returns as soon as {@code condition} holds; fails with {@code description} (evaluated at failure time, so it can
     * show the state observed) if it does not hold within {@code bound}.
     */
    public static void until(Duration bound, BooleanSupplier condition, Supplier<String> description) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + bound.toMillis() + " ms: " + description.get());
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    /** {@link #until(Duration, BooleanSupplier, Supplier)} with the default {@link #BOUND}. */
    public static void until(BooleanSupplier condition, Supplier<String> description) {
        until(BOUND, condition, description);
    }
}
