package org.capbus.dbus.activation;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.capbus.dbus.DBusErrors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessServiceLauncherTest {
    private final ProcessServiceLauncher launcher = new ProcessServiceLauncher();

    @TempDir
    Path dir;

    private ActivationError outcome(List<String> argv, Map<String, String> env, boolean helper) throws Exception {
        CompletableFuture<ActivationError> f = new CompletableFuture<>();
        launcher.launch(new LaunchRequest("org.example.Svc", argv, env, helper), f::complete);
        return f.get(20, TimeUnit.SECONDS);
    }

    @Test
    void shouldReportExecFailuresWithTheSystemsReason() throws Exception {
        ActivationError e = outcome(List.of("/nonexistent/program"), Map.of(), false);
        assertThat(e).isEqualTo(new ActivationError(DBusErrors.SPAWN_EXEC_FAILED,
                "Failed to execute program org.example.Svc: No such file or directory"));
    }

    @Test
    void shouldReportExitStatusAndSignal() throws Exception {
        assertThat(outcome(List.of("/bin/sh", "-c", "exit 3"), Map.of(), false)).isEqualTo(
                new ActivationError(DBusErrors.SPAWN_CHILD_EXITED, "Process org.example.Svc exited with status 3"));
        assertThat(outcome(List.of("/bin/sh", "-c", "kill -9 $$"), Map.of(), false)).isEqualTo(
                new ActivationError(DBusErrors.SPAWN_CHILD_SIGNALED, "Process org.example.Svc received signal 9"));
        assertThat(outcome(List.of("/bin/sh", "-c", "exit 6"), Map.of(), true).name())
                .isEqualTo(DBusErrors.SPAWN_SERVICE_NOT_FOUND);
    }

    @Test
    void shouldGiveTheChildOnlyItsEnvironmentAndDevNullAsStdin() throws Exception {
        Path out = dir.resolve("out");
        // A successful exit is not a failure: wait for the file the child writes instead.
        CompletableFuture<ActivationError> f = new CompletableFuture<>();
        launcher.launch(new LaunchRequest("org.example.Svc", List.of("/bin/sh", "-c",
                "{ echo \"$ONLY\"; env | wc -l; cat; echo end; } > " + out + ".tmp; mv " + out + ".tmp " + out),
                Map.of("ONLY", "this"), false), f::complete);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Files.exists(out) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(Files.readAllLines(out)).hasSize(3).first().isEqualTo("this");
        // sh adds PWD (and maybe OLDPWD/SHLVL); nothing of this JVM's environment is passed.
        assertThat(Integer.parseInt(Files.readAllLines(out).get(1).strip())).isLessThan(6);
        assertThat(Files.readAllLines(out).get(2)).isEqualTo("end");
        assertThat(f).isNotDone();
    }

    @Test
    void shouldParseBothJdkWordingsOfExecFailures() {
        assertThat(ProcessServiceLauncher.reason(new IOException(
                "Cannot run program \"x\": Exec failed, error: 13 (Permission denied) "))).isEqualTo("Permission denied");
        assertThat(ProcessServiceLauncher.reason(new IOException(
                "Cannot run program \"x\": error=2, No such file or directory"))).isEqualTo("No such file or directory");
    }
}
