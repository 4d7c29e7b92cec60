package org.capbus.adapters.transport;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;

import org.capbus.dbus.io.ConnectionAcceptor;
import org.capbus.dbus.io.ConnectionHandler;
import org.capbus.dbus.io.PeerCredentials;
import org.capbus.dbus.sasl.RandomBytes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The bus's unix-socket transport: one netty epoll event loop (one thread) that carries every listening socket and
 * every connection, with the socket I/O itself done through {@link Syscalls} so that a D-Bus message and all its
 * descriptors travel in one {@code sendmsg}/{@code recvmsg} (which netty's domain-socket channel cannot do).
 *
 * <p>Threads: the loop thread owns all state here and every {@link UnixConnection}; the bridge runs on it too,
 * through {@link #executor()}. {@link #listen}, {@link #listenInherited} and {@link #shutdown()} may be called from
 * any thread; everything else is for the loop thread.
 *
 * <p>Write batching: {@code write} only queues bytes and puts the connection on a dirty list; one task, queued on
 * the loop at the first write of a batch, flushes every dirty connection after the loop has handled all ready
 * sockets. A broadcast to a hundred peers thus costs about a hundred {@code sendmsg} calls, however many messages
 * each peer got in that batch.
 */
public final class UnixTransport {
    private static final Logger LOG = LoggerFactory.getLogger(UnixTransport.class);
    private static final char[] NAME_CHARACTERS =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
    private static final long SHUTDOWN_TIMEOUT_SECONDS = 5;

    private final MultiThreadIoEventLoopGroup group;
    private final IoEventLoop loop;
    private final TransportOptions options;
    private final Function<String, String> environment;
    private final TransportCounters counters = new TransportCounters();

    // Loop-thread state. The native scratch lives as long as the transport (auto arena: freed when unreachable).
    private final Syscalls syscalls = new Syscalls();
    private final Arena arena = Arena.ofAuto();
    private final SocketMessage receiveMessage = new SocketMessage(arena, 2 * SocketMessage.MAX_FDS_CONTROL_SPACE);
    private final SocketMessage sendMessage = new SocketMessage(arena, SocketMessage.MAX_FDS_CONTROL_SPACE);
    private final MemorySegment readBuffer;
    private final ByteBuffer readView;
    private final int[] receivedFds = new int[Syscalls.SCM_MAX_FD];
    private final int[] duplicatedFds = new int[Syscalls.SCM_MAX_FD];
    private final PeerCredentialsReader credentialsReader = new PeerCredentialsReader(syscalls, arena);
    private final FatalErrorHandler fatal;
    private final GuardedLoopExecutor executor;
    private final Runnable flushTask;
    private UnixConnection[] dirty = new UnixConnection[64];
    private int dirtyCount;
    private boolean flushScheduled;
    private UnixConnection[] connections = new UnixConnection[64];
    private int connectionCount;
    private final List<UnixListener> listeners = new ArrayList<>();
    private volatile boolean shutdown;

    private UnixTransport(TransportOptions options, Function<String, String> environment, FatalErrorHandler fatal) {
        this.options = options;
        this.environment = environment;
        this.fatal = fatal;
        this.readBuffer = arena.allocate(options.readBufferSize(), 8);
        this.readView = readBuffer.asByteBuffer().asReadOnlyBuffer();
        this.group = new MultiThreadIoEventLoopGroup(1, new LoopThreadFactory(), EpollIoHandler.newFactory());
        this.loop = group.next();
        this.executor = new GuardedLoopExecutor(loop, fatal);
        this.flushTask = executor.unattended(this::flushDirty);
    }

    /** Starts a transport with {@link TransportOptions#DEFAULTS}. */
    public static UnixTransport start() {
        return start(TransportOptions.DEFAULTS);
    }

    /** Starts a transport that halts the process on a fatal error ({@link FatalErrorHandler#HALT}). */
    public static UnixTransport start(TransportOptions options) {
        return start(options, FatalErrorHandler.HALT);
    }

    /** Starts a transport that reports errors its loop cannot survive to {@code fatal}. */
    public static UnixTransport start(TransportOptions options, FatalErrorHandler fatal) {
        return new UnixTransport(options, System::getenv, fatal);
    }

    /** For tests: {@code environment} stands in for {@link System#getenv(String)} ({@code XDG_RUNTIME_DIR}). */
    static UnixTransport start(TransportOptions options, Map<String, String> environment) {
        return new UnixTransport(options, environment::get, FatalErrorHandler.HALT);
    }

    /**
     * The event loop, for the bridge's tasks and timers. Tasks run on the loop thread, in submission order; an
     * {@link Error} thrown by one is fatal (see {@link GuardedLoopExecutor}).
     */
    public ScheduledExecutorService executor() {
        return executor;
    }

    /**
     * The loop's thread. netty catches whatever ends its run loop (an {@link Error} from an I/O handle is rethrown
     * to it), logs a warning and lets the thread end, leaving the process up with no loop: that is fatal here.
     */
    private final class LoopThreadFactory extends DefaultThreadFactory {
        LoopThreadFactory() {
            super("capbus-loop");
        }

        @Override
        public Thread newThread(Runnable r) {
            return super.newThread(() -> {
                try {
                    r.run();
                } catch (Throwable t) {
                    fatal.fatal("the event loop", t);
                    throw t;
                }
                if (!shutdown) {
                    fatal.fatal("the event loop", new IllegalStateException("the event loop stopped unexpectedly"));
                }
            });
        }
    }

    /** An {@link Error} met on the loop by a connection or a listener: see {@link FatalErrorHandler}. */
    void fatal(String where, Error e) {
        fatal.fatal(where, e);
    }

    public boolean inEventLoop() {
        return loop.inEventLoop();
    }

    /** Counters of this transport; see {@link TransportCounters} for their thread rules. */
    public TransportCounters counters() {
        return counters;
    }

    /** Open connections. Loop thread only. */
    public int connectionCount() {
        return connectionCount;
    }

    /**
     * Listens on the first address of a {@code ;}-separated D-Bus address list that works, as
     * {@code dbus_server_listen} does: entries of unsupported transports and entries that fail to bind are skipped.
     *
     * @return the connectable address (without {@code guid}), e.g. {@code unix:path=/tmp/dbus-AbCdEf0123}
     * @throws IllegalArgumentException if the list is malformed
     * @throws IOException if no entry could be listened on; each entry's failure is attached as suppressed
     */
    public String listen(String addresses, ConnectionAcceptor acceptor) throws IOException {
        List<DBusAddress> entries = DBusAddress.parseList(addresses);
        List<UnixListenAddress> unixEntries = new ArrayList<>(entries.size());
        for (DBusAddress entry : entries) {
            unixEntries.add(UnixListenAddress.of(entry)); // validate every entry before binding any
        }
        IOException failure = new IOException("Failed to listen on any of '" + addresses + "'");
        for (int i = 0; i < entries.size(); i++) {
            UnixListenAddress unix = unixEntries.get(i);
            if (unix == null) {
                failure.addSuppressed(new IOException("Unsupported address transport '"
                        + entries.get(i).transport() + "'"));
                continue;
            }
            try {
                return listen(unix, acceptor);
            } catch (IOException e) {
                failure.addSuppressed(e);
            }
        }
        throw failure;
    }

    /** Listens on one unix address; see {@link #listen(String, ConnectionAcceptor)} for the result. */
    public String listen(UnixListenAddress address, ConnectionAcceptor acceptor) throws IOException {
        return switch (address.kind()) {
            case PATH -> listenOnPath(address.value(), acceptor);
            case TMPDIR, DIR -> listenOnPath(address.value() + "/dbus-" + randomName(), acceptor);
            case RUNTIME -> {
                String runtime = environment.apply("XDG_RUNTIME_DIR");
                if (runtime == null || runtime.isEmpty()) {
                    throw new IOException("unix:runtime=yes was specified but XDG_RUNTIME_DIR was not set");
                }
                yield listenOnPath(runtime + "/bus", acceptor);
            }
            case ABSTRACT -> bindAndListen(true, address.value(),
                    "unix:abstract=" + DBusAddress.escape(address.value()), null, acceptor);
        };
    }

    private String listenOnPath(String path, ConnectionAcceptor acceptor) throws IOException {
        removeStaleSocket(Path.of(path));
        return bindAndListen(false, path, "unix:path=" + DBusAddress.escape(path), path, acceptor);
    }

    /**
     * dbus-daemon removes a socket file left at the path (by a daemon that crashed), but nothing else: binding over
     * a regular file then fails with {@code EADDRINUSE}, as it should.
     */
    private static void removeStaleSocket(Path path) throws IOException {
        try {
            int mode = (Integer) Files.getAttribute(path, "unix:mode");
            if ((mode & 0170000) == 0140000) {
                Files.deleteIfExists(path);
            }
        } catch (NoSuchFileException e) {
            // nothing to remove
        }
    }

    private String bindAndListen(boolean abstractName, String name, String printed, String unlinkPath,
                                 ConnectionAcceptor acceptor) throws IOException {
        Syscalls caller = new Syscalls();
        int fd = caller.socket(Syscalls.AF_UNIX,
                Syscalls.SOCK_STREAM | Syscalls.SOCK_NONBLOCK | Syscalls.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new IOException("Failed to create socket: " + Errno.describe(fd));
        }
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment address;
            try {
                address = SockaddrUn.encode(scratch, abstractName, name);
            } catch (IllegalArgumentException e) {
                throw new IOException("Socket name too long: '" + name + "'", e);
            }
            int result = caller.bind(fd, address, (int) address.byteSize());
            if (result < 0) {
                throw new IOException("Failed to bind socket \"" + name + "\": " + Errno.describe(result));
            }
            if (unlinkPath != null) {
                // As dbus-daemon: any local user may connect; the bus checks credentials itself.
                int chmod = caller.chmod(scratch.allocateFrom(unlinkPath), 0777);
                if (chmod < 0) {
                    LOG.warn("Could not set mode 0777 on socket {}: {}", unlinkPath, Errno.describe(chmod));
                }
            }
            result = caller.listen(fd, Syscalls.SOMAXCONN);
            if (result < 0) {
                if (unlinkPath != null) {
                    caller.unlink(scratch.allocateFrom(unlinkPath));
                }
                throw new IOException("Failed to listen on socket \"" + name + "\": " + Errno.describe(result));
            }
        } catch (IOException | RuntimeException e) {
            caller.close(fd);
            throw e;
        }
        return register(new UnixListener(this, fd, acceptor, printed, unlinkPath), caller, fd);
    }

    /**
     * Listens on a socket inherited already bound and listening, e.g. from systemd socket activation
     * ({@link SystemdListenFds}). The transport makes it non-blocking and close-on-exec, and takes ownership; its
     * file is not removed at shutdown (systemd owns it).
     *
     * @return the connectable address of the socket, from {@code getsockname}
     * @throws IOException if {@code fd} is not a listening unix stream socket
     */
    public String listenInherited(int fd, ConnectionAcceptor acceptor) throws IOException {
        Syscalls caller = new Syscalls();
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment value = scratch.allocate(JAVA_INT);
            MemorySegment length = scratch.allocate(JAVA_INT);
            length.set(JAVA_INT, 0, 4);
            if (caller.getsockopt(fd, Syscalls.SOL_SOCKET, Syscalls.SO_ACCEPTCONN, value, length) < 0
                    || value.get(JAVA_INT, 0) == 0) {
                throw new IOException("fd " + fd + " is not a listening socket");
            }
        }
        SockaddrUn.Name name = SockaddrUn.nameOf(caller, fd);
        if (name == null || name.name() == null) {
            throw new IOException("fd " + fd + " is not a named unix socket");
        }
        int flags = caller.fcntl(fd, Syscalls.F_GETFL, 0);
        if (flags < 0 || caller.fcntl(fd, Syscalls.F_SETFL, flags | Syscalls.O_NONBLOCK) < 0
                || caller.fcntl(fd, Syscalls.F_SETFD, Syscalls.FD_CLOEXEC) < 0) {
            throw new IOException("fd " + fd + ": cannot make it non-blocking and close-on-exec");
        }
        String printed = (name.abstractName() ? "unix:abstract=" : "unix:path=") + DBusAddress.escape(name.name());
        return register(new UnixListener(this, fd, acceptor, printed, null), caller, fd);
    }

    private String register(UnixListener listener, Syscalls caller, int fd) throws IOException {
        if (shutdown) {
            caller.close(fd);
            throw new IOException("transport is shut down");
        }
        try {
            onLoop(() -> {
                Future<IoRegistration> registered = loop.register(listener);
                if (!registered.isSuccess()) {
                    throw new IOException("cannot register with epoll", registered.cause());
                }
                listener.start(registered.getNow());
                listeners.add(listener);
                return null;
            });
        } catch (IOException e) {
            caller.close(fd);
            throw e;
        }
        LOG.debug("listening on {}", listener.address());
        return listener.address();
    }

    private void onLoop(Callable<Void> task) throws IOException {
        if (loop.inEventLoop()) {
            try {
                task.call();
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(e);
            }
            return;
        }
        try {
            loop.submit(task).get(SHUTDOWN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while registering with the event loop", e);
        } catch (TimeoutException e) {
            throw new IOException("event loop did not answer", e);
        }
    }

    private static String randomName() {
        byte[] random = RandomBytes.of(10);
        char[] name = new char[random.length];
        for (int i = 0; i < name.length; i++) {
            name[i] = NAME_CHARACTERS[(random[i] & 0xff) % NAME_CHARACTERS.length];
        }
        return new String(name);
    }

    /** Closes a descriptor the bridge owns (one it was handed by {@code onFds} and did not pass on). Loop thread only. */
    public void closeFd(int fd) {
        syscalls.close(fd);
    }

    /**
     * Closes every listener (removing their socket files) and every connection (one non-blocking flush each, no
     * {@code onClosed}), then stops the loop. Idempotent. From the loop thread itself it cannot wait for the loop to
     * end, and returns once the loop is told to stop.
     */
    public void shutdown() {
        if (shutdown) {
            return;
        }
        shutdown = true;
        if (loop.inEventLoop()) {
            closeAll();
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            return;
        }
        try {
            loop.submit(this::closeAll).get(SHUTDOWN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("closing sockets at shutdown failed", e);
        }
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly(SHUTDOWN_TIMEOUT_SECONDS,
                TimeUnit.SECONDS);
    }

    private void closeAll() {
        for (UnixListener listener : listeners) {
            listener.close();
        }
        listeners.clear();
        while (connectionCount > 0) {
            connections[connectionCount - 1].close();
        }
    }

    // ---- live upgrade (docs/live-upgrade.md) ----

    /**
     * Writes what the sockets take now, then describes every listener and connection for the hand-over. Loop thread,
     * which must not read from any socket until the hand-over ends (it runs the whole hand-over as one task).
     */
    public TransportImage exportImage() {
        flushDirty();
        List<TransportImage.Listener> ls = new ArrayList<>();
        for (UnixListener l : listeners) {
            ls.add(new TransportImage.Listener(l.fdNumber(), l.address(), l.unlinkPath()));
        }
        Map<org.capbus.dbus.io.TransportConnection, TransportImage.Socket> sockets = new java.util.LinkedHashMap<>();
        for (int i = 0; i < connectionCount; i++) {
            sockets.put(connections[i], connections[i].handOverImage());
        }
        return new TransportImage(ls, sockets);
    }

    /**
     * Listens on a socket taken over from the previous process, announced as {@code address}; its file
     * {@code unlinkPath} (or null) is removed when this bus stops. Any thread.
     */
    public String adoptListener(int fd, String address, String unlinkPath, ConnectionAcceptor acceptor)
            throws IOException {
        return register(new UnixListener(this, fd, acceptor, address, unlinkPath), new Syscalls(), fd);
    }

    /**
     * A connection taken over from the previous process, not yet registered with epoll: the bus restores its state
     * over it first, then {@link #startAdopted} starts it. Loop thread.
     *
     * @throws IOException if the socket has no peer credentials (it is no connected unix socket)
     */
    public org.capbus.dbus.io.TransportConnection adoptConnection(int fd) throws IOException {
        PeerCredentials credentials = credentialsReader.read(fd);
        if (credentials == null) {
            throw new IOException("taken-over fd " + fd + " has no peer credentials");
        }
        return new UnixConnection(this, fd, credentials, options);
    }

    /**
     * Two connected unix stream sockets of this process (non-blocking, close-on-exec), for the live upgrade's
     * rehearsal of {@link #adoptConnection}; the caller closes both with {@link #closeFd}. Loop thread.
     *
     * @throws IOException if the process has no descriptors left
     */
    public int[] socketPair() throws IOException {
        int[] pair = new int[2];
        int result = syscalls.socketPair(pair);
        if (result < 0) {
            throw new IOException("socketpair: errno " + -result);
        }
        return pair;
    }

    /**
     * Starts a connection from {@link #adoptConnection}: registers it, queues the output the previous process had
     * not sent ({@code pending}; the caller keeps its descriptors) and starts reading into {@code handler}. Loop
     * thread.
     */
    public void startAdopted(org.capbus.dbus.io.TransportConnection adopted, ConnectionHandler handler,
                             TransportImage.Pending pending) {
        UnixConnection connection = (UnixConnection) adopted;
        Future<IoRegistration> registered = loop.register(connection);
        if (!registered.isSuccess()) {
            LOG.warn("cannot register taken-over fd {} with epoll; closing it", connection.fdNumber(),
                    registered.cause());
            connection.close();
            handler.onClosed();
            return;
        }
        connection.registered(registered.getNow());
        if (connectionCount == connections.length) {
            connections = Arrays.copyOf(connections, connectionCount * 2);
        }
        connection.slot = connectionCount;
        connections[connectionCount++] = connection;
        connection.start(handler);
        connection.restorePending(pending);
    }

    // ---- loop-thread internals used by UnixListener and UnixConnection ----

    /** A connection just accepted on a listener: credentials, registration, then the acceptor. */
    void adopt(int fd, ConnectionAcceptor acceptor) {
        PeerCredentials credentials = credentialsReader.read(fd);
        if (credentials == null) {
            LOG.warn("accepted fd {} has no peer credentials; closing it", fd);
            syscalls.close(fd);
            return;
        }
        UnixConnection connection = new UnixConnection(this, fd, credentials, options);
        Future<IoRegistration> registered = loop.register(connection);
        if (!registered.isSuccess()) {
            LOG.warn("cannot register accepted fd {} with epoll; closing it", fd, registered.cause());
            syscalls.close(fd);
            return;
        }
        connection.registered(registered.getNow());
        if (connectionCount == connections.length) {
            connections = Arrays.copyOf(connections, connectionCount * 2);
        }
        connection.slot = connectionCount;
        connections[connectionCount++] = connection;
        ConnectionHandler handler;
        try {
            handler = acceptor.accept(connection);
        } catch (RuntimeException e) {
            LOG.error("acceptor failed on a new connection; closing it", e);
            connection.close();
            return;
        }
        if (handler == null) {
            LOG.error("acceptor returned no handler; closing the connection");
            connection.close();
            return;
        }
        connection.start(handler);
    }

    /** A connection released its socket. */
    void removed(UnixConnection connection) {
        int slot = connection.slot;
        if (slot < 0) {
            return;
        }
        UnixConnection last = connections[--connectionCount];
        connections[slot] = last;
        last.slot = slot;
        connections[connectionCount] = null;
        connection.slot = -1;
    }

    /** Queues a connection for the end-of-batch flush. */
    void markDirty(UnixConnection connection) {
        connection.dirty = true;
        if (dirtyCount == dirty.length) {
            dirty = Arrays.copyOf(dirty, dirtyCount * 2);
        }
        dirty[dirtyCount++] = connection;
        if (!flushScheduled) {
            flushScheduled = true;
            loop.execute(flushTask);
        }
    }

    /**
     * The end-of-batch flush. Connections made dirty while it runs (a handler writing from {@code onWritable} or
     * {@code onClosed}) are appended and flushed in the same pass.
     */
    private void flushDirty() {
        for (int i = 0; i < dirtyCount; i++) {
            UnixConnection connection = dirty[i];
            dirty[i] = null;
            connection.flushBatch();
        }
        dirtyCount = 0;
        flushScheduled = false;
    }

    Syscalls syscalls() {
        return syscalls;
    }

    SocketMessage receiveMessage() {
        return receiveMessage;
    }

    SocketMessage sendMessage() {
        return sendMessage;
    }

    int[] receivedFds() {
        return receivedFds;
    }

    int[] duplicatedFds() {
        return duplicatedFds;
    }

    long readBufferAddress() {
        return readBuffer.address();
    }

    int readBufferSize() {
        return options.readBufferSize();
    }

    /** The shared read buffer seen as {@code [0, length)}; valid until the next read. */
    ByteBuffer readView(int length) {
        readView.clear().limit(length);
        return readView;
    }

    int readsPerEvent() {
        return options.readsPerEvent();
    }

    int acceptsPerEvent() {
        return options.acceptsPerEvent();
    }

    long acceptPauseMillis() {
        return options.acceptPauseMillis();
    }
}
