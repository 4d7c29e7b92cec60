package org.capbus.dbus.broker;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.capbus.core.Handle;
import org.capbus.core.SendResult;
import org.capbus.dbus.DBusErrors;
import org.capbus.dbus.bus.MatchIndex;
import org.capbus.dbus.bus.MatchRule;
import org.capbus.dbus.bus.NameRegistry;
import org.capbus.dbus.bus.ReplyEndpoint;
import org.capbus.dbus.bus.ReplyTracker;
import org.capbus.dbus.wire.DBusMessage;
import org.capbus.dbus.wire.HeaderField;
import org.capbus.dbus.wire.LargeBufferPool;
import org.capbus.dbus.wire.MessageBuilder;
import org.capbus.dbus.wire.MessageFlag;
import org.capbus.dbus.wire.MessageType;
import org.capbus.dbus.wire.SenderStitcher;

/**
 * Where each message a client sends goes, and which D-Bus error answers a message that cannot go anywhere: the
 * driver, a unique or well-known name (with its reply slot), the subscribers a broadcast's match rules select,
 * eavesdroppers and monitors. Every delivery is a core send ({@link CoreMapping}); one rebuilt header
 * ({@link SenderStitcher}) and one {@link BusMessage} are shared by all receivers of a message.
 *
 * <p>Owned by the {@link Bus}; event-loop thread only. The recipient arrays are scratch space reused by every
 * message, so routing allocates nothing per receiver.
 */
final class Router {
    private final Bus bus;
    private final PolicyGate policy;
    private final CoreMapping mapping;
    private final BusStats stats;
    private final NameRegistry<BusConnection> names;
    private final MatchIndex<BusConnection> matches;
    private final ReplyTracker<BusConnection> replies;
    private final Map<String, BusConnection> byUniqueName;
    private final List<BusConnection> monitors;
    private final Map<BusConnection, List<MatchRule>> monitorRules;
    /** Closes a message's descriptors once its last receiver took them; one instance, not one per message. */
    private final BusMessage.FdCloser fdCloser;
    private final MatchView view = new MatchView();
    private BusConnection[] recipients = new BusConnection[16];
    private int recipientCount;
    private Handle[] handleScratch = new Handle[16];
    private int[] resultScratch = new int[16];
    private final MatchIndex.RecipientSink<BusConnection> collector = this::addRecipient;
    private Activator activator;

    Router(Bus bus, PolicyGate policy) {
        this.bus = bus;
        this.policy = policy;
        this.mapping = bus.mapping();
        this.stats = bus.stats;
        this.names = bus.names;
        this.matches = bus.matches;
        this.replies = bus.replies;
        this.byUniqueName = bus.byUniqueName;
        this.monitors = bus.monitors;
        this.monitorRules = bus.monitorRules;
        this.fdCloser = bus.host()::closeFd;
    }

    void setActivator(Activator activator) {
        this.activator = activator;
    }

    /** Routes one valid message {@code m} that {@code sender} sent, with its descriptors. */
    void dispatch(BusConnection sender, DBusMessage m, int[] fds) {
        if (sender.state != BusConnection.State.ACTIVE) {
            if (sender.state == BusConnection.State.AWAITING_HELLO && isHello(m)) {
                toDriver(sender, m, fds);
                return;
            }
            bus.closeFds(fds, fds.length);
            if (sender.state == BusConnection.State.AWAITING_HELLO && m.type() == MessageType.METHOD_CALL
                    && m.fieldEquals(HeaderField.DESTINATION, Bus.DRIVER_NAME)) {
                // dbus-daemon answers, to a placeholder destination, and still accepts Hello afterwards.
                if (m.expectsReply()) {
                    byte[] bytes = MessageBuilder.error(m.serial(), ":not.active.yet", DBusErrors.ACCESS_DENIED)
                            .sender(Bus.DRIVER_NAME)
                            .string("Client tried to send a message other than Hello without being registered")
                            .build(bus.nextDriverSerial());
                    bus.sendFromDriver(sender, bytes);
                }
                return;
            }
            bus.disconnect(sender, DisconnectReason.PROTOCOL_VIOLATION, sender.state == BusConnection.State.MONITOR
                    ? "a monitor sent a message" : "the first message must be Hello");
            return;
        }
        stats.received(m.type(), m.length());
        if (m.fieldEquals(HeaderField.DESTINATION, Bus.DRIVER_NAME)) {
            toDriver(sender, m, fds);
            return;
        }
        switch (m.type()) {
            case MessageType.METHOD_CALL -> routeCall(sender, m, fds);
            case MessageType.METHOD_RETURN, MessageType.ERROR -> routeReply(sender, m, fds);
            default -> routeSignal(sender, m, fds);
        }
    }

