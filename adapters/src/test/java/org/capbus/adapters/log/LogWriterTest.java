package org.capbus.adapters.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.event.Level;

/** The writer's outputs read back: a test syslog socket, a test journal socket, standard error; and the limits. */
class LogWriterTest {
    @TempDir
    Path dir;

    private static LogLine line(String text) {
        return new LogLine(System.currentTimeMillis(), Level.WARN, true, "capbus.bus", text);
    }

    @Test
    void shouldSendToSyslogWhenThereIsNoJournal() throws Exception {
        Path syslog = dir.resolve("log");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        LogWriter writer = new LogWriter(new PrintStream(err, true, StandardCharsets.UTF_8), 10, 10);
        try (UnixDatagram receiver = UnixDatagram.bind(syslog)) {
            writer.configure(LogWriter.systemLog(false, dir.resolve("no-journal"), syslog));
            writer.submit(line("[system] Rejected send message, 1 matched rules"));
            String datagram = new String(receiver.receive(65536), StandardCharsets.UTF_8);
            assertThat(datagram).matches("<37>[A-Z][a-z]{2} [ 0-9]\\d \\d\\d:\\d\\d:\\d\\d capbus\\[\\d+\\]: "
                    + "\\[system\\] Rejected send message, 1 matched rules");
        }
        assertThat(err.toString(StandardCharsets.UTF_8)).as("--syslog-only: nothing on stderr").isEmpty();
    }

    @Test
    void shouldSendToTheJournalWhenItsSocketExists() throws Exception {
        Path journal = dir.resolve("journal");
        LogWriter writer = new LogWriter(new PrintStream(new ByteArrayOutputStream()), 10, 10);
        try (UnixDatagram receiver = UnixDatagram.bind(journal)) {
            writer.configure(LogWriter.systemLog(false, journal, dir.resolve("log")));
            writer.submit(line("denied"));
            String datagram = new String(receiver.receive(65536), StandardCharsets.UTF_8);
            assertThat(datagram.split("\n")).contains("MESSAGE=denied", "PRIORITY=5", "SYSLOG_FACILITY=4",
                    "SYSLOG_IDENTIFIER=capbus", "SYSLOG_PID=" + ProcessHandle.current().pid());
        }
    }

    @Test
    void shouldFallBackToStderrWhenNoSystemLogListens() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        LogWriter writer = new LogWriter(new PrintStream(err, true, StandardCharsets.UTF_8), 10, 10);
        writer.configure(LogWriter.systemLog(false, dir.resolve("no-journal"), dir.resolve("no-syslog")));
        writer.submit(line("nobody listens"));
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!err.toString(StandardCharsets.UTF_8).contains("nobody listens") && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("capbus[").contains("nobody listens");
    }

    @Test
    void shouldDropAFloodAndSayHowManyLinesItDropped() throws Exception {
        Path syslog = dir.resolve("log");
        LogWriter writer = new LogWriter(new PrintStream(new ByteArrayOutputStream()), 20, 1);
        try (UnixDatagram receiver = UnixDatagram.bind(syslog)) {
            writer.configure(LogWriter.systemLog(false, dir.resolve("no-journal"), syslog));
            for (int i = 0; i < 10_000; i++) {
                writer.submit(line("flood " + i)); // never waits, whatever the writer's state
            }
            List<String> received = new ArrayList<>();
            String datagram;
            do {
                datagram = new String(receiver.receive(65536), StandardCharsets.UTF_8);
                received.add(datagram);
            } while (!datagram.contains("log lines dropped"));
            java.util.regex.Matcher m = java.util.regex.Pattern.compile(": (\\d+) log lines dropped").matcher(datagram);
            assertThat(m.find()).as(datagram).isTrue();
            int written = received.size() - 1;
            assertThat(written).as("the burst (and at most a few more, had the loop taken seconds)")
                    .isBetween(20, 40);
            assertThat(written + Integer.parseInt(m.group(1))).as("every line written or counted").isEqualTo(10_000);
        }
    }
}
