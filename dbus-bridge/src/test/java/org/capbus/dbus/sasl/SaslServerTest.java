package org.capbus.dbus.sasl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class SaslServerTest {

    private static final String GUID = "0123456789abcdef0123456789abcdef";
    private static final SaslServerConfig EXTERNAL_ONLY =
            new SaslServerConfig(List.of("EXTERNAL"), false, GUID, null, new SecureRandom());
    private static final SaslServerConfig ALL = new SaslServerConfig(List.of(), false, GUID, null, new SecureRandom());
    private static final String OK = "OK " + GUID + "\r\n";

    /** The Hello method call both clients send right after BEGIN (as captured from busctl). */
    private static final byte[] HELLO = bytes("l\1\0\1\0\0\0\0\1\0\0\0m\0\0\0\1\1o\0\25\0\0\0/org/freedesktop/DBus\0\0\0"
            + "\3\1s\0\5\0\0\0Hello\0\0\0\2\1s\0\24\0\0\0org.freedesktop.DBus\0\0\0\0"
            + "\6\1s\0\24\0\0\0org.freedesktop.DBus\0\0\0\0");

    /** sd-bus (busctl) as root: everything in one write, without waiting for any answer. */
    private static final byte[] SD_BUS = bytes("\0AUTH EXTERNAL\r\nDATA\r\nNEGOTIATE_UNIX_FD\r\nBEGIN\r\n");
    private static final String SD_BUS_ANSWER = "DATA\r\n" + OK + "AGREE_UNIX_FD\r\n";

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Feeds {@code s} whole and returns the answer. */
    private static String exchange(SaslServer server, String s) {
        byte[] b = bytes(s);
        assertThat(server.feed(b, 0, b.length)).isEqualTo(b.length);
        return text(server.takeOutput());
    }

    private static SaslServer started(SaslServerConfig config, long uid, boolean fds) {
        SaslServer server = new SaslServer(config, uid, fds);
        assertThat(exchange(server, "\0")).isEmpty();
        assertThat(server.state()).isEqualTo(SaslState.WAITING_FOR_AUTH);
        return server;
    }

    @Test
    void shouldAuthenticateTheGdbusConversation() {
        // GDBus as root: probes with a bare AUTH, then EXTERNAL with its uid ("0" = 30), waiting for
        // each answer; Hello comes after BEGIN.
        SaslServer server = new SaslServer(EXTERNAL_ONLY, 0, true);

        assertThat(exchange(server, "\0AUTH\r\n")).isEqualTo("REJECTED EXTERNAL\r\n");
        assertThat(exchange(server, "AUTH EXTERNAL 30\r\n")).isEqualTo(OK);
        assertThat(exchange(server, "NEGOTIATE_UNIX_FD\r\n")).isEqualTo("AGREE_UNIX_FD\r\n");
        byte[] begin = concat(bytes("BEGIN\r\n"), HELLO);
        int consumed = server.feed(begin, 0, begin.length);

        assertThat(consumed).isEqualTo("BEGIN\r\n".length());
        assertThat(server.state()).isEqualTo(SaslState.AUTHENTICATED);
        assertThat(server.hasOutput()).isFalse();
        assertThat(server.identity()).isEqualTo(new SaslIdentity(0, SaslMechanism.EXTERNAL, true));
    }

    @Test
    void shouldAgreeToTheNativeProtocolWhenTheBusOffersIt() {
        SaslServer server = new SaslServer(EXTERNAL_ONLY, 0, true);
        server.allowNativeProtocol(true);
        assertThat(exchange(server, "\0AUTH EXTERNAL 30\r\n")).isEqualTo(OK);
        assertThat(exchange(server, "NEGOTIATE_CAPBUS_NATIVE 1\r\n")).isEqualTo("AGREE_CAPBUS_NATIVE 1\r\n");
        assertThat(exchange(server, "BEGIN\r\n")).isEmpty();
        assertThat(server.identity()).isEqualTo(new SaslIdentity(0, SaslMechanism.EXTERNAL, false, true));
    }

    @Test
    void shouldAnswerErrorToTheNativeProtocolWhenTurnedOffOrOfAnotherVersion() {
        SaslServer off = new SaslServer(EXTERNAL_ONLY, 0, true);
        assertThat(exchange(off, "\0AUTH EXTERNAL 30\r\n")).isEqualTo(OK);
        assertThat(exchange(off, "NEGOTIATE_CAPBUS_NATIVE 1\r\n")).startsWith("ERROR");
        assertThat(exchange(off, "BEGIN\r\n")).isEmpty();
        assertThat(off.identity().nativeNegotiated()).isFalse();

        SaslServer v2 = new SaslServer(EXTERNAL_ONLY, 0, true);
        v2.allowNativeProtocol(true);
        assertThat(exchange(v2, "\0AUTH EXTERNAL 30\r\n")).isEqualTo(OK);
        assertThat(exchange(v2, "NEGOTIATE_CAPBUS_NATIVE 2\r\n")).startsWith("ERROR");
        assertThat(exchange(v2, "BEGIN\r\n")).isEmpty();
        assertThat(v2.identity().nativeNegotiated()).isFalse();
    }

    @Test
    void shouldAuthenticateTheSdBusPipelineInOneWrite() {
        SaslServer server = new SaslServer(EXTERNAL_ONLY, 0, true);
        byte[] stream = concat(SD_BUS, HELLO);

        int consumed = server.feed(stream, 0, stream.length);

        assertThat(consumed).isEqualTo(SD_BUS.length);
        assertThat(text(server.takeOutput())).isEqualTo(SD_BUS_ANSWER);
        assertThat(server.identity()).isEqualTo(new SaslIdentity(0, SaslMechanism.EXTERNAL, true));
        assertThat(server.feed(stream, consumed, stream.length - consumed)).as("done: consumes nothing").isZero();
    }

    @Test
    void shouldGiveTheSameResultForEverySplitOfThePipeline() {
        byte[] stream = concat(SD_BUS, HELLO);
        for (int split = 0; split <= stream.length; split++) {
            SaslServer server = new SaslServer(EXTERNAL_ONLY, 0, true);
            int consumed = server.feed(stream, 0, split);
            consumed += server.feed(stream, consumed, stream.length - consumed);

            assertThat(consumed).as("split at %d", split).isEqualTo(SD_BUS.length);
            assertThat(text(server.takeOutput())).as("split at %d", split).isEqualTo(SD_BUS_ANSWER);
            assertThat(server.state()).isEqualTo(SaslState.AUTHENTICATED);
        }
    }

    @Test
    void shouldAuthenticateWhenFedByteByByte() {
        byte[] stream = concat(SD_BUS, HELLO);
        SaslServer server = new SaslServer(EXTERNAL_ONLY, 0, true);
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        int consumed = 0;
        for (int i = 0; i < stream.length; i++) {
            consumed += server.feed(stream, i, 1);
            answer.writeBytes(server.takeOutput());
        }

        assertThat(consumed).isEqualTo(SD_BUS.length);
        assertThat(answer.toString(StandardCharsets.ISO_8859_1)).isEqualTo(SD_BUS_ANSWER);
        assertThat(server.identity().uid()).isZero();
    }

    @Test
    void shouldAcceptTheUidInALaterData() {
        SaslServer server = started(EXTERNAL_ONLY, 1000, true);

        assertThat(exchange(server, "AUTH EXTERNAL\r\n")).isEqualTo("DATA\r\n");
        assertThat(server.state()).isEqualTo(SaslState.WAITING_FOR_DATA);
        assertThat(exchange(server, "DATA 31303030\r\n")).isEqualTo(OK);
        assertThat(exchange(server, "BEGIN\r\n")).isEmpty();
        assertThat(server.identity()).isEqualTo(new SaslIdentity(1000, SaslMechanism.EXTERNAL, false));
    }

    @Test
    void shouldRejectExternalWithAnotherUid() {
        SaslServer server = started(EXTERNAL_ONLY, 1000, true);

        assertThat(exchange(server, "AUTH EXTERNAL 30\r\n")).isEqualTo("REJECTED EXTERNAL\r\n");
        assertThat(server.state()).isEqualTo(SaslState.WAITING_FOR_AUTH);
        assertThat(server.lastRejection()).contains("not the peer's uid 1000");
        assertThat(exchange(server, "AUTH EXTERNAL\r\n")).isEqualTo("DATA\r\n");
        assertThat(exchange(server, "DATA 31303031\r\n")).isEqualTo("REJECTED EXTERNAL\r\n");
        assertThat(exchange(server, "AUTH EXTERNAL 3130303061\r\n")).as("not a number")
                .isEqualTo("REJECTED EXTERNAL\r\n");
        assertThat(exchange(server, "AUTH EXTERNAL 31303030\r\n")).isEqualTo(OK);
    }

    @Test
    void shouldRejectExternalWithoutCredentials() {
        SaslServer server = started(EXTERNAL_ONLY, -1, false);

        assertThat(exchange(server, "AUTH EXTERNAL 30\r\n")).isEqualTo("REJECTED EXTERNAL\r\n");
    }

    @Test
    void shouldListTheOfferedMechanismsWhenRejecting() {
        assertThat(exchange(started(ALL, 1, true), "AUTH KERBEROS_V4\r\n"))
                .isEqualTo("REJECTED EXTERNAL\r\n");
        SaslServerConfig withCookies = new SaslServerConfig(List.of(), true, GUID,
                new FileCookieKeyring(java.nio.file.Path.of("/nonexistent"), "ctx", () -> 0, new SecureRandom()),
                new SecureRandom());
        assertThat(exchange(started(withCookies, 1, true), "AUTH\r\n"))
                .isEqualTo("REJECTED EXTERNAL DBUS_COOKIE_SHA1 ANONYMOUS\r\n");
        SaslServerConfig ordered = new SaslServerConfig(List.of("ANONYMOUS", "BOGUS", "EXTERNAL"), true, GUID, null,
                new SecureRandom());
        assertThat(exchange(started(ordered, 1, true), "AUTH\r\n")).isEqualTo("REJECTED EXTERNAL ANONYMOUS\r\n");
    }

    @Test
    void shouldAuthenticateAnonymousOnlyWhenAllowed() {
        assertThat(exchange(started(ALL, 1, true), "AUTH ANONYMOUS\r\n")).isEqualTo("REJECTED EXTERNAL\r\n");

        SaslServerConfig anon = new SaslServerConfig(List.of(), true, GUID, null, new SecureRandom());
        SaslServer server = started(anon, -1, false);
        assertThat(exchange(server, "AUTH ANONYMOUS 7472616365\r\n")).isEqualTo(OK);
        assertThat(exchange(server, "BEGIN\r\n")).isEmpty();
        assertThat(server.identity()).isEqualTo(new SaslIdentity(-1, SaslMechanism.ANONYMOUS, false));
        assertThat(server.identity().isAnonymous()).isTrue();

        assertThat(exchange(started(anon, -1, false), "AUTH ANONYMOUS ff\r\n")).as("trace not UTF-8")
                .isEqualTo("REJECTED EXTERNAL ANONYMOUS\r\n");
    }

    @Test
    void shouldRequireTheLeadingNul() {
        SaslServer server = new SaslServer(ALL, 0, true);
        byte[] b = bytes("AUTH EXTERNAL 30\r\n");

        assertThat(server.feed(b, 0, b.length)).isEqualTo(1);
        assertThat(server.state()).isEqualTo(SaslState.FAILED);
        assertThat(server.violation()).isEqualTo(SaslViolation.NO_LEADING_NUL);
        assertThat(server.hasOutput()).isFalse();
    }

    @Test
    void shouldDisconnectOnBeginBeforeOk() {
        SaslServer waitingForAuth = started(ALL, 0, true);
        exchange(waitingForAuth, "BEGIN\r\n");
        assertThat(waitingForAuth.violation()).isEqualTo(SaslViolation.BEGIN_BEFORE_OK);

        SaslServer waitingForData = started(ALL, 0, true);
        exchange(waitingForData, "AUTH EXTERNAL\r\n");
        exchange(waitingForData, "BEGIN\r\n");
        assertThat(waitingForData.state()).isEqualTo(SaslState.FAILED);
        assertThat(waitingForData.violation()).isEqualTo(SaslViolation.BEGIN_BEFORE_OK);
        assertThat(waitingForData.identity()).isNull();
    }

    @Test
    void shouldAnswerMisplacedCommandsWithErrorsAsDbusDaemon() {
        SaslServer s = started(ALL, 0, true);
        assertThat(exchange(s, "DATA 00\r\n")).isEqualTo("ERROR \"Not currently in an auth conversation\"\r\n");
        assertThat(exchange(s, "NEGOTIATE_UNIX_FD\r\n")).isEqualTo("ERROR \"Need to authenticate first\"\r\n");
        assertThat(exchange(s, "HELLO\r\n")).isEqualTo("ERROR \"Unknown command\"\r\n");
        assertThat(exchange(s, "OK 00\r\n")).isEqualTo("ERROR \"Unknown command\"\r\n");
        assertThat(exchange(s, "REJECTED\r\n")).isEqualTo("ERROR \"Unknown command\"\r\n");
        assertThat(exchange(s, "auth EXTERNAL\r\n")).as("case-sensitive").isEqualTo("ERROR \"Unknown command\"\r\n");
        assertThat(exchange(s, "AUTH EXTERNAL 3g\r\n")).isEqualTo("ERROR \"Invalid hex encoding\"\r\n");
        assertThat(exchange(s, "AUTH \u00e9\r\n")).isEqualTo("ERROR \"Command contained non-ASCII\"\r\n");
        assertThat(s.state()).isEqualTo(SaslState.WAITING_FOR_AUTH);

        assertThat(exchange(s, "AUTH EXTERNAL\r\n")).isEqualTo("DATA\r\n");
        assertThat(exchange(s, "AUTH EXTERNAL\r\n")).isEqualTo("ERROR \"Sent AUTH while another AUTH in progress\"\r\n");
        assertThat(exchange(s, "NEGOTIATE_UNIX_FD\r\n")).isEqualTo("ERROR \"Need to authenticate first\"\r\n");
        assertThat(exchange(s, "DATA 3\r\n")).isEqualTo("ERROR \"Invalid hex encoding\"\r\n");
        assertThat(exchange(s, "FOO\r\n")).isEqualTo("ERROR \"Unknown command\"\r\n");
        assertThat(s.state()).isEqualTo(SaslState.WAITING_FOR_DATA);

        assertThat(exchange(s, "DATA\r\n")).isEqualTo(OK);
        assertThat(exchange(s, "AUTH EXTERNAL\r\n")).isEqualTo("ERROR \"Sent AUTH while expecting BEGIN\"\r\n");
        assertThat(exchange(s, "DATA\r\n")).isEqualTo("ERROR \"Not expecting DATA\"\r\n");
        assertThat(exchange(s, "FOO\r\n")).isEqualTo("ERROR \"Unknown command\"\r\n");
        assertThat(s.state()).isEqualTo(SaslState.WAITING_FOR_BEGIN);
    }

    @Test
    void shouldStartOverOnCancelOrErrorInEveryState() {
        SaslServer s = started(ALL, 0, true);
        assertThat(exchange(s, "CANCEL\r\n")).isEqualTo("REJECTED EXTERNAL\r\n");
        assertThat(exchange(s, "ERROR \"whatever\"\r\n")).isEqualTo("REJECTED EXTERNAL\r\n");

        exchange(s, "AUTH EXTERNAL\r\n");
        assertThat(exchange(s, "CANCEL\r\n")).isEqualTo("REJECTED EXTERNAL\r\n");
        assertThat(s.state()).isEqualTo(SaslState.WAITING_FOR_AUTH);
        assertThat(exchange(s, "AUTH EXTERNAL\r\n")).as("asks again after a reset").isEqualTo("DATA\r\n");

        assertThat(exchange(s, "DATA\r\n")).isEqualTo(OK);
        assertThat(exchange(s, "NEGOTIATE_UNIX_FD\r\n")).isEqualTo("AGREE_UNIX_FD\r\n");
        assertThat(exchange(s, "ERROR\r\n")).isEqualTo("REJECTED EXTERNAL\r\n");
        assertThat(s.state()).isEqualTo(SaslState.WAITING_FOR_AUTH);

        assertThat(exchange(s, "AUTH EXTERNAL 30\r\n")).isEqualTo(OK);
        exchange(s, "BEGIN\r\n");
        assertThat(s.identity().unixFdsNegotiated()).as("the earlier agreement was reset").isFalse();
    }

    @Test
    void shouldRefuseUnixFdsWhereTheTransportCannotPassThem() {
        SaslServer s = started(ALL, 0, false);
        exchange(s, "AUTH EXTERNAL 30\r\n");

        assertThat(exchange(s, "NEGOTIATE_UNIX_FD\r\n")).isEqualTo(
                "ERROR \"Unix FD passing not supported, not authenticated or otherwise not possible\"\r\n");
        exchange(s, "BEGIN\r\n");
        assertThat(s.identity().unixFdsNegotiated()).isFalse();
    }

    @Test
    void shouldDisconnectAfterTheSixthRejection() {
        SaslServer s = started(EXTERNAL_ONLY, 1000, true);
        for (int i = 1; i < SaslServer.MAX_REJECTIONS; i++) {
            assertThat(exchange(s, "AUTH EXTERNAL 30\r\n")).isEqualTo("REJECTED EXTERNAL\r\n");
            assertThat(s.state()).isEqualTo(SaslState.WAITING_FOR_AUTH);
        }

        assertThat(exchange(s, "AUTH EXTERNAL 30\r\n")).isEqualTo("REJECTED EXTERNAL\r\n");
        assertThat(s.state()).isEqualTo(SaslState.FAILED);
        assertThat(s.violation()).isEqualTo(SaslViolation.TOO_MANY_REJECTIONS);
    }

    @Test
    void shouldDisconnectOnALineLongerThanTheLimit() {
        SaslServer atLimit = started(ALL, 0, true);
        assertThat(exchange(atLimit, "X".repeat(SaslServer.MAX_LINE_LENGTH) + "\r\n"))
                .isEqualTo("ERROR \"Unknown command\"\r\n");
        assertThat(atLimit.state()).isEqualTo(SaslState.WAITING_FOR_AUTH);

        SaslServer over = started(ALL, 0, true);
        byte[] longLine = bytes("X".repeat(SaslServer.MAX_LINE_LENGTH + 1));
        int consumed = 0;
        for (int i = 0; i < longLine.length && !over.isDone(); i += 1000) {
            consumed += over.feed(longLine, i, Math.min(1000, longLine.length - i));
        }
        over.feed(bytes("Y"), 0, 1);
        assertThat(over.state()).isEqualTo(SaslState.FAILED);
        assertThat(over.violation()).isEqualTo(SaslViolation.LINE_TOO_LONG);
        assertThat(consumed).isLessThanOrEqualTo(longLine.length);
    }

    @Test
    void shouldAuthenticateWithACookieComputedAsAClientWould(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        FileCookieKeyring keyring = new FileCookieKeyring(dir.resolve("keyrings"),
                FileCookieKeyring.GENERAL_CONTEXT, () -> 1_700_000_000L, new SecureRandom());
        SaslServerConfig config = new SaslServerConfig(List.of("DBUS_COOKIE_SHA1"), false, GUID, keyring,
                new SecureRandom());
        SaslServer s = started(config, 1000, true);

        String data = exchangeWithKeyring(s, "AUTH DBUS_COOKIE_SHA1 " + hex("1000") + "\r\n");
        assertThat(data).startsWith("DATA ").endsWith("\r\n");
        String[] challenge = unhex(data.substring(5, data.length() - 2)).split(" ");
        assertThat(challenge).hasSize(3);
        assertThat(challenge[0]).isEqualTo("org_freedesktop_general");
        String cookie = secretOf(keyring, challenge[1]);
        String clientChallenge = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
        String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(
                (challenge[2] + ":" + clientChallenge + ":" + cookie).getBytes(StandardCharsets.US_ASCII)));

        assertThat(exchange(s, "DATA " + hex(clientChallenge + " " + hash) + "\r\n")).isEqualTo(OK);
        exchange(s, "BEGIN\r\n");
        assertThat(s.identity()).isEqualTo(new SaslIdentity(1000, SaslMechanism.DBUS_COOKIE_SHA1, false));
    }

    /** A live upgrade replays the conversation into a new server with the challenge the first one sent. */
    @Test
    void shouldCheckTheAnswerAgainstAReplayedChallenge(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        FileCookieKeyring keyring = new FileCookieKeyring(dir.resolve("keyrings"),
                FileCookieKeyring.GENERAL_CONTEXT, () -> 1_700_000_000L, new SecureRandom());
        SaslServerConfig config = new SaslServerConfig(List.of("DBUS_COOKIE_SHA1"), false, GUID, keyring,
                new SecureRandom());
        SaslServer first = started(config, 1000, true);
        String auth = "AUTH DBUS_COOKIE_SHA1 " + hex("1000") + "\r\n";
        String data = exchangeWithKeyring(first, auth);
        String[] challenge = unhex(data.substring(5, data.length() - 2)).split(" ");
        SaslServer.CookieChallenge sent = first.cookieChallenge();
        assertThat(sent.serverChallenge()).isEqualTo(challenge[2]);
        assertThat(Long.toString(sent.cookie().id())).isEqualTo(challenge[1]);
        String clientChallenge = "00112233445566778899aabbccddeeff";
        String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(
                (challenge[2] + ":" + clientChallenge + ":" + secretOf(keyring, challenge[1]))
                        .getBytes(StandardCharsets.US_ASCII)));

        // The next process: the same lines, the same challenge where the keyring was read, then the client's answer.
        SaslServer next = started(config, 1000, true);
        byte[] replay = bytes(auth);
        assertThat(next.feed(replay, 0, replay.length)).isEqualTo(replay.length);
        assertThat(next.state()).isEqualTo(SaslState.WAITING_FOR_KEYRING);
        next.replayChallenge(sent);
        assertThat(text(next.takeOutput())).isEqualTo(data);
        assertThat(exchange(next, "DATA " + hex(clientChallenge + " " + hash) + "\r\n")).isEqualTo(OK);
        // Without it, the new server's own challenge cannot match the answer.
        SaslServer fresh = started(config, 1000, true);
        exchangeWithKeyring(fresh, auth);
        assertThat(exchange(fresh, "DATA " + hex(clientChallenge + " " + hash) + "\r\n")).startsWith("REJECTED");
    }

    @Test
    void shouldRejectAWrongCookieHashOrAnotherUser(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        FileCookieKeyring keyring = new FileCookieKeyring(dir.resolve("keyrings"),
                FileCookieKeyring.GENERAL_CONTEXT, () -> 1_700_000_000L, new SecureRandom());
        SaslServerConfig config = new SaslServerConfig(List.of("DBUS_COOKIE_SHA1"), false, GUID, keyring,
                new SecureRandom());
        SaslServer s = started(config, 1000, true);

        assertThat(exchange(s, "AUTH DBUS_COOKIE_SHA1 " + hex("0") + "\r\n")).isEqualTo("REJECTED DBUS_COOKIE_SHA1\r\n");
        assertThat(exchangeWithKeyring(s, "AUTH DBUS_COOKIE_SHA1 " + hex("1000") + "\r\n")).startsWith("DATA ");
        assertThat(exchange(s, "DATA " + hex("abcd " + "0".repeat(40)) + "\r\n"))
                .isEqualTo("REJECTED DBUS_COOKIE_SHA1\r\n");
        assertThat(s.lastRejection()).contains("hash mismatch");
        assertThat(exchangeWithKeyring(s, "AUTH DBUS_COOKIE_SHA1 " + hex("1000") + "\r\n")).startsWith("DATA ");
        assertThat(exchange(s, "DATA " + hex("nospace") + "\r\n")).isEqualTo("REJECTED DBUS_COOKIE_SHA1\r\n");
    }

    @Test
    void shouldLeaveTheKeyringToItsOwnerAndWaitForTheCookie() throws Exception {
        java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
        CookieKeyring keyring = new CookieKeyring() {
            @Override
            public String context() {
                return "ctx";
            }

            @Override
            public Cookie cookieForChallenge() {
                reads.incrementAndGet();
                return new Cookie(7, "secret");
            }
        };
        SaslServerConfig config = new SaslServerConfig(List.of("DBUS_COOKIE_SHA1"), false, GUID, keyring,
                new SecureRandom());
        SaslServer s = started(config, 1000, true);

        byte[] auth = bytes("AUTH DBUS_COOKIE_SHA1 " + hex("1000") + "\r\n");
        assertThat(s.feed(auth, 0, auth.length)).isEqualTo(auth.length);
        assertThat(reads).as("the keyring is file I/O: not read on the caller's thread").hasValue(0);
        assertThat(s.state()).isEqualTo(SaslState.WAITING_FOR_KEYRING);
        assertThat(s.hasOutput()).isFalse();
        byte[] early = bytes("DATA 00\r\n");
        assertThat(s.feed(early, 0, early.length)).as("input waits for the cookie").isZero();

        s.cookieReady(s.keyring().cookieForChallenge());
        assertThat(text(s.takeOutput())).startsWith("DATA ");
        assertThat(s.state()).isEqualTo(SaslState.WAITING_FOR_DATA);
    }

    @Test
    void shouldRejectTheAttemptWhenTheKeyringFails() {
        SaslServerConfig config = new SaslServerConfig(List.of("DBUS_COOKIE_SHA1"), false, GUID,
                new FileCookieKeyring(java.nio.file.Path.of("/nonexistent"), "ctx", () -> 0, new SecureRandom()),
                new SecureRandom());
        SaslServer s = started(config, 1000, true);
        byte[] auth = bytes("AUTH DBUS_COOKIE_SHA1 " + hex("1000") + "\r\n");
        s.feed(auth, 0, auth.length);

        s.cookieFailed("cannot create /nonexistent");

        assertThat(text(s.takeOutput())).isEqualTo("REJECTED DBUS_COOKIE_SHA1\r\n");
        assertThat(s.state()).isEqualTo(SaslState.WAITING_FOR_AUTH);
        assertThat(s.lastRejection()).contains("/nonexistent");
    }

    /** Feeds {@code s}, which must stop for the keyring; reads the keyring as the owner would, and answers. */
    private static String exchangeWithKeyring(SaslServer server, String s) {
        byte[] b = bytes(s);
        assertThat(server.feed(b, 0, b.length)).isEqualTo(b.length);
        assertThat(server.state()).isEqualTo(SaslState.WAITING_FOR_KEYRING);
        try {
            server.cookieReady(server.keyring().cookieForChallenge());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return text(server.takeOutput());
    }

    private static String secretOf(FileCookieKeyring keyring, String id) throws Exception {
        for (String line : java.nio.file.Files.readAllLines(keyring.file())) {
            String[] f = line.split(" ");
            if (f[0].equals(id)) {
                return f[2];
            }
        }
        throw new AssertionError("no cookie " + id);
    }

    private static String hex(String s) {
        return HexFormat.of().formatHex(s.getBytes(StandardCharsets.US_ASCII));
    }

    private static String unhex(String s) {
        return new String(HexFormat.of().parseHex(s), StandardCharsets.US_ASCII);
    }
}
