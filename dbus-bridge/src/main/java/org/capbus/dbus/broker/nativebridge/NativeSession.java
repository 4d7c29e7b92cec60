package org.capbus.dbus.broker.nativebridge;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import org.capbus.core.Handle;
import org.capbus.core.Message;
import org.capbus.core.Peer;
import org.capbus.core.SendResult;
import org.capbus.dbus.broker.connection.BusConnection;
import org.capbus.dbus.broker.connection.BusMessage;
import org.capbus.dbus.broker.connection.ConnectionEvents;
import org.capbus.dbus.broker.connection.CoreMapping;
import org.capbus.dbus.broker.connection.NativeEndpoint;
import org.capbus.dbus.broker.connection.NativePayload;
import org.capbus.dbus.broker.outbox.Outbox;
import org.capbus.dbus.broker.state.BusState;
import org.capbus.dbus.broker.stats.BusStats;
import org.capbus.dbus.broker.stats.DisconnectReason;
import org.capbus.dbus.broker.stats.PolicyDenial;
import org.capbus.dbus.broker.stats.QuotaResource;
import org.capbus.dbus.bus.ReleaseNameResult;
import org.capbus.dbus.bus.RequestNameResult;
import org.capbus.dbus.nativeproto.NativeFrame;
import org.capbus.dbus.nativeproto.NativeFrameDecoder;
import org.capbus.dbus.nativeproto.NativeFrameWriter;
import org.capbus.dbus.nativeproto.NativeStatus;
import org.capbus.dbus.wire.DBusMessage;
import org.capbus.dbus.wire.DBusNames;
import org.capbus.dbus.wire.MessageType;
import org.capbus.dbus.wire.Validity;

/**
 * The native protocol on one connection (docs/native-protocol.md): frames from the client become operations of the
 * connection's core peer, and the peer's queue (messages, {@code NodeDestroyed}, {@code NodeReleased}) becomes
 * frames to the client, in the core's order. The connection stays a D-Bus connection to everyone else: it has a
 * unique name, owns names in the bus's registry, and D-Bus messages reach it through its root node as for any
 * connection; this class turns them into {@code MESSAGE} frames with a reply handle, and turns the client's
 * {@code DBUS} sends into D-Bus messages routed by the {@link Router} as from this connection.
 *
 * <p>The client may release only references it was given ({@link #clientRefs}); the bus's own references in the
 * same peer (the handles routing keeps to the connections it sent to, the driver's) are not the client's.
 *
 * <p>Owned by its {@link BusConnection}; event-loop thread only.
 */
public final class NativeSession implements NativeEndpoint, NativeFrameDecoder.Listener {
    /** The bus driver's well-known name. */
    private static final String DRIVER_NAME = "org.freedesktop.DBus";
    private static final long[] NO_IDS = new long[0];
    /**
     * The tag of a destroyed node whose owner, a native connection, left before a live upgrade: the next process has
     * no connection to tag it with, and a send to it must still fail as to a native node ({@code DESTROYED}).
     */
    static final Object DEPARTED_NATIVE = new Object() {
        @Override
        public String toString() {
            return "a node of a native connection that left";
        }
    };

    private final ConnectionEvents events;
    private final BusState state;
    private final Outbox outbox;
    private final CoreMapping mapping;
    private final NativeBridge bridge;
    private final BusStats stats;
    private final long maxNames;
    private final BusMessage.FdCloser fdCloser;
    private final BusConnection connection;
    private final Peer peer;
    private final NativeFrameDecoder decoder;
    /** References the client holds, by handle id. */
    private final Map<Long, Integer> clientRefs = new HashMap<>();
    /** Nodes registered under well-known names: D-Bus calls to the name and resolvers reach them. */
    private final Map<String, Handle> nodesByName = new HashMap<>();

