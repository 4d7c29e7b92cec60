package org.capbus.dbus.driver;

import java.util.ArrayList;
import java.util.List;

import org.capbus.core.Core;
import org.capbus.core.User;
import org.capbus.dbus.DBusErrors;
import org.capbus.dbus.broker.connection.BusConnection;
import org.capbus.dbus.broker.state.Activations;
import org.capbus.dbus.broker.outbox.BusError;
import org.capbus.dbus.broker.state.BusState;
import org.capbus.dbus.broker.state.BusPeaks;
import org.capbus.dbus.bus.MatchRule;
import org.capbus.dbus.wire.DBusNames;
import org.capbus.dbus.wire.MessageBuilder;

/**
 * {@code org.freedesktop.DBus.Debug.Stats}: GetStats, GetConnectionStats and GetAllMatchRules, with the keys, value
 * types and errors of dbus-daemon ({@code bus/stats.c}), so that tools written against it read capbus unchanged.
 *
 * <p>What the keys mean here:
 * <ul>
 *   <li>{@code Serial}: a counter per method, from 0, incremented by each call, as in dbus-daemon.</li>
 *   <li>{@code ListMemPool*}: libdbus's linked-list allocator, which capbus does not have; reported as 0 rather than
 *       left out, so that a tool that reads every key dbus-daemon sends still finds them.</li>
 *   <li>{@code ActiveConnections}: connections past Hello, monitors included; {@code IncompleteConnections}: those
 *       still authenticating or not yet past Hello.</li>
 *   <li>{@code BusNames}: unique names plus well-known name queue entries (a queued owner counts, as in dbus-daemon);
 *       {@code MatchRules}: every connection's rules plus every monitor's (a monitor without rules counts one).</li>
 *   <li>{@code Incoming*} and {@code Outgoing*} of a connection are, as in dbus-daemon, what the bus holds for it
 *       <em>now</em>, not totals: capbus routes a message as soon as its last byte arrives, so nothing received
 *       waits ({@code IncomingMessages} and {@code IncomingBytes} are 0; {@code IncomingFDs} counts, as dbus-daemon's
 *       does, the descriptors of the connection's messages the bus still holds for their receivers, which
 *       max_incoming_unix_fds bounds, plus any that arrived ahead of their message), while {@code Outgoing*} is the backlog queued towards the connection in
 *       the core and its socket buffer ({@code OutgoingMessages} is a lower bound, see {@link #outgoingMessages}).
 *       {@code PeakIncomingBytes} is the largest message received.</li>
 *   <li>Totals since the connection was made are capbus's own keys, {@code org.capbus.Debug.Stats.Total*} (UINT64).</li>
 *   <li>GetStats's {@code org.capbus.Debug.Stats.Core*} keys are the capability core's accounting: connected peers
 *       (connections, the driver's and each pending activation's), nodes not destroyed, handles held, and what is
 *       charged to every user's account (messages, bytes, handles and descriptors in flight). Once every client
 *       that came has left and the bus is idle they are back where they were: tests read them to find leaks.</li>
 * </ul>
 *
 * <p>Access: dbus-daemon lets any connection call these methods and leaves restricting them to the configuration's
 * send policy (its system.conf denies the interface); capbus does the same. The interface exists only on the driver's
 * path, as in dbus-daemon.
 *
 * <p>Owned by the {@link Driver}; event-loop thread only.
 */
final class StatsInterface extends DriverInterface {
    static final String NAME = "org.freedesktop.DBus.Debug.Stats";

    private final BusState state;
    private final DriverHost host;
    private final List<DriverMethod> methods;
    /** The Serial values, unsigned 32-bit counters that wrap like dbus-daemon's. */
    private int statsSerial;
    private int connectionStatsSerial;

    StatsInterface(BusState state, DriverHost host) {
        this.state = state;
        this.host = host;
        this.methods = List.of(
                new DriverMethod("GetStats", "", "a{sv}", this::getStats),
                new DriverMethod("GetConnectionStats", "s", "a{sv}", this::getConnectionStats),
                new DriverMethod("GetAllMatchRules", "", "a{sas}", this::getAllMatchRules));
    }

    @Override
    String name() {
        return NAME;
    }

    @Override
    List<DriverMethod> methods() {
        return methods;
    }

    @Override
    boolean canonicalPathOnly() {
        return true;
    }

