package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The driver's own answers where dbus-daemon's are specific (issue 8): unique names from {@code :1.0}, Properties
 * on an interface the bus object lacks (UnknownInterface), the Features property with {@code --systemd-activation},
 * and the hardening of UpdateActivationEnvironment and BecomeMonitor: only root or the bus's own user, only at
 * {@code /org/freedesktop/DBus}, and never UpdateActivationEnvironment on a bus with a {@code <servicehelper>} (the
 * system bus). The scenarios are compat.py's "driver", "features" and "privileged".
 */
class DriverAnswersIT {
    private static final TestBus.Shared BUSES = new TestBus.Shared();
    /** The user the refused caller runs as: nobody, in Debian's passwd. */
    private static final int OTHER_UID = 65534;

    @AfterAll
    static void stopBuses() {
        BUSES.close();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldAnswerPropertiesAndUpdateActivationEnvironmentAsDbusDaemon(BusKind kind) {
        try (TestBus bus = TestBus.start(kind)) {
            String out = Clients.python(bus, "compat.py", "driver").stdout();
            String unknown = "org.freedesktop.DBus.Error.UnknownInterface Interface \"org.capbus.Nope\" not found";
            assertThat(out.lines()).as("[%s]", kind).containsExactly(
                    "unique-names :1.0 :1.1",
                    "get-unknown " + unknown,
                    "getall-unknown " + unknown,
                    "getall-empty org.freedesktop.DBus.Error.UnknownInterface Interface \"\" not found",
                    "set-unknown " + unknown,
                    "get-unknown-property org.freedesktop.DBus.Error.UnknownProperty"
                            + " Property \"org.freedesktop.DBus.Nope\" not found",
                    "get-peer-property org.freedesktop.DBus.Error.UnknownProperty"
                            + " Property \"org.freedesktop.DBus.Peer.X\" not found",
                    "set-read-only org.freedesktop.DBus.Error.PropertyReadOnly"
                            + " Property 'org.freedesktop.DBus.Features' cannot be set",
                    "uae-canonical OK",
                    "uae-other-path org.freedesktop.DBus.Error.AccessDenied Method 'UpdateActivationEnvironment' is"
                            + " only available at the canonical object path '/org/freedesktop/DBus'");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldListSystemdActivationInFeaturesOnlyWhenAsked(BusKind kind) {
        try (TestBus plain = TestBus.start(kind)) {
            assertThat(Clients.python(plain, "compat.py", "features").stdout().trim()).isEqualTo("False");
        }
        try (TestBus systemd = TestBus.start(kind, false, List.of("--systemd-activation"))) {
            assertThat(Clients.python(systemd, "compat.py", "features").stdout().trim()).isEqualTo("True");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldRefuseThePrivilegedMethodsToAnotherUser(BusKind kind) {
        String config = TestBus.configuration(false).replace("</policy>", "    <allow user=\"*\"/>\n  </policy>");
        try (TestBus bus = TestBus.startWithConfiguration(kind, config)) {
            String script = openToOtherUsers(bus);
            ClientResult r = Clients.run(bus.clientEnvironment(), Clients.CLIENT_BOUND, List.of("setpriv",
                    "--reuid=" + OTHER_UID, "--regid=" + OTHER_UID, "--clear-groups", Clients.PYTHON, script,
                    "privileged"));
            assertThat(r.exitCode()).as(r.describe()).isZero();
            String refused = "org.freedesktop.DBus.Error.AccessDenied rejected attempt to call %s by connection :1.0"
                    + " (uid=" + OTHER_UID + " pid=P comm=C) with uid " + OTHER_UID;
            assertThat(r.stdout().lines()).as("[%s]", kind).containsExactly(
                    "uae " + refused.formatted("UpdateActivationEnvironment"),
                    "uae-other-path " + refused.formatted("UpdateActivationEnvironment"),
                    "monitor " + refused.formatted("BecomeMonitor"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldRefuseUpdateActivationEnvironmentWithAServiceHelper(BusKind kind) {
        String config = TestBus.configuration(false).replace("<type>session</type>", "<type>system</type>")
                .replace("</busconfig>", "  <servicehelper>/usr/lib/dbus-1.0/dbus-daemon-launch-helper</servicehelper>\n"
                        + "</busconfig>");
        try (TestBus bus = TestBus.startWithConfiguration(kind, config)) {
            ClientResult r = Clients.run(bus, "dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
                    "/org/freedesktop/DBus", "org.freedesktop.DBus.UpdateActivationEnvironment", "dict:string:string:A,b");
            assertThat(r.exitCode()).as(r.describe()).isNotZero();
            assertThat(r.stderr()).as("[%s]", kind).contains("org.freedesktop.DBus.Error.AccessDenied",
                    "Cannot change activation environment on a system bus.");
        }
    }

    /** Lets another user reach the socket and read the script: a copy of compat.py in the bus's directory. */
    private static String openToOtherUsers(TestBus bus) {
        try {
            Files.setPosixFilePermissions(bus.directory(), PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setPosixFilePermissions(bus.socket(), PosixFilePermissions.fromString("rwxrwxrwx"));
            Path copy = bus.directory().resolve("compat.py");
            Files.copy(Path.of(Clients.resource("compat.py")), copy);
            Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
            return copy.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
