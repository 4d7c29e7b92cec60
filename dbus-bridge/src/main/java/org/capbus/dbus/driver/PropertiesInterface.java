package org.capbus.dbus.driver;

import java.util.List;

import org.capbus.dbus.DBusErrors;
import org.capbus.dbus.wire.MessageBuilder;
import org.capbus.dbus.wire.DBusNames;

/** {@code org.freedesktop.DBus.Properties} of the driver: the read-only Features and Interfaces of org.freedesktop.DBus. */
final class PropertiesInterface extends DriverInterface {
    private final List<DriverMethod> methods;

    PropertiesInterface(DBusInterface dbus) {
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

    private static List<String> value(String property) {
        return switch (property) {
            case "Features" -> DBusInterface.features();
            case "Interfaces" -> DBusInterface.optionalInterfaces();
            default -> null;
        };
    }

    private void get(DriverRequest r) {
        String iface = r.args().readString();
        String property = r.args().readString();
        List<String> v = DBusNames.DRIVER_NAME.equals(iface) ? value(property) : null;
        if (v == null) {
            unknown(r, iface, property);
            return;
        }
        r.send(r.reply().variantStringArray(v));
    }

    private void getAll(DriverRequest r) {
        String iface = r.args().readString();
        MessageBuilder b = r.reply().beginArray("{sv}");
        if (DBusNames.DRIVER_NAME.equals(iface)) {
            b.beginDictEntry().string("Features").variantStringArray(DBusInterface.features()).endDictEntry();
            b.beginDictEntry().string("Interfaces").variantStringArray(DBusInterface.optionalInterfaces())
                    .endDictEntry();
        } else if (!iface.isEmpty() && !isDriverInterface(iface)) {
            r.error(DBusErrors.UNKNOWN_INTERFACE, "Interface \"" + iface + "\" not found");
            return;
        }
        r.send(b.endArray());
    }

    private static boolean isDriverInterface(String iface) {
        return iface.startsWith("org.freedesktop.DBus");
    }

    private void set(DriverRequest r) {
        String iface = r.args().readString();
        String property = r.args().readString();
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
