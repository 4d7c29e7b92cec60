package org.capbus.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Policy evaluation as dbus-daemon does it, on rules read from XML. */
class ClientPolicyTest {

    private static final UserDatabase USERS = UserDatabase.of(
            Map.of("root", 0L, "alice", 1000L, "bob", 1001L), Map.of("wheel", 10L, "audio", 29L));
    private static final long[] ALICE_GROUPS = {1000, 10};
    private static final PeerNames DRIVER = PeerNames.of("org.freedesktop.DBus");

    @TempDir
    Path dir;

    private BusPolicy policy(String xml) throws Exception {
        Path file = dir.resolve("p.conf");
        Files.writeString(file, "<busconfig><listen>x:</listen>\n" + xml + "\n</busconfig>");
        return BusConfig.load(file, new ConfigEnvironment(null, null, null, "/h", false, null)).policy();
    }

    private ClientPolicy alice(BusPolicy p, boolean atConsole) {
        return p.forPeer(1000, ALICE_GROUPS, atConsole, USERS);
    }

    @Test
    void shouldLetTheLaterRuleWinWithinAContext() throws Exception {
        BusPolicy p = policy("""
                <policy context="default">
                  <allow own="*"/>
                  <deny own="org.x"/>
                </policy>
                <policy context="default">
                  <allow own="org.x"/>
                  <deny own="org.y"/>
                </policy>
                """);
        ClientPolicy c = alice(p, false);

        assertThat(c.canOwn("org.x")).isTrue();
        assertThat(c.canOwn("org.y")).isFalse();
        assertThat(c.canOwn("org.z")).isTrue();
    }

    @Test
    void shouldApplyDefaultThenGroupThenUserThenConsoleThenMandatory() throws Exception {
        // Written in the reverse of the order they apply in, so file order cannot explain the outcome.
        String mandatory = "<policy context=\"mandatory\"><deny own=\"n.mandatory\"/></policy>";
        String console = "<policy at_console=\"true\"><allow own=\"n.console\"/><allow own=\"n.mandatory\"/>"
                + "<deny own=\"n.user\"/></policy>";
        String user = "<policy user=\"alice\"><allow own=\"n.user\"/><deny own=\"n.group\"/>"
                + "<allow own=\"n.console\"/></policy>";
        String group = "<policy group=\"wheel\"><allow own=\"n.group\"/><deny own=\"n.default\"/></policy>";
        String def = "<policy context=\"default\"><allow own=\"n.default\"/><allow own=\"n.group\"/></policy>";
        BusPolicy p = policy(mandatory + console + user + group + def);

        ClientPolicy atConsole = alice(p, true);
        assertThat(atConsole.canOwn("n.default")).as("group denies over default").isFalse();
        assertThat(atConsole.canOwn("n.group")).as("user denies over group").isFalse();
        assertThat(atConsole.canOwn("n.user")).as("console denies over user").isFalse();
        assertThat(atConsole.canOwn("n.console")).isTrue();
        assertThat(atConsole.canOwn("n.mandatory")).as("mandatory denies over console").isFalse();

        ClientPolicy notAtConsole = alice(p, false);
        assertThat(notAtConsole.canOwn("n.user")).as("console rules left out").isTrue();

        ClientPolicy bob = p.forPeer(1001, new long[] {1001}, false, USERS);
        assertThat(bob.canOwn("n.default")).as("not in wheel: default applies").isTrue();
        assertThat(bob.canOwn("n.user")).as("alice's rules are not bob's").isFalse();
    }

    @Test
    void shouldIgnorePoliciesOfUnknownUsers() throws Exception {
        BusPolicy p = policy("<policy user=\"nosuchuser\"><allow own=\"*\"/></policy>"
                + "<policy user=\"1000\"><allow own=\"by.number\"/></policy>");

        assertThat(alice(p, false).canOwn("a.b")).isFalse();
        assertThat(alice(p, false).canOwn("by.number")).isTrue();
    }

    @Test
    void shouldMatchOwnPrefixByWholeWords() throws Exception {
        ClientPolicy c = alice(policy("<policy context=\"default\"><allow own_prefix=\"org.a\"/></policy>"), false);

        assertThat(c.canOwn("org.a")).isTrue();
        assertThat(c.canOwn("org.a.b.c")).isTrue();
        assertThat(c.canOwn("org.ab")).isFalse();
        assertThat(c.canOwn("org")).isFalse();
    }

