package org.capbus.adapters.metrics;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP endpoint Prometheus scrapes: {@code GET /metrics} answers the registry's scrape in the Prometheus text
 * format; any other path is 404, any other method 405. Served by the JDK's {@link HttpServer} on one thread of its
 * own ({@code capbus-metrics}), never on the bus's event loop: a slow or stuck scraper delays only other scrapes.
 *
 * <p>Threading: started and closed by the daemon; requests run on the server's thread.
 */
public final class MetricsServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricsServer.class);

    /** The content type of the Prometheus text exposition format that {@code scrape()} writes. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpServer server;
    private final ExecutorService executor;
    private final PrometheusMeterRegistry registry;

    private MetricsServer(HttpServer server, ExecutorService executor, PrometheusMeterRegistry registry) {
        this.server = server;
        this.executor = executor;
        this.registry = registry;
    }

    /** Binds {@code address} and starts serving {@code registry}. */
    public static MetricsServer start(InetSocketAddress address, PrometheusMeterRegistry registry) throws IOException {
        HttpServer server = HttpServer.create(address, 16);
        ExecutorService executor = Executors.newSingleThreadExecutor(
                Thread.ofPlatform().name("capbus-metrics").daemon().factory());
        MetricsServer s = new MetricsServer(server, executor, registry);
        server.createContext("/", s::handle);
        server.setExecutor(executor);
        server.start();
        return s;
    }

    /** The address actually bound (with the port chosen, if 0 was asked). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            if (!exchange.getRequestURI().getPath().equals("/metrics")) {
                respond(exchange, 404, "text/plain; charset=utf-8", "Not found: the metrics are at /metrics\n");
                return;
            }
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                respond(exchange, 405, "text/plain; charset=utf-8", "Method not allowed\n");
                return;
            }
            String body;
            try {
                body = registry.scrape();
            } catch (RuntimeException e) {
                log.warn("metrics scrape failed", e);
                respond(exchange, 500, "text/plain; charset=utf-8", "scrape failed\n");
                return;
            }
            respond(exchange, 200, CONTENT_TYPE, method.equals("HEAD") ? null : body);
        }
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body)
            throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        if (body == null) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Stops serving (waits at most a second for a scrape in progress). */
    @Override
    public void close() {
        server.stop(1);
        executor.shutdownNow();
    }
}
