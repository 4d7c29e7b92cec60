/** The seam between the bridge and the transports: a connected socket seen as bytes and file descriptors. */
package org.capbus.dbus.io;
