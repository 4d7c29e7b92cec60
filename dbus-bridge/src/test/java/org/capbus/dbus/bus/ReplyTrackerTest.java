package org.capbus.dbus.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.capbus.dbus.bus.ReplyTracker.ExpectResult;
import org.capbus.dbus.bus.ReplyTracker.ReplyResult;
import org.junit.jupiter.api.Test;

class ReplyTrackerTest {

    private record NoReply(String caller, int serial, String callee) {
    }

    private final ReplyTracker<String> tracker = new ReplyTracker<>(128, 0);
    private final List<NoReply> noReplies = new ArrayList<>();
    private final ReplyTracker.NoReplySink<String> sink = (caller, serial, callee) ->
            noReplies.add(new NoReply(caller, serial, callee));

    @Test
    void shouldAcceptExpectedReplyExactlyOnce() {
        ReplyEndpoint<String> c = tracker.register("C");
        ReplyEndpoint<String> e = tracker.register("E");

        assertThat(tracker.expectReply(c, 7, e, 0)).isEqualTo(ExpectResult.ADDED);
        assertThat(tracker.isExpected(c, 7, e)).isTrue();
        assertThat(c.pendingCount()).isEqualTo(1);
        assertThat(e.owedCount()).isEqualTo(1);

        assertThat(tracker.acceptReply(e, c, 7)).isEqualTo(ReplyResult.ACCEPTED);
        assertThat(tracker.acceptReply(e, c, 7)).isEqualTo(ReplyResult.UNEXPECTED);
        assertThat(tracker.isExpected(c, 7, e)).isFalse();
        assertThat(c.pendingCount()).isZero();
        assertThat(e.owedCount()).isZero();
        assertThat(tracker.size()).isZero();
    }

    @Test
    void shouldRejectUnrequestedAndMisdirectedReplies() {
        ReplyEndpoint<String> c = tracker.register("C");
        ReplyEndpoint<String> e = tracker.register("E");
        ReplyEndpoint<String> x = tracker.register("X");
        tracker.expectReply(c, 7, e, 0);

        assertThat(tracker.acceptReply(x, c, 7)).isEqualTo(ReplyResult.WRONG_SENDER);
        assertThat(tracker.acceptReply(e, c, 8)).isEqualTo(ReplyResult.UNEXPECTED);
        assertThat(tracker.acceptReply(e, x, 7)).isEqualTo(ReplyResult.UNEXPECTED);
        assertThat(tracker.acceptReply(c, e, 7)).isEqualTo(ReplyResult.UNEXPECTED);
        // None of those consumed the real slot.
        assertThat(tracker.acceptReply(e, c, 7)).isEqualTo(ReplyResult.ACCEPTED);
    }

    @Test
    void shouldRefuseReusedSerialAndEnforceLimitPerCaller() {
        ReplyTracker<String> small = new ReplyTracker<>(2, 0);
        ReplyEndpoint<String> c = small.register("C");
        ReplyEndpoint<String> e = small.register("E");

        assertThat(small.expectReply(c, 1, e, 0)).isEqualTo(ExpectResult.ADDED);
        assertThat(small.expectReply(c, 1, e, 0)).isEqualTo(ExpectResult.EXISTS);
        assertThat(small.expectReply(c, 2, e, 0)).isEqualTo(ExpectResult.ADDED);
        assertThat(small.expectReply(c, 3, e, 0)).isEqualTo(ExpectResult.LIMIT_EXCEEDED);
        // The limit is the caller's; the callee may owe more, to other callers.
        assertThat(small.expectReply(e, 1, c, 0)).isEqualTo(ExpectResult.ADDED);
        small.acceptReply(e, c, 1);
        assertThat(small.expectReply(c, 3, e, 0)).isEqualTo(ExpectResult.ADDED);
        assertThat(small.size()).isEqualTo(3);
    }

    @Test
    void shouldTreatSerialsAsUnsigned32Bit() {
        ReplyEndpoint<String> c = tracker.register("C");
        ReplyEndpoint<String> e = tracker.register("E");

        tracker.expectReply(c, -1, e, 0); // 0xFFFFFFFF
        tracker.expectReply(c, Integer.MIN_VALUE, e, 0);

        assertThat(tracker.acceptReply(e, c, 0xFFFF_FFFF)).isEqualTo(ReplyResult.ACCEPTED);
        assertThat(tracker.acceptReply(e, c, 0x8000_0000)).isEqualTo(ReplyResult.ACCEPTED);
    }

