package org.capbus.client;

/** A request the bus refused with a status (nothing changed), or a D-Bus error reply to a call. */
public final class CapbusException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final int detail;
    private final String dbusError;

    CapbusException(int status, int detail, String operation) {
        super(operation + " failed: " + Status.name(status)
                + (detail == Status.DETAIL_NONE ? "" : " (" + Status.detailName(detail) + ")"));
        this.status = status;
        this.detail = detail;
        this.dbusError = null;
    }

    CapbusException(String dbusError, String text) {
        super(dbusError + (text == null ? "" : ": " + text));
        this.status = -1;
        this.detail = Status.DETAIL_NONE;
        this.dbusError = dbusError;
    }

    /** The protocol's status code ({@link Status}), or -1 for a D-Bus error. */
    public int status() {
        return status;
    }

    /**
     * Which resource a {@link Status#QUOTA} or {@link Status#LIMITS_EXCEEDED} refusal ran out of (a
     * {@code Status.DETAIL_*} value); {@link Status#DETAIL_NONE} otherwise.
     */
    public int detail() {
        return detail;
    }

    /** The D-Bus error name of an error reply, or null. */
    public String dbusError() {
        return dbusError;
    }
}
