package org.capbus.deploy.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Live upgrade (SIGUSR2, {@code capbus --upgrade=PID}; docs/live-upgrade.md), end to end, capbus only (no other bus
 * can do it). The bus is started through a launcher script of the test's ({@code $CAPBUS_LAUNCHER}), so that the test
 * decides what "the installation" starts at the next upgrade: the real capbus, a binary that fails at start, or one
 * that cannot read the hand-over format. Real clients (python3-dbus service, subscribers and emitter, gdbus, busctl,
 * dbus-monitor) run across the upgrades; none of them may notice anything but the upgrade's pause.
 */
class LiveUpgradeIT {
    private static final int TICKS = 150;
    private static final String NAME = "org.capbus.Upgrade";

    private final Upgrades upgrades = new Upgrades();

    @AfterEach
    void stopTakenOverProcesses() throws IOException {
        upgrades.stopTakenOver();
    }

    @Test
    void clientsKeepTheirConnectionsNamesRulesAndTrafficAcrossTwoUpgrades() throws Exception {
        Path launcher = upgrades.launcher();
        try (TestBus bus = TestBus.startWithEnvironment(BusKind.CAPBUS,
                busEnvironment(launcher));
             Clients.Background service = Clients.start(bus, Clients.PYTHON, peer(), "service", NAME);
             Clients.Background sub1 = Clients.start(bus, Clients.PYTHON, peer(), "subscriber");
             Clients.Background sub2 = Clients.start(bus, Clients.PYTHON, peer(), "subscriber");
             Clients.Background monitor = Clients.start(bus, "dbus-monitor", "--address", bus.address(),
                     "interface='org.capbus.Stream'")) {
            long[] second = new long[1];
            service.awaitStdout("READY");
            sub1.awaitStdout("READY");
            sub2.awaitStdout("READY");
            String serviceName = word(service.stdout(), "READY");
            String busId = Clients.runOk(bus, "gdbus", "call", "--session", "-d", "org.freedesktop.DBus", "-o",
                    "/org/freedesktop/DBus", "-m", "org.freedesktop.DBus.GetId").stdout();
            Await.until(() -> monitor.stdout().contains("NameAcquired"), monitor::stdout);

            // Traffic in flight: a call the service answers after 2 s, and a stream of signals.
            try (Clients.Background pending = Clients.start(bus, "gdbus", "call", "--session", "-d", NAME, "-o",
                    "/t", "-m", NAME + ".Slow", "answered-later", "2000");
                 Clients.Background emitter = Clients.start(bus, Clients.PYTHON, peer(), "emitter",
                         Integer.toString(TICKS), "15")) {
                Await.until(() -> sub1.stdout().contains("GOT 10"), sub1::stdout);
                long first = upgrade(bus.pid());
                Await.until(() -> sub1.stdout().contains("GOT 90"), sub1::stdout);
                second[0] = upgrade(first);

                emitter.awaitStdout("END");
                sub1.awaitStdout("END");
                sub2.awaitStdout("END");
                assertThat(pending.process().waitFor(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
                assertThat(pending.process().exitValue()).as(pending.stderr()).isZero();
                assertThat(pending.stdout()).contains("answered-later");
            }
            for (Clients.Background sub : List.of(sub1, sub2)) {
                assertThat(ticks(sub.stdout())).as("each tick once, in order").isEqualTo(range(TICKS));
                // The same connection throughout: it ends with the unique name it started with.
                assertThat(word(sub.stdout(), "END")).isEqualTo(word(sub.stdout(), "READY"));
            }
            Await.until(() -> monitor.stdout().contains("member=Done"), monitor::stdout);
            assertThat(monitorTicks(monitor.stdout())).as("dbus-monitor saw each tick once, in order")
                    .isEqualTo(range(TICKS));

            assertThat(Clients.runOk(bus, "gdbus", "call", "--session", "-d", "org.freedesktop.DBus", "-o",
                    "/org/freedesktop/DBus", "-m", "org.freedesktop.DBus.GetNameOwner", NAME).stdout())
                    .contains(serviceName);
            assertThat(Clients.runOk(bus, "busctl", "--address=" + bus.address(), "call", NAME, "/t", NAME,
                    "Echo", "s", "after").stdout()).contains("after");
            assertThat(Clients.runOk(bus, "gdbus", "call", "--session", "-d", "org.freedesktop.DBus", "-o",
                    "/org/freedesktop/DBus", "-m", "org.freedesktop.DBus.GetId").stdout()).isEqualTo(busId);
            assertThat(service.process().isAlive()).as(service.stderr()).isTrue();
            assertThat(monitor.process().isAlive()).as(monitor.stderr()).isTrue();
            // Each new process rehearsed its takeover (TakeoverRehearsal) before the old one stopped serving.
            assertThat(bus.stderr()).containsPattern("(?s)rehearsed in \\d+ ms.*rehearsed in \\d+ ms")
                    .doesNotContain("the rehearsal failed");
            // It left nothing open: a handful of clients' sockets, the listener, the JVM's own files; not the 1,200
            // descriptors of its 600 socket pairs.
            try (java.util.stream.Stream<Path> fds = Files.list(Path.of("/proc/" + second[0] + "/fd"))) {
                assertThat(fds.count()).isLessThan(200);
            }
        }
    }

    @Test
    void aNewBinaryThatFailsCannotReadTheStateOrCrashesLeavesTheOldBusServing() throws Exception {
        Path launcher = upgrades.launcher();
        try (TestBus bus = TestBus.startWithEnvironment(BusKind.CAPBUS,
                busEnvironment(launcher));
             Clients.Background service = Clients.start(bus, Clients.PYTHON, peer(), "service", NAME)) {
            service.awaitStdout("READY");

            useLauncher(launcher, "echo 'simulated broken installation' >&2; exit 3");
            ClientResult broken = upgradeCommand(bus.pid());
            assertThat(broken.exitCode()).isEqualTo(1);
            assertThat(broken.stdout()).startsWith("failed: ").contains("exited with status 3");
            assertServes(bus, service);

            // A capbus that reads hand-over formats only up to version 0: the state is "from the future".
            useLauncher(launcher, "CAPBUS_HANDOVER_MAX_FORMAT=0 exec " + BusKind.CAPBUS.executable() + " \"$@\"");
            ClientResult older = upgradeCommand(bus.pid());
            assertThat(older.exitCode()).isEqualTo(1);
            assertThat(older.stdout()).startsWith("failed: ").contains("reads hand-over format versions 1 to 0");
            assertServes(bus, service);
            assertThat(bus.stderr()).contains("live upgrade failed, this process goes on serving");

            // A new process that dies after it took the sockets and the state, before READY: as if killed.
            useLauncher(launcher, "CAPBUS_HANDOVER_CRASH_AFTER_RESTORE=1 exec " + BusKind.CAPBUS.executable()
                    + " \"$@\"");
            ClientResult crashed = upgradeCommand(bus.pid());
            assertThat(crashed.exitCode()).as(crashed.describe()).isEqualTo(1);
            assertThat(crashed.stdout()).startsWith("failed: ");
            assertServes(bus, service);

            // And the installation fixed, the same bus upgrades, even past a stale hand-over socket at its path: what
            // an earlier process with the same pid leaves when it dies mid-upgrade (pids are reused).
            plantStaleHandoverSocket(bus.pid());
            useLauncher(launcher, "exec " + BusKind.CAPBUS.executable() + " \"$@\"");
            upgrade(bus.pid());
            assertServes(bus, service);
        }
    }

    /**
     * Three upgrades one after the other under a steady signal stream: the subscriber gets every signal once, in order,
     * on its first connection, and Prometheus sees the counters continue across each upgrade, not start from zero.
     */
    @Test
    void repeatedUpgradesUnderASteadyStreamLoseNothingAndTheCountersContinue() throws Exception {
        Path launcher = upgrades.launcher();
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String target = "127.0.0.1:" + port;
        String config = TestBus.configuration(false).replace("</busconfig>",
                "  <metrics address=\"" + target + "\"/>\n</busconfig>");
        int ticks = 400;
        try (TestBus bus = TestBus.startWithConfiguration(BusKind.CAPBUS, config, busEnvironment(launcher));
             Clients.Background sub = Clients.start(bus, Clients.PYTHON, peer(), "subscriber")) {
            sub.awaitStdout("READY");
            String signals = "capbus_messages_received_total{type=\"signal\"}";
            String accepted = "capbus_connections_accepted_total";
            double acceptedBefore = metric(target, accepted);
            // A steady stream (a signal every 25 ms, about 10 s) through three upgrades, one after the other.
            try (Clients.Background emitter = Clients.start(bus, Clients.PYTHON, peer(), "emitter",
                    Integer.toString(ticks), "25")) {
                Await.until(() -> sub.stdout().contains("GOT 20"), sub::stdout);
                long pid = bus.pid();
                double previous = metric(target, signals);
                for (int i = 0; i < 3; i++) {
                    pid = upgrade(pid);
                    double now = scrapeWhenServed(target, signals);
                    assertThat(now).as("%s after upgrade %d", signals, i + 1).isGreaterThanOrEqualTo(previous);
                    previous = now;
                }
                emitter.awaitStdout("END");
                sub.awaitStdout("END");
            }
            assertThat(ticks(sub.stdout())).as("each tick once, in order").isEqualTo(range(ticks));
            assertThat(word(sub.stdout(), "END")).isEqualTo(word(sub.stdout(), "READY"));
            // Counted once by whichever process received each: had a process started from zero, the total
            // would be short of what was sent.
            assertThat(scrapeWhenServed(target, signals)).as(signals).isGreaterThanOrEqualTo(ticks + 1);
            assertThat(scrapeWhenServed(target, accepted)).as(accepted)
                    .isGreaterThanOrEqualTo(acceptedBefore + 1);
        }
    }

    /** A series of the metrics, once a process serves them again (the new one waits for the old to free the port). */
    private static double scrapeWhenServed(String target, String series) {
        double[] value = new double[1];
        Await.until(java.time.Duration.ofSeconds(30), () -> {
            try {
                value[0] = metric(target, series);
                return true;
            } catch (IOException e) {
                return false;
            }
        }, () -> "metrics served again on " + target);
        return value[0];
    }

    /** The value of one series in a scrape of {@code target}; IOException while nothing serves there. */
    private static double metric(String target, String series) throws IOException {
        try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
            String body = http.send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create("http://" + target + "/metrics"))
                    .timeout(java.time.Duration.ofSeconds(10)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            for (String line : body.split("\n")) {
                if (line.startsWith(series + " ")) {
                    return Double.parseDouble(line.substring(series.length() + 1).strip());
                }
            }
            throw new AssertionError("no " + series + " in the scrape:\n" + body);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /**
     * HotSpot suspends threads with SIGUSR2 unless told otherwise, for JFR's sampler among others: a flight recording
     * started on a running bus (as an operator would, with jcmd) must profile it, not upgrade it.
     */
    @Test
    void aFlightRecordingNeitherUpgradesTheBusNorLosesItsSamples() throws Exception {
        Path recording = Files.createTempFile("capbus-recording-", ".jfr");
        try (TestBus bus = TestBus.startWithEnvironment(BusKind.CAPBUS, Map.of("CAPBUS_AOT", "0"))) {
            String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
            ClientResult started = Clients.run(Map.of(), Clients.CLIENT_BOUND, List.of(jcmd, Long.toString(bus.pid()),
                    "JFR.start", "duration=2s", "settings=profile", "filename=" + recording));
            assertThat(started.exitCode()).as(started.describe()).isZero();
            // Traffic while it records, so that the sampler has running threads to suspend.
            for (int i = 0; i < 20; i++) {
                Clients.runOk(bus, "gdbus", "call", "--session", "-d", "org.freedesktop.DBus", "-o",
                        "/org/freedesktop/DBus", "-m", "org.freedesktop.DBus.ListNames");
            }
            String jfr = Path.of(System.getProperty("java.home"), "bin", "jfr").toString();
            ClientResult[] summary = new ClientResult[1];
            Await.until(java.time.Duration.ofSeconds(30), () -> {
                if (recording.toFile().length() == 0) {
                    return false;
                }
                summary[0] = Clients.run(Map.of(), Clients.CLIENT_BOUND, List.of(jfr, "summary", recording.toString()));
                return summary[0].exitCode() == 0;
            }, () -> "the recording " + recording + " written" + (summary[0] == null ? "" : ": " + summary[0].describe()));

            assertThat(summary[0].stdout()).as("the sampler suspended the bus's threads")
                    .containsPattern("jdk.ExecutionSample +[1-9]");
            assertThat(bus.stderr()).doesNotContain("live upgrade");
            assertThat(bus.isAlive()).isTrue();
            assertThat(Clients.runOk(bus, "gdbus", "call", "--session", "-d", "org.freedesktop.DBus", "-o",
                    "/org/freedesktop/DBus", "-m", "org.freedesktop.DBus.GetConnectionUnixProcessID",
                    "org.freedesktop.DBus").stdout()).as("the same process serves").contains(" " + bus.pid() + ",");
        } finally {
            Files.deleteIfExists(recording);
        }
    }

    /**
     * The bus's environment: the test's launcher, and no AOT cache training (a fresh jar would make the first start
     * and each upgrade train one, which takes longer than the start bound on a loaded machine; not what is tested).
     */
    /**
     * Activations travel: callers waiting for a service the old process started (one call carrying a descriptor, and a
     * StartServiceByName) are answered by that service through the new process, and what UpdateActivationEnvironment
     * set reaches a service the new process starts.
     */
    @Test
    void activationsInProgressAndTheActivationEnvironmentTravel(@org.junit.jupiter.api.io.TempDir Path services)
            throws Exception {
        Path launcher = upgrades.launcher();
        Path gate = services.resolve("gate");
        String service = Clients.PYTHON + " " + Clients.resource("service.py");
        // Started by the old process, it takes its name only once the test opens the gate, after the upgrade. The
        // services' standard output is not the bus's: the test's pipe from the old process closed when that process
        // ended (the JDK closes a child's pipes at its exit), and a service printing there would die of EPIPE.
        Files.writeString(services.resolve(SLOW + ".service"), "[D-BUS Service]\nName=" + SLOW
                + "\nExec=/bin/sh -c 'while [ ! -e " + gate + " ]; do sleep 0.1; done; exec " + service + " " + SLOW
                + " >/dev/null'\n");
        Files.writeString(services.resolve(ENV + ".service"), "[D-BUS Service]\nName=" + ENV
                + "\nExec=/bin/sh -c 'exec " + service + " " + ENV + " >/dev/null'\n");
        String config = TestBus.configurationWithElements("  <servicedir>" + services + "</servicedir>\n"
                + "  <limit name=\"service_start_timeout\">120000</limit>\n");
        try (TestBus bus = TestBus.startWithConfiguration(BusKind.CAPBUS, config, busEnvironment(launcher))) {
            driver(bus, "UpdateActivationEnvironment", "{'CAPBUS_IT_VARIABLE': 'carried'}");
            try (Clients.Background callers = Clients.start(bus, Clients.PYTHON,
                    Clients.resource("activation.py"), "calls", SLOW, "3", "fd")) {
                Await.until(() -> stat(bus, "ActivationWaitingMessages") == 4,
                        () -> "not all callers wait: " + driver(bus, "Debug.Stats.GetStats") + bus.stderr());
                upgrade(bus.pid());
                // The new process holds the activation: its callers, the descriptor, its child's pid.
                assertThat(stat(bus, "PendingActivations")).isEqualTo(1);
                assertThat(stat(bus, "ActivationWaitingMessages")).isEqualTo(4);
                assertThat(stat(bus, "ActivationWaitingFDs")).isEqualTo(1);
                assertThat(callers.process().isAlive()).as(callers.stdout() + callers.stderr()).isTrue();

                Files.createFile(gate);
                assertThat(callers.process().waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
                assertThat(callers.stdout().lines()).as(callers.stderr() + bus.stderr())
                        .containsExactly("reply=call1", "reply=call2", "reply=fd-char-device", "started=1");
            }
            assertThat(bus.stderr()).contains("Successfully activated service '" + SLOW + "'");
            assertThat(stat(bus, "PendingActivations")).isZero();
            assertThat(Clients.runOk(bus, "gdbus", "call", "--session", "--dest", ENV, "--object-path",
                    "/org/capbus/Test", "--method", "org.capbus.Test.Getenv", "CAPBUS_IT_VARIABLE").stdout().strip())
                    .isEqualTo("('carried',)");
        }
    }

    /**
     * What the bus holds for a connection that does not read travels with its descriptors: 40 calls of 32 KiB, each
     * carrying a descriptor (below the sender's max_incoming_unix_fds of 64, which would stop the bus reading it),
     * wait in the old process for a receiver that reads nothing; after the upgrade the receiver gets every one, in
     * order, each with an open descriptor.
     */
    @Test
    void descriptorsQueuedForAClientThatDoesNotReadArriveAfterTheUpgrade(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path launcher = upgrades.launcher();
        Path gate = dir.resolve("gate");
        try (TestBus bus = TestBus.startWithEnvironment(BusKind.CAPBUS, busEnvironment(launcher));
             Clients.Background receiver = Clients.start(bus, Clients.PYTHON, Clients.resource("fd_flood.py"),
                     "receiver", "40", gate.toString())) {
            receiver.awaitStdout("READY");
            String name = word(receiver.stdout(), "READY");
            assertThat(Clients.python(bus, "fd_flood.py", "sender", name, "40").stdout()).contains("SENT 40");
            long queuedFds = connectionStat(bus, name, "OutgoingFDs");
            assertThat(queuedFds).as("descriptors waiting in the bus for the receiver").isPositive();

            upgrade(bus.pid());
            Files.createFile(gate);
            assertThat(receiver.awaitExit()).as(receiver.stderr()).isZero();
            assertThat(receiver.stdout()).contains("GOT 40").doesNotContain("BAD");
        }
    }

    /**
     * A client caught between AUTH and BEGIN, and one that sent half a method call, finish after the upgrade as if
     * nothing happened: the first is authenticated and gets the next unique name, the second's call is answered.
     */
    @Test
    void aConnectionMidAuthenticationAndHalfAMessageFinishAfterTheUpgrade() throws Exception {
        Path launcher = upgrades.launcher();
        try (TestBus bus = TestBus.startWithEnvironment(BusKind.CAPBUS, busEnvironment(launcher));
             RawConnection authenticating = RawConnection.connectUnauthenticated(bus);
             RawConnection halfway = RawConnection.open(bus);
             RawConnection witness = RawConnection.open(bus)) {
            String busId = witness.callDriver("GetId").firstString();
            String hexUid = java.util.HexFormat.of().formatHex(
                    Integer.toString(RawConnection.uid()).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            authenticating.send(("\0AUTH EXTERNAL " + hexUid + "\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            assertThat(authenticating.readLine(Await.BOUND)).startsWith("OK ");
            int serial = halfway.nextSerial();
            byte[] call = WireMessage.driverCall(serial, "GetId").build();
            halfway.send(java.util.Arrays.copyOf(call, call.length / 2));
            // A round trip on another connection: the bus has had the chance to read the half (it reads each
            // socket as it becomes readable); if it has not, the bytes wait in the socket, which travels too.
            witness.callDriver("GetId");

            upgrade(bus.pid());
            halfway.send(java.util.Arrays.copyOfRange(call, call.length / 2, call.length));
            WireMessage reply = halfway.readUntil(m -> m.replySerial() == serial, Await.BOUND);
            assertThat(reply.type()).isEqualTo(WireMessage.METHOD_RETURN);
            assertThat(reply.firstString()).isEqualTo(busId);

            authenticating.send("BEGIN\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String unique = authenticating.hello();
            int last = Math.max(number(halfway.uniqueName()), number(witness.uniqueName()));
            assertThat(number(unique)).as("unique names continue: " + unique).isEqualTo(last + 1);
            assertThat(witness.callDriver("GetNameOwner", unique).firstString()).isEqualTo(unique);
        }
    }

    /**
     * A client that got its DBUS_COOKIE_SHA1 challenge from the old process answers the new one, which checks the
     * answer against that same challenge: the client is authenticated as if nothing happened.
     */
    @Test
    void aCookieAuthenticationGoesOnAcrossTheUpgrade() throws Exception {
        Path launcher = upgrades.launcher();
        String config = TestBus.configuration(false).replace("<auth>EXTERNAL</auth>", "<auth>DBUS_COOKIE_SHA1</auth>");
        java.nio.charset.Charset ascii = java.nio.charset.StandardCharsets.US_ASCII;
        java.util.HexFormat hex = java.util.HexFormat.of();
        try (TestBus bus = TestBus.startWithConfiguration(BusKind.CAPBUS, config, busEnvironment(launcher));
             RawConnection client = RawConnection.connectUnauthenticated(bus)) {
            client.send(("\0AUTH DBUS_COOKIE_SHA1 " + hex.formatHex(Integer.toString(RawConnection.uid())
                    .getBytes(ascii)) + "\r\n").getBytes(ascii));
            String data = client.readLine(Await.BOUND);
            assertThat(data).startsWith("DATA ");
            String[] challenge = new String(hex.parseHex(data.substring(5)), ascii).split(" ");

            upgrade(bus.pid());

            // The client's side, as libdbus computes it from the keyring the bus wrote.
            Path keyring = Path.of(System.getProperty("user.home"), ".dbus-keyrings", challenge[0]);
            String secret = Files.readAllLines(keyring).stream().map(l -> l.split(" "))
                    .filter(f -> f[0].equals(challenge[1])).map(f -> f[2]).findFirst().orElseThrow();
            String clientChallenge = "0123456789abcdef0123456789abcdef";
            String hash = hex.formatHex(java.security.MessageDigest.getInstance("SHA-1").digest(
                    (challenge[2] + ":" + clientChallenge + ":" + secret).getBytes(ascii)));
            client.send(("DATA " + hex.formatHex((clientChallenge + " " + hash).getBytes(ascii)) + "\r\n")
                    .getBytes(ascii));
            assertThat(client.readLine(Await.BOUND)).startsWith("OK ");
            client.send("BEGIN\r\n".getBytes(ascii));
            assertThat(client.hello()).startsWith(":");
        }
    }

    /**
     * Under a service manager: a bus started by socket activation (systemd-socket-activate passes the listening
     * socket) with a notification socket, as the shipped Type=notify units run it. After the upgrade the manager has
     * been told the new main process (by the old one, then by the new one with READY=1), a client connected before
     * keeps its connection, and the passed socket still accepts: socket activation goes on working.
     */
    @Test
    void underAServiceManagerTheNewProcessIsAnnouncedAndTheActivatedSocketKeepsServing(
            @org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path launcher = upgrades.launcher();
        Path socket = dir.resolve("bus");
        Path notify = dir.resolve("notify");
        Path config = Files.writeString(dir.resolve("bus.conf"), TestBus.configuration(false));
        try (Clients.Background manager = Clients.notificationSocket(notify)) {
            Map<String, String> env = new java.util.HashMap<>(BusKind.CAPBUS.environment());
            env.putAll(busEnvironment(launcher));
            env.put("NOTIFY_SOCKET", notify.toString());
            List<String> command = new ArrayList<>(List.of("/usr/bin/systemd-socket-activate", "--listen=" + socket));
            for (String name : env.keySet()) {
                command.add("--setenv=" + name);
            }
            command.addAll(List.of("--setenv=PATH", "--setenv=HOME", BusKind.CAPBUS.executable().toString(),
                    "--config-file=" + config, "--nofork", "--address=systemd:"));
            try (Clients.Background activator = Clients.Background.start(env, command)) {
                activator.awaitStderr("Listening on " + socket);
                Map<String, String> client = Map.of("DBUS_SESSION_BUS_ADDRESS", "unix:path=" + socket);
                try (Clients.Background sub = Clients.Background.start(client, List.of(Clients.PYTHON, peer(),
                        "subscriber"))) {
                    sub.awaitStdout("READY");
                    manager.awaitStdout("READY=1");
                    long oldPid = activator.process().pid();

                    long newPid = upgrade(oldPid);

                    // The old process names its successor; the successor confirms and says it is ready.
                    Await.until(() -> manager.stdout().lines().filter(l -> l.contains("MAINPID=" + newPid)).count()
                            >= 2, manager::stdout);
                    assertThat(manager.stdout().lines().filter(l -> l.contains("MAINPID=" + newPid)))
                            .anyMatch(l -> l.contains("READY=1"));
                    Await.until(() -> !activator.process().isAlive(), () -> "the old process did not end");
                    // A client of before, and a new one through the socket the manager passed.
                    try (Clients.Background emitter = Clients.Background.start(client, List.of(Clients.PYTHON, peer(),
                            "emitter", "5", "10"))) {
                        assertThat(emitter.awaitExit()).as(emitter.describe()).isZero();
                    }
                    sub.awaitStdout("END");
                    assertThat(ticks(sub.stdout())).isEqualTo(range(5));
                    ClientResult fresh = Clients.run(client, Clients.CLIENT_BOUND, List.of("gdbus", "call",
                            "--session", "--dest", "org.freedesktop.DBus", "--object-path", "/org/freedesktop/DBus",
                            "--method", "org.freedesktop.DBus.GetConnectionUnixProcessID", "org.freedesktop.DBus"));
                    assertThat(fresh.exitCode()).as(fresh.describe()).isZero();
                    assertThat(fresh.stdout()).contains("uint32 " + newPid);
                }
            }
        }
    }

    private static int number(String unique) {
        return Integer.parseInt(unique.substring(unique.indexOf('.') + 1));
    }

    /** One number of {@code Debug.Stats.GetConnectionStats(name)}. */
    private static long connectionStat(TestBus bus, String name, String key) {
        Matcher m = Pattern.compile("'" + key + "': <uint(?:32|64) (\\d+)>")
                .matcher(driver(bus, "Debug.Stats.GetConnectionStats", name));
        assertThat(m.find()).as(key).isTrue();
        return Long.parseLong(m.group(1));
    }

    private static final String SLOW = "org.capbus.UpgradeAct.Slow";
    private static final String ENV = "org.capbus.UpgradeAct.Env";
    private static final Pattern STAT_ENTRY =
            Pattern.compile("'org\\.capbus\\.Debug\\.Stats\\.(\\w+)': <uint(?:32|64) (\\d+)>");

    private static String driver(TestBus bus, String method, String... args) {
        List<String> command = new ArrayList<>(List.of("gdbus", "call", "--session", "--dest", "org.freedesktop.DBus",
                "--object-path", "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus." + method));
        command.addAll(List.of(args));
        return Clients.runOk(bus, command.toArray(String[]::new)).stdout().strip();
    }

    /** One of capbus's Debug.Stats numbers ({@code org.capbus.Debug.Stats.KEY}); 0 if absent. */
    private static long stat(TestBus bus, String key) {
        Matcher m = STAT_ENTRY.matcher(driver(bus, "Debug.Stats.GetStats"));
        while (m.find()) {
            if (m.group(1).equals(key)) {
                return Long.parseLong(m.group(2));
            }
        }
        return 0;
    }

    static Map<String, String> busEnvironment(Path launcher) {
        return Upgrades.environment(launcher);
    }

    private static void assertServes(TestBus bus, Clients.Background service) {
        assertThat(Clients.runOk(bus, "gdbus", "call", "--session", "-d", NAME, "-o", "/t", "-m", NAME + ".Echo",
                "still-here").stdout()).contains("still-here");
        assertThat(service.process().isAlive()).as(service.stderr()).isTrue();
    }

    private long upgrade(long pid) {
        return upgrades.upgrade(pid);
    }

    private static ClientResult upgradeCommand(long pid) {
        return Upgrades.command(pid);
    }

    private static void useLauncher(Path launcher, String body) throws IOException {
        Upgrades.useLauncher(launcher, body);
    }

    private static String peer() {
        return Clients.resource("upgrade_peer.py");
    }

    static String word(String output, String key) {
        for (String line : output.split("\n")) {
            if (line.startsWith(key + " ")) {
                return line.substring(key.length() + 1).strip();
            }
        }
        throw new AssertionError("no '" + key + "' line in: " + output);
    }

    private static List<Integer> ticks(String output) {
        List<Integer> out = new ArrayList<>();
        for (String line : output.split("\n")) {
            if (line.startsWith("GOT ")) {
                out.add(Integer.parseInt(line.substring(4).strip()));
            }
        }
        return out;
    }

    /** The int32 argument of every Tick dbus-monitor printed, in order. */
    private static List<Integer> monitorTicks(String output) {
        List<Integer> out = new ArrayList<>();
        String[] lines = output.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains("member=Tick") && i + 1 < lines.length) {
                out.add(Integer.parseInt(lines[i + 1].strip().replace("int32 ", "")));
            }
        }
        return out;
    }

    private static List<Integer> range(int n) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(i);
        }
        return out;
    }

    /**
     * A unix socket file at the hand-over path of {@code pid} with no process behind it: a channel bound there and
     * closed (closing does not remove the file). The directory is the bus's (UpgradeOutcome#privateDirectory).
     */
    private static void plantStaleHandoverSocket(long pid) throws IOException {
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        Path dir = runtime != null && !runtime.isEmpty() && Files.isDirectory(Path.of(runtime))
                ? Path.of(runtime) : Path.of("/tmp", "capbus-" + RawConnection.uid());
        Path stale = dir.resolve("handover-" + pid + ".sock");
        try (java.nio.channels.ServerSocketChannel channel =
                     java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            channel.bind(java.net.UnixDomainSocketAddress.of(stale));
        }
        assertThat(stale).exists();
    }
}
