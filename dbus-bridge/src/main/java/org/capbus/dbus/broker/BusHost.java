package org.capbus.dbus.broker;

import java.security.SecureRandom;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

import org.capbus.dbus.sasl.CookieKeyring;
import org.capbus.dbus.sasl.FileCookieKeyring;

/**
 * What the bus needs from the process around it: the event loop it runs on, descriptor closing, and
 * configuration reloads. Implemented by the daemon.
 */
public interface BusHost {

    /** The event loop that owns the bus; tasks and timers run on it. */
    ScheduledExecutorService loop();

    /**
     * Where blocking work (file I/O: the cookie keyring, and soon service files and spawning) runs, off the loop;
     * its result comes back to the bus as a task on {@link #loop()}.
     */
    Executor blocking();

    /** The DBUS_COOKIE_SHA1 keyring of the bus's user (read only through {@link #blocking()}). */
    default CookieKeyring cookieKeyring(SecureRandom random) {
        return FileCookieKeyring.forCurrentUser(random);
    }

    /** Closes a file descriptor the bus owns. */
    void closeFd(int fd);

    /**
     * Re-reads the configuration off the loop thread and hands the result back to the bus on it
     * ({@code Bus#applyConfig}); a bad file leaves the running configuration in place. {@code done} runs on the loop
     * afterwards with null, or with the reason the file was refused ({@code file:line: reason}).
     */
    void reloadConfig(java.util.function.Consumer<String> done);

    /** The address activated services are given ({@code DBUS_STARTER_ADDRESS}), or null if not known. */
    default String serverAddress() {
        return null;
    }

    /** Whether systemd activation is on ({@code --systemd-activation}). */
    default boolean systemdActivation() {
        return false;
    }

    /** What starts activated services: child processes, forked on {@link #blocking()}. */
    default org.capbus.dbus.activation.ServiceLauncher serviceLauncher() {
        return new org.capbus.dbus.activation.ProcessServiceLauncher(blocking());
    }
}
