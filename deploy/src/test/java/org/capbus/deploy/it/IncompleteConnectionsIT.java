package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Connections that have not completed Hello are "incomplete", as dbus-daemon counts them: whether they are still
 * authenticating or authenticated and silent. {@code auth_timeout} closes them, {@code max_incomplete_connections}
 * bounds them (the oldest of the user with the most go first), so a crowd of them never locks anyone out; and a
 * silent client gets
 * dbus-daemon's default 30 s, not 5.
 */
class IncompleteConnectionsIT {
    private static final int MAX_INCOMPLETE = 8;
    private static final int CROWD = 20;

    /**
     * Opens {@code count} connections as uid {@link Innocents#OTHER_UID}, authenticates each (no Hello), prints
     * {@code ready} and keeps them open until killed.
     */
    private static final String CROWD_SCRIPT = """
            import socket, sys, time
            path, count = sys.argv[1], int(sys.argv[2])
            hexuid = str(%d).encode().hex()
            crowd = []
            for i in range(count):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                s.sendall(b"\\0AUTH EXTERNAL " + hexuid.encode() + b"\\r\\nBEGIN\\r\\n")
                s.settimeout(20)
                reply = b""
                while not reply.endswith(b"\\r\\n"):
                    chunk = s.recv(256)
                    if not chunk:
                        break
                    reply += chunk
                crowd.append(s)
            print("ready", flush=True)
            time.sleep(120)
            """.formatted(Innocents.OTHER_UID);

    /**
     * capbus only, a deliberate difference: dbus-daemon stops accepting while {@code max_incomplete_connections} are
     * reached, so one user's crowd locks every user out until it times out; capbus drops the oldest incomplete
     * connection of the user who has the most, so the crowd pays for itself.
     */
    @org.junit.jupiter.api.Test
    void shouldDropTheOldestAuthenticatedConnectionsWithoutHelloOfTheCrowdingUser() {
        String limits = "  <limit name=\"max_incomplete_connections\">" + MAX_INCOMPLETE + "</limit>\n";
        try (TestBus bus = TestBus.startWithConfiguration(BusKind.CAPBUS, TestBus.configurationWithLimits(limits),
                Map.of())) {
            // Another user's crowd of silent authenticated connections: root still gets in.
            try (Clients.Background crowd = Clients.Background.start(Map.of(), List.of("setpriv",
                    "--reuid=" + Innocents.OTHER_UID, "--regid=" + Innocents.OTHER_UID, "--clear-groups",
                    Clients.PYTHON, "-c", CROWD_SCRIPT, bus.socket().toString(), Integer.toString(CROWD)))) {
                crowd.awaitStdout("ready");
                Innocents.assertSameUidAnswered(bus);
            }
            // The test's own crowd: its oldest connections go, and fresh clients of both uids get in.
            List<RawConnection> own = new ArrayList<>();
            try {
                for (int i = 0; i < CROWD; i++) {
                    own.add(RawConnection.connect(bus));
                }
                Innocents.assertAnswered(bus);
                for (int i = 0; i < CROWD - MAX_INCOMPLETE; i++) {
                    assertThat(own.get(i).awaitClosedByBus(Await.BOUND))
                            .as("authenticated connection %d of %d without Hello is dropped", i, CROWD).isTrue();
                }
            } finally {
                own.forEach(RawConnection::close);
            }
            assertThat(bus.isAlive()).isTrue();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldCloseAnAuthenticatedConnectionThatSendsNoHelloWithinAuthTimeout(BusKind kind) {
        String limits = "  <limit name=\"auth_timeout\">1000</limit>\n";
        try (TestBus bus = TestBus.startWithConfiguration(kind, TestBus.configurationWithLimits(limits), Map.of());
                RawConnection silent = RawConnection.connect(bus)) {
            assertThat(silent.awaitClosedByBus(Await.BOUND))
                    .as("[%s] no Hello within auth_timeout closes the connection\n%s", kind, bus.stderr()).isTrue();
            Innocents.assertAnswered(bus);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldGiveASilentClientTheDefaultThirtySeconds(BusKind kind) throws InterruptedException {
        try (TestBus bus = TestBus.startWithConfiguration(kind, TestBus.configurationWithLimits(""), Map.of());
                RawConnection slow = RawConnection.connectUnauthenticated(bus)) {
            // Longer than the 5 s capbus used to give, well within dbus-daemon's 30 s.
            Thread.sleep(Duration.ofSeconds(7));
            slow.authenticate();
            assertThat(slow.hello()).as("[%s] Hello after 7 s of silence", kind).startsWith(":");
        }
    }
}
