/**
 * One D-Bus connection ({@link org.capbus.dbus.broker.connection.BusConnection}) and how it maps onto the core: its
 * peer, its root node, the messages queued to it ({@link org.capbus.dbus.broker.connection.BusMessage}) and the one
 * place that turns D-Bus deliveries into core sends ({@link org.capbus.dbus.broker.connection.CoreMapping}).
 */
package org.capbus.dbus.broker.connection;
