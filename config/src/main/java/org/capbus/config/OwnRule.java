package org.capbus.config;

/**
 * An {@code <allow>}/{@code <deny>} with {@code own} or {@code own_prefix}: which well-known names
 * a connection may request.
 *
 * @param allow  allow or deny
 * @param name   the name, or null for {@code own="*"}
 * @param prefix true for {@code own_prefix}: the name itself and every name below it
 *               ({@code a.b} covers {@code a.b.c}, not {@code a.bc})
 * @param source {@code file:line}
 */
public record OwnRule(boolean allow, String name, boolean prefix, String source) implements PolicyRule {
}
