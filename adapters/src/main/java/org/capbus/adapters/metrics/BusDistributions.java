package org.capbus.adapters.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import org.capbus.dbus.broker.BusSnapshot;
import org.capbus.dbus.broker.stats.BusStats;

/**
 * The series micrometer's meters cannot express over plain loop-written fields: the two histograms the bus keeps as
 * fixed bucket arrays (sampled dispatch latency, broadcast fan-out), exposed as Prometheus classic histograms so
 * that {@code histogram_quantile} works on them, and peers per user, whose label values (uids) come and go with the
 * snapshot. Registered with the Prometheus registry under micrometer's, so one scrape returns everything.
 *
 * <p>Threading: {@link #collect()} runs on the scraping thread and reads only {@link BusStats} fields and the
 * published {@link BusSnapshot}.
 */
public final class BusDistributions implements MultiCollector {
    /** Prometheus name of the sampled dispatch latency histogram. */
    public static final String DISPATCH_LATENCY = "capbus_dispatch_latency_seconds";
    /** Prometheus name of the broadcast fan-out histogram. */
    public static final String BROADCAST_FANOUT = "capbus_broadcast_fanout_receivers";
    /** Prometheus name of the open connections per uid gauge. */
    public static final String PEERS = "capbus_peers";

    private static final double[] LATENCY_BOUNDS = withInfinity(BusStats.LATENCY_BOUNDS_SECONDS);
    private static final double[] FANOUT_BOUNDS = withInfinity(BusStats.FANOUT_BOUNDS);

    private final BusStats stats;
    private final BusSnapshots snapshots;

    public BusDistributions(BusStats stats, BusSnapshots snapshots) {
        this.stats = stats;
        this.snapshots = snapshots;
    }

    private static double[] withInfinity(double[] bounds) {
        double[] all = java.util.Arrays.copyOf(bounds, bounds.length + 1);
        all[bounds.length] = Double.POSITIVE_INFINITY;
        return all;
    }

    @Override
    public MetricSnapshots collect() {
        return MetricSnapshots.of(latency(), fanout(), peers());
    }

    @Override
    public List<String> getPrometheusNames() {
        return List.of(DISPATCH_LATENCY, BROADCAST_FANOUT, PEERS);
    }

    private HistogramSnapshot latency() {
        long[] counts = new long[LATENCY_BOUNDS.length];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = stats.latencyBucket(i);
        }
        return HistogramSnapshot.builder()
                .name(DISPATCH_LATENCY)
                .help("Time from a whole message read to its copies queued (or its error queued), sampled: 1 message in "
                        + BusStats.LATENCY_SAMPLE_INTERVAL)
                .dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                        .classicHistogramBuckets(ClassicHistogramBuckets.of(LATENCY_BOUNDS, counts))
                        .sum(stats.latencySumNanos() / 1e9)
                        .build())
                .build();
    }

    private HistogramSnapshot fanout() {
        long[] counts = new long[FANOUT_BOUNDS.length];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = stats.broadcastsInFanoutBucket(i);
        }
        return HistogramSnapshot.builder()
                .name(BROADCAST_FANOUT)
                .help("Receivers of each broadcast signal (match-rule subscribers it was queued to)")
                .dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                        .classicHistogramBuckets(ClassicHistogramBuckets.of(FANOUT_BOUNDS, counts))
                        .sum(stats.broadcastDeliveries())
                        .build())
                .build();
    }

    private GaugeSnapshot peers() {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder()
                .name(PEERS)
                .help("Open connections (peers in the core), by the uid of their credentials");
        List<Map.Entry<Long, Integer>> entries = new ArrayList<>(snapshots.latest().peersByUid().entrySet());
        entries.sort(Map.Entry.comparingByKey());
        for (Map.Entry<Long, Integer> e : entries) {
            b.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                    .labels(Labels.of("uid", Long.toString(e.getKey())))
                    .value(e.getValue())
                    .build());
        }
        return b.build();
    }
}
