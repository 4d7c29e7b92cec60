package org.capbus.client;

import java.io.EOFException;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.messages.DBusSignal;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MethodCall;
import org.freedesktop.dbus.messages.constants.MessageType;

/**
 * A connection to a capbus bus speaking the native capability protocol (docs/native-protocol.md).
 *
 * <p>Threads: one event thread per client ({@code capbus-client-N}) reads the socket and runs every handler
 * ({@link NodeHandler}, listeners) and completes every future, in the bus's order; callbacks chained on the
 * futures with the non-async methods run there too (or on the chaining thread, if the future is already complete). Never block the event thread waiting for a future of the same
 * client (it would wait for itself). Requests may be made from any thread; each is written whole under a lock.
 *
 * <p>Descriptors need FFM (Java 22+): this build refuses them with {@link UnsupportedOperationException}.
 */
public final class CapbusClient implements AutoCloseable {
    private static final AtomicLong CLIENTS = new AtomicLong();
    private static final byte[] NO_BYTES = new byte[0];

    private static final int[] NO_FDS = new int[0];

    private final ClientTransport transport;
    private final FrameReader reader;
    private final String uniqueName;
    private final Handle root;
    private final Object writeLock = new Object();
    private final AtomicLong nextRequest = new AtomicLong(1);
    private final Map<Long, CompletableFuture<Frame>> pending = new ConcurrentHashMap<>();
    private final Map<Long, Node> nodes = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<Message>> dbusCalls = new ConcurrentHashMap<>();
    private final Thread eventThread;
    private volatile Consumer<Handle> handleDestroyed = h -> { };
    private volatile Consumer<Delivery> rootHandler = d -> { };
    private volatile Consumer<Message> signalHandler = m -> { };
    private volatile Consumer<CapbusException> postFailure = e -> { };
    private final DBusExports exports = new DBusExports(this);
    private volatile boolean closed;

    private CapbusClient(ClientTransport transport, FrameReader reader, String uniqueName, Handle root) {
        this.transport = transport;
        this.reader = reader;
        this.uniqueName = uniqueName;
        this.root = root;
        this.eventThread = new Thread(this::readLoop, "capbus-client-" + CLIENTS.incrementAndGet());
        this.eventThread.setDaemon(true);
    }

    /** Connects to the session bus ({@code DBUS_SESSION_BUS_ADDRESS}). */
    public static CapbusClient connect() throws IOException {
        return connect(BusAddress.session());
    }

    /** Connects to a D-Bus address such as {@code unix:path=/run/user/1000/bus}. */
    public static CapbusClient connect(String address) throws IOException {
        return connect(BusAddress.parse(address));
    }