    private static boolean isHello(DBusMessage m) {
        return m.type() == MessageType.METHOD_CALL && m.fieldEquals(HeaderField.DESTINATION, Bus.DRIVER_NAME)
                && m.fieldEquals(HeaderField.MEMBER, "Hello")
                && (!m.hasField(HeaderField.INTERFACE) || m.fieldEquals(HeaderField.INTERFACE, Bus.DRIVER_NAME));
    }

    private void toDriver(BusConnection sender, DBusMessage m, int[] fds) {
        // The driver takes no descriptors; dbus-daemon drops them too.
        bus.closeFds(fds, fds.length);
        if (sender.uniqueName != null) {
            String denied = policy.denial(sender, null, m, false, false);
            if (denied != null) {
                if (m.expectsReply()) {
                    bus.sendError(sender, m.serial(), DBusErrors.ACCESS_DENIED, denied);
                }
                return;
            }
        }
        // Before Hello the sender has no name yet: the driver shows monitors the Hello once it assigned one.
        if (!monitors.isEmpty() && sender.uniqueName != null) {
            BusMessage copy = stitchCopy(sender, m);
            if (copy != null) {
                toMonitors(m, sender.uniqueName, copy, null);
                copy.release();
            }
        }
        int code = mapping.toDriver(sender.peer(), new DriverCall(sender, m), m.length());
        if (code == SendResult.QUOTA) {
            stats.quotaRejected(QuotaResource.DRIVER_QUEUE);
        }
        if (code == SendResult.QUOTA && m.expectsReply()) {
            bus.sendError(sender, m.serial(), DBusErrors.LIMITS_EXCEEDED,
                    "The maximum number of pending messages for the bus driver has been reached");
        }
    }

    /** The connection a unique or well-known name stands for now, or null. */
    BusConnection resolve(String name) {
        if (name.isEmpty()) {
            return null;
        }
        if (name.charAt(0) == ':') {
            return byUniqueName.get(name);
        }
        return names.primaryOwner(name);
    }

    /** The message as it is forwarded; its buffer goes back to the pool once every receiver has written it. */
    private BusMessage stitch(BusConnection sender, DBusMessage m, int[] fds) {
        return stitch(sender, m, fds, bus.buffers());
    }

    /**
     * A forwarded copy of a message that something else still reads (the driver's call, shown to monitors): its
     * buffer is not recycled.
     */
    private BusMessage stitchCopy(BusConnection sender, DBusMessage m) {
        return stitch(sender, m, BusMessage.NO_FDS, null);
    }

    private BusMessage stitch(BusConnection sender, DBusMessage m, int[] fds, LargeBufferPool pool) {
        byte[] head = SenderStitcher.stitch(m, sender.uniqueNameBytes);
        if (head == null) {
            return null;
        }
        return new BusMessage(head, m.buffer(), m.bodyOffset(), m.bodyLength(), fds, fdCloser, pool);
    }

