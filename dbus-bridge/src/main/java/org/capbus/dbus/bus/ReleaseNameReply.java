package org.capbus.dbus.bus;

/** The reply codes of {@code org.freedesktop.DBus.ReleaseName}, with their wire values (D-Bus specification). */
public enum ReleaseNameReply {
    /** The caller owned the name or was in its queue, and no longer is. */
    RELEASED(1),
    /** Nobody owns the name. */
    NON_EXISTENT(2),
    /** The name has owners, but the caller is neither the primary owner nor in the queue. */
    NOT_OWNER(3);

    private final int code;

    ReleaseNameReply(int code) {
        this.code = code;
    }

    /** The value sent as the method's {@code u} reply. */
    public int code() {
        return code;
    }
}
