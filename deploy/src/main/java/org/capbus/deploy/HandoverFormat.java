package org.capbus.deploy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.capbus.adapters.transport.TransportImage;
import org.capbus.dbus.broker.handover.ActivationImage;
import org.capbus.dbus.broker.handover.BusImage;
import org.capbus.dbus.broker.handover.NativeImage;
import org.capbus.dbus.io.TransportConnection;
import org.capbus.dbus.sasl.CookieKeyring;
import org.capbus.dbus.sasl.SaslServer;

/**
 * The versioned hand-over format of a live upgrade, as docs/live-upgrade.md describes it: a magic, a format
 * version, then sections (id, flags, length, body), each one component's state; descriptors travel beside it by
 * {@code SCM_RIGHTS} and the sections refer to them by their index in that table. A reader refuses a version it
 * does not know and a section marked required that it does not know; it skips unknown optional sections. Stateless.
 */
final class HandoverFormat {
    /** The first eight bytes of every hand-over. */
    static final byte[] MAGIC = "CAPBUSHO".getBytes(StandardCharsets.US_ASCII);
    /** The version this capbus writes. */
    static final int VERSION = 1;
    /** The oldest version this capbus reads. */
    static final int MIN_READ_VERSION = 1;
    /** The newest version this capbus reads. */
    static final int MAX_READ_VERSION = 1;

    static final int SECTION_END = 0;
    static final int SECTION_BUS = 1;
    static final int SECTION_LISTENERS = 2;
    static final int SECTION_CONNECTIONS = 3;
    static final int SECTION_NAMES = 4;
    static final int SECTION_MATCH_RULES = 5;
    static final int SECTION_REPLY_SLOTS = 6;
    static final int SECTION_MONITORS = 7;
    /** Optional: the metrics counters, so that they continue across the upgrade. */
    static final int SECTION_COUNTERS = 8;
    /**
     * The native protocol's connections and the core graph they hold (their handles by id, the nodes those point to,
     * the core's sequence); written only while a native connection is open, required.
     */
    static final int SECTION_NATIVE = 9;
    /**
     * Service activation: the UpdateActivationEnvironment changes and the activations in progress with their waiting
     * callers. Written only when there is any; required (a reader that drops it would lose those callers).
     */
    static final int SECTION_ACTIVATIONS = 10;
    /**
     * Optional: the DBUS_COOKIE_SHA1 challenges of connections authenticating with it, so that the next process
     * checks their answers against the challenge they got. A reader that skips it draws new ones, which those
     * clients' answers cannot match: each is rejected once (and may try again).
     */
    static final int SECTION_COOKIE_CHALLENGES = 11;
    /**
     * Optional: what each reply slot of section 6 has left of reply_timeout, in milliseconds (-1: none), in section
     * 6's order; written only when some slot has a deadline. A reader that skips it gives each a full reply_timeout.
     */
    static final int SECTION_REPLY_DEADLINES = 12;
    /** Section flag: a reader that does not know the section must refuse the hand-over. */
    static final int REQUIRED = 1;

    private HandoverFormat() {
    }

    /** The format's bytes and the descriptor table they index (the transport's own and duplicates alike). */
    record Encoded(byte[] bytes, int[] fds) {
    }

    /** What a reader got: the listeners, each connection's socket and pending output, and the bus image. */
    record Decoded(List<TransportImage.Listener> listeners, List<TransportImage.Socket> sockets, BusImage bus,
                   Map<String, long[]> counters) {
    }

    /** The format is not one this capbus reads; says why. */
    static final class UnreadableException extends Exception {
        UnreadableException(String message) {
            super(message);
        }
    }

    static Encoded encode(BusImage bus, TransportImage transport) throws IOException {
        return encode(bus, transport, Map.of());
    }

