package org.capbus.dbus.broker;

import java.util.HashMap;
import java.util.Map;

import org.capbus.dbus.wire.MessageType;

/**
 * The bus's counters: plain fields, written only by the event-loop thread and read by metrics at scrape time
 * (a torn read of a long is impossible on 64-bit JVMs, and a slightly stale value is fine for a scrape).
 */
public final class BusStats {
    /** Index by message type 1..4; slot 0 unused. */
    final long[] messagesIn = new long[5];
    final long[] bytesIn = new long[5];
    final long[] messagesOut = new long[5];
    final long[] bytesOut = new long[5];
    long driverMessagesOut;
    long driverBytesOut;
    long broadcasts;
    long broadcastDeliveries;
    long unexpectedReplies;
    long quotaRejections;
    long policyDenials;
    long accepted;
    final long[] disconnects = new long[DisconnectReason.values().length];
    final Map<String, Long> authenticated = new HashMap<>();
    final Map<String, Long> errorsSent = new HashMap<>();

    void received(int type, long bytes) {
        if (type >= MessageType.METHOD_CALL && type <= MessageType.SIGNAL) {
            messagesIn[type]++;
            bytesIn[type] += bytes;
        }
    }

    void sent(int type, long bytes, int receivers) {
        if (type >= MessageType.METHOD_CALL && type <= MessageType.SIGNAL) {
            messagesOut[type] += receivers;
            bytesOut[type] += bytes * receivers;
        }
    }

    void sentByDriver(long bytes) {
        driverMessagesOut++;
        driverBytesOut += bytes;
    }

    void broadcast(long bytes, int receivers) {
        broadcasts++;
        broadcastDeliveries += receivers;
        messagesOut[MessageType.SIGNAL] += receivers;
        bytesOut[MessageType.SIGNAL] += bytes * receivers;
    }

    void unexpectedReply() {
        unexpectedReplies++;
    }

    void quotaRejected() {
        quotaRejections++;
    }

    void policyDenied() {
        policyDenials++;
    }

    public long policyDenials() {
        return policyDenials;
    }

    void accepted() {
        accepted++;
    }

    void authenticated(String mechanism) {
        authenticated.merge(mechanism == null ? "unknown" : mechanism, 1L, Long::sum);
    }

    void disconnected(DisconnectReason reason) {
        disconnects[reason.ordinal()]++;
    }

    void errorSent(String errorName) {
        errorsSent.merge(errorName, 1L, Long::sum);
    }

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

    public long broadcasts() {
        return broadcasts;
    }

    public long broadcastDeliveries() {
        return broadcastDeliveries;
    }

    public long unexpectedReplies() {
        return unexpectedReplies;
    }

    public long quotaRejections() {
        return quotaRejections;
    }

    public long acceptedConnections() {
        return accepted;
    }

    public long disconnects(DisconnectReason reason) {
        return disconnects[reason.ordinal()];
    }

    /** A copy, for scraping off the loop thread. */
    public Map<String, Long> authenticatedByMechanism() {
        return Map.copyOf(authenticated);
    }

    /** A copy, for scraping off the loop thread. */
    public Map<String, Long> errorsSentByName() {
        return Map.copyOf(errorsSent);
    }
}
