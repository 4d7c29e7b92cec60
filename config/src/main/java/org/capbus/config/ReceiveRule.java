package org.capbus.config;

/**
 * An {@code <allow>}/{@code <deny>} with {@code receive_*} attributes (or only {@code eavesdrop},
 * which dbus-daemon reads as {@code receive_sender="*"}): which messages a connection may receive.
 *
 * @param allow          allow or deny
 * @param type           {@code receive_type}, null for any
 * @param path           {@code receive_path}
 * @param interfaceName  {@code receive_interface}
 * @param member         {@code receive_member}
 * @param errorName      {@code receive_error}
 * @param sender         {@code receive_sender}
 * @param requestedReply {@code receive_requested_reply}; defaults to {@code allow}
 * @param eavesdrop      {@code eavesdrop}
 * @param minFds         {@code min_fds}
 * @param maxFds         {@code max_fds}
 * @param source         {@code file:line}
 */
public record ReceiveRule(boolean allow, MessageType type, String path, String interfaceName, String member,
                          String errorName, String sender, boolean requestedReply, boolean eavesdrop,
                          int minFds, int maxFds, String source) implements PolicyRule {
}
