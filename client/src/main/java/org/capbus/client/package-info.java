/**
 * The Java client of capbus's native capability protocol (docs/native-protocol.md): connect, create nodes with
 * handlers, send to handles with handles and descriptors, resolve and register names, call D-Bus services and
 * answer D-Bus calls, or export dbus-java objects on nodes ({@code exportObject}). Handlers, exported methods and
 * future completions run on the client's one event thread.
 */
package org.capbus.client;
