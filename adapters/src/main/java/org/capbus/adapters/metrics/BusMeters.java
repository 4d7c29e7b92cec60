package org.capbus.adapters.metrics;

import java.util.Locale;
import java.util.function.ToDoubleFunction;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.capbus.dbus.DBusErrors;
import org.capbus.dbus.broker.BusSnapshot;
import org.capbus.dbus.broker.stats.BusStats;
import org.capbus.dbus.broker.stats.DisconnectReason;
import org.capbus.dbus.broker.stats.PolicyDenial;
import org.capbus.dbus.broker.stats.QuotaResource;
import org.capbus.dbus.sasl.SaslMechanism;
import org.capbus.dbus.wire.MessageType;

/**
 * The bus's counters and gauges as micrometer meters. Every counter is a {@link FunctionCounter} reading a plain
 * field of {@link BusStats} at scrape time, and every gauge reads the latest {@link BusSnapshot}: nothing here is
 * called by the event loop, and a scrape never touches loop-owned collections.
 *
 * <p>Every label set is fixed when the meters are bound (message types, disconnect reasons, SASL mechanisms, the
 * error names of {@link DBusErrors#ALL} plus "other", quota resources, policy rule kinds, connection states): no
 * label ever carries a unique name, a well-known name or an object path.
 *
 * <p>Threading: {@link #bindTo} once, from any thread; the registered functions run on the scraping thread.
 */
public final class BusMeters implements MeterBinder {
    /** Message type codes 1..4 and their metric labels, as the D-Bus specification names the types. */
    static final String[] TYPE_LABELS = {null, "method_call", "method_return", "error", "signal"};

    private final BusStats stats;
    private final BusSnapshots snapshots;

    public BusMeters(BusStats stats, BusSnapshots snapshots) {
        this.stats = stats;
        this.snapshots = snapshots;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        bindConnections(registry);
        bindMessages(registry);
        bindRefusals(registry);
        bindState(registry);
    }

    private void bindConnections(MeterRegistry r) {
        counter("capbus.connections.accepted", "Connections accepted on the bus's sockets",
                s -> s.acceptedConnections()).register(r);
        for (SaslMechanism m : SaslMechanism.values()) {
            counter("capbus.connections.authenticated", "Connections that completed SASL, by mechanism",
                    s -> s.authentications(m)).tag("mechanism", m.wireName()).register(r);
        }
        for (DisconnectReason reason : DisconnectReason.values()) {
            counter("capbus.disconnects", "Connections closed, by reason", s -> s.disconnects(reason))
                    .tag("reason", reason.name().toLowerCase(Locale.ROOT)).register(r);
        }
        String[] states = {"authenticating", "awaiting_hello", "active", "monitor"};
        for (String state : states) {
            gauge("capbus.connections", "Open connections, by state", snapshot -> switch (state) {
                case "authenticating" -> snapshot.authenticating();
                case "awaiting_hello" -> snapshot.awaitingHello();
                case "active" -> snapshot.active();
                default -> snapshot.monitors();
            }).tag("state", state).register(r);
        }
    }

    private void bindMessages(MeterRegistry r) {
        for (int type = MessageType.METHOD_CALL; type <= MessageType.SIGNAL; type++) {
            int t = type;
            String label = TYPE_LABELS[type];
            counter("capbus.messages.received", "Messages received from clients, by type",
                    s -> s.messagesIn(t)).tag("type", label).register(r);
            counter("capbus.received", "Bytes of messages received from clients, by type",
                    s -> s.bytesIn(t)).baseUnit(BaseUnits.BYTES).tag("type", label).register(r);
            counter("capbus.messages.sent", "Messages queued to clients (each copy of a broadcast), by type",
                    s -> s.messagesOut(t)).tag("type", label).register(r);
            counter("capbus.sent", "Bytes of messages queued to clients (each copy counted), by type",
                    s -> s.bytesOut(t)).baseUnit(BaseUnits.BYTES).tag("type", label).register(r);
        }
        counter("capbus.driver.messages.sent", "Messages the bus driver sent (replies, errors, its own signals)",
                s -> s.driverMessagesOut()).register(r);
        counter("capbus.driver.sent", "Bytes of messages the bus driver sent",
                s -> s.driverBytesOut()).baseUnit(BaseUnits.BYTES).register(r);
        counter("capbus.broadcasts", "Signals multicast to match-rule subscribers",
                s -> s.broadcasts()).register(r);
        counter("capbus.broadcast.deliveries", "Copies of broadcast signals queued (the sum of their fan-outs)",
                s -> s.broadcastDeliveries()).register(r);
    }

