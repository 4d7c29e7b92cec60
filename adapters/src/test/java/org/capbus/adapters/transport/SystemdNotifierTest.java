package org.capbus.adapters.transport;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class SystemdNotifierTest {
    /** Binds a datagram socket at argv[1] (abstract if it starts with @), says so, prints the first datagram. */
    private static final String RECEIVER = """
            import socket, sys
            name = sys.argv[1]
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.bind('\\0' + name[1:] if name.startswith('@') else name)
            s.settimeout(30)
            print('ready', flush=True)
            print(s.recv(4096).decode(), flush=True)
            """;

    @TempDir
    Path dir;

    @Test
    void shouldSendTheStateToAPathSocket() throws Exception {
        assertReceived(dir.resolve("notify").toString());
    }

    @Test
    void shouldSendTheStateToAnAbstractSocket() throws Exception {
        assertReceived("@capbus-notify-test-" + ProcessHandle.current().pid());
    }

    @Test
    void shouldDoNothingWhenNotRequested() {
        assertThat(SystemdNotifier.notify(null, "READY=1")).isEqualTo(SystemdNotifier.Result.NOT_REQUESTED);
        assertThat(SystemdNotifier.notify("", "READY=1")).isEqualTo(SystemdNotifier.Result.NOT_REQUESTED);
    }

    @Test
    void shouldReportASocketThatCannotBeReached() {
        assertThat(SystemdNotifier.notify(dir.resolve("nobody").toString(), "READY=1"))
                .isEqualTo(SystemdNotifier.Result.FAILED);
        assertThat(SystemdNotifier.notify("relative/path", "READY=1")).isEqualTo(SystemdNotifier.Result.FAILED);
        assertThat(SystemdNotifier.notify("/" + "x".repeat(200), "READY=1")).isEqualTo(SystemdNotifier.Result.FAILED);
    }

    private static void assertReceived(String notifySocket) throws Exception {
        Process receiver = new ProcessBuilder("/usr/bin/python3", "-c", RECEIVER, notifySocket)
                .redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(receiver.getInputStream(), StandardCharsets.UTF_8))) {
            assertThat(out.readLine()).isEqualTo("ready");
            assertThat(SystemdNotifier.notify(notifySocket, "READY=1\nSTATUS=listening"))
                    .isEqualTo(SystemdNotifier.Result.SENT);
            assertThat(out.readLine()).isEqualTo("READY=1");
            assertThat(out.readLine()).isEqualTo("STATUS=listening");
            assertThat(receiver.waitFor(TransportTestSupport.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
            assertThat(receiver.exitValue()).isZero();
        } finally {
            receiver.destroyForcibly();
        }
    }
}
