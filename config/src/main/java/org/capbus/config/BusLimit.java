package org.capbus.config;

/**
 * The {@code <limit name="...">} settings of dbus-daemon, with its compiled-in defaults (used when a
 * file does not set the limit) and the values of its stock {@code session.conf}.
 *
 * <p>The defaults are those dbus-daemon 1.14 documents in the comments of its {@code system.conf}, except
 * {@code auth_timeout}: its {@code config-parser.c} compiles in 30 seconds, whatever that comment still says.
 * Times are in milliseconds; {@code reply_timeout} of -1 means "never".
 */
public enum BusLimit {
    MAX_INCOMING_BYTES("max_incoming_bytes", 133_169_152L, 1_000_000_000L, false),
    MAX_INCOMING_UNIX_FDS("max_incoming_unix_fds", 64, 250_000_000L, false),
    MAX_OUTGOING_BYTES("max_outgoing_bytes", 133_169_152L, 1_000_000_000L, false),
    MAX_OUTGOING_UNIX_FDS("max_outgoing_unix_fds", 64, 250_000_000L, false),
    MAX_MESSAGE_SIZE("max_message_size", 33_554_432L, 1_000_000_000L, false),
    /** session.conf deliberately keeps the default: the in-kernel limit is low too. */
    MAX_MESSAGE_UNIX_FDS("max_message_unix_fds", 16, 16, false),
    SERVICE_START_TIMEOUT("service_start_timeout", 25_000, 120_000, true),
    AUTH_TIMEOUT("auth_timeout", 30_000, 240_000, true),
    PENDING_FD_TIMEOUT("pending_fd_timeout", 150_000, 150_000, true),
    MAX_COMPLETED_CONNECTIONS("max_completed_connections", 2_048, 100_000, true),
    MAX_INCOMPLETE_CONNECTIONS("max_incomplete_connections", 64, 10_000, true),
    MAX_CONNECTIONS_PER_USER("max_connections_per_user", 256, 100_000, true),
    MAX_PENDING_SERVICE_STARTS("max_pending_service_starts", 512, 10_000, true),
    MAX_NAMES_PER_CONNECTION("max_names_per_connection", 512, 50_000, true),
    MAX_MATCH_RULES_PER_CONNECTION("max_match_rules_per_connection", 512, 50_000, true),
    MAX_REPLIES_PER_CONNECTION("max_replies_per_connection", 128, 50_000, true),
    REPLY_TIMEOUT("reply_timeout", -1, -1, true),
    // Accepted because dbus-daemon accepts them (its experimental app-container support);
    // nothing in capbus enforces them.
    MAX_CONTAINERS("max_containers", 512, 512, true),
    MAX_CONTAINERS_PER_USER("max_containers_per_user", 16, 16, true),
    MAX_CONTAINER_METADATA_BYTES("max_container_metadata_bytes", 4_096, 4_096, true),
    MAX_CONNECTIONS_PER_CONTAINER("max_connections_per_container", 8, 8, true);

    private static final BusLimit[] VALUES = values();

    private final String configName;
    private final long defaultValue;
    private final long sessionValue;
    private final boolean mustFitInt;

    BusLimit(String configName, long defaultValue, long sessionValue, boolean mustFitInt) {
        this.configName = configName;
        this.defaultValue = defaultValue;
        this.sessionValue = sessionValue;
        this.mustFitInt = mustFitInt;
    }

    /** The value of the {@code name} attribute. */
    public String configName() {
        return configName;
    }

    /** dbus-daemon's compiled-in value. */
    public long defaultValue() {
        return defaultValue;
    }

    /** The value dbus-daemon's stock session.conf sets. */
    public long sessionValue() {
        return sessionValue;
    }

    /** dbus-daemon stores this limit in a C int and refuses larger values. */
    boolean mustFitInt() {
        return mustFitInt;
    }

    /** The limit called {@code name} in a configuration file, or null if there is none. */
    public static BusLimit byConfigName(String name) {
        for (BusLimit limit : VALUES) {
            if (limit.configName.equals(name)) {
                return limit;
            }
        }
        return null;
    }
}
