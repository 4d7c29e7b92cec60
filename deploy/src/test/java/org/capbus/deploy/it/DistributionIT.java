package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runnable distribution the package phase builds (deploy/target/capbus-dist/capbus, and its tar.gz): its
 * launcher starts the bus, makes the JVM's AOT cache on first use, and whatever state that cache is in keeps
 * standard output to the printed address alone. capbus only: dbus-daemon has no such launcher.
 */
class DistributionIT {
    @TempDir
    Path scratch;

    private static Path distribution() {
        return BusKind.repositoryRoot().resolve("deploy/target/capbus-dist/capbus");
    }

    @Test
    void shouldStartAndPrintOnlyItsAddressMakingTheAotCacheOnFirstUse() throws Exception {
        Path cache = scratch.resolve("cache/capbus.aot");
        assertStartsAndServes(cache, "first use");
        assertThat(cache).as("the AOT cache the training run made").isNotEmptyFile();
        FileTime made = Files.getLastModifiedTime(cache);

        assertStartsAndServes(cache, "with the cache");
        assertThat(Files.getLastModifiedTime(cache)).as("a current cache is used, not made again").isEqualTo(made);
    }

    @Test
    void shouldStartWhenTheAotCacheIsUnusable() throws Exception {
        Path cache = Files.createDirectories(scratch.resolve("cache")).resolve("capbus.aot");
        Files.write(cache, new byte[4096]);
        // Newer than the jar, so the launcher takes it as current and hands it to the JVM, which must ignore it quietly.
        Files.setLastModifiedTime(cache, FileTime.from(Instant.now().plusSeconds(3600)));
        assertStartsAndServes(cache, "unusable cache");
    }

    @Test
    void shouldPackTheLauncherTheJarAndTheUnits() {
        ClientResult listing = Clients.run(Map.of(), Clients.CLIENT_BOUND, List.of("tar", "-tvzf",
                BusKind.repositoryRoot().resolve("deploy/target/capbus-dist.tar.gz").toString()));
        assertThat(listing.exitCode()).as(listing.describe()).isZero();
        assertThat(listing.stdout()).containsPattern("-rwxr-xr-x .* capbus/bin/capbus\n")
                .contains("capbus/lib/capbus.jar\n")
                .contains("capbus/systemd/user/capbus.socket\n", "capbus/systemd/user/capbus.service\n")
                .contains("capbus/systemd/system/capbus.socket\n", "capbus/systemd/system/capbus.service\n");
    }

    /** Starts bin/capbus with {@code cache}, checks a client is served and that stdout held only the address. */
    private void assertStartsAndServes(Path cache, String situation) throws IOException, InterruptedException {
        Path socket = scratch.resolve("bus");
        Files.deleteIfExists(socket);
        Map<String, String> env = new HashMap<>();
        env.put("CAPBUS_AOT_CACHE", cache.toString());
        try (Clients.Background bus = Clients.Background.start(env, List.of(
                distribution().resolve("bin/capbus").toString(), "--session", "--nofork", "--print-address=1",
                "--address=unix:path=" + socket))) {
            bus.awaitStdout("\n");
            String address = bus.stdout().strip();
            assertThat(address).as(situation).matches("unix:path=" + socket + ",guid=[0-9a-f]{32}");

            ClientResult call = Clients.run(Map.of("DBUS_SESSION_BUS_ADDRESS", address), Clients.CLIENT_BOUND,
                    List.of("dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
                            "/org/freedesktop/DBus", "org.freedesktop.DBus.GetId"));
            assertThat(call.exitCode()).as("%s: %s\n%s", situation, call.describe(), bus.describe()).isZero();

            bus.process().destroy();
            assertThat(bus.process().waitFor(Clients.CLIENT_BOUND.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            assertThat(bus.stdout()).as("%s: standard output holds the address alone", situation)
                    .isEqualTo(address + "\n");
        }
    }
}