    @Test
    void shouldYieldNoReplyInCallOrderWhenCalleeDisconnects() {
        ReplyEndpoint<String> a = tracker.register("A");
        ReplyEndpoint<String> b = tracker.register("B");
        ReplyEndpoint<String> e = tracker.register("E");
        tracker.expectReply(a, 10, e, 0);
        tracker.expectReply(b, 5, e, 0);
        tracker.expectReply(a, 11, e, 0);
        tracker.expectReply(a, 12, e, 0);
        tracker.expectReply(a, 13, b, 0); // owed by someone else: untouched
        tracker.expectReply(e, 99, a, 0); // awaited by E: dropped silently
        tracker.expectReply(e, 100, e, 0); // E calling itself: dropped silently
        tracker.acceptReply(e, a, 11);

        int n = tracker.disconnect(e, sink);

        assertThat(n).isEqualTo(3);
        assertThat(noReplies).containsExactly(new NoReply("A", 10, "E"), new NoReply("B", 5, "E"),
                new NoReply("A", 12, "E"));
        assertThat(e.isRegistered()).isFalse();
        assertThat(a.pendingCount()).isEqualTo(1);
        assertThat(a.owedCount()).isZero();
        assertThat(tracker.size()).isEqualTo(1);
        assertThat(tracker.acceptReply(b, a, 13)).isEqualTo(ReplyResult.ACCEPTED);
        assertThatThrownBy(() -> tracker.disconnect(e, sink)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> tracker.expectReply(a, 1, e, 0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void shouldDropCallersSlotsWhenCallerDisconnects() {
        ReplyEndpoint<String> c = tracker.register("C");
        ReplyEndpoint<String> e = tracker.register("E");
        tracker.expectReply(c, 1, e, 0);
        tracker.expectReply(c, 2, e, 0);

        assertThat(tracker.disconnect(c, sink)).isZero();

        assertThat(noReplies).isEmpty();
        assertThat(e.owedCount()).isZero();
        assertThat(tracker.size()).isZero();
        assertThat(tracker.acceptReply(e, c, 1)).isEqualTo(ReplyResult.UNEXPECTED);
        assertThat(tracker.disconnect(e, sink)).isZero();
    }

    @Test
    void shouldNotConfuseANewConnectionWithTheOneWhoseIdItReuses() {
        ReplyEndpoint<String> old = tracker.register("OLD");
        ReplyEndpoint<String> e = tracker.register("E");
        tracker.expectReply(old, 1, e, 0);
        tracker.disconnect(old, sink);

        ReplyEndpoint<String> fresh = tracker.register("NEW");

        assertThat(tracker.acceptReply(e, fresh, 1)).isEqualTo(ReplyResult.UNEXPECTED);
        assertThat(tracker.acceptReply(e, old, 1)).isEqualTo(ReplyResult.UNEXPECTED);
        assertThat(fresh.connection()).isEqualTo("NEW");
    }

    @Test
    void shouldExpireOverdueSlotsOldestFirst() {
        ReplyTracker<String> timed = new ReplyTracker<>(128, 1_000);
        ReplyEndpoint<String> c = timed.register("C");
        ReplyEndpoint<String> e = timed.register("E");
        assertThat(timed.nextDeadline()).isEqualTo(Long.MAX_VALUE);
        timed.expectReply(c, 1, e, 100);
        timed.expectReply(c, 2, e, 200);
        timed.expectReply(c, 3, e, 300);
        timed.acceptReply(e, c, 1);

        assertThat(timed.nextDeadline()).isEqualTo(1_200);
        assertThat(timed.expire(1_199, sink)).isZero();
        assertThat(timed.expire(1_250, sink)).isEqualTo(1);
        assertThat(noReplies).containsExactly(new NoReply("C", 2, "E"));
        assertThat(timed.nextDeadline()).isEqualTo(1_300);
        assertThat(timed.expire(5_000, sink)).isEqualTo(1);
        assertThat(timed.nextDeadline()).isEqualTo(Long.MAX_VALUE);
        assertThat(timed.acceptReply(e, c, 3)).isEqualTo(ReplyResult.UNEXPECTED);
        assertThat(c.pendingCount()).isZero();
    }

    @Test
    void shouldNeverExpireWithoutTimeout() {
        ReplyEndpoint<String> c = tracker.register("C");
        ReplyEndpoint<String> e = tracker.register("E");
        tracker.expectReply(c, 1, e, 0);

        assertThat(tracker.expire(Long.MAX_VALUE - 1, sink)).isZero();
        assertThat(tracker.nextDeadline()).isEqualTo(Long.MAX_VALUE);
        assertThat(tracker.size()).isEqualTo(1);
    }

    @Test
    void shouldAgreeWithReferenceModelUnderRandomTraffic() {
        long seed = 0x4E91_7ACEL;
        SplittableRandom random = new SplittableRandom(seed);
        ReplyTracker<String> t = new ReplyTracker<>(1_000, 0);
        List<ReplyEndpoint<String>> live = new ArrayList<>();
        Map<String, String> model = new HashMap<>(); // "caller/serial" -> callee
        int names = 0;
        for (int step = 0; step < 100_000; step++) {
            if (live.size() < 3 || random.nextInt(200) == 0) {
                live.add(t.register("c" + names++));
                continue;
            }
            ReplyEndpoint<String> x = live.get(random.nextInt(live.size()));
            ReplyEndpoint<String> y = live.get(random.nextInt(live.size()));
            int serial = 1 + random.nextInt(50);
            String key = x.connection() + "/" + serial;
            switch (random.nextInt(10)) {
                case 0 -> {
                    if (random.nextInt(20) == 0) {
                        List<NoReply> got = new ArrayList<>();
                        t.disconnect(x, (c, s, e) -> got.add(new NoReply(c, s, e)));
                        live.remove(x);
                        model.keySet().removeIf(k -> k.startsWith(x.connection() + "/"));
                        List<String> owed = new ArrayList<>();
                        model.entrySet().removeIf(en -> {
                            if (en.getValue().equals(x.connection())) {
                                owed.add(en.getKey());
                                return true;
                            }
                            return false;
                        });
                        assertThat(got).as("seed %x step %d", seed, step).hasSameSizeAs(owed);
                        for (NoReply nr : got) {
                            assertThat(owed).contains(nr.caller() + "/" + nr.serial());
                        }
                    }
                }
                case 1, 2, 3, 4 -> {
                    ExpectResult r = t.expectReply(x, serial, y, 0);
                    if (model.containsKey(key)) {
                        assertThat(r).as("seed %x step %d", seed, step).isEqualTo(ExpectResult.EXISTS);
                    } else {
                        assertThat(r).as("seed %x step %d", seed, step).isEqualTo(ExpectResult.ADDED);
                        model.put(key, y.connection());
                    }
                }
                default -> {
                    ReplyResult r = t.acceptReply(y, x, serial);
                    String callee = model.get(key);
                    ReplyResult expected = callee == null ? ReplyResult.UNEXPECTED
                            : callee.equals(y.connection()) ? ReplyResult.ACCEPTED : ReplyResult.WRONG_SENDER;
                    assertThat(r).as("seed %x step %d", seed, step).isEqualTo(expected);
                    if (expected == ReplyResult.ACCEPTED) {
                        model.remove(key);
                    }
                }
            }
            assertThat(t.size()).as("seed %x step %d", seed, step).isEqualTo(model.size());
        }
        for (ReplyEndpoint<String> x : live) {
            long pending = model.keySet().stream().filter(k -> k.startsWith(x.connection() + "/")).count();
            long owed = model.values().stream().filter(v -> v.equals(x.connection())).count();
            assertThat(x.pendingCount()).isEqualTo((int) pending);
            assertThat(x.owedCount()).isEqualTo((int) owed);
        }
    }

    /** A live upgrade gives each slot what it had left of reply_timeout, not a new one; oldest first. */
    @Test
    void shouldRestoreSlotsWithWhatTheyHadLeft() {
        long second = 1_000_000_000L;
        ReplyTracker<String> timed = new ReplyTracker<>(128, 60 * second);
        ReplyEndpoint<String> c = timed.register("C");
        ReplyEndpoint<String> e = timed.register("E");
        long now = 5_000 * second;
        timed.restoreReply(c, 1, e, now, 10 * second);
        timed.restoreReply(c, 2, e, now, 40 * second);
        timed.restoreReply(c, 3, e, now, -1);
        assertThat(timed.nextDeadline()).isEqualTo(now + 10 * second);
        java.util.List<Long> deadlines = new java.util.ArrayList<>();
        timed.forEachSlot((caller, serial, callee, deadline) -> deadlines.add(deadline - now));
        assertThat(deadlines).containsExactly(10 * second, 40 * second, 60 * second);
        java.util.List<Integer> expired = new java.util.ArrayList<>();
        timed.expire(now + 41 * second, (caller, serial, callee) -> expired.add(serial));
        assertThat(expired).containsExactly(1, 2);

        // Without a reply_timeout here, a carried deadline means nothing.
        ReplyEndpoint<String> d = tracker.register("D");
        ReplyEndpoint<String> f = tracker.register("F");
        tracker.restoreReply(d, 1, f, now, 10 * second);
        assertThat(tracker.nextDeadline()).isEqualTo(Long.MAX_VALUE);
    }
}
