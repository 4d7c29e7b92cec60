package org.capbus.dbus.bus;

/**
 * Something that can own bus names and subscribe to match rules: in the bridge, a D-Bus connection after
 * {@code Hello}. The bus structures of this package hold owners by reference and compare them by identity
 * ({@code equals} must not be overridden with a value equality that could merge two connections).
 */
public interface NameOwner {

    /** The connection's unique name, e.g. {@code ":1.42"}; never changes and is never reused. */
    String uniqueName();
}
