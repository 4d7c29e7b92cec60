package org.capbus.dbus.activation;

import java.util.function.Consumer;

/**
 * Starts the program of an activation and watches it until it exits, without blocking the caller: the bus calls
 * {@link #launch} on its event loop and hears of a failure later, on whatever thread the launcher uses (the bus
 * moves it back onto its loop). A child that exits with status 0 is not a failure (it may have daemonized, as
 * dbus-daemon assumes); the bus then waits for the name or the timeout.
 */
public interface ServiceLauncher {

    /**
     * Starts {@code request} in the background; {@code onFailure} is called at most once, if the program cannot
     * be executed or exits unsuccessfully (with the error waiting callers get).
     */
    Launch launch(LaunchRequest request, Consumer<ActivationError> onFailure);

    /** A started (or starting) child. */
    interface Launch {
        /** Kills the child (SIGKILL, as dbus-daemon at timeout); harmless once it exited or if it never started. */
        void kill();

        /** The child's process id; -1 while it is being started (or if it never was). */
        long pid();
    }
}
