package org.capbus.deploy;

import sun.misc.Signal;

/**
 * SIGHUP, which tells dbus-daemon to reload its configuration, and SIGUSR2, which upgrades capbus in place (nginx's
 * convention; docs/live-upgrade.md). SIGTERM and SIGINT run the JVM's shutdown hooks.
 */
final class Signals {
    private Signals() {
    }

    static void onHangup(Runnable action) {
        Signal.handle(new Signal("HUP"), s -> action.run());
    }

    /** The environment variable that moves HotSpot's thread-suspension signal off SIGUSR2 (set by bin/capbus). */
    static final String SUSPEND_SIGNAL_VARIABLE = "_JAVA_SR_SIGNUM";

    /**
     * Handles SIGUSR2 with {@code action}, unless this JVM suspends threads with SIGUSR2 itself (HotSpot's default,
     * used by JFR's sampler and by profilers): taking it over would turn every sample into an upgrade, and break the
     * sampler. The launcher moves the JVM's signal elsewhere; a bus started without it has no upgrade signal.
     *
     * @return whether SIGUSR2 now upgrades
     */
    static boolean onUpgrade(Runnable action) {
        String signal = System.getenv(SUSPEND_SIGNAL_VARIABLE);
        if (signal == null || signal.isBlank() || signal.strip().equals("12")) {
            return false;
        }
        Signal.handle(new Signal("USR2"), s -> action.run());
        return true;
    }
}
