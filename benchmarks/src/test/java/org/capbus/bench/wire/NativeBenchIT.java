package org.capbus.bench.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A smoke run of the native benchmark: every shape, both sides, a handful of operations each, against the real bus
 * (the distribution deploy built). Asserts that it runs and produces its table, not any figure.
 */
class NativeBenchIT {

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldRunEveryShapeOnBothSidesAndPrintTheTable() throws Exception {
        Path launcher = Path.of("..", "deploy", "target", "capbus-dist", "capbus", "bin", "capbus").toAbsolutePath();
        assertThat(launcher).as("the distribution, built by the deploy module").isExecutable();
        Path dir = Files.createTempDirectory("native-bench-it");
        Path socket = dir.resolve("bus");
        Process bus = new ProcessBuilder(launcher.toString(), "--session", "--nofork", "--nopidfile",
                "--address=unix:path=" + socket, "--print-address")
                .redirectError(dir.resolve("bus.log").toFile()).start();
        try {
            String address = new BufferedReader(new InputStreamReader(bus.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
            assertThat(address).as("the bus's address").startsWith("unix:path=");
            String table = NativeBench.run(address, socket.toString(), bus.pid(), new BusSyscalls(null), 1, 0.0001,
                    Arrays.asList(Shape.values()), Arrays.asList(NativeBench.Side.values()));
            for (Shape s : Shape.values()) {
                String row = table.lines().filter(l -> l.startsWith("| " + s.title + " (per " + s.unit + ") |"))
                        .findFirst().orElseThrow(() -> new AssertionError("no row for " + s + " in\n" + table));
                String[] cells = row.split("\\|");
                // Throughput of both sides was measured (CPU figures of a few operations may well be 0).
                assertThat(cells[2].trim()).as(row).matches("[0-9,]+");
                assertThat(cells[3].trim()).as(row).matches("[0-9,]+");
            }
        } finally {
            bus.destroy();
            bus.waitFor(10, TimeUnit.SECONDS);
            bus.destroyForcibly();
            Files.deleteIfExists(socket);
            Files.deleteIfExists(dir.resolve("bus.log"));
            Files.deleteIfExists(dir);
        }
    }
}
