package org.capbus.dbus.broker.outbox;

import java.util.List;

import org.capbus.core.SendResult;
import org.capbus.dbus.DBusErrors;
import org.capbus.dbus.broker.connection.BusConnection;
import org.capbus.dbus.broker.connection.BusMessage;
import org.capbus.dbus.broker.connection.CoreMapping;
import org.capbus.dbus.broker.connection.Recipients;
import org.capbus.dbus.broker.state.BusState;
import org.capbus.dbus.broker.state.Goodbye;
import org.capbus.dbus.broker.state.MatchView;
import org.capbus.dbus.broker.state.OwedReply;
import org.capbus.dbus.broker.stats.BusStats;
import org.capbus.dbus.broker.stats.QuotaResource;
import org.capbus.dbus.bus.MatchIndex;
import org.capbus.dbus.bus.MatchRule;
import org.capbus.dbus.bus.MatchableMessage;
import org.capbus.dbus.bus.NameOwnerChange;
import org.capbus.dbus.log.BusLog;
import org.capbus.dbus.wire.DBusMessage;
import org.capbus.dbus.wire.DBusNames;
import org.capbus.dbus.wire.MessageBuilder;
import org.capbus.dbus.wire.SenderStitcher;

/**
 * Everything the bus itself sends, from the driver's peer over the {@link CoreMapping}: method returns and errors
 * (typed outcomes through {@link BusError}'s table), the signals NameOwnerChanged, NameAcquired and NameLost, what a
 * departure causes ({@link #goodbye}), and the copies monitors get of every message. A message the bus builds is
 * built once ({@link MessageBuilder}) and matched against subscribers' and monitors' rules from the builder, never
 * parsed back.
 *
 * <p>Owned by the composition root; used by routing and the driver. Event-loop thread only.
 */
public final class Outbox {
    private final CoreMapping mapping;
    private final BusState state;
    private final BusStats stats;
    private final MatchView view = new MatchView();
    /** The view of the bus's own messages, apart from {@link #view}: one may be read while the other is in use. */
    private final MatchView built = new MatchView();
    private final Recipients recipients = new Recipients();
    /** Collects the subscribers of a broadcast; one instance, not one per signal. */
    private final MatchIndex.RecipientSink<BusConnection> subscribers = this::addSubscriber;
    private long serial = 1;
    /** Connections that could not take a message the bus sent them, to be disconnected ({@link #pollOverflowed}). */
    private final java.util.ArrayDeque<BusConnection> overflowed = new java.util.ArrayDeque<>();

    public Outbox(CoreMapping mapping, BusState state, BusStats stats) {
        this.mapping = mapping;
        this.state = state;
        this.stats = stats;
    }

    /** The next serial of a message the bus sends (1 to 2^32-1, then 1 again). */
    private long nextSerial() {
        long s = serial++;
        if (serial > 0xFFFFFFFFL) {
            serial = 1;
        }
        return s;
    }

    /** The serial the bus's next own message gets (for a live upgrade's hand-over). */
    public long serialCounter() {
        return serial;
    }

    /** Continues the serials of a bus this one takes over from. */
    public void continueSerials(long next) {
        this.serial = next < 1 || next > 0xFFFFFFFFL ? 1 : next;
    }

    // ---- replies and errors ----

    /**
     * Sends {@code message} (a method return, error or signal the driver built, addressed to {@code target}) to
     * {@code target} and to monitors; nothing if {@code target} is closed or has no root node yet.
     */
    public void send(BusConnection target, MessageBuilder message) {
        if (target.isClosed() || !target.hasRoot()) {
            return;
        }
        BusMessage out = BusMessage.whole(message.build(nextSerial()));
        int code = mapping.fromDriver(target, out);
        if (code == SendResult.OK) {
            stats.sentByDriver(out.size());
        } else if (code == SendResult.QUOTA && !overflowed.contains(target)) {
            // Only the target's own queue can refuse the bus (the core's rule for its peer): it is not reading what
            // it asked for. The bus never drops an answer silently; it disconnects the one client that caused it.
            stats.quotaRejected(QuotaResource.QUEUE);
            overflowed.add(target);
        }
        if (!state.monitors().isEmpty()) {
            toMonitors(built.of(message, message.sender()), message.destination(), out, target);
        }
        out.release();
    }

