package org.capbus.dbus.sasl;

/** Why a {@link SaslServer} gave up; the connection is then closed, as dbus-daemon does. */
public enum SaslViolation {
    /** The first byte was not the NUL byte the specification requires. */
    NO_LEADING_NUL,
    /** A line longer than {@link SaslServer#MAX_LINE_LENGTH} bytes. */
    LINE_TOO_LONG,
    /** {@link SaslServer#MAX_REJECTIONS} attempts were rejected. */
    TOO_MANY_REJECTIONS,
    /** {@code BEGIN} before {@code OK}. */
    BEGIN_BEFORE_OK
}
