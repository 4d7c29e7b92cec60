/**
 * The D-Bus wire format: validation of incoming messages into an allocation-free flyweight, stream framing
 * with unix-fd bookkeeping, sender stitching, and a marshaller for the messages the bus itself sends.
 */
package org.capbus.dbus.wire;
