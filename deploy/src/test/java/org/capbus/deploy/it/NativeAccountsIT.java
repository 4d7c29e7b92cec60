package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.capbus.client.CapbusClient;
import org.capbus.client.CapbusException;
import org.capbus.client.Delivery;
import org.capbus.client.Handle;
import org.capbus.client.Node;
import org.capbus.client.Status;
import org.junit.jupiter.api.Test;

/**
 * Every account of the core back where it was once native clients, and the D-Bus clients and services they talked
 * to, have left: {@code Debug.Stats.GetStats} read with gdbus shows the core's connected peers, live nodes, held
 * handles and every user's queued charges ({@code org.capbus.Debug.Stats.Core*}), pending replies, names and match
 * rules. The traffic covers each native path that charges or holds something: transfers of handles and descriptors,
 * a receiver that stops reading and leaves with its queue full, reply handles answered, dropped and left pending
 * when their service leaves, calls from a native client to a D-Bus service (a descriptor in the reply), resolved
 * handles to D-Bus and native owners, and match rules. Capbus only (the keys are its own), on a bus of its own.
 */
class NativeAccountsIT {
    private static final Pattern ENTRY = Pattern.compile("'([\\w.]+)': <(?:uint32 |uint64 )?(\\d+)>");
    private static final String CORE = "org.capbus.Debug.Stats.Core";
    private static final String SERVICE = "org.capbus.test.AcctNative";
    private static final String SINK = "org.capbus.test.AcctSink";
    private static final String PYTHON_SERVICE = "org.capbus.test.AcctPython";

    /** GetStats as gdbus prints it, by key (numbers only). */
    private static Map<String, Long> stats(TestBus bus) {
        ClientResult r = Clients.runOk(bus, "gdbus", "call", "--session", "--dest", "org.freedesktop.DBus",
                "--object-path", "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.Debug.Stats.GetStats");
        Map<String, Long> values = new TreeMap<>();
        Matcher m = ENTRY.matcher(r.stdout());
        while (m.find()) {
            values.put(m.group(1), Long.parseLong(m.group(2)));
        }
        return values;
    }

    /** What must come back to its level: the core's accounting and what the bus keeps per connection. */
    static Map<String, Long> accounts(TestBus bus) {
        Map<String, Long> all = stats(bus);
        Map<String, Long> kept = new TreeMap<>();
        all.forEach((k, v) -> {
            if (k.startsWith(CORE) || k.equals("org.capbus.Debug.Stats.PendingReplies") || k.equals("BusNames")
                    || k.equals("MatchRules") || k.equals("ActiveConnections") || k.equals("IncompleteConnections")) {
                kept.put(k, v);
            }
        });
        return kept;
    }

