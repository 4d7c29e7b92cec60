package org.capbus.dbus.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.capbus.dbus.DBusErrors;
import org.capbus.dbus.activation.ActivationError;
import org.capbus.dbus.broker.TestClient.Received;
import org.capbus.dbus.broker.state.Activations;
import org.capbus.dbus.wire.MessageBuilder;
import org.capbus.dbus.wire.MessageFlag;
import org.capbus.dbus.wire.MessageType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Service activation through the whole bus, in process: what waits, in which order it arrives, what a failure frees. */
class ActivationRoutingTest {
    @TempDir
    Path services;
    private TestBus bus;

    @AfterEach
    void close() {
        if (bus != null) {
            bus.close();
        }
    }

    /** A bus whose service directory provides org.capbus.Svc, with its catalog read. */
    private TestBus busWithService(String limits) throws IOException {
        Files.writeString(services.resolve("org.capbus.Svc.service"),
                "[D-BUS Service]\nName=org.capbus.Svc\nExec=/usr/bin/svc --flag 'two words'\n");
        TestBus b = new TestBus("<servicedir>" + services + "</servicedir>" + limits);
        b.runBlocking();
        return b;
    }

    private static MessageBuilder call(String member) {
        return MessageBuilder.methodCall("org.capbus.Svc", "/", "org.capbus.Test", member);
    }

    private Activations activations() {
        return bus.bus.state().activations();
    }

    @Test
    void shouldStartTheServiceAndDeliverWhatWaitedInOrderOnceItOwnsTheName() throws IOException {
        bus = busWithService("");
        TestClient a = bus.connect();
        TestClient b = bus.connect();
        a.call(call("One"));
        long start = b.callDriver("StartServiceByName", "org.capbus.Svc", 0);
        a.call(call("Two"));
        assertThat(bus.launcher.requests).hasSize(1);
        assertThat(bus.launcher.requests.getFirst().argv()).containsExactly("/usr/bin/svc", "--flag", "two words");
        assertThat(bus.launcher.requests.getFirst().environment()).containsEntry("DBUS_STARTER_BUS_TYPE", "session");
        assertThat(a.received()).isEmpty();
        assertThat(b.received()).isEmpty();
        assertThat(activations().waitingCount()).isEqualTo(3);

        TestClient svc = bus.connect();
        assertThat(svc.requestName("org.capbus.Svc", 0)).isEqualTo(1);
        List<Received> atService = svc.received();
        assertThat(atService).extracting(Received::member).containsSubsequence("One", "Two");
        assertThat(atService.stream().filter(r -> r.type() == MessageType.METHOD_CALL).map(Received::member))
                .containsExactly("One", "Two");
        Received started = b.replyTo(start);
        assertThat(started.type()).isEqualTo(MessageType.METHOD_RETURN);
        assertThat(new org.capbus.dbus.wire.BodyReader(started.message()).readUInt32()).isEqualTo(1);
        assertThat(activations().pendingCount()).isZero();
        assertThat(activations().waitingCount()).isZero();
        // The calls have their reply slots now, like any call delivered.
        assertThat(bus.bus.state().replies().size()).isEqualTo(2);
    }

    @Test
    void shouldTellEveryWaitingCallerAndFreeEverythingWhenTheServiceFails() throws IOException {
        bus = busWithService("");
        TestClient a = bus.connect();
        TestClient b = bus.connect();
        long one = a.call(call("One"));
        long two = a.send(call("Two").unixFd(0).unixFds(1), new int[] {42});
        long start = b.callDriver("StartServiceByName", "org.capbus.Svc", 0);
        assertThat(activations().waitingFds()).isEqualTo(1);
        assertThat(bus.bus.core().user(TestBus.UID).chargedMessages()).isPositive();

        bus.launcher.fail(0, ActivationError.childExited("org.capbus.Svc", 3));
        bus.loop.runTasks();
        for (Received r : List.of(a.replyTo(one), a.replyTo(two), b.replyTo(start))) {
            assertThat(r.errorName()).isEqualTo(DBusErrors.SPAWN_CHILD_EXITED);
            assertThat(r.arg0()).isEqualTo("Process org.capbus.Svc exited with status 3");
        }
        assertThat(bus.closedFds).contains(42);
        assertThat(activations().pendingCount()).isZero();
        assertThat(activations().waitingCount()).isZero();
        assertThat(activations().waitingFds()).isZero();
        assertThat(bus.bus.core().user(TestBus.UID).chargedMessages()).isZero();
        assertThat(bus.bus.state().replies().size()).isZero();
        assertThat(bus.launcher.killed.getFirst()).isTrue();
    }

    @Test
    void shouldFailAtServiceStartTimeoutAndKillTheChild() throws IOException {
        bus = busWithService("<limit name=\"service_start_timeout\">1000</limit>");
        TestClient a = bus.connect();
        long one = a.call(call("One"));
        bus.loop.runTimers();
        Received r = a.replyTo(one);
        assertThat(r.errorName()).isEqualTo(DBusErrors.TIMED_OUT);
        assertThat(r.arg0()).isEqualTo(
                "Failed to activate service 'org.capbus.Svc': timed out (service_start_timeout=1000ms)");
        assertThat(bus.launcher.killed.getFirst()).isTrue();
        assertThat(activations().pendingCount()).isZero();
    }

    @Test
    void shouldAnswerServiceUnknownAfterLookingAgainAndNameHasNoOwnerWithNoAutoStart() throws IOException {
        bus = busWithService("");
        TestClient a = bus.connect();
        long missing = a.call(MessageBuilder.methodCall("org.capbus.Missing", "/", "org.capbus.Test", "X"));
        assertThat(a.received()).as("the directories are read again first").isEmpty();
        bus.runBlocking();
        assertThat(a.replyTo(missing).errorName()).isEqualTo(DBusErrors.SERVICE_UNKNOWN);
        long noAutoStart = a.call(call("One").flags(MessageFlag.NO_AUTO_START));
        assertThat(a.replyTo(noAutoStart).errorName()).isEqualTo(DBusErrors.NAME_HAS_NO_OWNER);
        assertThat(bus.launcher.requests).isEmpty();
    }
}
