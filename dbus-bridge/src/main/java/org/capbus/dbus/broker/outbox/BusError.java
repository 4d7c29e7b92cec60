package org.capbus.dbus.broker.outbox;

import org.capbus.core.SendResult;
import org.capbus.dbus.DBusErrors;
import org.capbus.dbus.broker.stats.QuotaResource;

/**
 * The outcomes that make the bus answer a message with an error instead of delivering it, and the one table that
 * turns each into its D-Bus error name and text (with dbus-daemon's wording where dbus-daemon has one), as
 * dbus-broker maps its {@code *_E_*} results in one place. Routing and the driver say which outcome and fill in its
 * subjects; {@link Outbox#error(org.capbus.dbus.broker.connection.BusConnection, long, BusError, Object...)} sends it.
 *
 * <p>The constants are preallocated: choosing an outcome allocates nothing; only the text, on the error path, is
 * built. A quota outcome names the {@link QuotaResource} that ran out.
 */
public enum BusError {
    // ---- addressing ----
    /** The first message was not Hello but was addressed to the driver (dbus-daemon answers, then waits for Hello). */
    NOT_REGISTERED(DBusErrors.ACCESS_DENIED, null,
            "Client tried to send a message other than Hello without being registered"),
    /** No connection owns the destination, and the caller asked not to start one (NO_AUTO_START). Arg: name. */
    NAME_HAS_NO_OWNER(DBusErrors.NAME_HAS_NO_OWNER, null, "Name \"%s\" does not exist"),
    /** No connection owns the destination and no service file provides it. Arg: name. */
    SERVICE_UNKNOWN(DBusErrors.SERVICE_UNKNOWN, null, "The name %s was not provided by any .service files"),
    /** The message carries descriptors and the receiver did not negotiate them. */
    FDS_NOT_SUPPORTED(DBusErrors.NOT_SUPPORTED, null,
            "Tried to send message with Unix file descriptors to a client that doesn't support that."),
    /**
     * The message carries more descriptors than one write can pass ({@code TransportConnection.MAX_FDS_PER_MESSAGE}):
     * the receiver would get its UNIX_FDS header without them. Args: count, maximum.
     */
    TOO_MANY_FDS(DBusErrors.LIMITS_EXCEEDED, QuotaResource.MESSAGE_UNIX_FDS,
            "Message has %d unix fds, more than the %d one message can pass"),
    /** The receiver went away while the message was being sent (the core: destroyed). Args: name, core reason. */
    DESTINATION_GONE(DBusErrors.NAME_HAS_NO_OWNER, null, "Name \"%s\" is gone (%s)"),

    // ---- policy ----
    /** A {@code <policy>} send or receive rule refused. Arg: the rule's description (PolicyGate). */
    POLICY_DENIED(DBusErrors.ACCESS_DENIED, null, "%s"),
    /**
     * A reply nobody asked for, or asked for once and answered already: dbus-daemon refuses it in its send policy
     * check (requested_reply=0), so the text is the policy's. Arg: PolicyGate's description.
     */
    UNEXPECTED_REPLY(DBusErrors.ACCESS_DENIED, null, "%s"),

