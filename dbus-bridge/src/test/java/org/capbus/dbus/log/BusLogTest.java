package org.capbus.dbus.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.capbus.dbus.io.PeerCredentials;
import org.junit.jupiter.api.Test;

class BusLogTest {
    @Test
    void shouldDescribeAConnectionAsDbusDaemonDoes() throws Exception {
        long pid = ProcessHandle.current().pid();
        String cmdline = new String(Files.readAllBytes(Path.of("/proc/self/cmdline")), StandardCharsets.UTF_8);
        String expected = cmdline.replaceAll("\u0000+$", "").replace('\u0000', ' ');
        expected = expected.substring(0, Math.min(BusLog.COMM_MAX, expected.length()));

        String loginfo = BusLog.loginfo(new PeerCredentials(1000, 1000, pid, new long[0], null));

        assertThat(loginfo).isEqualTo("uid=1000 pid=" + pid + " comm=\"" + expected.replaceAll("[^\\x20-\\x7e]", "?")
                + "\"");
    }

    @Test
    void shouldLeaveOutWhatItCannotKnow() {
        assertThat(BusLog.loginfo(new PeerCredentials(7, 7, 0, new long[0], null))).isEqualTo("uid=7");
    }
}
