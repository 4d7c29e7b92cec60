package org.capbus.dbus.broker.routing;

import org.capbus.core.SendResult;
import org.capbus.dbus.broker.connection.BusConnection;
import org.capbus.dbus.broker.connection.BusMessage;
import org.capbus.dbus.broker.connection.ConnectionState;
import org.capbus.dbus.broker.connection.CoreMapping;
import org.capbus.dbus.broker.connection.DriverCall;
import org.capbus.dbus.broker.connection.Recipients;
import org.capbus.dbus.broker.outbox.BusError;
import org.capbus.dbus.broker.outbox.Outbox;
import org.capbus.dbus.broker.state.ActivationStarter;
import org.capbus.dbus.broker.state.Activations;
import org.capbus.dbus.broker.state.BusState;
import org.capbus.dbus.broker.state.MatchView;
import org.capbus.dbus.broker.stats.BusStats;
import org.capbus.dbus.broker.stats.PolicyDenial;
import org.capbus.dbus.broker.stats.QuotaResource;
import org.capbus.dbus.bus.MatchIndex;
import org.capbus.dbus.bus.ReplyEndpoint;
import org.capbus.dbus.bus.ReplyTracker;
import org.capbus.dbus.io.TransportConnection;
import org.capbus.dbus.wire.DBusMessage;
import org.capbus.dbus.wire.DBusNames;
import org.capbus.dbus.wire.HeaderField;
import org.capbus.dbus.wire.LargeBufferPool;
import org.capbus.dbus.wire.MessageFlag;
import org.capbus.dbus.wire.MessageType;
import org.capbus.dbus.wire.SenderStitcher;

/**
 * Where each message a client sends goes, and which outcome ({@link BusError}) answers a message that cannot go
 * anywhere: the driver, a unique or well-known name (with its reply slot), the subscribers a broadcast's match rules
 * select, eavesdroppers and monitors. Every delivery is a core send ({@link CoreMapping}); one rebuilt header
 * ({@link SenderStitcher}) and one {@link BusMessage} are shared by all receivers of a message. What the bus
 * answers itself goes through the {@link Outbox}.
 *
 * <p>Reads and changes the {@link BusState} (reply slots); owned by the composition root. Event-loop thread only.
 * The recipient list is scratch space reused by every message, so routing allocates nothing per receiver.
 */
public final class Router {
    /** {@link #dispatch}'s answer when the sender broke the protocol by sending a message before Hello. */
    public static final String NOT_HELLO_FIRST = "the first message must be Hello";
    /** {@link #dispatch}'s answer when a monitor sent a message. */
    public static final String MONITOR_SENT = "a monitor sent a message";

    private final BusState state;
    private final Outbox outbox;
    private final CoreMapping mapping;
    private final PolicyGate policy;
    private final BusStats stats;
    private final ReplyTracker<BusConnection> replies;
    /** Closes a message's descriptors once its last receiver took them; one instance, not one per message. */
    private final BusMessage.FdCloser fdCloser;
    /** Where the buffers of forwarded messages go back once every receiver has written them. */
    private final LargeBufferPool buffers;
    private final MatchView view = new MatchView();
    private final Recipients recipients = new Recipients();
    private final MatchIndex.RecipientSink<BusConnection> collector = this::addRecipient;
    /** The sender dbus-daemon writes into a message from a connection that has not said Hello. */
    private static final String NOT_ACTIVE_YET_NAME = ":not.active.yet";
    private static final byte[] NOT_ACTIVE_YET =
            NOT_ACTIVE_YET_NAME.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private ActivationStarter starter;
    private long maxPendingStarts;

    /**
     * A router over {@code state}, answering through {@code outbox}, sending over {@code mapping}; {@code fdCloser}
     * closes descriptors the bus does not pass on, {@code buffers} takes back large message buffers.
     */
    public Router(BusState state, Outbox outbox, CoreMapping mapping, BusStats stats, BusMessage.FdCloser fdCloser,
                  LargeBufferPool buffers) {
        this.state = state;
        this.outbox = outbox;
        this.mapping = mapping;
        this.stats = stats;
        this.policy = new PolicyGate(stats);
        this.replies = state.replies();
        this.fdCloser = fdCloser;
        this.buffers = buffers;
    }

