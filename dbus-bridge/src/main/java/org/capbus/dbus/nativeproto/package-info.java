/** The native capability protocol's frames (docs/native-protocol.md): header layout, decoder, writer, codes. */
package org.capbus.dbus.nativeproto;