    @Test
    void shouldDenyByDefault() throws Exception {
        ClientPolicy c = alice(policy("<policy context=\"default\"><allow own=\"x.y\"/></policy>"), false);

        PolicyDecision d = c.checkSend(PolicyMessage.methodCall("a.b", "/", "i.I", "M"), PeerNames.of("a.b"), false);
        assertThat(d).isSameAs(PolicyDecision.DEFAULT_DENY);
        assertThat(c.canReceive(PolicyMessage.signal(null, "/", "i.I", "M"), PeerNames.of(":1.1"), false, false))
                .isFalse();
    }

    @Test
    void shouldAllowRequestedRepliesOnlyWhereTheRulesSaySo() throws Exception {
        // system.conf's shape
        BusPolicy p = policy("""
                <policy context="default">
                  <deny send_type="method_call"/>
                  <allow send_requested_reply="true" send_type="method_return"/>
                  <allow send_requested_reply="true" send_type="error"/>
                  <deny send_destination="org.secret"/>
                </policy>
                """);
        ClientPolicy c = alice(p, false);
        PolicyMessage reply = PolicyMessage.methodReturn(":1.7");

        assertThat(c.canSend(reply, PeerNames.of(":1.7"), true)).isTrue();
        assertThat(c.canSend(reply, PeerNames.of(":1.7"), false)).as("unrequested reply").isFalse();
        // a deny with the default requested_reply="false" covers only unrequested replies
        assertThat(c.canSend(reply, PeerNames.of(":1.7", "org.secret"), true)).isTrue();
        assertThat(c.canSend(PolicyMessage.methodCall("org.secret", "/", "i.I", "M"),
                PeerNames.of(":1.7", "org.secret"), false)).isFalse();
    }

    @Test
    void shouldLetAnUnrequestedReplyThroughAnAllowWithRequestedReplyFalse() throws Exception {
        ClientPolicy c = alice(policy(
                "<policy context=\"default\"><allow send_type=\"error\" send_requested_reply=\"false\"/></policy>"),
                false);

        assertThat(c.canSend(PolicyMessage.error(":1.2", "e.E"), PeerNames.of(":1.2"), false)).isTrue();
    }

    @Test
    void shouldTreatAMissingInterfaceAsNoMatchForAllowAndAMatchForDeny() throws Exception {
        BusPolicy p = policy("""
                <policy context="default">
                  <allow send_destination="org.a" send_interface="org.a.I"/>
                </policy>
                """);
        PolicyMessage noInterface = PolicyMessage.methodCall("org.a", "/", null, "M");
        assertThat(alice(p, false).canSend(noInterface, PeerNames.of("org.a"), false)).isFalse();

        BusPolicy q = policy("""
                <policy context="default">
                  <allow send_destination="*"/>
                  <deny send_destination="org.a" send_interface="org.a.I"/>
                </policy>
                """);
        assertThat(alice(q, false).canSend(noInterface, PeerNames.of("org.a"), false)).isFalse();
        assertThat(alice(q, false).canSend(PolicyMessage.methodCall("org.a", "/", "other.I", "M"),
                PeerNames.of("org.a"), false)).isTrue();
    }

    @Test
    void shouldIgnoreRuleFieldsTheMessageLacks() throws Exception {
        ClientPolicy c = alice(policy("""
                <policy context="default">
                  <allow send_destination="org.a" send_interface="org.a.I" send_member="M" send_path="/p"/>
                </policy>
                """), false);

        assertThat(c.canSend(PolicyMessage.methodCall("org.a", "/p", "org.a.I", "M"), PeerNames.of("org.a"), false))
                .isTrue();
        assertThat(c.canSend(PolicyMessage.methodCall("org.a", "/q", "org.a.I", "M"), PeerNames.of("org.a"), false))
                .isFalse();
        assertThat(c.canSend(PolicyMessage.methodCall("org.a", "/p", "org.a.I", "N"), PeerNames.of("org.a"), false))
                .isFalse();
    }

    @Test
    void shouldMatchSendDestinationAgainstEveryNameTheReceiverOwnsOrQueuesFor() throws Exception {
        ClientPolicy c = alice(policy("""
                <policy context="default">
                  <allow send_destination="org.a"/>
                  <allow send_destination_prefix="org.p"/>
                </policy>
                """), false);
        PolicyMessage toUnique = PolicyMessage.methodCall(":1.9", "/", "i.I", "M");

        assertThat(c.canSend(toUnique, PeerNames.of(":1.9", "org.a"), false)).isTrue();
        assertThat(c.canSend(toUnique, PeerNames.of(":1.9", "org.p.x"), false)).isTrue();
        assertThat(c.canSend(toUnique, PeerNames.of(":1.9", "org.px"), false)).isFalse();
        assertThat(c.canSend(toUnique, PeerNames.of(":1.9"), false)).isFalse();
    }

