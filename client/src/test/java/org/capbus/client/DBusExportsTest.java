package org.capbus.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.freedesktop.dbus.annotations.DBusBoundProperty;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.annotations.DBusProperty;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MethodCall;
import org.freedesktop.dbus.messages.constants.MessageType;
import org.freedesktop.dbus.types.Variant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A dbus-java object exported on a native node, against a scripted bus: the calls arrive as the bus delivers them
 * (a MESSAGE with the D-Bus call and a reply handle), the answers must go back through the reply handle as dbus-java
 * would have written them. Runs on JDK 17 and on the build's JDK.
 */
class DBusExportsTest {
    private static final long NODE = 5;
    private static final String PATH = "/org/capbus/test/Counter";

    /** The interface a dbus-java service would export. */
    @DBusInterfaceName("org.capbus.test.Counter")
    public interface Counter extends DBusInterface {
        int Add(int by);

        void Overflow();

        @DBusBoundProperty
        int getCount();

        @DBusBoundProperty
        String getLabel();

        @DBusBoundProperty
        void setLabel(String label);
    }

    /** A D-Bus error of the service's own: dbus-java names it after its class. */
    public static final class CounterOverflow extends DBusExecutionException {
        private static final long serialVersionUID = 1L;

        public CounterOverflow(String message) {
            super(message);
        }
    }

    /** The implementation, as it was under dbus-java. */
    public static final class CounterImpl implements Counter {
        int count;
        String label = "start";

        @Override
        public int Add(int by) {
            count += by;
            return count;
        }

        @Override
        public void Overflow() {
            throw new CounterOverflow("too many");
        }

        @Override
        public int getCount() {
            return count;
        }

        @Override
        public String getLabel() {
            return label;
        }

        @Override
        public void setLabel(String label) {
            this.label = label;
        }

        @Override
        public String getObjectPath() {
            return PATH;
        }
    }

    /** A service that answers Properties itself, its properties declared with {@code @DBusProperty}. */
    @DBusInterfaceName("org.capbus.test.Settings")
    @DBusProperty(name = "Theme", type = String.class, access = DBusProperty.Access.READ_WRITE)
    public interface Settings extends DBusInterface {
        String Reset();
    }

    /** Its implementation: dbus-java's Properties, by hand. */
    public static final class SettingsImpl implements Settings, Properties {
        String theme = "dark";

        @Override
        public String Reset() {
            theme = "dark";
            return theme;
        }

        @Override
        @SuppressWarnings("unchecked")
        public <A> A Get(String iface, String property) {
            return "Theme".equals(property) ? (A) theme : null;
        }

        @Override
        public <A> void Set(String iface, String property, A value) {
            theme = (String) value;
        }

        @Override
        public Map<String, Variant<?>> GetAll(String iface) {
            return Map.of("Theme", new Variant<>(theme));
        }

        @Override
        public String getObjectPath() {
            return "/org/capbus/test/Settings";
        }
    }

    private Path dir;
    private ServerSocketChannel server;
    private String address;

