package org.capbus.deploy.it;

import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.interfaces.DBusInterface;

/** The D-Bus interface {@code org.capbus.JavaGreeter} that {@link DbusJavaIT} exports with dbus-java and calls. */
@DBusInterfaceName("org.capbus.JavaGreeter")
public interface JavaGreeter extends DBusInterface {
    /** Returns "hello, " + name. */
    String Greet(String name);

    /** Returns the sum of the values. */
    long Sum(long[] values);
}
