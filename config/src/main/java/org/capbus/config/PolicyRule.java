package org.capbus.config;

/**
 * One {@code <allow>} or {@code <deny>} element of a {@code <policy>}, compiled. A null string
 * field means "any" (the file's {@code "*"}), as in dbus-daemon.
 */
public sealed interface PolicyRule permits SendRule, ReceiveRule, OwnRule, ConnectRule {

    /** {@code <allow>} (true) or {@code <deny>} (false). */
    boolean allow();

    /** Where the rule was written, as {@code file:line}, for logging a denial. */
    String source();
}