    /**
     * A connection whose own queue could not take a return, error or signal the bus sent it, and which must
     * therefore be disconnected; null when there is none. The composition root disconnects them after each batch.
     */
    public BusConnection pollOverflowed() {
        return overflowed.poll();
    }

    /** Answers {@code target}'s message {@code replySerial} with outcome {@code error}; see its constant for args. */
    public void error(BusConnection target, long replySerial, BusError error, Object... args) {
        error(target, replySerial, error.errorName(), error.text(args));
    }

    /** Answers {@code target}'s message {@code replySerial} with an error, unless the target is gone. */
    public void error(BusConnection target, long replySerial, String errorName, String text) {
        if (target.isClosed()) {
            return;
        }
        stats.errorSent(errorName);
        // Before Hello (a refused Hello: a connection limit) the destination is dbus-daemon's placeholder.
        String destination = target.uniqueName() != null ? target.uniqueName() : ":not.active.yet";
        if (DBusErrors.LIMITS_EXCEEDED.equals(errorName)) {
            // Every quota refusal the bus answers passes here: logged once, as dbus-daemon logs its limits.
            BusLog.warning(text + " (refused to \"" + destination + "\" (" + target.loginfo() + "))");
        }
        send(target, MessageBuilder.error(replySerial, destination, errorName).sender(DBusNames.DRIVER_NAME)
                .string(text));
    }

    /**
     * Answers a connection that has no unique name yet (its first message was not Hello), as dbus-daemon does: to
     * a placeholder destination.
     */
    public void errorBeforeHello(BusConnection target, long replySerial, BusError error) {
        error(target, replySerial, error);
    }

    // ---- signals ----

    /** Broadcasts NameOwnerChanged(name, oldOwner, newOwner); owners are "" when absent. */
    public void nameOwnerChanged(String name, String oldOwner, String newOwner) {
        broadcast(MessageBuilder.signal(DBusNames.DRIVER_PATH, DBusNames.DRIVER_NAME, "NameOwnerChanged")
                .sender(DBusNames.DRIVER_NAME).string(name).string(oldOwner).string(newOwner));
    }

    /** Sends NameAcquired(name) to {@code owner} only. */
    public void nameAcquired(BusConnection owner, String name) {
        unicastSignal(owner, "NameAcquired", name);
    }

    /** Sends NameLost(name) to {@code owner} only. */
    public void nameLost(BusConnection owner, String name) {
        unicastSignal(owner, "NameLost", name);
    }

    private void unicastSignal(BusConnection target, String member, String name) {
        send(target, MessageBuilder.signal(DBusNames.DRIVER_PATH, DBusNames.DRIVER_NAME, member)
                .sender(DBusNames.DRIVER_NAME).destination(target.uniqueName()).string(name));
    }

    /** Sends a signal the bus built to every connection whose match rules select it, and to monitors. */
    private void broadcast(MessageBuilder signal) {
        BusMessage out = BusMessage.whole(signal.build(nextSerial()));
        MatchableMessage m = built.of(signal, signal.sender());
        state.matches().collectRecipients(m, null, state.names(), subscribers);
        int n = recipients.count();
        int delivered = recipients.send(mapping, mapping.driverPeer(), out);
        if (delivered < n) {
            stats.quotaRejected(QuotaResource.QUEUE);
        }
        stats.broadcast(out.size(), delivered);
        if (!state.monitors().isEmpty()) {
            toMonitors(m, null, out, null);
        }
        out.release();
    }

    private void addSubscriber(BusConnection c) {
        if (c.isRegistered()) {
            recipients.add(c);
        }
    }

