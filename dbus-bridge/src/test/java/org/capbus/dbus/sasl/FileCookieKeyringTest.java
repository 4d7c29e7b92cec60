package org.capbus.dbus.sasl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileCookieKeyringTest {

    private static final long T0 = 1_700_000_000L;

    @TempDir
    Path home;

    private final AtomicLong now = new AtomicLong(T0);

    private FileCookieKeyring keyring() {
        return new FileCookieKeyring(home.resolve(".dbus-keyrings"), FileCookieKeyring.GENERAL_CONTEXT, now::get,
                new SecureRandom());
    }

    @Test
    void shouldCreateAPrivateDirectoryAndFileInLibdbusFormat() throws IOException {
        FileCookieKeyring k = keyring();

        CookieKeyring.Cookie c = k.cookieForChallenge();

        Path dir = home.resolve(".dbus-keyrings");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(k.file()))).isEqualTo("rw-------");
        assertThat(Files.readAllLines(k.file())).containsExactly(c.id() + " " + T0 + " " + c.secret());
        assertThat(c.secret()).matches("[0-9a-f]{48}");
        assertThat(Files.exists(dir.resolve("org_freedesktop_general.lock"))).as("lock released").isFalse();
    }

    @Test
    void shouldReuseACookieForFiveMinutesThenAddANewOne() throws IOException {
        FileCookieKeyring k = keyring();
        CookieKeyring.Cookie first = k.cookieForChallenge();

        now.addAndGet(FileCookieKeyring.NEW_KEY_TIMEOUT_SECONDS - 1);
        assertThat(k.cookieForChallenge()).isEqualTo(first);

        now.addAndGet(1);
        CookieKeyring.Cookie second = k.cookieForChallenge();
        assertThat(second).isNotEqualTo(first);
        assertThat(Files.readAllLines(k.file())).hasSize(2).as("the old one stays for late answers");
    }

    @Test
    void shouldDropExpiredFutureAndMalformedCookies() throws IOException {
        FileCookieKeyring k = keyring();
        Files.createDirectories(home.resolve(".dbus-keyrings"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        long expired = T0 - FileCookieKeyring.EXPIRE_KEYS_TIMEOUT_SECONDS - 1;
        long future = T0 + FileCookieKeyring.MAX_TIME_TRAVEL_SECONDS + 1;
        long old = T0 - FileCookieKeyring.NEW_KEY_TIMEOUT_SECONDS - 10;
        Files.write(k.file(), List.of("1 " + expired + " aa", "2 " + future + " bb", "three 4 cc", "4 " + old + " dd",
                "5 " + (T0 - 10) + " zz"));

        CookieKeyring.Cookie c = k.cookieForChallenge();

        assertThat(c.id()).isNotIn(1L, 2L, 4L, 5L);
        List<String> lines = Files.readAllLines(k.file());
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).isEqualTo("4 " + old + " dd");
        assertThat(lines.get(1)).startsWith(c.id() + " " + T0 + " ");
    }

    @Test
    void shouldUseARecentCookieWrittenByAnotherProcess() throws IOException {
        FileCookieKeyring k = keyring();
        Files.createDirectories(home.resolve(".dbus-keyrings"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.write(k.file(), List.of("42 " + (T0 - 60) + " 00112233"));

        assertThat(k.cookieForChallenge()).isEqualTo(new CookieKeyring.Cookie(42, "00112233"));
    }

    @Test
    void shouldRefuseADirectoryOthersCanAccess() throws IOException {
        Files.createDirectories(home.resolve(".dbus-keyrings"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-x---")));

        assertThatThrownBy(() -> keyring().cookieForChallenge()).isInstanceOf(IOException.class)
                .hasMessageContaining("accessible by others");
    }
}