    private static CapbusClient connect(UnixDomainSocketAddress address) throws IOException {
        ClientTransport ch = ClientTransports.open(address);
        try {
            long uid = ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
            String hexUid = hex(Long.toString(uid).getBytes(StandardCharsets.US_ASCII));
            writeAll(ch, ByteBuffer.wrap(("\0AUTH EXTERNAL " + hexUid + "\r\n").getBytes(StandardCharsets.US_ASCII)));
            String ok = readLine(ch);
            if (!ok.startsWith("OK ")) {
                throw new IOException("authentication failed: the bus answered \"" + ok + "\"");
            }
            writeAll(ch, ByteBuffer.wrap("NEGOTIATE_CAPBUS_NATIVE 1\r\n".getBytes(StandardCharsets.US_ASCII)));
            String agree = readLine(ch);
            if (!agree.equals("AGREE_CAPBUS_NATIVE 1")) {
                throw new IOException("the bus at " + address.getPath() + " does not speak capbus's native protocol"
                        + " (it answered \"" + agree + "\" to NEGOTIATE_CAPBUS_NATIVE 1): it is not capbus, or the"
                        + " protocol is turned off in its configuration");
            }
            writeAll(ch, ByteBuffer.wrap("BEGIN\r\n".getBytes(StandardCharsets.US_ASCII)));
            FrameReader reader = new FrameReader(ch);
            Frame welcome = reader.next();
            if (welcome.operation() != Frame.WELCOME || welcome.targets().length != 1) {
                throw new IOException("expected WELCOME, got operation 0x" + Integer.toHexString(welcome.operation()));
            }
            CapbusClient c = new CapbusClient(ch, reader, new String(welcome.payload(), StandardCharsets.UTF_8),
                    new Handle(welcome.targets()[0]));
            c.eventThread.start();
            return c;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** This connection's unique name ({@code :1.N}) on the bus. */
    public String uniqueName() {
        return uniqueName;
    }

    /** The root node's handle: D-Bus messages to the unique name, and answers to D-Bus calls, arrive there. */
    public Handle root() {
        return root;
    }

    /** Whether the event thread is the current thread (handlers run there). */
    public boolean isEventThread() {
        return Thread.currentThread() == eventThread;
    }

    // ---- capability operations ----

    /** Creates a node whose messages go to {@code handler}. */
    public CompletableFuture<Node> createNode(NodeHandler handler) {
        return request(Frame.CREATE_NODE, 0, null, null, NO_BYTES, NO_FDS, "CREATE_NODE", f -> {
            Node n = new Node(new Handle(f.targets()[0]), handler);
            nodes.put(n.handle().id(), n);
            return n;
        });
    }

    /**
     * Creates a node for exported objects alone ({@link #exportObject(Node, String, DBusInterface)}): a D-Bus method
     * call to a path with nothing exported there is answered with {@code org.freedesktop.DBus.Error.UnknownObject};
     * other messages are dropped (the handles they carry released).
     */
    public CompletableFuture<Node> createNode() {
        return createNode(new NodeHandler() {
            @Override
            public void onMessage(Node node, Delivery delivery) {
                for (Handle h : delivery.handles()) {
                    if (h != null) {
                        releaseQuietly(h);
                    }
                }
            }
        }).thenApply(n -> {
            exports.exportsOnly(n.handle().id());
            return n;
        });
    }

    /**
     * Exports a dbus-java object at {@code path} on {@code node}, as dbus-java's
     * {@code DBusConnection.exportObject(path, object)} does: D-Bus method calls to that path reaching the node
     * (through a name registered for it) run the object's methods, with dbus-java's marshalling of arguments, return values and
     * errors (a {@code DBusExecutionException} becomes the D-Bus error it names), and {@code Introspect},
     * {@code org.freedesktop.DBus.Properties} ({@code @DBusBoundProperty} methods, or the object's own
     * {@code Properties}) and {@code org.freedesktop.DBus.Peer} are answered from it. Methods run on the event thread:
     * they must not wait for this client's futures. Calls to paths with nothing exported go to the node's handler.
     */
    public void exportObject(Node node, String path, DBusInterface object) throws DBusException {
        exports.export(node.handle().id(), path, object);
    }

    /** {@link #exportObject(Node, String, DBusInterface)} on the root node: for calls to this unique name. */
    public void exportObject(String path, DBusInterface object) throws DBusException {
        exports.export(root.id(), path, object);
    }

    /** Stops exporting what {@link #exportObject(Node, String, DBusInterface)} exported at {@code path}. */
    public void unExportObject(Node node, String path) {
        exports.unexport(node.handle().id(), path);
    }

    /** Stops exporting what {@link #exportObject(String, DBusInterface)} exported at {@code path}. */
    public void unExportObject(String path) {
        exports.unexport(root.id(), path);
    }

    /** Sends {@code payload} to {@code destination}, transferring {@code transfer}. */
    public CompletableFuture<Void> send(Handle destination, byte[] payload, Handle... transfer) {
        return request(Frame.SEND, 0, ids(List.of(destination)), ids(List.of(transfer)), payload, "SEND")
                .thenApply(f -> null);
    }

    /**
     * Sends {@code payload} with descriptors to {@code destination}: each receiver gets its own duplicate; this
     * process keeps its own. Needs Java 22+ (fails with {@link UnsupportedOperationException} below).
     */
    public CompletableFuture<Void> send(Handle destination, byte[] payload, int[] fds, Handle... transfer) {
        return request(Frame.SEND, 0, ids(List.of(destination)), ids(List.of(transfer)), payload, fds, "SEND",
                f -> null);
    }

    /**
     * Sends {@code payload} to {@code destination} without an answer when it succeeds (the protocol's {@code QUIET}
     * flag): the bus writes one frame less per message, and the caller keeps no future. A refusal (nothing was
     * delivered) goes to {@link #onPostFailure} with the returned request id. For streams of messages whose
     * success the application learns otherwise (an answer from the receiver).
     */
    public long post(Handle destination, byte[] payload, Handle... transfer) {
        return postFrame(new long[] {destination.id()}, payload, transfer);
    }

    /** {@link #post} to every destination as one transaction, all or nothing. */
    public long postAll(List<Handle> destinations, byte[] payload, Handle... transfer) {
        return postFrame(ids(destinations), payload, transfer);
    }

    private long postFrame(long[] targets, byte[] payload, Handle[] transfer) {
        long id = nextRequest.getAndIncrement();
        writeQuiet(new Frame(Frame.SEND, Frame.FLAG_QUIET, id, targets, ids(List.of(transfer)), 0, payload));
        return id;
    }

    private void writeQuiet(Frame frame) {
        if (closed) {
            throw new IllegalStateException("the connection is closed");
        }
        try {
            synchronized (writeLock) {
                transport.write(frame.encode(), NO_FDS);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("the connection to the bus failed", e);
        }
    }

    /**
     * Drops one reference of {@code handle} without an answer when it succeeds ({@code QUIET}); a refusal goes to
     * {@link #onPostFailure} with the returned request id.
     */
    public long releaseQuietly(Handle handle) {
        long id = nextRequest.getAndIncrement();
        writeQuiet(new Frame(Frame.RELEASE, Frame.FLAG_QUIET, id, new long[] {handle.id()}, Frame.NO_IDS, 0, NO_BYTES));
        return id;
    }

    /** Told (on the event thread) of each {@link #post} or {@link #releaseQuietly} the bus refused. */
    public void onPostFailure(Consumer<CapbusException> listener) {
        this.postFailure = listener;
    }

    /** Whether this runtime passes descriptors (Java 22+, through FFM). */
    public boolean passesFds() {
        return transport.passesFds();
    }

    /** Closes a descriptor received in a {@link Delivery}. */
    public void closeFd(int fd) {
        transport.closeFd(fd);
    }

    /** Sends one message to every destination as one transaction, all or nothing. */
    public CompletableFuture<Void> sendAll(List<Handle> destinations, byte[] payload, Handle... transfer) {
        return request(Frame.SEND, 0, ids(destinations), ids(List.of(transfer)), payload, "SEND").thenApply(f -> null);
    }

    /**
     * Sends one message to every destination that can take it (continue-on-error); completes with a {@link Status}
     * per destination.
     */
    public CompletableFuture<int[]> sendEach(List<Handle> destinations, byte[] payload, Handle... transfer) {
        return request(Frame.SEND, Frame.FLAG_CONTINUE_ON_ERROR, ids(destinations), ids(List.of(transfer)), payload,
                NO_FDS, "SEND", f -> {
                    int[] out = new int[destinations.size()];
                    for (int i = 0; i < out.length; i++) {
                        out[i] = f.payloadInt(8 + 4 * i);
                    }
                    return out;
                });
    }

    /** Drops one reference of {@code handle}. */
    public CompletableFuture<Void> release(Handle handle) {
        return request(Frame.RELEASE, 0, new long[] {handle.id()}, null, NO_BYTES, "RELEASE").thenApply(f -> null);
    }

    /** Destroys a node this connection owns. */
    public CompletableFuture<Void> destroy(Node node) {
        return request(Frame.DESTROY_NODE, 0, new long[] {node.handle().id()}, null, NO_BYTES, "DESTROY_NODE")
                .thenApply(f -> null);
    }

    /** Requests {@code name} for {@code node} with D-Bus RequestName {@code flags}; completes with its result (1-4). */
    public CompletableFuture<Integer> registerName(String name, Node node, int flags) {
        return request(Frame.REGISTER_NAME, flags, new long[] {node.handle().id()}, null, utf8(name), "REGISTER_NAME")
                .thenApply(f -> f.payloadInt(8));
    }

    /** Releases a well-known name; completes with D-Bus ReleaseName's result (1-3). */
    public CompletableFuture<Integer> releaseName(String name) {
        return request(Frame.RELEASE_NAME, 0, null, null, utf8(name), "RELEASE_NAME").thenApply(f -> f.payloadInt(8));
    }

    /** A handle bound to the current owner of a well-known or unique name. */
    public CompletableFuture<Handle> resolve(String name) {
        return request(Frame.RESOLVE_NAME, 0, null, null, utf8(name), "RESOLVE_NAME")
                .thenApply(f -> new Handle(f.targets()[0]));
    }

    /** Told when the node behind a handle this connection holds (not one of its own nodes) is destroyed. */
    public void onHandleDestroyed(Consumer<Handle> listener) {
        this.handleDestroyed = listener;
    }

    /** Told of messages on the root node that are not answers to this client's D-Bus calls or signals. */
    public void onRootMessage(Consumer<Delivery> handler) {
        this.rootHandler = handler;
    }

    // ---- D-Bus, through dbus-java's type system ----

    /**
     * Calls a D-Bus method (of a D-Bus service or a native one) as this connection's unique name; completes with
     * the reply's arguments, or with a {@link CapbusException} carrying the D-Bus error.
     */
    public CompletableFuture<Object[]> callDBus(String destination, String path, String iface, String member,
                                                String signature, Object... args) {
        return callDBusMessage(destination, path, iface, member, signature, args).thenApply(m -> {
            try {
                return m.getParameters();
            } catch (DBusException e) {
                throw new IllegalStateException("cannot read the reply: " + e, e);
            }
        });
    }

    /** As {@link #callDBus}, completing with dbus-java's reply message. */
    public CompletableFuture<Message> callDBusMessage(String destination, String path, String iface, String member,
                                                      String signature, Object... args) {
        MethodCall call;
        try {
            call = DBusMessages.FACTORY.createMethodCall(destination, path, iface, member, (byte) 0,
                    signature == null || signature.isEmpty() ? null : signature, args);
        } catch (DBusException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<Message> result = new CompletableFuture<>();
        dbusCalls.put(call.getSerial(), result);
        sendDBus(call).whenComplete((v, e) -> {
            if (e != null) {
                dbusCalls.remove(call.getSerial());
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    /** Sends a D-Bus message as this connection (signals, calls, replies), with the protocol's DBUS_SEND. */
    public CompletableFuture<Void> sendDBus(Message message) {
        return request(Frame.DBUS_SEND, 0, null, null, DBusMessages.toBytes(message), DBusMessages.fds(message),
                "DBUS_SEND", f -> null);
    }

    /** Emits a D-Bus signal from this connection's unique name. */
    public CompletableFuture<Void> emitSignal(String path, String iface, String member, String signature,
                                              Object... args) {
        try {
            DBusSignal s = DBusMessages.FACTORY.createSignal(null, path, iface, member,
                    signature == null || signature.isEmpty() ? null : signature, args);
            return sendDBus(s);
        } catch (DBusException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Subscribes to D-Bus signals matching {@code rule}; they go to {@link #onSignal}. */
    public CompletableFuture<Void> addMatch(String rule) {
        return callDBus("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "AddMatch", "s", rule)
                .thenApply(a -> null);
    }

    /** Told of every D-Bus signal that reaches the root node. */
    public void onSignal(Consumer<Message> handler) {
        this.signalHandler = handler;
    }

    /** Answers a D-Bus method call through its reply handle with a method return of {@code args}. */
    public CompletableFuture<Void> replyDBus(Delivery call, String signature, Object... args) {
        requireReplyHandle(call);
        try {
            return sendReply(call, DBusMessages.FACTORY.createMethodReturn((MethodCall) call.dbusMessage(),
                    signature == null || signature.isEmpty() ? null : signature, args));
        } catch (DBusException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Answers a D-Bus method call with the error {@code errorName} and a message. */
    public CompletableFuture<Void> replyDBusError(Delivery call, String errorName, String text) {
        requireReplyHandle(call);
        Message m = call.dbusMessage();
        try {
            return sendReply(call, DBusMessages.FACTORY.createError(null, m.getSource(), errorName, m.getSerial(), "s",
                    text));
        } catch (DBusException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Sends {@code reply} (a method return or error built by dbus-java) through {@code call}'s reply handle. */
    CompletableFuture<Void> sendReply(Delivery call, Message reply) {
        Handle handle = requireReplyHandle(call);
        return request(Frame.SEND, Frame.FLAG_DBUS, new long[] {handle.id()}, null, DBusMessages.toBytes(reply),
                DBusMessages.fds(reply), "SEND", f -> null);
    }

    private static Handle requireReplyHandle(Delivery call) {
        Handle reply = call.replyHandle();
        if (reply == null) {
            throw new IllegalArgumentException("not a D-Bus method call that expects a reply");
        }
        return reply;
    }

    // ---- the wire ----

    private CompletableFuture<Frame> request(int op, int flags, long[] targets, long[] handles, byte[] payload,
                                             String what) {
        return request(op, flags, targets, handles, payload, NO_FDS, what, f -> f);
    }

    /**
     * Writes a request; {@code then} runs on the event thread when the reply arrives, before any later frame is
     * read (so a node is known before its first message can arrive).
     */
    private <T> CompletableFuture<T> request(int op, int flags, long[] targets, long[] handles, byte[] payload,
                                             int[] fds, String what, java.util.function.Function<Frame, T> then) {
        if (fds.length > 0 && !transport.passesFds()) {
            return CompletableFuture.failedFuture(new UnsupportedOperationException(ClientTransports.unsupported()));
        }
        long id = nextRequest.getAndIncrement();
        CompletableFuture<Frame> reply = new CompletableFuture<>();
        CompletableFuture<T> checked = reply.thenApply(f -> {
            int status = f.payloadInt(0);
            if (status != Status.OK && !(op == Frame.SEND && (flags & Frame.FLAG_CONTINUE_ON_ERROR) != 0)) {
                throw new CapbusException(status, f.payloadInt(4), what);
            }
            return then.apply(f);
        });
        if (closed) {
            return CompletableFuture.failedFuture(new IOException("the connection is closed"));
        }
        pending.put(id, reply);
        Frame frame = new Frame(op, flags, id, targets == null ? Frame.NO_IDS : targets,
                handles == null ? Frame.NO_IDS : handles, fds.length, payload);
        try {
            synchronized (writeLock) {
                transport.write(frame.encode(), fds);
            }
        } catch (IOException e) {
            pending.remove(id);
            reply.completeExceptionally(e);
        }
        return checked;
    }

    private void readLoop() {
        try {
            while (!closed) {
                dispatch(reader.next());
            }
        } catch (IOException | RuntimeException e) {
            if (!closed) {
                closed = true;
            }
        } finally {
            IOException gone = new IOException("the connection to the bus closed");
            pending.values().forEach(f -> f.completeExceptionally(gone));
            pending.clear();
            dbusCalls.values().forEach(f -> f.completeExceptionally(gone));
            dbusCalls.clear();
        }
    }

    private void dispatch(Frame f) {
        switch (f.operation()) {
            case Frame.REPLY -> {
                CompletableFuture<Frame> p = pending.remove(f.requestId());
                if (p != null) {
                    p.complete(f);
                } else if (f.payloadInt(0) != Status.OK) {
                    // Only a refused post is answered without a pending request.
                    postFailure.accept(new CapbusException(f.payloadInt(0), f.payloadInt(4), "quiet request",
                            f.requestId()));
                }
            }
            case Frame.MESSAGE -> onMessage(f);
            case Frame.NODE_DESTROYED -> {
                Node n = nodes.remove(f.targets()[0]);
                exports.forget(f.targets()[0]);
                if (n != null) {
                    n.handler().onDestroyed(n);
                } else {
                    handleDestroyed.accept(new Handle(f.targets()[0]));
                }
            }
            case Frame.NODE_RELEASED -> {
                Node n = nodes.get(f.targets()[0]);
                if (n != null) {
                    n.handler().onReleased(n);
                }
            }
            default -> {
                // Frames of later versions of the protocol: nothing to do with them.
            }
        }
    }

    private void onMessage(Frame f) {
        List<Handle> carried = new ArrayList<>(f.handles().length);
        for (long id : f.handles()) {
            carried.add(id == 0 ? null : new Handle(id));
        }
        int[] fds = f.fdCount() == 0 ? NO_FDS : transport.takeFds(f.fdCount());
        Delivery d = new Delivery(f.requestId(), f.payload(), Collections.unmodifiableList(carried),
                (f.flags() & Frame.FLAG_DBUS) != 0, f.fdCount(), fds);
        long target = f.targets()[0];
        if (d.isDBus() && exports.dispatch(target, d) == DBusExports.Outcome.ANSWERED) {
            return;
        }
        if (target == root.id()) {
            if (d.isDBus()) {
                Message m = d.dbusMessage();
                if (m.getType() == MessageType.METHOD_RETURN || m.getType() == MessageType.ERROR) {
                    CompletableFuture<Message> call = dbusCalls.remove(m.getReplySerial());
                    if (call != null) {
                        if (m.getType() == MessageType.ERROR) {
                            call.completeExceptionally(new CapbusException(m.getName(), errorText(m)));
                        } else {
                            call.complete(m);
                        }
                        return;
                    }
                }
                if (m.getType() == MessageType.SIGNAL) {
                    signalHandler.accept(m);
                    return;
                }
            }
            rootHandler.accept(d);
            return;
        }
        Node n = nodes.get(target);
        if (n != null) {
            n.handler().onMessage(n, d);
        }
    }

    private static String errorText(Message m) {
        try {
            Object[] p = m.getParameters();
            return p != null && p.length > 0 && p[0] instanceof String s ? s : null;
        } catch (DBusException e) {
            return null;
        }
    }

    /** Closes the connection: the bus releases everything it held (names, nodes, handles). */
    @Override
    public void close() throws IOException {
        closed = true;
        transport.close();
    }

    // ---- blocking socket helpers ----

    private static void writeAll(ClientTransport ch, ByteBuffer b) throws IOException {
        ch.write(b, NO_FDS);
    }

    private static void readFully(ClientTransport ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new EOFException("the bus closed the connection");
            }
        }
    }

    /** One SASL line, read byte by byte so that nothing after it is consumed. */
    private static String readLine(ClientTransport ch) throws IOException {
        StringBuilder sb = new StringBuilder();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (true) {
            one.clear();
            readFully(ch, one);
            char c = (char) (one.get(0) & 0xFF);
            if (c == '\n') {
                int n = sb.length();
                return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
            }
            if (sb.length() > 16384) {
                throw new IOException("SASL line too long");
            }
            sb.append(c);
        }
    }

    private static long[] ids(List<Handle> handles) {
        long[] out = new long[handles.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = handles.get(i).id();
        }
        return out;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(Character.forDigit((x >> 4) & 0xF, 16)).append(Character.forDigit(x & 0xF, 16));
        }
        return sb.toString();
    }
}