    /**
     * @param connection     the connection that negotiated the protocol (authenticated, with its root node)
     * @param events         the bus (routing D-Bus messages, disconnecting)
     * @param maxNames       max_names_per_connection
     * @param maxMessageSize the largest payload of a frame
     * @param maxFds         the most descriptors of a frame
     * @param fdCloser       closes descriptors (the transport's)
     */
    public NativeSession(BusConnection connection, ConnectionEvents events, BusState state, Outbox outbox,
                         CoreMapping mapping, NativeBridge bridge, BusStats stats, long maxNames, int maxMessageSize,
                         int maxFds, BusMessage.FdCloser fdCloser) {
        this.connection = connection;
        this.events = events;
        this.state = state;
        this.outbox = outbox;
        this.mapping = mapping;
        this.bridge = bridge;
        this.stats = stats;
        this.maxNames = maxNames;
        this.fdCloser = fdCloser;
        this.peer = connection.peer();
        this.decoder = new NativeFrameDecoder(this, maxMessageSize, maxFds, connection.incomingBudget());
    }

    /** Registers the connection on the bus (its unique name) and sends WELCOME. */
    public void start() {
        String name = state.register(connection);
        Handle root = connection.root();
        clientRefs.put(root.id(), 1);
        byte[] nameBytes = connection.uniqueNameBytes();
        write(NativeFrameWriter.frame(NativeFrame.WELCOME, 0, 0, new long[] {root.id()}, null, 0, nameBytes, 0,
                nameBytes.length));
        outbox.nameOwnerChanged(name, "", name);
    }

    @Override
    public void onFds(int[] fds, int count) {
        decoder.onFds(fds, count);
    }

    @Override
    public void onData(ByteBuffer data) {
        decoder.onData(data);
    }

    @Override
    public void close() {
        decoder.close();
    }

    @Override
    public int[] unclaimedFds() {
        return decoder.drainFds();
    }

    @Override
    public int queuedFds() {
        return decoder.queuedFds();
    }

    @Override
    public byte[] partialInput() {
        return decoder.partialBytes();
    }

    @Override
    public int[] peekFds() {
        return decoder.peekFds();
    }

    // ---- live upgrade (docs/live-upgrade.md): what the client holds, carried by NativeHandover ----

    /** The references the client holds of its handle {@code id} (it may release that many). */
    int clientRefs(long id) {
        return clientRefs.getOrDefault(id, 0);
    }

    /** The nodes registered under well-known names: name to the owner handle's id. */
    Map<String, Long> namedNodes() {
        Map<String, Long> out = new java.util.TreeMap<>();
        nodesByName.forEach((name, h) -> out.put(name, h.id()));
        return out;
    }

    /**
     * Resumes in the next process a session whose peer's handles the hand-over restored: the client's references
     * by handle id, and the named nodes by handle id. Sends nothing (the client had its WELCOME).
     */
    void resume(Map<Long, Integer> refs, Map<String, Long> named) {
        refs.forEach((id, n) -> {
            if (n > 0) {
                clientRefs.put(id, n);
            }
        });
        named.forEach((name, id) -> {
            Handle h = peer.handle(id);
            if (h == null) {
                throw new IllegalArgumentException("name " + name + " bound to handle " + id + ", which "
                        + connection + " does not hold");
            }
            nodesByName.put(name, h);
        });
    }

    @Override
    public void onProtocolViolation(String reason) {
        events.disconnect(connection, DisconnectReason.PROTOCOL_VIOLATION, "native protocol: " + reason);
    }

    // ---- requests ----

