/**
 * The bus driver: the interfaces of {@code org.freedesktop.DBus}, one class per D-Bus interface, each a table of
 * methods; it reads and changes the bus state and answers through the outbox.
 */
package org.capbus.dbus.driver;
