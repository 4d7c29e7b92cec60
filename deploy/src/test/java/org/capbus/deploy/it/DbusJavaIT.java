package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.DBus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** dbus-java (the Java client library, native unix-socket transport) as client and as service. */
class DbusJavaIT {
    private static final TestBus.Shared BUSES = new TestBus.Shared();

    @AfterAll
    static void stopBuses() {
        BUSES.close();
    }

    private static DBusConnection connect(TestBus bus) throws Exception {
        return DBusConnectionBuilder.forAddress(bus.address()).withShared(false).build();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldCallTheDriverThroughTheDBusInterface(BusKind kind) throws Exception {
        TestBus bus = BUSES.get(kind);
        try (DBusConnection connection = connect(bus)) {
            DBus driver = connection.getRemoteObject("org.freedesktop.DBus", "/org/freedesktop/DBus", DBus.class);
            assertThat(connection.getUniqueName()).startsWith(":");
            assertThat(Arrays.asList(driver.ListNames())).contains("org.freedesktop.DBus", connection.getUniqueName());
            assertThat(driver.GetNameOwner(connection.getUniqueName())).isEqualTo(connection.getUniqueName());
            assertThat(driver.GetNameOwner("org.freedesktop.DBus")).isEqualTo("org.freedesktop.DBus");
            assertThat(driver.NameHasOwner("org.capbus.NobodyHere")).isFalse();
            assertThatThrownBy(() -> driver.GetNameOwner("org.capbus.NobodyHere"))
                    .isInstanceOf(DBusExecutionException.class);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldExportAnObjectUnderARequestedNameAndServeAnotherConnection(BusKind kind) throws Exception {
        TestBus bus = BUSES.get(kind);
        try (DBusConnection service = connect(bus); DBusConnection client = connect(bus)) {
            JavaGreeter greeter = new JavaGreeter() {
                @Override
                public String Greet(String name) {
                    return "hello, " + name;
                }

                @Override
                public long Sum(long[] values) {
                    return Arrays.stream(values).sum();
                }

                @Override
                public String getObjectPath() {
                    return "/org/capbus/JavaGreeter";
                }
            };
            service.requestBusName("org.capbus.JavaService");
            service.exportObject("/org/capbus/JavaGreeter", greeter);
            DBus driver = client.getRemoteObject("org.freedesktop.DBus", "/org/freedesktop/DBus", DBus.class);
            assertThat(driver.GetNameOwner("org.capbus.JavaService")).isEqualTo(service.getUniqueName());
            JavaGreeter remote = client.getRemoteObject("org.capbus.JavaService", "/org/capbus/JavaGreeter",
                    JavaGreeter.class);
            assertThat(remote.Greet("capbus")).isEqualTo("hello, capbus");
            assertThat(remote.Sum(new long[] {1, 2, 3, 1L << 40})).isEqualTo(6 + (1L << 40));
            // A real client of another library sees the same object.
            ClientResult viaGdbus = Clients.runOk(bus, "gdbus", "call", "--session", "--dest", "org.capbus.JavaService",
                    "--object-path", "/org/capbus/JavaGreeter", "--method", "org.capbus.JavaGreeter.Greet", "gdbus");
            assertThat(viaGdbus.stdout().trim()).isEqualTo("('hello, gdbus',)");
        }
    }
}