    @Override
    public void onFrame(NativeFrame f) {
        if (connection.isClosed()) {
            events.closeFds(f.fds(), f.fds().length);
            return;
        }
        connection.countIn(NativeFrame.HEADER_LENGTH + f.payloadLength());
        int op = f.operation();
        if (op != NativeFrame.SEND && op != NativeFrame.DBUS_SEND && f.fds().length > 0) {
            events.closeFds(f.fds(), f.fds().length);
            reply(f, NativeStatus.INVALID_ARGUMENT);
            return;
        }
        switch (op) {
            case NativeFrame.CREATE_NODE -> createNode(f);
            case NativeFrame.SEND -> send(f);
            case NativeFrame.RELEASE -> release(f);
            case NativeFrame.DESTROY_NODE -> destroyNode(f);
            case NativeFrame.REGISTER_NAME -> registerName(f);
            case NativeFrame.RELEASE_NAME -> releaseName(f);
            case NativeFrame.RESOLVE_NAME -> resolveName(f);
            case NativeFrame.DBUS_SEND -> dbusSend(f);
            default -> reply(f, NativeStatus.UNKNOWN_OPERATION);
        }
    }

    private void createNode(NativeFrame f) {
        if (!shape(f, 0, 0) || f.payloadLength() != 0) {
            reply(f, NativeStatus.INVALID_ARGUMENT);
            return;
        }
        Handle h = peer.createNode(connection);
        given(h);
        write(NativeFrameWriter.reply(f.requestId(), NativeStatus.OK, 0, new long[] {h.id()}, null));
    }

    private void send(NativeFrame f) {
        int[] fds = f.fds();
        int status = trySend(f);
        if (status >= 0) {
            events.closeFds(fds, fds.length);
            reply(f, status);
        }
    }

    /** Sends; returns a status to reply with (the caller closes the fds), or -1 if replied and fds taken. */
    private int trySend(NativeFrame f) {
        int flags = f.flags();
        long[] targets = f.targets();
        int known = NativeFrame.FLAG_CONTINUE_ON_ERROR | NativeFrame.FLAG_DBUS | NativeFrame.FLAG_QUIET;
        if (targets.length == 0 || (flags & ~known) != 0) {
            return NativeStatus.INVALID_ARGUMENT;
        }
        Handle[] destinations = new Handle[targets.length];
        for (int i = 0; i < targets.length; i++) {
            destinations[i] = clientHandle(targets[i]);
            if (destinations[i] == null) {
                return NativeStatus.INVALID_HANDLE;
            }
        }
        Handle[] carried = new Handle[f.handles().length];
        for (int i = 0; i < carried.length; i++) {
            carried[i] = clientHandle(f.handles()[i]);
            if (carried[i] == null) {
                return NativeStatus.INVALID_HANDLE;
            }
        }
        boolean dbus = (flags & NativeFrame.FLAG_DBUS) != 0;
        for (Handle d : destinations) {
            Object tag = d.node().tag();
            boolean native_ = tag instanceof BusConnection c && c.isNative() || tag == DEPARTED_NATIVE;
            if (native_) {
                continue;
            }
            // A reply handle or a D-Bus connection (or the driver): one D-Bus message to it alone.
            if (!dbus) {
                return tag instanceof NativeReplySlot ? NativeStatus.INVALID_MESSAGE : NativeStatus.NOT_NATIVE;
            }
            if (destinations.length != 1 || carried.length != 0) {
                return NativeStatus.INVALID_ARGUMENT;
            }
            if (d.node().isDestroyed()) {
                return NativeStatus.DESTROYED;
            }
            return tag instanceof NativeReplySlot slot ? answer(f, d, slot) : toDBus(f, d);
        }
        DBusMessage parsed = null;
        if (dbus) {
            parsed = parse(f);
            if (parsed == null) {
                return NativeStatus.INVALID_MESSAGE;
            }
        }
        BusMessage body = new BusMessage(f.payload(), null, 0, 0, f.fds(), fdCloser, null);
        Message m = new Message(new NativePayload(body, flags & NativeFrame.FLAG_DBUS), f.payloadLength(), carried,
                f.fds().length);
        int code;
        int[] results = null;
        int delivered;
        if (destinations.length == 1) {
            code = peer.send(destinations[0], m);
            delivered = code == SendResult.OK ? 1 : 0;
        } else {
            boolean each = (flags & NativeFrame.FLAG_CONTINUE_ON_ERROR) != 0;
            results = new int[destinations.length];
            code = peer.send(destinations, destinations.length, m, each ? SendResult.CONTINUE_ON_ERROR : 0, results);
            delivered = 0;
            if (each) {
                for (int r : results) {
                    if (r == SendResult.OK) {
                        delivered++;
                    }
                }
            } else if (code == SendResult.OK) {
                delivered = destinations.length;
            }
        }
        body.expect(delivered);
        int detail = NativeStatus.DETAIL_NONE;
        if (code == SendResult.QUOTA) {
            stats.quotaRejected(QuotaResource.QUEUE);
            detail = quotaDetail(peer.lastQuota());
        }
        // A quiet send that succeeded (every destination, with CONTINUE_ON_ERROR) is not answered: nothing to build.
        if (code != SendResult.OK || (flags & NativeFrame.FLAG_QUIET) == 0) {
            byte[] extra = null;
            if ((flags & NativeFrame.FLAG_CONTINUE_ON_ERROR) != 0) {
                extra = new byte[4 * destinations.length];
                for (int i = 0; i < destinations.length; i++) {
                    NativeFrameWriter.putInt(extra, 4 * i, results == null ? status(code) : status(results[i]));
                }
            }
            write(NativeFrameWriter.reply(f.requestId(), status(code), detail, null, extra));
        }
        // The fds now belong to the message: closed when its last receiver took them (or at once if none did).
        body.release();
        return -1;
    }

