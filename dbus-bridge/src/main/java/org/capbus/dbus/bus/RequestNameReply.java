package org.capbus.dbus.bus;

/** The reply codes of {@code org.freedesktop.DBus.RequestName}, with their wire values (D-Bus specification). */
public enum RequestNameReply {
    /** The caller is now the primary owner of the name. */
    PRIMARY_OWNER(1),
    /** The name has another primary owner; the caller is in its queue. */
    IN_QUEUE(2),
    /** The name has another primary owner and the caller asked not to be queued (and is not). */
    EXISTS(3),
    /** The caller already was the primary owner; its flags were updated. */
    ALREADY_OWNER(4);

    private final int code;

    RequestNameReply(int code) {
        this.code = code;
    }

    /** The value sent as the method's {@code u} reply. */
    public int code() {
        return code;
    }
}
