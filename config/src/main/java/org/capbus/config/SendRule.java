package org.capbus.config;

/**
 * An {@code <allow>}/{@code <deny>} with {@code send_*} attributes: which messages a connection
 * may send. Null strings mean "any".
 *
 * @param allow               allow or deny
 * @param type                {@code send_type}, null for any
 * @param path                {@code send_path}
 * @param interfaceName       {@code send_interface}
 * @param member              {@code send_member}
 * @param errorName           {@code send_error}
 * @param destination         {@code send_destination} or {@code send_destination_prefix}
 * @param destinationIsPrefix whether {@code destination} came from {@code send_destination_prefix}
 * @param broadcast           {@code send_broadcast}
 * @param requestedReply      {@code send_requested_reply}; defaults to {@code allow}: an allow rule
 *                            covers only requested replies, a deny rule only unrequested ones
 * @param eavesdrop           {@code eavesdrop}
 * @param log                 {@code log}: dbus-daemon logs denials by this rule
 * @param minFds              {@code min_fds}
 * @param maxFds              {@code max_fds}
 * @param source              {@code file:line}
 */
public record SendRule(boolean allow, MessageType type, String path, String interfaceName, String member,
                       String errorName, String destination, boolean destinationIsPrefix, Tristate broadcast,
                       boolean requestedReply, boolean eavesdrop, boolean log, int minFds, int maxFds,
                       String source) implements PolicyRule {
}