    /** A reply through a reply handle: routed to the caller as the callee's reply; the handle is consumed. */
    private int answer(NativeFrame f, Handle replyHandle, NativeReplySlot slot) {
        DBusMessage m = parse(f);
        if (m == null || (m.type() != MessageType.METHOD_RETURN && m.type() != MessageType.ERROR)
                || m.replySerial() != slot.serial || !slot.caller.equals(m.destination()) || slot.answered) {
            return NativeStatus.INVALID_MESSAGE;
        }
        if (slot.callee == null || !slot.callee.isRegistered()) {
            return NativeStatus.DESTROYED;
        }
        replyOk(f);
        bridge.answered(slot);
        dropClientRef(replyHandle);
        events.dispatch(slot.callee, m, f.fds());
        return -1;
    }

    /** A D-Bus message through a handle to a D-Bus connection (or the driver): routed as from this connection. */
    private int toDBus(NativeFrame f, Handle destination) {
        DBusMessage m = parse(f);
        if (m == null) {
            return NativeStatus.INVALID_MESSAGE;
        }
        String dest = m.destination();
        Object tag = destination.node().tag();
        BusConnection target = dest == null ? null : state.resolveRegistered(dest);
        boolean matches = tag == null ? DRIVER_NAME.equals(dest) : tag == target;
        if (!matches) {
            return NativeStatus.INVALID_MESSAGE;
        }
        replyOk(f);
        events.dispatch(connection, m, f.fds());
        return -1;
    }

    /** The OK reply of a send or release, unless it asked for none ({@code QUIET}). */
    private void replyOk(NativeFrame f) {
        if ((f.flags() & NativeFrame.FLAG_QUIET) == 0) {
            reply(f, NativeStatus.OK);
        }
    }

    private void dbusSend(NativeFrame f) {
        if (!shape(f, 0, 0) || f.flags() != 0) {
            events.closeFds(f.fds(), f.fds().length);
            reply(f, NativeStatus.INVALID_ARGUMENT);
            return;
        }
        DBusMessage m = parse(f);
        if (m == null) {
            events.closeFds(f.fds(), f.fds().length);
            reply(f, NativeStatus.INVALID_MESSAGE);
            return;
        }
        reply(f, NativeStatus.OK);
        events.dispatch(connection, m, f.fds());
    }

