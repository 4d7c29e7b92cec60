package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real session services from Debian packages, started by the bus on their first message, as a desktop session
 * starts them: each scenario runs {@code dbus-run-session --dbus-daemon=<bus>} with the bus's built-in session
 * configuration (the standard session service directories, /usr/share/dbus-1/services among them) in a fresh home
 * and runtime directory, against capbus and dbus-daemon alike.
 */
class SessionServicesIT {
    private static final Duration BOUND = Duration.ofSeconds(90);

    @TempDir
    Path home;

    /** A fresh user session's environment: its own home, XDG directories and runtime directory; no inherited bus. */
    private Map<String, String> session(BusKind kind) throws IOException {
        Path runtime = Files.createDirectories(home.resolve("run"));
        Files.setPosixFilePermissions(runtime, PosixFilePermissions.fromString("rwx------"));
        Map<String, String> env = new HashMap<>(kind.environment());
        env.put("HOME", home.toString());
        env.put("XDG_CONFIG_HOME", home.resolve(".config").toString());
        env.put("XDG_DATA_HOME", home.resolve(".local/share").toString());
        env.put("XDG_CACHE_HOME", home.resolve(".cache").toString());
        env.put("XDG_RUNTIME_DIR", runtime.toString());
        env.put("DBUS_SESSION_BUS_ADDRESS", "unix:path=" + home.resolve("no-inherited-bus"));
        env.put("LANG", "C.UTF-8");
        return env;
    }

    private ClientResult inSession(BusKind kind, List<String> wrapper, String script) throws IOException {
        List<String> command = new ArrayList<>(wrapper);
        command.addAll(List.of("dbus-run-session", "--dbus-daemon=" + kind.executable(), "--", "/bin/sh", "-c",
                script));
        ClientResult r = Clients.run(session(kind), BOUND, command);
        assertThat(r.exitCode()).as("[%s] %s", kind, r.describe()).isZero();
        return r;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldKeepASettingThroughTheActivatedDconfService(BusKind kind) throws IOException {
        // gsettings exits 0 whether or not the write reached dconf-service; a second session reads it back from
        // the database dconf-service wrote.
        inSession(kind, List.of(), "gsettings set org.gnome.desktop.interface clock-format 12h");
        assertThat(home.resolve(".config/dconf/user")).as("[%s] dconf-service wrote its database", kind).exists();
        ClientResult read = inSession(kind, List.of(), "gsettings get org.gnome.desktop.interface clock-format");
        assertThat(read.stdout().strip()).isEqualTo("'12h'");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldStoreAndLookUpASecretThroughTheActivatedGnomeKeyring(BusKind kind) throws IOException {
        // gnome-keyring creates a new user's default collection only through a password prompt (a display and a
        // prompter); a keyring with an empty password is stored unencrypted and opens without one, as on a desktop
        // whose user chose no keyring password. The secret goes into it through org.freedesktop.secrets, which
        // /usr/share/dbus-1/services/org.freedesktop.secrets.service starts (gnome-keyring-daemon --foreground
        // --components=secrets); a second session, with a newly activated daemon, reads it back from the file.
        Path keyrings = Files.createDirectories(home.resolve(".local/share/keyrings"));
        Files.writeString(keyrings.resolve("default"), "login");
        Files.writeString(keyrings.resolve("login.keyring"), """
                [keyring]
                display-name=login
                ctime=0
                mtime=0
                lock-on-idle=false
                lock-after=false
                """);
        String secret = "capbus-it secret " + java.util.UUID.randomUUID();
        ClientResult stored = inSession(kind, List.of(), "printf %s '" + secret + "'"
                + " | secret-tool store --label='capbus IT' service capbus-it account tester"
                + " && secret-tool lookup service capbus-it account tester");
        assertThat(stored.stdout()).as("[%s] %s", kind, stored.describe()).isEqualTo(secret);
        // The bus started the daemon for secret-tool's first call (both buses log dbus-daemon's lines).
        assertThat(stored.stderr()).as("[%s] %s", kind, stored.describe())
                .contains("Activating service name='org.freedesktop.secrets'")
                .contains("Successfully activated service 'org.freedesktop.secrets'");
        assertThat(Files.readString(keyrings.resolve("login.keyring"))).as("[%s] gnome-keyring wrote the item", kind)
                .contains("secret=" + secret, "value=capbus-it");

        ClientResult read = inSession(kind, List.of(), "secret-tool lookup service capbus-it account tester");
        assertThat(read.stdout()).as("[%s] %s", kind, read.describe()).isEqualTo(secret);
        assertThat(read.stderr()).contains("Successfully activated service 'org.freedesktop.secrets'");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.capbus.deploy.it.BusKind#selected")
    void shouldOpenAGnomeTerminalAndTheAccessibilityBus(BusKind kind) throws IOException {
        // The README's example: gnome-terminal asks the bus for org.gnome.Terminal (gnome-terminal-server, activated)
        // and waits for its window's command; then at-spi's bus launcher (org.a11y.Bus), activated by its first call.
        // A display number of its own: xvfb-run -a only checks lock files, so two runs starting at :99 can collide.
        String display = Integer.toString(100 + java.util.concurrent.ThreadLocalRandom.current().nextInt(800));
        ClientResult r = inSession(kind, List.of("xvfb-run", "-a", "-n", display), "gnome-terminal --wait -- true"
                + " && gdbus call --session --dest org.a11y.Bus --object-path /org/a11y/bus"
                + " --method org.a11y.Bus.GetAddress");
        assertThat(r.stdout()).contains("('unix:");
    }
}
