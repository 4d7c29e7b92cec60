package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The systemd units of deploy/systemd: {@code systemd-analyze verify} accepts them without a warning, and they say
 * what the distribution's dbus.socket and dbus.service say, with capbus in dbus-daemon's place. Verification needs
 * the executables to exist, so it runs on copies whose ExecStart names the launcher the package phase built.
 */
class SystemdUnitsIT {
    private static final String INSTALLED_LAUNCHER = "/opt/capbus/bin/capbus";
    private static final String DAEMON_OPTIONS = "--address=systemd: --nofork --nopidfile --systemd-activation"
            + " --syslog-only";

    @TempDir
    Path scratch;

    private static Path units(String scope) {
        return BusKind.repositoryRoot().resolve("deploy/systemd").resolve(scope);
    }

    @Test
    void shouldPassSystemdAnalyzeVerify() throws IOException {
        Path runtime = Files.createDirectory(scratch.resolve("runtime"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path launcher = BusKind.repositoryRoot().resolve("deploy/target/capbus-dist/capbus/bin/capbus");
        for (String scope : List.of("system", "user")) {
            Path copies = Files.createDirectory(scratch.resolve(scope));
            List<String> command = new ArrayList<>(List.of("systemd-analyze"));
            if (scope.equals("user")) {
                command.add("--user");
            }
            command.add("verify");
            for (String unit : List.of("capbus.socket", "capbus.service", "capbus-upgrade.service")) {
                String text = Files.readString(units(scope).resolve(unit))
                        .replace(INSTALLED_LAUNCHER, launcher.toString());
                command.add(Files.writeString(copies.resolve(unit), text).toString());
            }
            // The user manager's specifiers (%t) need a runtime directory.
            ClientResult result = Clients.run(Map.of("XDG_RUNTIME_DIR", runtime.toString()), Clients.CLIENT_BOUND,
                    command);
            assertThat(result.exitCode()).as(result.describe()).isZero();
            assertThat(result.stdout() + result.stderr()).as(result.describe()).isEmpty();
        }
    }

    @Test
    void shouldListenWhereDbusDoesAndStartCapbusLikeDbusDaemon() throws IOException {
        Map<String, String> userSocket = keys(units("user").resolve("capbus.socket"));
        assertThat(userSocket).containsEntry("ListenStream", "%t/bus")
                .containsEntry("ExecStartPost",
                        "-/bin/systemctl --user set-environment DBUS_SESSION_BUS_ADDRESS=unix:path=%t/bus")
                .containsEntry("Alias", "dbus.socket");
        Map<String, String> userService = keys(units("user").resolve("capbus.service"));
        assertThat(userService).containsEntry("Type", "notify").containsEntry("NotifyAccess", "main")
                .containsEntry("Restart", "on-failure")
                .containsEntry("Requires", "capbus.socket").containsEntry("Slice", "session.slice")
                .containsEntry("Alias", "dbus.service")
                .containsEntry("ExecStart", INSTALLED_LAUNCHER + " --session " + DAEMON_OPTIONS
                        + " --metrics=127.0.0.1:9464");

        assertThat(keys(units("system").resolve("capbus.socket")))
                .containsEntry("ListenStream", "/run/dbus/system_bus_socket").containsEntry("Alias", "dbus.socket");
        assertThat(keys(units("system").resolve("capbus.service"))).containsEntry("Type", "notify")
                .containsEntry("Restart", "on-failure")
                .containsEntry("Requires", "capbus.socket").containsEntry("OOMScoreAdjust", "-900")
                .containsEntry("Alias", "dbus.service")
                .containsEntry("ExecStart", INSTALLED_LAUNCHER + " --system " + DAEMON_OPTIONS);
    }

    @Test
    void shouldUpgradeTheMainProcessOfTheBusUnitInPlace() throws IOException {
        for (String scope : List.of("system", "user")) {
            Map<String, String> upgrade = keys(units(scope).resolve("capbus-upgrade.service"));
            String show = "systemctl " + (scope.equals("user") ? "--user " : "") + "show -p MainPID --value capbus.service";
            assertThat(upgrade).as(scope).containsEntry("Type", "oneshot")
                    .containsEntry("Requisite", "capbus.service")
                    .containsEntry("ExecStart", "/bin/sh -c 'exec " + INSTALLED_LAUNCHER + " --upgrade=\"$(" + show
                            + ")\"'");
        }
    }

    /** The {@code Key=value} lines of a unit file (comments and section headers skipped; a later key wins). */
    private static Map<String, String> keys(Path unit) throws IOException {
        Map<String, String> keys = new LinkedHashMap<>();
        for (String line : Files.readAllLines(unit)) {
            int eq = line.indexOf('=');
            if (line.startsWith("#") || line.startsWith("[") || eq < 0) {
                continue;
            }
            keys.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return keys;
    }
}
