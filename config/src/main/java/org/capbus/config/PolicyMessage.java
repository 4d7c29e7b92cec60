package org.capbus.config;

/**
 * The parts of a D-Bus message that policy rules look at, as plain values (config/ knows no D-Bus
 * classes). Absent header fields are null.
 *
 * @param type          message type
 * @param path          PATH header field
 * @param interfaceName INTERFACE header field
 * @param member        MEMBER header field
 * @param errorName     ERROR_NAME header field
 * @param destination   DESTINATION header field; a signal without one is a broadcast
 * @param isReply       whether the message has a REPLY_SERIAL (method return or error)
 * @param unixFds       number of unix fds attached
 */
public record PolicyMessage(MessageType type, String path, String interfaceName, String member, String errorName,
                            String destination, boolean isReply, int unixFds) {

    /** A method call to {@code destination}. */
    public static PolicyMessage methodCall(String destination, String path, String interfaceName, String member) {
        return new PolicyMessage(MessageType.METHOD_CALL, path, interfaceName, member, null, destination, false, 0);
    }

    /** A signal; broadcast when {@code destination} is null. */
    public static PolicyMessage signal(String destination, String path, String interfaceName, String member) {
        return new PolicyMessage(MessageType.SIGNAL, path, interfaceName, member, null, destination, false, 0);
    }

    /** A method return to {@code destination}. */
    public static PolicyMessage methodReturn(String destination) {
        return new PolicyMessage(MessageType.METHOD_RETURN, null, null, null, null, destination, true, 0);
    }

    /** An error reply to {@code destination}. */
    public static PolicyMessage error(String destination, String errorName) {
        return new PolicyMessage(MessageType.ERROR, null, null, null, errorName, destination, true, 0);
    }

    boolean isBroadcast() {
        return destination == null && type == MessageType.SIGNAL;
    }
}
