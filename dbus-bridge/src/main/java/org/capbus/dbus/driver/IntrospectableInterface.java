package org.capbus.dbus.driver;

import java.util.List;
import org.capbus.dbus.wire.DBusNames;


/** {@code org.freedesktop.DBus.Introspectable}: the driver's introspection XML, generated from its method tables. */
final class IntrospectableInterface extends DriverInterface {
    private final Driver driver;
    private final List<DriverMethod> methods;

    IntrospectableInterface(Driver driver) {
        this.driver = driver;
        this.methods = List.of(new DriverMethod("Introspect", "", "s", this::introspect));
    }

    @Override
    String name() {
        return "org.freedesktop.DBus.Introspectable";
    }

    @Override
    List<DriverMethod> methods() {
        return methods;
    }

    private void introspect(DriverRequest r) {
        String path = r.call.path();
        boolean root = "/".equals(path);
        String xml;
        if (DBusNames.DRIVER_PATH.equals(path) || root) {
            xml = document(driver.interfaces(), root);
        } else {
            xml = HEADER + "<node>\n</node>\n";
        }
        r.send(r.reply().string(xml));
    }

    private static final String HEADER = """
            <!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
            "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
            """;

    /**
     * The introspection document of the driver object; at "/" ({@code withChild}) only the interfaces offered on
     * every path, with a child node pointing to the driver's path, as dbus-daemon shows it.
     */
    static String document(List<DriverInterface> interfaces, boolean withChild) {
        StringBuilder sb = new StringBuilder(8192).append(HEADER).append("<node>\n");
        for (DriverInterface i : interfaces) {
            if (withChild && i.canonicalPathOnly()) {
                continue;
            }
            sb.append("  <interface name=\"").append(i.name()).append("\">\n");
            for (DriverMethod m : i.methods()) {
                sb.append("    <method name=\"").append(m.name()).append("\">\n");
                args(sb, m.inSignature(), "in");
                args(sb, m.outSignature(), "out");
                sb.append("    </method>\n");
            }
            sb.append(i.extraIntrospection());
            sb.append("  </interface>\n");
        }
        if (withChild) {
            sb.append("  <node name=\"org/freedesktop/DBus\"/>\n");
        }
        return sb.append("</node>\n").toString();
    }

    /** One {@code <arg>} per single complete type of {@code signature}. */
    private static void args(StringBuilder sb, String signature, String direction) {
        int i = 0;
        while (i < signature.length()) {
            int end = endOfType(signature, i);
            sb.append("      <arg direction=\"").append(direction).append("\" type=\"")
                    .append(signature, i, end).append("\"/>\n");
            i = end;
        }
    }

    private static int endOfType(String s, int i) {
        char c = s.charAt(i);
        if (c == 'a') {
            return endOfType(s, i + 1);
        }
        if (c == '(' || c == '{') {
            char close = c == '(' ? ')' : '}';
            int depth = 0;
            for (int j = i; j < s.length(); j++) {
                char d = s.charAt(j);
                if (d == c) {
                    depth++;
                } else if (d == close && --depth == 0) {
                    return j + 1;
                }
            }
        }
        return i + 1;
    }
}