    /**
     * As above, with the metrics counters by name ({@code bus.*}, {@code transport.*}): an optional section, which a
     * reader that does not know it skips (its counters then start from zero, as before the section existed).
     */
    static Encoded encode(BusImage bus, TransportImage transport, Map<String, long[]> counters) throws IOException {
        List<Integer> fds = new ArrayList<>();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(MAGIC);
        out.writeInt(VERSION);
        section(out, SECTION_BUS, s -> {
            s.writeUTF(bus.guid());
            s.writeLong(bus.nextUniqueId());
            s.writeLong(bus.nextSerial());
        });
        section(out, SECTION_LISTENERS, s -> {
            s.writeInt(transport.listeners().size());
            for (TransportImage.Listener l : transport.listeners()) {
                s.writeInt(index(fds, l.fd()));
                s.writeUTF(l.address());
                nullableUtf(s, l.unlinkPath());
            }
        });
        Map<TransportConnection, TransportImage.Socket> sockets = transport.sockets();
        section(out, SECTION_CONNECTIONS, s -> {
            s.writeInt(bus.connections().size());
            for (BusImage.Connection c : bus.connections()) {
                TransportImage.Socket socket = sockets.get(c.transport());
                if (socket == null) {
                    throw new IOException("connection " + c.uniqueName() + " has no socket in the transport");
                }
                s.writeInt(index(fds, socket.fd()));
                s.writeByte(c.phase().ordinal());
                nullableUtf(s, c.uniqueName());
                nullableUtf(s, c.authMechanism());
                s.writeBoolean(c.unixFds());
                bytes(s, c.authTranscript());
                bytes(s, c.partialInput());
                fdIndexes(s, fds, c.unclaimedFds());
                TransportImage.Pending p = socket.pending();
                bytes(s, p.bytes());
                s.writeInt(p.attachedAt().length);
                for (int i = 0; i < p.attachedAt().length; i++) {
                    s.writeLong(p.attachedAt()[i]);
                    fdIndexes(s, fds, p.attachedFds()[i]);
                }
            }
        });
        section(out, SECTION_NAMES, s -> {
            s.writeInt(bus.names().size());
            for (BusImage.Name n : bus.names()) {
                s.writeUTF(n.name());
                s.writeInt(n.owners().length);
                for (int i = 0; i < n.owners().length; i++) {
                    s.writeInt(n.owners()[i]);
                    s.writeInt(n.flags()[i]);
                }
            }
        });
        section(out, SECTION_MATCH_RULES, s -> {
            s.writeInt(bus.matchRules().size());
            for (BusImage.Rule r : bus.matchRules()) {
                s.writeInt(r.connection());
                s.writeUTF(r.text());
            }
        });
        section(out, SECTION_REPLY_SLOTS, s -> {
            s.writeInt(bus.replies().size());
            for (BusImage.Reply r : bus.replies()) {
                s.writeInt(r.caller());
                s.writeInt(r.serial());
                s.writeInt(r.callee());
            }
        });
        if (bus.replies().stream().anyMatch(r -> r.remainingMillis() >= 0)) {
            section(out, SECTION_REPLY_DEADLINES, 0, s -> {
                s.writeInt(bus.replies().size());
                for (BusImage.Reply r : bus.replies()) {
                    s.writeLong(r.remainingMillis());
                }
            });
        }
        section(out, SECTION_MONITORS, s -> {
            s.writeInt(bus.monitors().size());
            for (BusImage.Monitor m : bus.monitors()) {
                s.writeInt(m.connection());
                s.writeInt(m.rules().size());
                for (String r : m.rules()) {
                    s.writeUTF(r);
                }
            }
        });
        NativeImage natives = bus.natives();
        if (natives != null) {
            section(out, SECTION_NATIVE, s -> writeNatives(s, natives));
        }
        List<Integer> challenged = new ArrayList<>();
        for (int i = 0; i < bus.connections().size(); i++) {
            if (bus.connections().get(i).cookieChallenge() != null) {
                challenged.add(i);
            }
        }
        if (!challenged.isEmpty()) {
            section(out, SECTION_COOKIE_CHALLENGES, 0, s -> {
                s.writeInt(challenged.size());
                for (int i : challenged) {
                    SaslServer.CookieChallenge c = bus.connections().get(i).cookieChallenge();
                    s.writeInt(i);
                    s.writeLong(c.cookie().id());
                    s.writeUTF(c.cookie().secret());
                    s.writeUTF(c.serverChallenge());
                }
            });
        }
        ActivationImage activations = bus.activations();
        if (!activations.isEmpty()) {
            section(out, SECTION_ACTIVATIONS, s -> writeActivations(s, fds, activations));
        }
        if (!counters.isEmpty()) {
            section(out, SECTION_COUNTERS, 0, s -> {
                s.writeInt(counters.size());
                for (Map.Entry<String, long[]> e : counters.entrySet()) {
                    s.writeUTF(e.getKey());
                    s.writeInt(e.getValue().length);
                    for (long v : e.getValue()) {
                        s.writeLong(v);
                    }
                }
            });
        }
        out.writeShort(SECTION_END);
        out.flush();
        return new Encoded(bytes.toByteArray(), fds.stream().mapToInt(Integer::intValue).toArray());
    }

