package org.capbus.config;

import java.nio.file.Path;
import java.util.Map;

/**
 * Compiles the attributes of one {@code <allow>}/{@code <deny>} into a {@link PolicyRule}, with the
 * checks and error texts of dbus-daemon's {@code append_rule_from_element}.
 */
final class PolicyRuleParser {

    private static final String[] ATTRIBUTES = {
        "send_interface", "send_member", "send_error", "send_destination", "send_destination_prefix",
        "send_path", "send_type", "send_broadcast", "send_requested_reply",
        "receive_interface", "receive_member", "receive_error", "receive_sender", "receive_path",
        "receive_type", "receive_requested_reply",
        "eavesdrop", "max_fds", "min_fds", "own", "own_prefix", "user", "group", "log",
    };

    private final Path file;
    private final int line;
    private final String element;
    private final Map<String, String> a;

    private PolicyRuleParser(Path file, int line, String element, Map<String, String> attributes) {
        this.file = file;
        this.line = line;
        this.element = element;
        this.a = attributes;
    }

    static PolicyRule parse(boolean allow, String element, Map<String, String> attributes, Path file, int line)
            throws ConfigException {
        return new PolicyRuleParser(file, line, element, attributes).parse(allow);
    }

    private ConfigException error(String reason) {
        return new ConfigException(file, line, reason);
    }

