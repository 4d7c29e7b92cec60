package org.capbus.deploy.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * A bus process under test: {@code <bus> --config-file=F --nofork --print-address=1 --address=unix:path=<tmp>/bus.sock}
 * with a generated session-type configuration (EXTERNAL auth, everything allowed), in a fresh temporary directory.
 * {@link #start} returns once the bus has printed its address; {@link #close} stops it with SIGTERM (SIGKILL after a
 * bound) and removes the directory. Owned by one test class; its methods are called from the test thread.
 */
public final class TestBus implements AutoCloseable {
    private static final Duration START_BOUND = Duration.ofSeconds(60);
    private static final Duration STOP_BOUND = Duration.ofSeconds(5);

    private final BusKind kind;
    private final Path directory;
    private final Process process;
    private final String address;

    private TestBus(BusKind kind, Path directory, Process process, String address) {
        this.kind = kind;
        this.directory = directory;
        this.process = process;
        this.address = address;
    }

    /** Starts a bus of {@code kind} without eavesdropping rights. */
    public static TestBus start(BusKind kind) {
        return start(kind, false);
    }

    /**
     * Starts a bus of {@code kind}; {@code allowEavesdrop} adds {@code <allow eavesdrop="true"/>} for clients that
     * predate {@code BecomeMonitor}. Fails, showing the bus's stderr, if no address is printed within the bound.
     */
    public static TestBus start(BusKind kind, boolean allowEavesdrop) {
        return start(kind, allowEavesdrop, List.of());
    }

    /** Starts a bus of {@code kind} with the configuration file {@code configurationText}. */
    public static TestBus startWithConfiguration(BusKind kind, String configurationText) {
        return start(kind, configurationText, List.of());
    }

    /** Starts a bus of {@code kind} with the given configuration file contents and {@code extraArguments}. */
    public static TestBus startWithConfiguration(BusKind kind, String configurationText, List<String> extraArguments) {
        return start(kind, configurationText, extraArguments);
    }

    /**
     * Starts a bus of {@code kind} with {@code extraArguments} after the usual command line (for capbus-only options
     * such as {@code --metrics=HOST:PORT}).
     */
    public static TestBus start(BusKind kind, boolean allowEavesdrop, List<String> extraArguments) {
        return start(kind, configuration(allowEavesdrop), extraArguments);
    }

    /**
     * Starts a bus of {@code kind} with the configuration file {@code configurationText} and {@code environment} added
     * to the bus process's (e.g. {@code CAPBUS_JAVA_OPTS}, which dbus-daemon ignores).
     */
    public static TestBus startWithConfiguration(BusKind kind, String configurationText,
                                                 Map<String, String> environment) {
        return start(kind, configurationText, List.of(), environment);
    }

    private static TestBus start(BusKind kind, String configurationText, List<String> extraArguments) {
        return start(kind, configurationText, extraArguments, Map.of());
    }

    /** Starts a bus of {@code kind} with {@code environment} added to the bus process's environment. */
    public static TestBus startWithEnvironment(BusKind kind, Map<String, String> environment) {
        return start(kind, configuration(false), List.of(), environment);
    }

    /**
     * Starts a bus of {@code kind} with the configuration file {@code configurationText}, listening on
     * {@code address} instead of a socket in its temporary directory (a system bus on its well-known address). The
     * caller makes sure nothing else uses the address and removes what the bus leaves there.
     */
    public static TestBus startAt(BusKind kind, String configurationText, String address) {
        return start(kind, configurationText, List.of(), Map.of(), address);
    }

    private static TestBus start(BusKind kind, String configurationText, List<String> extraArguments,
                                 Map<String, String> environment) {
        return start(kind, configurationText, extraArguments, environment, null);
    }

