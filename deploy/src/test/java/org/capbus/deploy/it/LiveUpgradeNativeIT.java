package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.capbus.client.CapbusClient;
import org.capbus.client.Delivery;
import org.capbus.client.Handle;
import org.capbus.client.Node;
import org.capbus.client.NodeHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Live upgrade with native-protocol connections open (docs/live-upgrade.md, section 9), capbus only: a native Java
 * service (capbus-client) holding handles to its own nodes held by another native client and a handle resolved to a
 * python3-dbus service, with calls pending both ways and a frame half written, across an upgrade. Afterwards the same
 * connections go on with the same unique names and handle ids: sends through the old handles work both ways, calls
 * pending at the upgrade are answered, NodeReleased and NodeDestroyed come when due, a new id is not a reused one,
 * and once everyone left the core's accounts are back to their level. And a capbus that does not know the native
 * section refuses before the old one lets go, which goes on serving its native clients.
 */
class LiveUpgradeNativeIT {
    private static final String SERVICE = "org.capbus.test.UpgradeNative";
    private static final String PYTHON = "org.capbus.test.UpgradeHeld";
    private static final String IFACE = "org.capbus.Held";
    /** A python3-dbus service whose Hold calls wait until Release is called. */
    private static final String HELD_SERVICE = String.join("\n",
            "import dbus, dbus.service, dbus.mainloop.glib",
            "from gi.repository import GLib",
            "dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)",
            "bus = dbus.SessionBus()",
            "bus.set_exit_on_disconnect(True)",
            "name = dbus.service.BusName('" + PYTHON + "', bus)",
            "held = []",
            "class S(dbus.service.Object):",
            "    @dbus.service.method('" + IFACE + "', in_signature='s', out_signature='s',"
                    + " async_callbacks=('ok', 'err'))",
            "    def Hold(self, s, ok, err):",
            "        held.append((ok, s))",
            "        print('HELD', s, flush=True)",
            "    @dbus.service.method('" + IFACE + "', in_signature='', out_signature='u')",
            "    def Release(self):",
            "        n = len(held)",
            "        for ok, s in held:",
            "            ok(s)",
            "        held.clear()",
            "        return n",
            "S(bus, '/t')",
            "print('READY', bus.get_unique_name(), flush=True)",
            "GLib.MainLoop().run()");

    private final Upgrades upgrades = new Upgrades();

    @AfterEach
    void stopTakenOverProcesses() throws IOException {
        upgrades.stopTakenOver();
    }

    /** The native service: its node under {@link #SERVICE}, D-Bus calls it holds, the native messages it got. */
    private static final class Service implements NodeHandler {
        final LinkedBlockingQueue<Delivery> held = new LinkedBlockingQueue<>();
        final LinkedBlockingQueue<Delivery> messages = new LinkedBlockingQueue<>();
        CapbusClient client;

