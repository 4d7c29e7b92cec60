/**
 * D-Bus bus semantics as pure data structures: the name registry, match rules and their index, and reply slots;
 * no I/O and no wire format, all owned by the bus event-loop thread.
 */
package org.capbus.dbus.bus;