    // ---- quotas ----
    /** The message would exceed max_message_size once the bus adds its sender field. */
    MESSAGE_TOO_LARGE(DBusErrors.LIMITS_EXCEEDED, QuotaResource.MESSAGE_SIZE, "Message too large to forward"),
    /** As {@link #MESSAGE_TOO_LARGE}, for a reply (the caller is told). */
    REPLY_TOO_LARGE(DBusErrors.LIMITS_EXCEEDED, QuotaResource.MESSAGE_SIZE, "Reply too large to forward"),
    /** The caller waits for max_replies_per_connection replies already (dbus-daemon's text names no one). */
    PENDING_REPLIES(DBusErrors.LIMITS_EXCEEDED, QuotaResource.PENDING_REPLIES,
            "The maximum number of pending replies per connection has been reached"),
    /**
     * The core refused: the receiver's queue (or its user's, or the sender's fair share of it) is full, in bytes
     * (max_outgoing_bytes), descriptors (max_outgoing_unix_fds) or messages. dbus-daemon's text (bus/bus.c,
     * bus_context_check_security_policy), which names the message as its policy denials do, then which budget ran
     * out, which dbus-daemon does not say. Args: that description (type, sender, interface, member, error name,
     * requested_reply, destination), the core's reason ({@link #coreReason}).
     */
    QUEUE_FULL(DBusErrors.LIMITS_EXCEEDED, QuotaResource.QUEUE,
            "Rejected: destination has a full message queue, 0 matched rules; %s (%s)"),
    /**
     * As {@link #QUEUE_FULL}, for a reply: the caller is told, so that it does not wait forever (dbus-daemon refuses
     * the reply to its sender instead). Args: the caller, the core's reason ({@link #coreReason}: which budget).
     */
    REPLY_QUEUE_FULL(DBusErrors.LIMITS_EXCEEDED, QuotaResource.QUEUE,
            "The reply could not be queued: the queue of \"%s\" is full (%s)"),
    /** Too many callers wait for activations. Args: the name, max_pending_service_starts. */
    ACTIVATION_LIMIT(DBusErrors.LIMITS_EXCEEDED, QuotaResource.QUEUE, "The maximum number of pending activations has"
            + " been reached, activation of %s failed (max_pending_service_starts=%d)"),
    /** The core refused to queue a message waiting for an activation (the sender's share is used up). Arg: name. */
    ACTIVATION_QUEUE_FULL(DBusErrors.LIMITS_EXCEEDED, QuotaResource.QUEUE,
            "The maximum number of messages waiting for the activation of \"%s\" has been reached"),
    /** The driver's own queue is full for this sender. */
    DRIVER_QUEUE_FULL(DBusErrors.LIMITS_EXCEEDED, QuotaResource.DRIVER_QUEUE,
            "The maximum number of pending messages for the bus driver has been reached"),

    // ---- the driver's refusals ----
    /** A well-known or unique name the driver was asked about has no owner. Args: what ("owner", "UID"...), name. */
    NO_SUCH_NAME(DBusErrors.NAME_HAS_NO_OWNER, null, "Could not get %s of name '%s': no such name"),
    /** An {@code <own>} rule refused RequestName. Args: the caller's unique name, the name. */
    OWN_DENIED(DBusErrors.ACCESS_DENIED, null, "Connection \"%s\" is not allowed to own the service \"%s\" due to"
            + " security policies in the configuration file"),
    /**
     * max_completed_connections: Hello refused; the connection stays open and may try again (dbus-daemon's
     * bus_connections_check_limits).
     */
    COMPLETED_CONNECTIONS(DBusErrors.LIMITS_EXCEEDED, QuotaResource.CONNECTIONS,
            "The maximum number of active connections has been reached"),
    /** max_connections_per_user: Hello refused; the connection stays open, as for the total. Arg: the uid. */
    CONNECTIONS_PER_USER(DBusErrors.LIMITS_EXCEEDED, QuotaResource.CONNECTIONS_PER_USER,
            "The maximum number of active connections for UID %d has been reached"),
    /** max_names_per_connection. Args: the caller's unique name, the limit. */
    NAMES_PER_CONNECTION(DBusErrors.LIMITS_EXCEEDED, QuotaResource.NAMES, "Connection \"%s\" is not allowed to own"
            + " more services (increase limits in configuration file if required; max_names_per_connection=%d)"),
    /** max_match_rules_per_connection. Args: the caller's unique name, the limit. */
    MATCH_RULES_PER_CONNECTION(DBusErrors.LIMITS_EXCEEDED, QuotaResource.MATCH_RULES, "Connection \"%s\" is not"
            + " allowed to add more match rules (increase limits in configuration file if required;"
            + " max_match_rules_per_connection=%d)"),

