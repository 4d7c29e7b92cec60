package org.capbus.deploy;

import sun.misc.Signal;

/** SIGHUP, which tells dbus-daemon to reload its configuration. SIGTERM and SIGINT run the JVM's shutdown hooks. */
final class Signals {
    private Signals() {
    }

    static void onHangup(Runnable action) {
        Signal.handle(new Signal("HUP"), s -> action.run());
    }
}
