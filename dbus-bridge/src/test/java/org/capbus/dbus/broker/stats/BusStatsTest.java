package org.capbus.dbus.broker.stats;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.capbus.dbus.DBusErrors;
import org.capbus.dbus.sasl.SaslMechanism;
import org.capbus.dbus.wire.MessageType;
import org.junit.jupiter.api.Test;

class BusStatsTest {
    private final BusStats stats = new BusStats();

    @Test
    void shouldListEveryErrorConstantInAll() throws Exception {
        // Reflection only here, in a test, to keep the hand-written list complete.
        List<String> constants = new ArrayList<>();
        for (Field f : DBusErrors.class.getFields()) {
            if (f.getType() == String.class && Modifier.isStatic(f.getModifiers())) {
                constants.add((String) f.get(null));
            }
        }
        assertThat(DBusErrors.ALL).containsExactlyInAnyOrderElementsOf(constants).doesNotHaveDuplicates();
    }

    @Test
    void shouldContinueFromThePreviousProcessCounters() {
        BusStats previous = new BusStats();
        previous.received(MessageType.METHOD_CALL, 100);
        previous.received(MessageType.METHOD_CALL, 50);
        previous.errorSent(DBusErrors.SERVICE_UNKNOWN);
        previous.accepted();
        stats.received(MessageType.METHOD_CALL, 10);
        Map<String, long[]> handed = new java.util.HashMap<>(previous.counters());
        handed.put("aCounterOfANewerVersion", new long[] {5});
        handed.put("fanout", new long[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}); // grew since

        stats.carryOver(handed);

        assertThat(stats.messagesIn(MessageType.METHOD_CALL)).isEqualTo(3);
        assertThat(stats.bytesIn(MessageType.METHOD_CALL)).isEqualTo(160);
        assertThat(stats.errorsSentByName().get(DBusErrors.SERVICE_UNKNOWN)).isEqualTo(1);
        assertThat(stats.acceptedConnections()).isEqualTo(1);
        assertThat(stats.counters().get("fanout")).hasSize(BusStats.FANOUT_BOUNDS.length + 1).startsWith(1, 2, 3);
    }

    @Test
    void shouldCountErrorsByKnownNameAndTheRestAsOther() {
        stats.errorSent(DBusErrors.SERVICE_UNKNOWN);
        stats.errorSent(DBusErrors.SERVICE_UNKNOWN);
        stats.errorSent("com.example.Nope");

        assertThat(stats.errorsSent(DBusErrors.ALL.indexOf(DBusErrors.SERVICE_UNKNOWN))).isEqualTo(2);
        assertThat(stats.errorsSent(DBusErrors.ALL.size())).isEqualTo(1);
        assertThat(stats.errorsSentByName()).containsEntry(DBusErrors.SERVICE_UNKNOWN, 2L)
                .containsEntry(BusStats.OTHER_ERROR, 1L).hasSize(2);
    }

    @Test
    void shouldCountAuthenticationsByMechanism() {
        stats.authenticated("EXTERNAL");
        stats.authenticated("EXTERNAL");
        stats.authenticated("KERBEROS_V4");
        stats.authenticated((String) null);

        assertThat(stats.authentications(SaslMechanism.EXTERNAL)).isEqualTo(2);
        assertThat(stats.authentications(SaslMechanism.ANONYMOUS)).isZero();
        assertThat(stats.authentications(null)).isEqualTo(2);
        assertThat(stats.authenticatedByMechanism()).containsEntry("EXTERNAL", 2L).containsEntry("unknown", 2L);
    }

    @Test
    void shouldPutEachFanoutInTheSmallestBucketThatHoldsIt() {
        int[] fanouts = {0, 1, 2, 3, 4, 5, 8, 9, 1024, 1025, Integer.MAX_VALUE};
        int[] buckets = {0, 1, 2, 3, 3, 4, 4, 5, 11, 12, 12};
        for (int i = 0; i < fanouts.length; i++) {
            int b = BusStats.fanoutBucket(fanouts[i]);
            assertThat(b).as("fan-out %d", fanouts[i]).isEqualTo(buckets[i]);
            if (b < BusStats.FANOUT_BOUNDS.length) {
                assertThat((double) fanouts[i]).isLessThanOrEqualTo(BusStats.FANOUT_BOUNDS[b]);
            }
            if (b > 0) {
                assertThat((double) fanouts[i]).isGreaterThan(BusStats.FANOUT_BOUNDS[b - 1]);
            }
        }
    }

    @Test
    void shouldPutEachLatencyInTheSmallestBucketThatHoldsIt() {
        stats.recordLatency(500);
        stats.recordLatency(1_000);
        stats.recordLatency(1_001);
        stats.recordLatency(2_000_000_000L);

        assertThat(stats.latencyBucket(0)).isEqualTo(2);
        assertThat(stats.latencyBucket(1)).isEqualTo(1);
        assertThat(stats.latencyBucket(BusStats.LATENCY_BOUNDS_SECONDS.length)).isEqualTo(1);
        assertThat(stats.latencySumNanos()).isEqualTo(2_000_002_501L);
    }

    @Test
    void shouldSampleTheFirstOfEverySixtyFourDispatches() {
        int sampled = 0;
        for (int i = 0; i < 6 * BusStats.LATENCY_SAMPLE_INTERVAL; i++) {
            long start = stats.dispatchStart();
            if (start != 0) {
                sampled++;
                assertThat(i % BusStats.LATENCY_SAMPLE_INTERVAL).isZero();
            }
            stats.dispatchEnd(start);
        }

        assertThat(sampled).isEqualTo(6);
        long total = 0;
        for (int i = 0; i <= BusStats.LATENCY_BOUNDS_SECONDS.length; i++) {
            total += stats.latencyBucket(i);
        }
        assertThat(total).isEqualTo(6);
    }

    @Test
    void shouldSumQuotaRejectionsOverResources() {
        stats.quotaRejected(QuotaResource.QUEUE);
        stats.quotaRejected(QuotaResource.NAMES);
        stats.quotaRejected(QuotaResource.NAMES);

        assertThat(stats.quotaRejections()).isEqualTo(3);
        assertThat(stats.quotaRejections(QuotaResource.NAMES)).isEqualTo(2);
        assertThat(stats.quotaRejections(QuotaResource.MATCH_RULES)).isZero();
    }
}
