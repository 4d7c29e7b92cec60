package org.capbus.dbus.wire;

/**
 * Bits of the flags byte, the third byte of the fixed header. Unknown bits are ignored, as the specification
 * requires ("Unknown flags must be ignored").
 */
public final class MessageFlag {

    /** The caller does not want a reply; the bus must not send one, errors included. */
    public static final int NO_REPLY_EXPECTED = 0x1;
    /** The bus must not launch an owner for the destination name. */
    public static final int NO_AUTO_START = 0x2;
    /** The caller is prepared to wait for interactive authorization (polkit and similar). */
    public static final int ALLOW_INTERACTIVE_AUTHORIZATION = 0x4;

    private MessageFlag() {
    }
}
