package org.capbus.dbus.bus;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Long random sequences of {@link MatchIndex} operations (add, remove, remove a rule never added, remove every rule
 * of a subscriber, move a well-known name) interleaved with messages, over rules of every kind: {@code type},
 * {@code sender} (unique, well-known, the driver), {@code interface}, {@code member}, {@code path},
 * {@code path_namespace}, {@code destination}, {@code eavesdrop}, {@code arg0..argN}, {@code argNpath} and
 * {@code arg0namespace}. After every step the index must agree with a model that is a plain list of (subscriber,
 * rule) pairs scanned linearly: the recipients of each message, each subscriber's rules in order, and the counts.
 * Rules come from a small vocabulary so that the same rule is added, removed and added again often (the churn GDBus
 * produces). A failure names its seed and step; replay it by running this test with that seed alone.
 */
class MatchIndexRandomizedTest {
    private static final int STEPS = 6000;

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 42, 1234, 99991, 20260101, -7})
    void shouldSelectWhatALinearScanSelectsOverRandomChanges(long seed) {
        Run run = new Run(seed);
        try {
            run.run();
        } catch (AssertionError e) {
            throw new AssertionError("seed " + seed + ", step " + run.step + ": " + e.getMessage(), e);
        }
    }

    /** One subscription in the model, in the order it was added. */
    private record Subscription(TestConnection subscriber, MatchRule rule) {
    }

    private static final class Run {
        final SplittableRandom random;
        final MatchIndex<TestConnection> index = new MatchIndex<>();
        final NameRegistry<TestConnection> names = new NameRegistry<>();
        final List<Subscription> model = new ArrayList<>();
        final List<Subscription> recentlyRemoved = new ArrayList<>();
        final TestConnection[] connections = new TestConnection[12];
        final String[] wellKnown = {"org.n.A", "org.n.B", "org.n.C"};
        int step;
        long selected;
        long selectedUnicast;
        int removedAgain;

        Run(long seed) {
            this.random = new SplittableRandom(seed);
            for (int i = 0; i < connections.length; i++) {
                connections[i] = new TestConnection(":1." + i);
            }
        }

        void run() {
            for (step = 0; step < STEPS; step++) {
                int op = random.nextInt(100);
                if (op < 35) {
                    add();
                } else if (op < 55) {
                    removeExisting();
                } else if (op < 60) {
                    removeMissing();
                } else if (op < 62) {
                    removeAll();
                } else if (op < 65) {
                    moveName();
                } else {
                    route();
                }
                checkCounts();
            }
            // Guard against a vacuous run: the index was exercised both ways.
            assertThat(selected).as("broadcast selections").isGreaterThan(1000);
            assertThat(selectedUnicast).as("eavesdropped selections").isGreaterThan(100);
            assertThat(removedAgain).as("rules re-added after removal").isGreaterThan(100);
        }

        private void add() {
            Subscription added;
            if (!recentlyRemoved.isEmpty() && random.nextInt(3) == 0) {
                // GDBus's pattern: a rule removed a moment ago comes back, on the same connection.
                added = recentlyRemoved.remove(random.nextInt(recentlyRemoved.size()));
                removedAgain++;
            } else {
                added = new Subscription(connection(), randomRule());
            }
            index.add(added.subscriber, added.rule);
            model.add(added);
        }

        private void removeExisting() {
            if (model.isEmpty()) {
                return;
            }
            Subscription victim = model.get(random.nextInt(model.size()));
            // RemoveMatch parses the text again: remove by an equal rule, not by the same object.
            MatchRule again = reparse(victim.rule);
            assertThat(index.remove(victim.subscriber, again)).as("remove %s of %s", again, victim.subscriber)
                    .isTrue();
            for (int i = 0; i < model.size(); i++) {
                Subscription s = model.get(i);
                if (s.subscriber == victim.subscriber && s.rule.equals(again)) {
                    model.remove(i);
                    if (recentlyRemoved.size() == 16) {
                        recentlyRemoved.removeFirst();
                    }
                    recentlyRemoved.add(s);
                    break;
                }
            }
        }

        private void removeMissing() {
            TestConnection who = connection();
            MatchRule rule = randomRule();
            boolean present = false;
            for (Subscription s : model) {
                if (s.subscriber == who && s.rule.equals(rule)) {
                    present = true;
                    break;
                }
            }
            if (!present) {
                assertThat(index.remove(who, rule)).as("remove %s never added by %s", rule, who).isFalse();
            }
        }

        private void removeAll() {
            TestConnection who = connection();
            int expected = (int) model.stream().filter(s -> s.subscriber == who).count();
            assertThat(index.removeAll(who)).isEqualTo(expected);
            model.removeIf(s -> s.subscriber == who);
        }

        private void moveName() {
            String name = wellKnown[random.nextInt(wellKnown.length)];
            if (random.nextInt(4) == 0) {
                TestConnection owner = names.primaryOwner(name);
                if (owner != null) {
                    names.releaseName(name, owner);
                }
            } else {
                names.requestName(name, connection(), NameRegistry.REPLACE_EXISTING);
            }
        }

        private void route() {
            TestMessage m = randomMessage();
            TestConnection addressed = null;
            if (m.destination != null && random.nextInt(5) != 0) {
                addressed = m.destination.startsWith(":") ? connections[Integer.parseInt(m.destination.substring(3))]
                        : names.primaryOwner(m.destination);
            }
            String addressedName = addressed == null ? null : addressed.uniqueName();
            Set<TestConnection> expected = new HashSet<>();
            for (Subscription s : model) {
                if (s.subscriber != addressed && s.rule.matches(m, addressedName, names)) {
                    expected.add(s.subscriber);
                }
            }
            List<TestConnection> got = new ArrayList<>();
            int count = index.collectRecipients(m, addressed, names, got::add);
            assertThat(count).isEqualTo(got.size());
            assertThat(got).as("message %s", m).doesNotHaveDuplicates();
            assertThat(new HashSet<>(got)).as("message %s addressed to %s", m, addressed).isEqualTo(expected);
            selected += got.size();
            if (m.destination != null) {
                selectedUnicast += got.size();
            }
        }

        private void checkCounts() {
            Map<TestConnection, List<MatchRule>> bySubscriber = new LinkedHashMap<>();
            int withoutSender = 0;
            for (Subscription s : model) {
                bySubscriber.computeIfAbsent(s.subscriber, k -> new ArrayList<>()).add(s.rule);
                if (s.rule.sender() == null) {
                    withoutSender++;
                }
            }
            assertThat(index.totalRules()).isEqualTo(model.size());
            assertThat(index.rulesWithoutSender()).isEqualTo(withoutSender);
            assertThat(index.subscriberCount()).isEqualTo(bySubscriber.size());
            TestConnection who = connection();
            List<MatchRule> rules = bySubscriber.getOrDefault(who, List.of());
            assertThat(index.ruleCount(who)).isEqualTo(rules.size());
            assertThat(index.rulesOf(who)).containsExactlyElementsOf(rules);
        }

        private TestConnection connection() {
            return connections[random.nextInt(connections.length)];
        }

        private static MatchRule reparse(MatchRule rule) {
            MatchRuleParseResult result = MatchRule.parse(rule.toString());
            assertThat(result.isValid()).as("%s: %s", rule, result.message()).isTrue();
            assertThat(result.rule()).isEqualTo(rule);
            return result.rule();
        }

        /** A rule of a few keys from a small vocabulary, so that equal rules recur. */
        private MatchRule randomRule() {
            List<String> parts = new ArrayList<>();
            if (random.nextInt(3) == 0) {
                parts.add("type='" + pick("signal", "method_call", "method_return", "error") + "'");
            }
            switch (random.nextInt(8)) {
                case 0 -> parts.add("sender='" + connection().uniqueName() + "'");
                case 1 -> parts.add("sender='" + pick(wellKnown) + "'");
                case 2 -> parts.add("sender='org.freedesktop.DBus'");
                default -> { }
            }
            if (random.nextInt(3) == 0) {
                parts.add("interface='" + pick("a.I0", "a.I1") + "'");
            }
            if (random.nextInt(2) == 0) {
                parts.add("member='" + pick("M0", "M1", "M2") + "'");
            }
            switch (random.nextInt(5)) {
                case 0 -> parts.add("path='" + pick("/", "/a", "/a/b") + "'");
                case 1 -> parts.add("path_namespace='" + pick("/", "/a", "/a/b") + "'");
                default -> { }
            }
            if (random.nextInt(4) == 0) {
                parts.add("eavesdrop='true'");
            }
            if (random.nextInt(6) == 0) {
                // A destination without eavesdrop matches nothing; the index must still file and remove it.
                parts.add("destination='" + (random.nextBoolean() ? connection().uniqueName() : pick(wellKnown))
                        + "'");
            }
            int args = random.nextInt(4);
            Set<Integer> used = new HashSet<>();
            for (int i = 0; i < args; i++) {
                int n = random.nextInt(4) == 0 ? random.nextInt(64) : random.nextInt(3);
                if (!used.add(n)) {
                    continue;
                }
                switch (random.nextInt(n == 0 ? 4 : 3)) {
                    case 0, 1 -> parts.add("arg" + n + "='" + pick("x", "y", "org.n.A", "/a/") + "'");
                    case 2 -> parts.add("arg" + n + "path='" + pick("/", "/a/", "/a/b", "/a") + "'");
                    default -> parts.add("arg0namespace='" + pick("org", "org.n", "org.n.A") + "'");
                }
            }
            java.util.Collections.shuffle(parts, new java.util.Random(random.nextLong()));
            MatchRuleParseResult result = MatchRule.parse(String.join(",", parts));
            assertThat(result.isValid()).as("%s: %s", parts, result.message()).isTrue();
            return result.rule();
        }

        private TestMessage randomMessage() {
            TestMessage m = new TestMessage();
            m.type = 1 + random.nextInt(4);
            m.sender = random.nextInt(10) == 0 ? BusNames.BUS_NAME : connection().uniqueName();
            m.interfaceName = random.nextInt(5) == 0 ? null : pick("a.I0", "a.I1", "a.I2");
            m.member = random.nextInt(5) == 0 ? null : pick("M0", "M1", "M2", "M3");
            m.path = random.nextInt(6) == 0 ? null : pick("/", "/a", "/a/b", "/a/b/c", "/ab");
            if (random.nextInt(3) == 0) {
                m.destination = random.nextBoolean() ? connection().uniqueName() : pick(wellKnown);
            }
            int args = random.nextInt(4) == 0 ? random.nextInt(65) : random.nextInt(4);
            for (int n = 0; n < args; n++) {
                switch (random.nextInt(6)) {
                    case 0 -> m.pathArg(n, pick("/", "/a/", "/a/b", "/a", "/a/b/c"));
                    case 1 -> { } // a non-string argument: absent for matching
                    default -> m.arg(n, pick("x", "y", "org.n.A", "org.n", "org", "org.nn", "/a/", "/a/b", "/"));
                }
            }
            return m;
        }

        private String pick(String... options) {
            return options[random.nextInt(options.length)];
        }
    }
}