    /**
     * A privileged driver method (UpdateActivationEnvironment, BecomeMonitor) called by a user other than root and
     * the bus's own (dbus-daemon's bus_driver_check_caller_is_privileged). Args: method, caller's unique name, its
     * loginfo, its uid.
     */
    NOT_PRIVILEGED(DBusErrors.ACCESS_DENIED, null, "rejected attempt to call %s by connection %s (%s) with uid %d"),
    /** A privileged driver method called at another object path than /org/freedesktop/DBus. Args: method, path. */
    CANONICAL_PATH_ONLY(DBusErrors.ACCESS_DENIED, null,
            "Method '%s' is only available at the canonical object path '%s'"),
    /** UpdateActivationEnvironment on a bus with a {@code <servicehelper>}: its services would inherit it. */
    ACTIVATION_ENVIRONMENT_REFUSED(DBusErrors.ACCESS_DENIED, null,
            "Cannot change activation environment on a system bus."),
    /** Properties.Get/GetAll/Set on an interface the bus object does not have. Arg: the interface. */
    UNKNOWN_INTERFACE(DBusErrors.UNKNOWN_INTERFACE, null, "Interface \"%s\" not found"),

    // ---- departures ----
    /** The callee left (or became a monitor) without answering the call. */
    NO_REPLY(DBusErrors.NO_REPLY, null, "Message recipient disconnected from message bus without replying"),
    /** reply_timeout passed without a reply: the bus answers the caller and frees the slot. */
    REPLY_TIMEOUT(DBusErrors.NO_REPLY, null, "Message did not receive a reply (timeout by message bus)"),
    /** The core refused for a reason that is a bug in the bus (invalid handle, sender disconnected). Args: receiver, core reason. */
    CORE_REFUSED(DBusErrors.FAILED, null, "The message to \"%s\" could not be queued (%s)");

    private final String errorName;
    private final QuotaResource resource;
    private final String template;

    BusError(String errorName, QuotaResource resource, String template) {
        this.errorName = errorName;
        this.resource = resource;
        this.template = template;
    }

    /** The D-Bus error name. */
    public String errorName() {
        return errorName;
    }

    /** The limit that ran out, for a quota outcome; null otherwise. */
    public QuotaResource resource() {
        return resource;
    }

    /** The error's text with {@code args} filled in (see each constant for its arguments). Error path only. */
    public String text(Object... args) {
        return args.length == 0 ? template : String.format(template, args);
    }

    /**
     * The outcome of a failed core send ({@link SendResult} code {@code code}) of a call or signal ({@code reply}
     * false) or of a reply.
     */
    public static BusError ofCoreSend(int code, boolean reply) {
        return switch (code) {
            case SendResult.QUOTA -> reply ? REPLY_QUEUE_FULL : QUEUE_FULL;
            case SendResult.DESTROYED -> DESTINATION_GONE;
            default -> CORE_REFUSED;
        };
    }

    /**
     * Why the core refused a send, for texts and logs: the {@link SendResult} {@code code} and, for a quota, which
     * budget ran out ({@code quota}, a {@code SendResult.QUOTA_*} kind, as {@code Peer.lastQuota()} tells it).
     */
    public static String coreReason(int code, int quota) {
        return switch (code) {
            case SendResult.OK -> "ok";
            case SendResult.DESTROYED -> "destination destroyed";
            case SendResult.QUOTA -> switch (quota) {
                case SendResult.QUOTA_BYTES -> "bytes quota";
                case SendResult.QUOTA_MESSAGES -> "messages quota";
                case SendResult.QUOTA_HANDLES -> "handles quota";
                case SendResult.QUOTA_FDS -> "unix fds quota";
                default -> "quota";
            };
            case SendResult.INVALID_HANDLE -> "invalid handle";
            case SendResult.DISCONNECTED -> "sender disconnected";
            default -> "core result " + code;
        };
    }
}
