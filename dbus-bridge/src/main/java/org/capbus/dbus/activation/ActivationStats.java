package org.capbus.dbus.activation;

import java.util.LinkedHashMap;
import java.util.Map;

import org.capbus.dbus.DBusErrors;

/**
 * Counters of service activation for metrics: activations started (a service launched or systemd asked),
 * succeeded (the name was taken), failed by error name, timed out, and a histogram of the time from start to
 * success or failure. Plain fields written by the event loop; a scrape reads them from another thread and may see
 * a count a moment old, which metrics tolerate.
 */
public final class ActivationStats {
    /** Upper bounds of the latency histogram, in seconds (the last bucket is everything above). */
    public static final double[] LATENCY_BOUNDS_SECONDS = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
    /** The label of failures whose error name is not in {@link DBusErrors#ALL}. */
    public static final String OTHER_ERROR = "other";

    private volatile long started;
    private volatile long succeeded;
    private volatile long timedOut;
    private final long[] failed = new long[DBusErrors.ALL.size() + 1];
    private final long[] latencyBuckets = new long[LATENCY_BOUNDS_SECONDS.length + 1];
    private volatile long latencySumNanos;
    private volatile long latencyCount;

    public void onStarted() {
        started++;
    }

    public void onSucceeded(long nanos) {
        succeeded++;
        latency(nanos);
    }

    /** An activation failed with {@code errorName}; {@code timedOut} if it was service_start_timeout. */
    public void onFailed(String errorName, long nanos, boolean timedOutFailure) {
        int i = DBusErrors.ALL.indexOf(errorName);
        failed[i < 0 ? failed.length - 1 : i]++;
        if (timedOutFailure) {
            timedOut++;
        }
        latency(nanos);
    }

    private void latency(long nanos) {
        double s = nanos / 1e9;
        int b = 0;
        while (b < LATENCY_BOUNDS_SECONDS.length && s > LATENCY_BOUNDS_SECONDS[b]) {
            b++;
        }
        latencyBuckets[b]++;
        latencySumNanos += nanos;
        latencyCount++;
    }

    public long started() {
        return started;
    }

    public long succeeded() {
        return succeeded;
    }

    public long timedOut() {
        return timedOut;
    }

    /** Failures by error name, every name of {@link DBusErrors#ALL} and {@link #OTHER_ERROR} present. */
    public Map<String, Long> failedByError() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int i = 0; i < DBusErrors.ALL.size(); i++) {
            m.put(DBusErrors.ALL.get(i), failed[i]);
        }
        m.put(OTHER_ERROR, failed[failed.length - 1]);
        return m;
    }

    /** Non-cumulative count of bucket {@code i} (one per bound, then the overflow bucket). */
    public long latencyBucket(int i) {
        return latencyBuckets[i];
    }

    public long latencySumNanos() {
        return latencySumNanos;
    }

    public long latencyCount() {
        return latencyCount;
    }
}
