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

    static void onUpgrade(Runnable action) {
        Signal.handle(new Signal("USR2"), s -> action.run());
    }
}