    private static void writeActivations(DataOutputStream s, List<Integer> fds, ActivationImage a)
            throws IOException {
        s.writeInt(a.environment().size());
        for (Map.Entry<String, String> e : a.environment().entrySet()) {
            bytes(s, e.getKey().getBytes(StandardCharsets.UTF_8));
            bytes(s, e.getValue().getBytes(StandardCharsets.UTF_8));
        }
        s.writeInt(a.pending().size());
        for (ActivationImage.Pending p : a.pending()) {
            s.writeUTF(p.name());
            ActivationImage.Service f = p.service();
            s.writeBoolean(f != null);
            if (f != null) {
                nullableUtf(s, f.file());
                s.writeUTF(f.name());
                nullableUtf(s, f.exec());
                nullableUtf(s, f.user());
                nullableUtf(s, f.systemdService());
            }
            nullableUtf(s, p.systemdUnit());
            s.writeLong(p.childPid());
            s.writeLong(p.elapsedMillis());
            s.writeInt(p.startCalls().size());
            for (ActivationImage.StartCall c : p.startCalls()) {
                s.writeInt(c.caller());
                s.writeLong(c.serial());
                s.writeBoolean(c.expectsReply());
            }
            s.writeInt(p.waiters().size());
            for (ActivationImage.Waiter w : p.waiters()) {
                s.writeInt(w.sender());
                bytes(s, w.message());
                fdIndexes(s, fds, w.fds());
            }
        }
    }

    private static ActivationImage readActivations(DataInputStream s, int[] fds) throws IOException {
        Map<String, String> environment = new LinkedHashMap<>();
        for (int n = s.readInt(), i = 0; i < n; i++) {
            environment.put(new String(readBytes(s), StandardCharsets.UTF_8),
                    new String(readBytes(s), StandardCharsets.UTF_8));
        }
        List<ActivationImage.Pending> pending = new ArrayList<>();
        for (int n = s.readInt(), i = 0; i < n; i++) {
            String name = s.readUTF();
            ActivationImage.Service service = null;
            if (s.readBoolean()) {
                service = new ActivationImage.Service(readNullableUtf(s), s.readUTF(), readNullableUtf(s),
                        readNullableUtf(s), readNullableUtf(s));
            }
            String unit = readNullableUtf(s);
            long pid = s.readLong();
            long elapsed = s.readLong();
            List<ActivationImage.StartCall> calls = new ArrayList<>();
            for (int k = s.readInt(), j = 0; j < k; j++) {
                calls.add(new ActivationImage.StartCall(s.readInt(), s.readLong(), s.readBoolean()));
            }
            List<ActivationImage.Waiter> waiters = new ArrayList<>();
            for (int k = s.readInt(), j = 0; j < k; j++) {
                waiters.add(new ActivationImage.Waiter(s.readInt(), readBytes(s), readFds(s, fds)));
            }
            pending.add(new ActivationImage.Pending(name, service, unit, pid, elapsed, calls, waiters));
        }
        return new ActivationImage(environment, pending);
    }

    /** The version a hand-over's header names, or throws if it is no hand-over at all. */
    static int version(byte[] bytes) throws UnreadableException {
        if (bytes.length < MAGIC.length + 4 || !Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new UnreadableException("not a capbus hand-over (no magic)");
        }
        return ((bytes[8] & 0xFF) << 24) | ((bytes[9] & 0xFF) << 16) | ((bytes[10] & 0xFF) << 8) | (bytes[11] & 0xFF);
    }

    /**
     * Reads a hand-over whose descriptor table arrived as {@code fds}, accepting versions up to
     * {@code maxVersion}. Connections come with a null transport (the reader adopts the sockets first).
     */
    static Decoded decode(byte[] bytes, int[] fds, int maxVersion) throws UnreadableException {
        return decode(bytes, fds, maxVersion, java.util.Set.of());
    }