    private void routeCall(BusConnection sender, DBusMessage m, int[] fds) {
        String destination = m.destination();
        boolean expectsReply = m.expectsReply();
        if (destination == null) {
            // A method call without a destination reaches only eavesdroppers and monitors (dbus-daemon).
            deliverUnaddressed(sender, m, fds);
            return;
        }
        BusConnection target = resolve(destination);
        if (target == null && Activator.mayActivate(destination, m.hasFlag(MessageFlag.NO_AUTO_START))) {
            activate(sender, m, fds, destination);
            return;
        }
        if (target == null || !target.isActive()) {
            bus.closeFds(fds, fds.length);
            if (expectsReply) {
                if (m.hasFlag(MessageFlag.NO_AUTO_START)) {
                    bus.sendError(sender, m.serial(), DBusErrors.NAME_HAS_NO_OWNER,
                            "Name \"" + destination + "\" does not exist");
                } else {
                    bus.sendError(sender, m.serial(), DBusErrors.SERVICE_UNKNOWN,
                            "The name " + destination + " was not provided by any .service files");
                }
            }
            return;
        }
        if (fds.length > 0 && !target.fdsEnabled) {
            bus.closeFds(fds, fds.length);
            if (expectsReply) {
                bus.sendError(sender, m.serial(), DBusErrors.NOT_SUPPORTED,
                        "Tried to send message with Unix file descriptors to a client that doesn't support that.");
            }
            return;
        }
        String denied = policy.denial(sender, target, m, false, false);
        if (denied != null) {
            bus.closeFds(fds, fds.length);
            if (expectsReply) {
                bus.sendError(sender, m.serial(), DBusErrors.ACCESS_DENIED, denied);
            }
            return;
        }
        BusMessage out = stitch(sender, m, fds);
        if (out == null) {
            bus.closeFds(fds, fds.length);
            stats.quotaRejected(QuotaResource.MESSAGE_SIZE);
            if (expectsReply) {
                bus.sendError(sender, m.serial(), DBusErrors.LIMITS_EXCEEDED, "Message too large to forward");
            }
            return;
        }
        ReplyEndpoint<BusConnection> callerEndpoint = sender.replyEndpoint;
        ReplyEndpoint<BusConnection> calleeEndpoint = target.replyEndpoint;
        boolean slot = false;
        if (expectsReply) {
            ReplyTracker.ExpectResult r = replies.expectReply(callerEndpoint, (int) m.serial(), calleeEndpoint,
                    System.nanoTime());
            if (r == ReplyTracker.ExpectResult.LIMIT_EXCEEDED) {
                out.release();
                stats.quotaRejected(QuotaResource.PENDING_REPLIES);
                bus.sendError(sender, m.serial(), DBusErrors.LIMITS_EXCEEDED,
                        "The maximum number of pending replies for \"" + sender.uniqueName + "\" has been reached");
                return;
            }
            slot = r == ReplyTracker.ExpectResult.ADDED;
        }
        int code = mapping.unicast(sender.peer(), target, out);
        if (code != SendResult.OK) {
            if (slot) {
                replies.acceptReply(calleeEndpoint, callerEndpoint, (int) m.serial());
            }
            stats.quotaRejected(QuotaResource.QUEUE);
            if (expectsReply) {
                bus.sendError(sender, m.serial(), DBusErrors.LIMITS_EXCEEDED,
                        "The maximum number of queued messages for \"" + target.uniqueName + "\" has been reached");
            }
        } else {
            stats.sent(m.type(), out.size(), 1);
        }
        observers(sender, m, out, target);
        out.release();
    }

    /**
     * A message to a well-known name with no owner: it waits for the name's service (dbus-daemon's auto-start).
     * Monitors and eavesdroppers see it now, as dbus-daemon shows it when it is dispatched.
     */
    private void activate(BusConnection sender, DBusMessage m, int[] fds, String destination) {
        BusMessage out = stitch(sender, m, fds);
        if (out == null) {
            bus.closeFds(fds, fds.length);
            stats.quotaRejected(QuotaResource.MESSAGE_SIZE);
            if (m.expectsReply()) {
                bus.sendError(sender, m.serial(), DBusErrors.LIMITS_EXCEEDED, "Message too large to forward");
            }
            return;
        }
        if (bus.eavesdropRules > 0 || !monitors.isEmpty()) {
            observers(sender, m, out, null);
        }
        activator.enqueue(sender, m, out, destination);
    }

