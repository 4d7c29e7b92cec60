package org.capbus.adapters.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.capbus.dbus.DBusErrors;
import org.capbus.dbus.broker.BusSnapshot;
import org.capbus.dbus.broker.stats.BusStats;
import org.capbus.dbus.broker.stats.DisconnectReason;
import org.capbus.dbus.broker.stats.PolicyDenial;
import org.capbus.dbus.broker.stats.QuotaResource;
import org.capbus.dbus.wire.MessageType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BusMetersTest {
    private final BusStats stats = new BusStats();
    private final BusSnapshots snapshots = new BusSnapshots();
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();

    BusMetersTest() {
        CapbusMetrics.bindAll(registry, stats, snapshots, null, gc);
    }

    @AfterEach
    void close() {
        gc.close();
        registry.close();
    }

    /** The value of the one sample named {@code series} (with its labels as written), or fails. */
    private double sample(String series) {
        String text = registry.scrape();
        for (String line : text.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        throw new AssertionError("no sample " + series + " in\n" + text);
    }

    @Test
    void shouldReflectTheCountersOfBusStats() {
        stats.accepted();
        stats.accepted();
        stats.authenticated("EXTERNAL");
        stats.received(MessageType.METHOD_CALL, 100);
        stats.received(MessageType.METHOD_CALL, 50);
        stats.received(MessageType.SIGNAL, 70);
        stats.sent(MessageType.METHOD_RETURN, 40, 1);
        stats.sentByDriver(33);
        stats.broadcast(10, 3);
        stats.errorSent(DBusErrors.SERVICE_UNKNOWN);
        stats.errorSent("com.example.Error.Custom");
        stats.disconnected(DisconnectReason.CLIENT_CLOSED);
        stats.quotaRejected(QuotaResource.PENDING_REPLIES);
        stats.policyDenied(PolicyDenial.OWN);

        assertThat(sample("capbus_connections_accepted_total")).isEqualTo(2);
        assertThat(sample("capbus_connections_authenticated_total{mechanism=\"EXTERNAL\"}")).isEqualTo(1);
        assertThat(sample("capbus_messages_received_total{type=\"method_call\"}")).isEqualTo(2);
        assertThat(sample("capbus_received_bytes_total{type=\"method_call\"}")).isEqualTo(150);
        assertThat(sample("capbus_messages_received_total{type=\"signal\"}")).isEqualTo(1);
        assertThat(sample("capbus_messages_sent_total{type=\"method_return\"}")).isEqualTo(1);
        assertThat(sample("capbus_sent_bytes_total{type=\"signal\"}")).isEqualTo(30);
        assertThat(sample("capbus_messages_sent_total{type=\"signal\"}")).isEqualTo(3);
        assertThat(sample("capbus_driver_messages_sent_total")).isEqualTo(1);
        assertThat(sample("capbus_driver_sent_bytes_total")).isEqualTo(33);
        assertThat(sample("capbus_broadcasts_total")).isEqualTo(1);
        assertThat(sample("capbus_broadcast_deliveries_total")).isEqualTo(3);
        assertThat(sample("capbus_errors_sent_total{error=\"org.freedesktop.DBus.Error.ServiceUnknown\"}"))
                .isEqualTo(1);
        assertThat(sample("capbus_errors_sent_total{error=\"other\"}")).isEqualTo(1);
        assertThat(sample("capbus_disconnects_total{reason=\"client_closed\"}")).isEqualTo(1);
        assertThat(sample("capbus_quota_rejections_total{resource=\"pending_replies\"}")).isEqualTo(1);
        assertThat(sample("capbus_policy_denials_total{rule=\"own\"}")).isEqualTo(1);
    }

    @Test
    void shouldExposeTheFanoutAsACumulativeHistogram() {
        stats.broadcast(10, 0);
        stats.broadcast(10, 1);
        stats.broadcast(10, 3);
        stats.broadcast(10, 5000);

        assertThat(sample("capbus_broadcast_fanout_receivers_bucket{le=\"0.0\"}")).isEqualTo(1);
        assertThat(sample("capbus_broadcast_fanout_receivers_bucket{le=\"1.0\"}")).isEqualTo(2);
        assertThat(sample("capbus_broadcast_fanout_receivers_bucket{le=\"2.0\"}")).isEqualTo(2);
        assertThat(sample("capbus_broadcast_fanout_receivers_bucket{le=\"4.0\"}")).isEqualTo(3);
        assertThat(sample("capbus_broadcast_fanout_receivers_bucket{le=\"1024.0\"}")).isEqualTo(3);
        assertThat(sample("capbus_broadcast_fanout_receivers_bucket{le=\"+Inf\"}")).isEqualTo(4);
        assertThat(sample("capbus_broadcast_fanout_receivers_count")).isEqualTo(4);
        assertThat(sample("capbus_broadcast_fanout_receivers_sum")).isEqualTo(5004);
    }

    @Test
    void shouldTimeOneMessageInSixtyFour() {
        for (int i = 0; i < 2 * BusStats.LATENCY_SAMPLE_INTERVAL + 1; i++) {
            stats.dispatchEnd(stats.dispatchStart());
        }

        assertThat(sample("capbus_dispatch_latency_seconds_count")).isEqualTo(3);
        assertThat(sample("capbus_dispatch_latency_seconds_bucket{le=\"+Inf\"}")).isEqualTo(3);
        assertThat(sample("capbus_dispatch_latency_seconds_sum")).isGreaterThan(0).isLessThan(1);
    }

    @Test
    void shouldReadGaugesFromThePublishedSnapshot() {
        assertThat(sample("capbus_connections{state=\"active\"}")).isZero();

        snapshots.publish(new BusSnapshot(System.nanoTime(), 1, 2, 3, 4, Map.of(1000L, 7, 0L, 3), 5, 6, 2, 8, 9, 10,
                11, 12, 13, new double[] {0.5, 0.25, 0, 0}));

        assertThat(sample("capbus_connections{state=\"authenticating\"}")).isEqualTo(1);
        assertThat(sample("capbus_connections{state=\"awaiting_hello\"}")).isEqualTo(2);
        assertThat(sample("capbus_connections{state=\"active\"}")).isEqualTo(3);
        assertThat(sample("capbus_connections{state=\"monitor\"}")).isEqualTo(4);
        assertThat(sample("capbus_peers{uid=\"1000\"}")).isEqualTo(7);
        assertThat(sample("capbus_peers{uid=\"0\"}")).isEqualTo(3);
        assertThat(sample("capbus_well_known_names")).isEqualTo(5);
        assertThat(sample("capbus_match_rules")).isEqualTo(6);
        assertThat(sample("capbus_match_rules_without_sender")).isEqualTo(2);
        assertThat(sample("capbus_pending_replies")).isEqualTo(8);
        assertThat(sample("capbus_queued_messages")).isEqualTo(9);
        assertThat(sample("capbus_queued_bytes")).isEqualTo(10);
        assertThat(sample("capbus_queued_handles")).isEqualTo(11);
        assertThat(sample("capbus_queued_fds")).isEqualTo(12);
        assertThat(sample("capbus_handles")).isEqualTo(13);
        assertThat(sample("capbus_quota_user_max_ratio{resource=\"bytes\"}")).isEqualTo(0.5);
        assertThat(sample("capbus_quota_user_max_ratio{resource=\"messages\"}")).isEqualTo(0.25);
    }

    @Test
    void shouldKeepEveryLabelSetBoundedWhateverTheTraffic() {
        Set<String> before = series();
        for (int i = 0; i < 1000; i++) {
            stats.errorSent("com.example.Error" + i);
            stats.authenticated("MECHANISM" + i);
            stats.received(MessageType.METHOD_CALL, i);
            stats.broadcast(1, i);
        }

        assertThat(series()).isEqualTo(before);
        assertThat(sample("capbus_errors_sent_total{error=\"other\"}")).isEqualTo(1000);
        Pattern label = Pattern.compile("([a-z_]+)=\"([^\"]*)\"");
        Set<String> labelNames = new HashSet<>();
        for (String s : before) {
            Matcher m = label.matcher(s);
            while (m.find()) {
                labelNames.add(m.group(1));
                // Never a unique name or an object path as a label value.
                assertThat(m.group(2)).as(s).doesNotStartWith(":").doesNotStartWith("/");
            }
        }
        assertThat(labelNames).containsExactlyInAnyOrder("type", "reason", "mechanism", "error", "resource", "rule",
                "state", "le");
    }

    /** Every capbus series in a scrape (name and labels, without the value). */
    private Set<String> series() {
        Set<String> out = new HashSet<>();
        for (String line : registry.scrape().split("\n")) {
            if (line.startsWith("capbus_")) {
                out.add(line.substring(0, line.lastIndexOf(' ')));
            }
        }
        return out;
    }

    @Test
    void shouldExportJvmAndProcessMetrics() {
        String text = registry.scrape();

        assertThat(text).contains("jvm_memory_used_bytes{", "jvm_threads_live_threads", "process_cpu_usage",
                "process_uptime_seconds", "system_cpu_count", "jvm_classes_loaded_classes");
        assertThat(text).contains("process_files_open_files");
    }
}
