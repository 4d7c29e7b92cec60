package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Match rules added and removed while signals flow (issue 8, "signals lost after match rules change"): a client that
 * sends AddMatch or RemoveMatch without waiting for the reply, then a signal, must see the rules in effect for that
 * signal, because the bus handles a connection's messages in the order it sent them. GDBus works this way, so GLib's
 * own gdbus-connection test (rule A, rule B = A plus arg0, remove both, add both again) is reproduced with it, and the
 * same sequence is sent as hand-built frames in a single write.
 */
class MatchRuleChurnIT {
    private static final TestBus.Shared BUSES = new TestBus.Shared();
    private static final int NO_REPLY_EXPECTED = 0x1;
    private static final String RULE_A = "type='signal',interface='org.gtk.ExampleInterface',member='Foo',path='/'";

    @AfterAll
    static void stopBuses() {
        BUSES.close();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldDeliverToGdbusSubscriptionsMadeAgainWithArg0(BusKind kind) {
        assertGdbus(kind, "arg0", "first A foo", "first B foo", "second A bar");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldDeliverToGdbusSubscriptionsMadeAgainWithArg0Namespace(BusKind kind) {
        assertGdbus(kind, "arg0namespace", "first A org.gtk.Example", "first B org.gtk.Example",
                "second A org.gtkexample");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldDeliverToGdbusSubscriptionsMadeAgainWithArg0Path(BusKind kind) {
        assertGdbus(kind, "arg0path", "first A /path/to/something", "first B /path/to/something", "second A /other");
    }

    private static void assertGdbus(BusKind kind, String variant, String... expected) {
        TestBus bus = BUSES.get(kind);
        String out = Clients.python(bus, "gdbus_signals.py", variant).stdout();
        assertThat(out.lines()).as("[%s]", kind).containsExactly(concat(expected, "done"));
    }

    /**
     * One write: AddMatch A, AddMatch B (A plus {@code arg0='foo'}), signal 'foo', RemoveMatch A and B, AddMatch A
     * and B, signal 'bar', RemoveMatch A, signal 'baz', and a GetId call to mark the end. Every AddMatch and
     * RemoveMatch asks for no reply, as GDBus sends them. The connection receives its own signals 'foo' once (one
     * connection, however many rules match) and 'bar', and not 'baz'.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldApplyPipelinedRuleChangesToTheSignalsSentAfterThem(BusKind kind) {
        TestBus bus = BUSES.get(kind);
        try (RawConnection c = RawConnection.open(bus)) {
            String ruleB = RULE_A + ",arg0='foo'";
            ByteArrayOutputStream frames = new ByteArrayOutputStream();
            frames.writeBytes(match(c, "AddMatch", RULE_A));
            frames.writeBytes(match(c, "AddMatch", ruleB));
            frames.writeBytes(signal(c, "foo"));
            frames.writeBytes(match(c, "RemoveMatch", RULE_A));
            frames.writeBytes(match(c, "RemoveMatch", ruleB));
            frames.writeBytes(match(c, "AddMatch", RULE_A));
            frames.writeBytes(match(c, "AddMatch", ruleB));
            frames.writeBytes(signal(c, "bar"));
            frames.writeBytes(match(c, "RemoveMatch", RULE_A));
            frames.writeBytes(match(c, "RemoveMatch", ruleB));
            frames.writeBytes(signal(c, "baz"));
            int endSerial = c.nextSerial();
            frames.writeBytes(WireMessage.driverCall(endSerial, "GetId").build());
            c.send(frames.toByteArray());

            StringBuilder seen = new StringBuilder();
            WireMessage m;
            do {
                m = c.read(Duration.ofSeconds(10));
                if (m.type() == WireMessage.SIGNAL && "Foo".equals(m.member())) {
                    seen.append(m.firstString()).append(' ');
                } else if (m.type() == WireMessage.ERROR) {
                    seen.append(m.errorName()).append(' ');
                }
            } while (m.replySerial() != endSerial);
            assertThat(seen.toString().trim()).as("[%s]", kind).isEqualTo("foo bar");
        }
    }

    private static byte[] match(RawConnection c, String member, String rule) {
        return WireMessage.driverCall(c.nextSerial(), member).flags(NO_REPLY_EXPECTED).bodyString(rule).build();
    }

    private static byte[] signal(RawConnection c, String arg0) {
        return WireMessage.builder(WireMessage.SIGNAL, c.nextSerial()).path("/").iface("org.gtk.ExampleInterface")
                .member("Foo").bodyString(arg0).build();
    }

    private static String[] concat(String[] lines, String last) {
        String[] all = java.util.Arrays.copyOf(lines, lines.length + 1);
        all[lines.length] = last;
        return all;
    }
}
