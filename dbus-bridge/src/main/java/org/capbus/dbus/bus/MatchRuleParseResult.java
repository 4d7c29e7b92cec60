package org.capbus.dbus.bus;

/**
 * The outcome of {@link MatchRule#parse}: a rule, or the reason the text is not one.
 *
 * @param rule    the parsed rule, or null if the text was rejected
 * @param failure why the text was rejected, or null if it was not
 * @param message a human-readable explanation for the error reply, or null if accepted
 */
public record MatchRuleParseResult(MatchRule rule, Failure failure, String message) {

    /** The two ways dbus-daemon rejects a rule, which the driver answers with different errors. */
    public enum Failure {
        /** The text is not a valid match rule: reply {@code org.freedesktop.DBus.Error.MatchRuleInvalid}. */
        INVALID,
        /** The text is longer than the specification's 1024 bytes: reply {@code org.freedesktop.DBus.Error.LimitsExceeded}. */
        TOO_LONG
    }

    static MatchRuleParseResult ok(MatchRule rule) {
        return new MatchRuleParseResult(rule, null, null);
    }

    static MatchRuleParseResult invalid(String message) {
        return new MatchRuleParseResult(null, Failure.INVALID, message);
    }

    /** True if the text was a valid rule. */
    public boolean isValid() {
        return rule != null;
    }
}
