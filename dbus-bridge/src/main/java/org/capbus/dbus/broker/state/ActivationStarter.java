package org.capbus.dbus.broker.state;

import org.capbus.dbus.broker.connection.BusConnection;

/**
 * Starts an activation that {@link Activations} has just created (a child, the launch helper or systemd), off the
 * loop where that blocks. Implemented by the composition root, which owns the launcher and the timers; called by
 * routing and the driver when adding a waiter returned {@link Activations.Added#NEW}. Event-loop thread only.
 */
@FunctionalInterface
public interface ActivationStarter {

    /** Starts {@code p}, which {@code requester} (null: the bus itself) caused. */
    void start(PendingActivation p, BusConnection requester);
}
