package org.capbus.bench.wire;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * The bus's own count of socket system calls ({@code capbus_transport_syscalls_total}, recvmsg and sendmsg), read
 * from its Prometheus endpoint when the bus serves one: syscalls per operation explain most of a difference in CPU
 * per operation. Main thread only.
 */
final class BusSyscalls {
    private final URI metrics;

    /** @param metrics the bus's metrics URL, or null when it serves none */
    BusSyscalls(String metrics) {
        this.metrics = metrics == null ? null : URI.create(metrics);
    }

    boolean enabled() {
        return metrics != null;
    }

    /** recvmsg + sendmsg calls the bus has made so far; 0 without an endpoint. */
    long total() throws IOException {
        if (metrics == null) {
            return 0;
        }
        String text;
        try (InputStream in = metrics.toURL().openStream()) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        long sum = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith("capbus_transport_syscalls_total{")) {
                sum += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }
}