    /**
     * Delivers a message that waited for an activation to the name's new owner, with the checks it would have met
     * had the owner been there (fds, policy, reply slot, quota). Takes over the caller's reference to {@code out}.
     */
    void forwardActivated(BusConnection sender, DBusMessage m, BusMessage out, BusConnection target) {
        boolean expectsReply = m.expectsReply();
        boolean call = m.type() == MessageType.METHOD_CALL;
        if (out.fds.length > 0 && !target.fdsEnabled) {
            out.release();
            if (expectsReply) {
                bus.sendError(sender, m.serial(), DBusErrors.NOT_SUPPORTED,
                        "Tried to send message with Unix file descriptors to a client that doesn't support that.");
            }
            return;
        }
        String denied = policy.denial(sender, target, m, false, false);
        if (denied != null) {
            out.release();
            if (expectsReply) {
                bus.sendError(sender, m.serial(), DBusErrors.ACCESS_DENIED, denied);
            }
            return;
        }
        ReplyEndpoint<BusConnection> callerEndpoint = sender.replyEndpoint;
        ReplyEndpoint<BusConnection> calleeEndpoint = target.replyEndpoint;
        boolean slot = false;
        if (call && expectsReply) {
            ReplyTracker.ExpectResult r = replies.expectReply(callerEndpoint, (int) m.serial(), calleeEndpoint,
                    System.nanoTime());
            if (r == ReplyTracker.ExpectResult.LIMIT_EXCEEDED) {
                out.release();
                stats.quotaRejected(QuotaResource.PENDING_REPLIES);
                bus.sendError(sender, m.serial(), DBusErrors.LIMITS_EXCEEDED,
                        "The maximum number of pending replies for \"" + sender.uniqueName + "\" has been reached");
                return;
            }
            slot = r == ReplyTracker.ExpectResult.ADDED;
        }
        int code = mapping.unicast(sender.peer(), target, out);
        if (code != SendResult.OK) {
            if (slot) {
                replies.acceptReply(calleeEndpoint, callerEndpoint, (int) m.serial());
            }
            stats.quotaRejected(QuotaResource.QUEUE);
            if (expectsReply) {
                bus.sendError(sender, m.serial(), DBusErrors.LIMITS_EXCEEDED,
                        "The maximum number of queued messages for \"" + target.uniqueName + "\" has been reached");
            }
        } else {
            stats.sent(m.type(), out.size(), 1);
        }
        out.release();
    }

    private void routeReply(BusConnection sender, DBusMessage m, int[] fds) {
        String destination = m.destination();
        BusConnection target = destination == null ? null : resolve(destination);
        if (target == null || !target.isActive()) {
            // The caller is gone; its reply slot went with it.
            bus.closeFds(fds, fds.length);
            stats.unexpectedReply();
            return;
        }
        ReplyTracker.ReplyResult r = replies.acceptReply(sender.replyEndpoint, target.replyEndpoint,
                (int) m.replySerial());
        if (r != ReplyTracker.ReplyResult.ACCEPTED) {
            // dbus-broker's rule: only an expected reply passes, once. Anything else is dropped, and the sender
            // is told as dbus-daemon tells it (its default policy denies unrequested replies).
            bus.closeFds(fds, fds.length);
            stats.unexpectedReply();
            stats.policyDenied(PolicyDenial.SEND);
            if (!m.hasFlag(MessageFlag.NO_REPLY_EXPECTED)) {
                bus.sendError(sender, m.serial(), DBusErrors.ACCESS_DENIED, "Rejected send message: "
                        + (m.type() == MessageType.ERROR ? "error" : "method_return") + " with reply_serial "
                        + m.replySerial() + " from " + sender.uniqueName + " to " + destination
                        + " was not requested (requested_reply=0)");
            }
            return;
        }
        String denied = policy.denial(sender, target, m, true, false);
        if (denied != null) {
            bus.closeFds(fds, fds.length);
            // The caller's slot is gone: tell it, so that it does not wait forever.
            bus.sendError(target, m.replySerial(), DBusErrors.ACCESS_DENIED, denied);
            return;
        }
        if (fds.length > 0 && !target.fdsEnabled) {
            bus.closeFds(fds, fds.length);
            bus.sendError(target, m.replySerial(), DBusErrors.NOT_SUPPORTED,
                    "Tried to send message with Unix file descriptors to a client that doesn't support that.");
            return;
        }
        BusMessage out = stitch(sender, m, fds);
        if (out == null) {
            bus.closeFds(fds, fds.length);
            stats.quotaRejected(QuotaResource.MESSAGE_SIZE);
            bus.sendError(target, m.replySerial(), DBusErrors.LIMITS_EXCEEDED, "Reply too large to forward");
            return;
        }
        int code = mapping.unicast(sender.peer(), target, out);
        if (code != SendResult.OK) {
            stats.quotaRejected(QuotaResource.QUEUE);
            // The caller would wait forever: tell it, as dbus-broker does when a reply cannot be queued.
            bus.sendError(target, m.replySerial(), DBusErrors.LIMITS_EXCEEDED,
                    "The reply could not be queued: the recipient's queue is full");
        } else {
            stats.sent(m.type(), out.size(), 1);
        }
        observers(sender, m, out, target);
        out.release();
    }