    /**
     * Turns on service activation: a message to a well-known name with no owner waits in the state's
     * {@link Activations} (at most {@code maxPendingStarts} callers in all) and {@code starter} starts new ones.
     */
    public void enableActivation(ActivationStarter starter, long maxPendingStarts) {
        this.starter = starter;
        this.maxPendingStarts = maxPendingStarts;
    }

    /**
     * Routes one valid message {@code m} that {@code sender} sent, with its descriptors (which the bus owns from now
     * on). Returns null, or why the sender broke the protocol ({@link #NOT_HELLO_FIRST}, {@link #MONITOR_SENT}): the
     * caller then disconnects it.
     */
    public String dispatch(BusConnection sender, DBusMessage m, int[] fds) {
        ConnectionState s = sender.state();
        if (s != ConnectionState.ACTIVE) {
            if (s == ConnectionState.AWAITING_HELLO && isHello(m)) {
                toDriver(sender, m, fds);
                return null;
            }
            closeFds(fds);
            if (s == ConnectionState.AWAITING_HELLO) {
                showBeforeHello(m);
            }
            if (s == ConnectionState.AWAITING_HELLO && m.type() == MessageType.METHOD_CALL
                    && m.fieldEquals(HeaderField.DESTINATION, DBusNames.DRIVER_NAME)) {
                // dbus-daemon answers, to a placeholder destination, and still accepts Hello afterwards.
                if (m.expectsReply()) {
                    outbox.errorBeforeHello(sender, m.serial(), BusError.NOT_REGISTERED);
                }
                return null;
            }
            return s == ConnectionState.MONITOR ? MONITOR_SENT : NOT_HELLO_FIRST;
        }
        stats.received(m.type(), m.length());
        if (m.fieldEquals(HeaderField.DESTINATION, DBusNames.DRIVER_NAME)) {
            toDriver(sender, m, fds);
            return null;
        }
        switch (m.type()) {
            case MessageType.METHOD_CALL -> routeCall(sender, m, fds);
            case MessageType.METHOD_RETURN, MessageType.ERROR -> routeReply(sender, m, fds);
            default -> routeSignal(sender, m, fds);
        }
        return null;
    }

    private static boolean isHello(DBusMessage m) {
        return m.type() == MessageType.METHOD_CALL && m.fieldEquals(HeaderField.DESTINATION, DBusNames.DRIVER_NAME)
                && m.fieldEquals(HeaderField.MEMBER, "Hello")
                && (!m.hasField(HeaderField.INTERFACE) || m.fieldEquals(HeaderField.INTERFACE, DBusNames.DRIVER_NAME));
    }

    private void toDriver(BusConnection sender, DBusMessage m, int[] fds) {
        // The driver takes no descriptors; dbus-daemon drops them too.
        closeFds(fds);
        if (sender.uniqueName() != null) {
            String denied = policy.denial(sender, null, m, false, false);
            if (denied != null) {
                if (m.expectsReply()) {
                    outbox.error(sender, m.serial(), BusError.POLICY_DENIED, denied);
                }
                return;
            }
            // Before Hello the sender has no name yet: the driver shows monitors the Hello once it assigned one.
            outbox.monitorCopy(sender, m);
        }
        int code = mapping.toDriver(sender.peer(), new DriverCall(sender, m), m.length());
        if (code == SendResult.QUOTA) {
            stats.quotaRejected(QuotaResource.DRIVER_QUEUE);
            if (m.expectsReply()) {
                outbox.error(sender, m.serial(), BusError.DRIVER_QUEUE_FULL);
            }
        }
    }

    /** Drops a message whose descriptors are more than one write can pass, closing them. */
    private void refuseFds(int[] fds) {
        closeFds(fds);
        stats.quotaRejected(QuotaResource.MESSAGE_UNIX_FDS);
    }

