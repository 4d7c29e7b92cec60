package org.capbus.dbus.driver;

import java.util.function.Consumer;

import org.capbus.config.BusConfig;
import org.capbus.core.Core;
import org.capbus.dbus.broker.connection.BusConnection;
import org.capbus.dbus.broker.state.PendingActivation;
import org.capbus.dbus.broker.stats.DisconnectReason;
import org.capbus.dbus.io.PeerCredentials;
import org.capbus.dbus.wire.DBusMessage;

/**
 * What the driver needs from the process around the bus, beyond the bus state and the outbox: the running
 * configuration, the bus's identity, closing a connection, and reloading the configuration. Implemented by the
 * composition root ({@code org.capbus.dbus.broker.Bus}), so that the driver looks only down. Event-loop thread only.
 */
public interface DriverHost {

    /** The configuration in force now (it changes at a reload). */
    BusConfig config();

    /** The bus's GUID (GetId, the address's guid=). */
    String guid();

    /** The bus process's own credentials (for questions about org.freedesktop.DBus, and who may monitor). */
    PeerCredentials ownCredentials();

    /** Closes {@code c} (a quota refused its Hello). */
    void disconnect(BusConnection c, DisconnectReason reason, String detail);

    /**
     * Re-reads the configuration off the loop and applies it if it parses; {@code done} runs on the loop afterwards
     * with null, or with the reason the file was refused. Queued answers are written after {@code done}.
     */
    void reloadConfig(Consumer<String> done);

    /** Starts an activation the state has just created for StartServiceByName. */
    void startActivation(PendingActivation p, BusConnection requester);

    /** max_pending_service_starts now. */
    long maxPendingStarts();

    /** Whether systemd activation is on ({@code --systemd-activation}): Features lists it. */
    boolean systemdActivation();

    /** systemd's ActivationFailure signal, sent to the bus by {@code sender}. */
    void activationFailure(BusConnection sender, DBusMessage signal);

    /** The capability core under the bus (its accounting, for Debug.Stats). */
    Core core();
}
