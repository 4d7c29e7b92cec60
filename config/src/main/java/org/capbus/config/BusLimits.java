package org.capbus.config;

import java.util.Arrays;

/**
 * An immutable set of values, one per {@link BusLimit}.
 *
 * <p>Built by the loader; read by whoever enforces the limits (once, when a configuration is
 * applied, not per message).
 */
public final class BusLimits {

    private static final BusLimit[] LIMITS = BusLimit.values();
    private static final BusLimits DEFAULTS = new BusLimits(valuesOf(false));
    private static final BusLimits SESSION = new BusLimits(valuesOf(true));

    private final long[] values;

    private BusLimits(long[] values) {
        this.values = values;
    }

    /** dbus-daemon's compiled-in limits: what a file that sets no limit gets. */
    public static BusLimits defaults() {
        return DEFAULTS;
    }

    /** The limits of dbus-daemon's stock session.conf. */
    public static BusLimits session() {
        return SESSION;
    }

    public long get(BusLimit limit) {
        return values[limit.ordinal()];
    }

    /** A copy with one limit changed. */
    public BusLimits with(BusLimit limit, long value) {
        long[] copy = values.clone();
        copy[limit.ordinal()] = value;
        return new BusLimits(copy);
    }

    private static long[] valuesOf(boolean session) {
        long[] v = new long[LIMITS.length];
        for (BusLimit limit : LIMITS) {
            v[limit.ordinal()] = session ? limit.sessionValue() : limit.defaultValue();
        }
        return v;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BusLimits other && Arrays.equals(values, other.values);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("BusLimits{");
        for (BusLimit limit : LIMITS) {
            if (limit.ordinal() > 0) {
                sb.append(", ");
            }
            sb.append(limit.configName()).append('=').append(values[limit.ordinal()]);
        }
        return sb.append('}').toString();
    }
}
