package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * DBUS_COOKIE_SHA1 as the only mechanism: libdbus (dbus-send) and GDBus read the same keyring (~/.dbus-keyrings) as
 * the bus, which reads and writes it off its event loop.
 */
class CookieAuthIT {

    private static String cookieOnly() {
        return TestBus.configuration(false).replace("<auth>EXTERNAL</auth>", "<auth>DBUS_COOKIE_SHA1</auth>");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldAuthenticateLibdbusAndGdbusClientsWithTheCookieKeyring(BusKind kind) {
        try (TestBus bus = TestBus.startWithConfiguration(kind, cookieOnly())) {
            ClientResult id = Clients.run(bus, "dbus-send", "--session", "--print-reply",
                    "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.GetId");
            assertThat(id.exitCode()).as(id.describe()).isZero();
            assertThat(id.stdout()).contains("string \"");

            ClientResult gdbus = Clients.run(bus, "gdbus", "call", "--session", "--dest", "org.freedesktop.DBus",
                    "--object-path", "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.GetId");
            assertThat(gdbus.exitCode()).as(gdbus.describe()).isZero();
        }
    }
}