    @Test
    void shouldReturnEveryAccountToItsLevelOnceNativeClientsAndTheirDbusPeersLeave() throws Throwable {
        Path file = Files.createTempFile("capbus-native-accounts", ".txt");
        CountDownLatch sinkReads = new CountDownLatch(1);
        CountDownLatch holding = new CountDownLatch(1);
        try (TestBus bus = TestBus.start(BusKind.CAPBUS);
             // A native connection there all along: the first one makes the bus's native bridge (a peer of the bus's
             // own, which stays), so the level is taken after it exists; and its own accounts must not move.
             CapbusClient bystander = CapbusClient.connect(bus.address())) {
            Map<String, Long> before = accounts(bus);
            assertThat(before).containsEntry(CORE + "QueuedMessages", 0L).containsEntry(CORE + "QueuedBytes", 0L)
                    .containsEntry(CORE + "QueuedHandles", 0L).containsEntry(CORE + "QueuedFDs", 0L)
                    .containsKeys(CORE + "Peers", CORE + "Nodes", CORE + "Handles");

            CapbusClient service = CapbusClient.connect(bus.address());
            CapbusClient client = CapbusClient.connect(bus.address());
            CapbusClient sink = CapbusClient.connect(bus.address());
            Clients.Background python = Clients.pythonService(bus, PYTHON_SERVICE);
            Clients.Background waitingCaller = null;
            try {
                // A native service: answers Echo, drops Drop (NoReply), keeps Hold's reply handle unanswered, and
                // keeps every handle native messages bring it (its disconnect must give them back).
                // (dbus-python calls the owner's unique name, whose messages arrive on the root node.)
                java.util.function.Consumer<Delivery> handler = d -> {
                    for (int fd : d.fds()) {
                        service.closeFd(fd);
                    }
                    if (!d.isDBus() || d.replyHandle() == null) {
                        return;
                    }
                    try {
                        switch (d.dbusMessage().getName()) {
                            case "Echo" -> service.replyDBus(d, "s", d.dbusMessage().getParameters()[0]);
                            case "Drop" -> service.release(d.replyHandle());
                            case "Hold" -> holding.countDown();
                            default -> service.replyDBusError(d, "org.freedesktop.DBus.Error.UnknownMethod", "no");
                        }
                    } catch (org.freedesktop.dbus.exceptions.DBusException e) {
                        throw new IllegalStateException(e);
                    }
                };
                Node svc = NativeProtocolIT.await(service.createNode((n, d) -> handler.accept(d)));
                service.onRootMessage(handler);
                assertThat(NativeProtocolIT.await(service.registerName(SERVICE, svc, 0x4))).isEqualTo(1);
                NativeProtocolIT.await(service.addMatch("type='signal',interface='org.capbus.Test'"));

                // A sink that stops reading at its first message: its queue in the core fills and stays full.
                Node sinkNode = NativeProtocolIT.await(sink.createNode((n, d) -> {
                    try {
                        sinkReads.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
                NativeProtocolIT.await(sink.registerName(SINK, sinkNode, 0x4));

                // D-Bus clients calling the native service.
                assertThat(Clients.runOk(bus, "gdbus", "call", "--session", "--dest", SERVICE, "--object-path", "/x",
                        "--method", "org.capbus.Test.Echo", "hi").stdout().trim()).isEqualTo("('hi',)");
                assertThat(Clients.run(bus, "gdbus", "call", "--session", "--dest", SERVICE, "--object-path", "/x",
                        "--method", "org.capbus.Test.Drop").stderr()).contains("org.freedesktop.DBus.Error.NoReply");
                waitingCaller = Clients.start(bus, Clients.PYTHON, "-c", String.join("\n",
                        "import dbus",
                        "o = dbus.SessionBus().get_object('" + SERVICE + "', '/x', introspect=False)",
                        "try:",
                        "    o.Hold(dbus_interface='org.capbus.Test', timeout=60)",
                        "    print('REPLY', flush=True)",
                        "except dbus.DBusException as e:",
                        "    print('ERROR', e.get_dbus_name(), flush=True)"));
                Clients.Background caller = waitingCaller;
                assertThat(holding.await(20, TimeUnit.SECONDS)).as("the held call arrived: %s", caller.describe())
                        .isTrue();

                // A native client: handles and descriptors to the service, calls to a D-Bus service (a descriptor
                // comes back), resolved handles to D-Bus and native owners, a match rule.
                Node mine = NativeProtocolIT.await(client.createNode((n, d) -> { }));
                Handle toService = NativeProtocolIT.await(client.resolve(SERVICE));
                int fd = NativeProtocolIT.openForPassing(file);
                for (int i = 0; i < 20; i++) {
                    NativeProtocolIT.await(client.send(toService, ("m" + i).getBytes(StandardCharsets.UTF_8),
                            new int[] {fd}, mine.handle()));
                }
                Object[] opened = NativeProtocolIT.await(client.callDBus(PYTHON_SERVICE, "/org/capbus/Test",
                        "org.capbus.Test", "OpenFile", "s", "content"));
                client.closeFd(((org.freedesktop.dbus.FileDescriptor) opened[0]).getIntFileDescriptor());
                assertThat(NativeProtocolIT.await(client.callDBus(PYTHON_SERVICE, "/org/capbus/Test",
                        "org.capbus.Test", "EchoString", "s", "x"))).containsExactly("x");
                NativeProtocolIT.await(client.resolve(PYTHON_SERVICE));
                NativeProtocolIT.await(client.resolve(service.uniqueName()));
                NativeProtocolIT.await(client.addMatch("type='signal',interface='org.capbus.Test'"));

                // Messages carrying a handle and a descriptor to the sink until its budget refuses them.
                Handle toSink = NativeProtocolIT.await(client.resolve(SINK));
                int refused = 0;
                for (int i = 0; i < 2000 && refused == 0; i++) {
                    try {
                        NativeProtocolIT.await(client.send(toSink, new byte[512], new int[] {fd}, mine.handle()));
                    } catch (CapbusException e) {
                        assertThat(e.status()).isEqualTo(Status.QUOTA);
                        refused++;
                    }
                }
                assertThat(refused).as("the sink's budget was reached").isOne();
                client.closeFd(fd);
                Map<String, Long> during = accounts(bus);
                assertThat(during.get(CORE + "QueuedMessages")).as("%s", during).isPositive();
                assertThat(during.get(CORE + "QueuedBytes")).as("%s", during).isPositive();
                assertThat(during.get(CORE + "QueuedHandles")).as("%s", during).isPositive();
                assertThat(during.get(CORE + "QueuedFDs")).as("%s", during).isPositive();
                assertThat(during.get(CORE + "Nodes")).isGreaterThan(before.get(CORE + "Nodes"));
                assertThat(during.get(CORE + "Handles")).isGreaterThan(before.get(CORE + "Handles"));
                assertThat(during.get(CORE + "Peers")).isGreaterThan(before.get(CORE + "Peers"));
                assertThat(during.get("org.capbus.Debug.Stats.PendingReplies")).isPositive();
            } finally {
                // The sink leaves with its queue full, the service with a call pending, then everyone else.
                sink.close();
                sinkReads.countDown();
                service.close();
                if (waitingCaller != null) {
                    waitingCaller.awaitStdout("ERROR org.freedesktop.DBus.Error.NoReply");
                    waitingCaller.close();
                }
                client.close();
                python.close();
                Files.deleteIfExists(file);
            }
            Await.until(() -> accounts(bus).equals(before),
                    () -> "accounts not back to their level:\nbefore " + before + "\nnow    " + accounts(bus));
        }
    }
}
