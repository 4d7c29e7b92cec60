package org.capbus.dbus.broker.state;

/**
 * The bus-wide high-water marks that {@code org.freedesktop.DBus.Debug.Stats.GetStats} reports: the most match rules
 * and bus names the bus ever held, in total and on one connection. dbus-daemon keeps the same four marks in
 * {@code bus/connection.c}; they only grow, so a value above the current count shows what the bus once carried.
 *
 * <p>Plain fields, written by the {@link BusState} on the event-loop thread when a rule or name is added (never on the
 * message path), read by the driver on the same thread.
 */
public final class BusPeaks {
    private int matchRules;
    private int matchRulesPerConnection;
    private int busNames;
    private int busNamesPerConnection;

    /** Records that one connection now has {@code ofConnection} match rules and the bus {@code total}. */
    void matchRules(int ofConnection, int total) {
        matchRulesPerConnection = Math.max(matchRulesPerConnection, ofConnection);
        matchRules = Math.max(matchRules, total);
    }

    /** Records that one connection now holds {@code ofConnection} bus names and the bus {@code total}. */
    void busNames(int ofConnection, int total) {
        busNamesPerConnection = Math.max(busNamesPerConnection, ofConnection);
        busNames = Math.max(busNames, total);
    }

    /** The most match rules the bus held at once. */
    public int matchRules() {
        return matchRules;
    }

    /** The most match rules one connection held at once. */
    public int matchRulesPerConnection() {
        return matchRulesPerConnection;
    }

    /** The most bus names (unique names and well-known name queue entries) the bus held at once. */
    public int busNames() {
        return busNames;
    }

    /** The most bus names one connection held at once. */
    public int busNamesPerConnection() {
        return busNamesPerConnection;
    }
}
