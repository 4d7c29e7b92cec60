package org.capbus.dbus.driver;

import java.util.List;

import org.capbus.dbus.DBusErrors;
import org.capbus.dbus.broker.outbox.BusError;
import org.capbus.dbus.wire.MessageBuilder;
import org.capbus.dbus.wire.DBusNames;

/** {@code org.freedesktop.DBus.Properties} of the driver: the read-only Features and Interfaces of org.freedesktop.DBus. */
final class PropertiesInterface extends DriverInterface {
    private final List<DriverMethod> methods;
    private final Driver driver;
    private final DBusInterface dbus;

    PropertiesInterface(Driver driver, DBusInterface dbus) {
        this.driver = driver;
        this.dbus = dbus;
        this.methods = List.of(
                new DriverMethod("Get", "ss", "v", this::get),
                new DriverMethod("GetAll", "s", "a{sv}", this::getAll),
                new DriverMethod("Set", "ssv", "", this::set));
    }

    @Override
    String name() {
        return "org.freedesktop.DBus.Properties";
    }

    @Override
    List<DriverMethod> methods() {
        return methods;
    }

    @Override
    boolean canonicalPathOnly() {
        return true;
    }

    @Override
    String extraIntrospection() {
        return """
                    <signal name="PropertiesChanged">
                      <arg type="s" name="interface_name"/>
                      <arg type="a{sv}" name="changed_properties"/>
                      <arg type="as" name="invalidated_properties"/>
                    </signal>
                """;
    }

    private List<String> value(String property) {
        return switch (property) {
            case "Features" -> DBusInterface.features(dbus.host());
            case "Interfaces" -> DBusInterface.optionalInterfaces();
            default -> null;
        };
    }

    private void get(DriverRequest r) {
        String iface = r.args().readString();
        String property = r.args().readString();
        if (!knownInterface(r, iface)) {
            return;
        }
        List<String> v = DBusNames.DRIVER_NAME.equals(iface) ? value(property) : null;
        if (v == null) {
            unknown(r, iface, property);
            return;
        }
        r.send(r.reply().variantStringArray(v));
    }

    private void getAll(DriverRequest r) {
        String iface = r.args().readString();
        if (!knownInterface(r, iface)) {
            return;
        }
        MessageBuilder b = r.reply().beginArray("{sv}");
        if (DBusNames.DRIVER_NAME.equals(iface)) {
            b.beginDictEntry().string("Features").variantStringArray(value("Features")).endDictEntry();
            b.beginDictEntry().string("Interfaces").variantStringArray(DBusInterface.optionalInterfaces())
                    .endDictEntry();
        }
        r.send(b.endArray());
    }

    /**
     * Whether the driver object has {@code iface}; if not, answers UnknownInterface as dbus-daemon's
     * {@code bus_driver_find_interface} does (for Get, GetAll and Set alike, before looking at the property).
     */
    private boolean knownInterface(DriverRequest r, String iface) {
        for (DriverInterface i : driver.interfaces()) {
            if (i.name().equals(iface)) {
                return true;
            }
        }
        r.error(BusError.UNKNOWN_INTERFACE, iface);
        return false;
    }

    private void set(DriverRequest r) {
        String iface = r.args().readString();
        String property = r.args().readString();
        if (!knownInterface(r, iface)) {
            return;
        }
        if (DBusNames.DRIVER_NAME.equals(iface) && value(property) != null) {
            r.error(DBusErrors.PROPERTY_READ_ONLY, "Property '" + iface + "." + property + "' cannot be set");
            return;
        }
        unknown(r, iface, property);
    }

    private static void unknown(DriverRequest r, String iface, String property) {
        r.error(DBusErrors.UNKNOWN_PROPERTY, "Property \"" + iface + "." + property + "\" not found");
    }
}
