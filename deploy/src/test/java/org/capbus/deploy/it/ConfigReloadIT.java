package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Configuration reloads (ReloadConfig and SIGHUP): a file that does not parse is refused with its reason and the
 * running bus keeps its old configuration; a good file takes effect.
 */
class ConfigReloadIT {

    private static ClientResult driver(TestBus bus, String method, String... args) {
        String[] command = new String[6 + args.length];
        command[0] = "dbus-send";
        command[1] = "--session";
        command[2] = "--print-reply";
        command[3] = "--dest=org.freedesktop.DBus";
        command[4] = "/org/freedesktop/DBus";
        command[5] = "org.freedesktop.DBus." + method;
        System.arraycopy(args, 0, command, 6, args.length);
        return Clients.run(bus, command);
    }

    private static void rewrite(TestBus bus, String text) throws IOException {
        Files.writeString(bus.directory().resolve("bus.conf"), text, StandardCharsets.UTF_8);
    }

    private static String withExtraPolicy(String rules) {
        return TestBus.configuration(false).replace("</policy>", rules + "\n  </policy>");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldRefuseABadFileOnReloadAndKeepTheRunningConfiguration(BusKind kind) throws IOException {
        try (TestBus bus = TestBus.start(kind)) {
            Path config = bus.directory().resolve("bus.conf");
            rewrite(bus, "<busconfig>\n  <type>session</type>\n  <bogus/>\n</busconfig>\n");
            ClientResult refused = driver(bus, "ReloadConfig");
            assertThat(refused.exitCode()).as(refused.describe()).isNotZero();
            assertThat(refused.stderr()).contains("org.freedesktop.DBus.Error.Failed").contains("bogus");
            if (kind == BusKind.CAPBUS) {
                // capbus names the file and the line, as every refusal of a bad configuration does.
                assertThat(refused.stderr()).contains(config + ":3:");
            }
            // Still the old configuration: owning any name is allowed, and the bus answers.
            ClientResult owned = driver(bus, "RequestName", "string:com.example.Kept", "uint32:0");
            assertThat(owned.exitCode()).as(owned.describe()).isZero();
            assertThat(owned.stdout()).contains("uint32 1");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldApplyAGoodFileOnReload(BusKind kind) throws IOException {
        try (TestBus bus = TestBus.start(kind)) {
            ClientResult before = driver(bus, "RequestName", "string:com.example.Denied", "uint32:0");
            assertThat(before.stdout()).as(before.describe()).contains("uint32 1");
            rewrite(bus, withExtraPolicy("    <deny own=\"com.example.Denied\"/>"));
            ClientResult reloaded = driver(bus, "ReloadConfig");
            assertThat(reloaded.exitCode()).as(reloaded.describe()).isZero();
            ClientResult after = driver(bus, "RequestName", "string:com.example.Denied", "uint32:0");
            assertThat(after.exitCode()).as(after.describe()).isNotZero();
            assertThat(after.stderr()).contains("org.freedesktop.DBus.Error.AccessDenied");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldSurviveAHangupWithABadFile(BusKind kind) throws Exception {
        try (TestBus bus = TestBus.start(kind)) {
            rewrite(bus, "<busconfig>\n  <unknown-element/>\n</busconfig>\n");
            Process hup = new ProcessBuilder("kill", "-HUP", Long.toString(bus.pid())).start();
            assertThat(hup.waitFor()).isZero();
            Await.until(() -> bus.stderr().contains("unknown-element"), () -> "the bus to log the refused file");
            assertThat(bus.isAlive()).isTrue();
            ClientResult id = driver(bus, "GetId");
            assertThat(id.exitCode()).as(id.describe()).isZero();
            if (kind == BusKind.CAPBUS) {
                assertThat(bus.stderr()).contains(bus.directory().resolve("bus.conf") + ":2:");
            }
        }
    }
}
