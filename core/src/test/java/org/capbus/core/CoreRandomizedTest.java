package org.capbus.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Long random sequences of every core operation over several peers and users, with fixed seeds, checking every
 * invariant after each step against an independent model of what each peer must receive. A failure names its seed
 * and step; replay it by running this test with that seed alone.
 */
class CoreRandomizedTest {
    private static final int STEPS = 3000;
    private static final Limits USER_LIMITS = new Limits(6000, 60, 40, 40);
    private static final Limits PEER_LIMITS = new Limits(3000, 30, 20, 20);

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 42, 1234, 99991, 20250101, -7})
    void shouldKeepEveryInvariantOverRandomOperations(long seed) {
        new Run(seed).run();
    }

    /** A message the model says is queued to a peer, in its queue's order. */
    private record Expected(long sequence, int id, Node node, Message message, Node[] carried, User sender) {
    }

    private static final class Run {
        final long seed;
        final SplittableRandom random;
        final Core core = new Core(USER_LIMITS, PEER_LIMITS);
        final List<User> users = new ArrayList<>();
        final List<Peer> peers = new ArrayList<>();
        final List<Node> nodes = new ArrayList<>();
        final Map<Peer, List<Handle>> seen = new IdentityHashMap<>();
        final Map<Peer, ArrayDeque<Expected>> expected = new IdentityHashMap<>();
        final Map<Peer, Long> lastReceived = new IdentityHashMap<>();
        final Map<Peer, Set<Node>> destroyedSeen = new IdentityHashMap<>();
        final Map<Peer, Set<Node>> destroyedExpected = new IdentityHashMap<>();
        final Map<Node, Long> destroySequence = new IdentityHashMap<>();
        final Set<Peer> told = new HashSet<>();
        int step;
        int nextMessageId;
        int discards;
        int quotaFailures;
        int deliveries;

        Run(long seed) {
            this.seed = seed;
            this.random = new SplittableRandom(seed);
            for (int u = 0; u < 3; u++) {
                users.add(core.user(1000 + u));
            }
            core.setDiscardListener(this::onDiscard);
            for (int p = 0; p < 6; p++) {
                addPeer();
            }
        }

        void check(boolean condition, String what) {
            if (!condition) {
                throw new AssertionError("seed " + seed + " step " + step + ": " + what);
            }
        }

        Peer addPeer() {
            Peer p = core.createPeer(users.get(random.nextInt(users.size())), told::add);
            peers.add(p);
            seen.put(p, new ArrayList<>());
            expected.put(p, new ArrayDeque<>());
            lastReceived.put(p, 0L);
            destroyedSeen.put(p, new HashSet<>());
            destroyedExpected.put(p, new HashSet<>());
            return p;
        }

        void run() {
            for (step = 0; step < STEPS; step++) {
                Set<Peer> emptyBefore = new HashSet<>();
                for (Peer p : peers) {
                    if (!p.hasQueued()) {
                        emptyBefore.add(p);
                    }
                }
                told.clear();
                boolean drained = oneOperation();
                recordDestructions();
                checkListeners(emptyBefore, drained);
                checkAccounts();
            }
            // Drain everything, then every holder must have heard of every destruction it was owed.
            for (Peer p : peers) {
                if (p.isConnected()) {
                    p.drain(new Checker(p, Integer.MAX_VALUE));
                    check(destroyedSeen.get(p).containsAll(destroyedExpected.get(p)),
                            "peer " + p.id() + " missed NodeDestroyed");
                }
            }
            for (Peer p : peers) {
                p.disconnect();
                recordDestructions();
                checkAccounts();
            }
            for (User u : users) {
                check(u.account.isEmpty(), "user account not zero at the end: " + u);
            }
            check(core.peerCount() == 0 && core.nodeCount() == 0 && core.handleCount() == 0,
                    "core counts not zero at the end");
            for (Peer p : peers) {
                check(p.account.isEmpty(), "peer account not zero at the end: " + p);
                check(expected.get(p).isEmpty(), "undelivered expectation at " + p);
            }
            check(deliveries > 500, "too few deliveries to mean anything: " + deliveries);
            check(quotaFailures > 0, "quota never reached: the limits are too loose to test it");
        }

        /** Performs one random operation; returns whether it was a drain (which never makes a queue ready). */
        boolean oneOperation() {
            Peer p = randomConnectedPeer();
            int op = random.nextInt(100);
            if (op < 8) {
                Handle h = p.createNode("node");
                seen.get(p).add(h);
                nodes.add(h.node());
            } else if (op < 12) {
                Handle own = randomHandle(p, true);
                if (own != null) {
                    expectDestruction(own.node(), null);
                    p.destroyNode(own);
                }
            } else if (op < 40) {
                unicast(p);
            } else if (op < 55) {
                multicast(p);
            } else if (op < 63) {
                Handle mine = randomHandle(p, false);
                Peer to = randomConnectedPeer();
                if (mine != null) {
                    Handle got = p.grant(mine, to);
                    check((got == null) == mine.node().isDestroyed(), "grant result vs destruction");
                    if (got != null) {
                        check(got.holder() == to && got.node() == mine.node(), "grant installed wrong handle");
                        seen.get(to).add(got);
                    }
                }
            } else if (op < 70) {
                Handle h = randomHandle(p, false);
                if (h != null) {
                    boolean ownLast = h.node().owner() == p && h.count() == 1 && !h.node().isDestroyed();
                    if (ownLast) {
                        expectDestruction(h.node(), p);
                    }
                    p.release(h);
                }
            } else if (op < 98) {
                int budget = random.nextInt(4) == 0 ? Integer.MAX_VALUE : 1 + random.nextInt(4);
                p.drain(new Checker(p, budget));
                return true;
            } else {
                for (Handle h : seen.get(p)) {
                    if (h.node().owner() == p && !h.node().isDestroyed()) {
                        expectDestruction(h.node(), p);
                    }
                }
                p.disconnect();
                addPeer();
            }
            return false;
        }

        /** Every connected peer holding a handle to {@code node}, except {@code excluded}, must hear of its end. */
        void expectDestruction(Node node, Peer excluded) {
            if (node.isDestroyed()) {
                return;
            }
            for (Peer q : peers) {
                if (q != excluded && q.isConnected() && q.handleTo(node) != null) {
                    destroyedExpected.get(q).add(node);
                }
            }
        }

        void recordDestructions() {
            for (Node n : nodes) {
                if (n.isDestroyed() && !destroySequence.containsKey(n)) {
                    destroySequence.put(n, core.lastSequence());
                }
            }
        }

        Message randomMessage(Peer p, List<Node> carried) {
            int count = random.nextInt(5) == 0 ? 1 + random.nextInt(2) : 0;
            Handle[] handles = new Handle[count];
            for (int i = 0; i < count; i++) {
                Handle h = random.nextInt(20) == 0 ? randomHandle(randomConnectedPeer(), false) : randomHandle(p, false);
                if (h == null) {
                    carried.clear();
                    return new Message(nextMessageId++, 1 + random.nextInt(300), null, random.nextInt(3));
                }
                handles[i] = h;
                carried.add(h.node());
            }
            return new Message(nextMessageId++, 1 + random.nextInt(300), handles, random.nextInt(3));
        }

        void unicast(Peer p) {
            Handle to = randomDestination(p);
            if (to == null) {
                return;
            }
            List<Node> carried = new ArrayList<>();
            Message m = randomMessage(p, carried);
            Snapshot before = new Snapshot();
            int code = p.send(to, m);
            checkOutcome(p, to, m, code);
            if (code == SendResult.OK) {
                check(core.lastSequence() == before.sequence + 1, "one sequence per transaction");
                expect(p, to, m, carried);
            } else {
                check(before.equals(new Snapshot()), "failed unicast changed something: code " + code);
            }
        }

        void multicast(Peer p) {
            int count = 1 + random.nextInt(5);
            Handle[] to = new Handle[count];
            for (int i = 0; i < count; i++) {
                to[i] = randomDestination(p);
                if (to[i] == null) {
                    return;
                }
            }
            List<Node> carried = new ArrayList<>();
            Message m = randomMessage(p, carried);
            boolean each = random.nextBoolean();
            int[] results = new int[count];
            Snapshot before = new Snapshot();
            int code = p.send(to, count, m, each ? SendResult.CONTINUE_ON_ERROR : 0, results);
            if (!each) {
                if (code == SendResult.OK) {
                    for (Handle h : to) {
                        expect(p, h, m, carried);
                    }
                } else {
                    if (code == SendResult.QUOTA) {
                        quotaFailures++;
                    }
                    check(before.equals(new Snapshot()), "failed multicast changed something: code " + code);
                }
                return;
            }
            int first = SendResult.OK;
            boolean any = false;
            for (int i = 0; i < count; i++) {
                checkOutcome(p, to[i], m, results[i]);
                if (results[i] == SendResult.OK) {
                    any = true;
                    expect(p, to[i], m, carried);
                } else if (first == SendResult.OK) {
                    first = results[i];
                }
            }
            check(code == first, "multicast returned " + code + " but first failure was " + first);
            if (!any) {
                check(before.equals(new Snapshot()), "multicast that delivered nothing changed something");
            } else {
                check(core.lastSequence() == before.sequence + 1, "one sequence per multicast");
            }
        }

        /** A result code must agree with what is observable about the destination. */
        void checkOutcome(Peer p, Handle to, Message m, int code) {
            boolean carriedValid = true;
            for (Handle h : m.handles()) {
                carriedValid &= h.holder() == p && h.isValid();
            }
            boolean destinationValid = to.holder() == p && to.isValid();
            switch (code) {
                case SendResult.OK -> check(carriedValid && destinationValid && !to.node().isDestroyed(),
                        "send succeeded through an invalid handle or to a destroyed node");
                case SendResult.INVALID_HANDLE -> check(!carriedValid || !destinationValid, "spurious INVALID_HANDLE");
                case SendResult.DESTROYED -> check(to.node().isDestroyed(), "spurious DESTROYED");
                case SendResult.QUOTA -> {
                    quotaFailures++;
                    check(carriedValid && destinationValid && !to.node().isDestroyed(), "QUOTA hides another failure");
                }
                default -> check(false, "unexpected code " + code);
            }
        }

        void expect(Peer sender, Handle to, Message m, List<Node> carried) {
            check(core.lastSequence() > lastReceived.get(sender), "causality: send ordered before what it received");
            Node node = to.node();
            expected.get(node.owner()).add(new Expected(core.lastSequence(), (Integer) m.payload(), node, m,
                    carried.toArray(new Node[0]), sender.user()));
        }

        Handle randomDestination(Peer p) {
            // Mostly own valid handles; sometimes a released one or another peer's, to provoke INVALID_HANDLE.
            if (random.nextInt(25) == 0) {
                Peer other = peers.get(random.nextInt(peers.size()));
                List<Handle> list = seen.get(other);
                return list.isEmpty() ? null : list.get(random.nextInt(list.size()));
            }
            return randomHandle(p, false);
        }

        Handle randomHandle(Peer p, boolean ownNodesOnly) {
            List<Handle> list = seen.get(p);
            list.removeIf(h -> !h.isValid());
            if (ownNodesOnly) {
                List<Handle> own = new ArrayList<>();
                for (Handle h : list) {
                    if (h.node().owner() == p) {
                        own.add(h);
                    }
                }
                list = own;
            }
            return list.isEmpty() ? null : list.get(random.nextInt(list.size()));
        }

        Peer randomConnectedPeer() {
            while (true) {
                Peer p = peers.get(random.nextInt(peers.size()));
                if (p.isConnected()) {
                    return p;
                }
            }
        }

        void onDiscard(Peer receiver, Message message) {
            Expected e = expected.get(receiver).poll();
            check(e != null && e.message() == message, "discarded a message that was not next in the queue");
            discards++;
        }

        void checkListeners(Set<Peer> emptyBefore, boolean drained) {
            for (Peer p : peers) {
                boolean shouldTell = !drained && emptyBefore.contains(p) && p.hasQueued();
                check(told.contains(p) == shouldTell, "queue listener of peer " + p.id() + " told=" + told.contains(p)
                        + " but expected " + shouldTell);
            }
        }

        /** Every account holds exactly what the model says is queued, per sending user, and stays within limits. */
        void checkAccounts() {
            // The core's own counts (what Debug.Stats reports) agree with a walk over the model.
            int connected = 0;
            long handles = 0;
            for (Peer p : peers) {
                if (p.isConnected()) {
                    connected++;
                    handles += p.handleCount();
                }
            }
            check(core.peerCount() == connected, "peer count " + core.peerCount() + ", connected " + connected);
            check(core.handleCount() == handles, "handle count " + core.handleCount() + ", held " + handles);
            long live = nodes.stream().filter(n -> !n.isDestroyed()).count();
            check(core.nodeCount() == live, "node count " + core.nodeCount() + ", not destroyed " + live);
            Map<User, long[]> perUser = new HashMap<>();
            for (Peer p : peers) {
                long[] total = new long[4];
                Map<User, long[]> bySender = new HashMap<>();
                for (Expected e : expected.get(p)) {
                    long[] charge = {e.message().size(), 1, e.message().handles().length, e.message().fdCount()};
                    add(total, charge);
                    add(bySender.computeIfAbsent(e.sender(), u -> new long[4]), charge);
                    add(perUser.computeIfAbsent(p.user(), u -> new long[4]), charge);
                }
                checkAccount(p.account, total, bySender, PEER_LIMITS, "peer " + p.id());
            }
            for (User u : users) {
                long[] total = perUser.getOrDefault(u, new long[4]);
                Map<User, long[]> bySender = new HashMap<>();
                for (Peer p : peers) {
                    if (p.user() == u) {
                        for (Expected e : expected.get(p)) {
                            add(bySender.computeIfAbsent(e.sender(), x -> new long[4]),
                                    new long[] {e.message().size(), 1, e.message().handles().length,
                                            e.message().fdCount()});
                        }
                    }
                }
                checkAccount(u.account, total, bySender, USER_LIMITS, "user " + u.uid());
            }
        }

        void checkAccount(Account a, long[] total, Map<User, long[]> bySender, Limits limits, String what) {
            check(a.bytes == total[0] && a.messages == total[1] && a.handles == total[2] && a.fds == total[3],
                    what + " account " + a.bytes + "/" + a.messages + "/" + a.handles + "/" + a.fds
                            + " but queued " + total[0] + "/" + total[1] + "/" + total[2] + "/" + total[3]);
            check(a.bytes <= limits.bytes() && a.messages <= limits.messages() && a.handles <= limits.handles()
                    && a.fds <= limits.fds(), what + " over its limits");
            check(a.chargingUsers() == bySender.size(), what + " counts " + a.chargingUsers() + " charging users");
            for (Map.Entry<User, long[]> e : bySender.entrySet()) {
                Usage u = a.usage(e.getKey());
                long[] s = e.getValue();
                check(u.bytes == s[0] && u.messages == s[1] && u.handles == s[2] && u.fds == s[3],
                        what + " usage of " + e.getKey() + " differs from what it queued");
            }
        }

        static void add(long[] into, long[] what) {
            for (int i = 0; i < 4; i++) {
                into[i] += what[i];
            }
        }

        /** Everything a failed send must leave untouched. */
        final class Snapshot {
            final long sequence = core.lastSequence();
            final List<Long> state = new ArrayList<>();

            Snapshot() {
                for (Peer p : peers) {
                    state.add((long) p.queuedCount());
                    state.add(p.account.bytes + 31 * p.account.messages + 961 * p.account.handles);
                    state.add((long) p.handleCount());
                    for (Handle h : seen.get(p)) {
                        state.add((long) h.count());
                    }
                }
                for (User u : users) {
                    state.add(u.account.bytes);
                    state.add(u.account.messages);
                    state.add(u.account.fds);
                }
            }

            @Override
            public boolean equals(Object o) {
                return o instanceof Snapshot s && s.sequence == sequence && s.state.equals(state);
            }

            @Override
            public int hashCode() {
                return state.hashCode();
            }
        }

        /** Checks each event a peer receives against the model and the ordering invariants. */
        final class Checker implements Receiver {
            final Peer peer;
            int budget;

            Checker(Peer peer, int budget) {
                this.peer = peer;
                this.budget = budget;
            }

            void ordered(long sequence) {
                check(sequence >= lastReceived.get(peer), "peer " + peer.id() + " received " + sequence + " after "
                        + lastReceived.get(peer) + ": not in global order");
                check(sequence <= core.lastSequence(), "event from the future");
                lastReceived.put(peer, sequence);
            }

            @Override
            public boolean onMessage(long sequence, Handle destination, Message message, Handle[] transferred) {
                ordered(sequence);
                deliveries++;
                Expected e = expected.get(peer).poll();
                check(e != null && e.message() == message && e.sequence() == sequence && e.node() == destination.node(),
                        "peer " + peer.id() + " got message " + message.payload() + "@" + sequence + " but expected "
                                + (e == null ? "nothing" : e.id() + "@" + e.sequence()));
                check(destination.node().owner() == peer, "delivered to a node of another peer");
                check(!destroyedSeen.get(peer).contains(destination.node()),
                        "message to a node after its NodeDestroyed");
                check(transferred.length == e.carried().length, "transferred length");
                for (int j = 0; j < transferred.length; j++) {
                    Node n = e.carried()[j];
                    Long destroyedAt = destroySequence.get(n);
                    boolean destroyedBefore = destroyedAt != null && destroyedAt < sequence;
                    check((transferred[j] == null) == destroyedBefore, "transferred entry " + j + " null="
                            + (transferred[j] == null) + " but destroyed before=" + destroyedBefore);
                    if (transferred[j] != null) {
                        check(transferred[j].holder() == peer && transferred[j].node() == n,
                                "transferred handle installed wrongly");
                        check(!destroyedSeen.get(peer).contains(n), "valid handle after its NodeDestroyed");
                        seen.get(peer).add(transferred[j]);
                    }
                }
                return --budget > 0;
            }

            @Override
            public boolean onNodeDestroyed(long sequence, Handle handle) {
                ordered(sequence);
                Node n = handle.node();
                check(handle.holder() == peer, "NodeDestroyed for another peer's handle");
                check(n.isDestroyed(), "NodeDestroyed for a live node");
                Long at = destroySequence.get(n);
                check(at != null && at == sequence, "NodeDestroyed not at its destruction's sequence");
                check(destroyedSeen.get(peer).add(n), "NodeDestroyed twice");
                return --budget > 0;
            }

            @Override
            public boolean onNodeReleased(long sequence, Handle ownerHandle) {
                ordered(sequence);
                Node n = ownerHandle.node();
                check(n.owner() == peer, "NodeReleased to a peer that does not own the node");
                Long at = destroySequence.get(n);
                check(at == null || at > sequence, "NodeReleased after destruction");
                return --budget > 0;
            }
        }
    }
}
