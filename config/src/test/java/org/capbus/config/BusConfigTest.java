package org.capbus.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BusConfigTest {

    private static final ConfigEnvironment ENV =
            new ConfigEnvironment(null, null, null, "/home/u", false, null);

    @TempDir
    Path dir;

    private Path write(String name, String body) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, body);
        return p;
    }

    private static String busconfig(String inner) {
        return "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                + " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                + "<busconfig>\n" + inner + "\n</busconfig>\n";
    }

    @Test
    void shouldParseTheSessionConfOfThisMachine() throws ConfigException {
        BusConfig c = BusConfig.load(Path.of("/usr/share/dbus-1/session.conf"), ENV);

        assertThat(c.type()).isEqualTo("session");
        assertThat(c.keepUmask()).isTrue();
        assertThat(c.fork()).isFalse();
        assertThat(c.listen()).containsExactly("unix:tmpdir=/tmp");
        assertThat(c.auth()).containsExactly("EXTERNAL");
        assertThat(c.limits()).isEqualTo(BusLimits.session());
        assertThat(c.serviceDirs()).extracting(ServiceDir::path).containsExactly(
                Path.of("/home/u/.local/share/dbus-1/services"),
                Path.of("/usr/local/share/dbus-1/services"),
                Path.of("/usr/share/dbus-1/services"));
        assertThat(c.warnings()).isEmpty();
        assertThat(c.policy().sections()).first().satisfies(s -> {
            assertThat(s.context()).isEqualTo(PolicyContext.DEFAULT);
            assertThat(s.rules()).hasSize(3);
        });
        ClientPolicy p = c.policy().forPeer(1000, new long[] {1000}, false, UserDatabase.numericOnly());
        assertThat(p.canSend(PolicyMessage.methodCall("org.x", "/", "org.x.I", "M"), PeerNames.of(":1.5", "org.x"),
                false)).isTrue();
        assertThat(p.canOwn("org.anything")).isTrue();
    }

    @Test
    void shouldParseTheSystemConfOfThisMachineWithItsIncludedirs() throws ConfigException {
        BusConfig c = BusConfig.load(Path.of("/usr/share/dbus-1/system.conf"), ENV);

        assertThat(c.type()).isEqualTo("system");
        assertThat(c.user()).isEqualTo("messagebus");
        assertThat(c.fork()).isTrue();
        assertThat(c.syslog()).isTrue();
        assertThat(c.pidfile()).isEqualTo(Path.of("/run/dbus/pid"));
        assertThat(c.servicehelper()).isEqualTo(Path.of("/usr/lib/dbus-1.0/dbus-daemon-launch-helper"));
        assertThat(c.listen()).containsExactly("unix:path=/run/dbus/system_bus_socket");
        assertThat(c.limits()).isEqualTo(BusLimits.defaults());
        assertThat(c.serviceDirs()).extracting(ServiceDir::path).containsExactly(
                Path.of("/usr/local/share/dbus-1/system-services"),
                Path.of("/usr/share/dbus-1/system-services"),
                Path.of("/lib/dbus-1/system-services"));
        assertThat(c.configDirs()).contains(Path.of("/usr/share/dbus-1/system.d"));
        assertThat(c.warnings()).isEmpty();
        // system.conf's own policies plus those of the system.d files
        assertThat(c.policy().sections().size()).isGreaterThan(4);

        UserDatabase users = UserDatabase.of(Map.of("root", 0L, "messagebus", 100L), Map.of());
        assertThat(c.policy().canConnect(1000, new long[] {1000}, 100, users)).isTrue();
        ClientPolicy nobody = c.policy().forPeer(1000, new long[] {1000}, false, users);
        ClientPolicy root = c.policy().forPeer(0, new long[] {0}, false, users);
        assertThat(nobody.canOwn("org.freedesktop.login1")).isFalse();
        assertThat(root.canOwn("org.freedesktop.login1")).isTrue();
        PolicyMessage hello = PolicyMessage.methodCall("org.freedesktop.DBus", "/org/freedesktop/DBus",
                "org.freedesktop.DBus", "Hello");
        assertThat(nobody.canSend(hello, PeerNames.of("org.freedesktop.DBus"), false)).isTrue();
        PolicyMessage update = PolicyMessage.methodCall("org.freedesktop.DBus", "/org/freedesktop/DBus",
                "org.freedesktop.DBus", "UpdateActivationEnvironment");
        assertThat(nobody.canSend(update, PeerNames.of("org.freedesktop.DBus"), false)).isFalse();
        PolicyMessage toLogind = PolicyMessage.methodCall("org.freedesktop.login1", "/org/freedesktop/login1",
                "org.freedesktop.login1.Manager", "GetSession");
        assertThat(nobody.canSend(toLogind, PeerNames.of(":1.3", "org.freedesktop.login1"), false)).isTrue();
        PolicyMessage poweroff = PolicyMessage.methodCall("org.freedesktop.login1", "/org/freedesktop/login1",
                "org.freedesktop.login1.Manager", "SomethingNotListed");
        assertThat(nobody.canSend(poweroff, PeerNames.of(":1.3", "org.freedesktop.login1"), false)).isFalse();
    }

    @Test
    void shouldParseTheBenchConfig() throws ConfigException {
        BusConfig c = BusConfig.load(Path.of("/work/shared/bench/bus.conf"), ENV);

        assertThat(c.type()).isEqualTo("session");
        assertThat(c.auth()).containsExactly("EXTERNAL");
        assertThat(c.limits().get(BusLimit.MAX_NAMES_PER_CONNECTION)).isEqualTo(50_000);
        assertThat(c.limits().get(BusLimit.MAX_MESSAGE_UNIX_FDS)).isEqualTo(16);
        assertThat(c.serviceDirs()).isEmpty();
        ClientPolicy p = c.policy().forPeer(1, new long[0], false, UserDatabase.numericOnly());
        assertThat(p.canReceive(PolicyMessage.signal(null, "/", "a.B", "C"), PeerNames.of(":1.1"), false, false))
                .isTrue();
        // no eavesdrop="true" in this file
        assertThat(p.canReceive(PolicyMessage.methodCall(":1.2", "/", "a.B", "C"), PeerNames.of(":1.1"), false,
                true)).isFalse();
    }

    @Test
    void shouldMatchTheBuiltinSessionWithTheStockFile() throws ConfigException {
        BusConfig file = BusConfig.load(Path.of("/usr/share/dbus-1/session.conf"), ENV);
        BusConfig builtin = BusConfig.builtinSession(ENV);

        assertThat(builtin.type()).isEqualTo(file.type());
        assertThat(builtin.listen()).isEqualTo(file.listen());
        assertThat(builtin.auth()).isEqualTo(file.auth());
        assertThat(builtin.serviceDirs()).isEqualTo(file.serviceDirs());
        assertThat(builtin.limits()).isEqualTo(file.limits());
        assertThat(builtin.keepUmask()).isTrue();
        List<PolicyRule> a = builtin.policy().sections().getFirst().rules();
        List<PolicyRule> b = file.policy().sections().getFirst().rules();
        assertThat(a).hasSameSizeAs(b);
        for (int i = 0; i < a.size(); i++) {
            assertThat(withoutSource(a.get(i))).isEqualTo(withoutSource(b.get(i)));
        }
    }

    private static PolicyRule withoutSource(PolicyRule r) {
        return switch (r) {
            case SendRule s -> new SendRule(s.allow(), s.type(), s.path(), s.interfaceName(), s.member(),
                    s.errorName(), s.destination(), s.destinationIsPrefix(), s.broadcast(), s.requestedReply(),
                    s.eavesdrop(), s.log(), s.minFds(), s.maxFds(), "");
            case ReceiveRule x -> new ReceiveRule(x.allow(), x.type(), x.path(), x.interfaceName(), x.member(),
                    x.errorName(), x.sender(), x.requestedReply(), x.eavesdrop(), x.minFds(), x.maxFds(), "");
            case OwnRule o -> new OwnRule(o.allow(), o.name(), o.prefix(), "");
            case ConnectRule c -> new ConnectRule(c.allow(), c.group(), c.name(), "");
        };
    }

    @Test
    void shouldExpandTheSessionServiceDirsInXdgOrder() {
        ConfigEnvironment env = new ConfigEnvironment("/d/home", "/a/share:/usr/share::/b", "/run/user/7",
                "/home/u", false, null);

        assertThat(env.standardSessionServiceDirs()).containsExactly(
                new ServiceDir(Path.of("/run/user/7/dbus-1/services"), false, true),
                new ServiceDir(Path.of("/d/home/dbus-1/services"), true, false),
                new ServiceDir(Path.of("/a/share/dbus-1/services"), true, false),
                new ServiceDir(Path.of("/usr/share/dbus-1/services"), true, false),
                new ServiceDir(Path.of("/b/dbus-1/services"), true, false));
    }

    @Test
    void shouldIncludeRelativeToTheIncludingFileAndMergeInPlace() throws Exception {
        write("sub/part.conf", busconfig("""
                <type>system</type>
                <listen>unix:path=/b</listen>
                <limit name="max_replies_per_connection">7</limit>
                <policy context="default"><allow own="b"/></policy>
                <servicedir>services</servicedir>
                """));
        Path top = write("top.conf", busconfig("""
                <type>session</type>
                <listen>unix:path=/a</listen>
                <policy context="default"><allow own="a"/></policy>
                <include>sub/part.conf</include>
                <include ignore_missing="yes">sub/absent.conf</include>
                <listen>unix:path=/c</listen>
                <auth>EXTERNAL</auth>
                <auth>DBUS_COOKIE_SHA1</auth>
                """));

        BusConfig c = BusConfig.load(top, ENV);

        assertThat(c.type()).isEqualTo("system");
        assertThat(c.listen()).containsExactly("unix:path=/a", "unix:path=/b", "unix:path=/c");
        assertThat(c.auth()).containsExactly("EXTERNAL", "DBUS_COOKIE_SHA1");
        assertThat(c.limits().get(BusLimit.MAX_REPLIES_PER_CONNECTION)).isEqualTo(7);
        assertThat(c.serviceDirs()).extracting(ServiceDir::path)
                .containsExactly(dir.resolve("sub/services"));
        assertThat(c.policy().sections()).extracting(s -> ((OwnRule) s.rules().getFirst()).name())
                .containsExactly("a", "b");
    }

    @Test
    void shouldReportAMissingIncludeAtTheIncludeLine() throws Exception {
        Path top = write("top.conf", "<busconfig>\n<listen>unix:path=/a</listen>\n<include>nope.conf</include>\n"
                + "</busconfig>\n");

        assertThatThrownBy(() -> BusConfig.load(top, ENV))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.file()).isEqualTo(top);
                    assertThat(e.line()).isEqualTo(3);
                    assertThat(e.reason()).contains(dir.resolve("nope.conf").toString()).contains("No such file");
                    assertThat(e.getMessage()).startsWith(top + ":3: ");
                });
    }

    @Test
    void shouldReportAFaultInsideAnIncludedFileWithThatFile() throws Exception {
        Path part = write("part.conf", "<busconfig>\n\n<bogus/>\n</busconfig>\n");
        Path top = write("top.conf", "<busconfig><listen>x:</listen><include>part.conf</include></busconfig>");

        assertThatThrownBy(() -> BusConfig.load(top, ENV))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.file()).isEqualTo(part);
                    assertThat(e.line()).isEqualTo(3);
                    assertThat(e.reason()).isEqualTo(
                            "Element <bogus> not allowed inside <busconfig> in configuration file");
                });
    }

    @Test
    void shouldRefuseCircularInclusion() throws Exception {
        write("a.conf", "<busconfig>\n<include>b.conf</include>\n</busconfig>");
        write("b.conf", "<busconfig>\n\n<include>a.conf</include>\n</busconfig>");
        Path top = write("top.conf", "<busconfig><listen>x:</listen><include>a.conf</include></busconfig>");

        assertThatThrownBy(() -> BusConfig.load(top, ENV))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.file()).isEqualTo(dir.resolve("b.conf"));
                    assertThat(e.line()).isEqualTo(3);
                    assertThat(e.reason()).startsWith("Circular inclusion");
                });
    }

    @Test
    void shouldIncludeADirectoryInNameOrderAndSkipBrokenFiles() throws Exception {
        write("d/20-b.conf", busconfig("<policy context=\"default\"><allow own=\"b\"/></policy>"));
        write("d/10-a.conf", busconfig("<policy context=\"default\"><allow own=\"a\"/></policy>"));
        write("d/30-c.conf", busconfig("<policy context=\"default\"><allow own=\"c\"/></policy>"));
        write("d/15-broken.conf", "<busconfig>\n<policy context=\"sometimes\"/>\n</busconfig>");
        write("d/not-a-conf.txt", "garbage");
        Path top = write("top.conf", busconfig("""
                <listen>x:</listen>
                <includedir>d</includedir>
                <includedir>missing.d</includedir>
                """));

        BusConfig c = BusConfig.load(top, ENV);

        assertThat(c.policy().sections()).extracting(s -> ((OwnRule) s.rules().getFirst()).name())
                .containsExactly("a", "b", "c");
        assertThat(c.configDirs()).containsExactly(dir.resolve("d"));
        assertThat(c.warnings()).singleElement().satisfies(w -> {
            assertThat(w.file()).isEqualTo(dir.resolve("d/15-broken.conf"));
            assertThat(w.line()).isEqualTo(2);
            assertThat(w.reason()).contains("\"default\" or \"mandatory\"");
        });
    }

    @Test
    void shouldSkipSelinuxOnlyIncludesWithoutSelinux() throws Exception {
        Path top = write("top.conf", busconfig("""
                <listen>x:</listen>
                <include if_selinux_enabled="yes" selinux_root_relative="yes">contexts/dbus_contexts</include>
                <selinux><associate own="org.a" context="ctx_t"/></selinux>
                <apparmor mode="disabled"/>
                """));

        BusConfig c = BusConfig.load(top, ENV);

        assertThat(c.selinuxContexts()).isEqualTo(Map.of("org.a", "ctx_t"));
        assertThat(c.apparmorMode()).isEqualTo("disabled");
    }

    @Test
    void shouldReadEveryRuleAttribute() throws Exception {
        Path top = write("top.conf", busconfig("""
                <listen>x:</listen>
                <policy at_console="true">
                  <deny send_interface="i.I" send_member="M" send_destination="d.D" send_path="/p"
                        send_type="method_call" send_requested_reply="true" eavesdrop="true" log="true"
                        max_fds="3" min_fds="1"/>
                  <allow send_error="e.E" send_destination_prefix="d" send_broadcast="false" send_type="error"/>
                  <allow receive_interface="i.I" receive_member="M" receive_sender="s.S" receive_path="/p"
                         receive_type="signal" receive_requested_reply="false" eavesdrop="false"/>
                  <allow receive_error="e.E"/>
                  <allow own_prefix="o.P"/>
                </policy>
                <policy context="mandatory"><deny user="*"/><allow group="wheel"/></policy>
                """));

        BusConfig c = BusConfig.load(top, ENV);

        PolicySection console = c.policy().sections().get(0);
        assertThat(console.context()).isEqualTo(PolicyContext.AT_CONSOLE);
        assertThat(console.atConsole()).isTrue();
        String at = top + ":";
        assertThat(console.rules()).containsExactly(
                new SendRule(false, MessageType.METHOD_CALL, "/p", "i.I", "M", null, "d.D", false, Tristate.ANY,
                        true, true, true, 1, 3, at + "6"),
                new SendRule(true, MessageType.ERROR, null, null, null, "e.E", "d", true, Tristate.FALSE, true,
                        false, false, 0, ClientPolicy.MAX_MESSAGE_UNIX_FDS, at + "9"),
                new ReceiveRule(true, MessageType.SIGNAL, "/p", "i.I", "M", null, "s.S", false, false, 0,
                        ClientPolicy.MAX_MESSAGE_UNIX_FDS, at + "10"),
                new ReceiveRule(true, null, null, null, null, "e.E", null, true, false, 0,
                        ClientPolicy.MAX_MESSAGE_UNIX_FDS, at + "12"),
                new OwnRule(true, "o.P", true, at + "13"));
        assertThat(c.policy().sections().get(1).rules()).containsExactly(
                new ConnectRule(false, false, null, at + "15"),
                new ConnectRule(true, true, "wheel", at + "15"));
    }

    @Test
    void shouldRejectALimitTooLargeForAnInt() throws Exception {
        Path top = write("top.conf", busconfig("""
                <listen>x:</listen>
                <limit name="max_incoming_bytes">5000000000</limit>
                <limit name="auth_timeout">5000000000</limit>
                """));

        assertThatThrownBy(() -> BusConfig.load(top, ENV))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.line()).isEqualTo(6);
                    assertThat(e.reason()).isEqualTo("<limit name=\"auth_timeout\"> value is too large");
                });
    }

    @Test
    void shouldReadTheMetricsAddressWithTheLastOneWinning() throws Exception {
        write("extra.conf", busconfig("<metrics address=\"[::1]:9500\"/>"));
        Path top = write("top.conf", busconfig("<listen>unix:path=/x</listen>\n<metrics address=\"127.0.0.1:9464\"/>"));
        Path both = write("both.conf", busconfig("<listen>unix:path=/x</listen>\n<metrics address=\"127.0.0.1:9464\"/>\n"
                + "<include>extra.conf</include>"));

        assertThat(BusConfig.load(top, ENV).metrics()).isEqualTo(new MetricsAddress("127.0.0.1", 9464));
        assertThat(BusConfig.load(both, ENV).metrics()).isEqualTo(new MetricsAddress("::1", 9500));
    }

    @Test
    void shouldOfferTheNativeProtocolUnlessTurnedOff() throws Exception {
        Path plain = write("plain-native.conf", busconfig("<listen>unix:path=/x</listen>"));
        Path off = write("off.conf", busconfig("<listen>unix:path=/x</listen>\n<capbus_native enabled=\"false\"/>"));
        Path on = write("on.conf", busconfig("<listen>unix:path=/x</listen>\n<capbus_native enabled=\"true\"/>"));

        assertThat(BusConfig.load(plain, ENV).nativeProtocol()).isTrue();
        assertThat(BusConfig.load(off, ENV).nativeProtocol()).isFalse();
        assertThat(BusConfig.load(on, ENV).nativeProtocol()).isTrue();
        assertThat(BusConfig.builtinSession(ENV).nativeProtocol()).isTrue();
        Path bad = write("bad-native.conf", busconfig("<listen>unix:path=/x</listen>\n<capbus_native enabled=\"no\"/>"));
        assertThatThrownBy(() -> BusConfig.load(bad, ENV)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("<capbus_native> element must have enabled=\"true\" or enabled=\"false\"");
    }

    @Test
    void shouldServeNoMetricsUnlessAsked() throws Exception {
        Path file = write("plain.conf", busconfig("<listen>unix:path=/x</listen>"));

        assertThat(BusConfig.load(file, ENV).metrics()).isNull();
        assertThat(BusConfig.builtinSession(ENV).metrics()).isNull();
    }
}
