package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import org.capbus.client.CapbusClient;
import org.capbus.client.CapbusException;
import org.capbus.client.Delivery;
import org.capbus.client.Handle;
import org.capbus.client.Node;
import org.capbus.client.NodeHandler;
import org.capbus.client.Status;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The core's semantics seen over sockets, with seeded random sequences of operations by several native connections
 * (as the core's own randomised tests, but through the protocol): one global order at every receiver, one sequence
 * number per multicast at all its receivers, causality, failed sends delivering nothing, NodeDestroyed to every
 * holder; and the same order at native and D-Bus receivers of events from both worlds.
 */
class NativeSemanticsIT {
    private static final TestBus.Shared BUSES = new TestBus.Shared();
    private static final int CLIENTS = 4;
    private static final int NODES_PER_CLIENT = 2;
    private static final int STEPS = 150;

    @AfterAll
    static void stopBuses() {
        BUSES.close();
    }

    /** One received event at one connection. */
    record Event(long sequence, String message, long node) {
    }

    /** A connection under test, with what it received. */
    static final class Party implements NodeHandler {
        final CapbusClient client;
        final List<Event> events = new CopyOnWriteArrayList<>();
        final AtomicLong lastSequence = new AtomicLong();
        final List<Node> nodes = new ArrayList<>();
        final Set<Handle> destroyedHandles = ConcurrentHashMap.newKeySet();
        /** Handles to every node, by its name. */
        final Map<String, Handle> handles = new HashMap<>();

        Party(CapbusClient client) {
            this.client = client;
            client.onHandleDestroyed(destroyedHandles::add);
        }

        @Override
        public void onMessage(Node node, Delivery d) {
            events.add(new Event(d.sequence(), new String(d.payload(), StandardCharsets.UTF_8), node.handle().id()));
            lastSequence.accumulateAndGet(d.sequence(), Math::max);
        }

        @Override
        public void onDestroyed(Node node) {
            destroyedHandles.add(node.handle());
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void shouldKeepTheCoresOrderOverSockets(long seed) throws Exception {
        TestBus bus = BUSES.get(BusKind.CAPBUS);
        Random random = new Random(seed);
        List<Party> parties = new ArrayList<>();
        Map<String, Party> ownerOf = new HashMap<>();
        try {
            for (int i = 0; i < CLIENTS; i++) {
                Party p = new Party(CapbusClient.connect(bus.address()));
                parties.add(p);
                for (int j = 0; j < NODES_PER_CLIENT; j++) {
                    Node n = NativeProtocolIT.await(p.client.createNode(p));
                    p.nodes.add(n);
                    String name = "org.capbus.test.S" + seed + ".C" + i + ".N" + j;
                    assertThat(NativeProtocolIT.await(p.client.registerName(name, n, 0x4))).isEqualTo(1);
                    ownerOf.put(name, p);
                }
            }
            List<String> names = new ArrayList<>(ownerOf.keySet());
            names.sort(null);
            for (Party p : parties) {
                for (String name : names) {
                    p.handles.put(name, NativeProtocolIT.await(p.client.resolve(name)));
                }
            }
            Map<String, Long> seenBySenderBefore = new HashMap<>();
            Map<String, List<String>> expectedReceivers = new HashMap<>();
            Set<String> destroyed = new java.util.HashSet<>();
            int failedSends = 0;
            for (int step = 0; step < STEPS; step++) {
                Party sender = parties.get(random.nextInt(CLIENTS));
                if (random.nextInt(40) == 0) {
                    // Destroy one of the sender's nodes.
                    int j = random.nextInt(NODES_PER_CLIENT);
                    String name = "org.capbus.test.S" + seed + ".C" + parties.indexOf(sender) + ".N" + j;
                    if (destroyed.add(name)) {
                        NativeProtocolIT.await(sender.client.destroy(sender.nodes.get(j)));
                    }
                    continue;
                }
                int count = 1 + random.nextInt(4);
                List<String> targets = new ArrayList<>();
                for (int k = 0; k < count; k++) {
                    targets.add(names.get(random.nextInt(names.size())));
                }
                List<Handle> handles = targets.stream().map(sender.handles::get).toList();
                String id = "m" + seed + "." + step;
                seenBySenderBefore.put(id, sender.lastSequence.get());
                boolean anyDestroyed = targets.stream().anyMatch(destroyed::contains);
                if (random.nextBoolean()) {
                    int[] results = NativeProtocolIT.await(sender.client.sendEach(handles, bytes(id)));
                    List<String> got = new ArrayList<>();
                    for (int k = 0; k < count; k++) {
                        boolean dead = destroyed.contains(targets.get(k));
                        assertThat(results[k]).as("destination %s of %s", targets.get(k), id)
                                .isEqualTo(dead ? Status.DESTROYED : Status.OK);
                        if (!dead) {
                            got.add(targets.get(k));
                        }
                    }
                    expectedReceivers.put(id, got);
                } else {
                    try {
                        NativeProtocolIT.await(sender.client.sendAll(handles, bytes(id)));
                        assertThat(anyDestroyed).as("all-or-nothing %s succeeded", id).isFalse();
                        expectedReceivers.put(id, targets);
                    } catch (CapbusException e) {
                        assertThat(anyDestroyed).as("%s failed: %s", id, e.getMessage()).isTrue();
                        assertThat(e.status()).isEqualTo(Status.DESTROYED);
                        expectedReceivers.put(id, List.of());
                        failedSends++;
                    }
                }
            }
            // Every expected copy arrives (and nothing else).
            Map<String, Integer> expectedCopies = new HashMap<>();
            expectedReceivers.values().forEach(rs -> rs.forEach(n -> expectedCopies.merge(n, 1, Integer::sum)));
            Await.until(() -> {
                for (Party p : parties) {
                    int want = 0;
                    for (int j = 0; j < NODES_PER_CLIENT; j++) {
                        want += expectedCopies.getOrDefault(
                                "org.capbus.test.S" + seed + ".C" + parties.indexOf(p) + ".N" + j, 0);
                    }
                    if (p.events.size() < want) {
                        return false;
                    }
                }
                return true;
            }, () -> "not every expected copy arrived");

            Map<String, Long> sequenceOf = new HashMap<>();
            for (Party p : parties) {
                long previous = 0;
                Map<String, Integer> copies = new HashMap<>();
                for (Event e : p.events) {
                    // One global order: non-decreasing at every receiver (two copies of one multicast share a number).
                    assertThat(e.sequence()).as("order at %s", p.client.uniqueName()).isGreaterThanOrEqualTo(previous);
                    previous = e.sequence();
                    // One multicast, one sequence number, at every receiver.
                    Long known = sequenceOf.putIfAbsent(e.message(), e.sequence());
                    assertThat(known == null ? e.sequence() : known).as("sequence of %s", e.message())
                            .isEqualTo(e.sequence());
                    // Causality: ordered after everything its sender had received when it sent it.
                    assertThat(e.sequence()).as("causality of %s", e.message())
                            .isGreaterThan(seenBySenderBefore.get(e.message()));
                    copies.merge(e.message(), 1, Integer::sum);
                }
                // Exactly the copies the sends reported, and none of a failed send.
                for (Map.Entry<String, List<String>> x : expectedReceivers.entrySet()) {
                    int want = 0;
                    for (String n : x.getValue()) {
                        if (ownerOf.get(n) == p) {
                            want++;
                        }
                    }
                    assertThat(copies.getOrDefault(x.getKey(), 0)).as("copies of %s at %s", x.getKey(),
                            p.client.uniqueName()).isEqualTo(want);
                }
            }
            // Every holder of a destroyed node heard NodeDestroyed.
            for (String name : destroyed) {
                for (Party p : parties) {
                    Handle h = p.handles.get(name);
                    Await.until(() -> p.destroyedHandles.contains(h),
                            () -> p.client.uniqueName() + " did not hear NodeDestroyed for " + name);
                }
            }
            assertThat(failedSends + expectedReceivers.size()).isPositive();
        } finally {
            for (Party p : parties) {
                p.client.close();
            }
        }
    }

    private static final int DBUS_ROUNDS = 40;
    private static final int NATIVE_TICKS = 80;
    private static final java.util.regex.Pattern MONITOR_TICK =
            java.util.regex.Pattern.compile("member=Tick\\n\\s+string \"([^\"]*)\"");

    /**
     * One order across both worlds: a native service and a D-Bus client (python3-dbus) emit signals, interleaved
     * (the native side from a thread of its own, and in answer to the D-Bus client's calls), and three receivers of
     * different kinds see every one of them in the same order: a D-Bus subscriber (python3-dbus match rule), a
     * native subscriber (AddMatch through the protocol) and dbus-monitor. Causality crosses the worlds: the D-Bus
     * client's {@code d<i>} comes before the native answer {@code s<i>} it caused, which comes before {@code d<i+1>}.
     */
    @org.junit.jupiter.api.Test
    void shouldShowEveryReceiverOfBothWorldsTheSameOrder() throws Exception {
        TestBus bus = BUSES.get(BusKind.CAPBUS);
        String rule = "type='signal',interface='org.capbus.Order',member='Tick'";
        String python = String.join("\n",
                "import dbus, dbus.mainloop.glib",
                "from gi.repository import GLib",
                "dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)",
                "b = dbus.SessionBus()",
                "loop = GLib.MainLoop()",
                "def tick(s):",
                "    print(s, flush=True)",
                "    if s == 'end':",
                "        loop.quit()",
                "b.add_signal_receiver(tick, signal_name='Tick', dbus_interface='org.capbus.Order')",
                "b.call_blocking('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'GetId', '', [])",
                "print('READY', flush=True)",
                "loop.run()");
        List<String> nativeSeen = new CopyOnWriteArrayList<>();
        try (CapbusClient service = CapbusClient.connect(bus.address());
             CapbusClient observer = CapbusClient.connect(bus.address());
             Clients.Background dbusObserver = Clients.start(bus, Clients.PYTHON, "-c", python);
             Clients.Background monitor = Clients.start(bus, "dbus-monitor", "--session", rule)) {
            observer.onSignal(m -> {
                try {
                    nativeSeen.add((String) m.getParameters()[0]);
                } catch (org.freedesktop.dbus.exceptions.DBusException e) {
                    nativeSeen.add(e.toString());
                }
            });
            NativeProtocolIT.await(observer.addMatch(rule));
            // The native service answers Ping(s) by emitting s<i>, then replying.
            java.util.function.Consumer<Delivery> ping = d -> {
                if (!d.isDBus() || d.replyHandle() == null) {
                    return;
                }
                try {
                    String c = (String) d.dbusMessage().getParameters()[0];
                    service.emitSignal("/org/capbus/Order", "org.capbus.Order", "Tick", "s", "s" + c.substring(1));
                    service.replyDBus(d, "s", c);
                } catch (org.freedesktop.dbus.exceptions.DBusException e) {
                    service.replyDBusError(d, "org.capbus.test.Error", e.toString());
                }
            };
            Node node = NativeProtocolIT.await(service.createNode((n, d) -> ping.accept(d)));
            service.onRootMessage(ping);
            assertThat(NativeProtocolIT.await(service.registerName("org.capbus.test.OrderNative", node, 0x4)))
                    .isEqualTo(1);
            dbusObserver.awaitStdout("READY");
            Await.until(() -> monitor.stdout().contains("NameAcquired") || monitor.stdout().contains("member="),
                    () -> "dbus-monitor did not start: " + monitor.stdout());

            try (Clients.Background dbusClient = Clients.start(bus, Clients.PYTHON, "-c", String.join("\n",
                    "import dbus, dbus.lowlevel",
                    "b = dbus.SessionBus()",
                    "print('STARTED', flush=True)",
                    "for i in range(" + DBUS_ROUNDS + "):",
                    "    m = dbus.lowlevel.SignalMessage('/org/capbus/Order', 'org.capbus.Order', 'Tick')",
                    "    m.append('d%d' % i, signature='s')",
                    "    b.send_message(m)",
                    "    b.call_blocking('org.capbus.test.OrderNative', '/org/capbus/Order', 'org.capbus.Order',"
                            + " 'Ping', 's', ['c%d' % i])",
                    "print('DONE', flush=True)"))) {
                dbusClient.awaitStdout("STARTED");
                for (int i = 0; i < NATIVE_TICKS; i++) {
                    NativeProtocolIT.await(service.emitSignal("/org/capbus/Order", "org.capbus.Order", "Tick", "s",
                            "n" + i));
                }
                dbusClient.awaitStdout("DONE");
            }
            NativeProtocolIT.await(service.emitSignal("/org/capbus/Order", "org.capbus.Order", "Tick", "s", "end"));

            int total = 2 * DBUS_ROUNDS + NATIVE_TICKS + 1;
            Await.until(() -> nativeSeen.size() >= total, () -> "the native observer saw " + nativeSeen);
            assertThat(dbusObserver.awaitExit()).isZero();
            Await.until(() -> monitor.stdout().contains("string \"end\""), () -> "the monitor saw " + monitor.stdout());
            List<String> dbusSeen = dbusObserver.stdout().lines().dropWhile(l -> !l.equals("READY")).skip(1).toList();
            List<String> monitorSeen = new ArrayList<>();
            java.util.regex.Matcher m = MONITOR_TICK.matcher(monitor.stdout());
            while (m.find()) {
                monitorSeen.add(m.group(1));
            }
            assertThat(nativeSeen).hasSize(total).endsWith("end").doesNotHaveDuplicates();
            assertThat(dbusSeen).as("the D-Bus subscriber's order").isEqualTo(nativeSeen);
            assertThat(monitorSeen).as("dbus-monitor's order").isEqualTo(nativeSeen);
            for (int i = 0; i < DBUS_ROUNDS; i++) {
                assertThat(nativeSeen.indexOf("d" + i)).as("d%d before s%d", i, i)
                        .isLessThan(nativeSeen.indexOf("s" + i));
                if (i + 1 < DBUS_ROUNDS) {
                    assertThat(nativeSeen.indexOf("s" + i)).as("s%d before d%d", i, i + 1)
                            .isLessThan(nativeSeen.indexOf("d" + (i + 1)));
                }
            }
            for (int i = 0; i + 1 < NATIVE_TICKS; i++) {
                assertThat(nativeSeen.indexOf("n" + i)).isLessThan(nativeSeen.indexOf("n" + (i + 1)));
            }
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