    @Test
    void shouldDistinguishBroadcasts() throws Exception {
        ClientPolicy c = alice(policy("""
                <policy context="default">
                  <allow send_type="signal"/>
                  <deny send_type="signal" send_broadcast="false"/>
                </policy>
                """), false);

        assertThat(c.canSend(PolicyMessage.signal(null, "/", "i.I", "S"), PeerNames.of(":1.2"), false)).isTrue();
        assertThat(c.canSend(PolicyMessage.signal(":1.2", "/", "i.I", "S"), PeerNames.of(":1.2"), false)).isFalse();
    }

    @Test
    void shouldLetOnlyEavesdropRulesAllowEavesdropping() throws Exception {
        BusPolicy p = policy("<policy context=\"default\"><allow receive_sender=\"*\"/></policy>");
        PolicyMessage call = PolicyMessage.methodCall(":1.5", "/", "i.I", "M");

        assertThat(alice(p, false).canReceive(call, PeerNames.of(":1.4"), false, false)).isTrue();
        assertThat(alice(p, false).canReceive(call, PeerNames.of(":1.4"), false, true)).isFalse();

        BusPolicy q = policy("""
                <policy context="default">
                  <allow eavesdrop="true"/>
                  <deny receive_sender="org.private" eavesdrop="true"/>
                </policy>
                """);
        assertThat(alice(q, false).canReceive(call, PeerNames.of(":1.4"), false, true)).isTrue();
        assertThat(alice(q, false).canReceive(call, PeerNames.of(":1.4", "org.private"), false, true)).isFalse();
        assertThat(alice(q, false).canReceive(call, PeerNames.of(":1.4", "org.private"), false, false))
                .as("a deny with eavesdrop=\"true\" applies only to eavesdropping").isTrue();
    }

    @Test
    void shouldMatchReceiveSenderIncludingTheDriver() throws Exception {
        ClientPolicy c = alice(policy("""
                <policy context="default">
                  <allow receive_sender="org.freedesktop.DBus"/>
                </policy>
                """), false);

        assertThat(c.canReceive(PolicyMessage.signal(":1.1", "/", "org.freedesktop.DBus", "NameAcquired"), DRIVER,
                false, false)).isTrue();
        assertThat(c.canReceive(PolicyMessage.signal(":1.1", "/", "x.Y", "Z"), PeerNames.of(":1.8"), false, false))
                .isFalse();
    }

    @Test
    void shouldMatchFdCounts() throws Exception {
        ClientPolicy c = alice(policy("""
                <policy context="default">
                  <allow send_destination="*"/>
                  <deny send_destination="*" min_fds="2"/>
                </policy>
                """), false);
        PolicyMessage one = new PolicyMessage(MessageType.METHOD_CALL, "/", "i.I", "M", null, "a.b", false, 1);
        PolicyMessage three = new PolicyMessage(MessageType.METHOD_CALL, "/", "i.I", "M", null, "a.b", false, 3);

        assertThat(c.canSend(one, PeerNames.of("a.b"), false)).isTrue();
        assertThat(c.canSend(three, PeerNames.of("a.b"), false)).isFalse();
    }

    @Test
    void shouldReportTheDecidingRuleForLogging() throws Exception {
        ClientPolicy c = alice(policy("""
                <policy context="default">
                  <allow send_destination="*"/>
                  <deny send_destination="org.a" log="true"/>
                </policy>
                """), false);

        PolicyDecision d = c.checkSend(PolicyMessage.methodCall("org.a", "/", "i.I", "M"), PeerNames.of("org.a"), false);
        assertThat(d.allowed()).isFalse();
        assertThat(d.rule()).isInstanceOfSatisfying(SendRule.class, r -> {
            assertThat(r.log()).isTrue();
            assertThat(r.source()).endsWith("p.conf:4");
        });
    }

    @Test
    void shouldLetTheBusOwnerConnectByDefaultAndApplyUserAndGroupRules() throws Exception {
        BusPolicy none = policy("<policy context=\"default\"><allow own=\"*\"/></policy>");
        assertThat(none.canConnect(1000, ALICE_GROUPS, 1000, USERS)).isTrue();
        assertThat(none.canConnect(1001, new long[] {1001}, 1000, USERS)).isFalse();

        BusPolicy p = policy("""
                <policy context="default">
                  <allow user="*"/>
                  <deny group="wheel"/>
                </policy>
                <policy user="bob"><allow own="*"/></policy>
                <policy context="mandatory"><allow user="alice"/><deny user="0"/></policy>
                """);
        assertThat(p.canConnect(1001, new long[] {1001}, 5, USERS)).isTrue();
        assertThat(p.canConnect(1000, ALICE_GROUPS, 5, USERS)).as("mandatory re-allows alice").isTrue();
        assertThat(p.canConnect(77, new long[] {10}, 5, USERS)).as("wheel denied").isFalse();
        assertThat(p.canConnect(0, new long[] {0}, 0, USERS)).as("mandatory deny beats bus owner").isFalse();
    }

