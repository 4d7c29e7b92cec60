package org.capbus.dbus.broker.stats;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.capbus.dbus.DBusErrors;
import org.capbus.dbus.sasl.SaslMechanism;
import org.capbus.dbus.wire.MessageType;

/**
 * The bus's counters, Aeron style: plain {@code long} fields and fixed arrays indexed by a bounded key (message type,
 * {@link DisconnectReason}, {@link SaslMechanism}, an index into {@link DBusErrors#ALL}, {@link QuotaResource},
 * {@link PolicyDenial}, a histogram bucket). Nothing here grows, so a reader can walk any of it at any time.
 *
 * <p>Threading: the recording methods are for the event-loop thread only, the single writer; no atomics or locks.
 * The accessors may be called from any thread (a metrics scrape, Debug.Stats): a read of a {@code long} is never
 * torn on a 64-bit JVM, and a value a few increments stale is what a scrape accepts.
 *
 * <p>Dispatch latency is sampled: one message in {@link #LATENCY_SAMPLE_INTERVAL} is timed with
 * {@link System#nanoTime()} from the moment the framer handed it over (validated, whole) to the moment routing
 * finished (the copies queued in the core, or the error reply queued), so the hot path pays two clock reads per
 * 64 messages and a counter increment per message.
 */
public final class BusStats {
    /** One message in this many is timed for the dispatch latency histogram (a power of two). */
    public static final int LATENCY_SAMPLE_INTERVAL = 64;

    /** Upper bounds of the dispatch latency buckets, in seconds; the last bucket is unbounded. */
    public static final double[] LATENCY_BOUNDS_SECONDS = {
            1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1,
            0.25, 1.0};
    private static final long[] LATENCY_BOUNDS_NANOS = toNanos(LATENCY_BOUNDS_SECONDS);

    /** Upper bounds of the broadcast fan-out buckets, in receivers; the last bucket is unbounded. */
    public static final double[] FANOUT_BOUNDS = {0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};

    /** The label of errors whose name is not in {@link DBusErrors#ALL}. */
    public static final String OTHER_ERROR = "other";
    private static final Map<String, Integer> ERROR_INDEX = errorIndex();

    /** Index by message type 1..4; slot 0 unused. */
    final long[] messagesIn = new long[5];
    final long[] bytesIn = new long[5];
    final long[] messagesOut = new long[5];
    final long[] bytesOut = new long[5];
    long driverMessagesOut;
    long driverBytesOut;
    long broadcasts;
    long broadcastDeliveries;
    /** Per {@link #FANOUT_BOUNDS} bucket, plus the unbounded one. */
    final long[] fanout = new long[FANOUT_BOUNDS.length + 1];
    long unexpectedReplies;
    final long[] quotaRejections = new long[QuotaResource.values().length];
    final long[] policyDenials = new long[PolicyDenial.values().length];
    long accepted;
    final long[] disconnects = new long[DisconnectReason.values().length];
    /** Per {@link SaslMechanism} ordinal, plus a last slot for a mechanism the enum does not know. */
    final long[] authenticated = new long[SaslMechanism.values().length + 1];
    /** Per {@link DBusErrors#ALL} index, plus a last slot for any other name. */
    final long[] errorsSent = new long[DBusErrors.ALL.size() + 1];
    /** Messages seen by {@link #dispatchStart()}, to pick the sampled ones. */
    long dispatched;
    /** Per {@link #LATENCY_BOUNDS_SECONDS} bucket, plus the unbounded one. */
    final long[] latency = new long[LATENCY_BOUNDS_SECONDS.length + 1];
    long latencySumNanos;

    private static long[] toNanos(double[] seconds) {
        long[] nanos = new long[seconds.length];
        for (int i = 0; i < seconds.length; i++) {
            nanos[i] = Math.round(seconds[i] * 1e9);
        }
        return nanos;
    }

    private static Map<String, Integer> errorIndex() {
        Map<String, Integer> m = new HashMap<>();
        for (int i = 0; i < DBusErrors.ALL.size(); i++) {
            m.put(DBusErrors.ALL.get(i), i);
        }
        return Map.copyOf(m);
    }

    // ---- recording: event-loop thread only ----

    public void received(int type, long bytes) {
        if (type >= MessageType.METHOD_CALL && type <= MessageType.SIGNAL) {
            messagesIn[type]++;
            bytesIn[type] += bytes;
        }
    }

    public void sent(int type, long bytes, int receivers) {
        if (type >= MessageType.METHOD_CALL && type <= MessageType.SIGNAL) {
            messagesOut[type] += receivers;
            bytesOut[type] += bytes * receivers;
        }
    }

