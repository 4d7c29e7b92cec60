package org.capbus.deploy.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs real client programs against a bus: an argument vector (never a shell string), a bounded run time, and
 * {@code DBUS_SESSION_BUS_ADDRESS} pointing at the bus. Output goes to files so a chatty client can never block on a
 * full pipe. Stateless; call from the test thread.
 */
public final class Clients {
    /** How long one client program may take before the test fails. */
    public static final Duration CLIENT_BOUND = Duration.ofSeconds(20);

    /** Debian's interpreter, which has python3-dbus, python3-gi and python3-dbusmock (not a pyenv one on PATH). */
    public static final String PYTHON = "/usr/bin/python3";

    private Clients() {
    }

    /** Runs {@code command} against {@code bus} with {@link #CLIENT_BOUND}. */
    public static ClientResult run(TestBus bus, String... command) {
        return run(bus.clientEnvironment(), CLIENT_BOUND, List.of(command));
    }

    /** Runs {@code command} against {@code bus}; fails the test unless it exits 0. */
    public static ClientResult runOk(TestBus bus, String... command) {
        ClientResult result = run(bus, command);
        if (result.exitCode() != 0) {
            throw new AssertionError("[" + bus.kind() + "] client failed: " + result.describe() + "\n--- bus stderr ---\n"
                    + bus.stderr());
        }
        return result;
    }

