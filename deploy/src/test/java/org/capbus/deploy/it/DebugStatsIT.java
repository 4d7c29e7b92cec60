package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code org.freedesktop.DBus.Debug.Stats} read with real clients ({@code gdbus call}, {@code busctl call}) after
 * traffic of known shape from hand-driven connections. Debian builds dbus-daemon with {@code --enable-stats}, so the
 * same assertions hold for both buses, with one marked exception: the {@code org.capbus.Debug.Stats.Total*} keys are
 * capbus's own. As in dbus-daemon, a connection's {@code Incoming*}/{@code Outgoing*} values are what the bus holds for
 * it now (zero once it is idle), so the tests that need them build a real backlog. Tests that assert exact bus-wide
 * counts start a bus of their own; the others share one.
 */
class DebugStatsIT {
    private static final TestBus.Shared BUSES = new TestBus.Shared();
    private static final String STATS = "org.freedesktop.DBus.Debug.Stats";
    private static final Pattern GDBUS_ENTRY =
            Pattern.compile("'([\\w.]+)': <(?:uint32 |uint64 )?'?([^'>]*)'?>");
    private static final Pattern BUSCTL_NUMBER = Pattern.compile("\"([\\w.]+)\" [ut] (\\d+)");
    private static final Pattern BUSCTL_STRING = Pattern.compile("\"([\\w.]+)\" s \"([^\"]*)\"");

    @AfterAll
    static void stopBuses() {
        BUSES.close();
    }

    // ---- clients ----

    private static ClientResult gdbusCall(TestBus bus, String objectPath, String method, String... args) {
        List<String> command = new ArrayList<>(List.of("gdbus", "call", "--session", "--dest", "org.freedesktop.DBus",
                "--object-path", objectPath, "--method", method));
        command.addAll(List.of(args));
        return Clients.run(bus, command.toArray(String[]::new));
    }

    /** A Debug.Stats dictionary as {@code gdbus call} prints it: {@code ({'Serial': <uint32 0>, ...},)}. */
    private static Map<String, String> gdbusStats(TestBus bus, String method, String... args) {
        ClientResult result = gdbusCall(bus, "/org/freedesktop/DBus", STATS + "." + method, args);
        assertThat(result.exitCode()).as("[%s] %s", bus.kind(), result.describe()).isZero();
        Map<String, String> values = new HashMap<>();
        Matcher m = GDBUS_ENTRY.matcher(result.stdout());
        while (m.find()) {
            values.put(m.group(1), m.group(2));
        }
        return values;
    }

    /** A Debug.Stats dictionary as {@code busctl call} prints it: {@code a{sv} 16 "Serial" u 0 ...}. */
    private static Map<String, String> busctlStats(TestBus bus, String method, String... signatureAndArgs) {
        List<String> command = new ArrayList<>(List.of("busctl", "--address=" + bus.address(), "call",
                "org.freedesktop.DBus", "/org/freedesktop/DBus", STATS, method));
        command.addAll(List.of(signatureAndArgs));
        String out = Clients.runOk(bus, command.toArray(String[]::new)).stdout();
        assertThat(out).startsWith("a{sv} ");
        Map<String, String> values = new HashMap<>();
        for (Pattern p : List.of(BUSCTL_NUMBER, BUSCTL_STRING)) {
            Matcher m = p.matcher(out);
            while (m.find()) {
                values.put(m.group(1), m.group(2));
            }
        }
        return values;
    }

    private static long number(Map<String, String> stats, String key) {
        assertThat(stats).as("stats %s", stats).containsKey(key);
        return Long.parseLong(stats.get(key));
    }

    // ---- raw driver calls ----

    private static void requestName(RawConnection c, String name, int expectedReply) {
        int serial = c.nextSerial();
        c.send(WireMessage.driverCall(serial, "RequestName").bodyString(name).bodyUint32(0).build());
        WireMessage reply = c.readUntil(m -> m.replySerial() == serial, Await.BOUND);
        assertThat(reply.type()).as("RequestName: %s", reply).isEqualTo(WireMessage.METHOD_RETURN);
        assertThat(reply.firstUint32()).isEqualTo(expectedReply);
    }

    private static void driverOk(RawConnection c, String member, String... args) {
        WireMessage reply = c.callDriver(member, args);
        assertThat(reply.type()).as("%s: %s", member, reply).isEqualTo(WireMessage.METHOD_RETURN);
    }