    private void closeFds(int[] fds) {
        for (int fd : fds) {
            fdCloser.close(fd);
        }
    }

    /**
     * Shows monitors a message the bus refuses (no such name, policy, an unrequested reply), before the error it
     * sends back: dbus-daemon captures every message it is handed, so a monitor sees the refused message and then
     * the error, in that order.
     */
    private void showRefused(BusConnection sender, DBusMessage m) {
        outbox.monitorCopy(sender, m);
    }

    /**
     * Shows monitors a message sent before Hello (other than Hello), with the sender dbus-daemon gives it,
     * {@code :not.active.yet}: dbus-daemon captures it before it answers it or drops its sender for breaking the
     * protocol, so that a monitor sees why the connection went away.
     */
    private void showBeforeHello(DBusMessage m) {
        if (state.monitors().isEmpty()) {
            return;
        }
        byte[] head = SenderStitcher.stitch(m, NOT_ACTIVE_YET);
        if (head != null) {
            BusMessage copy = new BusMessage(head, m.buffer(), m.bodyOffset(), m.bodyLength(), BusMessage.NO_FDS,
                    fdCloser, null);
            view.of(m, NOT_ACTIVE_YET_NAME);
            outbox.toMonitors(view, m.destination(), copy, null);
            copy.release();
        }
    }

    /**
     * The message as it is forwarded; its buffer goes back to the pool once every receiver has written it, and its
     * descriptors count against the sender's max_incoming_unix_fds until then.
     */
    private BusMessage stitch(BusConnection sender, DBusMessage m, int[] fds) {
        byte[] head = SenderStitcher.stitch(m, sender.uniqueNameBytes());
        if (head == null) {
            return null;
        }
        BusMessage out = new BusMessage(head, m.buffer(), m.bodyOffset(), m.bodyLength(), fds, fdCloser, buffers);
        if (fds.length > 0) {
            sender.chargeIncomingFds(out);
        }
        return out;
    }

    private void routeCall(BusConnection sender, DBusMessage m, int[] fds) {
        String destination = m.destination();
        boolean expectsReply = m.expectsReply();
        if (destination == null) {
            if (fds.length > TransportConnection.MAX_FDS_PER_MESSAGE) {
                refuseFds(fds);
                return;
            }
            // A method call without a destination reaches only eavesdroppers and monitors (dbus-daemon).
            deliverUnaddressed(sender, m, fds);
            return;
        }
        BusConnection target = state.resolve(destination);
        if (target == null && mayActivate(destination, m)) {
            activate(sender, m, fds, destination);
            return;
        }
        if (target == null || !target.isActive()) {
            closeFds(fds);
            showRefused(sender, m);
            if (expectsReply) {
                outbox.error(sender, m.serial(), m.hasFlag(MessageFlag.NO_AUTO_START) ? BusError.NAME_HAS_NO_OWNER
                        : BusError.SERVICE_UNKNOWN, destination);
            }
            return;
        }
        if (fds.length > 0 && !target.isFdPassingEnabled()) {
            closeFds(fds);
            showRefused(sender, m);
            if (expectsReply) {
                outbox.error(sender, m.serial(), BusError.FDS_NOT_SUPPORTED);
            }
            return;
        }
        if (fds.length > TransportConnection.MAX_FDS_PER_MESSAGE) {
            refuseFds(fds);
            if (expectsReply) {
                outbox.error(sender, m.serial(), BusError.TOO_MANY_FDS, fds.length,
                        TransportConnection.MAX_FDS_PER_MESSAGE);
            }
            return;
        }
        String denied = policy.denial(sender, target, m, false, false);
        if (denied != null) {
            closeFds(fds);
            showRefused(sender, m);
            if (expectsReply) {
                outbox.error(sender, m.serial(), BusError.POLICY_DENIED, denied);
            }
            return;
        }
        BusMessage out = stitch(sender, m, fds);
        if (out == null) {
            closeFds(fds);
            stats.quotaRejected(QuotaResource.MESSAGE_SIZE);
            if (expectsReply) {
                outbox.error(sender, m.serial(), BusError.MESSAGE_TOO_LARGE);
            }
            return;
        }
        if (!sendCall(sender, m, out, target)) {
            out.release();
            return;
        }
        observers(sender, m, out, target);
        out.release();
    }

