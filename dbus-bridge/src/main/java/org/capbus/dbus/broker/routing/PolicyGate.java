package org.capbus.dbus.broker.routing;

import org.capbus.config.PeerNames;
import org.capbus.config.PolicyMessage;
import org.capbus.dbus.broker.connection.BusConnection;
import org.capbus.dbus.broker.stats.BusStats;
import org.capbus.dbus.broker.stats.PolicyDenial;
import org.capbus.dbus.log.BusLog;
import org.capbus.dbus.wire.DBusMessage;
import org.capbus.dbus.wire.DBusNames;
import org.capbus.dbus.wire.MessageType;

/**
 * The configuration's {@code <policy>} applied to routing: the sender's send rules and the receiver's receive
 * rules, as dbus-daemon's {@code bus_context_check_security_policy} applies them. For the common session policy
 * (every send and receive allowed) it decides without building anything per message.
 *
 * <p>Owned by the {@link Router}; event-loop thread only.
 */
final class PolicyGate {
    private final BusStats stats;

    PolicyGate(BusStats stats) {
        this.stats = stats;
    }

    /** The message as policy rules see it (built once per message, only when a check needs it). */
    static PolicyMessage policyMessage(DBusMessage m) {
        org.capbus.config.MessageType type = switch (m.type()) {
            case MessageType.METHOD_CALL -> org.capbus.config.MessageType.METHOD_CALL;
            case MessageType.METHOD_RETURN -> org.capbus.config.MessageType.METHOD_RETURN;
            case MessageType.ERROR -> org.capbus.config.MessageType.ERROR;
            default -> org.capbus.config.MessageType.SIGNAL;
        };
        return new PolicyMessage(type, m.path(), m.interfaceName(), m.member(), m.errorName(), m.destination(),
                m.type() == MessageType.METHOD_RETURN || m.type() == MessageType.ERROR, m.unixFds());
    }

    /**
     * The configuration's send rules of the sender and receive rules of the receiver (dbus-daemon's
     * {@code bus_context_check_security_policy}); null if allowed, else the AccessDenied text.
     */
    String denial(BusConnection sender, BusConnection receiver, DBusMessage m, boolean requestedReply,
                                boolean eavesdropping) {
        if (!eavesdropping && sender.policy().sendsUnrestricted()
                && (receiver == null || receiver.policy().receivesUnrestricted())) {
            return null; // the common session-bus policy: nothing to check, nothing to build
        }
        PolicyMessage pm = policyMessage(m);
        PeerNames receiverNames = receiver == null ? DRIVER_NAMES : receiver;
        String denial = null;
        if (!eavesdropping && !sender.policy().canSend(pm, receiverNames, requestedReply)) {
            stats.policyDenied(PolicyDenial.SEND);
            denial = describe("send", sender.policy().matchedSendRules(pm, receiverNames, requestedReply), sender,
                    receiver, pm, requestedReply);
        } else if (receiver != null && !receiver.policy().canReceive(pm, sender, requestedReply, eavesdropping)) {
            stats.policyDenied(PolicyDenial.RECEIVE);
            denial = describe("receive", receiver.policy().matchedReceiveRules(pm, sender, requestedReply,
                    eavesdropping), sender, receiver, pm, requestedReply);
        }
        // As dbus-daemon (complain_about_message): logged when the addressed recipient is refused, not an eavesdropper.
        if (denial != null && !eavesdropping) {
            BusLog.security(denial);
        }
        return denial;
    }

    /**
     * The AccessDenied text for a reply nobody asked for, which dbus-daemon refuses in its send policy check (an allow
     * rule covers only requested replies unless it says otherwise), so it names the rules that applied.
     */
    String unrequestedReply(BusConnection sender, BusConnection receiver, DBusMessage m) {
        PolicyMessage pm = policyMessage(m);
        return describe("send", sender.policy().matchedSendRules(pm, receiver, false), sender, receiver, pm, false);
    }

    /** dbus-daemon's text of a denial, the AccessDenied error's and the log line's (complain_about_message). */
    private static String describe(String what, int matchedRules, BusConnection sender, BusConnection receiver,
                                   PolicyMessage pm, boolean requestedReply) {
        return "Rejected " + what + " message, " + matchedRules + " matched rules; "
                + Complaint.message(sender, receiver, pm, requestedReply);
    }

    private static final PeerNames DRIVER_NAMES = PeerNames.of(DBusNames.DRIVER_NAME);
}
