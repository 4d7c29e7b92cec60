package org.capbus.deploy.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.function.Predicate;

/**
 * A hand-driven D-Bus connection over a plain unix socket, for tests that must send what no real client library
 * would: it authenticates with EXTERNAL, then sends and receives raw frames built by {@link WireMessage}. Every read is
 * bounded. Owned by one test thread.
 */
public final class RawConnection implements AutoCloseable {
    private static final int MAX_FRAME = 64 * 1024 * 1024;

    private final SocketChannel channel;
    private final Selector selector;
    private ByteBuffer input = ByteBuffer.allocate(64 * 1024);
    private int serial;
    private String uniqueName;
    private boolean closedByPeer;

    private RawConnection(SocketChannel channel, Selector selector) {
        this.channel = channel;
        this.selector = selector;
    }

    /** The uid of this process, which EXTERNAL authentication claims. */
    public static int uid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Connects without authenticating: the caller sends whatever bytes it wants. */
    public static RawConnection connectUnauthenticated(TestBus bus) {
        try {
            SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(bus.socket()));
            channel.configureBlocking(false);
            Selector selector = Selector.open();
            channel.register(selector, SelectionKey.OP_READ);
            return new RawConnection(channel, selector);
        } catch (IOException e) {
            throw new UncheckedIOException("[" + bus.kind() + "] cannot connect to " + bus.socket(), e);
        }
    }

    /** Connects and authenticates (pipelined {@code \0AUTH EXTERNAL <hex uid>\r\nBEGIN\r\n}); does not send Hello. */
    public static RawConnection connect(TestBus bus) {
        RawConnection connection = connectUnauthenticated(bus);
        try {
            connection.authenticate();
        } catch (AssertionError e) {
            connection.close();
            throw new AssertionError("[" + bus.kind() + "] " + e.getMessage(), e);
        }
        return connection;
    }

    /** Authenticates a connection from {@link #connectUnauthenticated} as {@link #connect} does. */
    public void authenticate() {
        String hexUid = HexFormat.of().formatHex(Integer.toString(uid()).getBytes(StandardCharsets.US_ASCII));
        send(("\0AUTH EXTERNAL " + hexUid + "\r\nBEGIN\r\n").getBytes(StandardCharsets.US_ASCII));
        String line = readLine(Await.BOUND);
        if (!line.startsWith("OK ")) {
            throw new AssertionError("EXTERNAL authentication refused: " + line);
        }
    }

    /** Connects, authenticates and says Hello; returns the connection with its unique name known. */
    public static RawConnection open(TestBus bus) {
        RawConnection connection = connect(bus);
        connection.hello();
        return connection;
    }

    /** The next serial for a message of this connection (1, 2, ...). */
    public int nextSerial() {
        return ++serial;
    }

    /** Sends Hello and returns the unique name the bus assigned. */
    public String hello() {
        int helloSerial = nextSerial();
        send(WireMessage.driverCall(helloSerial, "Hello").build());
        WireMessage reply = readUntil(m -> m.replySerial() == helloSerial, Await.BOUND);
        if (reply.type() != WireMessage.METHOD_RETURN) {
            throw new AssertionError("Hello failed: " + reply);
        }
        uniqueName = reply.firstString();
        return uniqueName;
    }

    /** The unique name from {@link #hello()}. */
    public String uniqueName() {
        return uniqueName;
    }

    /** Calls a driver method with string arguments and returns its reply (a return or an error). */
    public WireMessage callDriver(String member, String... stringArgs) {
        int callSerial = nextSerial();
        WireMessage.Builder call = WireMessage.driverCall(callSerial, member);
        for (String arg : stringArgs) {
            call.bodyString(arg);
        }
        send(call.build());
        return readUntil(m -> m.replySerial() == callSerial, Await.BOUND);
    }

    /** Writes all of {@code bytes}. */
    public void send(byte[] bytes) {
        try {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            long deadline = System.nanoTime() + Await.BOUND.toNanos();
            while (buffer.hasRemaining()) {
                if (channel.write(buffer) == 0) {
                    if (System.nanoTime() - deadline > 0) {
                        throw new AssertionError("the bus did not read " + bytes.length + " bytes within the bound");
                    }
                    Thread.onSpinWait();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads the next message within {@code bound}; fails on timeout or if the bus closes the connection. */
    public WireMessage read(Duration bound) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (true) {
            input.flip();
            long length = WireMessage.frameLength(input);
            if (length > MAX_FRAME) {
                throw new AssertionError("frame of " + length + " bytes from the bus");
            }
            if (length >= 0 && input.remaining() >= length) {
                byte[] frame = new byte[(int) length];
                input.get(frame);
                input.compact();
                return WireMessage.parse(frame);
            }
            input.compact();
            if (length > input.capacity()) {
                input = ByteBuffer.allocate((int) length).put(input.flip());
            }
            if (!fill(deadline)) {
                throw new AssertionError(closedByPeer ? "the bus closed the connection" : "no message within "
                        + bound.toMillis() + " ms");
            }
        }
    }

    /** Reads and discards messages until one matches {@code wanted}. */
    public WireMessage readUntil(Predicate<WireMessage> wanted, Duration bound) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (true) {
            WireMessage message = read(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            if (wanted.test(message)) {
                return message;
            }
        }
    }

    /**
     * Whether the bus closes this connection within {@code bound}: reads (and discards) until end of stream or a
     * reset, which both mean the bus dropped us.
     */
    public boolean awaitClosedByBus(Duration bound) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!closedByPeer) {
            input.clear();
            if (!fill(deadline) && !closedByPeer) {
                return false;
            }
        }
        return true;
    }

    /** Reads what is available into the input buffer, waiting until {@code deadline}; false on timeout or close. */
    private boolean fill(long deadline) {
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                selector.select(Math.max(1, left / 1_000_000));
                selector.selectedKeys().clear();
                int n;
                try {
                    n = channel.read(input);
                } catch (IOException reset) {
                    closedByPeer = true;
                    return false;
                }
                if (n < 0) {
                    closedByPeer = true;
                    return false;
                }
                if (n > 0) {
                    return true;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads one SASL line (without its CRLF), failing after {@code bound}. */
    public String readLine(Duration bound) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (true) {
            input.flip();
            for (int i = input.position(); i + 1 < input.limit(); i++) {
                if (input.get(i) == '\r' && input.get(i + 1) == '\n') {
                    byte[] line = new byte[i - input.position()];
                    input.get(line);
                    input.position(input.position() + 2);
                    input.compact();
                    return new String(line, StandardCharsets.US_ASCII);
                }
            }
            input.compact();
            if (!fill(deadline)) {
                throw new AssertionError(closedByPeer ? "the bus closed the connection during authentication"
                        : "no authentication reply within " + bound.toMillis() + " ms");
            }
        }
    }

    @Override
    public void close() {
        try {
            selector.close();
            channel.close();
        } catch (IOException ignored) {
            // Closing a test socket.
        }
    }
}