    /**
     * Whether a message to {@code destination}, which has no owner, waits for a service to start (dbus-daemon's
     * auto-start) rather than failing at once: a well-known name, and no NO_AUTO_START flag.
     */
    private boolean mayActivate(String destination, DBusMessage m) {
        return starter != null && !m.hasFlag(MessageFlag.NO_AUTO_START) && !destination.isEmpty()
                && destination.charAt(0) != ':';
    }

    /**
     * A message to a well-known name with no owner: it waits for the name's service, charged to its sender.
     * Monitors and eavesdroppers see it now, as dbus-daemon shows it when it is dispatched.
     */
    private void activate(BusConnection sender, DBusMessage m, int[] fds, String destination) {
        BusMessage out = stitch(sender, m, fds);
        if (out == null) {
            closeFds(fds);
            stats.quotaRejected(QuotaResource.MESSAGE_SIZE);
            if (m.expectsReply()) {
                outbox.error(sender, m.serial(), BusError.MESSAGE_TOO_LARGE);
            }
            return;
        }
        observers(sender, m, out, null);
        Activations activations = state.activations();
        switch (activations.addMessage(destination, sender, m, out, maxPendingStarts)) {
            case WAITING -> { }
            case NEW -> starter.start(activations.pending(destination), sender);
            case TOO_MANY -> refuseActivation(sender, m, out, BusError.ACTIVATION_LIMIT, destination, maxPendingStarts);
            case QUOTA -> refuseActivation(sender, m, out, BusError.ACTIVATION_QUEUE_FULL, destination);
        }
    }

    private void refuseActivation(BusConnection sender, DBusMessage m, BusMessage out, BusError error, Object... args) {
        out.release();
        stats.quotaRejected(error.resource());
        if (m.expectsReply()) {
            outbox.error(sender, m.serial(), error, args);
        }
    }

    /**
     * Delivers a message that waited for an activation to the name's new owner, with the checks it would have met
     * had the owner been there (descriptors, policy, reply slot, quota). Takes over the caller's reference to
     * {@code out}.
     */
    public void forwardActivated(BusConnection sender, DBusMessage m, BusMessage out, BusConnection target) {
        boolean expectsReply = m.expectsReply();
        if (out.fdCount() > 0 && !target.isFdPassingEnabled()) {
            out.release();
            if (expectsReply) {
                outbox.error(sender, m.serial(), BusError.FDS_NOT_SUPPORTED);
            }
            return;
        }
        String denied = policy.denial(sender, target, m, false, false);
        if (denied != null) {
            out.release();
            if (expectsReply) {
                outbox.error(sender, m.serial(), BusError.POLICY_DENIED, denied);
            }
            return;
        }
        sendCall(sender, m, out, target);
        out.release();
    }

