/** D-Bus on the capability core: wire format, authentication, bus semantics and the driver. */
package org.capbus.dbus;
