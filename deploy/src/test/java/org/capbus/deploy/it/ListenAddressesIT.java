package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The listening address forms of the D-Bus specification, given with {@code --address} as dbus-daemon takes them:
 * the bus prints a connectable address and gdbus reaches the bus through it.
 */
class ListenAddressesIT {

    /** Starts the bus on {@code address}, calls GetId through the printed address, and stops the bus. */
    private static String printedAddressWorks(BusKind kind, String address, Map<String, String> env) throws Exception {
        Path dir = Files.createTempDirectory("capbus-listen-");
        Path config = dir.resolve("bus.conf");
        Files.writeString(config, TestBus.configuration(false), StandardCharsets.UTF_8);
        ProcessBuilder pb = new ProcessBuilder(kind.executable().toString(), "--config-file=" + config, "--nofork",
                "--print-address=1", "--address=" + address)
                .redirectError(dir.resolve("stderr").toFile());
        pb.environment().putAll(kind.environment());
        pb.environment().putAll(env);
        Process bus = pb.start();
        try {
            CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(bus.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    return r.readLine();
                } catch (IOException e) {
                    return null;
                }
            });
            String printed = line.get(20, TimeUnit.SECONDS);
            assertThat(printed).as("[%s] printed address; stderr: %s", kind,
                    Files.readString(dir.resolve("stderr"))).isNotNull().contains(",guid=");
            ClientResult id = Clients.run(Map.of("DBUS_SESSION_BUS_ADDRESS", printed), Clients.CLIENT_BOUND,
                    List.of("gdbus", "call", "--session", "--dest", "org.freedesktop.DBus", "--object-path",
                            "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.GetId"));
            assertThat(id.exitCode()).as(id.describe()).isZero();
            return printed;
        } finally {
            bus.destroy();
            if (!bus.waitFor(5, TimeUnit.SECONDS)) {
                bus.destroyForcibly();
            }
            TestBus.deleteTree(dir);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldListenOnATmpdirAddress(BusKind kind) throws Exception {
        Path dir = Files.createTempDirectory("capbus-tmpdir-");
        try {
            String printed = printedAddressWorks(kind, "unix:tmpdir=" + dir, Map.of());
            assertThat(printed).startsWith("unix:path=" + dir + "/dbus-");
        } finally {
            TestBus.deleteTree(dir);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldListenOnADirAddress(BusKind kind) throws Exception {
        Path dir = Files.createTempDirectory("capbus-dir-");
        try {
            String printed = printedAddressWorks(kind, "unix:dir=" + dir, Map.of());
            assertThat(printed).startsWith("unix:path=" + dir + "/dbus-");
        } finally {
            TestBus.deleteTree(dir);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldListenOnAnAbstractAddress(BusKind kind) throws Exception {
        String name = "capbus-it-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        String printed = printedAddressWorks(kind, "unix:abstract=" + name, Map.of());
        assertThat(printed).startsWith("unix:abstract=" + name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldListenInTheRuntimeDirectory(BusKind kind) throws Exception {
        Path runtime = Files.createTempDirectory("capbus-runtime-");
        try {
            String printed = printedAddressWorks(kind, "unix:runtime=yes",
                    Map.of("XDG_RUNTIME_DIR", runtime.toString()));
            assertThat(printed).startsWith("unix:path=" + runtime + "/bus");
        } finally {
            TestBus.deleteTree(runtime);
        }
    }
}
