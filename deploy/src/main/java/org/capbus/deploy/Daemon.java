package org.capbus.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

import org.capbus.adapters.metrics.BusSnapshots;
import org.capbus.adapters.metrics.CapbusMetrics;
import org.capbus.adapters.transport.SystemdListenFds;
import org.capbus.adapters.transport.TransportOptions;
import org.capbus.adapters.transport.SystemdNotifier;
import org.capbus.adapters.transport.UnixTransport;
import org.capbus.config.BusConfig;
import org.capbus.config.ConfigException;
import org.capbus.config.MetricsAddress;
import org.capbus.config.UserDatabase;
import org.capbus.dbus.broker.Bus;
import org.capbus.dbus.broker.BusHost;
import org.capbus.dbus.io.PeerCredentials;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running capbus: the transport's event loop, the bus on it, its listening sockets and its pid file. Started by
 * {@link Main}; stopped by SIGTERM through the shutdown hook. Configuration reloads (SIGHUP, ReloadConfig) read
 * the file on one worker thread, coalesced ({@link ConfigReloader}), and hand the result to the loop; a file that does not parse is reported with
 * its file, line and reason, and the running configuration stays. Prometheus metrics are served when
 * {@code --metrics} or the configuration's {@code <metrics address>} asks (the command line wins), on a thread of
 * their own; a reload does not move them. With {@code <user>} in the configuration the process runs as that user
 * once its sockets are bound and its pid file written, before the loop serves anything ({@link DaemonUser}), or
 * does not start.
 */
