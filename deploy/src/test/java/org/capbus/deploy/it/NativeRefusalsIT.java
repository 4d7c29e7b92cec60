package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.capbus.client.CapbusClient;
import org.capbus.client.CapbusException;
import org.capbus.client.Delivery;
import org.capbus.client.Handle;
import org.capbus.client.Node;
import org.capbus.client.Status;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The native protocol's refusals that the bus's limits and policy cause, each provoked for real over the bus: {@code
 * QUOTA} for every budget of a receiver (bytes, messages, handles, descriptors), {@code LIMITS_EXCEEDED} for
 * {@code max_names_per_connection} and {@code ACCESS_DENIED} for a {@code <deny own>} rule, each with the detail
 * docs/native-protocol.md gives it (section 4.2), and each shown to have changed nothing. One bus with small limits,
 * capbus only (dbus-daemon does not speak the protocol); the Java client and the Python one written from the
 * specification both see them.
 */
class NativeRefusalsIT {
    /** The receiver's budgets these limits give (docs/native-protocol.md, SEND): bytes 16384, messages 1024, ... */
    private static final int BYTES = 16384;
    private static final int MESSAGES = 1024;
    /** 4 x max_completed_connections + 64. */
    private static final int HANDLES = 4 * 16 + 64;
    private static final int FDS = 4;
    private static final String FORBIDDEN = "org.capbus.test.Forbidden";
    private static final String CONFIG = TestBus.configurationWithLimits(
            "  <limit name=\"max_outgoing_bytes\">" + BYTES + "</limit>\n"
            + "  <limit name=\"max_outgoing_unix_fds\">" + FDS + "</limit>\n"
            + "  <limit name=\"max_completed_connections\">16</limit>\n"
            + "  <limit name=\"max_names_per_connection\">2</limit>\n")
            .replace("<allow own=\"*\"/>", "<allow own=\"*\"/>\n    <deny own=\"" + FORBIDDEN + "\"/>");
    private static final TestBus.Shared BUSES = new TestBus.Shared(CONFIG);

    @AfterAll
    static void stopBuses() {
        BUSES.close();
    }

    private static TestBus bus() {
        return BUSES.get(BusKind.CAPBUS);
    }

