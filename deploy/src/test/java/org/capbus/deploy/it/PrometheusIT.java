package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.capbus.dbus.DBusErrors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end, capbus only (the metrics are capbus's own; dbus-daemon has none): capbus with {@code --metrics} on a
 * loopback port, a real Prometheus scraping it every second, real clients making traffic, and assertions through
 * Prometheus's query API that the series arrived with the values that traffic implies.
 */
class PrometheusIT {
    private static final int CALLS = 5;
    private static final int SIGNALS = 3;
    private static final String SERVICE = "org.capbus.MetricsTest";

    @TempDir
    Path scratch;

    private static int freeLoopbackPort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void shouldDeliverTheBusSeriesToARealPrometheus() throws Exception {
        int metricsPort = freeLoopbackPort();
        String target = "127.0.0.1:" + metricsPort;
        Path promDir = Files.createDirectories(scratch.resolve("prometheus"));
        try (TestBus bus = TestBus.start(BusKind.CAPBUS, false, List.of("--metrics=" + target));
             PrometheusServer prometheus = PrometheusServer.start(promDir, freeLoopbackPort(), target);
             Clients.Background service = Clients.pythonService(bus, SERVICE)) {
            for (int i = 0; i < CALLS; i++) {
                ClientResult r = Clients.runOk(bus, "gdbus", "call", "--session", "--dest", SERVICE, "--object-path",
                        "/org/capbus/Test", "--method", "org.capbus.Test.EchoString", "call " + i);
                assertThat(r.stdout()).contains("call " + i);
            }
            ClientResult unknown = Clients.run(bus, "gdbus", "call", "--session", "--dest", "org.capbus.NobodyHere",
                    "--object-path", "/", "--method", "org.capbus.Nothing.Here");
            assertThat(unknown.stderr()).contains(DBusErrors.SERVICE_UNKNOWN);
            for (int i = 0; i < SIGNALS; i++) {
                Clients.runOk(bus, "dbus-send", "--session", "--type=signal", "/org/capbus/Test",
                        "org.capbus.Test.Ping", "string:ping " + i);
            }
            int clients = CALLS + 1 + SIGNALS;

            assertThat(prometheus.awaitAtLeast("up{job=\"capbus\"}", 1)).isEqualTo(1);
            prometheus.awaitAtLeast("capbus_connections_accepted_total", clients + 1);
            prometheus.awaitAtLeast("capbus_connections_authenticated_total{mechanism=\"EXTERNAL\"}", clients + 1);
            prometheus.awaitAtLeast("capbus_disconnects_total{reason=\"client_closed\"}", clients);
            prometheus.awaitAtLeast("capbus_messages_received_total{type=\"method_call\"}", CALLS + 1);
            prometheus.awaitAtLeast("capbus_messages_received_total{type=\"method_return\"}", CALLS);
            prometheus.awaitAtLeast("capbus_messages_received_total{type=\"signal\"}", SIGNALS);
            prometheus.awaitAtLeast("capbus_messages_sent_total{type=\"method_call\"}", CALLS);
            prometheus.awaitAtLeast("capbus_received_bytes_total{type=\"method_call\"}", 100 * CALLS);
            prometheus.awaitAtLeast("capbus_errors_sent_total{error=\"" + DBusErrors.SERVICE_UNKNOWN + "\"}", 1);
            prometheus.awaitAtLeast("capbus_broadcasts_total", SIGNALS);
            prometheus.awaitAtLeast("capbus_broadcast_fanout_receivers_count", SIGNALS);
            prometheus.awaitAtLeast("capbus_driver_messages_sent_total", clients);
            prometheus.awaitAtLeast("capbus_dispatch_latency_seconds_count", 1);
            double median = prometheus.awaitAtLeast(
                    "histogram_quantile(0.5, sum by (le) (capbus_dispatch_latency_seconds_bucket))", 0);
            assertThat(median).isGreaterThan(0).isLessThan(1);
            prometheus.awaitAtLeast("capbus_transport_read_bytes_total", 100 * CALLS);

            // Gauges come from the loop's periodic snapshot: the service is still connected and owns its name.
            long uid = new com.sun.security.auth.module.UnixSystem().getUid();
            prometheus.awaitAtLeast("capbus_well_known_names", 1);
            prometheus.awaitAtLeast("capbus_connections{state=\"active\"}", 1);
            prometheus.awaitAtLeast("capbus_peers{uid=\"" + uid + "\"}", 1);

            // Bounded label sets: one series per known error name plus "other", whatever was sent.
            assertThat(prometheus.query("count(capbus_errors_sent_total)")).hasValue(DBusErrors.ALL.size() + 1);
            assertThat(prometheus.query("count(capbus_messages_received_total)")).hasValue(4);
            assertThat(prometheus.query("count(capbus_disconnects_total)")).hasValue(5);
            assertThat(prometheus.query("count(capbus_peers)").orElseThrow()).isLessThanOrEqualTo(2);

            prometheus.awaitAtLeast("sum(jvm_memory_used_bytes{job=\"capbus\"})", 1);
            prometheus.awaitAtLeast("sum(jvm_gc_pause_seconds_count) or vector(0)", 0);
            prometheus.awaitAtLeast("process_uptime_seconds", 0);
            prometheus.awaitAtLeast("process_files_open_files", 1);

            // The shipped dashboard: every query evaluates, and every series it names is one capbus exports.
            String exported = scrape(target);
            for (String expr : dashboardQueries()) {
                String concrete = expr.replace("$__rate_interval", "1m").replace("$instance", ".*");
                prometheus.assertEvaluates(concrete);
                Matcher names = SERIES.matcher(concrete);
                while (names.find()) {
                    if (names.group().startsWith("jvm_gc_pause")) {
                        continue; // micrometer registers the GC timer at the first collection, which may not come
                    }
                    assertThat(exported).as("series %s of dashboard query %s", names.group(), expr)
                            .containsPattern("(?m)^" + names.group() + "[{ ]");
                }
            }
            assertThat(bus.isAlive()).isTrue();
        }
    }

    private static final Pattern SERIES = Pattern.compile("\\b(capbus|jvm|process|system)_[a-z_]+\\b");
    private static final Pattern EXPR = Pattern.compile("\"expr\": \"((?:[^\"\\\\]|\\\\.)*)\"");

    private static String scrape(String target) throws IOException, InterruptedException {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + target + "/metrics"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            return r.body();
        }
    }

    /** The PromQL of every panel of deploy/grafana/capbus-dashboard.json. */
    private static List<String> dashboardQueries() throws IOException {
        String json = Files.readString(BusKind.repositoryRoot().resolve("deploy/grafana/capbus-dashboard.json"));
        List<String> out = new ArrayList<>();
        Matcher m = EXPR.matcher(json);
        while (m.find()) {
            out.add(m.group(1).replace("\\\"", "\"").replace("\\\\", "\\"));
        }
        assertThat(out).hasSizeGreaterThan(20);
        return out;
    }

    @Test
    void shouldShipAScrapeConfigurationThatPromtoolAccepts() {
        Path config = BusKind.repositoryRoot().resolve("deploy/prometheus/prometheus.yml");
        ClientResult r = Clients.run(Map.of(), Clients.CLIENT_BOUND, List.of("/usr/bin/promtool", "check", "config",
                config.toString()));

        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(config).content().contains("127.0.0.1:9464", "job_name: capbus");
    }
}
