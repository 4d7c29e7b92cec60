package org.capbus.dbus.wire;

/**
 * Where the framer gets the one buffer each incoming message is read into. A buffer may be longer than the message;
 * {@link DBusMessage#length()} is the message's length.
 */
@FunctionalInterface
public interface MessageBuffers {

    /** Fresh arrays of exactly the length asked for. */
    MessageBuffers HEAP = byte[]::new;

    /** A buffer of at least {@code length} bytes, which the caller owns. */
    byte[] allocate(int length);
}