    private void routeSignal(BusConnection sender, DBusMessage m, int[] fds) {
        String destination = m.destination();
        if (destination != null) {
            BusConnection target = resolve(destination);
            if (target == null && Activator.mayActivate(destination, m.hasFlag(MessageFlag.NO_AUTO_START))) {
                // dbus-daemon activates for any message with a destination, signals too.
                activate(sender, m, fds, destination);
                return;
            }
            if (target == null || !target.isActive() || (fds.length > 0 && !target.fdsEnabled)
                    || policy.denial(sender, target, m, false, false) != null) {
                deliverUnaddressed(sender, m, fds);
                return;
            }
            BusMessage out = stitch(sender, m, fds);
            if (out == null) {
                bus.closeFds(fds, fds.length);
                return;
            }
            if (mapping.unicast(sender.peer(), target, out) == SendResult.OK) {
                stats.sent(m.type(), out.size(), 1);
            } else {
                stats.quotaRejected(QuotaResource.QUEUE);
            }
            observers(sender, m, out, target);
            out.release();
            return;
        }
        BusMessage out = stitch(sender, m, fds);
        if (out == null) {
            bus.closeFds(fds, fds.length);
            return;
        }
        recipientCount = 0;
        matches.collectRecipients(view.of(m, sender.uniqueName), null, names, collector);
        if (fds.length > 0) {
            dropRecipientsWithoutFds();
        }
        dropRecipientsDeniedByPolicy(sender, m, false);
        int delivered = multicast(sender, out);
        stats.broadcast(out.size(), delivered);
        if (!monitors.isEmpty()) {
            toMonitors(m, sender.uniqueName, out, null);
        }
        out.release();
    }

    /** A message with no reachable addressee: eavesdroppers and monitors still see it. */
    private void deliverUnaddressed(BusConnection sender, DBusMessage m, int[] fds) {
        if (bus.eavesdropRules == 0 && monitors.isEmpty()) {
            bus.closeFds(fds, fds.length);
            return;
        }
        BusMessage out = stitch(sender, m, fds);
        if (out == null) {
            bus.closeFds(fds, fds.length);
            return;
        }
        observers(sender, m, out, null);
        out.release();
    }

    /** Eavesdropping match rules and monitors of a unicast message. */
    private void observers(BusConnection sender, DBusMessage m, BusMessage out, BusConnection target) {
        if (bus.eavesdropRules > 0) {
            recipientCount = 0;
            matches.collectRecipients(view.of(m, sender.uniqueName), target, names, collector);
            if (recipientCount > 0) {
                if (out.fds.length > 0) {
                    dropRecipientsWithoutFds();
                }
                dropRecipientsDeniedByPolicy(sender, m, true);
                multicast(sender, out);
            }
        }
        if (!monitors.isEmpty()) {
            toMonitors(m, sender.uniqueName, out, target);
        }
    }

