package org.capbus.client;

/** A request the bus refused with a status (nothing changed), or a D-Bus error reply to a call. */
public final class CapbusException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final int detail;
    private final String dbusError;
    private final long requestId;

    CapbusException(int status, int detail, String operation) {
        this(status, detail, operation, 0);
    }

    CapbusException(int status, int detail, String operation, long requestId) {
        super(operation + " failed: " + Status.name(status)
                + (detail == Status.DETAIL_NONE ? "" : " (" + Status.detailName(detail) + ")"));
        this.status = status;
        this.detail = detail;
        this.dbusError = null;
        this.requestId = requestId;
    }

    CapbusException(String dbusError, String text) {
        super(dbusError + (text == null ? "" : ": " + text));
        this.status = -1;
        this.detail = Status.DETAIL_NONE;
        this.dbusError = dbusError;
        this.requestId = 0;
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

    /** The id {@link CapbusClient#post} returned for the refused message; 0 for other refusals. */
    public long requestId() {
        return requestId;
    }

    /** The D-Bus error name of an error reply, or null. */
    public String dbusError() {
        return dbusError;
    }
}
