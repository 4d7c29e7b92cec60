package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A client fills its user's quota to the last byte with ever smaller messages to consumers of the same uid that never
 * read. Nobody else may notice: a connection of the same uid keeps being answered by the driver, new connections of
 * any uid complete Hello, a service of the same uid still gets calls from another uid and answers them, and the bus's
 * memory and descriptors stay bounded. (capbus once charged driver calls to the bus's own user and dropped replies it
 * could not queue, so everyone of that uid, and every new connection, hung.)
 */
class FullQuotaIT {
    private static final int CONSUMERS = 8;
    /** Per connection 1 MiB may wait (max_outgoing_bytes); capbus's user budget is four connections' worth. */
    private static final String LIMITS = "  <limit name=\"max_outgoing_bytes\">1048576</limit>\n"
            + "  <limit name=\"max_connections_per_user\">1000</limit>\n";
    private static final long RSS_GROWTH_BOUND_MIB = 512;
    private static final int FD_GROWTH_BOUND = 64;

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldKeepAnsweringEveryoneWhileOneUserIsFull(BusKind kind) throws Exception {
        try (TestBus bus = TestBus.startWithConfiguration(kind, TestBus.configurationWithLimits(LIMITS), Map.of());
                RawConnection bystander = RawConnection.open(bus);
                RawConnection service = RawConnection.open(bus);
                RawConnection filler = RawConnection.open(bus)) {
            int request = service.nextSerial();
            service.send(WireMessage.driverCall(request, "RequestName").bodyString("org.capbus.Innocent")
                    .bodyUint32(0).build());
            assertThat(service.readUntil(m -> m.replySerial() == request, Await.BOUND).firstUint32()).isEqualTo(1);
            AtomicBoolean serving = new AtomicBoolean(true);
            Thread server = Thread.ofPlatform().daemon().start(() -> serve(service, serving));
            ProcStatus before = ProcStatus.of(bus.pid());
            List<RawConnection> consumers = new ArrayList<>();
            try {
                for (int i = 0; i < CONSUMERS; i++) {
                    consumers.add(RawConnection.open(bus));
                }
                // Ever smaller messages, so that the quota is filled to the last byte the bus lets it have.
                for (int size : new int[] {65536, 4096, 256, 16}) {
                    int perConsumer = (int) Math.min(200, (3L << 20) / size);
                    byte[] body = new byte[size];
                    java.util.Arrays.fill(body, (byte) 'x');
                    for (int n = 0; n < perConsumer; n++) {
                        for (RawConnection consumer : consumers) {
                            filler.send(WireMessage.builder(WireMessage.SIGNAL, filler.nextSerial())
                                    .path("/org/capbus/Fill").iface("org.capbus.Fill").member("Fill")
                                    .destination(consumer.uniqueName()).bodyString(body).build());
                        }
                    }
                }
                if (kind == BusKind.CAPBUS) {
                    // capbus refuses what does not fit with LimitsExceeded and reads on, so even the filler is
                    // answered. dbus-daemon makes no such promise: on a loaded machine the filler's GetId was seen
                    // waiting there behind its own flood for over 20 s (CI run of 2026-11-29), so it is no reference.
                    Innocents.assertAnswered(bus, filler);
                }
                Innocents.assertAnswered(bus, bystander);
                Innocents.assertAnswered(bus);
                ClientResult call = Clients.run(bus.clientEnvironment(), Clients.CLIENT_BOUND, List.of("setpriv",
                        "--reuid=" + Innocents.OTHER_UID, "--regid=" + Innocents.OTHER_UID, "--clear-groups",
                        "dbus-send", "--bus=" + bus.address(), "--print-reply", "--dest=org.capbus.Innocent",
                        "/org/capbus/Innocent", "org.capbus.Innocent.Echo", "uint32:7"));
                assertThat(call.exitCode()).as("[%s] a same-uid service answers another uid: %s", kind,
                        call.describe()).isZero();
                assertThat(call.stdout()).contains("uint32 7");
                ProcStatus full = ProcStatus.of(bus.pid());
                assertThat(full.rssMiB() - before.rssMiB()).as("[%s] RSS growth (before %s, full %s)", kind, before,
                        full).isLessThan(RSS_GROWTH_BOUND_MIB);
                assertThat(full.fds() - before.fds()).as("[%s] descriptors (before %s, full %s)", kind, before, full)
                        .isLessThan(FD_GROWTH_BOUND);
            } finally {
                serving.set(false);
                consumers.forEach(RawConnection::close);
                server.join(Duration.ofSeconds(5));
            }
            Innocents.assertAnswered(bus);
            assertThat(bus.isAlive()).isTrue();
        }
    }

    /** Answers every Echo call with its uint32 argument. */
    private static void serve(RawConnection service, AtomicBoolean serving) {
        while (serving.get()) {
            WireMessage m;
            try {
                m = service.read(Duration.ofMillis(500));
            } catch (AssertionError idle) {
                continue;
            }
            if (m.type() == WireMessage.METHOD_CALL && "Echo".equals(m.member())) {
                service.send(WireMessage.builder(WireMessage.METHOD_RETURN, service.nextSerial())
                        .replySerial(m.serial()).destination(m.sender()).bodyUint32(m.firstUint32()).build());
            }
        }
    }
}
