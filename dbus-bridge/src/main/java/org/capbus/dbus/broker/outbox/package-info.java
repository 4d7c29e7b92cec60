/**
 * The one way the bus itself sends ({@link org.capbus.dbus.broker.outbox.Outbox}: returns, errors, signals, monitor
 * copies), and the typed outcomes that become D-Bus errors ({@link org.capbus.dbus.broker.outbox.BusError}).
 */
package org.capbus.dbus.broker.outbox;
