package org.capbus.dbus.broker.stats;

/**
 * The kinds of security-policy refusal, as counted in metrics: which kind of {@code <policy>} rule (or built-in
 * policy) refused. A bounded label set.
 */
public enum PolicyDenial {
    /** A send rule; includes dbus-daemon's built-in refusal of replies nobody asked for ({@code requested_reply}). */
    SEND("send"),
    /** A receive rule. */
    RECEIVE("receive"),
    /** An own rule: {@code RequestName} refused. */
    OWN("own"),
    /** A user/group connect rule: the connection is closed after authentication. */
    CONNECT("connect");

    private final String label;

    PolicyDenial(String label) {
        this.label = label;
    }

    /** The metric label value. */
    public String label() {
        return label;
    }
}
