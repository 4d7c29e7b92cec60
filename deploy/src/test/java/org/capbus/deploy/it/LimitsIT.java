package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * dbus-daemon's limits, each set low and exceeded, answered with dbus-daemon's error and text (issue 8):
 * max_names_per_connection, max_match_rules_per_connection, max_replies_per_connection, reply_timeout (NoReply from
 * the bus, and the slot is free again), max_completed_connections and max_connections_per_user (LimitsExceeded to
 * the Hello over the limit, not a silent close), auth_timeout (a connection that authenticates but never says Hello
 * is dropped). The scenarios are compat.py's "limits" and "per-user"; auth_timeout uses a raw socket.
 */
class LimitsIT {

    private static String withLimits(String limits) {
        return TestBus.configuration(false).replace("</busconfig>", limits + "</busconfig>");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldAnswerEachLimitWithDbusDaemonsError(BusKind kind) {
        String config = withLimits("""
                  <limit name="max_completed_connections">4</limit>
                  <limit name="max_names_per_connection">2</limit>
                  <limit name="max_match_rules_per_connection">2</limit>
                  <limit name="max_replies_per_connection">1</limit>
                  <limit name="reply_timeout">500</limit>
                """);
        try (TestBus bus = TestBus.startWithConfiguration(kind, config)) {
            String out = Clients.python(bus, "compat.py", "limits").stdout();
            String noReply = "org.freedesktop.DBus.Error.NoReply Message did not receive a reply (timeout by message bus)";
            // max_names_per_connection counts the unique name, as dbus-daemon does: the second well-known name fails.
            assertThat(out.lines()).as("[%s]\n%s", kind, out).containsExactly(
                    "names org.freedesktop.DBus.Error.LimitsExceeded Connection \":1.0\" is not allowed to own more"
                            + " services (increase limits in configuration file if required;"
                            + " max_names_per_connection=2)",
                    "match-rules org.freedesktop.DBus.Error.LimitsExceeded Connection \":1.0\" is not allowed to add"
                            + " more match rules (increase limits in configuration file if required;"
                            + " max_match_rules_per_connection=2)",
                    "reply first " + noReply,
                    "reply second org.freedesktop.DBus.Error.LimitsExceeded The maximum number of pending replies per"
                            + " connection has been reached",
                    "reply third " + noReply,
                    "connections 4 org.freedesktop.DBus.Error.LimitsExceeded The maximum number of active connections"
                            + " has been reached");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldRefuseTheHelloOverTheUsersLimit(BusKind kind) {
        try (TestBus bus = TestBus.startWithConfiguration(kind,
                withLimits("  <limit name=\"max_connections_per_user\">3</limit>\n"))) {
            assertThat(Clients.python(bus, "compat.py", "per-user").stdout().lines()).as("[%s]", kind)
                    .containsExactly("connections 3 org.freedesktop.DBus.Error.LimitsExceeded The maximum number of"
                            + " active connections for UID U has been reached");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldDropAConnectionThatNeverSaysHello(BusKind kind) {
        try (TestBus bus = TestBus.startWithConfiguration(kind, withLimits("  <limit name=\"auth_timeout\">300</limit>\n"));
             RawConnection silent = RawConnection.connect(bus)) {
            assertThat(silent.awaitClosedByBus(Duration.ofSeconds(10))).as("[%s] closed after auth_timeout", kind)
                    .isTrue();
        }
    }
}
