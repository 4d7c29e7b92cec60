/**
 * The D-Bus bus on the capability core, put together: {@link org.capbus.dbus.broker.Bus}, the composition root that
 * wires the transport, the event loop ({@link org.capbus.dbus.broker.BusHost}) and the configuration to the parts
 * below it, and the metrics snapshot of it. Layers, top to bottom (each package looks only down; a test on the
 * compiled classes fails on any import circle):
 * <pre>
 * broker                      Bus (composition root), BusHost, BusSnapshot, Activator (starts services, timers)
 * broker.routing  driver      where a client's message goes | org.freedesktop.DBus, one class per interface
 * broker.outbox               everything the bus itself sends; BusError, the one table of error names and texts
 * broker.state                BusState (names, match index, reply slots, connections, monitors, activations),
 *                             goodbye
 * broker.connection           BusConnection (socket + peer), BusMessage, CoreMapping (D-Bus onto the core)
 * broker.stats                counters and their label sets
 * </pre>
 */
package org.capbus.dbus.broker;