    private void getStats(DriverRequest r) {
        int active = state.activeConnectionCount();
        BusPeaks peaks = state.peaks();
        Activations activations = state.activations();
        // The core's accounting, over every user it knows (not only those with a connection open): what a leak of
        // a charge, a handle or a node on any path would leave behind once the bus is idle.
        Core core = host.core();
        long queuedMessages = 0;
        long queuedBytes = 0;
        long queuedHandles = 0;
        long queuedFds = 0;
        for (User u : core.users()) {
            queuedMessages += u.chargedMessages();
            queuedBytes += u.chargedBytes();
            queuedHandles += u.chargedHandles();
            queuedFds += u.chargedFds();
        }
        MessageBuilder reply = new StatsDictionary(r.reply())
                .uint32("Serial", Integer.toUnsignedLong(statsSerial++))
                .uint32("ListMemPoolUsedBytes", 0)
                .uint32("ListMemPoolCachedBytes", 0)
                .uint32("ListMemPoolAllocatedBytes", 0)
                .uint32("ActiveConnections", active)
                .uint32("IncompleteConnections", state.connections().size() - active)
                .uint32("MatchRules", state.totalMatchRules())
                .uint32("PeakMatchRules", peaks.matchRules())
                .uint32("PeakMatchRulesPerConnection", peaks.matchRulesPerConnection())
                .uint32("BusNames", state.totalBusNames())
                .uint32("PeakBusNames", peaks.busNames())
                .uint32("PeakBusNamesPerConnection", peaks.busNamesPerConnection())
                // What failed or slow activations could hold: all zero once none is pending.
                .uint32(StatsDictionary.EXTENSION_PREFIX + "PendingActivations", activations.pendingCount())
                .uint32(StatsDictionary.EXTENSION_PREFIX + "ActivationWaitingMessages", activations.waitingCount())
                .uint64(StatsDictionary.EXTENSION_PREFIX + "ActivationWaitingBytes", activations.waitingBytes())
                .uint64(StatsDictionary.EXTENSION_PREFIX + "ActivationWaitingFDs", activations.waitingFds())
                .uint32(StatsDictionary.EXTENSION_PREFIX + "PendingReplies", state.replies().size())
                .uint32(StatsDictionary.EXTENSION_PREFIX + "CorePeers", core.peerCount())
                .uint64(StatsDictionary.EXTENSION_PREFIX + "CoreNodes", core.nodeCount())
                .uint64(StatsDictionary.EXTENSION_PREFIX + "CoreHandles", core.handleCount())
                .uint64(StatsDictionary.EXTENSION_PREFIX + "CoreQueuedMessages", queuedMessages)
                .uint64(StatsDictionary.EXTENSION_PREFIX + "CoreQueuedBytes", queuedBytes)
                .uint64(StatsDictionary.EXTENSION_PREFIX + "CoreQueuedHandles", queuedHandles)
                .uint64(StatsDictionary.EXTENSION_PREFIX + "CoreQueuedFDs", queuedFds)
                .end();
        r.send(reply);
    }

    private void getConnectionStats(DriverRequest r) {
        String name = r.args().readString();
        if (name.equals(DBusNames.DRIVER_NAME)) {
            r.error(DBusErrors.INVALID_ARGS,
                    "GetConnectionStats is not meaningful for the message bus \"" + DBusNames.DRIVER_NAME + "\" itself");
            return;
        }
        BusConnection c = state.resolveRegistered(name);
        if (c == null) {
            r.error(BusError.NO_SUCH_NAME, "statistics", name);
            return;
        }
        MessageBuilder reply = new StatsDictionary(r.reply())
                .uint32("Serial", Integer.toUnsignedLong(connectionStatsSerial++))
                .uint32("MatchRules", state.matches().ruleCount(c))
                .uint32("PeakMatchRules", c.peakMatchRules())
                .uint32("BusNames", state.busNameCount(c))
                .uint32("PeakBusNames", c.peakBusNames())
                .string("UniqueName", c.uniqueName())
                .uint32("IncomingMessages", 0)
                .uint32("IncomingBytes", 0)
                .uint32("IncomingFDs", c.incomingFds())
                .uint32("PeakIncomingBytes", c.peakIncomingBytes())
                .uint32("PeakIncomingFDs", c.peakIncomingFds())
                .uint32("OutgoingMessages", outgoingMessages(c))
                .uint32("OutgoingBytes", c.queuedBytes())
                .uint32("OutgoingFDs", c.queuedFds())
                .uint32("PeakOutgoingBytes", c.peakOutgoingBytes())
                .uint32("PeakOutgoingFDs", c.peakOutgoingFds())
                .uint64(StatsDictionary.EXTENSION_PREFIX + "TotalIncomingMessages", c.messagesIn())
                .uint64(StatsDictionary.EXTENSION_PREFIX + "TotalIncomingBytes", c.bytesIn())
                .uint64(StatsDictionary.EXTENSION_PREFIX + "TotalOutgoingMessages", c.messagesOut())
                .uint64(StatsDictionary.EXTENSION_PREFIX + "TotalOutgoingBytes", c.bytesOut())
                .end();
        r.send(reply);
    }

    /**
     * Messages waiting for {@code c}: those in its core queue, plus one if its socket buffer holds bytes. That buffer
     * (up to the transport's high-water mark) counts bytes, not messages, so this is a lower bound: the buffer is
     * known to hold part of at least one message. {@code OutgoingBytes} is exact.
     */
    private static long outgoingMessages(BusConnection c) {
        return c.queuedMessages() + (c.socketBufferedBytes() > 0 ? 1 : 0);
    }

    /**
     * Every connection that has a unique name, with its match rules in their canonical text; a connection without
     * rules is listed with none, and monitors, whose unique name left the bus, are not listed (dbus-daemon).
     */
    private void getAllMatchRules(DriverRequest r) {
        MessageBuilder b = r.reply().beginArray("{sas}");
        List<String> texts = new ArrayList<>();
        for (BusConnection c : state.connections()) {
            if (!c.isRegistered()) {
                continue;
            }
            texts.clear();
            for (MatchRule rule : state.matches().rulesOf(c)) {
                texts.add(rule.toString());
            }
            b.beginDictEntry().string(c.uniqueName()).stringArray(texts).endDictEntry();
        }
        r.send(b.endArray());
    }
}
