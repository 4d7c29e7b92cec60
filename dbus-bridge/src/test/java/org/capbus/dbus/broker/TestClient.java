package org.capbus.dbus.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import org.capbus.dbus.io.ConnectionHandler;
import org.capbus.dbus.wire.DBusMessage;
import org.capbus.dbus.wire.DBusNames;
import org.capbus.dbus.wire.MessageBuilder;
import org.capbus.dbus.wire.MessageType;
import org.capbus.dbus.wire.Validity;

/**
 * One client of a {@link TestBus}: writes messages into its connection as the transport would hand them over, and
 * reads back, parsed, what the bus wrote to it (with the descriptors attached to each message). Test thread only.
 */
final class TestClient {
    /** A message the client received, with the descriptors that came with it. */
    record Received(DBusMessage message, int[] fds) {
        int type() {
            return message.type();
        }

        String member() {
            return message.member();
        }

        String errorName() {
            return message.errorName();
        }

        /** The first argument, if it is a string (error texts, names). */
        String arg0() {
            return message.stringArg(0);
        }
    }

    private final TestBus bus;
    final FakeTransport transport;
    final ConnectionHandler handler;
    /** How far {@link #received()} has read the transport's stream. */
    private int read;
    private int attachmentsRead;
    /** Messages parsed and not yet taken by a test. */
    private final List<Received> inbox = new ArrayList<>();
    private long serial = 1;
    String uniqueName;

    TestClient(TestBus bus, FakeTransport transport, ConnectionHandler handler) {
        this.bus = bus;
        this.transport = transport;
        this.handler = handler;
    }

    /** SASL EXTERNAL with this connection's uid, optionally NEGOTIATE_UNIX_FD, then BEGIN. */
    void authenticate(boolean fds) {
        String uid = HexFormat.of().formatHex(Long.toString(transport.credentials().uid())
                .getBytes(StandardCharsets.US_ASCII));
        String lines = "\0AUTH EXTERNAL " + uid + "\r\n" + (fds ? "NEGOTIATE_UNIX_FD\r\n" : "") + "BEGIN\r\n";
        handler.onData(ByteBuffer.wrap(lines.getBytes(StandardCharsets.US_ASCII)));
        String answer = transport.written.toString(StandardCharsets.US_ASCII);
        assertThat(answer).startsWith("OK ");
        read = transport.written.size();
    }

    /** Says Hello and takes its unique name from the reply. */
    void hello() {
        long s = call(MessageBuilder.methodCall(DBusNames.DRIVER_NAME, DBusNames.DRIVER_PATH, DBusNames.DRIVER_NAME,
                "Hello"));
        Received reply = replyTo(s);
        assertThat(reply.type()).isEqualTo(MessageType.METHOD_RETURN);
        uniqueName = reply.arg0();
    }

    /** Sends {@code m} with the next serial; returns the serial. */
    long call(MessageBuilder m) {
        return send(m, new int[0]);
    }

    /** Sends {@code m} with the next serial and descriptors {@code fds} (set its UNIX_FDS); returns the serial. */
    long send(MessageBuilder m, int[] fds) {
        long s = serial++;
        if (fds.length > 0) {
            handler.onFds(fds, fds.length);
        }
        handler.onData(ByteBuffer.wrap(m.build(s)));
        return s;
    }

    /** Calls a driver method on org.freedesktop.DBus; returns the serial. */
    long callDriver(String member, Object... args) {
        MessageBuilder m = MessageBuilder.methodCall(DBusNames.DRIVER_NAME, DBusNames.DRIVER_PATH,
                DBusNames.DRIVER_NAME, member);
        for (Object a : args) {
            if (a instanceof String s) {
                m.string(s);
            } else {
                m.uint32(((Number) a).longValue());
            }
        }
        return call(m);
    }

    /** AddMatch(rule), checked to succeed. */
    void addMatch(String rule) {
        assertThat(replyTo(callDriver("AddMatch", rule)).type()).isEqualTo(MessageType.METHOD_RETURN);
    }

    /** RequestName(name, flags); returns the reply code. */
    long requestName(String name, int flags) {
        Received r = replyTo(callDriver("RequestName", name, flags));
        assertThat(r.type()).as("RequestName reply: %s", r.errorName()).isEqualTo(MessageType.METHOD_RETURN);
        return readUInt32Body(r.message());
    }

    private static long readUInt32Body(DBusMessage m) {
        return new org.capbus.dbus.wire.BodyReader(m).readUInt32();
    }

    /** Every message written to this client and not yet taken, parsed, in order; takes them. */
    List<Received> received() {
        poll();
        List<Received> out = new ArrayList<>(inbox);
        inbox.clear();
        return out;
    }

    /** Parses what the bus wrote since the last poll into the inbox. */
    private void poll() {
        byte[] all = transport.written.toByteArray();
        List<Received> out = inbox;
        while (read < all.length) {
            int length = DBusMessage.frameLength(all, read);
            assertThat(length).as("frame length at %d", read).isPositive();
            byte[] frame = new byte[length];
            System.arraycopy(all, read, frame, 0, length);
            int[] fds = new int[0];
            if (attachmentsRead < transport.attachments.size()
                    && transport.attachments.get(attachmentsRead).position() == read) {
                fds = transport.attachments.get(attachmentsRead++).fds();
            }
            DBusMessage m = new DBusMessage();
            assertThat(m.parse(frame, length)).isEqualTo(Validity.VALID);
            out.add(new Received(m, fds));
            read += length;
        }
    }

    /** The reply (return or error) to this client's message {@code serial}, among what it received since. */
    Received replyTo(long serial) {
        poll();
        for (Received r : inbox) {
            if ((r.type() == MessageType.METHOD_RETURN || r.type() == MessageType.ERROR)
                    && r.message().replySerial() == serial) {
                inbox.remove(r);
                return r;
            }
        }
        throw new AssertionError("no reply to serial " + serial);
    }

    /** Hangs up, as a client closing its socket. */
    void hangUp() {
        transport.closed = true;
        handler.onClosed();
    }

    @Override
    public String toString() {
        return uniqueName;
    }
}
