package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The configuration's {@code <policy>} deny rules, enforced on sends and ownership as dbus-daemon enforces them. */
class PolicyIT {
    private static final String RULES = """
                <deny send_destination="org.capbus.Guarded" send_interface="org.capbus.Test" send_member="EchoString"/>
                <deny own="org.capbus.NotYours"/>
            """;

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldDenyWhatTheConfigurationDeniesAndAllowTheRest(BusKind kind) {
        String config = TestBus.configuration(false).replace("</policy>", RULES + "  </policy>");
        try (TestBus bus = TestBus.startWithConfiguration(kind, config);
             Clients.Background service = Clients.pythonService(bus, "org.capbus.Guarded")) {
            ClientResult denied = Clients.run(bus, "dbus-send", "--session", "--print-reply",
                    "--dest=org.capbus.Guarded", "/org/capbus/Test", "org.capbus.Test.EchoString", "string:secret");
            assertThat(denied.exitCode()).as(denied.describe()).isNotZero();
            assertThat(denied.stderr()).contains("org.freedesktop.DBus.Error.AccessDenied");

            ClientResult allowed = Clients.run(bus, "dbus-send", "--session", "--print-reply",
                    "--dest=org.capbus.Guarded", "/org/capbus/Test", "org.freedesktop.DBus.Introspectable.Introspect");
            assertThat(allowed.exitCode()).as(allowed.describe()).isZero();

            ClientResult own = Clients.run(bus, "dbus-send", "--session", "--print-reply",
                    "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.RequestName",
                    "string:org.capbus.NotYours", "uint32:0");
            assertThat(own.exitCode()).as(own.describe()).isNotZero();
            assertThat(own.stderr()).contains("org.freedesktop.DBus.Error.AccessDenied");
        }
    }
}