    private static TestBus start(BusKind kind, String configurationText, List<String> extraArguments,
                                 Map<String, String> environment, String address) {
        Path directory = null;
        Process process = null;
        try {
            directory = Files.createTempDirectory("capbus-it-");
            // Clients of other uids (setpriv) must reach the socket; the socket's own mode decides the rest.
            Files.setPosixFilePermissions(directory, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            Path config = directory.resolve("bus.conf");
            Files.writeString(config, configurationText, StandardCharsets.UTF_8);
            String listen = address != null ? address : "unix:path=" + directory.resolve("bus.sock");
            List<String> command = new java.util.ArrayList<>(List.of(kind.executable().toString(),
                    "--config-file=" + config, "--nofork", "--print-address=1", "--address=" + listen));
            command.addAll(extraArguments);
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectError(directory.resolve("bus.stderr").toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            builder.environment().putAll(kind.environment());
            builder.environment().putAll(environment);
            process = builder.start();
            Process started = process;
            CompletableFuture<String> firstLine = new CompletableFuture<>();
            Thread.ofPlatform().daemon().name("capbus-it-bus-stdout").start(() -> {
                try (var reader = new BufferedReader(new InputStreamReader(started.getInputStream(), StandardCharsets.UTF_8))) {
                    firstLine.complete(reader.readLine());
                    // Keep draining, so the bus never blocks writing to a full pipe.
                    while (reader.readLine() != null) {
                        // discard
                    }
                } catch (IOException e) {
                    firstLine.complete(null);
                }
            });
            String line = firstLine.get(START_BOUND.toMillis(), TimeUnit.MILLISECONDS);
            if (line == null || !line.startsWith("unix:")) {
                throw new AssertionError("[" + kind + "] bus printed no address (got " + line + "), exit "
                        + (started.isAlive() ? "still running" : started.exitValue()) + "\n--- bus stderr ---\n"
                        + Files.readString(directory.resolve("bus.stderr")));
            }
            return new TestBus(kind, directory, process, line.trim());
        } catch (TimeoutException e) {
            String stderr = directory == null ? "" : readQuietly(directory.resolve("bus.stderr"));
            stopAndClean(process, directory);
            throw new AssertionError("[" + kind + "] bus printed no address within " + START_BOUND.toSeconds()
                    + " s\n--- bus stderr ---\n" + stderr, e);
        } catch (IOException e) {
            stopAndClean(process, directory);
            throw new UncheckedIOException("[" + kind + "] cannot start the bus", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopAndClean(process, directory);
            throw new AssertionError(e);
        } catch (ExecutionException | AssertionError | RuntimeException e) {
            stopAndClean(process, directory);
            throw e instanceof AssertionError a ? a : new AssertionError("[" + kind + "] cannot start the bus", e);
        }
    }

    /**
     * A session-type configuration like the benchmark's: the {@code <listen>} element is required by dbus-daemon
     * ("Configuration file needs one or more <listen> elements") even though {@code --address} replaces it.
     */
    static String configuration(boolean allowEavesdrop) {
        return configuration(allowEavesdrop ? "    <allow eavesdrop=\"true\"/>\n" : "", "");
    }

    /**
     * The same configuration with {@code limits} ({@code <limit>} elements) and any user allowed to connect (with a
     * socket in a directory others can reach), for tests with clients of several uids.
     */
    public static String configurationWithLimits(String limits) {
        return configuration("    <allow user=\"*\"/>\n", limits);
    }

    /** The tests' session configuration with {@code extraElements} added (service directories, limits). */
    public static String configurationWithElements(String extraElements) {
        return configuration("", extraElements);
    }

    private static String configuration(String extraPolicy, String extraElements) {
        return """
                <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
                 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
                <busconfig>
                  <type>session</type>
                  <listen>unix:tmpdir=/tmp</listen>
                  <auth>EXTERNAL</auth>
                  <policy context="default">
                    <allow send_destination="*"/>
                    <allow receive_sender="*"/>
                    <allow own="*"/>
                %s  </policy>
                %s</busconfig>
                """.formatted(extraPolicy, extraElements);
    }

    public BusKind kind() {
        return kind;
    }

    /** The D-Bus address the bus printed, e.g. {@code unix:path=/tmp/capbus-it-1/bus.sock,guid=...}. */
    public String address() {
        return address;
    }

    /** The listening socket (in the bus's directory; not for a bus {@link #startAt} an address of the test's). */
    public Path socket() {
        return directory.resolve("bus.sock");
    }

    /** A scratch directory removed with the bus. */
    public Path directory() {
        return directory;
    }

    /** The process id of the bus. */
    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits up to {@code bound} for the bus to exit; its exit status, or -1 if it is still running. */
    public int awaitExit(Duration bound) {
        try {
            return process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Everything the bus wrote to stderr so far, for failure messages. */
    public String stderr() {
        return readQuietly(directory.resolve("bus.stderr"));
    }

    /** The environment a client needs to find this bus as its session bus. */
    public Map<String, String> clientEnvironment() {
        Map<String, String> env = new HashMap<>();
        env.put("DBUS_SESSION_BUS_ADDRESS", address);
        return env;
    }

    @Override
    public void close() {
        stopAndClean(process, directory);
    }

    @Override
    public String toString() {
        return kind + " at " + address;
    }

    private static void stopAndClean(Process process, Path directory) {
        try {
            if (process != null && process.isAlive()) {
                process.destroy();
                if (!process.waitFor(STOP_BOUND.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(STOP_BOUND.toMillis(), TimeUnit.MILLISECONDS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        if (directory != null) {
            deleteTree(directory);
        }
    }

    /** Deletes {@code directory} and what it holds, quietly: a test's temporary files must not pile up in /tmp. */
    public static void deleteTree(Path directory) {
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException ignored) {
            // Gone already, or a file the test cannot remove: nothing a test should fail for.
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /**
     * One lazily started bus per kind, shared by the independent tests of one class: the class holds a static
     * instance and closes it in {@code @AfterAll}.
     */
    public static final class Shared implements AutoCloseable {
        private final Map<BusKind, TestBus> buses = new java.util.EnumMap<>(BusKind.class);
        private final Map<BusKind, AssertionError> failedStarts = new java.util.EnumMap<>(BusKind.class);
        private final String configurationText;

        public Shared() {
            this(false);
        }

        public Shared(boolean allowEavesdrop) {
            this(configuration(allowEavesdrop));
        }

        /** Buses started with the configuration file {@code configurationText}. */
        public Shared(String configurationText) {
            this.configurationText = configurationText;
        }

        /**
         * The running bus of {@code kind}, started on first use. A bus that died during an earlier test fails every
         * later one: a crash must never be hidden by a restart.
         */
        public TestBus get(BusKind kind) {
            AssertionError failedStart = failedStarts.get(kind);
            if (failedStart != null) {
                // One bounded wait per class, not one per test, for a bus that cannot start.
                throw new AssertionError("[" + kind + "] the shared bus failed to start earlier", failedStart);
            }
            TestBus bus = buses.get(kind);
            if (bus == null) {
                try {
                    bus = TestBus.start(kind, configurationText, List.of());
                } catch (AssertionError e) {
                    failedStarts.put(kind, e);
                    throw e;
                }
                buses.put(kind, bus);
            } else if (!bus.isAlive()) {
                throw new AssertionError("[" + kind + "] the shared bus died during an earlier test\n--- bus stderr ---\n"
                        + bus.stderr());
            }
            return bus;
        }

        @Override
        public void close() {
            List<TestBus> all = List.copyOf(buses.values());
            buses.clear();
            all.forEach(TestBus::close);
        }
    }
}
