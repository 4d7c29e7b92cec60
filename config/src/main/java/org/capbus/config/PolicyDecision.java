package org.capbus.config;

/**
 * The outcome of a policy check: allowed or not, and the rule that decided (null when no rule
 * matched and the default, deny, applied). The rule gives the caller what to log
 * ({@link SendRule#log()}, {@link PolicyRule#source()}).
 *
 * <p>One instance per rule is made when a {@link ClientPolicy} is built, so a check allocates nothing.
 */
public record PolicyDecision(boolean allowed, PolicyRule rule) {

    /** No rule matched. */
    public static final PolicyDecision DEFAULT_DENY = new PolicyDecision(false, null);
}
