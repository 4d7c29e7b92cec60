package org.capbus.dbus.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.capbus.dbus.bus.NameRegistry.ALLOW_REPLACEMENT;
import static org.capbus.dbus.bus.NameRegistry.DO_NOT_QUEUE;
import static org.capbus.dbus.bus.NameRegistry.REPLACE_EXISTING;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NameRegistryTest {

    private static final String NAME = "com.example.Service";

    private final NameRegistry<TestConnection> registry = new NameRegistry<>();
    private final TestConnection p = new TestConnection(":1.1");
    private final TestConnection q = new TestConnection(":1.2");
    private final TestConnection c = new TestConnection(":1.3");
    private final Map<String, TestConnection> byLetter = Map.of("P", p, "Q", q, "C", c);

    @Test
    void shouldMakeFirstRequesterPrimaryOwnerAndAnnounceCreation() {
        RequestNameResult<TestConnection> result = registry.requestName(NAME, p, 0);

        assertThat(result.reply()).isEqualTo(RequestNameReply.PRIMARY_OWNER);
        assertThat(result.reply().code()).isEqualTo(1);
        assertThat(result.changes()).containsExactly(new NameOwnerChange<>(NAME, null, p));
        assertThat(registry.primaryOwner(NAME)).isSameAs(p);
        assertThat(registry.primaryOwnerOf(NAME)).isEqualTo(":1.1");
        assertThat(registry.names()).containsExactly(NAME);
    }

    /**
     * The specification's RequestName table, every cell: primary owner P (flags {@code pf}) with Q queued behind
     * it (flags 0), and caller C requesting with {@code cf}. Queue shows the owners afterwards, primary first.
     */
    @ParameterizedTest(name = "primary flags {0}, caller flags {1} -> {2} [{3}] {4}")
    @CsvSource({
            // P does not allow replacement: C is queued (REPLACE_EXISTING jumps to second place) or refused.
            "0, 0, IN_QUEUE, P Q C, ''",
            "0, 1, IN_QUEUE, P Q C, ''",
            "0, 2, IN_QUEUE, P C Q, ''",
            "0, 3, IN_QUEUE, P C Q, ''",
            "0, 4, EXISTS, P Q, ''",
            "0, 5, EXISTS, P Q, ''",
            "0, 6, EXISTS, P Q, ''",
            "0, 7, EXISTS, P Q, ''",
            "4, 0, IN_QUEUE, P Q C, ''",
            "4, 1, IN_QUEUE, P Q C, ''",
            "4, 2, IN_QUEUE, P C Q, ''",
            "4, 3, IN_QUEUE, P C Q, ''",
            "4, 4, EXISTS, P Q, ''",
            "4, 5, EXISTS, P Q, ''",
            "4, 6, EXISTS, P Q, ''",
            "4, 7, EXISTS, P Q, ''",
            // P allows replacement and may be queued: REPLACE_EXISTING takes the name, P goes second.
            "1, 0, IN_QUEUE, P Q C, ''",
            "1, 1, IN_QUEUE, P Q C, ''",
            "1, 2, PRIMARY_OWNER, C P Q, P>C",
            "1, 3, PRIMARY_OWNER, C P Q, P>C",
            "1, 4, EXISTS, P Q, ''",
            "1, 5, EXISTS, P Q, ''",
            "1, 6, PRIMARY_OWNER, C P Q, P>C",
            "1, 7, PRIMARY_OWNER, C P Q, P>C",
            // P allows replacement with DO_NOT_QUEUE: when replaced it loses the name altogether.
            "5, 0, IN_QUEUE, P Q C, ''",
            "5, 1, IN_QUEUE, P Q C, ''",
            "5, 2, PRIMARY_OWNER, C Q, P>C",
            "5, 3, PRIMARY_OWNER, C Q, P>C",
            "5, 4, EXISTS, P Q, ''",
            "5, 5, EXISTS, P Q, ''",
            "5, 6, PRIMARY_OWNER, C Q, P>C",
            "5, 7, PRIMARY_OWNER, C Q, P>C",
    })
    void shouldFollowTheRequestNameTable(int primaryFlags, int callerFlags, RequestNameReply reply, String queue,
                                         String change) {
        registry.requestName(NAME, p, primaryFlags);
        registry.requestName(NAME, q, 0);

        RequestNameResult<TestConnection> result = registry.requestName(NAME, c, callerFlags);

        assertThat(result.reply()).isEqualTo(reply);
        assertThat(registry.queuedOwners(NAME)).containsExactlyElementsOf(owners(queue));
        if (change.isEmpty()) {
            assertThat(result.changes()).isEmpty();
        } else {
            List<TestConnection> ends = owners(change.replace('>', ' '));
            assertThat(result.changes()).containsExactly(new NameOwnerChange<>(NAME, ends.get(0), ends.get(1)));
        }
        assertThat(registry.primaryNamesOf(registry.primaryOwner(NAME).uniqueName())).containsExactly(NAME);
        if (registry.primaryOwner(NAME) != p) {
            assertThat(registry.primaryNamesOf(p.uniqueName())).isEmpty();
        }
    }

    @Test
    void shouldAnswerAlreadyOwnerAndReplaceTheFlags() {
        registry.requestName(NAME, p, 0);

        RequestNameResult<TestConnection> again = registry.requestName(NAME, p, ALLOW_REPLACEMENT);
        RequestNameResult<TestConnection> taken = registry.requestName(NAME, c, REPLACE_EXISTING);

        assertThat(again.reply()).isEqualTo(RequestNameReply.ALREADY_OWNER);
        assertThat(again.changes()).isEmpty();
        assertThat(taken.reply()).isEqualTo(RequestNameReply.PRIMARY_OWNER);
        assertThat(registry.queuedOwners(NAME)).containsExactly(c, p);
    }

    @Test
    void shouldDropQueuedCallerThatAsksAgainWithDoNotQueue() {
        registry.requestName(NAME, p, 0);
        registry.requestName(NAME, c, 0);

        RequestNameResult<TestConnection> result = registry.requestName(NAME, c, DO_NOT_QUEUE);

        assertThat(result.reply()).isEqualTo(RequestNameReply.EXISTS);
        assertThat(registry.queuedOwners(NAME)).containsExactly(p);
        assertThat(registry.ownedNameCount(c)).isZero();
    }

    @Test
    void shouldUpdateFlagsOfQueuedCallerWithoutMovingIt() {
        registry.requestName(NAME, p, 0);
        registry.requestName(NAME, c, 0);
        registry.requestName(NAME, q, 0);

        RequestNameResult<TestConnection> result = registry.requestName(NAME, c, ALLOW_REPLACEMENT);

        assertThat(result.reply()).isEqualTo(RequestNameReply.IN_QUEUE);
        assertThat(registry.queuedOwners(NAME)).containsExactly(p, c, q);
        assertThat(registry.flagsOf(NAME, c)).isEqualTo(ALLOW_REPLACEMENT);
    }

    @Test
    void shouldLetQueuedCallerTakeOverFromThirdPlace() {
        registry.requestName(NAME, p, ALLOW_REPLACEMENT);
        registry.requestName(NAME, q, 0);
        registry.requestName(NAME, c, 0);

        RequestNameResult<TestConnection> result = registry.requestName(NAME, c, REPLACE_EXISTING);

        assertThat(result.reply()).isEqualTo(RequestNameReply.PRIMARY_OWNER);
        assertThat(result.changes()).containsExactly(new NameOwnerChange<>(NAME, p, c));
        assertThat(registry.queuedOwners(NAME)).containsExactly(c, p, q);
    }

    @Test
    void shouldPromoteNextInQueueWhenPrimaryOwnerReleases() {
        registry.requestName(NAME, p, 0);
        registry.requestName(NAME, q, 0);
        registry.requestName(NAME, c, 0);

        ReleaseNameResult<TestConnection> result = registry.releaseName(NAME, p);

        assertThat(result.reply()).isEqualTo(ReleaseNameReply.RELEASED);
        assertThat(result.reply().code()).isEqualTo(1);
        assertThat(result.changes()).containsExactly(new NameOwnerChange<>(NAME, p, q));
        assertThat(registry.queuedOwners(NAME)).containsExactly(q, c);
        assertThat(registry.primaryNamesOf(":1.2")).containsExactly(NAME);
        assertThat(registry.primaryNamesOf(":1.1")).isEmpty();
    }

    @Test
    void shouldDeleteNameWhenLastOwnerReleases() {
        registry.requestName(NAME, p, 0);

        ReleaseNameResult<TestConnection> result = registry.releaseName(NAME, p);

        assertThat(result.changes()).containsExactly(new NameOwnerChange<>(NAME, p, null));
        assertThat(registry.hasOwner(NAME)).isFalse();
        assertThat(registry.names()).isEmpty();
        assertThat(registry.primaryOwner(NAME)).isNull();
        assertThat(registry.primaryOwnerOf(NAME)).isNull();
        assertThat(registry.queuedOwners(NAME)).isEmpty();
        assertThat(registry.ownedNameCount(p)).isZero();
    }

    @Test
    void shouldReleaseQueueEntrySilently() {
        registry.requestName(NAME, p, 0);
        registry.requestName(NAME, c, 0);

        ReleaseNameResult<TestConnection> result = registry.releaseName(NAME, c);

        assertThat(result.reply()).isEqualTo(ReleaseNameReply.RELEASED);
        assertThat(result.changes()).isEmpty();
        assertThat(registry.queuedOwners(NAME)).containsExactly(p);
    }

    @Test
    void shouldAnswerNonExistentAndNotOwner() {
        assertThat(registry.releaseName(NAME, p).reply()).isEqualTo(ReleaseNameReply.NON_EXISTENT);
        registry.requestName(NAME, p, 0);
        ReleaseNameResult<TestConnection> result = registry.releaseName(NAME, c);
        assertThat(result.reply()).isEqualTo(ReleaseNameReply.NOT_OWNER);
        assertThat(result.reply().code()).isEqualTo(3);
        assertThat(ReleaseNameReply.NON_EXISTENT.code()).isEqualTo(2);
        assertThat(registry.queuedOwners(NAME)).containsExactly(p);
    }

    @Test
    void shouldReleaseEverythingOnDisconnectInReverseOrderOfEntry() {
        registry.requestName("com.example.A", p, 0);
        registry.requestName("com.example.B", q, 0);
        registry.requestName("com.example.B", p, 0); // queued behind q
        registry.requestName("com.example.C", p, 0);
        registry.requestName("com.example.C", c, 0);
        registry.requestName("com.example.D", c, 0);
        registry.requestName("com.example.D", p, 0); // queued behind c

        List<NameOwnerChange<TestConnection>> changes = registry.removeOwner(p);

        assertThat(changes).containsExactly(
                new NameOwnerChange<>("com.example.C", p, c),
                new NameOwnerChange<>("com.example.A", p, null));
        assertThat(registry.names()).containsExactlyInAnyOrder("com.example.B", "com.example.C", "com.example.D");
        assertThat(registry.queuedOwners("com.example.B")).containsExactly(q);
        assertThat(registry.queuedOwners("com.example.D")).containsExactly(c);
        assertThat(registry.ownedNameCount(p)).isZero();
        assertThat(registry.primaryNames(p)).isEmpty();
        assertThat(registry.primaryNamesOf(":1.3")).containsExactlyInAnyOrder("com.example.C", "com.example.D");
        assertThat(registry.removeOwner(p)).isEmpty();
    }

    @Test
    void shouldUseReacquisitionOrderForDisconnect() {
        registry.requestName("com.example.A", p, 0);
        registry.requestName("com.example.B", p, 0);
        registry.releaseName("com.example.A", p);
        registry.requestName("com.example.A", p, 0);

        List<NameOwnerChange<TestConnection>> changes = registry.removeOwner(p);

        assertThat(changes).extracting(NameOwnerChange::name).containsExactly("com.example.A", "com.example.B");
    }

    @Test
    void shouldCountQueueEntriesAsOwnedNames() {
        registry.requestName("com.example.A", p, 0);
        registry.requestName("com.example.B", q, 0);
        registry.requestName("com.example.B", p, 0);

        assertThat(registry.ownedNameCount(p)).isEqualTo(2);
        assertThat(registry.primaryNames(p)).containsExactly("com.example.A");
        assertThat(registry.ownedNameCount(c)).isZero();
        assertThat(registry.flagsOf("com.example.A", c)).isEqualTo(-1);
        assertThat(registry.flagsOf("com.example.X", c)).isEqualTo(-1);
    }

    @Test
    void shouldCountEveryQueueEntryOfEveryNameAsAnEntry() {
        registry.requestName("com.example.A", p, 0);
        registry.requestName("com.example.A", q, 0);
        registry.requestName("com.example.B", q, 0);
        registry.requestName("com.example.B", q, 0);
        assertThat(registry.entryCount()).isEqualTo(3);

        registry.releaseName("com.example.A", p);
        assertThat(registry.entryCount()).isEqualTo(2);
        registry.requestName("com.example.A", c, DO_NOT_QUEUE);
        assertThat(registry.entryCount()).isEqualTo(2);
        registry.removeOwner(q);
        assertThat(registry.entryCount()).isZero();
    }

    @Test
    void shouldKeepPrimaryNamesConsistentUnderRandomOperations() {
        long seed = 0x5eed_0001L;
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        TestConnection[] conns = new TestConnection[6];
        for (int i = 0; i < conns.length; i++) {
            conns[i] = new TestConnection(":1." + (10 + i));
        }
        String[] names = {"a.A", "a.B", "a.C", "a.D"};
        for (int step = 0; step < 5_000; step++) {
            TestConnection who = conns[random.nextInt(conns.length)];
            String name = names[random.nextInt(names.length)];
            switch (random.nextInt(10)) {
                case 0 -> registry.removeOwner(who);
                case 1, 2 -> registry.releaseName(name, who);
                default -> registry.requestName(name, who, random.nextInt(8));
            }
            int entries = 0;
            for (TestConnection conn : conns) {
                entries += registry.ownedNameCount(conn);
            }
            assertThat(registry.entryCount()).as("seed %x step %d", seed, step).isEqualTo(entries);
            for (TestConnection conn : conns) {
                int owned = 0;
                for (String n : names) {
                    List<TestConnection> queue = registry.queuedOwners(n);
                    assertThat(queue).as("seed %x step %d", seed, step).doesNotHaveDuplicates();
                    if (queue.contains(conn)) {
                        owned++;
                    }
                    boolean primary = !queue.isEmpty() && queue.getFirst() == conn;
                    assertThat(registry.primaryNamesOf(conn.uniqueName()).contains(n))
                            .as("seed %x step %d", seed, step).isEqualTo(primary);
                }
                assertThat(registry.ownedNameCount(conn)).as("seed %x step %d", seed, step).isEqualTo(owned);
            }
        }
    }

    private List<TestConnection> owners(String letters) {
        return Arrays.stream(letters.trim().split("\\s+")).map(byLetter::get).toList();
    }
}
