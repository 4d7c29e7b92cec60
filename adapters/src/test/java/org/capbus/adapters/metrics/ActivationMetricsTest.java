package org.capbus.adapters.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import org.capbus.dbus.DBusErrors;
import org.capbus.dbus.activation.ActivationStats;
import org.junit.jupiter.api.Test;

class ActivationMetricsTest {

    private static MetricSnapshot named(MetricSnapshots all, String name) {
        return all.stream().filter(s -> s.getMetadata().getPrometheusName().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void shouldExportCountsByErrorAndTheLatencyHistogram() {
        ActivationStats stats = new ActivationStats();
        stats.onStarted();
        stats.onStarted();
        stats.onStarted();
        stats.onSucceeded(20_000_000L);
        stats.onFailed(DBusErrors.SPAWN_EXEC_FAILED, 1_000_000L, false);
        stats.onFailed(DBusErrors.TIMED_OUT, 25_000_000_000L, true);
        MetricSnapshots all = new ActivationMetrics(stats).collect();
        assertThat(((CounterSnapshot) named(all, ActivationMetrics.STARTED)).getDataPoints().getFirst().getValue())
                .isEqualTo(3);
        assertThat(((CounterSnapshot) named(all, ActivationMetrics.TIMED_OUT)).getDataPoints().getFirst().getValue())
                .isEqualTo(1);
        CounterSnapshot failed = (CounterSnapshot) named(all, ActivationMetrics.FAILED);
        assertThat(failed.getDataPoints()).hasSize(DBusErrors.ALL.size() + 1);
        assertThat(failed.getDataPoints().stream()
                .filter(p -> p.getLabels().get("error").equals(DBusErrors.SPAWN_EXEC_FAILED)).findFirst().orElseThrow()
                .getValue()).isEqualTo(1);
        HistogramSnapshot latency = (HistogramSnapshot) named(all, ActivationMetrics.LATENCY);
        assertThat(latency.getDataPoints().getFirst().getCount()).isEqualTo(3);
    }
}
