package org.capbus.dbus.wire;

/**
 * An {@link IncomingBudget} for tests of what charges it (the framer, the native decoder): records what is charged now
 * and at most, refuses beyond {@code limit}, and fails on a refund of more than was charged.
 */
public final class RecordingBudget implements IncomingBudget {
    private final long limit;
    /** Bytes charged now. */
    public long charged;
    /** The most charged at once. */
    public long peak;

    public RecordingBudget(long limit) {
        this.limit = limit;
    }

    @Override
    public boolean charge(int bytes) {
        if (charged + bytes > limit) {
            return false;
        }
        charged += bytes;
        peak = Math.max(peak, charged);
        return true;
    }

    @Override
    public void refund(int bytes) {
        charged -= bytes;
        if (charged < 0) {
            throw new AssertionError("refunded " + bytes + " bytes, " + (charged + bytes) + " were charged");
        }
    }
}