    private void bindRefusals(MeterRegistry r) {
        for (int i = 0; i <= DBusErrors.ALL.size(); i++) {
            int index = i;
            String name = i < DBusErrors.ALL.size() ? DBusErrors.ALL.get(i) : BusStats.OTHER_ERROR;
            counter("capbus.errors.sent", "Error replies the bus itself sent, by error name",
                    s -> s.errorsSent(index)).tag("error", name).register(r);
        }
        counter("capbus.unexpected.replies", "Replies dropped because no call was waiting for them",
                s -> s.unexpectedReplies()).register(r);
        for (QuotaResource q : QuotaResource.values()) {
            counter("capbus.quota.rejections", "Messages or requests refused because a limit was reached",
                    s -> s.quotaRejections(q)).tag("resource", q.label()).register(r);
        }
        for (PolicyDenial p : PolicyDenial.values()) {
            counter("capbus.policy.denials", "Requests the security policy refused, by kind of rule",
                    s -> s.policyDenials(p)).tag("rule", p.label()).register(r);
        }
    }

    private void bindState(MeterRegistry r) {
        gauge("capbus.well.known.names", "Well-known names with an owner", BusSnapshot::wellKnownNames).register(r);
        gauge("capbus.match.rules", "Match rules of all connections", BusSnapshot::matchRules).register(r);
        gauge("capbus.match.rules.without.sender",
                "Match rules without a sender key, checked against every broadcast",
                BusSnapshot::matchRulesWithoutSender).register(r);
        gauge("capbus.pending.replies", "Method calls waiting for their reply", BusSnapshot::pendingReplies)
                .register(r);
        gauge("capbus.queued.messages", "Messages queued in the core for clients", BusSnapshot::queuedMessages)
                .register(r);
        gauge("capbus.queued", "Bytes of messages queued in the core for clients", BusSnapshot::queuedBytes)
                .baseUnit(BaseUnits.BYTES).register(r);
        gauge("capbus.queued.handles", "Handles carried by queued messages", BusSnapshot::queuedHandles)
                .register(r);
        gauge("capbus.queued.fds", "File descriptors carried by queued messages", BusSnapshot::queuedFds)
                .register(r);
        gauge("capbus.handles", "Handles held by the connections' peers in the core", BusSnapshot::handles)
                .register(r);
        for (int i = 0; i < BusSnapshot.QUOTA_RESOURCES.length; i++) {
            int resource = i;
            gauge("capbus.quota.user.max.ratio",
                    "The highest fraction of the per-user quota that one user has queued, by resource",
                    snapshot -> snapshot.userQuotaMaxRatio(resource))
                    .tag("resource", BusSnapshot.QUOTA_RESOURCES[i]).register(r);
        }
        gauge("capbus.metrics.snapshot.age", "Age of the snapshot the gauges come from",
                snapshot -> snapshot.capturedAtNanos() == 0 ? 0 : (System.nanoTime() - snapshot.capturedAtNanos()) / 1e9)
                .baseUnit("seconds").register(r);
    }

    private FunctionCounter.Builder<BusStats> counter(String name, String help, ToDoubleFunction<BusStats> read) {
        return FunctionCounter.builder(name, stats, read).description(help);
    }

    private Gauge.Builder<BusSnapshots> gauge(String name, String help, ToDoubleFunction<BusSnapshot> read) {
        return Gauge.builder(name, snapshots, s -> read.applyAsDouble(s.latest())).description(help)
                .strongReference(true);
    }
}
