package org.capbus.dbus.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.capbus.config.UserDatabase;
import org.capbus.dbus.DBusErrors;
import org.capbus.dbus.wire.MessageBuilder;
import org.capbus.dbus.wire.MessageType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A reloaded configuration, with the user database read along with it, applied to the connections already open. */
class BusConfigurationTest {
    /** A policy that names its user by name: only a user database can tell whom it is about. */
    private static final String ALICE_MAY_NOT_CALL_DENIED = """
            <policy user="alice">
              <deny send_interface="org.capbus.Denied"/>
            </policy>
            """;

    private TestBus bus;

    @AfterEach
    void close() {
        if (bus != null) {
            bus.close();
        }
    }

    private static long callDenied(TestClient from, TestClient to) {
        return from.call(MessageBuilder.methodCall(to.uniqueName, "/", "org.capbus.Denied", "Do"));
    }

    @Test
    void shouldResolveUserNamesWithTheDatabaseReadAtTheReload() {
        bus = new TestBus(ALICE_MAY_NOT_CALL_DENIED);
        TestClient alice = bus.connect();
        TestClient b = bus.connect();
        callDenied(alice, b);
        assertThat(b.received()).as("alice is nobody yet: the rule applies to no one").hasSize(1);

        // alice was added to /etc/passwd since the start; ReloadConfig reads it with the file.
        bus.nextConfig = bus.config(ALICE_MAY_NOT_CALL_DENIED);
        bus.nextUsers = UserDatabase.of(Map.of("alice", TestBus.UID), Map.of());
        long reload = alice.callDriver("ReloadConfig");
        bus.loop.runTasks();
        assertThat(alice.replyTo(reload).type()).isEqualTo(MessageType.METHOD_RETURN);

        long serial = callDenied(alice, b);
        assertThat(alice.replyTo(serial).errorName()).isEqualTo(DBusErrors.ACCESS_DENIED);
        assertThat(b.received()).isEmpty();
    }
}
