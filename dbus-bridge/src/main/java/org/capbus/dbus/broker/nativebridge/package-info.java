/**
 * The native capability protocol on the bus (docs/native-protocol.md): a session per native connection that maps
 * frames onto its core peer, the bus state and the outbox, and the bridge peer that owns the reply nodes through
 * which native services answer D-Bus calls. Sits beside routing: it looks down at the outbox, the state and the
 * connection layer.
 */
package org.capbus.dbus.broker.nativebridge;