    @Test
    void shouldSeeASessionPolicyAsUnrestrictedAndAnyDenyAsRestricted() throws Exception {
        ClientPolicy open = alice(policy("""
                <policy context="default">
                  <allow send_destination="*" eavesdrop="true"/>
                  <allow receive_sender="*"/>
                  <allow own="*"/>
                </policy>
                """), false);
        assertThat(open.sendsUnrestricted()).isTrue();
        assertThat(open.receivesUnrestricted()).isTrue();
        // Unrestricted must agree with the full check it lets the bridge skip.
        assertThat(open.canSend(PolicyMessage.methodCall("a.b", "/x", "a.b.C", "M"), PeerNames.of("a.b"), false))
                .isTrue();
        assertThat(open.canReceive(PolicyMessage.signal(null, "/x", "a.b.C", "S"), DRIVER, false, false)).isTrue();

        ClientPolicy guarded = alice(policy("""
                <policy context="default">
                  <allow send_destination="*"/>
                  <allow receive_sender="*"/>
                  <deny send_destination="org.private" send_interface="org.private" send_member="Secret"/>
                  <deny receive_interface="org.hidden"/>
                </policy>
                """), false);
        assertThat(guarded.sendsUnrestricted()).isFalse();
        assertThat(guarded.receivesUnrestricted()).isFalse();

        ClientPolicy narrow = alice(policy("""
                <policy context="default">
                  <allow send_destination="org.only"/>
                  <allow receive_sender="org.only"/>
                </policy>
                """), false);
        assertThat(narrow.sendsUnrestricted()).isFalse();
        assertThat(narrow.receivesUnrestricted()).isFalse();
    }

    /** The counts behind dbus-daemon's "Rejected send message, N matched rules" text (its "toggles"). */
    @Test
    void shouldCountTheRulesThatApplyAsDbusDaemonDoes() throws Exception {
        BusPolicy p = policy("""
                <policy context="default">
                  <allow send_destination="*"/>
                  <allow receive_sender="*"/>
                  <deny send_destination_prefix="org.p"/>
                  <deny send_type="signal" send_interface="org.s"/>
                  <allow send_type="signal" send_interface="org.s" send_member="Ok"/>
                  <deny send_broadcast="true" send_interface="org.b"/>
                  <deny receive_type="signal" receive_interface="org.r"/>
                </policy>
                """);
        ClientPolicy c = alice(p, false);
        PeerNames underP = PeerNames.of(":1.7", "org.p.Sub");

        PolicyMessage call = PolicyMessage.methodCall("org.p.Sub", "/", "org.i", "M");
        assertThat(c.canSend(call, underP, false)).isFalse();
        assertThat(c.matchedSendRules(call, underP, false)).isEqualTo(2);
        // By its unique name too: the rule is about the names the receiver holds.
        PolicyMessage byUnique = PolicyMessage.methodCall(":1.7", "/", "org.i", "M");
        assertThat(c.canSend(byUnique, underP, false)).isFalse();
        assertThat(c.canSend(call, PeerNames.of(":1.8", "org.pp"), false)).isTrue();
        assertThat(c.matchedSendRules(call, PeerNames.of(":1.8", "org.pp"), false)).isEqualTo(1);

        PolicyMessage denied = PolicyMessage.signal(null, "/", "org.s", "No");
        PolicyMessage allowed = PolicyMessage.signal(null, "/", "org.s", "Ok");
        assertThat(c.canSend(denied, underP, false)).isFalse();
        assertThat(c.canSend(allowed, underP, false)).isTrue();
        assertThat(c.matchedSendRules(allowed, underP, false)).isEqualTo(4);

        assertThat(c.canSend(PolicyMessage.signal(null, "/", "org.b", "X"), underP, false)).isFalse();
        assertThat(c.canSend(PolicyMessage.signal(":1.7", "/", "org.b", "X"), underP, false)).isFalse();
        PeerNames other = PeerNames.of(":1.9");
        assertThat(c.canSend(PolicyMessage.signal(":1.9", "/", "org.b", "X"), other, false)).isTrue();

        PolicyMessage r = PolicyMessage.signal(null, "/", "org.r", "X");
        assertThat(c.canReceive(r, other, false, false)).isFalse();
        assertThat(c.matchedReceiveRules(r, other, false, false)).isEqualTo(2);
        assertThat(c.canReceive(PolicyMessage.methodCall(":1.9", "/", "org.r", "X"), other, false, false)).isTrue();
    }
}
