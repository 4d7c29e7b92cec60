/**
 * The bus state ({@link org.capbus.dbus.broker.state.BusState}): data with operations and no sending; what a change
 * causes is returned (a {@link org.capbus.dbus.broker.state.Goodbye}, name changes) for the outbox to send.
 */
package org.capbus.dbus.broker.state;
