package org.capbus.dbus.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.HexFormat;

import org.capbus.dbus.io.ConnectionHandler;
import org.capbus.dbus.io.PeerCredentials;
import org.capbus.dbus.sasl.FileCookieKeyring;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * DBUS_COOKIE_SHA1 through a whole bus: the keyring (files, and a lock another process may hold) is read off the
 * event loop, and the conversation goes on when the answer comes back to the loop.
 */
class AuthenticationTest {
    private TestBus bus;

    @AfterEach
    void close() {
        if (bus != null) {
            bus.close();
        }
    }

    private static ByteBuffer ascii(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }

    private static String hex(String s) {
        return HexFormat.of().formatHex(s.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void shouldReadTheCookieKeyringOffTheLoopAndGoOnWhenItAnswers() throws Exception {
        bus = new TestBus("<auth>DBUS_COOKIE_SHA1</auth>");
        FakeTransport t = new FakeTransport(new PeerCredentials(TestBus.UID, TestBus.UID, 7, new long[0], null));
        ConnectionHandler h = bus.bus.accept(t);

        h.onData(ascii("\0AUTH DBUS_COOKIE_SHA1 " + hex(Long.toString(TestBus.UID)) + "\r\n"));
        assertThat(t.written.size()).as("no answer before the keyring was read").isZero();
        assertThat(bus.blockingTasks).as("the keyring read, handed off the loop").hasSize(1);
        assertThat(Files.exists(bus.dir.resolve("keyrings"))).as("nothing read on the loop").isFalse();

        bus.runBlocking();
        String data = t.written.toString(StandardCharsets.US_ASCII);
        assertThat(data).startsWith("DATA ").endsWith("\r\n");
        String[] challenge = new String(HexFormat.of().parseHex(data.substring(5, data.length() - 2)),
                StandardCharsets.US_ASCII).split(" ");
        String secret = null;
        for (String line : Files.readAllLines(bus.dir.resolve("keyrings").resolve(FileCookieKeyring.GENERAL_CONTEXT))) {
            String[] f = line.split(" ");
            if (f[0].equals(challenge[1])) {
                secret = f[2];
            }
        }
        String clientChallenge = "00112233445566778899aabbccddeeff";
        String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(
                (challenge[2] + ":" + clientChallenge + ":" + secret).getBytes(StandardCharsets.US_ASCII)));
        t.written.reset();
        h.onData(ascii("DATA " + hex(clientChallenge + " " + hash) + "\r\n"));

        assertThat(t.written.toString(StandardCharsets.US_ASCII)).startsWith("OK ");
    }

    @Test
    void shouldKeepWhatArrivesWhileTheKeyringIsReadAndForgetAClientThatLeft() {
        bus = new TestBus("<auth>DBUS_COOKIE_SHA1</auth>");
        FakeTransport t = new FakeTransport(new PeerCredentials(TestBus.UID, TestBus.UID, 7, new long[0], null));
        ConnectionHandler h = bus.bus.accept(t);
        h.onData(ascii("\0AUTH DBUS_COOKIE_SHA1 " + hex(Long.toString(TestBus.UID)) + "\r\n"));
        h.onData(ascii("CANCEL\r\n"));

        bus.runBlocking();
        assertThat(t.written.toString(StandardCharsets.US_ASCII)).as("the challenge, then CANCEL's answer")
                .startsWith("DATA ").contains("\r\nREJECTED");

        FakeTransport gone = new FakeTransport(new PeerCredentials(TestBus.UID, TestBus.UID, 8, new long[0], null));
        ConnectionHandler g = bus.bus.accept(gone);
        g.onData(ascii("\0AUTH DBUS_COOKIE_SHA1 " + hex(Long.toString(TestBus.UID)) + "\r\n"));
        gone.closed = true;
        g.onClosed();
        bus.runBlocking();
        assertThat(gone.written.size()).isZero();
    }
}