    private static byte[] signal(RawConnection from, String iface, String payload) {
        return WireMessage.builder(WireMessage.SIGNAL, from.nextSerial()).path("/org/capbus/Stats").iface(iface)
                .member("Tick").bodyString(payload).build();
    }

    // ---- tests ----

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldCountConnectionsNamesAndMatchRulesInGetStats(BusKind kind) {
        try (TestBus bus = TestBus.start(kind);
                RawConnection a = RawConnection.open(bus);
                RawConnection b = RawConnection.open(bus);
                RawConnection authenticatedOnly = RawConnection.connect(bus)) {
            requestName(a, "org.capbus.StatsOwned", 1);
            // b waits in the queue: a queued owner counts as a bus name too.
            requestName(b, "org.capbus.StatsOwned", 2);
            driverOk(a, "AddMatch", "type='signal',interface='org.capbus.StatsA'");
            driverOk(a, "AddMatch", "type='signal',interface='org.capbus.StatsB'");
            driverOk(b, "AddMatch", "type='signal',interface='org.capbus.StatsA'");

            Map<String, String> stats = gdbusStats(bus, "GetStats");
            // gdbus's own connection is the third active one; the connection that never said Hello is incomplete.
            assertThat(number(stats, "ActiveConnections")).isEqualTo(3);
            assertThat(number(stats, "IncompleteConnections")).isEqualTo(1);
            assertThat(number(stats, "BusNames")).isEqualTo(3 + 2);
            assertThat(number(stats, "PeakBusNames")).isEqualTo(5);
            assertThat(number(stats, "PeakBusNamesPerConnection")).isEqualTo(2);
            assertThat(number(stats, "MatchRules")).isEqualTo(3);
            assertThat(number(stats, "PeakMatchRules")).isEqualTo(3);
            assertThat(number(stats, "PeakMatchRulesPerConnection")).isEqualTo(2);
            assertThat(stats).containsKeys("Serial", "ListMemPoolUsedBytes", "ListMemPoolCachedBytes",
                    "ListMemPoolAllocatedBytes");
            long serial = number(stats, "Serial");

            a.close();
            Await.until(() -> number(gdbusStats(bus, "GetStats"), "ActiveConnections") == 2,
                    () -> "[" + kind + "] the closed connection is still counted: " + gdbusStats(bus, "GetStats"));
            Map<String, String> after = gdbusStats(bus, "GetStats");
            assertThat(number(after, "Serial")).isGreaterThan(serial);
            // b took the name over: its unique name, the name, and gdbus's unique name.
            assertThat(number(after, "BusNames")).isEqualTo(3);
            assertThat(number(after, "MatchRules")).isEqualTo(1);
            // Peaks only grow.
            assertThat(number(after, "PeakBusNames")).isEqualTo(5);
            assertThat(number(after, "PeakMatchRules")).isEqualTo(3);
            assertThat(number(after, "PeakMatchRulesPerConnection")).isEqualTo(2);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldReportOneConnectionInGetConnectionStats(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        try (RawConnection subject = RawConnection.open(bus)) {
            requestName(subject, "org.capbus.StatsSubject", 1);
            driverOk(subject, "AddMatch", "type='signal',interface='org.capbus.StatsSubject'");
            byte[] big = signal(subject, "org.capbus.StatsBig", "x".repeat(10_000));
            subject.send(big);
            int calls = 5;
            for (int i = 0; i < calls; i++) {
                driverOk(subject, "GetId");
            }

            Map<String, String> byName = busctlStats(bus, "GetConnectionStats", "s", "org.capbus.StatsSubject");
            assertThat(byName.get("UniqueName")).isEqualTo(subject.uniqueName());
            assertThat(number(byName, "BusNames")).isEqualTo(2);
            assertThat(number(byName, "PeakBusNames")).isEqualTo(2);
            assertThat(number(byName, "MatchRules")).isEqualTo(1);
            assertThat(number(byName, "PeakMatchRules")).isEqualTo(1);
            // Everything it sent has been routed: the bus holds nothing of it...
            assertThat(number(byName, "IncomingMessages")).isZero();
            assertThat(number(byName, "IncomingBytes")).isZero();
            assertThat(number(byName, "IncomingFDs")).isZero();
            assertThat(number(byName, "PeakIncomingFDs")).isZero();
            // ...but once held its largest message whole.
            assertThat(number(byName, "PeakIncomingBytes")).isGreaterThanOrEqualTo(big.length);
            // Its replies fitted in the socket: nothing waits, but every reply was queued on its way.
            assertThat(number(byName, "OutgoingMessages")).isZero();
            assertThat(number(byName, "OutgoingBytes")).isZero();
            assertThat(number(byName, "PeakOutgoingBytes")).isPositive();
            assertThat(number(byName, "Serial")).isNotNegative();
            if (kind == BusKind.CAPBUS) {
                // capbus's own keys: totals since the connection was made (Hello, RequestName, AddMatch, the signal).
                assertThat(number(byName, "org.capbus.Debug.Stats.TotalIncomingMessages"))
                        .isGreaterThanOrEqualTo(4 + calls);
                assertThat(number(byName, "org.capbus.Debug.Stats.TotalIncomingBytes"))
                        .isGreaterThanOrEqualTo(big.length);
                assertThat(number(byName, "org.capbus.Debug.Stats.TotalOutgoingMessages"))
                        .isGreaterThanOrEqualTo(3 + calls);
            }

            Map<String, String> byUniqueName = gdbusStats(bus, "GetConnectionStats", subject.uniqueName());
            assertThat(byUniqueName.get("UniqueName")).isEqualTo(subject.uniqueName());
            assertThat(number(byUniqueName, "Serial")).isGreaterThan(number(byName, "Serial"));
            assertThat(number(byUniqueName, "PeakIncomingBytes")).isEqualTo(number(byName, "PeakIncomingBytes"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldShowTheBacklogOfAConnectionThatDoesNotRead(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        try (RawConnection slow = RawConnection.open(bus); RawConnection sender = RawConnection.open(bus)) {
            driverOk(slow, "AddMatch", "type='signal',interface='org.capbus.StatsFlood'");
            // Far more than the socket buffers hold, so most of it waits in the bus.
            int signals = 40;
            String payload = "f".repeat(64 * 1024);
            for (int i = 0; i < signals; i++) {
                sender.send(signal(sender, "org.capbus.StatsFlood", payload));
            }
            Await.until(() -> number(gdbusStats(bus, "GetConnectionStats", slow.uniqueName()), "OutgoingBytes")
                    > 1_000_000, () -> "[" + kind + "] no backlog shown: "
                    + gdbusStats(bus, "GetConnectionStats", slow.uniqueName()));
            Map<String, String> backlog = gdbusStats(bus, "GetConnectionStats", slow.uniqueName());
            assertThat(number(backlog, "OutgoingMessages")).isPositive();
            assertThat(number(backlog, "PeakOutgoingBytes")).isGreaterThanOrEqualTo(number(backlog, "OutgoingBytes"));

            for (int i = 0; i < signals; i++) {
                slow.readUntil(m -> "Tick".equals(m.member()), Await.BOUND);
            }
            Await.until(() -> number(gdbusStats(bus, "GetConnectionStats", slow.uniqueName()), "OutgoingBytes") == 0,
                    () -> "[" + kind + "] the backlog did not drain: "
                            + gdbusStats(bus, "GetConnectionStats", slow.uniqueName()));
            Map<String, String> drained = gdbusStats(bus, "GetConnectionStats", slow.uniqueName());
            assertThat(number(drained, "OutgoingMessages")).isZero();
            assertThat(number(drained, "PeakOutgoingBytes")).isGreaterThan(1_000_000);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldListTheMatchRulesOfEveryConnection(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        String tick = "type='signal',interface='org.capbus.StatsRules',member='Tick'";
        String ownerAsSent = "sender='org.freedesktop.DBus',type='signal',path='/org/freedesktop/DBus',"
                + "arg0='org.capbus.StatsWatched',interface='org.freedesktop.DBus',member='NameOwnerChanged'";
        // dbus-daemon's canonical text: type, interface, member, path, sender, then the args.
        String owner = "type='signal',interface='org.freedesktop.DBus',member='NameOwnerChanged',"
                + "path='/org/freedesktop/DBus',sender='org.freedesktop.DBus',arg0='org.capbus.StatsWatched'";
        try (RawConnection watcher = RawConnection.open(bus); RawConnection quiet = RawConnection.open(bus)) {
            driverOk(watcher, "AddMatch", tick);
            driverOk(watcher, "AddMatch", ownerAsSent);

            String out = Clients.runOk(bus, "gdbus", "call", "--session", "--dest", "org.freedesktop.DBus",
                    "--object-path", "/org/freedesktop/DBus", "--method", STATS + ".GetAllMatchRules").stdout();
            // The canonical text, as dbus-daemon prints it; the order of one connection's rules is unspecified.
            assertThat(rulesOf(out, watcher.uniqueName())).containsExactlyInAnyOrder(tick, owner);
            // gdbus marks only the first empty array of the output with its type.
            assertThat(out).containsPattern("'" + Pattern.quote(quiet.uniqueName()) + "': (@as )?\\[\\]");

            String busctl = Clients.runOk(bus, "busctl", "--address=" + bus.address(), "call", "org.freedesktop.DBus",
                    "/org/freedesktop/DBus", STATS, "GetAllMatchRules").stdout();
            assertThat(busctl).startsWith("a{sas} ").contains("\"" + watcher.uniqueName() + "\" 2 ",
                    "\"" + quiet.uniqueName() + "\" 0");

            driverOk(watcher, "RemoveMatch", tick);
            String afterRemove = Clients.runOk(bus, "gdbus", "call", "--session", "--dest", "org.freedesktop.DBus",
                    "--object-path", "/org/freedesktop/DBus", "--method", STATS + ".GetAllMatchRules").stdout();
            assertThat(rulesOf(afterRemove, watcher.uniqueName())).containsExactly(owner);
        }
    }

    /** The rules gdbus shows for {@code uniqueName} in {@code ({':1.3': ["rule", ...], ...},)}. */
    private static List<String> rulesOf(String gdbusOutput, String uniqueName) {
        Matcher entry = Pattern.compile("'" + Pattern.quote(uniqueName) + "': \\[(.*?)\\]").matcher(gdbusOutput);
        assertThat(entry.find()).as("no rules listed for %s in %s", uniqueName, gdbusOutput).isTrue();
        List<String> rules = new ArrayList<>();
        Matcher rule = Pattern.compile("\"([^\"]*)\"").matcher(entry.group(1));
        while (rule.find()) {
            rules.add(rule.group(1));
        }
        return rules;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldAnswerDbusDaemonsErrorsAndAdvertiseTheInterface(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        ClientResult unknown = gdbusCall(bus, "/org/freedesktop/DBus", STATS + ".GetConnectionStats",
                "org.capbus.StatsNobody");
        assertThat(unknown.exitCode()).as(unknown.describe()).isNotZero();
        assertThat(unknown.stderr()).contains("org.freedesktop.DBus.Error.NameHasNoOwner: "
                + "Could not get statistics of name 'org.capbus.StatsNobody': no such name");

        ClientResult itself = gdbusCall(bus, "/org/freedesktop/DBus", STATS + ".GetConnectionStats",
                "org.freedesktop.DBus");
        assertThat(itself.exitCode()).as(itself.describe()).isNotZero();
        assertThat(itself.stderr()).contains("org.freedesktop.DBus.Error.InvalidArgs: GetConnectionStats is not "
                + "meaningful for the message bus \"org.freedesktop.DBus\" itself");

        // Newer driver interfaces exist only on the driver's own path.
        ClientResult elsewhere = gdbusCall(bus, "/", STATS + ".GetStats");
        assertThat(elsewhere.exitCode()).as(elsewhere.describe()).isNotZero();
        assertThat(elsewhere.stderr()).contains("org.freedesktop.DBus.Error.UnknownInterface");

        String interfaces = Clients.runOk(bus, "busctl", "--address=" + bus.address(), "get-property",
                "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "Interfaces").stdout();
        assertThat(interfaces).contains("\"" + STATS + "\"");

        String xml = Clients.runOk(bus, "gdbus", "introspect", "--session", "--dest", "org.freedesktop.DBus",
                "--object-path", "/org/freedesktop/DBus", "--xml").stdout();
        int monitoring = xml.indexOf("<interface name=\"org.freedesktop.DBus.Monitoring\">");
        int stats = xml.indexOf("<interface name=\"" + STATS + "\">");
        int peer = xml.indexOf("<interface name=\"org.freedesktop.DBus.Peer\">");
        assertThat(monitoring).as(xml).isPositive();
        assertThat(stats).as("dbus-daemon's order: Monitoring, Debug.Stats, Peer\n%s", xml)
                .isGreaterThan(monitoring).isLessThan(peer);
        assertThat(xml).contains("<method name=\"GetAllMatchRules\">");
    }
}