final class Daemon implements BusHost {
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);
    /** What {@code --system} reads, as dbus-daemon. */
    static final Path SYSTEM_CONFIG = Path.of("/usr/share/dbus-1/system.conf");
    private static final long OUTBOUND_HIGH_WATER = 1L << 20;
    private static final long OUTBOUND_LOW_WATER = 256L << 10;
    /** The listen address meaning "the sockets systemd passed", as dbus-daemon's {@code --address=systemd:}. */
    static final String SYSTEMD_ADDRESS = "systemd:";

    private final DaemonOptions options;
    private final UnixTransport transport;
    private final Bus bus;
    private final List<String> addresses = new ArrayList<>();
    private Path pidFile;
    private CapbusMetrics metrics;
    private final ConfigReloader<ConfigReloader.Loaded> reloader;
    /** Blocking work of the bus (the cookie keyring's files), each task on a virtual thread of its own. */
    private final java.util.concurrent.ExecutorService blocking =
            java.util.concurrent.Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("capbus-blocking-", 0)
                    .factory());

    /** The command line it was started with, for a live upgrade to start the next process with. */
    private String[] commandLine = new String[0];
    private Upgrader upgrader;

    private Daemon(DaemonOptions options, BusConfig config, UnixTransport transport, PeerCredentials credentials)
            throws IOException {
        this(options, config, transport, credentials, null);
    }

    /** As above, with the bus id of the process this one takes over from (null: a new one). */
    private Daemon(DaemonOptions options, BusConfig config, UnixTransport transport, PeerCredentials credentials,
                   String guid) throws IOException {
        this.options = options;
        this.transport = transport;
        UserDatabase users = loadUsers();
        this.bus = onLoop(() -> new Bus(config, users, this, credentials, guid));
        this.reloader = new ConfigReloader<>(this::loadForReload, transport.executor(),
                loaded -> bus.applyConfig(loaded.config(), loaded.users()));
    }

    /** A daemon over a fresh loop for the bus a live upgrade takes over; nothing listens or reads yet. */
    static Daemon forTakeover(DaemonOptions options, BusConfig config, String guid) throws IOException {
        UnixTransport transport = UnixTransport.start(
                TransportOptions.DEFAULTS.withWaterMarks(OUTBOUND_HIGH_WATER, OUTBOUND_LOW_WATER));
        try {
            // Started by the old bus, so already running as the user it changed to (<user>): its own credentials.
            return new Daemon(options, config, transport, ownCredentials(), guid);
        } catch (IOException | RuntimeException e) {
            transport.shutdown();
            throw e;
        }
    }

    UnixTransport transport() {
        return transport;
    }

    Bus bus() {
        return bus;
    }

    DaemonOptions options() {
        return options;
    }

    /** Records the command line, which a live upgrade starts the next process with. */
    void commandLine(String[] args) {
        this.commandLine = args.clone();
    }

    String[] commandLine() {
        return commandLine.clone();
    }

    /** SIGUSR2: starts a live upgrade on a thread of its own, unless one is running. */
    synchronized void upgrade() {
        if (upgrader != null && upgrader.isRunning()) {
            log.warn("an upgrade is already in progress; ignoring this request");
            return;
        }
        upgrader = new Upgrader(this);
        upgrader.start();
    }

    /** After a takeover: the addresses the listeners were announced with, for {@link #address()}. */
    void tookOverAddresses(List<String> announced, BusConfig config) throws IOException {
        addresses.addAll(announced);
        writePidFile(config);
    }

    /** After a takeover, once the old process is gone (it held the port): serve metrics if asked. */
    void serveMetricsLater(BusConfig config, long oldPid) {
        if (metricsAddress(options, config) == null) {
            return;
        }
        Thread.ofPlatform().name("capbus-metrics-start").daemon().start(() -> {
            ProcessHandle.of(oldPid).ifPresent(p -> p.onExit().join());
            try {
                serveMetrics(config);
            } catch (IOException e) {
                log.error("{}", e.getMessage());
            }
        });
    }

    /**
     * The user and group names the policy may use, read now (file I/O: with the configuration, never on the loop),
     * so that a reload sees users and groups added since the start.
     */
    static UserDatabase loadUsers() {
        try {
            return UserDatabase.localFiles();
        } catch (IOException e) {
            log.warn("cannot read /etc/passwd or /etc/group ({}); policy names no user or group by name", e.toString());
            return UserDatabase.numericOnly();
        }
    }

    @Override
    public boolean systemdActivation() {
        return options.systemdActivation();
    }

    /** The configuration file the options name: --config-file, or system.conf for --system; empty for --session. */
    static Optional<Path> configPath(DaemonOptions options) {
        if (options.configFile().isPresent()) {
            return Optional.of(Path.of(options.configFile().get()));
        }
        if (options.system()) {
            return Optional.of(SYSTEM_CONFIG);
        }
        return Optional.empty();
    }

    static BusConfig loadConfig(DaemonOptions options) throws ConfigException, IOException {
        Optional<Path> file = configPath(options);
        return file.isPresent() ? BusConfig.load(file.get()) : BusConfig.builtinSession();
    }

    /** Starts the loop and the bus, and listens; throws if nothing could be listened on. */
    static Daemon start(DaemonOptions options, BusConfig config) throws IOException {
        // A connection's socket-side buffer stays small (1 MiB): what a slow reader has not taken waits in the
        // core, where its user's budget bounds it, not in a transport buffer no quota sees.
        // Looked up first: an unknown user stops the start before anything is bound.
        DaemonUser user = config.user() == null ? null : DaemonUser.lookup(config.user());
        UnixTransport transport = UnixTransport.start(
                TransportOptions.DEFAULTS.withWaterMarks(OUTBOUND_HIGH_WATER, OUTBOUND_LOW_WATER));
        try {
            // The bus's own credentials (its owner for the policy, what GetConnectionCredentials says of
            // org.freedesktop.DBus) are those it will run with, as dbus-daemon's after it changed user.
            Daemon d = new Daemon(options, config, transport, user == null ? ownCredentials() : new PeerCredentials(
                    user.uid(), user.gid(), ProcessHandle.current().pid(), new long[0], null));
            d.serveMetrics(config);
            // One task on the loop: no connection is read between binding the sockets and changing user.
            d.onLoop(() -> {
                d.listen(config);
                d.writePidFile(config);
                if (user != null) {
                    user.become();
                    log.debug("running as user {} (uid {}, gid {})", user.name(), user.uid(), user.gid());
                }
                return null;
            });
            return d;
        } catch (IOException | RuntimeException e) {
            transport.shutdown();
            throw e;
        }
    }

    /** Binds every listening address; on the loop. */
    private void listen(BusConfig config) throws IOException {
        List<String> wanted = options.address().isPresent() ? List.of(options.address().get()) : config.listen();
        if (wanted.isEmpty()) {
            throw new IOException("the configuration has no <listen> address and none was given with --address");
        }
        for (String address : wanted) {
            if (isSystemdAddress(address)) {
                listenOnPassedSockets();
            } else {
                addresses.add(transport.listen(address, bus));
            }
        }
    }

    /** The metrics address the options or the configuration ask for, or null for none. */
    static MetricsAddress metricsAddress(DaemonOptions options, BusConfig config) {
        return options.metrics().orElse(config.metrics());
    }

    private void serveMetrics(BusConfig config) throws IOException {
        MetricsAddress address = metricsAddress(options, config);
        if (address == null) {
            return;
        }
        try {
            metrics = CapbusMetrics.start(address, bus, transport.executor(), transport.counters(),
                    BusSnapshots.DEFAULT_PERIOD);
        } catch (IOException e) {
            throw new IOException("cannot serve metrics on " + address + ": " + e.getMessage(), e);
        }
        log.info("serving Prometheus metrics on http://{}/metrics", address);
    }

    /**
     * Whether {@code address} is dbus-daemon's {@code systemd:}: listen on the sockets systemd passed
     * ({@code sd_listen_fds(3)}) instead of creating one. As dbus-daemon, passed sockets are used only when asked
     * for this way; otherwise they are left alone.
     */
    static boolean isSystemdAddress(String address) {
        return address.strip().equals(SYSTEMD_ADDRESS);
    }

    private void listenOnPassedSockets() throws IOException {
        int[] passed = SystemdListenFds.fromEnvironment();
        if (passed.length == 0) {
            throw new IOException("address " + SYSTEMD_ADDRESS + " needs sockets passed by systemd socket activation,"
                    + " but none were (LISTEN_FDS and LISTEN_PID unset, or LISTEN_PID is another process)");
        }
        for (int fd : passed) {
            addresses.add(transport.listenInherited(fd, bus));
        }
    }

    private void writePidFile(BusConfig config) throws IOException {
        if (options.noPidFile() || config.pidfile() == null) {
            return;
        }
        pidFile = config.pidfile();
        Files.writeString(pidFile, ProcessHandle.current().pid() + "\n");
    }

    /** The address to give clients: every listening address, each with the bus GUID. */
    String address() {
        StringBuilder sb = new StringBuilder();
        for (String a : addresses) {
            if (!sb.isEmpty()) {
                sb.append(';');
            }
            sb.append(a).append(",guid=").append(bus.guid());
        }
        return sb.toString();
    }

    /** Prints the address and the pid where the options ask; only once the sockets listen. */
    void announce() throws IOException {
        String address = address();
        String pid = Long.toString(ProcessHandle.current().pid());
        int addressFd = options.printAddress().orElse(-1);
        int pidFd = options.printPid().orElse(-1);
        DescriptorPrinter.printAddressAndPid(addressFd, address, pidFd, pid);
        // As dbus-daemon, close the descriptors printed to, so that a reader (dbus-run-session, GTestDBus) sees
        // end of file. Standard output and error stay open.
        closeInherited(addressFd);
        if (pidFd != addressFd) {
            closeInherited(pidFd);
        }
        log.debug("listening on {}", address);
        // Type=notify units (as dbus.service) wait for this before starting what depends on the bus.
        if (SystemdNotifier.notify("READY=1") == SystemdNotifier.Result.FAILED) {
            log.warn("cannot tell the service manager the bus is ready: ${} = {}", SystemdNotifier.NOTIFY_SOCKET,
                    System.getenv(SystemdNotifier.NOTIFY_SOCKET));
        }
    }

    private void closeInherited(int fd) {
        if (fd > 2) {
            transport.executor().execute(() -> transport.closeFd(fd));
        }
    }

    void stop() {
        if (metrics != null) {
            metrics.close();
        }
        // As dbus-daemon at SIGTERM: the service manager shows the unit as stopping, not as failed or still running.
        SystemdNotifier.notify("STOPPING=1");
        try {
            transport.executor().submit(bus::shutdown).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | RuntimeException e) {
            log.warn("bus shutdown failed", e);
        }
        reloader.shutdown();
        transport.shutdown();
        if (pidFile != null) {
            try {
                Files.deleteIfExists(pidFile);
            } catch (IOException e) {
                log.warn("cannot remove pid file {}: {}", pidFile, e.toString());
            }
        }
    }

    // ---- BusHost ----

    @Override
    public java.util.concurrent.ScheduledExecutorService loop() {
        return transport.executor();
    }

    @Override
    public java.util.concurrent.Executor blocking() {
        return blocking;
    }

    @Override
    public String serverAddress() {
        return addresses.isEmpty() ? null : address();
    }

    @Override
    public void closeFd(int fd) {
        transport.closeFd(fd);
    }

    @Override
    public void reloadConfig(java.util.function.Consumer<String> done) {
        reloader.request(done);
    }

    /** Reads the configuration and the user database for a reload, on the reload worker. */
    private ConfigReloader.Loaded loadForReload() throws ConfigReloader.Failure {
        BusConfig fresh;
        try {
            fresh = loadConfig(options);
        } catch (ConfigException e) {
            throw new ConfigReloader.Failure(e.getMessage());
        } catch (IOException e) {
            throw new ConfigReloader.Failure(e.toString());
        }
        return new ConfigReloader.Loaded(fresh, loadUsers());
    }

    /** SIGHUP: reload, as dbus-daemon does. */
    void reloadConfig() {
        reloadConfig(failure -> { });
    }

    /** Runs {@code task} on the loop and waits for it; the bus is only ever touched there. */
    <T> T onLoop(LoopTask<T> task) throws IOException {
        Future<T> f = transport.executor().submit(() -> task.run());
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException(cause);
        }
    }

    @FunctionalInterface
    interface LoopTask<T> {
        T run() throws IOException;
    }

    private static PeerCredentials ownCredentials() {
        com.sun.security.auth.module.UnixSystem unix = new com.sun.security.auth.module.UnixSystem();
        long[] groups = unix.getGroups() == null ? new long[0] : unix.getGroups();
        return new PeerCredentials(unix.getUid(), unix.getGid(), ProcessHandle.current().pid(), groups, null);
    }
}
