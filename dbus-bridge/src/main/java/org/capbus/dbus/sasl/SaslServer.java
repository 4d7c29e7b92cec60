package org.capbus.dbus.sasl;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * The server side of the D-Bus authentication protocol for one connection (D-Bus specification,
 * "Authentication Protocol"), as dbus-daemon's {@code dbus-auth.c} plays it: the same commands,
 * answers, error texts and limits.
 *
 * <p>A state machine without I/O: {@link #feed} takes bytes as they arrive, split anywhere, and says
 * how many it consumed; {@link #takeOutput} gives the lines to write. When {@link #state()} becomes
 * {@link SaslState#AUTHENTICATED}, the bytes after {@code BEGIN\r\n} that were not consumed belong to
 * the message stream: clients pipeline {@code AUTH}, {@code NEGOTIATE_UNIX_FD}, {@code BEGIN} and
 * their {@code Hello} call in one write. When it becomes {@link SaslState#FAILED}, the caller closes
 * the connection (after writing any output, if it wishes); {@link #violation()} says why.
 *
 * <p>Owned by the connection, used on its event-loop thread only. It does no I/O: when DBUS_COOKIE_SHA1 needs a
 * cookie, the state becomes {@link SaslState#WAITING_FOR_KEYRING} and the owner reads {@link #keyring()} off the
 * loop, then hands the result back ({@link #cookieReady}, {@link #cookieFailed}); input waits meanwhile.
 */
public final class SaslServer {

    /**
     * The longest line accepted, without its CRLF; longer closes the connection. dbus-daemon closes
     * a connection that has more than 16 KiB buffered in the authentication phase.
     */
    public static final int MAX_LINE_LENGTH = 16 * 1024;

    /** dbus-daemon's {@code max_failures}: after this many REJECTED replies, the connection is closed. */
    public static final int MAX_REJECTIONS = 6;

    private static final byte[] DATA_EMPTY = ascii("DATA\r\n");
    private static final byte[] AGREE_UNIX_FD = ascii("AGREE_UNIX_FD\r\n");
    /** capbus's native capability protocol (docs/native-protocol.md): the one version this server speaks. */
    private static final byte[] AGREE_CAPBUS_NATIVE = ascii("AGREE_CAPBUS_NATIVE 1\r\n");
    /** dbus-daemon's cookie challenge size: 128 bits. */
    private static final int CHALLENGE_BYTES = 16;

    private final SaslServerConfig config;
    private final long peerUid;
    private final boolean unixFdsPossible;

    private SaslState state = SaslState.WAITING_FOR_NUL;
    private SaslViolation violation;
    private SaslIdentity identity;
    private final ByteArrayOutputStream output = new ByteArrayOutputStream(64);

    /** The incoming line being assembled. */
    private byte[] line = new byte[128];
    private int lineLength;

    private int rejections;
    private String lastRejection;

    // The mechanism conversation in progress (cleared on REJECTED).
    private SaslMechanism mechanism;
    private boolean askedForInitialResponse;
    private CookieKeyring.Cookie cookie;
    private String serverChallenge;
    private long authenticatedUid = -1;
    private boolean unixFdsNegotiated;
    /** Whether the bus offers the native protocol (the configuration can turn it off). */
    private boolean nativePossible;
    private boolean nativeNegotiated;

    /**
     * @param config          shared server settings
     * @param peerUid         the uid from the socket's credentials, or -1 if the transport has none
     * @param unixFdsPossible whether the transport can pass unix fds (a unix socket)
     */
    public SaslServer(SaslServerConfig config, long peerUid, boolean unixFdsPossible) {
        this.config = config;
        this.peerUid = peerUid;
        this.unixFdsPossible = unixFdsPossible;
    }

    /** Lets the client switch to capbus's native protocol with {@code NEGOTIATE_CAPBUS_NATIVE 1} before BEGIN. */
    public void allowNativeProtocol(boolean allowed) {
        this.nativePossible = allowed;
    }

    /**
     * Processes received bytes.
     *
     * @return how many bytes of {@code src[offset, offset + length)} were consumed: all of them, unless
     *         authentication completed or failed in the middle; after {@code BEGIN} the rest is the
     *         message stream. Zero once the state is terminal.
     */
    public int feed(byte[] src, int offset, int length) {
        int i = offset;
        int end = offset + length;
        while (i < end && !isDone() && state != SaslState.WAITING_FOR_KEYRING) {
            byte b = src[i++];
            if (state == SaslState.WAITING_FOR_NUL) {
                if (b != 0) {
                    fail(SaslViolation.NO_LEADING_NUL);
                } else {
                    state = SaslState.WAITING_FOR_AUTH;
                }
                continue;
            }
            if (b == '\n' && lineLength > 0 && line[lineLength - 1] == '\r') {
                int n = lineLength - 1;
                lineLength = 0;
                if (n > MAX_LINE_LENGTH) {
                    fail(SaslViolation.LINE_TOO_LONG);
                } else {
                    processLine(n);
                }
                continue;
            }
            // Room for a full line and its CR; anything longer can never be accepted.
            if (lineLength > MAX_LINE_LENGTH) {
                fail(SaslViolation.LINE_TOO_LONG);
                continue;
            }
            if (lineLength == line.length) {
                line = Arrays.copyOf(line, Math.min(line.length * 2, MAX_LINE_LENGTH + 1));
            }
            line[lineLength++] = b;
        }
        return i - offset;
    }

    public SaslState state() {
        return state;
    }

    /** Whether the conversation is over: authenticated or failed. */
    public boolean isDone() {
        return state == SaslState.AUTHENTICATED || state == SaslState.FAILED;
    }

    /** Why the state is {@link SaslState#FAILED}, or null. */
    public SaslViolation violation() {
        return violation;
    }

    /** Who authenticated, once {@link SaslState#AUTHENTICATED}; else null. */
    public SaslIdentity identity() {
        return identity;
    }

    /** Why the last attempt was rejected (for the log), or null. */
    public String lastRejection() {
        return lastRejection;
    }

    /** The keyring to read a cookie from, while {@link SaslState#WAITING_FOR_KEYRING}. */
    public CookieKeyring keyring() {
        return config.keyring();
    }

    /** The keyring gave {@code c}: the challenge goes out and input is consumed again. */
    public void cookieReady(CookieKeyring.Cookie c) {
        byte[] challenge = new byte[CHALLENGE_BYTES];
        config.random().nextBytes(challenge);
        challenge(new CookieChallenge(c, Hex.encode(challenge)));
    }

    /**
     * A DBUS_COOKIE_SHA1 challenge: the cookie it names and the server's random part, which the client's answer
     * hashes.
     */
    public record CookieChallenge(CookieKeyring.Cookie cookie, String serverChallenge) {
    }

    /**
     * The cookie challenge this server sent in the attempt under way (whose answer it awaits, or checked), or null:
     * what a live upgrade carries so that the next process checks the client's answer against the same challenge.
     */
    public CookieChallenge cookieChallenge() {
        return cookie == null || serverChallenge == null ? null : new CookieChallenge(cookie, serverChallenge);
    }

    /**
     * Replaying a previous process's conversation (live upgrade): at the point where it read the keyring, the
     * challenge it sent then, not a new one; input is consumed again.
     */
    public void replayChallenge(CookieChallenge sent) {
        challenge(sent);
    }

    private void challenge(CookieChallenge c) {
        expectKeyring();
        cookie = c.cookie();
        serverChallenge = c.serverChallenge();
        String reply = config.keyring().context() + " " + cookie.id() + " " + serverChallenge;
        sendData(reply.getBytes(StandardCharsets.US_ASCII));
    }

    /** The keyring could not be read or written ({@code reason}): the attempt is rejected. */
    public void cookieFailed(String reason) {
        expectKeyring();
        state = SaslState.WAITING_FOR_AUTH;
        sendRejected("cookie keyring unusable: " + reason);
    }

    private void expectKeyring() {
        if (state != SaslState.WAITING_FOR_KEYRING) {
            throw new IllegalStateException("not waiting for the keyring: " + state);
        }
    }

    /** Whether there are lines to write. */
    public boolean hasOutput() {
        return output.size() > 0;
    }

    /** The lines to write, in order; clears them. */
    public byte[] takeOutput() {
        byte[] out = output.toByteArray();
        output.reset();
        return out;
    }

    private void processLine(int n) {
        for (int k = 0; k < n; k++) {
            // Commands are ASCII (the specification); dbus-daemon answers others with an ERROR.
            if (line[k] <= 0) {
                sendError("Command contained non-ASCII");
                return;
            }
        }
        String text = new String(line, 0, n, StandardCharsets.US_ASCII);
        int space = indexOfBlank(text);
        String command = space < 0 ? text : text.substring(0, space);
        String args = space < 0 ? "" : skipBlank(text, space);
        switch (state) {
            case WAITING_FOR_AUTH -> waitingForAuth(command, args);
            case WAITING_FOR_DATA -> waitingForData(command, args);
            case WAITING_FOR_BEGIN -> waitingForBegin(command, args);
            default -> throw new IllegalStateException(state.toString());
        }
    }

    private void waitingForAuth(String command, String args) {
        switch (command) {
            case "AUTH" -> auth(args);
            case "CANCEL", "ERROR" -> sendRejected("client sent " + command);
            case "BEGIN" -> fail(SaslViolation.BEGIN_BEFORE_OK);
            case "DATA" -> sendError("Not currently in an auth conversation");
            case "NEGOTIATE_UNIX_FD" -> sendError("Need to authenticate first");
            default -> sendError("Unknown command");
        }
    }

    private void waitingForData(String command, String args) {
        switch (command) {
            case "DATA" -> {
                byte[] data = Hex.decode(args);
                if (data == null) {
                    sendError("Invalid hex encoding");
                } else {
                    mechanismData(data);
                }
            }
            case "AUTH" -> sendError("Sent AUTH while another AUTH in progress");
            case "CANCEL", "ERROR" -> sendRejected("client sent " + command);
            case "BEGIN" -> fail(SaslViolation.BEGIN_BEFORE_OK);
            case "NEGOTIATE_UNIX_FD" -> sendError("Need to authenticate first");
            default -> sendError("Unknown command");
        }
    }

    private void waitingForBegin(String command, String args) {
        switch (command) {
            case "BEGIN" -> {
                identity = new SaslIdentity(authenticatedUid, mechanism, unixFdsNegotiated, nativeNegotiated);
                state = SaslState.AUTHENTICATED;
            }
            case "NEGOTIATE_UNIX_FD" -> {
                if (unixFdsPossible) {
                    unixFdsNegotiated = true;
                    output.writeBytes(AGREE_UNIX_FD);
                } else {
                    sendError("Unix FD passing not supported, not authenticated or otherwise not possible");
                }
            }
            case "NEGOTIATE_CAPBUS_NATIVE" -> {
                if (nativePossible && args.trim().equals("1")) {
                    nativeNegotiated = true;
                    output.writeBytes(AGREE_CAPBUS_NATIVE);
                } else {
                    // What dbus-daemon answers to any command it does not know, so clients see one answer.
                    sendError("Unknown command");
                }
            }
            case "AUTH" -> sendError("Sent AUTH while expecting BEGIN");
            case "DATA" -> sendError("Not expecting DATA");
            case "CANCEL", "ERROR" -> sendRejected("client sent " + command);
            default -> sendError("Unknown command");
        }
    }

    /** {@code AUTH [mechanism [initial-response]]}. */
    private void auth(String args) {
        if (args.isEmpty()) {
            // A client asking which mechanisms exist (GDBus always starts so). dbus-daemon counts it
            // as a rejection too.
            sendRejected("no mechanism given");
            return;
        }
        int space = indexOfBlank(args);
        String name = space < 0 ? args : args.substring(0, space);
        String hex = space < 0 ? "" : skipBlank(args, space);
        byte[] initialResponse = Hex.decode(hex);
        if (initialResponse == null) {
            sendError("Invalid hex encoding");
            return;
        }
        SaslMechanism m = SaslMechanism.byWireName(name);
        if (m == null || !config.offers(m)) {
            sendRejected("mechanism " + name + " not offered");
            return;
        }
        mechanism = m;
        mechanismData(initialResponse);
    }

    private void mechanismData(byte[] data) {
        switch (mechanism) {
            case EXTERNAL -> external(data);
            case DBUS_COOKIE_SHA1 -> cookieSha1(data);
            case ANONYMOUS -> anonymous(data);
        }
    }

    /**
     * EXTERNAL: the identity is the socket's uid. The client may name a uid (as decimal ASCII); it must
     * be the socket's. With no initial response, ask with an empty DATA and accept an empty answer
     * meaning "whoever the credentials say" (what sd-bus does: {@code AUTH EXTERNAL}, then {@code DATA}).
     */
    private void external(byte[] data) {
        if (peerUid < 0) {
            sendRejected("no credentials for EXTERNAL");
            return;
        }
        if (data.length == 0 && !askedForInitialResponse) {
            askedForInitialResponse = true;
            output.writeBytes(DATA_EMPTY);
            state = SaslState.WAITING_FOR_DATA;
            return;
        }
        if (data.length > 0) {
            long claimed = parseUid(data);
            if (claimed != peerUid) {
                sendRejected("EXTERNAL identity " + new String(data, StandardCharsets.US_ASCII)
                        + " is not the peer's uid " + peerUid);
                return;
            }
        }
        sendOk(peerUid);
    }

    /**
     * DBUS_COOKIE_SHA1: first the client names its uid; the server answers
     * {@code <context> <cookie id> <server challenge>}; the client answers
     * {@code <client challenge> <sha1(server challenge:client challenge:cookie)>}.
     */
    private void cookieSha1(byte[] data) {
        if (cookie == null) {
            long claimed = parseUid(data);
            if (claimed < 0 || claimed != peerUid) {
                sendRejected("DBUS_COOKIE_SHA1 identity is not the peer's uid " + peerUid);
                return;
            }
            // The keyring is file I/O (and a lock another process may hold): the owner reads it off the loop.
            authenticatedUid = claimed;
            state = SaslState.WAITING_FOR_KEYRING;
            return;
        }
        String response = new String(data, StandardCharsets.US_ASCII);
        int space = response.indexOf(' ');
        if (space <= 0 || space == response.length() - 1) {
            sendRejected("malformed DBUS_COOKIE_SHA1 response");
            return;
        }
        String clientChallenge = response.substring(0, space);
        String clientHash = skipBlank(response, space);
        String expected = sha1Hex(serverChallenge + ":" + clientChallenge + ":" + cookie.secret());
        if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                clientHash.getBytes(StandardCharsets.US_ASCII))) {
            sendRejected("DBUS_COOKIE_SHA1 hash mismatch");
            return;
        }
        sendOk(authenticatedUid);
    }

    /** ANONYMOUS: the optional trace string must be UTF-8, as dbus-daemon checks; no identity. */
    private void anonymous(byte[] data) {
        if (!isUtf8(data)) {
            sendRejected("ANONYMOUS trace is not UTF-8");
            return;
        }
        sendOk(-1);
    }

    private void sendOk(long uid) {
        authenticatedUid = uid;
        output.writeBytes(config.okLine());
        state = SaslState.WAITING_FOR_BEGIN;
    }

    private void sendData(byte[] data) {
        output.writeBytes(("DATA " + Hex.encode(data) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        state = SaslState.WAITING_FOR_DATA;
    }

    private void sendError(String message) {
        output.writeBytes(("ERROR \"" + message + "\"\r\n").getBytes(StandardCharsets.US_ASCII));
    }

    /** REJECTED, and back to the start; too many of them closes the connection, as in dbus-daemon. */
    private void sendRejected(String reason) {
        lastRejection = reason;
        output.writeBytes(config.rejectedLine());
        mechanism = null;
        askedForInitialResponse = false;
        cookie = null;
        serverChallenge = null;
        authenticatedUid = -1;
        unixFdsNegotiated = false;
        nativeNegotiated = false;
        rejections++;
        if (rejections >= MAX_REJECTIONS) {
            fail(SaslViolation.TOO_MANY_REJECTIONS);
        } else {
            state = SaslState.WAITING_FOR_AUTH;
        }
    }

    private void fail(SaslViolation why) {
        violation = why;
        state = SaslState.FAILED;
    }

    /** A uid written as decimal ASCII, or -1. */
    private static long parseUid(byte[] data) {
        if (data.length == 0 || data.length > 10) {
            return -1;
        }
        long v = 0;
        for (byte b : data) {
            if (b < '0' || b > '9') {
                return -1;
            }
            v = v * 10 + (b - '0');
        }
        return v <= 0xFFFF_FFFFL ? v : -1;
    }

    private static int indexOfBlank(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ' ' || c == '\t') {
                return i;
            }
        }
        return -1;
    }

    private static String skipBlank(String s, int from) {
        int i = from;
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
            i++;
        }
        return s.substring(i);
    }

    private static boolean isUtf8(byte[] data) {
        try {
            StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(data));
            return true;
        } catch (java.nio.charset.CharacterCodingException e) {
            return false;
        }
    }

    static String sha1Hex(String s) {
        try {
            return Hex.encode(MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-1", e);
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
