package org.capbus.client;

/** A request the bus refused with a status (nothing changed), or a D-Bus error reply to a call. */
public final class CapbusException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final String dbusError;

    CapbusException(int status, String operation) {
        super(operation + " failed: " + Status.name(status));
        this.status = status;
        this.dbusError = null;
    }

    CapbusException(String dbusError, String text) {
        super(dbusError + (text == null ? "" : ": " + text));
        this.status = -1;
        this.dbusError = dbusError;
    }

    /** The protocol's status code ({@link Status}), or -1 for a D-Bus error. */
    public int status() {
        return status;
    }

    /** The D-Bus error name of an error reply, or null. */
    public String dbusError() {
        return dbusError;
    }
}
