package org.capbus.dbus.wire;

/**
 * What routing reads of a message, whoever made it: a parsed {@link DBusMessage} (a client's) and a
 * {@link MessageBuilder} (the bus's own, read before it is ever parsed) both answer it, so that match rules and
 * monitors see either through one view. Accessors are cheap and repeatable. Event-loop thread.
 */
public interface RoutingFields {

    /** The message type byte (see {@link MessageType}). */
    int type();

    /** The SENDER header field as written, or null. */
    String sender();

    /** The INTERFACE header field, or null. */
    String interfaceName();

    /** The MEMBER header field, or null. */
    String member();

    /** The PATH header field, or null. */
    String path();

    /** The DESTINATION header field, or null. */
    String destination();

    /** The type code of top-level argument {@code n}, or 0 if there is none. */
    int argType(int n);

    /** Top-level argument {@code n} if it is a STRING or an OBJECT_PATH, else null. */
    String stringArg(int n);
}