    /**
     * Sends call (or directed signal) {@code m}, forwarded as {@code out}, to {@code target}: records the reply slot
     * a call expecting a reply needs, and answers the sender with the outcome if the slot or the core refuses.
     * Returns false if the caller already has max_replies_per_connection calls pending (nothing was sent). The caller
     * keeps its reference to {@code out}.
     */
    private boolean sendCall(BusConnection sender, DBusMessage m, BusMessage out, BusConnection target) {
        boolean expectsReply = m.expectsReply();
        ReplyEndpoint<BusConnection> callerEndpoint = sender.replyEndpoint();
        ReplyEndpoint<BusConnection> calleeEndpoint = target.replyEndpoint();
        boolean slot = false;
        if (expectsReply && m.type() == MessageType.METHOD_CALL) {
            ReplyTracker.ExpectResult r = replies.expectReply(callerEndpoint, (int) m.serial(), calleeEndpoint,
                    System.nanoTime());
            if (r == ReplyTracker.ExpectResult.LIMIT_EXCEEDED) {
                stats.quotaRejected(QuotaResource.PENDING_REPLIES);
                outbox.error(sender, m.serial(), BusError.PENDING_REPLIES);
                return false;
            }
            slot = r == ReplyTracker.ExpectResult.ADDED;
        }
        int code = mapping.unicast(sender.peer(), target, out);
        if (code != SendResult.OK) {
            if (slot) {
                replies.acceptReply(calleeEndpoint, callerEndpoint, (int) m.serial());
            }
            BusError refusal = BusError.ofCoreSend(code, false);
            if (refusal.resource() != null) {
                stats.quotaRejected(refusal.resource());
            }
            if (expectsReply) {
                String why = BusError.coreReason(code, sender.peer().lastQuota());
                if (refusal == BusError.QUEUE_FULL) {
                    outbox.error(sender, m.serial(), refusal,
                            Complaint.message(sender, target, PolicyGate.policyMessage(m), false), why);
                } else {
                    outbox.error(sender, m.serial(), refusal, target.uniqueName(), why);
                }
            }
        } else {
            stats.sent(m.type(), out.size(), 1);
        }
        return true;
    }

    private void routeReply(BusConnection sender, DBusMessage m, int[] fds) {
        String destination = m.destination();
        BusConnection target = destination == null ? null : state.resolve(destination);
        if (target == null || !target.isActive()) {
            // The caller is gone; its reply slot went with it.
            closeFds(fds);
            stats.unexpectedReply();
            return;
        }
        ReplyTracker.ReplyResult r = replies.acceptReply(sender.replyEndpoint(), target.replyEndpoint(),
                (int) m.replySerial());
        if (r != ReplyTracker.ReplyResult.ACCEPTED) {
            // dbus-broker's rule: only an expected reply passes, once. Anything else is dropped, and the sender
            // is told as dbus-daemon tells it (its default policy denies unrequested replies).
            closeFds(fds);
            showRefused(sender, m);
            stats.unexpectedReply();
            stats.policyDenied(PolicyDenial.SEND);
            if (!m.hasFlag(MessageFlag.NO_REPLY_EXPECTED)) {
                outbox.error(sender, m.serial(), BusError.UNEXPECTED_REPLY, policy.unrequestedReply(sender, target, m));
            }
            return;
        }
        String denied = policy.denial(sender, target, m, true, false);
        if (denied != null) {
            closeFds(fds);
            showRefused(sender, m);
            // The caller's slot is gone: tell it, so that it does not wait forever.
            outbox.error(target, m.replySerial(), BusError.POLICY_DENIED, denied);
            return;
        }
        if (fds.length > 0 && !target.isFdPassingEnabled()) {
            closeFds(fds);
            outbox.error(target, m.replySerial(), BusError.FDS_NOT_SUPPORTED);
            return;
        }
        if (fds.length > TransportConnection.MAX_FDS_PER_MESSAGE) {
            // The caller's slot is gone: tell it, so that it does not wait forever.
            refuseFds(fds);
            outbox.error(target, m.replySerial(), BusError.TOO_MANY_FDS, fds.length,
                    TransportConnection.MAX_FDS_PER_MESSAGE);
            return;
        }
        BusMessage out = stitch(sender, m, fds);
        if (out == null) {
            closeFds(fds);
            stats.quotaRejected(QuotaResource.MESSAGE_SIZE);
            outbox.error(target, m.replySerial(), BusError.REPLY_TOO_LARGE);
            return;
        }
        int code = mapping.unicast(sender.peer(), target, out);
        if (code != SendResult.OK) {
            BusError refusal = BusError.ofCoreSend(code, true);
            if (refusal.resource() != null) {
                stats.quotaRejected(refusal.resource());
            }
            // The caller would wait forever: tell it, as dbus-broker does when a reply cannot be queued.
            outbox.error(target, m.replySerial(), refusal, target.uniqueName(),
                    BusError.coreReason(code, sender.peer().lastQuota()));
        } else {
            stats.sent(m.type(), out.size(), 1);
        }
        observers(sender, m, out, target);
        out.release();
    }