    @BeforeEach
    void listen() throws IOException {
        dir = Files.createTempDirectory("capbus-exports-test");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(dir.resolve("bus.sock")));
        address = "unix:path=" + dir.resolve("bus.sock");
    }

    @AfterEach
    void close() throws IOException {
        server.close();
        Files.deleteIfExists(dir.resolve("bus.sock"));
        Files.deleteIfExists(dir);
    }

    private long sequence = 100;
    private long replyHandle = 50;

    /** Delivers {@code member} on {@code iface} at {@code path} as the bus would, and returns the answer. */
    private Message call(CapbusClientTest.Peer p, String path, String iface, String member, String sig,
                         Object... args) throws Exception {
        MethodCall c = DBusMessages.FACTORY.createMethodCall(":1.3", "org.capbus.test.Counter", path, iface, member,
                (byte) 0, sig, args);
        long handle = ++replyHandle;
        p.write(new Frame(Frame.MESSAGE, Frame.FLAG_DBUS, ++sequence, new long[] {NODE}, new long[] {handle}, 0,
                DBusMessages.toBytes(c)).encode());
        Frame send = p.frame();
        assertThat(send.operation()).isEqualTo(Frame.SEND);
        assertThat(send.flags() & Frame.FLAG_DBUS).isNotZero();
        assertThat(send.targets()).containsExactly(handle);
        p.reply(send, Status.OK, Frame.NO_IDS, new byte[0]);
        Message answer = DBusMessages.parse(send.payload());
        assertThat(answer.getReplySerial()).isEqualTo(c.getSerial());
        assertThat(answer.getDestination()).isEqualTo(":1.3");
        return answer;
    }

    @Test
    void shouldAnswerMethodsErrorsIntrospectionPropertiesAndPeerFromTheExportedObject() throws Exception {
        CounterImpl impl = new CounterImpl();
        CompletableFuture<Void> script = CompletableFuture.runAsync(() -> {
            try (SocketChannel ch = server.accept()) {
                CapbusClientTest.Peer p = new CapbusClientTest.Peer(ch);
                p.handshake(true);
                Frame create = p.frame();
                p.reply(create, Status.OK, new long[] {NODE}, new byte[0]);
                Frame ready = p.frame(); // the test's marker: the object is exported
                p.reply(ready, Status.OK, new long[] {6}, new byte[0]);

                Message added = call(p, PATH, "org.capbus.test.Counter", "Add", "i", 40);
                assertThat(added.getType()).isEqualTo(MessageType.METHOD_RETURN);
                assertThat(added.getSig()).isEqualTo("i");
                assertThat(added.getParameters()).containsExactly(40);
                assertThat(call(p, PATH, "org.capbus.test.Counter", "Add", "i", 2).getParameters())
                        .containsExactly(42);

                Message overflow = call(p, PATH, "org.capbus.test.Counter", "Overflow", null);
                assertThat(overflow.getType()).isEqualTo(MessageType.ERROR);
                assertThat(overflow.getName()).isEqualTo("org.capbus.client.DBusExportsTest.CounterOverflow");
                assertThat(overflow.getParameters()).containsExactly("too many");
                assertThat(call(p, PATH, "org.capbus.test.Counter", "Nope", null).getName())
                        .isEqualTo("org.freedesktop.DBus.Error.UnknownMethod");
                assertThat(call(p, "/org/capbus/test/Other", "org.capbus.test.Counter", "Add", "i", 1).getName())
                        .isEqualTo("org.freedesktop.DBus.Error.UnknownObject");

                String xml = (String) call(p, PATH, DBusExports.INTROSPECTABLE, "Introspect", null).getParameters()[0];
                assertThat(xml).contains("<interface name=\"org.capbus.test.Counter\">")
                        .contains("<method name=\"Add\"").contains("<property name=\"Count\" type=\"i\"");
                String parent = (String) call(p, "/org/capbus", DBusExports.INTROSPECTABLE, "Introspect", null)
                        .getParameters()[0];
                assertThat(parent).contains("<node name=\"test\"/>");

                Message count = call(p, PATH, DBusExports.PROPERTIES, "Get", "ss", "org.capbus.test.Counter",
                        "Count");
                assertThat(count.getSig()).isEqualTo("v");
                assertThat(((Variant<?>) count.getParameters()[0]).getValue()).isEqualTo(42);
                Message set = call(p, PATH, DBusExports.PROPERTIES, "Set", "ssv", "org.capbus.test.Counter", "Label",
                        new Variant<>("renamed"));
                assertThat(set.getType()).isEqualTo(MessageType.METHOD_RETURN);
                Message readOnly = call(p, PATH, DBusExports.PROPERTIES, "Set", "ssv", "org.capbus.test.Counter",
                        "Count", new Variant<>(1));
                assertThat(readOnly.getName()).isEqualTo("org.freedesktop.DBus.Error.PropertyReadOnly");
                Message all = call(p, PATH, DBusExports.PROPERTIES, "GetAll", "s", "org.capbus.test.Counter");
                assertThat(all.getSig()).isEqualTo("a{sv}");
                @SuppressWarnings("unchecked")
                Map<String, Variant<?>> props = (Map<String, Variant<?>>) all.getParameters()[0];
                assertThat(props.get("Count").getValue()).isEqualTo(42);
                assertThat(props.get("Label").getValue()).isEqualTo("renamed");
                assertThat(call(p, PATH, DBusExports.PROPERTIES, "Get", "ss", "org.capbus.test.Counter", "Nope")
                        .getName()).isEqualTo("org.freedesktop.DBus.Error.UnknownProperty");

                assertThat(call(p, PATH, DBusExports.PEER, "Ping", null).getType())
                        .isEqualTo(MessageType.METHOD_RETURN);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        try (CapbusClient client = CapbusClient.connect(address)) {
            Node node = client.createNode().get(10, TimeUnit.SECONDS);
            assertThat(node.handle().id()).isEqualTo(NODE);
            client.exportObject(node, PATH, impl);
            client.createNode().get(10, TimeUnit.SECONDS);
            script.get(30, TimeUnit.SECONDS);
        }
        assertThat(impl.label).isEqualTo("renamed");
    }

    @Test
    void shouldLetAnObjectImplementingPropertiesAnswerThemAndListItsDeclaredProperties() throws Exception {
        SettingsImpl impl = new SettingsImpl();
        String path = "/org/capbus/test/Settings";
        String iface = "org.capbus.test.Settings";
        CompletableFuture<Void> script = CompletableFuture.runAsync(() -> {
            try (SocketChannel ch = server.accept()) {
                CapbusClientTest.Peer p = new CapbusClientTest.Peer(ch);
                p.handshake(true);
                p.reply(p.frame(), Status.OK, new long[] {NODE}, new byte[0]);
                p.reply(p.frame(), Status.OK, new long[] {6}, new byte[0]);

                String xml = (String) call(p, path, DBusExports.INTROSPECTABLE, "Introspect", null).getParameters()[0];
                assertThat(xml).contains("<interface name=\"" + iface + "\">")
                        .contains("<property name=\"Theme\" type=\"s\" access=\"readwrite\"");
                Message theme = call(p, path, DBusExports.PROPERTIES, "Get", "ss", iface, "Theme");
                assertThat(theme.getSig()).isEqualTo("v");
                assertThat(((Variant<?>) theme.getParameters()[0]).getValue()).isEqualTo("dark");
                call(p, path, DBusExports.PROPERTIES, "Set", "ssv", iface, "Theme", new Variant<>("light"));
                @SuppressWarnings("unchecked")
                Map<String, Variant<?>> all = (Map<String, Variant<?>>) call(p, path, DBusExports.PROPERTIES, "GetAll",
                        "s", iface).getParameters()[0];
                assertThat(all.get("Theme").getValue()).isEqualTo("light");
                assertThat(call(p, path, DBusExports.PROPERTIES, "Get", "ss", iface, "Nope").getName())
                        .isEqualTo("org.freedesktop.DBus.Error.UnknownProperty");
                assertThat(call(p, path, iface, "Reset", null).getParameters()).containsExactly("dark");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        try (CapbusClient client = CapbusClient.connect(address)) {
            Node node = client.createNode().get(10, TimeUnit.SECONDS);
            client.exportObject(node, path, impl);
            client.createNode().get(10, TimeUnit.SECONDS);
            script.get(30, TimeUnit.SECONDS);
        }
    }
}
