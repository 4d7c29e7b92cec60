package org.capbus.dbus;

import java.util.List;

/**
 * The error names the bus sends, as the D-Bus specification and dbus-daemon spell them. The one place they are
 * written; never derived by reflection.
 */
public final class DBusErrors {
    public static final String FAILED = "org.freedesktop.DBus.Error.Failed";
    public static final String NO_MEMORY = "org.freedesktop.DBus.Error.NoMemory";
    public static final String SERVICE_UNKNOWN = "org.freedesktop.DBus.Error.ServiceUnknown";
    public static final String NAME_HAS_NO_OWNER = "org.freedesktop.DBus.Error.NameHasNoOwner";
    public static final String NO_REPLY = "org.freedesktop.DBus.Error.NoReply";
    public static final String IO_ERROR = "org.freedesktop.DBus.Error.IOError";
    public static final String BAD_ADDRESS = "org.freedesktop.DBus.Error.BadAddress";
    public static final String NOT_SUPPORTED = "org.freedesktop.DBus.Error.NotSupported";
    public static final String LIMITS_EXCEEDED = "org.freedesktop.DBus.Error.LimitsExceeded";
    public static final String ACCESS_DENIED = "org.freedesktop.DBus.Error.AccessDenied";
    public static final String AUTH_FAILED = "org.freedesktop.DBus.Error.AuthFailed";
    public static final String NO_SERVER = "org.freedesktop.DBus.Error.NoServer";
    public static final String TIMEOUT = "org.freedesktop.DBus.Error.Timeout";
    public static final String NO_NETWORK = "org.freedesktop.DBus.Error.NoNetwork";
    public static final String ADDRESS_IN_USE = "org.freedesktop.DBus.Error.AddressInUse";
    public static final String DISCONNECTED = "org.freedesktop.DBus.Error.Disconnected";
    public static final String INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs";
    public static final String FILE_NOT_FOUND = "org.freedesktop.DBus.Error.FileNotFound";
    public static final String UNKNOWN_METHOD = "org.freedesktop.DBus.Error.UnknownMethod";
    public static final String UNKNOWN_OBJECT = "org.freedesktop.DBus.Error.UnknownObject";
    public static final String UNKNOWN_INTERFACE = "org.freedesktop.DBus.Error.UnknownInterface";
    public static final String UNKNOWN_PROPERTY = "org.freedesktop.DBus.Error.UnknownProperty";
    public static final String PROPERTY_READ_ONLY = "org.freedesktop.DBus.Error.PropertyReadOnly";
    public static final String TIMED_OUT = "org.freedesktop.DBus.Error.TimedOut";
    public static final String MATCH_RULE_NOT_FOUND = "org.freedesktop.DBus.Error.MatchRuleNotFound";
    public static final String MATCH_RULE_INVALID = "org.freedesktop.DBus.Error.MatchRuleInvalid";
    public static final String SPAWN_SERVICE_NOT_FOUND = "org.freedesktop.DBus.Error.Spawn.ServiceNotFound";
    public static final String SPAWN_EXEC_FAILED = "org.freedesktop.DBus.Error.Spawn.ExecFailed";
    public static final String SPAWN_FORK_FAILED = "org.freedesktop.DBus.Error.Spawn.ForkFailed";
    public static final String SPAWN_CHILD_EXITED = "org.freedesktop.DBus.Error.Spawn.ChildExited";
    public static final String SPAWN_CHILD_SIGNALED = "org.freedesktop.DBus.Error.Spawn.ChildSignaled";
    public static final String SPAWN_FAILED = "org.freedesktop.DBus.Error.Spawn.Failed";
    public static final String SPAWN_SETUP_FAILED = "org.freedesktop.DBus.Error.Spawn.FailedToSetup";
    public static final String SPAWN_CONFIG_INVALID = "org.freedesktop.DBus.Error.Spawn.ConfigInvalid";
    public static final String SPAWN_SERVICE_INVALID = "org.freedesktop.DBus.Error.Spawn.ServiceNotValid";
    public static final String SPAWN_PERMISSIONS_INVALID = "org.freedesktop.DBus.Error.Spawn.PermissionsInvalid";
    public static final String SPAWN_FILE_INVALID = "org.freedesktop.DBus.Error.Spawn.FileInvalid";
    public static final String SPAWN_NO_MEMORY = "org.freedesktop.DBus.Error.Spawn.NoMemory";
    public static final String UNIX_PROCESS_ID_UNKNOWN = "org.freedesktop.DBus.Error.UnixProcessIdUnknown";
    public static final String INVALID_SIGNATURE = "org.freedesktop.DBus.Error.InvalidSignature";
    public static final String INCONSISTENT_MESSAGE = "org.freedesktop.DBus.Error.InconsistentMessage";
    public static final String SELINUX_SECURITY_CONTEXT_UNKNOWN =
            "org.freedesktop.DBus.Error.SELinuxSecurityContextUnknown";
    public static final String ADT_AUDIT_DATA_UNKNOWN = "org.freedesktop.DBus.Error.AdtAuditDataUnknown";
    public static final String OBJECT_PATH_IN_USE = "org.freedesktop.DBus.Error.ObjectPathInUse";
    public static final String INTERACTIVE_AUTHORIZATION_REQUIRED =
            "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired";

    /**
     * Every name above, in declaration order: the bounded label set of the errors-sent metric (any other name is
     * counted as "other"). Add a new constant here too; a test checks that none is missing.
     */
    public static final List<String> ALL = List.of(
            FAILED,
            NO_MEMORY,
            SERVICE_UNKNOWN,
            NAME_HAS_NO_OWNER,
            NO_REPLY,
            IO_ERROR,
            BAD_ADDRESS,
            NOT_SUPPORTED,
            LIMITS_EXCEEDED,
            ACCESS_DENIED,
            AUTH_FAILED,
            NO_SERVER,
            TIMEOUT,
            NO_NETWORK,
            ADDRESS_IN_USE,
            DISCONNECTED,
            INVALID_ARGS,
            FILE_NOT_FOUND,
            UNKNOWN_METHOD,
            UNKNOWN_OBJECT,
            UNKNOWN_INTERFACE,
            UNKNOWN_PROPERTY,
            PROPERTY_READ_ONLY,
            TIMED_OUT,
            MATCH_RULE_NOT_FOUND,
            MATCH_RULE_INVALID,
            SPAWN_SERVICE_NOT_FOUND,
            SPAWN_EXEC_FAILED,
            SPAWN_FORK_FAILED,
            SPAWN_CHILD_EXITED,
            SPAWN_CHILD_SIGNALED,
            SPAWN_FAILED,
            SPAWN_SETUP_FAILED,
            SPAWN_CONFIG_INVALID,
            SPAWN_SERVICE_INVALID,
            SPAWN_PERMISSIONS_INVALID,
            SPAWN_FILE_INVALID,
            SPAWN_NO_MEMORY,
            UNIX_PROCESS_ID_UNKNOWN,
            INVALID_SIGNATURE,
            INCONSISTENT_MESSAGE,
            SELINUX_SECURITY_CONTEXT_UNKNOWN,
            ADT_AUDIT_DATA_UNKNOWN,
            OBJECT_PATH_IN_USE,
            INTERACTIVE_AUTHORIZATION_REQUIRED);

    private DBusErrors() {
    }
}