    /**
     * As above, as a capbus that does not know the sections {@code unknown} would read it (the test of a binary older
     * than those sections: it skips them if optional and refuses the hand-over if required).
     */
    static Decoded decode(byte[] bytes, int[] fds, int maxVersion, java.util.Set<Integer> unknown)
            throws UnreadableException {
        int version = version(bytes);
        if (version < MIN_READ_VERSION || version > maxVersion) {
            throw new UnreadableException("hand-over format version " + version + "; this capbus reads "
                    + MIN_READ_VERSION + " to " + maxVersion);
        }
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, 12, bytes.length - 12));
            String guid = null;
            long nextUnique = 1;
            long nextSerial = 1;
            List<TransportImage.Listener> listeners = new ArrayList<>();
            List<TransportImage.Socket> sockets = new ArrayList<>();
            List<BusImage.Connection> connections = new ArrayList<>();
            List<BusImage.Name> names = new ArrayList<>();
            List<BusImage.Rule> rules = new ArrayList<>();
            List<BusImage.Reply> replies = new ArrayList<>();
            List<BusImage.Monitor> monitors = new ArrayList<>();
            Map<String, long[]> counters = new LinkedHashMap<>();
            NativeImage natives = null;
            ActivationImage activations = ActivationImage.NONE;
            while (true) {
                int id = in.readUnsignedShort();
                if (id == SECTION_END) {
                    break;
                }
                int flags = in.readUnsignedShort();
                int length = in.readInt();
                byte[] body = in.readNBytes(length);
                if (body.length != length) {
                    throw new UnreadableException("section " + id + " is cut short");
                }
                DataInputStream s = new DataInputStream(new ByteArrayInputStream(body));
                switch (unknown.contains(id) ? -1 : id) {
                    case SECTION_BUS -> {
                        guid = s.readUTF();
                        nextUnique = s.readLong();
                        nextSerial = s.readLong();
                    }
                    case SECTION_LISTENERS -> {
                        for (int n = s.readInt(), i = 0; i < n; i++) {
                            listeners.add(new TransportImage.Listener(fd(fds, s.readInt()), s.readUTF(),
                                    readNullableUtf(s)));
                        }
                    }
                    case SECTION_CONNECTIONS -> {
                        for (int n = s.readInt(), i = 0; i < n; i++) {
                            readConnection(s, fds, sockets, connections);
                        }
                    }
                    case SECTION_NAMES -> {
                        for (int n = s.readInt(), i = 0; i < n; i++) {
                            String name = s.readUTF();
                            int k = s.readInt();
                            int[] owners = new int[k];
                            int[] ownerFlags = new int[k];
                            for (int j = 0; j < k; j++) {
                                owners[j] = s.readInt();
                                ownerFlags[j] = s.readInt();
                            }
                            names.add(new BusImage.Name(name, owners, ownerFlags));
                        }
                    }
                    case SECTION_MATCH_RULES -> {
                        for (int n = s.readInt(), i = 0; i < n; i++) {
                            rules.add(new BusImage.Rule(s.readInt(), s.readUTF()));
                        }
                    }
                    case SECTION_REPLY_SLOTS -> {
                        for (int n = s.readInt(), i = 0; i < n; i++) {
                            replies.add(new BusImage.Reply(s.readInt(), s.readInt(), s.readInt()));
                        }
                    }
                    case SECTION_REPLY_DEADLINES -> {
                        int n = s.readInt();
                        // Written after section 6, and of its length.
                        if (n != replies.size()) {
                            throw new UnreadableException(n + " reply deadlines for " + replies.size() + " slots");
                        }
                        for (int i = 0; i < n; i++) {
                            BusImage.Reply r = replies.get(i);
                            replies.set(i, new BusImage.Reply(r.caller(), r.serial(), r.callee(), s.readLong()));
                        }
                    }
                    case SECTION_MONITORS -> {
                        for (int n = s.readInt(), i = 0; i < n; i++) {
                            int connection = s.readInt();
                            List<String> texts = new ArrayList<>();
                            for (int k = s.readInt(), j = 0; j < k; j++) {
                                texts.add(s.readUTF());
                            }
                            monitors.add(new BusImage.Monitor(connection, texts));
                        }
                    }
                    case SECTION_ACTIVATIONS -> activations = readActivations(s, fds);
                    case SECTION_COOKIE_CHALLENGES -> {
                        for (int n = s.readInt(), i = 0; i < n; i++) {
                            int index = s.readInt();
                            SaslServer.CookieChallenge c = new SaslServer.CookieChallenge(
                                    new CookieKeyring.Cookie(s.readLong(), s.readUTF()), s.readUTF());
                            // Connections come first in every hand-over this capbus writes.
                            checkIndex(index, connections.size());
                            connections.set(index, connections.get(index).withCookieChallenge(c));
                        }
                    }
                    case SECTION_COUNTERS -> {
                        for (int n = s.readInt(), i = 0; i < n; i++) {
                            String name = s.readUTF();
                            int k = s.readInt();
                            if (k < 0 || k > 4096) {
                                throw new UnreadableException("counter " + name + " with " + k + " values");
                            }
                            long[] values = new long[k];
                            for (int j = 0; j < k; j++) {
                                values[j] = s.readLong();
                            }
                            counters.put(name, values);
                        }
                    }
                    case SECTION_NATIVE -> natives = readNatives(s);
                    default -> {
                        if ((flags & REQUIRED) != 0) {
                            throw new UnreadableException("required section " + id + " unknown to this capbus");
                        }
                    }
                }
            }
            if (guid == null) {
                throw new UnreadableException("no bus section");
            }
            for (BusImage.Name n : names) {
                for (int owner : n.owners()) {
                    checkIndex(owner, connections.size());
                }
            }
            for (BusImage.Rule r : rules) {
                checkIndex(r.connection(), connections.size());
            }
            for (BusImage.Reply r : replies) {
                checkIndex(r.caller(), connections.size());
                checkIndex(r.callee(), connections.size());
            }
            for (BusImage.Monitor m : monitors) {
                checkIndex(m.connection(), connections.size());
            }
            if (natives != null) {
                checkNatives(natives, connections.size());
            }
            for (ActivationImage.Pending p : activations.pending()) {
                for (ActivationImage.StartCall c : p.startCalls()) {
                    checkIndex(c.caller(), connections.size());
                }
                for (ActivationImage.Waiter w : p.waiters()) {
                    checkIndex(w.sender(), connections.size());
                }
            }
            return new Decoded(listeners, sockets,
                    new BusImage(guid, nextUnique, nextSerial, connections, names, rules, replies, monitors,
                            activations, natives), counters);
        } catch (IOException | RuntimeException e) {
            throw new UnreadableException("malformed hand-over: " + e);
        }
    }

    private static void writeNatives(DataOutputStream s, NativeImage natives) throws IOException {
        s.writeLong(natives.sequence());
        s.writeInt(natives.nodes().size());
        for (NativeImage.Node n : natives.nodes()) {
            s.writeInt(n.owner());
            s.writeBoolean(n.destroyed());
            if (n.owner() == NativeImage.OWNER_BRIDGE) {
                NativeImage.Reply r = n.reply();
                s.writeInt(r.callee());
                s.writeUTF(r.caller());
                s.writeInt((int) r.serial());
                s.writeBoolean(r.answered());
            }
        }
        s.writeInt(natives.connections().size());
        for (NativeImage.Connection c : natives.connections()) {
            s.writeInt(c.connection());
            s.writeLong(c.nextHandleId());
            s.writeLong(c.rootHandle());
            s.writeInt(c.handles().size());
            for (NativeImage.Handle h : c.handles()) {
                s.writeLong(h.id());
                s.writeInt(h.node());
                s.writeInt(h.count());
                s.writeInt(h.clientRefs());
            }
            s.writeInt(c.names().size());
            for (NativeImage.NamedNode n : c.names()) {
                s.writeUTF(n.name());
                s.writeLong(n.handle());
            }
        }
    }

    private static NativeImage readNatives(DataInputStream s) throws IOException {
        long sequence = s.readLong();
        List<NativeImage.Node> nodes = new ArrayList<>();
        for (int n = s.readInt(), i = 0; i < n; i++) {
            int owner = s.readInt();
            boolean destroyed = s.readBoolean();
            NativeImage.Reply reply = null;
            if (owner == NativeImage.OWNER_BRIDGE) {
                reply = new NativeImage.Reply(s.readInt(), s.readUTF(), s.readInt() & 0xFFFFFFFFL, s.readBoolean());
            }
            nodes.add(new NativeImage.Node(owner, destroyed, reply));
        }
        List<NativeImage.Connection> connections = new ArrayList<>();
        for (int n = s.readInt(), i = 0; i < n; i++) {
            int connection = s.readInt();
            long next = s.readLong();
            long root = s.readLong();
            List<NativeImage.Handle> handles = new ArrayList<>();
            for (int k = s.readInt(), j = 0; j < k; j++) {
                handles.add(new NativeImage.Handle(s.readLong(), s.readInt(), s.readInt(), s.readInt()));
            }
            List<NativeImage.NamedNode> names = new ArrayList<>();
            for (int k = s.readInt(), j = 0; j < k; j++) {
                names.add(new NativeImage.NamedNode(s.readUTF(), s.readLong()));
            }
            connections.add(new NativeImage.Connection(connection, next, root, List.copyOf(handles),
                    List.copyOf(names)));
        }
        return new NativeImage(sequence, List.copyOf(nodes), List.copyOf(connections));
    }

    /** Every index of the native section within range (the core checks the rest when it imports). */
    private static void checkNatives(NativeImage natives, int connections) throws UnreadableException {
        for (NativeImage.Node n : natives.nodes()) {
            if (n.owner() >= 0) {
                checkIndex(n.owner(), connections);
            } else if (n.owner() < NativeImage.OWNER_GONE_NATIVE) {
                throw new UnreadableException("native node owner " + n.owner());
            } else if (n.reply() != null && n.reply().callee() != -1) {
                checkIndex(n.reply().callee(), connections);
            }
        }
        for (NativeImage.Connection c : natives.connections()) {
            checkIndex(c.connection(), connections);
            for (NativeImage.Handle h : c.handles()) {
                if (h.node() < 0 || h.node() >= natives.nodes().size()) {
                    throw new UnreadableException("native handle " + h.id() + " to node " + h.node() + " of "
                            + natives.nodes().size());
                }
            }
        }
    }

    /**
     * One entry of the connections section. A method of its own (as is each per-entry step) so that the JIT compiles
     * it during the new process's rehearsal ({@link TakeoverRehearsal}); a loop body inlined in {@link #decode} would
     * run interpreted through the real takeover.
     */
    private static void readConnection(DataInputStream s, int[] fds, List<TransportImage.Socket> sockets,
                                       List<BusImage.Connection> connections) throws IOException, UnreadableException {
        int socketFd = fd(fds, s.readInt());
        BusImage.Phase phase = BusImage.Phase.values()[s.readByte()];
        String unique = readNullableUtf(s);
        String mechanism = readNullableUtf(s);
        boolean unixFds = s.readBoolean();
        byte[] transcript = readBytes(s);
        byte[] partial = readBytes(s);
        int[] unclaimed = readFds(s, fds);
        byte[] pending = readBytes(s);
        int k = s.readInt();
        long[] at = new long[k];
        int[][] sets = new int[k][];
        for (int j = 0; j < k; j++) {
            at[j] = s.readLong();
            sets[j] = readFds(s, fds);
        }
        sockets.add(new TransportImage.Socket(socketFd, new TransportImage.Pending(pending, at, sets)));
        connections.add(new BusImage.Connection(null, phase, unique, mechanism, unixFds, transcript, partial,
                unclaimed));
    }

    private static void checkIndex(int index, int size) throws UnreadableException {
        if (index < 0 || index >= size) {
            throw new UnreadableException("connection index " + index + " out of range");
        }
    }

    @FunctionalInterface
    private interface Body {
        void write(DataOutputStream s) throws IOException;
    }

    private static void section(DataOutputStream out, int id, Body body) throws IOException {
        section(out, id, REQUIRED, body);
    }

    private static void section(DataOutputStream out, int id, int flags, Body body) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream s = new DataOutputStream(bytes);
        body.write(s);
        s.flush();
        out.writeShort(id);
        out.writeShort(flags);
        out.writeInt(bytes.size());
        bytes.writeTo(out);
    }

    private static int index(List<Integer> fds, int fd) {
        fds.add(fd);
        return fds.size() - 1;
    }

    private static void fdIndexes(DataOutputStream s, List<Integer> fds, int[] set) throws IOException {
        s.writeInt(set.length);
        for (int fd : set) {
            s.writeInt(index(fds, fd));
        }
    }

    private static int[] readFds(DataInputStream s, int[] fds) throws IOException {
        int[] out = new int[s.readInt()];
        for (int i = 0; i < out.length; i++) {
            out[i] = fd(fds, s.readInt());
        }
        return out;
    }

    private static int fd(int[] fds, int index) throws IOException {
        if (index < 0 || index >= fds.length) {
            throw new IOException("descriptor index " + index + " of " + fds.length);
        }
        return fds[index];
    }

    private static void bytes(DataOutputStream s, byte[] b) throws IOException {
        s.writeInt(b.length);
        s.write(b);
    }

    private static byte[] readBytes(DataInputStream s) throws IOException {
        int n = s.readInt();
        byte[] b = s.readNBytes(n);
        if (b.length != n) {
            throw new IOException("cut short");
        }
        return b;
    }

    private static void nullableUtf(DataOutputStream s, String v) throws IOException {
        s.writeBoolean(v != null);
        if (v != null) {
            s.writeUTF(v);
        }
    }

    private static String readNullableUtf(DataInputStream s) throws IOException {
        return s.readBoolean() ? s.readUTF() : null;
    }
}
