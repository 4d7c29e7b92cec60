package org.capbus.adapters.metrics;

import java.util.List;
import java.util.Map;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import org.capbus.dbus.activation.ActivationStats;

/**
 * Service activation's series: activations started, succeeded, failed (by error name, a fixed label set: the bus's
 * error names plus "other"; systemd's own error names count as "other"), timed out, and the time from start to
 * success or failure as a classic histogram. Registered with the Prometheus registry under micrometer's.
 *
 * <p>Threading: {@link #collect()} runs on the scraping thread and reads only {@link ActivationStats} fields.
 */
public final class ActivationMetrics implements MultiCollector {
    public static final String STARTED = "capbus_activations_started";
    public static final String SUCCEEDED = "capbus_activations_succeeded";
    public static final String FAILED = "capbus_activations_failed";
    public static final String TIMED_OUT = "capbus_activations_timed_out";
    public static final String LATENCY = "capbus_activation_latency_seconds";

    private static final double[] BOUNDS;

    static {
        double[] b = ActivationStats.LATENCY_BOUNDS_SECONDS;
        BOUNDS = java.util.Arrays.copyOf(b, b.length + 1);
        BOUNDS[b.length] = Double.POSITIVE_INFINITY;
    }

    private final ActivationStats stats;

    public ActivationMetrics(ActivationStats stats) {
        this.stats = stats;
    }

    @Override
    public MetricSnapshots collect() {
        CounterSnapshot.Builder failed = CounterSnapshot.builder().name(FAILED)
                .help("Service activations that failed, by the error every waiting caller got");
        for (Map.Entry<String, Long> e : stats.failedByError().entrySet()) {
            failed.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                    .labels(Labels.of("error", e.getKey())).value(e.getValue()).build());
        }
        long[] counts = new long[BOUNDS.length];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = stats.latencyBucket(i);
        }
        HistogramSnapshot latency = HistogramSnapshot.builder().name(LATENCY)
                .help("Time from starting a service to its name being owned, or to the activation failing")
                .dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                        .classicHistogramBuckets(ClassicHistogramBuckets.of(BOUNDS, counts))
                        .sum(stats.latencySumNanos() / 1e9).build())
                .build();
        return MetricSnapshots.of(
                counter(STARTED, "Service activations started (a child launched or systemd asked)", stats.started()),
                counter(SUCCEEDED, "Service activations whose service took its name", stats.succeeded()),
                failed.build(),
                counter(TIMED_OUT, "Service activations that failed at service_start_timeout", stats.timedOut()),
                latency);
    }

    private static CounterSnapshot counter(String name, String help, long value) {
        return CounterSnapshot.builder().name(name).help(help)
                .dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(value).build()).build();
    }

    @Override
    public List<String> getPrometheusNames() {
        return List.of(STARTED, SUCCEEDED, FAILED, TIMED_OUT, LATENCY);
    }
}
