/**
 * The D-Bus bus on the capability core: connections, routing, and the mapping of connections, unique names and
 * well-known names onto peers, nodes and handles ({@link org.capbus.dbus.broker.CoreMapping}).
 */
package org.capbus.dbus.broker;