    /**
     * Sends the signals for name ownership changes in dbus-daemon's order: NameLost to the old owner, the
     * NameOwnerChanged broadcast, NameAcquired to the new owner. Nothing is sent to {@code leaving}.
     */
    public void announce(List<NameOwnerChange<BusConnection>> changes, BusConnection leaving) {
        for (NameOwnerChange<BusConnection> ch : changes) {
            BusConnection oldOwner = ch.oldOwner();
            BusConnection newOwner = ch.newOwner();
            if (oldOwner != null && oldOwner != leaving) {
                nameLost(oldOwner, ch.name());
            }
            nameOwnerChanged(ch.name(), oldOwner == null ? "" : oldOwner.uniqueName(),
                    newOwner == null ? "" : newOwner.uniqueName());
            if (newOwner != null && newOwner != leaving) {
                nameAcquired(newOwner, ch.name());
            }
            if (newOwner != null && state.activations() != null) {
                // An activation of this name succeeded; its waiters go out after this step (Bus.flush).
                state.activations().nameOwned(ch.name());
            }
        }
    }

    /**
     * Sends what a departure causes ({@link Goodbye}'s order): NoReply to each caller it owed a reply (after any
     * reply it had already sent, since those are queued before them), the name changes, then NameOwnerChanged for its
     * unique name.
     */
    public void goodbye(Goodbye goodbye) {
        for (OwedReply owed : goodbye.owedReplies()) {
            error(owed.caller(), owed.replySerial(), BusError.NO_REPLY);
        }
        announce(goodbye.nameChanges(), goodbye.leaving());
        if (goodbye.uniqueName() != null) {
            nameOwnerChanged(goodbye.uniqueName(), goodbye.uniqueName(), "");
        }
    }

    /**
     * Sends what BecomeMonitor causes, as dbus-daemon's bus_connection_be_monitor: NoReply to the callers the new
     * monitor owed, then its names released in the order it acquired them, the unique name first, each with NameLost
     * to the monitor itself, NameOwnerChanged, and NameAcquired to a queued owner that takes over. (A departure
     * releases them in reverse order: {@link #goodbye}.)
     */
    public void becameMonitor(Goodbye goodbye) {
        for (OwedReply owed : goodbye.owedReplies()) {
            error(owed.caller(), owed.replySerial(), BusError.NO_REPLY);
        }
        BusConnection monitor = goodbye.leaving();
        nameLost(monitor, goodbye.uniqueName());
        nameOwnerChanged(goodbye.uniqueName(), goodbye.uniqueName(), "");
        List<NameOwnerChange<BusConnection>> acquisitionOrder = goodbye.nameChanges().reversed();
        for (NameOwnerChange<BusConnection> ch : acquisitionOrder) {
            nameLost(monitor, ch.name());
        }
        announce(acquisitionOrder, monitor);
    }

    // ---- monitors ----

    /**
     * Shows monitors a message a client sent that is not forwarded as such (a call to the driver, the Hello of a
     * connection that has just got its unique name): a copy with the sender field the bus sets. The call's buffer
     * is still read by the driver, so the copy does not recycle it.
     */
    public void monitorCopy(BusConnection sender, DBusMessage m) {
        if (state.monitors().isEmpty()) {
            return;
        }
        byte[] head = SenderStitcher.stitch(m, sender.uniqueNameBytes());
        if (head == null) {
            return;
        }
        BusMessage copy = new BusMessage(head, m.buffer(), m.bodyOffset(), m.bodyLength(), BusMessage.NO_FDS, null,
                null);
        toMonitors(view.of(m, sender.uniqueName()), m.destination(), copy, null);
        copy.release();
    }

    /**
     * Every monitor whose rules match {@code m} (addressed to {@code destination}) gets {@code out}, sent by the
     * bus (monitors are read-only peers); a monitor that is itself the addressee ({@code except}) already has it.
     */
    public void toMonitors(MatchableMessage m, String destination, BusMessage out, BusConnection except) {
        for (BusConnection mon : state.monitors()) {
            if (mon == except) {
                continue;
            }
            List<MatchRule> rules = state.monitorRules(mon);
            boolean match = rules == null || rules.isEmpty();
            if (!match) {
                for (MatchRule r : rules) {
                    if (r.matches(m, destination, state.names())) {
                        match = true;
                        break;
                    }
                }
            }
            if (match && (out.fdCount() == 0 || mon.isFdPassingEnabled())) {
                recipients.add(mon);
            }
        }
        int n = recipients.count();
        if (recipients.send(mapping, mapping.driverPeer(), out) < n) {
            stats.quotaRejected(QuotaResource.QUEUE);
        }
    }
}
