package org.capbus.dbus.driver;

import java.util.List;

import org.capbus.core.Handle;
import org.capbus.core.Message;
import org.capbus.core.Receiver;
import org.capbus.dbus.DBusErrors;
import org.capbus.dbus.broker.Bus;
import org.capbus.dbus.broker.BusConnection;
import org.capbus.dbus.broker.DriverCall;
import org.capbus.dbus.wire.DBusMessage;
import org.capbus.dbus.wire.MessageBuilder;
import org.capbus.dbus.wire.MessageType;

/**
 * The bus driver: the peer that owns {@code org.freedesktop.DBus}. Calls reach it through the core like any
 * message; it dispatches them to the interface that implements them ({@link DBusInterface},
 * {@link PropertiesInterface}, {@link IntrospectableInterface}, {@link PeerInterface}, {@link MonitoringInterface},
 * {@link StatsInterface}), checks their signature, and answers with the errors dbus-daemon uses. It also builds the
 * signals the bus sends: NameOwnerChanged, NameAcquired and NameLost.
 *
 * <p>Owned by the {@link Bus}; event-loop thread only.
 */
public final class Driver implements Receiver {
    private final Bus bus;
    private final List<DriverInterface> interfaces;
    private final IntrospectableInterface introspectable;

    public Driver(Bus bus) {
        this.bus = bus;
        DBusInterface dbus = new DBusInterface(bus);
        this.introspectable = new IntrospectableInterface(this);
        // dbus-daemon's order, which its introspection shows.
        this.interfaces = List.of(dbus, new PropertiesInterface(bus, dbus), introspectable,
                new MonitoringInterface(bus), new StatsInterface(bus), new PeerInterface());
    }

    List<DriverInterface> interfaces() {
        return interfaces;
    }

    /** The driver's introspection document, as {@code --introspect} prints it. */
    public static String introspectionXml() {
        return IntrospectableInterface.document(new Driver(null).interfaces, false);
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
        while (handle.isValid()) {
            handle.holder().release(handle);
        }
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
            bus.activator().systemdFailure(caller, call);
            return;
        }
        if (call.type() != MessageType.METHOD_CALL) {
            // Signals and replies addressed to the bus are dropped, as dbus-daemon does.
            return;
        }
        DriverRequest request = new DriverRequest(bus, caller, call);
        String member = call.member();
        String iface = call.interfaceName();
        boolean canonicalPath = Bus.DRIVER_PATH.equals(call.path());
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

    // ---- signals ----

    /** Broadcasts NameOwnerChanged(name, oldOwner, newOwner); owners are "" when absent. */
    public void nameOwnerChanged(String name, String oldOwner, String newOwner) {
        byte[] bytes = MessageBuilder.signal(Bus.DRIVER_PATH, Bus.DRIVER_NAME, "NameOwnerChanged")
                .sender(Bus.DRIVER_NAME).string(name).string(oldOwner).string(newOwner).build(bus.nextDriverSerial());
        bus.broadcastFromDriver(bytes);
    }

    /** Sends NameAcquired(name) to {@code owner} only. */
    public void nameAcquired(BusConnection owner, String name) {
        unicastSignal(owner, "NameAcquired", name);
    }

    /** Sends NameLost(name) to {@code owner} only. */
    public void nameLost(BusConnection owner, String name) {
        unicastSignal(owner, "NameLost", name);
    }

    private void unicastSignal(BusConnection target, String member, String name) {
        byte[] bytes = MessageBuilder.signal(Bus.DRIVER_PATH, Bus.DRIVER_NAME, member)
                .sender(Bus.DRIVER_NAME).destination(target.uniqueName()).string(name)
                .build(bus.nextDriverSerial());
        bus.sendFromDriver(target, bytes);
    }
}