    /** The payload as one valid D-Bus message whose UNIX_FDS is the frame's fd count, or null. */
    private static DBusMessage parse(NativeFrame f) {
        byte[] p = f.payload();
        DBusMessage m = new DBusMessage();
        if (p.length < 16 || DBusMessage.frameLength(p, 0) != p.length || m.parse(p, p.length) != Validity.VALID
                || m.unixFds() != f.fds().length) {
            return null;
        }
        return m;
    }

    private void release(NativeFrame f) {
        if (!shape(f, 1, 0) || (f.flags() & ~NativeFrame.FLAG_QUIET) != 0 || f.payloadLength() != 0) {
            reply(f, NativeStatus.INVALID_ARGUMENT);
            return;
        }
        Handle h = clientHandle(f.targets()[0]);
        if (h == null) {
            reply(f, NativeStatus.INVALID_HANDLE);
            return;
        }
        if (h == connection.root()) {
            reply(f, NativeStatus.NOT_PERMITTED);
            return;
        }
        replyOk(f);
        dropClientRef(h);
    }

    private void destroyNode(NativeFrame f) {
        if (!shape(f, 1, 0) || f.flags() != 0 || f.payloadLength() != 0) {
            reply(f, NativeStatus.INVALID_ARGUMENT);
            return;
        }
        Handle h = clientHandle(f.targets()[0]);
        if (h == null) {
            reply(f, NativeStatus.INVALID_HANDLE);
            return;
        }
        if (h == connection.root() || h.node().owner() != peer) {
            reply(f, NativeStatus.NOT_PERMITTED);
            return;
        }
        if (h.node().isDestroyed()) {
            reply(f, NativeStatus.DESTROYED);
            return;
        }
        reply(f, NativeStatus.OK);
        nodesByName.values().removeIf(n -> n == h);
        peer.destroyNode(h);
    }

    private void registerName(NativeFrame f) {
        String name = name(f, 1);
        if (name == null || (f.flags() & ~0x7) != 0 || !DBusNames.isValidWellKnownName(name)
                || name.equals(DRIVER_NAME)) {
            reply(f, NativeStatus.INVALID_ARGUMENT);
            return;
        }
        Handle h = clientHandle(f.targets()[0]);
        if (h == null) {
            reply(f, NativeStatus.INVALID_HANDLE);
            return;
        }
        if (h.node().owner() != peer) {
            reply(f, NativeStatus.NOT_PERMITTED);
            return;
        }
        if (h.node().isDestroyed()) {
            reply(f, NativeStatus.DESTROYED);
            return;
        }
        if (!connection.policy().canOwn(name)) {
            stats.policyDenied(PolicyDenial.OWN);
            reply(f, NativeStatus.ACCESS_DENIED);
            return;
        }
        long limit = maxNames;
        if (state.names().primaryOwner(name) != connection && state.names().ownedNameCount(connection) >= limit) {
            stats.quotaRejected(QuotaResource.NAMES);
            write(NativeFrameWriter.reply(f.requestId(), NativeStatus.LIMITS_EXCEEDED, NativeStatus.DETAIL_NAMES, null,
                    null));
            return;
        }
        RequestNameResult<BusConnection> result = state.names().requestName(name, connection, f.flags());
        int code = result.reply().code();
        if (code != 3) {
            nodesByName.put(name, h);
        }
        state.busNamesGrew(connection);
        write(NativeFrameWriter.reply(f.requestId(), NativeStatus.OK, 0, null, u32(code)));
        outbox.announce(result.changes(), null);
    }

    private void releaseName(NativeFrame f) {
        String name = name(f, 0);
        if (name == null || f.flags() != 0 || !DBusNames.isValidWellKnownName(name) || name.equals(DRIVER_NAME)) {
            reply(f, NativeStatus.INVALID_ARGUMENT);
            return;
        }
        ReleaseNameResult<BusConnection> result = state.names().releaseName(name, connection);
        if (state.names().flagsOf(name, connection) < 0) {
            nodesByName.remove(name);
        }
        write(NativeFrameWriter.reply(f.requestId(), NativeStatus.OK, 0, null, u32(result.reply().code())));
        outbox.announce(result.changes(), null);
    }