    /** The refusal {@code request} failed with; fails if it succeeded. */
    private static CapbusException refusal(CompletableFuture<?> request) {
        try {
            request.get(20, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(CapbusException.class);
            return (CapbusException) e.getCause();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("the request succeeded");
    }

    /** A receiver that records its messages' payloads, its node registered under {@code name}. */
    private record Receiver(CapbusClient client, Node node, LinkedBlockingQueue<String> payloads) {
        static Receiver start(TestBus bus, String name) throws Exception {
            CapbusClient c = CapbusClient.connect(bus.address());
            LinkedBlockingQueue<String> q = new LinkedBlockingQueue<>();
            Node n = NativeProtocolIT.await(c.createNode((node, d) -> {
                q.add(d.payload().length + ":" + (d.payload().length <= 16
                        ? new String(d.payload(), StandardCharsets.UTF_8) : "") + ":" + d.handles().size() + ":"
                        + d.fds().length);
                for (int fd : d.fds()) {
                    c.closeFd(fd);
                }
                for (Handle h : d.handles()) {
                    c.release(h);
                }
            }));
            assertThat(NativeProtocolIT.await(c.registerName(name, n, 0x4))).isEqualTo(1);
            return new Receiver(c, n, q);
        }
    }

    /** The next message of {@code r} is {@code expected}: nothing of a refused send came before it. */
    private static void nextIs(Receiver r, String expected) throws InterruptedException {
        assertThat(NativeProtocolIT.take(r.payloads())).isEqualTo(expected);
    }

    @Test
    void shouldRefuseAMessageOverTheReceiversByteBudgetWithQuotaBytes() throws Exception {
        try (CapbusClient sender = CapbusClient.connect(bus().address())) {
            Receiver r = Receiver.start(bus(), "org.capbus.test.Bytes");
            try (CapbusClient rc = r.client()) {
                Handle h = NativeProtocolIT.await(sender.resolve("org.capbus.test.Bytes"));
                CapbusException e = refusal(sender.send(h, new byte[BYTES + 1]));
                assertThat(e.status()).isEqualTo(Status.QUOTA);
                assertThat(e.detail()).as(e.getMessage()).isEqualTo(Status.DETAIL_BYTES);
                assertThat(e.getMessage()).contains("QUOTA (bytes)");
                // Exactly the budget fits; the refused message never arrived.
                NativeProtocolIT.await(sender.send(h, new byte[BYTES]));
                NativeProtocolIT.await(sender.send(h, "after".getBytes(StandardCharsets.UTF_8)));
                nextIs(r, BYTES + "::0:0");
                nextIs(r, "5:after:0:0");
            }
        }
    }

    @Test
    void shouldRefuseAMessageCarryingMoreHandlesThanTheBudgetWithQuotaHandles() throws Exception {
        try (CapbusClient sender = CapbusClient.connect(bus().address())) {
            Receiver r = Receiver.start(bus(), "org.capbus.test.Handles");
            try (CapbusClient rc = r.client()) {
                Handle h = NativeProtocolIT.await(sender.resolve("org.capbus.test.Handles"));
                NativeProtocolIT.Recorder mineEvents = new NativeProtocolIT.Recorder();
                Node mine = NativeProtocolIT.await(sender.createNode(mineEvents));
                Handle[] tooMany = Collections.nCopies(HANDLES + 1, mine.handle()).toArray(Handle[]::new);
                CapbusException e = refusal(sender.send(h, new byte[0], tooMany));
                assertThat(e.status()).isEqualTo(Status.QUOTA);
                assertThat(e.detail()).as(e.getMessage()).isEqualTo(Status.DETAIL_HANDLES);
                // The refused message transferred nothing: after the next one, whose one reference the receiver
                // releases, no one but the owner holds the node (NodeReleased), and the receiver got nothing else.
                NativeProtocolIT.await(sender.send(h, "after".getBytes(StandardCharsets.UTF_8), mine.handle()));
                nextIs(r, "5:after:1:0");
                assertThat(NativeProtocolIT.take(mineEvents.notifications)).isEqualTo("released");
            }
        }
    }

    @Test
    void shouldRefuseAMessageCarryingMoreDescriptorsThanTheBudgetWithQuotaFds() throws Throwable {
        Path file = Files.createTempFile("capbus-native-quota", ".txt");
        Path busFds = Path.of("/proc/" + bus().pid() + "/fd");
        try (CapbusClient sender = CapbusClient.connect(bus().address())) {
            Receiver r = Receiver.start(bus(), "org.capbus.test.Fds");
            try (CapbusClient rc = r.client()) {
                Handle h = NativeProtocolIT.await(sender.resolve("org.capbus.test.Fds"));
                long before = count(busFds);
                int fd = NativeProtocolIT.openForPassing(file);
                int[] tooMany = new int[FDS + 1];
                java.util.Arrays.fill(tooMany, fd);
                CapbusException e = refusal(sender.send(h, new byte[1], tooMany));
                assertThat(e.status()).isEqualTo(Status.QUOTA);
                assertThat(e.detail()).as(e.getMessage()).isEqualTo(Status.DETAIL_FDS);
                // The bus closed the refused message's descriptors, and the receiver got nothing of it.
                Await.until(() -> count(busFds) <= before, () -> "the bus kept the refused message's descriptors");
                NativeProtocolIT.await(sender.send(h, "after".getBytes(StandardCharsets.UTF_8), new int[] {fd}));
                nextIs(r, "5:after:0:1");
                sender.closeFd(fd);
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static long count(Path dir) {
        try (var files = Files.list(dir)) {
            return files.count();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * A receiver that stops reading: its socket fills, then its queue in the core, until its budget of messages (empty
     * messages, so bytes never run out) refuses a multicast of {@value #BATCH} copies as a whole. Once it reads again it
     * receives exactly the copies of the sends that were accepted.
     */
    @Test
    void shouldRefuseWhenTheReceiversQueueHoldsItsBudgetOfMessagesWithQuotaMessages() throws Exception {
        CountDownLatch reading = new CountDownLatch(1);
        AtomicInteger received = new AtomicInteger();
        CompletableFuture<Integer> receivedBeforeEnd = new CompletableFuture<>();
        try (CapbusClient receiver = CapbusClient.connect(bus().address());
             CapbusClient sender = CapbusClient.connect(bus().address())) {
            Node node = NativeProtocolIT.await(receiver.createNode((n, d) -> {
                try {
                    // The event thread stops here: the client reads nothing more until the latch opens.
                    reading.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (d.payload().length == 0) {
                    received.incrementAndGet();
                } else {
                    receivedBeforeEnd.complete(received.get());
                }
            }));
            NativeProtocolIT.await(receiver.registerName("org.capbus.test.Messages", node, 0x4));
            Handle h = NativeProtocolIT.await(sender.resolve("org.capbus.test.Messages"));
            List<Handle> copies = Collections.nCopies(BATCH, h);
            int accepted = 0;
            CapbusException refused = null;
            // The socket takes a bounded number of small frames, the queue MESSAGES: a refusal must come.
            for (int i = 0; i < 1000 && refused == null; i++) {
                try {
                    NativeProtocolIT.await(sender.sendAll(copies, new byte[0]));
                    accepted++;
                } catch (CapbusException e) {
                    refused = e;
                }
            }
            assertThat(refused).as("a refusal after %d accepted multicasts", accepted).isNotNull();
            assertThat(refused.status()).isEqualTo(Status.QUOTA);
            assertThat(refused.detail()).as(refused.getMessage()).isEqualTo(Status.DETAIL_MESSAGES);
            assertThat(accepted * BATCH).as("copies accepted").isGreaterThanOrEqualTo(MESSAGES - BATCH);

            reading.countDown();
            byte[] end = "end".getBytes(StandardCharsets.UTF_8);
            Await.until(() -> {
                try {
                    NativeProtocolIT.await(sender.send(h, end));
                    return true;
                } catch (CapbusException e) {
                    // Still full until the receiver has drained some: the same refusal, retried.
                    assertThat(e.detail()).isEqualTo(Status.DETAIL_MESSAGES);
                    return false;
                }
            }, () -> "the receiver never made room");
            assertThat(receivedBeforeEnd.get(20, TimeUnit.SECONDS)).as("copies received")
                    .isEqualTo(accepted * BATCH);
        }
    }

    private static final int BATCH = 256;

    @Test
    void shouldRefuseANameOverTheLimitWithLimitsExceededNames() throws Exception {
        try (CapbusClient owner = CapbusClient.connect(bus().address())) {
            Node node = NativeProtocolIT.await(owner.createNode((n, d) -> { }));
            assertThat(NativeProtocolIT.await(owner.registerName("org.capbus.test.First", node, 0))).isEqualTo(1);
            assertThat(NativeProtocolIT.await(owner.registerName("org.capbus.test.Second", node, 0))).isEqualTo(1);
            CapbusException e = refusal(owner.registerName("org.capbus.test.Third", node, 0));
            assertThat(e.status()).isEqualTo(Status.LIMITS_EXCEEDED);
            assertThat(e.detail()).as(e.getMessage()).isEqualTo(Status.DETAIL_NAMES);
            assertThat(e.getMessage()).contains("LIMITS_EXCEEDED (names)");
            // Nothing changed: the name has no owner, the others are still the connection's.
            assertNoOwner("org.capbus.test.Third");
            ClientResult names = Clients.runOk(bus(), "gdbus", "call", "--session", "--dest",
                    "org.freedesktop.DBus", "--object-path", "/org/freedesktop/DBus", "--method",
                    "org.freedesktop.DBus.ListNames");
            assertThat(names.stdout()).contains("'org.capbus.test.First'", "'org.capbus.test.Second'")
                    .doesNotContain("org.capbus.test.Third");
            // Releasing one makes room, as for a D-Bus owner.
            assertThat(NativeProtocolIT.await(owner.releaseName("org.capbus.test.First"))).isEqualTo(1);
            assertThat(NativeProtocolIT.await(owner.registerName("org.capbus.test.Third", node, 0))).isEqualTo(1);
        }
    }

    @Test
    void shouldRefuseANameThePolicyDeniesWithAccessDenied() throws Exception {
        try (CapbusClient owner = CapbusClient.connect(bus().address())) {
            Node node = NativeProtocolIT.await(owner.createNode((n, d) -> { }));
            CapbusException e = refusal(owner.registerName(FORBIDDEN, node, 0));
            assertThat(e.status()).isEqualTo(Status.ACCESS_DENIED);
            assertThat(e.detail()).as(e.getMessage()).isEqualTo(Status.DETAIL_NONE);
            assertNoOwner(FORBIDDEN);
            // The same rule refuses a D-Bus client, with D-Bus's error.
            ClientResult dbus = Clients.run(bus(), "gdbus", "call", "--session", "--dest", "org.freedesktop.DBus",
                    "--object-path", "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.RequestName",
                    FORBIDDEN, "0");
            assertThat(dbus.exitCode()).isNotZero();
            assertThat(dbus.stderr()).contains("org.freedesktop.DBus.Error.AccessDenied");
            // The connection goes on: an allowed name is granted.
            assertThat(NativeProtocolIT.await(owner.registerName("org.capbus.test.Allowed", node, 0))).isEqualTo(1);
        }
    }

    @Test
    void shouldReportTheSameRefusalsToTheClientWrittenFromTheSpecification() {
        ClientResult r = Clients.run(bus(), Clients.PYTHON, Clients.resource("native_client.py"), "refusals",
                String.valueOf(BYTES), String.valueOf(HANDLES), FORBIDDEN);
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout().lines()).containsExactly(
                "OK QUOTA bytes",
                "OK QUOTA handles",
                "OK ACCESS_DENIED none",
                "OK LIMITS_EXCEEDED names",
                "DONE");
    }

    private static void assertNoOwner(String name) {
        ClientResult owner = Clients.run(bus(), "gdbus", "call", "--session", "--dest", "org.freedesktop.DBus",
                "--object-path", "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.GetNameOwner", name);
        assertThat(owner.exitCode()).as(owner.describe()).isNotZero();
        assertThat(owner.stderr()).contains("org.freedesktop.DBus.Error.NameHasNoOwner");
    }
}
