package org.capbus.client;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MessageFactory;

/**
 * D-Bus messages to and from the wire format, through dbus-java's own marshalling (the client has no D-Bus
 * marshaller of its own). Stateless; any thread.
 */
final class DBusMessages {
    /** dbus-java's factory of little-endian messages. */
    static final MessageFactory FACTORY = new MessageFactory((byte) 'l');

    private DBusMessages() {
    }

    /** The message's bytes on the wire. */
    static byte[] toBytes(Message m) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : m.getWireData()) {
            if (part != null) {
                out.writeBytes(part);
            }
        }
        return out.toByteArray();
    }

    /** The descriptors a message carries, as ints. */
    static int[] fds(Message m) {
        java.util.List<org.freedesktop.dbus.FileDescriptor> list = m.getFiledescriptors();
        int[] out = new int[list == null ? 0 : list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = list.get(i).getIntFileDescriptor();
        }
        return out;
    }

    /** Parses one whole D-Bus message. */
    static Message parse(byte[] bytes) {
        return parse(bytes, new int[0]);
    }

    /** Parses one whole D-Bus message that came with {@code fds}. */
    static Message parse(byte[] bytes, int[] fds) {
        try {
            byte endian = bytes[0];
            int fieldsLength = (int) Message.demarshallint(bytes, 12, endian, 4);
            int padded = (fieldsLength + 7) & ~7;
            int bodyLength = (int) Message.demarshallint(bytes, 4, endian, 4);
            byte[] buf = Arrays.copyOfRange(bytes, 0, 12);
            // dbus-java's reader layout: the array length, 4 unused bytes, then the fields padded to 8.
            byte[] header = new byte[padded + 8];
            System.arraycopy(bytes, 12, header, 0, 4);
            System.arraycopy(bytes, 16, header, 8, padded);
            byte[] body = Arrays.copyOfRange(bytes, 16 + padded, 16 + padded + bodyLength);
            java.util.List<org.freedesktop.dbus.FileDescriptor> list = new java.util.ArrayList<>();
            for (int fd : fds) {
                list.add(new org.freedesktop.dbus.FileDescriptor(fd));
            }
            return MessageFactory.createMessage(bytes[1], buf, header, body, list);
        } catch (DBusException | org.freedesktop.dbus.exceptions.MessageTypeException | RuntimeException e) {
            throw new IllegalArgumentException("not a D-Bus message: " + e, e);
        }
    }
}