    private PolicyRule parse(boolean allow) throws ConfigException {
        outer:
        for (String name : a.keySet()) {
            for (String known : ATTRIBUTES) {
                if (known.equals(name)) {
                    continue outer;
                }
            }
            throw error("Attribute \"" + name + "\" is invalid on <" + element + "> element in this context");
        }
        String source = file + ":" + line;
        String sendInterface = a.get("send_interface");
        String sendMember = a.get("send_member");
        String sendError = a.get("send_error");
        String sendDestination = a.get("send_destination");
        String sendDestinationPrefix = a.get("send_destination_prefix");
        String sendPath = a.get("send_path");
        String sendType = a.get("send_type");
        String sendBroadcast = a.get("send_broadcast");
        String sendRequestedReply = a.get("send_requested_reply");
        String receiveInterface = a.get("receive_interface");
        String receiveMember = a.get("receive_member");
        String receiveError = a.get("receive_error");
        String receiveSender = a.get("receive_sender");
        String receivePath = a.get("receive_path");
        String receiveType = a.get("receive_type");
        String receiveRequestedReply = a.get("receive_requested_reply");
        String eavesdrop = a.get("eavesdrop");
        String maxFds = a.get("max_fds");
        String minFds = a.get("min_fds");
        String own = a.get("own");
        String ownPrefix = a.get("own_prefix");
        String user = a.get("user");
        String group = a.get("group");
        String log = a.get("log");

        boolean anySend = sendDestination != null || sendDestinationPrefix != null || sendBroadcast != null
                || sendPath != null || sendType != null || sendInterface != null || sendMember != null
                || sendError != null || sendRequestedReply != null;
        // <allow eavesdrop="true"/> alone means <allow receive_sender="*" eavesdrop="true"/>.
        boolean anyReceive = receiveSender != null || receivePath != null || receiveType != null
                || receiveInterface != null || receiveMember != null || receiveError != null
                || receiveRequestedReply != null || (!anySend && eavesdrop != null);
        boolean anyMessage = anySend || anyReceive || eavesdrop != null || maxFds != null || minFds != null;

        if (!(anySend || anyReceive || own != null || ownPrefix != null || user != null || group != null)) {
            throw error("Element <" + element + "> must have one or more attributes");
        }
        if ((sendMember != null && sendInterface == null && sendPath == null)
                || (receiveMember != null && receiveInterface == null && receivePath == null)) {
            throw error("On element <" + element + ">, if you specify a member you must specify an interface or"
                    + " a path. Keep in mind that not all messages have an interface field.");
        }
        int exclusive = (anyMessage ? 1 : 0) + (own != null ? 1 : 0) + (ownPrefix != null ? 1 : 0)
                + (user != null ? 1 : 0) + (group != null ? 1 : 0);
        if (exclusive > 1) {
            throw error("Invalid combination of attributes on element <" + element + ">: own, own_prefix, user,"
                    + " group and the message-related attributes cannot be combined");
        }
        if (anySend && anyReceive) {
            throw error("Invalid combination of attributes on element <" + element + ">: send and receive"
                    + " attributes cannot be combined");
        }
        if ((sendMember != null || sendInterface != null) && sendError != null) {
            throw error("Invalid combination of attributes on element <" + element + ">: send_error cannot be"
                    + " combined with send_member or send_interface");
        }
        if (sendDestination != null && sendDestinationPrefix != null) {
            throw error("Invalid combination of attributes on element <" + element + ">: send_destination cannot"
                    + " be combined with send_destination_prefix");
        }
        if ((receiveMember != null || receiveInterface != null) && receiveError != null) {
            throw error("Invalid combination of attributes on element <" + element + ">: receive_error cannot be"
                    + " combined with receive_member or receive_interface");
        }

        if (anySend) {
            MessageType type = messageType(wildcard(sendType));
            boolean eaves = bool("eavesdrop", eavesdrop, false);
            Tristate broadcast = sendBroadcast == null ? Tristate.ANY
                    : bool("send_broadcast", sendBroadcast, false) ? Tristate.TRUE : Tristate.FALSE;
            if (sendDestination != null && broadcast == Tristate.TRUE) {
                // Broadcasts have no destination, so this could never match.
                throw error("Rule with send_broadcast=\"true\" and send_destination=\"" + sendDestination
                        + "\" cannot match anything");
            }
            boolean requestedReply = bool("send_requested_reply", sendRequestedReply, allow);
            int max = fds("max_fds", maxFds, ClientPolicy.MAX_MESSAGE_UNIX_FDS);
            int min = fds("min_fds", minFds, 0);
            String destination = sendDestination != null ? wildcard(sendDestination) : sendDestinationPrefix;
            return new SendRule(allow, type, wildcard(sendPath), wildcard(sendInterface), wildcard(sendMember),
                    wildcard(sendError), destination, sendDestinationPrefix != null, broadcast, requestedReply,
                    eaves, "true".equals(log), min, max, source);
        }
        if (anyReceive) {
            MessageType type = messageType(wildcard(receiveType));
            boolean eaves = bool("eavesdrop", eavesdrop, false);
            boolean requestedReply = bool("receive_requested_reply", receiveRequestedReply, allow);
            int max = fds("max_fds", maxFds, ClientPolicy.MAX_MESSAGE_UNIX_FDS);
            int min = fds("min_fds", minFds, 0);
            return new ReceiveRule(allow, type, wildcard(receivePath), wildcard(receiveInterface),
                    wildcard(receiveMember), wildcard(receiveError), wildcard(receiveSender), requestedReply,
                    eaves, min, max, source);
        }
        if (own != null) {
            return new OwnRule(allow, wildcard(own), false, source);
        }
        if (ownPrefix != null) {
            return new OwnRule(allow, ownPrefix, true, source);
        }
        if (user != null) {
            return new ConnectRule(allow, false, wildcard(user), source);
        }
        if (group != null) {
            return new ConnectRule(allow, true, wildcard(group), source);
        }
        // Only max_fds/min_fds: dbus-daemon asserts this cannot happen; say what is missing.
        throw error("Element <" + element + "> must have one or more send_ or receive_ attributes");
    }

    /** In the file "*" means any; in a rule, null does. */
    private static String wildcard(String s) {
        return "*".equals(s) ? null : s;
    }

    private MessageType messageType(String name) throws ConfigException {
        if (name == null) {
            return null;
        }
        MessageType t = MessageType.byConfigName(name);
        if (t == null) {
            throw error("Bad message type \"" + name + "\"");
        }
        return t;
    }

    private boolean bool(String attribute, String value, boolean def) throws ConfigException {
        if (value == null) {
            return def;
        }
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw error("Bad value \"" + value + "\" for " + attribute
                    + " attribute, must be true or false");
        };
    }

    private int fds(String attribute, String value, int def) throws ConfigException {
        if (value == null) {
            return def;
        }
        try {
            long v = Long.parseLong(value.strip());
            if (v >= 0 && v <= ClientPolicy.MAX_MESSAGE_UNIX_FDS) {
                return (int) v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw error("Bad value \"" + value + "\" for " + attribute + " attribute, must be an integer in range 0 to "
                + ClientPolicy.MAX_MESSAGE_UNIX_FDS + " inclusive");
    }
}