    public void sentByDriver(long bytes) {
        driverMessagesOut++;
        driverBytesOut += bytes;
    }

    /** A signal (from a client or the driver) multicast to {@code receivers} match-rule subscribers. */
    public void broadcast(long bytes, int receivers) {
        broadcasts++;
        broadcastDeliveries += receivers;
        messagesOut[MessageType.SIGNAL] += receivers;
        bytesOut[MessageType.SIGNAL] += bytes * receivers;
        fanout[fanoutBucket(receivers)]++;
    }

    /** The bucket of {@link #FANOUT_BOUNDS} (0, then powers of two) that {@code receivers} falls in. */
    static int fanoutBucket(int receivers) {
        if (receivers <= 0) {
            return 0;
        }
        int bucket = receivers == 1 ? 1 : 1 + (32 - Integer.numberOfLeadingZeros(receivers - 1));
        return Math.min(bucket, FANOUT_BOUNDS.length);
    }

    public void unexpectedReply() {
        unexpectedReplies++;
    }

    public void quotaRejected(QuotaResource resource) {
        quotaRejections[resource.ordinal()]++;
    }

    public void policyDenied(PolicyDenial kind) {
        policyDenials[kind.ordinal()]++;
    }

    public void accepted() {
        accepted++;
    }

    /** A connection authenticated with the mechanism of this wire name (null or unknown: the "other" slot). */
    public void authenticated(String mechanism) {
        SaslMechanism m = mechanism == null ? null : SaslMechanism.byWireName(mechanism);
        authenticated[m == null ? authenticated.length - 1 : m.ordinal()]++;
    }

    public void disconnected(DisconnectReason reason) {
        disconnects[reason.ordinal()]++;
    }

    /** The bus sent an error reply named {@code errorName}; names outside {@link DBusErrors#ALL} count as other. */
    public void errorSent(String errorName) {
        Integer i = ERROR_INDEX.get(errorName);
        errorsSent[i == null ? errorsSent.length - 1 : i]++;
    }

    /**
     * Called as a message enters routing; returns the start time if this message is one of the sampled ones, else
     * 0 (and the caller passes that to {@link #dispatchEnd}, which then does nothing).
     */
    public long dispatchStart() {
        return (dispatched++ & (LATENCY_SAMPLE_INTERVAL - 1)) == 0 ? System.nanoTime() | 1 : 0;
    }

    /**
     * Every counter, by name, as copies: what a live upgrade hands to the process that takes over, so that a
     * Prometheus scrape sees the counters continue instead of a reset. Single-value counters are arrays of one. The
     * dispatch counter that picks sampled messages is not a metric and does not travel.
     */
    public Map<String, long[]> counters() {
        Map<String, long[]> m = new LinkedHashMap<>();
        arrays().forEach((name, values) -> m.put(name, values.clone()));
        m.put("driverMessagesOut", new long[] {driverMessagesOut});
        m.put("driverBytesOut", new long[] {driverBytesOut});
        m.put("broadcasts", new long[] {broadcasts});
        m.put("broadcastDeliveries", new long[] {broadcastDeliveries});
        m.put("unexpectedReplies", new long[] {unexpectedReplies});
        m.put("accepted", new long[] {accepted});
        m.put("latencySum", new long[] {latencySumNanos});
        return m;
    }

    /** The counter arrays themselves (not copies), by the names {@link #counters()} gives them. */
    private Map<String, long[]> arrays() {
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put("messagesIn", messagesIn);
        m.put("bytesIn", bytesIn);
        m.put("messagesOut", messagesOut);
        m.put("bytesOut", bytesOut);
        m.put("fanout", fanout);
        m.put("quotaRejections", quotaRejections);
        m.put("policyDenials", policyDenials);
        m.put("disconnects", disconnects);
        m.put("authenticated", authenticated);
        m.put("errorsSent", errorsSent);
        m.put("latency", latency);
        return m;
    }