    private void routeSignal(BusConnection sender, DBusMessage m, int[] fds) {
        if (fds.length > TransportConnection.MAX_FDS_PER_MESSAGE) {
            refuseFds(fds); // nobody could be given them; a signal has nobody to tell
            return;
        }
        String destination = m.destination();
        if (destination != null) {
            BusConnection target = state.resolve(destination);
            if (target == null && mayActivate(destination, m)) {
                // dbus-daemon auto-starts for any message with a destination, signals too.
                activate(sender, m, fds, destination);
                return;
            }
            if (target == null || !target.isActive() || (fds.length > 0 && !target.isFdPassingEnabled())
                    || policy.denial(sender, target, m, false, false) != null) {
                deliverUnaddressed(sender, m, fds);
                return;
            }
            BusMessage out = stitch(sender, m, fds);
            if (out == null) {
                closeFds(fds);
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
            closeFds(fds);
            return;
        }
        state.matches().collectRecipients(view.of(m, sender.uniqueName()), null, state.names(), collector);
        if (fds.length > 0) {
            recipients.dropWithoutFds();
        }
        dropRecipientsDeniedByPolicy(sender, m, false);
        int delivered = multicast(sender, out);
        stats.broadcast(out.size(), delivered);
        if (!state.monitors().isEmpty()) {
            outbox.toMonitors(view.of(m, sender.uniqueName()), m.destination(), out, null);
        }
        out.release();
    }

    /** A message with no reachable addressee: eavesdroppers and monitors still see it. */
    private void deliverUnaddressed(BusConnection sender, DBusMessage m, int[] fds) {
        if (state.eavesdropRules() == 0 && state.monitors().isEmpty()) {
            closeFds(fds);
            return;
        }
        BusMessage out = stitch(sender, m, fds);
        if (out == null) {
            closeFds(fds);
            return;
        }
        observers(sender, m, out, null);
        out.release();
    }

    /** Eavesdropping match rules and monitors of a unicast message. */
    private void observers(BusConnection sender, DBusMessage m, BusMessage out, BusConnection target) {
        if (state.eavesdropRules() > 0) {
            state.matches().collectRecipients(view.of(m, sender.uniqueName()), target, state.names(), collector);
            if (recipients.count() > 0) {
                if (out.fdCount() > 0) {
                    recipients.dropWithoutFds();
                }
                dropRecipientsDeniedByPolicy(sender, m, true);
                multicast(sender, out);
            }
        }
        if (!state.monitors().isEmpty()) {
            outbox.toMonitors(view.of(m, sender.uniqueName()), m.destination(), out, target);
        }
    }

    private void addRecipient(BusConnection c) {
        if (c.isRegistered()) {
            recipients.add(c);
        }
    }

    /** Keeps the recipients the sender may send to and that may receive the message ({@code eavesdropping} copies). */
    private void dropRecipientsDeniedByPolicy(BusConnection sender, DBusMessage m, boolean eavesdropping) {
        int count = recipients.count();
        if (count == 0) {
            return;
        }
        boolean reply = m.type() == MessageType.METHOD_RETURN || m.type() == MessageType.ERROR;
        int n = 0;
        for (int i = 0; i < count; i++) {
            BusConnection r = recipients.get(i);
            if (policy.denial(sender, r, m, reply, eavesdropping) == null) {
                recipients.set(n++, r);
            }
        }
        recipients.truncate(n);
    }

    private int multicast(BusConnection sender, BusMessage out) {
        int n = recipients.count();
        if (n == 0) {
            return 0;
        }
        int delivered = recipients.send(mapping, sender.peer(), out);
        if (delivered < n) {
            stats.quotaRejected(QuotaResource.QUEUE);
        }
        return delivered;
    }
}
