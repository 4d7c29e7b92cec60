package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.capbus.client.CapbusClient;
import org.capbus.client.Node;
import org.freedesktop.dbus.annotations.DBusBoundProperty;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A service written against dbus-java's interfaces, exported on a native node with
 * {@code CapbusClient.exportObject} (docs/migrating.md), as real D-Bus clients see it: {@code gdbus call},
 * {@code gdbus introspect}, {@code busctl introspect}, {@code busctl get-property}/{@code set-property}, errors and
 * {@code Peer.Ping}. capbus only (the native protocol is capbus's).
 */
class NativeExportIT {
    private static final TestBus.Shared BUSES = new TestBus.Shared();
    private static final String NAME = "org.capbus.test.Exported";
    private static final String PATH = "/org/capbus/test/Counter";
    private static final String IFACE = "org.capbus.test.Counter";

    @AfterAll
    static void stopBuses() {
        BUSES.close();
    }

    /** The service's dbus-java interface, unchanged from its dbus-java days. */
    @DBusInterfaceName(IFACE)
    public interface Counter extends DBusInterface {
        int Add(int by);

        String Describe(String prefix, boolean loud);

        void Overflow();

        @DBusBoundProperty
        int getCount();

        @DBusBoundProperty
        String getLabel();

        @DBusBoundProperty
        void setLabel(String label);
    }

    /** Its error, named after its class as dbus-java names errors. */
    public static final class CounterOverflow extends DBusExecutionException {
        private static final long serialVersionUID = 1L;

        public CounterOverflow(String message) {
            super(message);
        }
    }

    /** Its implementation. */
    public static final class CounterImpl implements Counter {
        private int count;
        private String label = "counter";

        @Override
        public int Add(int by) {
            count += by;
            return count;
        }

        @Override
        public String Describe(String prefix, boolean loud) {
            String s = prefix + " " + label + " at " + count;
            return loud ? s.toUpperCase(java.util.Locale.ROOT) : s;
        }

        @Override
        public void Overflow() {
            throw new CounterOverflow("the counter overflowed");
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

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(Await.BOUND.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static String[] gdbusCall(String method, String... args) {
        String[] head = {"gdbus", "call", "--session", "--dest", NAME, "--object-path", PATH, "--method", method};
        String[] all = new String[head.length + args.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(args, 0, all, head.length, args.length);
        return all;
    }

    private static String[] busctl(TestBus bus, String... args) {
        String[] head = {"busctl", "--address=" + bus.address(), "--no-pager"};
        String[] all = new String[head.length + args.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(args, 0, all, head.length, args.length);
        return all;
    }

    @Test
    void shouldServeGdbusAndBusctlFromADbusJavaObjectExportedOnANativeNode() throws Exception {
        TestBus bus = BUSES.get(BusKind.CAPBUS);
        try (CapbusClient service = CapbusClient.connect(bus.address())) {
            Node node = await(service.createNode());
            service.exportObject(node, PATH, new CounterImpl());
            assertThat(await(service.registerName(NAME, node, 0x4))).isEqualTo(1);

            // Methods, with dbus-java's marshalling both ways.
            assertThat(Clients.runOk(bus, gdbusCall(IFACE + ".Add", "40")).stdout().trim()).isEqualTo("(40,)");
            assertThat(Clients.runOk(bus, busctl(bus, "call", NAME, PATH, IFACE, "Add", "i", "2")).stdout().trim())
                    .isEqualTo("i 42");
            assertThat(Clients.runOk(bus, gdbusCall(IFACE + ".Describe", "now", "true")).stdout().trim())
                    .isEqualTo("('NOW COUNTER AT 42',)");

            // Errors: the service's own, and the specification's for what is not there.
            ClientResult overflow = Clients.run(bus, gdbusCall(IFACE + ".Overflow"));
            assertThat(overflow.exitCode()).isNotZero();
            assertThat(overflow.stderr()).contains("org.capbus.deploy.it.NativeExportIT.CounterOverflow")
                    .contains("the counter overflowed");
            ClientResult unknown = Clients.run(bus, gdbusCall(IFACE + ".Subtract", "1"));
            assertThat(unknown.stderr()).contains("org.freedesktop.DBus.Error.UnknownMethod");
            ClientResult noObject = Clients.run(bus, "gdbus", "call", "--session", "--dest", NAME, "--object-path",
                    "/org/capbus/test/Nothing", "--method", IFACE + ".Add", "1");
            assertThat(noObject.stderr()).contains("org.freedesktop.DBus.Error.UnknownObject");

            // Introspection from dbus-java's introspection data, parents listing their children.
            String gdbus = Clients.runOk(bus, "gdbus", "introspect", "--session", "--dest", NAME, "--object-path",
                    PATH).stdout();
            assertThat(gdbus).contains("interface " + IFACE + " {").contains("Add(in  i arg_0,")
                    .contains("readonly i Count = 42;").contains("readwrite s Label = 'counter';");
            assertThat(Clients.runOk(bus, "gdbus", "introspect", "--session", "--dest", NAME, "--object-path",
                    "/org/capbus").stdout()).contains("node test");
            assertThat(Clients.runOk(bus, busctl(bus, "tree", NAME)).stdout()).contains(PATH);
            String busctl = Clients.runOk(bus, busctl(bus, "introspect", NAME, PATH)).stdout();
            assertThat(busctl).contains(IFACE).containsPattern("\\.Add\\s+method\\s+i\\s+i")
                    .containsPattern("\\.Count\\s+property\\s+i\\s+42")
                    .contains("org.freedesktop.DBus.Introspectable").contains("org.freedesktop.DBus.Properties");

            // Properties.
            assertThat(Clients.runOk(bus, busctl(bus, "get-property", NAME, PATH, IFACE, "Count")).stdout().trim())
                    .isEqualTo("i 42");
            Clients.runOk(bus, busctl(bus, "set-property", NAME, PATH, IFACE, "Label", "s", "renamed"));
            assertThat(Clients.runOk(bus, busctl(bus, "get-property", NAME, PATH, IFACE, "Label")).stdout().trim())
                    .isEqualTo("s \"renamed\"");
            assertThat(Clients.run(bus, busctl(bus, "set-property", NAME, PATH, IFACE, "Count", "i", "1")).stderr())
                    .containsIgnoringCase("read-only");
            assertThat(Clients.runOk(bus, "gdbus", "call", "--session", "--dest", NAME, "--object-path", PATH,
                    "--method", "org.freedesktop.DBus.Properties.GetAll", IFACE).stdout())
                    .contains("'Count': <42>").contains("'Label': <'renamed'>");

            // Peer.
            assertThat(Clients.runOk(bus, gdbusCall("org.freedesktop.DBus.Peer.Ping")).stdout().trim())
                    .isEqualTo("()");
        }
    }
}