    private void addRecipient(BusConnection c) {
        if (!c.isActive() || c.state == BusConnection.State.MONITOR) {
            return;
        }
        if (recipientCount == recipients.length) {
            recipients = Arrays.copyOf(recipients, recipientCount * 2);
        }
        recipients[recipientCount++] = c;
    }

    /** Keeps the recipients the sender may send to and that may receive the message ({@code eavesdropping} copies). */
    private void dropRecipientsDeniedByPolicy(BusConnection sender, DBusMessage m, boolean eavesdropping) {
        if (recipientCount == 0) {
            return;
        }
        boolean reply = m.type() == MessageType.METHOD_RETURN || m.type() == MessageType.ERROR;
        int n = 0;
        for (int i = 0; i < recipientCount; i++) {
            if (policy.denial(sender, recipients[i], m, reply, eavesdropping) == null) {
                recipients[n++] = recipients[i];
            }
        }
        for (int i = n; i < recipientCount; i++) {
            recipients[i] = null;
        }
        recipientCount = n;
    }

    private void dropRecipientsWithoutFds() {
        int n = 0;
        for (int i = 0; i < recipientCount; i++) {
            if (recipients[i].fdsEnabled) {
                recipients[n++] = recipients[i];
            }
        }
        for (int i = n; i < recipientCount; i++) {
            recipients[i] = null;
        }
        recipientCount = n;
    }

    private int multicast(BusConnection sender, BusMessage out) {
        int n = recipientCount;
        if (n == 0) {
            return 0;
        }
        if (handleScratch.length < n) {
            handleScratch = new Handle[Math.max(n, handleScratch.length * 2)];
            resultScratch = new int[handleScratch.length];
        }
        int delivered = mapping.multicast(sender == null ? mapping.driverPeer() : sender.peer(), recipients, n, out,
                handleScratch, resultScratch);
        if (delivered < n) {
            stats.quotaRejected(QuotaResource.QUEUE);
        }
        for (int i = 0; i < n; i++) {
            recipients[i] = null;
        }
        recipientCount = 0;
        return delivered;
    }

    /**
     * Every monitor whose rules match gets a copy, sent by the driver (monitors are read-only peers); a monitor
     * that is itself the addressee ({@code except}) already has it.
     */
    void toMonitors(DBusMessage m, String senderName, BusMessage out, BusConnection except) {
        view.of(m, senderName);
        int n = 0;
        for (BusConnection mon : monitors) {
            if (mon == except) {
                continue;
            }
            List<MatchRule> rules = monitorRules.get(mon);
            boolean match = rules == null || rules.isEmpty();
            if (!match) {
                for (MatchRule r : rules) {
                    if (r.matches(view, m.destination(), names)) {
                        match = true;
                        break;
                    }
                }
            }
            if (match && (out.fds.length == 0 || mon.fdsEnabled)) {
                if (recipients.length <= recipientCount + n) {
                    recipients = Arrays.copyOf(recipients, (recipientCount + n + 1) * 2);
                }
                recipients[n++] = mon;
            }
        }
        recipientCount = n;
        multicast(null, out);
    }

    /** Shows monitors the Hello of a connection that has just got its unique name. */
    void monitorHello(BusConnection c, DBusMessage hello) {
        if (monitors.isEmpty()) {
            return;
        }
        BusMessage copy = stitchCopy(c, hello);
        if (copy != null) {
            toMonitors(hello, c.uniqueName, copy, null);
            copy.release();
        }
    }

    /** Sends {@code out} from {@code sender} (null: the driver) to every subscriber whose rules select it. */
    int broadcast(DBusMessage m, String senderName, BusConnection sender, BusMessage out) {
        recipientCount = 0;
        matches.collectRecipients(view.of(m, senderName), null, names, collector);
        return multicast(sender, out);
    }
}
