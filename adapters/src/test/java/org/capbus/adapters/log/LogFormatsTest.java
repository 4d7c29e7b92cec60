package org.capbus.adapters.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

class LogFormatsTest {
    // 2026-11-09 08:05:03 UTC
    private static final long TIME = 1_794_211_503_000L;

    private static LogLine denial() {
        return new LogLine(TIME, Level.WARN, true, "capbus.bus", "[system] Rejected send message, 1 matched rules");
    }

    @Test
    void shouldWriteTheBusLogToStderrAsDbusDaemonDoes() {
        assertThat(LogFormats.stderrLine(denial(), 42)).isEqualTo("capbus[42]: [system] Rejected send message, 1 matched rules");
        assertThat(LogFormats.stderrLine(new LogLine(TIME, Level.INFO, false, "org.capbus.deploy.Daemon", "hi"), 42))
                .isEqualTo("capbus[42]: INFO Daemon: hi");
    }

    @Test
    void shouldEncodeSyslogAsGlibcSendsIt() {
        String datagram = new String(LogFormats.syslog(denial(), 42, ZoneOffset.UTC), StandardCharsets.UTF_8);
        // auth (4) * 8 + notice (5) = 37; the day of the month padded with a space
        assertThat(datagram).isEqualTo("<37>Nov  9 08:05:03 capbus[42]: [system] Rejected send message, 1 matched rules");
        String info = new String(LogFormats.syslog(new LogLine(TIME, Level.INFO, false, "capbus.bus", "x"), 7,
                ZoneOffset.UTC), StandardCharsets.UTF_8);
        assertThat(info).startsWith("<30>"); // daemon (3) * 8 + info (6)
    }

    @Test
    void shouldEncodeTheJournalNativeFormatWithBinaryValuesForNewlines() {
        byte[] datagram = LogFormats.journal(new LogLine(TIME, Level.ERROR, false, "a.B", "one\ntwo"), 42);
        byte[] expectedStart = "MESSAGE\n".getBytes(StandardCharsets.US_ASCII);
        assertThat(Arrays.copyOf(datagram, expectedStart.length)).isEqualTo(expectedStart);
        assertThat(datagram[8]).isEqualTo((byte) 7); // 64-bit little-endian length of "one\ntwo"
        for (int i = 9; i < 16; i++) {
            assertThat(datagram[i]).isZero();
        }
        String rest = new String(datagram, 16, datagram.length - 16, StandardCharsets.UTF_8);
        assertThat(rest).isEqualTo("one\ntwo\nPRIORITY=3\nSYSLOG_FACILITY=3\nSYSLOG_IDENTIFIER=capbus\nSYSLOG_PID=42\n"
                + "CAPBUS_LOGGER=a.B\n");
    }
}
