/** The bus driver: the interfaces of {@code org.freedesktop.DBus}, one class per D-Bus interface. */
package org.capbus.dbus.driver;
