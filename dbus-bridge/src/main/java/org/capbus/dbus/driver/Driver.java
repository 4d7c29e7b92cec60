package org.capbus.dbus.driver;

import java.util.List;

import org.capbus.core.Handle;
import org.capbus.core.Message;
import org.capbus.core.Receiver;
import org.capbus.dbus.DBusErrors;
import org.capbus.dbus.broker.connection.BusConnection;
import org.capbus.dbus.broker.connection.DriverCall;
import org.capbus.dbus.broker.outbox.Outbox;
import org.capbus.dbus.broker.state.BusState;
import org.capbus.dbus.broker.stats.BusStats;
import org.capbus.dbus.wire.DBusMessage;
import org.capbus.dbus.wire.DBusNames;
import org.capbus.dbus.wire.MessageType;

/**
 * The bus driver: the peer that owns {@code org.freedesktop.DBus}. Calls reach it through the core like any
 * message; it dispatches them to the interface that implements them ({@link DBusInterface},
 * {@link PropertiesInterface}, {@link IntrospectableInterface}, {@link PeerInterface}, {@link MonitoringInterface},
 * {@link StatsInterface}), checks their signature, and answers with the errors dbus-daemon uses. Each interface
 * reads and changes the {@link BusState} and answers through the {@link Outbox} (which also sends the signals that
 * follow, such as NameOwnerChanged); what it needs beyond those two comes from its {@link DriverHost}.
 *
 * <p>To add a method: add a {@link DriverMethod} row to its interface's table (name, signatures, handler); the
 * table drives dispatch, argument checking and introspection. Owned by the composition root; event-loop thread
 * only.
 */
public final class Driver implements Receiver {
    private final Outbox outbox;
    private final DriverHost host;
    private final List<DriverInterface> interfaces;
    private final IntrospectableInterface introspectable;

    /** The driver of the bus whose state is {@code state}, answering through {@code outbox}. */
    public Driver(BusState state, Outbox outbox, BusStats stats, DriverHost host) {
        this.outbox = outbox;
        this.host = host;
        DBusInterface dbus = new DBusInterface(state, outbox, stats, host);
        this.introspectable = new IntrospectableInterface(this);
        // dbus-daemon's order, which its introspection shows.
        this.interfaces = List.of(dbus, new PropertiesInterface(this, dbus), introspectable,
                new MonitoringInterface(state, outbox, host), new StatsInterface(state, host), new PeerInterface());
    }

    List<DriverInterface> interfaces() {
        return interfaces;
    }

    /** The driver's introspection document, as {@code --introspect} prints it. */
    public static String introspectionXml() {
        return IntrospectableInterface.document(new Driver(null, null, null, null).interfaces, false);
    }

    @Override
    public boolean onMessage(long sequence, Handle destination, Message message, Handle[] transferred) {
        if (message.payload() instanceof DriverCall call) {
            handle(call.caller(), call.message());
        }
        return true;
    }

    @Override
    public boolean onNodeDestroyed(long sequence, Handle handle) {
        // A connection went away: the bus already did the D-Bus side of it; drop the driver's handle.
        handle.holder().releaseAll(handle);
        return true;
    }

    @Override
    public boolean onNodeReleased(long sequence, Handle ownerHandle) {
        return true;
    }

    private void handle(BusConnection caller, DBusMessage call) {
        if (caller.isClosed()) {
            return;
        }
        if (call.type() == MessageType.SIGNAL && "ActivationFailure".equals(call.member())
                && "org.freedesktop.systemd1.Activator".equals(call.interfaceName())) {
            host.activationFailure(caller, call);
            return;
        }
        if (call.type() != MessageType.METHOD_CALL) {
            // Signals and replies addressed to the bus are dropped, as dbus-daemon does.
            return;
        }
        DriverRequest request = new DriverRequest(outbox, caller, call);
        String member = call.member();
        String iface = call.interfaceName();
        boolean canonicalPath = DBusNames.DRIVER_PATH.equals(call.path());
        DriverMethod method = null;
        if (iface == null) {
            for (DriverInterface i : interfaces) {
                if (i.canonicalPathOnly() && !canonicalPath) {
                    continue;
                }
                method = i.method(member);
                if (method != null) {
                    break;
                }
            }
        } else {
            DriverInterface target = null;
            for (DriverInterface i : interfaces) {
                if (i.name().equals(iface) && (canonicalPath || !i.canonicalPathOnly())) {
                    target = i;
                    break;
                }
            }
            if (target == null) {
                request.error(DBusErrors.UNKNOWN_INTERFACE,
                        "org.freedesktop.DBus does not understand message " + member);
                return;
            }
            method = target.method(member);
        }
        if (method == null) {
            request.error(DBusErrors.UNKNOWN_METHOD, "org.freedesktop.DBus does not understand message " + member);
            return;
        }
        if (!caller.hasUniqueName() && !method.name().equals("Hello")) {
            // Cannot happen: the bus only lets Hello through before registration.
            return;
        }
        String signature = call.signature();
        if (!signature.equals(method.inSignature())) {
            request.error(DBusErrors.INVALID_ARGS, "Call to " + member + " has wrong args (" + signature
                    + ", expected " + method.inSignature() + ")");
            return;
        }
        method.handler().handle(request);
        if (!request.answered()) {
            throw new IllegalStateException("driver method " + member + " did not answer");
        }
    }
}