        @Override
        public void onMessage(Node node, Delivery d) {
            if (!d.isDBus()) {
                messages.add(d);
                return;
            }
            try {
                switch (d.dbusMessage().getName()) {
                    case "Echo" -> client.replyDBus(d, "s", d.dbusMessage().getParameters()[0]);
                    case "Hold" -> held.add(d);
                    default -> client.replyDBusError(d, "org.freedesktop.DBus.Error.UnknownMethod", "no");
                }
            } catch (org.freedesktop.dbus.exceptions.DBusException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Test
    void nativeConnectionsKeepTheirHandlesNamesAndTrafficAcrossAnUpgrade() throws Throwable {
        Path launcher = upgrades.launcher();
        try (TestBus bus = TestBus.startWithEnvironment(BusKind.CAPBUS, Upgrades.environment(launcher));
             // There all along (it makes the bus's native bridge, which stays): the level is taken after it.
             CapbusClient bystander = CapbusClient.connect(bus.address())) {
            Map<String, Long> before = NativeAccountsIT.accounts(bus);
            Service svc = new Service();
            CapbusClient s = CapbusClient.connect(bus.address());
            svc.client = s;
            CapbusClient c = CapbusClient.connect(bus.address());
            CapbusClient sink = CapbusClient.connect(bus.address());
            java.util.concurrent.CountDownLatch sinkReads = new java.util.concurrent.CountDownLatch(1);
            Path file = Files.createTempFile("capbus-upgrade-native", ".txt");
            Files.writeString(file, "passed-on");
            Clients.Background python = Clients.start(bus, Clients.PYTHON, "-c", HELD_SERVICE);
            Clients.Background heldCall = null;
            try (RawNative raw = RawNative.connect(bus);
                 RawNative negotiating = RawNative.negotiate(bus)) {
                python.awaitStdout("READY");
                Set<Long> idsOfS = new HashSet<>();
                Set<Long> idsOfC = new HashSet<>();
                idsOfS.add(s.root().id());
                idsOfC.add(c.root().id());

                Node svcNode = NativeProtocolIT.await(s.createNode(svc));
                idsOfS.add(svcNode.handle().id());
                assertThat(NativeProtocolIT.await(s.registerName(SERVICE, svcNode, 0x4))).isEqualTo(1);
                NativeProtocolIT.Recorder p1 = new NativeProtocolIT.Recorder();
                NativeProtocolIT.Recorder p2 = new NativeProtocolIT.Recorder();
                Node perClient1 = NativeProtocolIT.await(s.createNode(p1));
                Node perClient2 = NativeProtocolIT.await(s.createNode(p2));
                idsOfS.add(perClient1.handle().id());
                idsOfS.add(perClient2.handle().id());
                Handle toPython = NativeProtocolIT.await(s.resolve(PYTHON));
                idsOfS.add(toPython.id());

                // A sink that stops reading at its first message: what the service sends it next waits in the bus
                // (socket buffer and core queue), descriptors included, when the upgrade comes.
                List<String> sunk = Collections.synchronizedList(new ArrayList<>());
                List<Long> sinkSequences = Collections.synchronizedList(new ArrayList<>());
                Node sinkNode = NativeProtocolIT.await(sink.createNode((n, d) -> {
                    try {
                        sinkReads.await(120, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    String text = utf8(d.payload()).strip();
                    for (int fd : d.fds()) {
                        try {
                            text += " fd:" + Files.readString(Path.of("/proc/self/fd/" + fd));
                        } catch (IOException e) {
                            text += " fd:unreadable";
                        }
                        sink.closeFd(fd);
                    }
                    sunk.add(text);
                    sinkSequences.add(d.sequence());
                }));
                Handle sinkToSvc = NativeProtocolIT.await(sink.resolve(SERVICE));
                NativeProtocolIT.await(sink.send(sinkToSvc, utf8("sink"), sinkNode.handle()));
                Handle toSink = NativeProtocolIT.take(svc.messages).handles().get(0);
                int fd = NativeProtocolIT.openForPassing(file);
                int queued = 300;
                for (int i = 0; i < queued; i++) {
                    byte[] payload = java.util.Arrays.copyOf(utf8("q" + i), 4096);
                    java.util.Arrays.fill(payload, utf8("q" + i).length, payload.length, (byte) ' ');
                    NativeProtocolIT.await(i < 10 ? s.send(toSink, payload, new int[] {fd}) : s.send(toSink, payload));
                }
                s.closeFd(fd);

                // A native match rule.
                LinkedBlockingQueue<String> signals = new LinkedBlockingQueue<>();
                c.onSignal(m -> signals.add(m.getName()));
                NativeProtocolIT.await(c.addMatch("type='signal',interface='org.capbus.TestSignal'"));

                // The client finds the service, gives it a node of its own; the service gives it two nodes.
                NativeProtocolIT.Recorder mine = new NativeProtocolIT.Recorder();
                Node cNode = NativeProtocolIT.await(c.createNode(mine));
                idsOfC.add(cNode.handle().id());
                Handle toSvc = NativeProtocolIT.await(c.resolve(SERVICE));
                idsOfC.add(toSvc.id());
                Set<Long> destroyedAtC = Collections.synchronizedSet(new HashSet<>());
                c.onHandleDestroyed(h -> destroyedAtC.add(h.id()));
                NativeProtocolIT.await(c.send(toSvc, utf8("hello"), cNode.handle()));
                Delivery hello = NativeProtocolIT.take(svc.messages);
                Handle toC = hello.handles().get(0);
                idsOfS.add(toC.id());
                NativeProtocolIT.await(s.send(toC, utf8("yours"), perClient1.handle(), perClient2.handle()));
                Delivery yours = NativeProtocolIT.take(mine.messages);
                Handle toP1 = yours.handles().get(0);
                Handle toP2 = yours.handles().get(1);
                idsOfC.add(toP1.id());
                idsOfC.add(toP2.id());

                // Calls pending at the upgrade: gdbus to the native service, the native service to python.
                heldCall = Clients.start(bus, "gdbus", "call", "--session", "--timeout", "120", "--dest", SERVICE,
                        "--object-path", "/x", "--method", "org.capbus.Test.Hold");
                Delivery held = NativeProtocolIT.take(svc.held);
                CompletableFuture<Object[]> pendingNative = s.callDBus(PYTHON, "/t", IFACE, "Hold", "s",
                        "native-call-answered");
                python.awaitStdout("HELD native-call-answered");
                // A frame half written when the upgrade comes.
                long rawToSvc = raw.resolve(SERVICE);
                byte[] split = RawNative.frame(0x0002, 0, 99, new long[] {rawToSvc}, utf8("split-frame"));
                raw.write(split, 0, 30);

                long newPid = upgrades.upgrade(bus.pid());
                assertThat(newPid).isNotEqualTo(bus.pid());

                raw.write(split, 30, split.length - 30);
                // A client that had negotiated the protocol but not yet sent BEGIN goes on where it was.
                assertThat(negotiating.begin()).startsWith(":1.");
                assertThat(raw.replyStatus(99)).as("the split SEND's reply").isZero();
                assertThat(utf8(NativeProtocolIT.take(svc.messages).payload())).isEqualTo("split-frame");
                NativeProtocolIT.await(c.send(toSvc, utf8("after-split")));
                assertThat(utf8(NativeProtocolIT.take(svc.messages).payload()))
                        .as("the split frame arrived once").isEqualTo("after-split");

                // The same unique names, the same ids: sends through the old handles both ways.
                assertThat(Clients.runOk(bus, "gdbus", "call", "--session", "-d", "org.freedesktop.DBus", "-o",
                        "/org/freedesktop/DBus", "-m", "org.freedesktop.DBus.GetNameOwner", SERVICE).stdout())
                        .contains(s.uniqueName());
                assertThat(Clients.runOk(bus, "gdbus", "call", "--session", "-d", "org.freedesktop.DBus", "-o",
                        "/org/freedesktop/DBus", "-m", "org.freedesktop.DBus.NameHasOwner", c.uniqueName())
                        .stdout()).contains("true");
                NativeProtocolIT.await(s.send(toC, utf8("to-client")));
                assertThat(utf8(NativeProtocolIT.take(mine.messages).payload())).isEqualTo("to-client");
                NativeProtocolIT.await(c.send(toP1, utf8("to-p1")));
                assertThat(utf8(NativeProtocolIT.take(p1.messages).payload())).isEqualTo("to-p1");
                NativeProtocolIT.await(c.send(toSvc, utf8("to-service")));
                assertThat(utf8(NativeProtocolIT.take(svc.messages).payload())).isEqualTo("to-service");
                // Resolving again merges into the handle held: the same id, so it still names python's root.
                assertThat(NativeProtocolIT.await(s.resolve(PYTHON))).isEqualTo(toPython);
                assertThat(NativeProtocolIT.await(c.resolve(SERVICE))).isEqualTo(toSvc);

                // A gdbus call to the native service's name, and the calls pending at the upgrade answered.
                assertThat(Clients.runOk(bus, "gdbus", "call", "--session", "--dest", SERVICE, "--object-path",
                        "/x", "--method", "org.capbus.Test.Echo", "after").stdout().trim())
                        .isEqualTo("('after',)");
                NativeProtocolIT.await(s.replyDBus(held, "s", "held-answered"));
                assertThat(heldCall.process().waitFor(20, TimeUnit.SECONDS)).isTrue();
                assertThat(heldCall.stdout().trim()).as(heldCall.stderr()).isEqualTo("('held-answered',)");
                assertThat(Clients.runOk(bus, "gdbus", "call", "--session", "--dest", PYTHON, "--object-path",
                        "/t", "--method", IFACE + ".Release").stdout()).contains("1");
                assertThat(NativeProtocolIT.await(pendingNative)).containsExactly("native-call-answered");

                // NodeReleased when the holder lets go, NodeDestroyed when the owner destroys.
                NativeProtocolIT.await(c.release(toP1));
                assertThat(NativeProtocolIT.take(p1.notifications)).isEqualTo("released");
                NativeProtocolIT.await(s.destroy(perClient2));
                assertThat(NativeProtocolIT.take(p2.notifications)).isEqualTo("destroyed");
                Await.until(() -> destroyedAtC.contains(toP2.id()), () -> "NodeDestroyed of " + toP2
                        + " at the client: " + destroyedAtC);

                // The native match rule still selects.
                Clients.runOk(bus, "gdbus", "emit", "--session", "--object-path", "/x", "--signal",
                        "org.capbus.TestSignal.Ping");
                assertThat(NativeProtocolIT.take(signals)).isEqualTo("Ping");

                // What waited for the sink arrives once each, in order, the descriptors with it.
                sinkReads.countDown();
                Await.until(() -> sunk.size() >= queued, () -> sunk.size() + " of " + queued + " at the sink");
                List<String> expected = new ArrayList<>();
                for (int i = 0; i < queued; i++) {
                    expected.add("q" + i + (i < 10 ? " fd:passed-on" : ""));
                }
                assertThat(sunk).isEqualTo(expected);
                assertThat(sinkSequences).isSorted().doesNotHaveDuplicates();

                // Ids made after the upgrade are new ones.
                long newOfS = NativeProtocolIT.await(s.createNode(new NativeProtocolIT.Recorder())).handle().id();
                long newOfC = NativeProtocolIT.await(c.createNode(new NativeProtocolIT.Recorder())).handle().id();
                assertThat(newOfS).isGreaterThan(Collections.max(idsOfS));
                assertThat(newOfC).isGreaterThan(Collections.max(idsOfC));
            } finally {
                if (heldCall != null) {
                    heldCall.close();
                }
                sinkReads.countDown();
                s.close();
                c.close();
                sink.close();
                python.close();
                Files.deleteIfExists(file);
            }
            Await.until(() -> NativeAccountsIT.accounts(bus).equals(before), () -> "accounts not back to their"
                    + " level:\nbefore " + before + "\nnow    " + NativeAccountsIT.accounts(bus));
        }
    }

    @Test
    void aCapbusThatDoesNotKnowTheNativeSectionRefusesAndTheOldBusKeepsItsNativeClients() throws Exception {
        Path launcher = upgrades.launcher();
        // "An older binary": one that reads format 1 but knows no section 9.
        Upgrades.useLauncher(launcher, "CAPBUS_HANDOVER_UNKNOWN_SECTIONS=9 exec "
                + BusKind.CAPBUS.executable() + " \"$@\"");
        try (TestBus bus = TestBus.startWithEnvironment(BusKind.CAPBUS, Upgrades.environment(launcher))) {
            Service svc = new Service();
            CapbusClient s = CapbusClient.connect(bus.address());
            svc.client = s;
            CapbusClient c = CapbusClient.connect(bus.address());
            try {
                Node svcNode = NativeProtocolIT.await(s.createNode(svc));
                assertThat(NativeProtocolIT.await(s.registerName(SERVICE, svcNode, 0x4))).isEqualTo(1);
                Handle toSvc = NativeProtocolIT.await(c.resolve(SERVICE));

                ClientResult refused = Upgrades.command(bus.pid());
                assertThat(refused.exitCode()).as(refused.describe()).isEqualTo(1);
                assertThat(refused.stdout()).startsWith("failed: ").contains("required section 9");
                assertThat(bus.stderr()).contains("live upgrade failed, this process goes on serving");

                NativeProtocolIT.await(c.send(toSvc, utf8("still-here")));
                assertThat(utf8(NativeProtocolIT.take(svc.messages).payload())).isEqualTo("still-here");
                assertThat(Clients.runOk(bus, "gdbus", "call", "--session", "--dest", SERVICE, "--object-path",
                        "/x", "--method", "org.capbus.Test.Echo", "served").stdout().trim())
                        .isEqualTo("('served',)");
                assertThat(Clients.runOk(bus, "gdbus", "call", "--session", "-d", "org.freedesktop.DBus", "-o",
                        "/org/freedesktop/DBus", "-m", "org.freedesktop.DBus.GetConnectionUnixProcessID",
                        "org.freedesktop.DBus").stdout()).as("the same process serves")
                        .contains(" " + bus.pid() + ",");
            } finally {
                s.close();
                c.close();
            }
            // Without a native connection there is no section 9: the same binary takes over.
            Await.until(() -> !Clients.runOk(bus, "gdbus", "call", "--session", "-d", "org.freedesktop.DBus",
                    "-o", "/org/freedesktop/DBus", "-m", "org.freedesktop.DBus.ListNames").stdout()
                    .contains(SERVICE), () -> SERVICE + " still owned");
            upgrades.upgrade(bus.pid());
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /**
     * A native-protocol connection written by hand (docs/native-protocol.md), to write a frame in two parts; blocking,
     * used from the test thread only.
     */
    private static final class RawNative implements AutoCloseable {
        private final SocketChannel channel;
        /** Reads wait here, with a bound, so that a bus that does not answer fails the test instead of hanging it. */
        private final java.nio.channels.Selector selector;
        private long nextRequest = 1;

        private RawNative(SocketChannel channel) throws IOException {
            this.channel = channel;
            this.selector = java.nio.channels.Selector.open();
            channel.configureBlocking(false);
            channel.register(selector, java.nio.channels.SelectionKey.OP_READ);
        }

        /** One read, after waiting at most 30 s for something to read. */
        private int read(ByteBuffer b) throws IOException {
            while (true) {
                int n = channel.read(b);
                if (n != 0) {
                    return n;
                }
                if (selector.select(30_000) == 0) {
                    throw new IOException("nothing from the bus within 30 s");
                }
                selector.selectedKeys().clear();
            }
        }

        static RawNative connect(TestBus bus) throws IOException {
            RawNative r = negotiate(bus);
            r.begin();
            return r;
        }

        /** Authenticates and negotiates the native protocol, without BEGIN yet. */
        static RawNative negotiate(TestBus bus) throws IOException {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(bus.socket()));
            RawNative r = new RawNative(ch);
            StringBuilder hexUid = new StringBuilder();
            for (byte b : Integer.toString(RawConnection.uid()).getBytes(StandardCharsets.US_ASCII)) {
                hexUid.append(String.format("%02x", b));
            }
            r.write(("\0AUTH EXTERNAL " + hexUid + "\r\n").getBytes(StandardCharsets.US_ASCII));
            assertThat(r.readLine()).startsWith("OK ");
            r.write("NEGOTIATE_CAPBUS_NATIVE 1\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(r.readLine()).isEqualTo("AGREE_CAPBUS_NATIVE 1");
            return r;
        }

        /** BEGIN: the WELCOME frame's unique name. */
        String begin() throws IOException {
            write("BEGIN\r\n".getBytes(StandardCharsets.US_ASCII));
            ByteBuffer welcome = readFrame();
            assertThat(welcome.getShort(4) & 0xFFFF).as("WELCOME").isEqualTo(0x8001);
            int ids = 8 * ((welcome.getShort(16) & 0xFFFF) + (welcome.getShort(18) & 0xFFFF));
            return new String(welcome.array(), 24 + ids, welcome.capacity() - 24 - ids, StandardCharsets.UTF_8);
        }

        /** A request frame: the 24-byte little-endian header, target ids, payload. */
        static byte[] frame(int operation, int flags, long requestId, long[] targets, byte[] payload) {
            ByteBuffer b = ByteBuffer.allocate(24 + 8 * targets.length + payload.length).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(b.capacity()).putShort((short) operation).putShort((short) flags).putLong(requestId)
                    .putShort((short) targets.length).putShort((short) 0).putShort((short) 0).putShort((short) 0);
            for (long t : targets) {
                b.putLong(t);
            }
            b.put(payload);
            return b.array();
        }

        /** RESOLVE_NAME: the handle id. */
        long resolve(String name) throws IOException {
            long id = nextRequest++;
            write(frame(0x0007, 0, id, new long[0], utf8(name)));
            ByteBuffer reply = readReply(id);
            assertThat(reply.getInt(24 + 8 * (reply.getShort(16) & 0xFFFF))).as("RESOLVE_NAME status").isZero();
            return reply.getLong(24);
        }

        /** The status of the REPLY to request {@code id}. */
        int replyStatus(long id) throws IOException {
            ByteBuffer reply = readReply(id);
            return reply.getInt(24 + 8 * (reply.getShort(16) & 0xFFFF));
        }

        private ByteBuffer readReply(long id) throws IOException {
            while (true) {
                ByteBuffer f = readFrame();
                if ((f.getShort(4) & 0xFFFF) == 0x8000 && f.getLong(8) == id) {
                    return f;
                }
            }
        }

        void write(byte[] bytes) throws IOException {
            write(bytes, 0, bytes.length);
        }

        void write(byte[] bytes, int offset, int length) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(bytes, offset, length);
            while (b.hasRemaining()) {
                channel.write(b);
            }
        }

        private String readLine() throws IOException {
            StringBuilder line = new StringBuilder();
            ByteBuffer one = ByteBuffer.allocate(1);
            while (true) {
                one.clear();
                if (read(one) < 0) {
                    throw new IOException("closed by the bus");
                }
                char ch = (char) one.get(0);
                if (ch == '\n') {
                    return line.toString().strip();
                }
                line.append(ch);
            }
        }

        private ByteBuffer readFrame() throws IOException {
            ByteBuffer length = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            readFully(length);
            ByteBuffer f = ByteBuffer.allocate(length.getInt(0)).order(ByteOrder.LITTLE_ENDIAN);
            f.put(length.array());
            readFully(f);
            return f;
        }

        private void readFully(ByteBuffer b) throws IOException {
            while (b.hasRemaining()) {
                if (read(b) < 0) {
                    throw new IOException("closed by the bus");
                }
            }
        }

        @Override
        public void close() throws IOException {
            selector.close();
            channel.close();
        }
    }
}