    private void resolveName(NativeFrame f) {
        String name = name(f, 0);
        if (name == null || f.flags() != 0 || !DBusNames.isValidBusName(name)) {
            reply(f, NativeStatus.INVALID_ARGUMENT);
            return;
        }
        BusConnection owner = state.resolveRegistered(name);
        if (owner == null || !owner.hasRoot()) {
            reply(f, NativeStatus.NAME_NOT_FOUND);
            return;
        }
        Handle granted = null;
        if (owner.isNative() && name.charAt(0) != ':') {
            Handle node = ownerSession(owner).nodesByName.get(name);
            if (node != null && !node.node().isDestroyed()) {
                granted = owner.peer().grant(node, peer);
            }
        }
        if (granted == null && owner.driverHandle() != null) {
            granted = mapping.driverPeer().grant(owner.driverHandle(), peer);
        }
        if (granted == null) {
            reply(f, NativeStatus.NAME_NOT_FOUND);
            return;
        }
        given(granted);
        write(NativeFrameWriter.reply(f.requestId(), NativeStatus.OK, 0, new long[] {granted.id()}, null));
    }

    // ---- events: the peer's queue into frames ----

    /** A message from the core's queue. Returns whether the transport takes more. */
    @Override
    public boolean onMessage(long sequence, Handle destination, Message message, Handle[] transferred) {
        Object payload = message.payload();
        if (payload instanceof NativePayload p) {
            long[] ids = NO_IDS;
            if (transferred.length > 0) {
                ids = new long[transferred.length];
                for (int i = 0; i < ids.length; i++) {
                    Handle t = transferred[i];
                    if (t != null) {
                        given(t);
                        ids[i] = t.id();
                    }
                }
            }
            BusMessage m = p.message();
            deliver(sequence, destination.id(), ids, p.flags(), m.wholeBytes(), m.fds());
            m.release();
        } else if (payload instanceof BusMessage m) {
            deliverDBus(sequence, m);
        }
        return connection.transport().isWritable();
    }

    /** A D-Bus message for this connection (sent to its root node): on the node its destination names. */
    private void deliverDBus(long sequence, BusMessage m) {
        byte[] bytes = m.wholeBytes();
        DBusMessage parsed = new DBusMessage();
        long target = connection.root().id();
        long[] handles = NO_IDS;
        if (parsed.parse(bytes, bytes.length) == Validity.VALID) {
            String dest = parsed.destination();
            Handle node = dest == null ? null : nodesByName.get(dest);
            if (node != null && !node.node().isDestroyed()) {
                target = node.id();
            }
            if (parsed.type() == MessageType.METHOD_CALL && parsed.expectsReply() && parsed.sender() != null) {
                Handle reply = bridge.replyHandle(connection, parsed.sender(), parsed.serial());
                if (reply != null) {
                    given(reply);
                    handles = new long[] {reply.id()};
                }
            }
        }
        deliver(sequence, target, handles, NativeFrame.FLAG_DBUS, bytes, m.fds());
        m.release();
    }

    /** Writes a MESSAGE frame (the transport duplicates the descriptors; the caller releases its message). */
    private void deliver(long sequence, long target, long[] handles, int flags, byte[] payload, int[] fds) {
        int fdCount = fds.length;
        if (fdCount > 0 && !connection.transport().attachFds(fds, 0, fdCount)) {
            fdCount = 0;
        }
        // The payload is the message's one array, shared by every receiver: written after this receiver's header,
        // not copied into a frame of its own first.
        byte[] header = NativeFrameWriter.header(NativeFrame.MESSAGE, flags, sequence, target, handles, fdCount,
                payload.length);
        write(header);
        if (payload.length > 0) {
            connection.transport().write(payload, 0, payload.length);
        }
        connection.countOut(header.length + payload.length);
    }