    /**
     * Adds what the process this one took over from had counted ({@link #counters()} there): counters continue
     * across a live upgrade. A name this version does not know is ignored, and of an array whose length changed
     * between versions the common part is added (each index keeps its meaning: the enums only ever grow at the end).
     * Event-loop thread.
     */
    public void carryOver(Map<String, long[]> previous) {
        Map<String, long[]> mine = arrays();
        for (Map.Entry<String, long[]> e : previous.entrySet()) {
            long[] from = e.getValue();
            long[] into = mine.get(e.getKey());
            if (into != null) {
                for (int i = 0; i < Math.min(into.length, from.length); i++) {
                    into[i] += from[i];
                }
                continue;
            }
            long v = from.length > 0 ? from[0] : 0;
            switch (e.getKey()) {
                case "driverMessagesOut" -> driverMessagesOut += v;
                case "driverBytesOut" -> driverBytesOut += v;
                case "broadcasts" -> broadcasts += v;
                case "broadcastDeliveries" -> broadcastDeliveries += v;
                case "unexpectedReplies" -> unexpectedReplies += v;
                case "accepted" -> accepted += v;
                case "latencySum" -> latencySumNanos += v;
                default -> {
                    // a counter of another version: nothing here to add it to
                }
            }
        }
    }

    /** Ends a sample started by {@link #dispatchStart()}; {@code start} 0 means not sampled. */
    public void dispatchEnd(long start) {
        if (start != 0) {
            recordLatency(System.nanoTime() - start);
        }
    }

    void recordLatency(long nanos) {
        long n = Math.max(0, nanos);
        int i = 0;
        while (i < LATENCY_BOUNDS_NANOS.length && n > LATENCY_BOUNDS_NANOS[i]) {
            i++;
        }
        latency[i]++;
        latencySumNanos += n;
    }

    // ---- reading: any thread ----

    public long messagesIn(int type) {
        return messagesIn[type];
    }

    public long bytesIn(int type) {
        return bytesIn[type];
    }

    public long messagesOut(int type) {
        return messagesOut[type];
    }

    public long bytesOut(int type) {
        return bytesOut[type];
    }

    public long driverMessagesOut() {
        return driverMessagesOut;
    }

    public long driverBytesOut() {
        return driverBytesOut;
    }

    public long broadcasts() {
        return broadcasts;
    }

    public long broadcastDeliveries() {
        return broadcastDeliveries;
    }

    /** Broadcasts whose fan-out fell in bucket {@code i} of {@link #FANOUT_BOUNDS} ({@code length}: above all). */
    public long broadcastsInFanoutBucket(int i) {
        return fanout[i];
    }

    public long unexpectedReplies() {
        return unexpectedReplies;
    }

    /** Every quota rejection, whatever the resource. */
    public long quotaRejections() {
        long n = 0;
        for (long v : quotaRejections) {
            n += v;
        }
        return n;
    }

    public long quotaRejections(QuotaResource resource) {
        return quotaRejections[resource.ordinal()];
    }

    public long policyDenials(PolicyDenial kind) {
        return policyDenials[kind.ordinal()];
    }

    public long acceptedConnections() {
        return accepted;
    }

    public long disconnects(DisconnectReason reason) {
        return disconnects[reason.ordinal()];
    }

    /** Connections authenticated with {@code mechanism}; null for those of a mechanism not in the enum. */
    public long authentications(SaslMechanism mechanism) {
        return authenticated[mechanism == null ? authenticated.length - 1 : mechanism.ordinal()];
    }

    /** Errors sent named {@code DBusErrors.ALL.get(index)}; index {@code ALL.size()} counts every other name. */
    public long errorsSent(int index) {
        return errorsSent[index];
    }

    /** Sampled dispatches whose latency fell in bucket {@code i} of {@link #LATENCY_BOUNDS_SECONDS}. */
    public long latencyBucket(int i) {
        return latency[i];
    }

    /** The sum of the sampled dispatch latencies, in nanoseconds. */
    public long latencySumNanos() {
        return latencySumNanos;
    }

    /** Messages counted towards sampling: every whole, valid message a connection handed to the bus. */
    public long dispatched() {
        return dispatched;
    }

    /** The mechanisms with at least one authentication, by wire name (a fresh map; for Debug.Stats). */
    public Map<String, Long> authenticatedByMechanism() {
        Map<String, Long> m = new LinkedHashMap<>();
        SaslMechanism[] all = SaslMechanism.values();
        for (int i = 0; i < authenticated.length; i++) {
            long v = authenticated[i];
            if (v != 0) {
                m.put(i < all.length ? all[i].wireName() : "unknown", v);
            }
        }
        return m;
    }

    /** The error names sent at least once, with their counts (a fresh map; for Debug.Stats). */
    public Map<String, Long> errorsSentByName() {
        Map<String, Long> m = new LinkedHashMap<>();
        List<String> names = DBusErrors.ALL;
        for (int i = 0; i < errorsSent.length; i++) {
            long v = errorsSent[i];
            if (v != 0) {
                m.put(i < names.size() ? names.get(i) : OTHER_ERROR, v);
            }
        }
        return m;
    }
}
