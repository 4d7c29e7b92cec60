package org.capbus.config;

/**
 * An {@code <allow>}/{@code <deny>} with {@code user} or {@code group}: who may connect at all.
 * Only rules in {@code context="default"} and {@code context="mandatory"} policies count, as in
 * dbus-daemon.
 *
 * @param allow   allow or deny
 * @param group   true for {@code group=}, false for {@code user=}
 * @param name    the user or group name (or number), or null for {@code "*"}
 * @param source  {@code file:line}
 */
public record ConnectRule(boolean allow, boolean group, String name, String source) implements PolicyRule {
}
