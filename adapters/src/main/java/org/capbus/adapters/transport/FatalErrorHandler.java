package org.capbus.adapters.transport;

import org.slf4j.LoggerFactory;

/**
 * What happens when an {@link Error} ({@code OutOfMemoryError}, {@code StackOverflowError}, a linkage error) reaches
 * the event loop: the loop's state may be half-changed, so the only safe answer is to stop the process at once and
 * loudly, and let the service manager start a fresh bus ({@code Restart=on-failure} in the units). A bus whose loop
 * died while the process lives on serves nobody and is never restarted, which is worse than a crash.
 *
 * <p>Called on the thread that met the error (usually the loop thread). {@link #HALT} is the production handler;
 * tests pass one that records.
 */
@FunctionalInterface
public interface FatalErrorHandler {

    /** The exit status after a fatal error (sysexits' {@code EX_SOFTWARE}); any non-zero status restarts the unit. */
    int EXIT_STATUS = 70;

    /** Logs {@code error} (where the logger can still run) and halts the JVM without running shutdown hooks. */
    FatalErrorHandler HALT = FatalErrorHandler::logAndHalt;

    /** {@code error} reached {@code where} (a short description for the log line); must not return normally in production. */
    void fatal(String where, Throwable error);

    private static void logAndHalt(String where, Throwable error) {
        // One plain line first: after an OutOfMemoryError the logger itself may fail to allocate.
        try {
            System.err.println("capbus: fatal error in " + where + ": " + error + "; exiting with status "
                    + EXIT_STATUS);
            System.err.flush();
        } catch (Throwable ignored) {
            // Nothing left to report with.
        }
        try {
            LoggerFactory.getLogger(FatalErrorHandler.class).error("fatal error in {}; exiting with status {}",
                    where, EXIT_STATUS, error);
        } catch (Throwable ignored) {
            // The plain line above was written.
        }
        Runtime.getRuntime().halt(EXIT_STATUS);
    }
}
