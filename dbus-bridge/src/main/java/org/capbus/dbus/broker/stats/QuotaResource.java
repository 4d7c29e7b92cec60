package org.capbus.dbus.broker.stats;

/**
 * The limits whose exhaustion makes the bus refuse something, as counted in metrics: a bounded label set, one value
 * per limit of the configuration (dbus-daemon's {@code <limit>} names in the comments) or of the core's accounting.
 */
public enum QuotaResource {
    /** The receiver's queue in the core is full for this sender (bytes, messages, handles or fds; fair share). */
    QUEUE("queue"),
    /** The bus driver's own queue is full for this sender. */
    DRIVER_QUEUE("driver_queue"),
    /** {@code max_completed_connections} plus {@code max_incomplete_connections}. */
    CONNECTIONS("connections"),
    /** {@code max_connections_per_user}. */
    CONNECTIONS_PER_USER("connections_per_user"),
    /** {@code max_replies_per_connection}. */
    PENDING_REPLIES("pending_replies"),
    /** {@code max_names_per_connection}. */
    NAMES("names"),
    /** {@code max_match_rules_per_connection}, and match rules over the specification's length limit. */
    MATCH_RULES("match_rules"),
    /** {@code max_incoming_bytes}: the bytes of messages a connection (or its user) is still sending. */
    INCOMING_BYTES("incoming_bytes"),
    /** A message that would exceed {@code max_message_size} once the bus adds its sender field. */
    MESSAGE_SIZE("message_size"),
    /** A message with more descriptors than one {@code sendmsg} passes (SCM_MAX_FD, 253). */
    MESSAGE_UNIX_FDS("message_unix_fds"),
    /** {@code pending_fd_timeout}: descriptors waited too long for the rest of their message (the sender is closed). */
    PENDING_FDS("pending_fds");

    private final String label;

    QuotaResource(String label) {
        this.label = label;
    }

    /** The metric label value. */
    public String label() {
        return label;
    }
}
