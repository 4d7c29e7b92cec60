/** The server side of the D-Bus authentication protocol (SASL), as a state machine without I/O. */
package org.capbus.dbus.sasl;
