package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Socket activation as systemd's {@code dbus.socket} does it: the listening socket is created before the bus and
 * passed to it as descriptor 3 with {@code LISTEN_FDS=1} and {@code LISTEN_PID} set to the bus's pid, and the bus,
 * started with {@code --address=systemd:}, serves clients on it. {@code systemd-socket-activate} plays systemd: it
 * listens, and at the first connection execs the bus in its own process (so the pid it announced is the bus's),
 * while that client waits in the socket's backlog. The bus also reports {@code READY=1} and {@code STOPPING=1} to
 * {@code $NOTIFY_SOCKET}, which the units' {@code Type=notify} relies on.
 */
class SocketActivationIT {
    private static final String SOCKET_ACTIVATE = "/usr/bin/systemd-socket-activate";

    @TempDir
    Path scratch;

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldServeClientsOnTheSocketSystemdPassed(BusKind kind) throws IOException {
        Path socket = scratch.resolve("bus");
        Path config = Files.writeString(scratch.resolve("bus.conf"), TestBus.configuration(false));
        List<String> command = new ArrayList<>(List.of(SOCKET_ACTIVATE, "--listen=" + socket));
        // systemd-socket-activate passes the bus only the variables named here (and LISTEN_*).
        for (String name : kind.environment().keySet()) {
            command.add("--setenv=" + name);
        }
        command.addAll(List.of("--setenv=PATH", "--setenv=HOME", kind.executable().toString(),
                "--config-file=" + config, "--nofork", "--print-address=1", "--address=systemd:"));
        try (Clients.Background activator = Clients.Background.start(kind.environment(), command)) {
            activator.awaitStderr("Listening on " + socket);
            Map<String, String> client = Map.of("DBUS_SESSION_BUS_ADDRESS", "unix:path=" + socket);

            // The first client's connection is what starts the bus, as with systemd.
            ClientResult listNames = Clients.run(client, Clients.CLIENT_BOUND, List.of("gdbus", "call", "--session",
                    "--dest", "org.freedesktop.DBus", "--object-path", "/org/freedesktop/DBus",
                    "--method", "org.freedesktop.DBus.ListNames"));
            assertThat(listNames.exitCode()).as("[%s] %s\n%s", kind, listNames.describe(), activator.describe())
                    .isZero();
            assertThat(listNames.stdout()).contains("'org.freedesktop.DBus'");

            ClientResult hasOwner = Clients.run(client, Clients.CLIENT_BOUND, List.of("dbus-send", "--session",
                    "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.DBus"));
            assertThat(hasOwner.exitCode()).as("[%s] %s", kind, hasOwner.describe()).isZero();
            assertThat(hasOwner.stdout()).contains("boolean true");

            // The address the bus announces is the passed socket's.
            activator.awaitStdout("\n");
            assertThat(activator.stdout()).matches("unix:path=" + socket + ",guid=[0-9a-f]{32}\n");
            assertThat(activator.process().isAlive()).as(activator.describe()).isTrue();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldFailToStartWithSystemdAddressButNoPassedSocket(BusKind kind) throws IOException {
        Path config = Files.writeString(scratch.resolve("bus.conf"), TestBus.configuration(false));
        ClientResult result = Clients.run(kind.environment(), Clients.CLIENT_BOUND, List.of(
                kind.executable().toString(), "--config-file=" + config, "--nofork", "--print-address=1",
                "--address=systemd:"));
        assertThat(result.exitCode()).as("[%s] %s", kind, result.describe()).isEqualTo(1);
        assertThat(result.stdout()).as("[%s] nothing is announced", kind).isEmpty();
        if (kind == BusKind.CAPBUS) {
            assertThat(result.stderr()).contains("systemd:").contains("LISTEN_FDS");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldTellTheServiceManagerWhenReadyAndWhenStopping(BusKind kind) throws IOException {
        Path notify = scratch.resolve("notify");
        Path config = Files.writeString(scratch.resolve("bus.conf"), TestBus.configuration(false));
        try (Clients.Background manager = Clients.notificationSocket(notify)) {
            Map<String, String> env = new HashMap<>(kind.environment());
            env.put("NOTIFY_SOCKET", notify.toString());
            try (Clients.Background bus = Clients.Background.start(env, List.of(kind.executable().toString(),
                    "--config-file=" + config, "--nofork", "--print-address=1",
                    "--address=unix:path=" + scratch.resolve("bus")))) {
                bus.awaitStdout("\n");
                manager.awaitStdout("READY=1");
                bus.process().destroy();
                manager.awaitStdout("STOPPING=1");
            }
        }
    }
}