    @Override
    public boolean onNodeDestroyed(long sequence, Handle handle) {
        if (handle == connection.root()) {
            return true;
        }
        int refs = clientRefs.getOrDefault(handle.id(), 0);
        if (refs > 0) {
            write(NativeFrameWriter.frame(NativeFrame.NODE_DESTROYED, 0, sequence, new long[] {handle.id()}, null, 0,
                    null, 0, 0));
        }
        // The bus's own references (routing's cached handle) go now; the client's stay until it releases them.
        while (handle.isValid() && handle.count() > refs) {
            int before = handle.count();
            peer.release(handle);
            if (handle.count() == before) {
                break;
            }
        }
        return connection.transport().isWritable();
    }

    @Override
    public boolean onNodeReleased(long sequence, Handle ownerHandle) {
        if (clientRefs.getOrDefault(ownerHandle.id(), 0) > 0) {
            write(NativeFrameWriter.frame(NativeFrame.NODE_RELEASED, 0, sequence, new long[] {ownerHandle.id()}, null,
                    0, null, 0, 0));
        }
        return connection.transport().isWritable();
    }

    // ---- helpers ----

    /** The session of another native connection. */
    private static NativeSession ownerSession(BusConnection owner) {
        return (NativeSession) owner.nativeEndpoint();
    }

    /** The client's handle with {@code id}, if the client holds a reference to it. */
    private Handle clientHandle(long id) {
        if (clientRefs.getOrDefault(id, 0) <= 0) {
            return null;
        }
        Handle h = peer.handle(id);
        return h != null && h.isValid() ? h : null;
    }

    private void given(Handle h) {
        clientRefs.merge(h.id(), 1, Integer::sum);
    }

    private void dropClientRef(Handle h) {
        clientRefs.computeIfPresent(h.id(), (id, n) -> n == 1 ? null : n - 1);
        peer.release(h);
    }

    private static boolean shape(NativeFrame f, int targets, int handles) {
        return f.targets().length == targets && f.handles().length == handles;
    }

    /** The payload as a name, for a request with {@code targets} targets and no handles; null if malformed. */
    private static String name(NativeFrame f, int targets) {
        if (!shape(f, targets, 0) || f.payloadLength() == 0 || f.payloadLength() > 255) {
            return null;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(f.payload())).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static byte[] u32(int v) {
        byte[] b = new byte[4];
        NativeFrameWriter.putInt(b, 0, v);
        return b;
    }

    private static int status(int sendResult) {
        return switch (sendResult) {
            case SendResult.OK -> NativeStatus.OK;
            case SendResult.DESTROYED -> NativeStatus.DESTROYED;
            case SendResult.QUOTA -> NativeStatus.QUOTA;
            default -> NativeStatus.INVALID_HANDLE;
        };
    }

    /** The REPLY detail naming the budget a {@code SendResult.QUOTA} ran out of ({@code Peer.lastQuota()}). */
    private static int quotaDetail(int quota) {
        return switch (quota) {
            case SendResult.QUOTA_BYTES -> NativeStatus.DETAIL_BYTES;
            case SendResult.QUOTA_MESSAGES -> NativeStatus.DETAIL_MESSAGES;
            case SendResult.QUOTA_HANDLES -> NativeStatus.DETAIL_HANDLES;
            case SendResult.QUOTA_FDS -> NativeStatus.DETAIL_FDS;
            default -> NativeStatus.DETAIL_NONE;
        };
    }

    private void reply(NativeFrame f, int status) {
        write(NativeFrameWriter.reply(f.requestId(), status, 0, null, null));
    }

    private void write(byte[] frame) {
        connection.transport().write(frame, 0, frame.length);
    }
}
