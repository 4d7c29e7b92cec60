package org.capbus.dbus.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.security.SecureRandom;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;

import org.capbus.config.BusConfig;
import org.capbus.config.ConfigException;
import org.capbus.config.UserDatabase;
import org.capbus.dbus.io.PeerCredentials;
import org.capbus.dbus.sasl.CookieKeyring;
import org.capbus.dbus.sasl.FileCookieKeyring;

/**
 * A whole {@link Bus} in the test's process, with no socket and no thread: connections are {@link FakeTransport}s
 * driven by {@link TestClient}s, the event loop is the test thread ({@link ManualLoop}), and closed descriptors are
 * recorded. Built from a configuration file's text, so that each test states the limits and policy it relies on.
 */
final class TestBus implements BusHost, AutoCloseable {
    /** The uid of every client unless a test says otherwise; the bus runs as the same user. */
    static final long UID = 1000;

    final ManualLoop loop = new ManualLoop();
    /** Blocking work the bus handed off the loop, run when the test says so. */
    final List<Runnable> blockingTasks = new ArrayList<>();
    final List<Integer> closedFds = new ArrayList<>();
    /** What the bus asked to start, and the means to fail it (service activation). */
    final FakeLauncher launcher = new FakeLauncher();
    final Bus bus;
    /** Where this bus keeps its configuration files and its cookie keyring. */
    final Path dir;
    /** What the next ReloadConfig reads; null keeps the running configuration. */
    BusConfig nextConfig;
    /** The user database read with {@link #nextConfig}. */
    UserDatabase nextUsers = UserDatabase.numericOnly();

    /** A session bus whose configuration adds {@code extra} (limits, policies) to an allow-all session policy. */
    TestBus(String extra) {
        try {
            dir = Files.createTempDirectory("capbus-routing");
            bus = new Bus(config(extra), UserDatabase.numericOnly(), this,
                    new PeerCredentials(UID, UID, 1, new long[0], null));
            // The first read of the service directories: done before the test starts, so that what a test finds
            // handed off the loop is its own.
            runBlocking();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    TestBus() {
        this("");
    }

    /** Parses a configuration: allow-all session policy, EXTERNAL, plus {@code extra}. */
    BusConfig config(String extra) {
        String xml = """
                <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
                 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
                <busconfig>
                  <type>session</type>
                  <listen>unix:tmpdir=/tmp</listen>
                  <auth>EXTERNAL</auth>
                  <policy context="default">
                    <allow send_destination="*" eavesdrop="true"/>
                    <allow eavesdrop="true"/>
                    <allow own="*"/>
                  </policy>
                """ + extra + "\n</busconfig>\n";
        try {
            Path file = Files.createTempFile(dir, "bus", ".conf");
            Files.writeString(file, xml);
            return BusConfig.load(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /**
     * A client of uid {@link #UID} that authenticated (with descriptor passing) and said Hello, with nothing left
     * to read (the NameAcquired of its unique name taken).
     */
    TestClient connect() {
        TestClient c = connectUnregistered(UID, true);
        c.hello();
        c.received();
        return c;
    }

    /** A connection of {@code uid} that authenticated, with or without descriptor passing, and has not said Hello. */
    TestClient connectUnregistered(long uid, boolean fds) {
        FakeTransport t = new FakeTransport(new PeerCredentials(uid, uid, 100 + uid, new long[0], null));
        TestClient c = new TestClient(this, t, bus.accept(t));
        c.authenticate(fds);
        return c;
    }

    @Override
    public ScheduledExecutorService loop() {
        return loop;
    }

    @Override
    public Executor blocking() {
        return blockingTasks::add;
    }

    /** Runs the blocking work handed off so far (as another thread would), then the tasks it posted to the loop. */
    void runBlocking() {
        List<Runnable> due = new ArrayList<>(blockingTasks);
        blockingTasks.clear();
        due.forEach(Runnable::run);
        loop.runTasks();
    }

    @Override
    public CookieKeyring cookieKeyring(SecureRandom random) {
        return new FileCookieKeyring(dir.resolve("keyrings"), FileCookieKeyring.GENERAL_CONTEXT,
                () -> System.currentTimeMillis() / 1000, random);
    }

    @Override
    public org.capbus.dbus.activation.ServiceLauncher serviceLauncher() {
        return launcher;
    }

    @Override
    public void closeFd(int fd) {
        closedFds.add(fd);
    }

    @Override
    public void reloadConfig(Consumer<String> done) {
        // As the daemon: the file is read elsewhere and the result comes back to the loop as a task.
        loop.execute(() -> {
            if (nextConfig != null) {
                bus.applyConfig(nextConfig, nextUsers);
            }
            done.accept(null);
        });
    }

    @Override
    public void close() {
        bus.shutdown();
        loop.shutdownNow();
        try (java.util.stream.Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + dir, e);
        }
    }
}
