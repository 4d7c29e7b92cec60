package org.capbus.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MethodCall;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client against a scripted server on a unix socket (the bus is not a dependency of the client): the
 * handshake, request/reply matching, event delivery on the event thread. Runs on JDK 17 and on the build's JDK.
 */
class CapbusClientTest {
    private Path dir;
    private ServerSocketChannel server;
    private String address;

    @BeforeEach
    void listen() throws IOException {
        dir = Files.createTempDirectory("capbus-client-test");
        Path socket = dir.resolve("bus.sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        address = "unix:path=" + socket;
    }

    @AfterEach
    void close() throws IOException {
        server.close();
        Files.deleteIfExists(dir.resolve("bus.sock"));
        Files.deleteIfExists(dir);
    }

    /** Accepts one client and runs {@code script} on it in a thread of its own. */
    private CompletableFuture<Void> serve(Script script) {
        return CompletableFuture.runAsync(() -> {
            try (SocketChannel ch = server.accept()) {
                script.run(new Peer(ch));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    interface Script {
        void run(Peer p) throws Exception;
    }

    /** The server's side of the conversation. */
    static final class Peer {
        final SocketChannel ch;

        Peer(SocketChannel ch) {
            this.ch = ch;
        }

        String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            ByteBuffer one = ByteBuffer.allocate(1);
            while (true) {
                one.clear();
                if (ch.read(one) < 0) {
                    throw new IOException("closed");
                }
                char c = (char) one.get(0);
                if (c == '\n') {
                    return sb.toString().replace("\r", "").replace("\0", "");
                }
                sb.append(c);
            }
        }

        void write(String s) throws IOException {
            write(ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII)));
        }

        void write(ByteBuffer b) throws IOException {
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }

        void handshake(boolean agree) throws IOException {
            assertThat(line()).startsWith("AUTH EXTERNAL ");
            write("OK 0123456789abcdef0123456789abcdef\r\n");
            assertThat(line()).isEqualTo("NEGOTIATE_CAPBUS_NATIVE 1");
            if (!agree) {
                write("ERROR \"Unknown command\"\r\n");
                return;
            }
            write("AGREE_CAPBUS_NATIVE 1\r\n");
            assertThat(line()).isEqualTo("BEGIN");
            write(new Frame(Frame.WELCOME, 0, 0, new long[] {2}, Frame.NO_IDS, 0,
                    ":1.7".getBytes(StandardCharsets.UTF_8)).encode());
        }

        Frame frame() throws IOException {
            ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
            while (header.hasRemaining()) {
                if (ch.read(header) < 0) {
                    throw new IOException("closed");
                }
            }
            ByteBuffer whole = ByteBuffer.allocate(header.getInt(0));
            whole.put(header.flip());
            while (whole.hasRemaining()) {
                if (ch.read(whole) < 0) {
                    throw new IOException("closed");
                }
            }
            return Frame.decode(whole.array(), 0, whole.capacity());
        }

        void reply(Frame request, int status, long[] targets, byte[] extra) throws IOException {
            ByteBuffer p = ByteBuffer.allocate(8 + extra.length).order(ByteOrder.LITTLE_ENDIAN);
            p.putInt(status).putInt(0).put(extra);
            write(new Frame(Frame.REPLY, 0, request.requestId(), targets, Frame.NO_IDS, 0, p.array()).encode());
        }
    }

    @Test
    void shouldNegotiateCreateANodeAndDeliverItsMessagesOnTheEventThread() throws Exception {
        CompletableFuture<Void> script = serve(p -> {
            p.handshake(true);
            Frame create = p.frame();
            assertThat(create.operation()).isEqualTo(Frame.CREATE_NODE);
            p.reply(create, Status.OK, new long[] {5}, new byte[0]);
            p.write(new Frame(Frame.MESSAGE, 0, 42, new long[] {5}, new long[] {9, 0}, 0,
                    "hi".getBytes(StandardCharsets.UTF_8)).encode());
            p.write(new Frame(Frame.NODE_RELEASED, 0, 43, new long[] {5}, Frame.NO_IDS, 0, new byte[0]).encode());
            Frame send = p.frame();
            assertThat(send.operation()).isEqualTo(Frame.SEND);
            assertThat(send.targets()).containsExactly(9);
            assertThat(send.handles()).containsExactly(5);
            p.reply(send, Status.DESTROYED, Frame.NO_IDS, new byte[0]);
        });
        try (CapbusClient client = CapbusClient.connect(address)) {
            assertThat(client.uniqueName()).isEqualTo(":1.7");
            assertThat(client.root().id()).isEqualTo(2);
            LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();
            Node node = client.createNode(new NodeHandler() {
                @Override
                public void onMessage(Node n, Delivery d) {
                    events.add(client.isEventThread() + ":" + new String(d.payload(), StandardCharsets.UTF_8)
                            + ":" + d.sequence() + ":" + d.handles());
                }

                @Override
                public void onReleased(Node n) {
                    events.add("released " + n.handle().id());
                }
            }).get(10, TimeUnit.SECONDS);
            assertThat(node.handle().id()).isEqualTo(5);
            assertThat(events.poll(10, TimeUnit.SECONDS)).isEqualTo("true:hi:42:[Handle[9], null]");
            assertThat(events.poll(10, TimeUnit.SECONDS)).isEqualTo("released 5");
            assertThatThrownBy(() -> client.send(new Handle(9), new byte[] {1}, node.handle()).get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(CapbusException.class)
                    .hasMessageContaining("SEND failed: DESTROYED");
        }
        script.get(10, TimeUnit.SECONDS);
    }

    @Test
    void shouldSayClearlyWhenTheBusDoesNotSpeakTheProtocol() {
        serve(p -> p.handshake(false));
        assertThatThrownBy(() -> CapbusClient.connect(address))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("does not speak capbus's native protocol")
                .hasMessageContaining("ERROR");
    }

    @Test
    void shouldMarshalDbusMessagesThroughDbusJava() throws Exception {
        MethodCall call = DBusMessages.FACTORY.createMethodCall("org.example.S", "/o", "org.example.I", "M",
                (byte) 0, "si", "text", 7);
        byte[] bytes = DBusMessages.toBytes(call);
        Message parsed = DBusMessages.parse(bytes);
        assertThat(parsed).isInstanceOf(MethodCall.class);
        assertThat(parsed.getDestination()).isEqualTo("org.example.S");
        assertThat(parsed.getName()).isEqualTo("M");
        assertThat(parsed.getSerial()).isEqualTo(call.getSerial());
        assertThat(parsed.getParameters()).containsExactly("text", 7);
    }

    @Test
    void shouldFindTheSocketPathInADbusAddress() {
        assertThat(BusAddress.parse("unix:abstract=x;unix:path=/run/user/1000/bus,guid=00").getPath().toString())
                .isEqualTo("/run/user/1000/bus");
        assertThat(BusAddress.parse("unix:path=/tmp/a%20b").getPath().toString()).isEqualTo("/tmp/a b");
        assertThatThrownBy(() -> BusAddress.parse("tcp:host=localhost,port=1"))
                .hasMessageContaining("no unix:path= entry");
    }
}
