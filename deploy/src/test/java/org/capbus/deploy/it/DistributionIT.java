package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runnable distribution the package phase builds (deploy/target/capbus-dist/capbus, and its tar.gz): unpacked
 * anywhere, it runs on its own Java runtime with the AOT cache made at package time and writes nothing; its launcher
 * makes a cache on first use when told to use another one, and whatever state that cache is in keeps standard output
 * to the printed address alone. capbus only: dbus-daemon has no such launcher.
 */
class DistributionIT {
    @TempDir
    Path scratch;

    private static Path distribution() {
        return BusKind.repositoryRoot().resolve("deploy/target/capbus-dist/capbus");
    }

    @Test
    void shouldRunFromTheUnpackedTarballWithoutAnyJdkAndWriteNothing() throws Exception {
        Path install = Files.createDirectories(scratch.resolve("opt dir"));
        ClientResult unpack = Clients.run(Map.of(), Clients.CLIENT_BOUND, List.of("tar", "-xzf",
                tarball().toString(), "-C", install.toString()));
        assertThat(unpack.exitCode()).as(unpack.describe()).isZero();
        Path home = Files.createDirectories(scratch.resolve("home"));
        Map<String, String> env = new HashMap<>();
        env.put("PATH", pathWithoutJava().toString());
        env.put("HOME", home.toString());
        // Strict: the JVM refuses to start unless it can use the packaged AOT cache with the bundled runtime.
        env.put("CAPBUS_JAVA_OPTS", "-XX:AOTMode=on");
        Map<Path, String> before = listing(install);

        for (String run : List.of("first run", "second run")) {
            Path socket = scratch.resolve("bus");
            Files.deleteIfExists(socket);
            try (Clients.Background bus = Clients.Background.startInEnvironment(env, List.of(
                    // The stock session.conf: reading a configuration file needs more of the runtime than --session.
                    install.resolve("capbus/bin/capbus").toString(), "--config-file=/usr/share/dbus-1/session.conf",
                    "--nofork", "--print-address=1",
                    "--address=unix:path=" + socket))) {
                bus.awaitStdout("\n");
                String address = bus.stdout().strip();
                assertThat(Path.of("/proc", Long.toString(bus.process().pid()), "exe").toRealPath())
                        .as("%s: the JVM that serves\n%s", run, bus.describe())
                        .isEqualTo(install.resolve("capbus/runtime/bin/java").toRealPath());
                ClientResult call = Clients.run(Map.of("DBUS_SESSION_BUS_ADDRESS", address), Clients.CLIENT_BOUND,
                        List.of("gdbus", "call", "--session", "--dest", "org.freedesktop.DBus", "--object-path",
                                "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.ListNames"));
                assertThat(call.exitCode()).as("%s: %s\n%s", run, call.describe(), bus.describe()).isZero();
                assertThat(call.stdout()).contains("'org.freedesktop.DBus'");
                bus.process().destroy();
                assertThat(bus.process().waitFor(Clients.CLIENT_BOUND.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
                assertThat(bus.stderr()).as(run).isEmpty();
            }
        }
        assertThat(listing(install)).as("nothing written beside the install").isEqualTo(before);
        try (var written = Files.list(home)) {
            assertThat(written).as("nothing written in $HOME").isEmpty();
        }
    }

    @Test
    void shouldBundleARuntimeOfOnlyTheModulesCapbusUses() throws IOException {
        String release = Files.readString(distribution().resolve("runtime/release"));
        assertThat(release).containsPattern("JAVA_VERSION=\"2[5-9]")
                .containsPattern("MODULES=\".*java.base.*java.xml.*jdk.httpserver.*\"")
                .doesNotContain("java.desktop", "java.sql", "jdk.compiler", "jdk.jshell");
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
                tarball().toString()));
        assertThat(listing.exitCode()).as(listing.describe()).isZero();
        assertThat(listing.stdout()).containsPattern("-rwxr-xr-x .* capbus/bin/capbus\n")
                .contains("capbus/lib/capbus.jar\n", "capbus/lib/capbus.aot\n", "capbus/runtime/lib/modules\n")
                .containsPattern("-rwxr-xr-x .* capbus/runtime/bin/java\n")
                .contains("capbus/systemd/user/capbus.socket\n", "capbus/systemd/user/capbus.service\n")
                .contains("capbus/systemd/system/capbus.socket\n", "capbus/systemd/system/capbus.service\n");
    }

    private static Path tarball() {
        return BusKind.repositoryRoot().resolve("deploy/target/capbus-dist.tar.gz");
    }

    /** Every file under {@code root} with its size and time, to see whether anything was written. */
    private static Map<Path, String> listing(Path root) throws IOException {
        Map<Path, String> files = new TreeMap<>();
        try (var walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                files.put(root.relativize(p), Files.isDirectory(p) ? "dir"
                        : Files.size(p) + " " + Files.getLastModifiedTime(p));
            }
        }
        return files;
    }

    /**
     * A directory standing for PATH on a machine with no JDK: links to every program of /usr/bin and /bin except
     * those of a Java installation (java, javac, jar, ... through /etc/alternatives into /usr/lib/jvm).
     */
    private Path pathWithoutJava() throws IOException {
        Path bin = Files.createDirectories(scratch.resolve("bin"));
        for (String dir : List.of("/usr/bin", "/bin")) {
            try (var programs = Files.list(Path.of(dir))) {
                for (Path program : (Iterable<Path>) programs::iterator) {
                    Path link = bin.resolve(program.getFileName());
                    Path real;
                    try {
                        real = program.toRealPath();
                    } catch (IOException dangling) {
                        continue;
                    }
                    if (!real.startsWith("/usr/lib/jvm") && Files.notExists(link, LinkOption.NOFOLLOW_LINKS)) {
                        Files.createSymbolicLink(link, program);
                    }
                }
            }
        }
        return bin;
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
            // A first use includes the training run that makes the cache: seconds, more on a loaded machine.
            bus.awaitStdout("\n", java.time.Duration.ofSeconds(80));
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
