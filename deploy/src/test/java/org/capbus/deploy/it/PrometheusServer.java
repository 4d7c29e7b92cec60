package org.capbus.deploy.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real Prometheus server (Debian's {@code /usr/bin/prometheus}) for end-to-end metrics tests: it scrapes one
 * loopback target every second, keeps its storage in a scratch directory, listens on a loopback port and talks to
 * nothing else. {@link #close} kills it. Owned by one test; called from the test thread.
 */
final class PrometheusServer implements AutoCloseable {
    static final String EXECUTABLE = "/usr/bin/prometheus";

    /** One sample of an instant-vector or scalar answer: {@code "value":[<time>,"<value>"]}. */
    private static final Pattern VALUE = Pattern.compile("\"value\":\\[[0-9.e+]+,\"([^\"]+)\"\\]");

    private final Process process;
    private final Path directory;
    private final int port;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private PrometheusServer(Process process, Path directory, int port) {
        this.process = process;
        this.directory = directory;
        this.port = port;
    }

    /** Starts Prometheus on {@code port}, scraping {@code target} (HOST:PORT) every second as job "capbus". */
    static PrometheusServer start(Path directory, int port, String target) {
        try {
            Path config = directory.resolve("prometheus.yml");
            Files.writeString(config, """
                    global:
                      scrape_interval: 1s
                      scrape_timeout: 1s
                      evaluation_interval: 1s
                    scrape_configs:
                      - job_name: capbus
                        static_configs:
                          - targets: ['%s']
                    """.formatted(target), StandardCharsets.UTF_8);
            Process p = new ProcessBuilder(EXECUTABLE, "--config.file=" + config,
                    "--storage.tsdb.path=" + directory.resolve("data"),
                    "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
                    .redirectOutput(directory.resolve("prometheus.out").toFile())
                    .redirectError(directory.resolve("prometheus.err").toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            PrometheusServer server = new PrometheusServer(p, directory, port);
            Await.until(Duration.ofSeconds(30), server::isReady,
                    () -> "prometheus not ready on port " + port + "\n" + server.log());
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + EXECUTABLE, e);
        }
    }

    private boolean isReady() {
        if (!process.isAlive()) {
            throw new AssertionError("prometheus exited " + process.exitValue() + "\n" + log());
        }
        try {
            return get("/-/ready").statusCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    /** The value of the PromQL {@code query}, which must select at most one sample; empty if it selects none. */
    OptionalDouble query(String promql) {
        try {
            HttpResponse<String> r = get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
            if (r.statusCode() != 200 || !r.body().contains("\"status\":\"success\"")) {
                throw new AssertionError("query " + promql + " failed: " + r.statusCode() + " " + r.body());
            }
            Matcher m = VALUE.matcher(r.body());
            if (!m.find()) {
                return OptionalDouble.empty();
            }
            double v = Double.parseDouble(m.group(1));
            if (m.find()) {
                throw new AssertionError("query " + promql + " selects more than one sample: " + r.body());
            }
            return OptionalDouble.of(v);
        } catch (IOException e) {
            throw new UncheckedIOException("query " + promql, e);
        }
    }

    /** Fails unless Prometheus evaluates {@code promql} without error (whatever it selects). */
    void assertEvaluates(String promql) {
        try {
            HttpResponse<String> r = get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
            if (r.statusCode() != 200 || !r.body().contains("\"status\":\"success\"")) {
                throw new AssertionError("query " + promql + " failed: " + r.statusCode() + " " + r.body());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("query " + promql, e);
        }
    }

    /** Waits (bounded) until {@code promql} has a value of at least {@code min}; returns it. */
    double awaitAtLeast(String promql, double min) {
        double[] last = {Double.NaN};
        Await.until(Duration.ofSeconds(40), () -> {
            OptionalDouble v = query(promql);
            last[0] = v.orElse(Double.NaN);
            return v.isPresent() && v.getAsDouble() >= min;
        }, () -> promql + " >= " + min + " (last value: " + last[0] + ")\n" + log());
        return last[0];
    }

    private HttpResponse<String> get(String path) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).GET().build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /** Prometheus's own log so far, for failure messages. */
    String log() {
        try {
            return "--- prometheus stderr ---\n" + Files.readString(directory.resolve("prometheus.err"));
        } catch (IOException e) {
            return "(no prometheus log: " + e + ")";
        }
    }

    @Override
    public void close() {
        try {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
