package org.capbus.bench.wire;

import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A lean D-Bus connection for the benchmark's D-Bus side: EXTERNAL authentication with unix fd negotiation,
 * {@code Hello}, whole messages written one {@code send} each (as the native client writes one frame each), and a
 * read loop that hands every whole message to a sink in place. One reading thread; one writing thread at a time.
 */
final class RawDBusConnection implements AutoCloseable {
    /** Told of each whole message: its bytes are {@code buf[off, off+len)}, valid during the call only. */
    interface Sink {
        void message(byte[] buf, int off, int len) throws IOException;
    }

    private final UnixSocket socket;
    private byte[] in = new byte[64 * 1024];
    private int start;
    private int end;
    private int serial;
    private String uniqueName;

    private RawDBusConnection(UnixSocket socket) {
        this.socket = socket;
    }

    static RawDBusConnection connect(String socketPath) throws IOException {
        RawDBusConnection c = new RawDBusConnection(UnixSocket.connect(socketPath));
        try {
            c.authenticate();
            byte[] hello = DBusWire.methodCall(c.nextSerial(), "org.freedesktop.DBus", "/org/freedesktop/DBus",
                    "org.freedesktop.DBus", "Hello", null, false);
            byte[] reply = c.call(hello);
            c.uniqueName = bodyString(reply);
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private void authenticate() throws IOException {
        long uid = ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
        String hex = HexFormat.of().formatHex(Long.toString(uid).getBytes(StandardCharsets.US_ASCII));
        writeAscii("\0AUTH EXTERNAL " + hex + "\r\n");
        expectLine("OK ");
        writeAscii("NEGOTIATE_UNIX_FD\r\n");
        expectLine("AGREE_UNIX_FD");
        writeAscii("BEGIN\r\n");
    }

    private void writeAscii(String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        socket.write(b, 0, b.length, -1);
    }

    private void expectLine(String prefix) throws IOException {
        while (true) {
            for (int i = start; i + 1 < end; i++) {
                if (in[i] == '\r' && in[i + 1] == '\n') {
                    String line = new String(in, start, i - start, StandardCharsets.US_ASCII);
                    start = i + 2;
                    if (!line.startsWith(prefix)) {
                        throw new IOException("the bus answered \"" + line + "\", expected " + prefix);
                    }
                    return;
                }
            }
            fill();
        }
    }

    String uniqueName() {
        return uniqueName;
    }

    int nextSerial() {
        return ++serial;
    }

    void send(byte[] message) throws IOException {
        socket.write(message, 0, message.length, -1);
    }

    /** Sends {@code message} with the descriptor {@code fd} (its {@code UNIX_FDS} must be 1). */
    void send(byte[] message, int fd) throws IOException {
        socket.write(message, 0, message.length, fd);
    }

    /** Sends a call and waits for its reply (set-up only): messages before it are dropped; an error throws. */
    byte[] call(byte[] message) throws IOException {
        int s = DBusWire.serial(message, 0);
        send(message);
        while (true) {
            int len = nextMessage();
            int off = start;
            start += len;
            int type = DBusWire.type(in, off);
            if ((type == DBusWire.METHOD_RETURN || type == DBusWire.ERROR) && DBusWire.replySerial(in, off) == s) {
                byte[] reply = Arrays.copyOfRange(in, off, off + len);
                if (type == DBusWire.ERROR) {
                    throw new IOException("D-Bus error " + bodyString(reply));
                }
                return reply;
            }
        }
    }

    /** Reads until the connection closes, giving every message to {@code sink}. */
    void readLoop(Sink sink) throws IOException {
        try {
            while (true) {
                int len = nextMessage();
                int off = start;
                start += len;
                sink.message(in, off, len);
            }
        } catch (EOFException e) {
            // closed
        }
    }

    /** Blocks until a whole message is buffered at {@code start}; returns its length. */
    private int nextMessage() throws IOException {
        while (true) {
            int len = DBusWire.length(in, start, end - start);
            if (len > 0 && end - start >= len) {
                return len;
            }
            if (len > in.length) {
                in = Arrays.copyOf(in, Math.max(len, in.length * 2));
            }
            fill();
        }
    }

    private void fill() throws IOException {
        if (start == end) {
            start = end = 0;
        } else if (end == in.length) {
            System.arraycopy(in, start, in, 0, end - start);
            end -= start;
            start = 0;
        }
        int n = socket.read(in, end, in.length - end);
        if (n < 0) {
            throw new EOFException("the bus closed the connection");
        }
        end += n;
    }

    /** The first string argument of a message body (Hello's unique name, an error's text). */
    private static String bodyString(byte[] m) {
        int fields = (m[12] & 0xFF) | (m[13] & 0xFF) << 8 | (m[14] & 0xFF) << 16 | (m[15] & 0xFF) << 24;
        int body = 16 + ((fields + 7) & ~7);
        if (body + 4 > m.length) {
            return "";
        }
        int len = (m[body] & 0xFF) | (m[body + 1] & 0xFF) << 8 | (m[body + 2] & 0xFF) << 16
                | (m[body + 3] & 0xFF) << 24;
        return new String(m, body + 4, len, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        socket.close();
    }
}
