package org.capbus.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The policy of one connection: the send, receive and own rules that apply to its user, in the order
 * dbus-daemon applies them (see {@link BusPolicy#forPeer}). Immutable; checks allocate nothing, so
 * the bridge may call them on its event-loop thread for every message.
 *
 * <p>Each check walks every rule and the last matching one wins; if none matches, the answer is
 * deny (dbus-daemon's {@code bus_client_policy_check_can_*}).
 */
public final class ClientPolicy {

    /** dbus-daemon's DBUS_MAXIMUM_MESSAGE_UNIX_FDS: a max_fds of this or more bounds nothing. */
    static final int MAX_MESSAGE_UNIX_FDS = 134_217_728 / 4;

    private final SendRule[] send;
    private final PolicyDecision[] sendDecisions;
    private final ReceiveRule[] receive;
    private final PolicyDecision[] receiveDecisions;
    private final OwnRule[] own;
    private final boolean sendsUnrestricted;
    private final boolean receivesUnrestricted;

    ClientPolicy(List<PolicyRule> rules) {
        List<SendRule> s = new ArrayList<>();
        List<ReceiveRule> r = new ArrayList<>();
        List<OwnRule> o = new ArrayList<>();
        for (PolicyRule rule : rules) {
            switch (rule) {
                case SendRule x -> s.add(x);
                case ReceiveRule x -> r.add(x);
                case OwnRule x -> o.add(x);
                case ConnectRule x -> { }
            }
        }
        send = s.toArray(SendRule[]::new);
        receive = r.toArray(ReceiveRule[]::new);
        own = o.toArray(OwnRule[]::new);
        sendDecisions = new PolicyDecision[send.length];
        for (int i = 0; i < send.length; i++) {
            sendDecisions[i] = new PolicyDecision(send[i].allow(), send[i]);
        }
        sendsUnrestricted = unrestricted(send);
        receivesUnrestricted = unrestrictedReceive(receive);
        receiveDecisions = new PolicyDecision[receive.length];
        for (int i = 0; i < receive.length; i++) {
            receiveDecisions[i] = new PolicyDecision(receive[i].allow(), receive[i]);
        }
    }

    /**
     * Whether every send passes {@link #checkSend}: no deny rule, and an allow rule with no condition at all
     * ({@code <allow send_destination="*"/>}). Replies the receiver did not request are the bridge's to refuse
     * (it never forwards them). The bridge then skips building a {@link PolicyMessage} per message.
     */
    public boolean sendsUnrestricted() {
        return sendsUnrestricted;
    }

    /**
     * Whether every non-eavesdropping receive passes {@link #checkReceive}: no deny rule, and an allow rule with
     * no condition ({@code <allow receive_sender="*"/>}).
     */
    public boolean receivesUnrestricted() {
        return receivesUnrestricted;
    }

    private static boolean unrestricted(SendRule[] rules) {
        boolean open = false;
        for (SendRule r : rules) {
            if (!r.allow()) {
                return false;
            }
            if (r.type() == null && r.path() == null && r.interfaceName() == null && r.member() == null
                    && r.errorName() == null && r.destination() == null && r.broadcast() == Tristate.ANY
                    && r.minFds() == 0 && r.maxFds() >= MAX_MESSAGE_UNIX_FDS) {
                open = true;
            }
        }
        return open;
    }

    private static boolean unrestrictedReceive(ReceiveRule[] rules) {
        boolean open = false;
        for (ReceiveRule r : rules) {
            if (!r.allow()) {
                return false;
            }
            if (r.type() == null && r.path() == null && r.interfaceName() == null && r.member() == null
                    && r.errorName() == null && r.sender() == null && r.minFds() == 0
                    && r.maxFds() >= MAX_MESSAGE_UNIX_FDS) {
                open = true;
            }
        }
        return open;
    }

    /** Whether this connection may send {@code message} to {@code receiver}; see {@link #checkSend}. */
    public boolean canSend(PolicyMessage message, PeerNames receiver, boolean requestedReply) {
        return checkSend(message, receiver, requestedReply).allowed();
    }

    /**
     * The send check.
     *
     * @param message        the message
     * @param receiver       the names of the connection it is delivered to; for a message to the bus
     *                       driver, or one that starts activation, the destination name alone
     *                       ({@code PeerNames.of(destination)}); for a broadcast, each receiver in turn
     * @param requestedReply for a reply: whether the receiver asked for it (a pending call exists)
     */
    public PolicyDecision checkSend(PolicyMessage message, PeerNames receiver, boolean requestedReply) {
        PolicyDecision decision = PolicyDecision.DEFAULT_DENY;
        for (int i = 0; i < send.length; i++) {
            if (sendRuleApplies(send[i], message, receiver, requestedReply)) {
                decision = sendDecisions[i];
            }
        }
        return decision;
    }

    /**
     * How many send rules apply to {@code message} (dbus-daemon's "toggles"), for the "Rejected send message, N
     * matched rules" text of an AccessDenied error. Arguments as {@link #checkSend}.
     */
    public int matchedSendRules(PolicyMessage message, PeerNames receiver, boolean requestedReply) {
        int n = 0;
        for (SendRule rule : send) {
            if (sendRuleApplies(rule, message, receiver, requestedReply)) {
                n++;
            }
        }
        return n;
    }

    private static boolean sendRuleApplies(SendRule rule, PolicyMessage message, PeerNames receiver,
                                           boolean requestedReply) {
        if (rule.type() != null && rule.type() != message.type()) {
            return false;
        }
        if (message.isReply()
                && !coversReply(rule.allow(), rule.requestedReply(), rule.eavesdrop(), requestedReply)) {
            return false;
        }
        if (!matchesHeader(rule.allow(), rule.path(), rule.interfaceName(), rule.member(), rule.errorName(),
                message)) {
            return false;
        }
        if (rule.broadcast() != Tristate.ANY
                && (message.isBroadcast() ? rule.broadcast() == Tristate.FALSE : rule.broadcast() == Tristate.TRUE)) {
            return false;
        }
        if (rule.destination() != null) {
            boolean matches = rule.destinationIsPrefix()
                    ? receiver.hasNameUnder(rule.destination())
                    : receiver.hasName(rule.destination());
            if (!matches) {
                return false;
            }
        }
        return matchesFds(rule.minFds(), rule.maxFds(), message);
    }

    /** Whether this connection may receive {@code message} from {@code sender}; see {@link #checkReceive}. */
    public boolean canReceive(PolicyMessage message, PeerNames sender, boolean requestedReply, boolean eavesdropping) {
        return checkReceive(message, sender, requestedReply, eavesdropping).allowed();
    }

    /**
     * The receive check.
     *
     * @param message        the message
     * @param sender         the names of the sending connection ({@code PeerNames.of("org.freedesktop.DBus")}
     *                       for the bus driver)
     * @param requestedReply for a reply: whether this connection asked for it
     * @param eavesdropping  whether this connection is not the addressed recipient of a message that
     *                       has a destination (it sees it through an eavesdrop match rule)
     */
    public PolicyDecision checkReceive(PolicyMessage message, PeerNames sender, boolean requestedReply,
                                       boolean eavesdropping) {
        PolicyDecision decision = PolicyDecision.DEFAULT_DENY;
        for (int i = 0; i < receive.length; i++) {
            if (receiveRuleApplies(receive[i], message, sender, requestedReply, eavesdropping)) {
                decision = receiveDecisions[i];
            }
        }
        return decision;
    }

    /**
     * How many receive rules apply to {@code message} (dbus-daemon's "toggles"), for the "Rejected receive message,
     * N matched rules" text of an AccessDenied error. Arguments as {@link #checkReceive}.
     */
    public int matchedReceiveRules(PolicyMessage message, PeerNames sender, boolean requestedReply,
                                   boolean eavesdropping) {
        int n = 0;
        for (ReceiveRule rule : receive) {
            if (receiveRuleApplies(rule, message, sender, requestedReply, eavesdropping)) {
                n++;
            }
        }
        return n;
    }

    private static boolean receiveRuleApplies(ReceiveRule rule, PolicyMessage message, PeerNames sender,
                                              boolean requestedReply, boolean eavesdropping) {
        if (rule.type() != null && rule.type() != message.type()) {
            return false;
        }
        // An allow rule applies to eavesdropping only with eavesdrop="true"; a deny rule with
        // eavesdrop="true" applies only to eavesdropping.
        if (eavesdropping && rule.allow() && !rule.eavesdrop()) {
            return false;
        }
        if (!eavesdropping && !rule.allow() && rule.eavesdrop()) {
            return false;
        }
        if (message.isReply()
                && !coversReply(rule.allow(), rule.requestedReply(), rule.eavesdrop(), requestedReply)) {
            return false;
        }
        if (!matchesHeader(rule.allow(), rule.path(), rule.interfaceName(), rule.member(), rule.errorName(),
                message)) {
            return false;
        }
        if (rule.sender() != null && !sender.hasName(rule.sender())) {
            return false;
        }
        return matchesFds(rule.minFds(), rule.maxFds(), message);
    }

    /** Whether this connection may own (request) the well-known name {@code name}. */
    public boolean canOwn(String name) {
        boolean allowed = false;
        for (OwnRule rule : own) {
            if (rule.name() != null) {
                if (rule.prefix() ? !PeerNames.isNameUnder(name, rule.name()) : !rule.name().equals(name)) {
                    continue;
                }
            }
            allowed = rule.allow();
        }
        return allowed;
    }

    /**
     * The header-field part of a rule, with dbus-daemon's asymmetries: a rule's path, member or error
     * name is ignored when the message lacks that field; a rule's interface does not match a message
     * without one if the rule allows, and does if it denies (so a deny is not dodged by leaving the
     * optional interface out).
     */
    private static boolean matchesHeader(boolean allow, String path, String iface, String member, String error,
                                         PolicyMessage m) {
        if (path != null && m.path() != null && !path.equals(m.path())) {
            return false;
        }
        if (iface != null) {
            if (m.interfaceName() == null ? allow : !iface.equals(m.interfaceName())) {
                return false;
            }
        }
        if (member != null && m.member() != null && !member.equals(m.member())) {
            return false;
        }
        return error == null || m.errorName() == null || error.equals(m.errorName());
    }

    /**
     * Whether a rule applies to a reply: an allow rule with requested_reply="true" (the default) covers only replies
     * that were asked for, unless it allows eavesdropping; a deny rule with requested_reply="false" (the default)
     * covers only replies that were not.
     */
    private static boolean coversReply(boolean allow, boolean ruleRequestedReply, boolean ruleEavesdrop,
                                       boolean requestedReply) {
        if (allow) {
            return requestedReply || !ruleRequestedReply || ruleEavesdrop;
        }
        return !requestedReply || ruleRequestedReply;
    }

    private static boolean matchesFds(int min, int max, PolicyMessage m) {
        return (min == 0 && max >= MAX_MESSAGE_UNIX_FDS) || (m.unixFds() >= min && m.unixFds() <= max);
    }
}
