package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bus's operator log: a policy denial is logged with dbus-daemon's line (checked against dbus-daemon itself on
 * standard error with {@code --nosyslog}); with {@code --syslog-only} it goes to the system log and not to standard
 * error, in syslog's format when only a syslog socket exists and in the journal's native format when the journal's
 * socket exists. Both sockets are test sockets a python3 receiver reads back. A quota refusal is logged with the
 * connection it refused (capbus's line: dbus-daemon does not log this one).
 */
class BusLogIT {
    private static final String CONFIG = """
            <busconfig>
              <type>session</type>
              <listen>unix:tmpdir=/tmp</listen>
              <auth>EXTERNAL</auth>
              <policy context="default">
                <allow send_destination="*"/>
                <allow receive_sender="*"/>
                <allow own="*"/>
                <deny send_interface="org.capbus.Denied"/>
              </policy>
            </busconfig>
            """;
    /** dbus-daemon's denial line (bus/bus.c complain_about_message) for the call {@link #deniedCall} makes. */
    private static final Pattern DENIAL = Pattern.compile("\\[session uid=\\d+ pid=\\d+\\] Rejected send message, 2"
            + " matched rules; type=\"method_call\", sender=\":1\\.\\d+\" \\(uid=\\d+ pid=\\d+ comm=\"dbus-send"
            + " --session --print-reply --dest=org.freed\"\\) interface=\"org.capbus.Denied\" member=\"Method\""
            + " error name=\"\\(unset\\)\" requested_reply=\"0\" destination=\"org.freedesktop.DBus\" \\(bus\\)");

    /** Reads datagrams on the socket argv[1] and prints each on one line, its newlines as \n. */
    private static final String RECEIVER = """
            import socket, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.bind(sys.argv[1])
            print("ready", flush=True)
            while True:
                data = s.recv(65536)
                print(data.decode("utf-8", "replace").replace("\\n", "\\\\n"), flush=True)
            """;

    @TempDir
    Path scratch;

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldLogADenialWithDbusDaemonsLine(BusKind kind) {
        try (TestBus bus = TestBus.startWithConfiguration(kind, CONFIG, List.of("--nosyslog"))) {
            ClientResult denied = deniedCall(bus.address());
            assertThat(denied.exitCode()).as(denied.describe()).isNotZero();
            assertThat(denied.stderr()).contains("org.freedesktop.DBus.Error.AccessDenied");
            Await.until(() -> DENIAL.matcher(bus.stderr()).find(),
                    () -> "[" + kind + "] no denial line on stderr:\n" + bus.stderr());
            assertThat(denied.stderr()).as("the error text is the log line").containsPattern(
                    DENIAL.pattern().substring(DENIAL.pattern().indexOf("Rejected")));
        }
    }

    @Test
    void shouldLogToSyslogWithSyslogOnly() throws IOException {
        Path syslog = scratch.resolve("log");
        Map<String, String> env = new HashMap<>();
        env.put("CAPBUS_SYSLOG_SOCKET", syslog.toString());
        env.put("CAPBUS_JOURNAL_SOCKET", scratch.resolve("no-journal").toString());
        String line = denialThroughSystemLog(syslog, env);
        assertThat(line).matches("<37>[A-Z][a-z]{2} [ 0-9]\\d \\d\\d:\\d\\d:\\d\\d capbus\\[\\d+\\]: "
                + DENIAL.pattern());
    }

    @Test
    void shouldLogToTheJournalWhenItsSocketExists() throws IOException {
        Path journal = scratch.resolve("journal");
        Map<String, String> env = new HashMap<>();
        env.put("CAPBUS_JOURNAL_SOCKET", journal.toString());
        env.put("CAPBUS_SYSLOG_SOCKET", scratch.resolve("no-syslog").toString());
        String datagram = denialThroughSystemLog(journal, env);
        List<String> fields = List.of(datagram.split("\\\\n"));
        assertThat(fields).contains("PRIORITY=5", "SYSLOG_FACILITY=4", "SYSLOG_IDENTIFIER=capbus",
                "CAPBUS_LOGGER=capbus.bus");
        assertThat(fields).anySatisfy(f -> assertThat(f).matches("MESSAGE=" + DENIAL.pattern()));
    }

    @Test
    void shouldLogAnActivationToSyslog() throws IOException {
        Path services = Files.createDirectories(scratch.resolve("services"));
        Files.writeString(services.resolve("org.capbus.LogTest.service"),
                "[D-BUS Service]\nName=org.capbus.LogTest\nExec=/bin/false\n");
        Path syslog = scratch.resolve("log");
        Path config = scratch.resolve("bus.conf");
        Files.writeString(config, CONFIG.replace("</busconfig>",
                "  <servicedir>" + services + "</servicedir>\n</busconfig>"));
        Map<String, String> env = new HashMap<>(BusKind.CAPBUS.environment());
        env.put("CAPBUS_SYSLOG_SOCKET", syslog.toString());
        env.put("CAPBUS_JOURNAL_SOCKET", scratch.resolve("no-journal").toString());
        try (Clients.Background receiver = Clients.Background.start(Map.of(), List.of(Clients.PYTHON, "-c", RECEIVER,
                syslog.toString()));
             Clients.Background bus = Clients.Background.start(env, List.of(BusKind.CAPBUS.executable().toString(),
                     "--config-file=" + config, "--nofork", "--print-address=1", "--syslog-only",
                     "--address=unix:path=" + scratch.resolve("bus")))) {
            receiver.awaitStdout("ready\n");
            bus.awaitStdout("\n");
            ClientResult call = Clients.run(Map.of("DBUS_SESSION_BUS_ADDRESS", bus.stdout().strip()),
                    Clients.CLIENT_BOUND, List.of("dbus-send", "--session", "--print-reply",
                            "--dest=org.capbus.LogTest", "/", "org.capbus.LogTest.Method"));
            assertThat(call.exitCode()).as(call.describe()).isNotZero();
            assertThat(call.stderr()).contains("org.freedesktop.DBus.Error.Spawn.ChildExited");
            // dbus-daemon's activation lines (bus/activation.c), in syslog's format, read back from the socket.
            receiver.awaitStdout("Activated service 'org.capbus.LogTest' failed");
            assertThat(receiver.stdout().lines()).anySatisfy(l -> assertThat(l).matches(
                    "<\\d+>[A-Z][a-z]{2} [ 0-9]\\d \\d\\d:\\d\\d:\\d\\d capbus\\[\\d+\\]: .*"
                    + "Activating service name='org\\.capbus\\.LogTest' requested by ':1\\.\\d+'.*"));
            bus.process().destroy();
        }
    }

    @Test
    void shouldLogAQuotaRefusalWithTheConnectionItRefused() {
        String config = CONFIG.replace("</busconfig>",
                "  <limit name=\"max_match_rules_per_connection\">1</limit>\n</busconfig>");
        String script = """
                import dbus
                bus = dbus.SessionBus()
                bus.add_match_string("type='signal',member='First'")
                try:
                    bus.add_match_string("type='signal',member='Second'")
                except dbus.exceptions.DBusException as e:
                    print(e.get_dbus_name())
                """;
        try (TestBus bus = TestBus.startWithConfiguration(BusKind.CAPBUS, config, List.of("--nosyslog"))) {
            ClientResult run = Clients.run(bus.clientEnvironment(), Clients.CLIENT_BOUND,
                    List.of(Clients.PYTHON, "-c", script));
            assertThat(run.stdout()).as(run.describe()).contains("org.freedesktop.DBus.Error.LimitsExceeded");
            Pattern line = Pattern.compile("\\[session uid=\\d+ pid=\\d+\\] Connection \":1\\.\\d+\" is not"
                    + " allowed to add more match rules .*max_match_rules_per_connection=1\\) \\(refused to"
                    + " \":1\\.\\d+\" \\(uid=\\d+ pid=\\d+ comm=\"/usr/bin/python3 -c ");
            Await.until(() -> line.matcher(bus.stderr()).find(), () -> "no quota line on stderr:\n" + bus.stderr());
        }
    }

    /** Starts capbus with --syslog-only and a receiver on {@code socket}; returns the datagram with the denial. */
    private String denialThroughSystemLog(Path socket, Map<String, String> env) throws IOException {
        Path config = scratch.resolve("bus.conf");
        Files.writeString(config, CONFIG);
        env.putAll(BusKind.CAPBUS.environment());
        try (Clients.Background receiver = Clients.Background.start(Map.of(), List.of(Clients.PYTHON, "-c", RECEIVER,
                socket.toString()));
             Clients.Background bus = Clients.Background.start(env, List.of(BusKind.CAPBUS.executable().toString(),
                     "--config-file=" + config, "--nofork", "--print-address=1", "--syslog-only",
                     "--address=unix:path=" + scratch.resolve("bus")))) {
            receiver.awaitStdout("ready\n");
            bus.awaitStdout("\n");
            ClientResult denied = deniedCall(bus.stdout().strip());
            assertThat(denied.exitCode()).as(denied.describe()).isNotZero();
            receiver.awaitStdout("Rejected send message");
            String line = receiver.stdout().lines().filter(l -> l.contains("Rejected send message")).findFirst()
                    .orElseThrow();
            bus.process().destroy();
            assertThat(bus.stderr()).as("--syslog-only: not on stderr").doesNotContain("Rejected");
            return line;
        }
    }

    private static ClientResult deniedCall(String address) {
        return Clients.run(Map.of("DBUS_SESSION_BUS_ADDRESS", address), Clients.CLIENT_BOUND, List.of("dbus-send",
                "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                "org.capbus.Denied.Method"));
    }
}
