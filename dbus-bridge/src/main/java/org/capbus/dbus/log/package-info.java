/** The bus's operator log: dbus-daemon's log lines for denials, activations, quota refusals and protocol violations. */
package org.capbus.dbus.log;
