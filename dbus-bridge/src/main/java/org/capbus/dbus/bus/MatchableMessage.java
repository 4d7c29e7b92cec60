package org.capbus.dbus.bus;

/**
 * What a match rule reads of a message: the header fields and the leading string arguments. The wire layer
 * implements it as a flyweight over a parsed message (offsets, no copies), so accessors should be cheap and
 * must be repeatable; a rule may call each several times. Used on the event-loop thread.
 */
public interface MatchableMessage {

    /** METHOD_CALL, as in the message header's type byte. */
    int METHOD_CALL = 1;
    /** METHOD_RETURN, as in the message header's type byte. */
    int METHOD_RETURN = 2;
    /** ERROR, as in the message header's type byte. */
    int ERROR = 3;
    /** SIGNAL, as in the message header's type byte. */
    int SIGNAL = 4;

    /** The message type: {@link #METHOD_CALL}, {@link #METHOD_RETURN}, {@link #ERROR} or {@link #SIGNAL}. */
    int type();

    /**
     * The SENDER header field as the bus sets it: the sending connection's unique name, or
     * {@code org.freedesktop.DBus} for messages from the driver.
     */
    String sender();

    /** The INTERFACE header field, or null. */
    String interfaceName();

    /** The MEMBER header field, or null. */
    String member();

    /** The PATH header field, or null. */
    String path();

    /** The DESTINATION header field, or null for a broadcast. */
    String destination();

    /**
     * The body argument {@code n} (0-based) if it exists and has type STRING or OBJECT_PATH, else null. Arguments
     * beyond the 64 that rules can name are never asked for.
     */
    String stringArg(int n);

    /** True if body argument {@code n} exists and has type OBJECT_PATH ({@link #stringArg} then is its value). */
    boolean isObjectPathArg(int n);
}
