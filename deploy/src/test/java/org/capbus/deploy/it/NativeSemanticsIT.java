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
 * holder.
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

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
