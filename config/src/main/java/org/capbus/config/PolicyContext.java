package org.capbus.config;

/**
 * Which connections a {@code <policy>} applies to, and in which order its rules are applied:
 * dbus-daemon applies default, then group, then user, then at_console, then mandatory policies,
 * the later overriding the earlier.
 */
public enum PolicyContext {
    /** {@code context="default"} */
    DEFAULT,
    /** {@code group="..."} */
    GROUP,
    /** {@code user="..."} */
    USER,
    /** {@code at_console="true|false"} */
    AT_CONSOLE,
    /** {@code context="mandatory"} */
    MANDATORY
}