    /** Runs {@code command} with {@code environment} added to ours, waiting at most {@code bound}. */
    public static ClientResult run(Map<String, String> environment, Duration bound, List<String> command) {
        try (Background process = Background.start(environment, command)) {
            if (!process.process().waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("client did not finish within " + bound.toMillis() + " ms: " + command
                        + "\n--- stdout ---\n" + process.stdout() + "\n--- stderr ---\n" + process.stderr());
            }
            return new ClientResult(List.copyOf(command), process.process().exitValue(), process.stdout(), process.stderr());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + command, e);
        }
    }

    /**
     * Plays a service manager's notification socket ({@code NOTIFY_SOCKET}, systemd's Type=notify) at {@code socket}:
     * prints every datagram on a line of its own, its assignments separated by blanks. Returned once it listens; close
     * it to stop it.
     */
    public static Background notificationSocket(Path socket) {
        Background manager = Background.start(Map.of(), List.of(PYTHON, "-c", """
                import socket, sys
                s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                s.bind(sys.argv[1])
                print('listening', flush=True)
                while True:
                    print(s.recv(4096).decode().replace('\\n', ' '), flush=True)
                """, socket.toString()));
        try {
            manager.awaitStdout("listening");
        } catch (RuntimeException | Error e) {
            manager.close();
            throw e;
        }
        return manager;
    }

    /** Starts a long-running client (a service, a monitor) against {@code bus}; close it to stop it. */
    public static Background start(TestBus bus, String... command) {
        return Background.start(bus.clientEnvironment(), List.of(command));
    }

    /** Path of a test resource file (the Python helper scripts live beside this class). */
    public static String resource(String name) {
        try {
            var url = Clients.class.getResource(name);
            if (url == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return Path.of(url.toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs the Python helper script {@code script} with {@code args} against {@code bus}; fails unless it exits 0. */
    /**
     * Starts the python3-dbus test service (service.py) owning {@code name} and waits until it serves; the caller
     * closes it.
     */
    public static Background pythonService(TestBus bus, String name) {
        Background service = start(bus, PYTHON, resource("service.py"), name);
        service.awaitStdout("READY");
        return service;
    }

    public static ClientResult python(TestBus bus, String script, String... args) {
        List<String> command = new ArrayList<>(List.of(PYTHON, resource(script)));
        command.addAll(List.of(args));
        return runOk(bus, command.toArray(String[]::new));
    }

    /**
     * A client process running in the background, its output captured to temporary files that are deleted on close.
     * Owned by the test that started it.
     */
    public static final class Background implements AutoCloseable {
        private final Process process;
        private final Path stdout;
        private final Path stderr;
        private final List<String> command;

        private Background(Process process, Path stdout, Path stderr, List<String> command) {
            this.process = process;
            this.stdout = stdout;
            this.stderr = stderr;
            this.command = command;
        }

        static Background start(Map<String, String> environment, List<String> command) {
            return start(environment, false, command);
        }

        /** Starts {@code command} with exactly {@code environment}, nothing inherited from ours. */
        static Background startInEnvironment(Map<String, String> environment, List<String> command) {
            return start(environment, true, command);
        }

        private static Background start(Map<String, String> environment, boolean only, List<String> command) {
            try {
                Path out = Files.createTempFile("capbus-it-out", ".txt");
                Path err = Files.createTempFile("capbus-it-err", ".txt");
                ProcessBuilder builder = new ProcessBuilder(command)
                        .redirectOutput(out.toFile())
                        .redirectError(err.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
                if (only) {
                    builder.environment().clear();
                }
                builder.environment().putAll(environment);
                // Unbuffered Python output, so a background script's lines are visible as soon as it prints them.
                builder.environment().put("PYTHONUNBUFFERED", "1");
                return new Background(builder.start(), out, err, List.copyOf(command));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start " + command, e);
            }
        }

        public Process process() {
            return process;
        }

        /** Everything printed to standard output so far. */
        public String stdout() {
            return read(stdout);
        }

        /** Everything printed to standard error so far. */
        public String stderr() {
            return read(stderr);
        }

        /** Waits (bounded) until standard output contains {@code text}; fails if the process exits first. */
        public void awaitStdout(String text) {
            awaitOutput(text, this::stdout, "stdout");
        }

        /** As {@link #awaitStdout(String)}, waiting at most {@code bound}. */
        public void awaitStdout(String text, Duration bound) {
            awaitOutput(text, this::stdout, "stdout", bound);
        }

        /** Waits (bounded) until standard error contains {@code text}; fails if the process exits first. */
        public void awaitStderr(String text) {
            awaitOutput(text, this::stderr, "stderr");
        }

        private void awaitOutput(String text, java.util.function.Supplier<String> output, String stream) {
            awaitOutput(text, output, stream, null);
        }

        private void awaitOutput(String text, java.util.function.Supplier<String> output, String stream,
                                 Duration bound) {
            java.util.function.BooleanSupplier seen = () -> {
                if (output.get().contains(text)) {
                    return true;
                }
                if (!process.isAlive() && !output.get().contains(text)) {
                    throw new AssertionError("client exited " + process.exitValue() + " before printing '" + text
                            + "' to " + stream + ": " + describe());
                }
                return false;
            };
            java.util.function.Supplier<String> failure =
                    () -> "client never printed '" + text + "' to " + stream + ": " + describe();
            if (bound == null) {
                Await.until(seen, failure);
            } else {
                Await.until(bound, seen, failure);
            }
        }

        /** Waits (bounded) for the process to exit and returns its status. */
        public int awaitExit() {
            Await.until(() -> !process.isAlive(), () -> "client did not exit: " + describe());
            return process.exitValue();
        }

        public String describe() {
            return command + "\n--- stdout ---\n" + stdout() + "\n--- stderr ---\n" + stderr();
        }

        private static String read(Path file) {
            try {
                return Files.readString(file, StandardCharsets.UTF_8);
            } catch (java.nio.charset.MalformedInputException e) {
                try {
                    return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
                } catch (IOException again) {
                    throw new UncheckedIOException(again);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Stops the process (SIGTERM, then SIGKILL after a bound) and deletes its output files. */
        @Override
        public void close() {
            try {
                if (process.isAlive()) {
                    process.destroy();
                    if (!process.waitFor(5, TimeUnit.SECONDS)) {
                        process.destroyForcibly();
                        process.waitFor(5, TimeUnit.SECONDS);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            } finally {
                try {
                    Files.deleteIfExists(stdout);
                    Files.deleteIfExists(stderr);
                } catch (IOException ignored) {
                    // Temporary files; /tmp is cleaned anyway.
                }
            }
        }
    }
}
