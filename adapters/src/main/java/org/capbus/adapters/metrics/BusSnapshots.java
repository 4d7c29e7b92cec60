package org.capbus.adapters.metrics;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.capbus.dbus.broker.Bus;
import org.capbus.dbus.broker.BusSnapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The latest {@link BusSnapshot}, for scrapers. A periodic task on the bus's event loop captures a new snapshot
 * (the loop is the only thread that may walk the bus's collections) and publishes it through a volatile field; a
 * scrape reads that field and never waits for, or runs anything on, the loop.
 *
 * <p>Threading: {@link #latest()} from any thread; the capture runs on the loop.
 */
public final class BusSnapshots implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BusSnapshots.class);

    /** How often the loop captures a snapshot in production: gauges are at most this stale. */
    public static final Duration DEFAULT_PERIOD = Duration.ofSeconds(5);

    private volatile BusSnapshot latest = BusSnapshot.EMPTY;
    private volatile ScheduledFuture<?> task;

    /** A holder that nothing updates until {@link #publish} (for tests) or {@link #start}. */
    BusSnapshots() {
    }

    /** Captures a snapshot of {@code bus} on {@code loop} now and then every {@code period}. */
    public static BusSnapshots start(Bus bus, ScheduledExecutorService loop, Duration period) {
        BusSnapshots s = new BusSnapshots();
        long nanos = period.toNanos();
        s.task = loop.scheduleAtFixedRate(() -> s.capture(bus), 0, nanos, TimeUnit.NANOSECONDS);
        return s;
    }

    private void capture(Bus bus) {
        try {
            publish(BusSnapshot.capture(bus));
        } catch (RuntimeException e) {
            // A failed capture must not cancel the next ones (a periodic task that throws is never run again).
            log.warn("bus snapshot for metrics failed", e);
        }
    }

    void publish(BusSnapshot snapshot) {
        latest = snapshot;
    }

    /** The last snapshot captured, or {@link BusSnapshot#EMPTY}. */
    public BusSnapshot latest() {
        return latest;
    }

    /** Stops capturing. */
    @Override
    public void close() {
        ScheduledFuture<?> t = task;
        if (t != null) {
            t.cancel(false);
        }
    }
}
