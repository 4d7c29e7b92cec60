package org.capbus.dbus.activation;

import org.capbus.dbus.DBusErrors;

/**
 * Why an activation failed: the D-Bus error name and text every caller waiting for it receives, with
 * dbus-daemon's wording ({@code bus/activation.c}, {@code dbus/dbus-spawn-unix.c}). The one table from launch
 * outcomes to errors (the bus's other refusals are in the broker's {@code BusError} table). Immutable.
 *
 * @param name    the error name (a {@link DBusErrors} constant)
 * @param message the error's text
 */
public record ActivationError(String name, String message) {

    /** The program could not be executed; {@code reason} is the system's text (strerror). */
    public static ActivationError execFailed(String serviceName, String reason) {
        return new ActivationError(DBusErrors.SPAWN_EXEC_FAILED,
                "Failed to execute program " + serviceName + ": " + reason);
    }

    /** The child exited with a non-zero status before taking its name. */
    public static ActivationError childExited(String serviceName, int status) {
        return new ActivationError(DBusErrors.SPAWN_CHILD_EXITED,
                "Process " + serviceName + " exited with status " + status);
    }

    /** The child was killed by a signal before taking its name. */
    public static ActivationError childSignaled(String serviceName, int signal) {
        return new ActivationError(DBusErrors.SPAWN_CHILD_SIGNALED,
                "Process " + serviceName + " received signal " + signal);
    }

    /** The service did not take its name within {@code service_start_timeout}. */
    public static ActivationError timedOut(String serviceName, long timeoutMs) {
        return new ActivationError(DBusErrors.TIMED_OUT, "Failed to activate service '" + serviceName
                + "': timed out (service_start_timeout=" + timeoutMs + "ms)");
    }

    /** The Exec= line cannot be split into arguments. */
    public static ActivationError badCommandLine(String reason) {
        return new ActivationError(DBusErrors.FAILED, reason);
    }

    /** A system bus cannot start a service without User= through its launch helper. */
    public static ActivationError noUser() {
        return new ActivationError(DBusErrors.SPAWN_FILE_INVALID, "Cannot do system-bus activation with no user\n");
    }

    /**
     * The launch helper ({@code dbus-daemon-launch-helper}) exited with {@code code}: its documented exit codes
     * ({@code bus/activation-exit-codes.h}) mapped as dbus-daemon's {@code handle_servicehelper_exit_error} does.
     */
    public static ActivationError fromLaunchHelper(int code) {
        return switch (code) {
            case 3 -> new ActivationError(DBusErrors.SPAWN_CONFIG_INVALID,
                    "Invalid configuration (missing or empty <user>?)");
            case 2 -> new ActivationError(DBusErrors.NO_MEMORY, "Launcher could not run (out of memory)");
            case 4 -> new ActivationError(DBusErrors.SPAWN_SETUP_FAILED, "Failed to setup environment correctly");
            case 5 -> new ActivationError(DBusErrors.SPAWN_SERVICE_INVALID, "Bus name is not valid or missing");
            case 6 -> new ActivationError(DBusErrors.SPAWN_SERVICE_NOT_FOUND,
                    "Bus name not found in system service directory");
            case 7 -> new ActivationError(DBusErrors.SPAWN_PERMISSIONS_INVALID,
                    "The permission of the setuid helper is not correct");
            case 8 -> new ActivationError(DBusErrors.SPAWN_PERMISSIONS_INVALID,
                    "The service file is incorrect or does not have all required attributes");
            case 9 -> new ActivationError(DBusErrors.SPAWN_EXEC_FAILED,
                    "Cannot launch daemon, file not found or permissions invalid");
            case 10 -> new ActivationError(DBusErrors.INVALID_ARGS, "Invalid arguments to command line");
            case 11 -> new ActivationError(DBusErrors.SPAWN_CHILD_SIGNALED,
                    "Launched child was signaled, it probably crashed");
            default -> new ActivationError(DBusErrors.SPAWN_CHILD_EXITED,
                    "Launch helper exited with unknown return code " + code);
        };
    }
}
