package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The corners of {@code <policy>} that real configurations use (issue 8): {@code send_destination_prefix} (dbus 1.14),
 * {@code send_broadcast}, signal rules that allow some signals of an interface and not others, {@code send_type} and
 * {@code receive_type} rules, and the exact AccessDenied text dbus-daemon gives ("Rejected send message, N matched
 * rules; ..." with both peers' uid, pid and command). The scenario is compat.py's "policy".
 */
class PolicyCornersIT {
    private static final String RULES = """
                <deny send_destination_prefix="org.capbus.Pre"/>
                <deny send_broadcast="true" send_interface="org.capbus.NoBcast"/>
                <deny send_type="signal" send_interface="org.capbus.Sig"/>
                <allow send_type="signal" send_interface="org.capbus.Sig" send_member="Allowed"/>
                <deny receive_type="signal" receive_interface="org.capbus.NoRecv"/>
                <deny send_type="method_call" send_interface="org.capbus.NoCall"/>
                <deny send_destination="org.capbus.Denied"/>
                <deny receive_type="method_call" receive_interface="org.capbus.NoRecvCall"/>
            """;

    private static String denied(String what, String sender, String iface, String destination) {
        return "org.freedesktop.DBus.Error.AccessDenied Rejected " + what + " message, 2 matched rules;"
                + " type=\"method_call\", sender=\"" + sender + "\" (uid=" + RawConnection.uid()
                + " pid=P comm=C) interface=\"" + iface + "\" member=\"M\" error name=\"(unset)\" requested_reply=\"0\""
                + " destination=\"" + destination + "\" (uid=" + RawConnection.uid() + " pid=P comm=C)";
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldApplyPrefixBroadcastSignalAndTypeRulesWithDbusDaemonsTexts(BusKind kind) {
        String config = TestBus.configuration(false).replace("</policy>", RULES + "  </policy>");
        try (TestBus bus = TestBus.startWithConfiguration(kind, config)) {
            String out = Clients.python(bus, "compat.py", "policy").stdout();
            // Connections in order: service :1.0, client :1.1, the owner of org.capbus.Pre.Sub :1.2, plain :1.3.
            assertThat(out.lines()).as("[%s]\n%s", kind, out).containsExactly(
                    "prefix " + denied("send", ":1.1", "org.capbus.T", "org.capbus.Pre.Sub"),
                    "prefix-by-unique " + denied("send", ":1.1", "org.capbus.T", ":1.2"),
                    "denied-name " + denied("send", ":1.1", "org.capbus.T", "org.capbus.Denied"),
                    "denied-type " + denied("send", ":1.1", "org.capbus.NoCall", ":1.3"),
                    "denied-receive " + denied("receive", ":1.1", "org.capbus.NoRecvCall", ":1.3"),
                    "received call NotUnderPrefix ",
                    "received signal Unicast ",
                    "received signal Allowed ",
                    "received signal Last ");
        }
    }
}
