package org.capbus.dbus.sasl;

import java.security.SecureRandom;
import java.util.List;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing (jazzer) of the {@link SaslServer}: any bytes, cut anywhere, with every mechanism offered
 * (DBUS_COOKIE_SHA1 against an in-memory keyring). No exception escapes, the consumed count is always within what
 * was offered, nothing is consumed once the conversation is over, and the answers stay proportionate to the input
 * (every answer is one line for one line received, at most a fixed length).
 *
 * <p>Replayed as an ordinary test from {@code SaslServerFuzzTestInputs/}; {@code scripts/fuzz.sh} runs it long.
 */
class SaslServerFuzzTest {
    private static final String GUID = "0123456789abcdef0123456789abcdef";
    /** The longest answer one line can get (REJECTED with every mechanism, a DATA challenge, an ERROR text). */
    private static final int MAX_ANSWER = 512;

    private static final CookieKeyring KEYRING = new CookieKeyring() {
        @Override
        public String context() {
            return "org_freedesktop_general";
        }

        @Override
        public Cookie cookieForChallenge() {
            return new Cookie(7, "00112233445566778899aabbccddeeff");
        }
    };

    private static final SaslServerConfig CONFIG =
            new SaslServerConfig(List.of(), true, GUID, KEYRING, new SecureRandom(new byte[] {1}));

    @FuzzTest
    void fuzzSasl(FuzzedDataProvider data) {
        SaslServer server = new SaslServer(CONFIG, data.consumeInt(-1, 2000), data.consumeBoolean());
        long lines = 0;
        long answered = 0;
        while (data.remainingBytes() > 0) {
            byte[] chunk = data.consumeBytes(data.consumeInt(1, 4096));
            boolean doneBefore = server.isDone();
            int consumed = server.feed(chunk, 0, chunk.length);
            if (consumed < 0 || consumed > chunk.length || (doneBefore && consumed != 0)) {
                throw new AssertionError("consumed " + consumed + " of " + chunk.length + (doneBefore ? " after the end"
                        : ""));
            }
            for (int i = 0; i < consumed; i++) {
                if (chunk[i] == '\n') {
                    lines++;
                }
            }
            if (server.hasOutput()) {
                answered += server.takeOutput().length;
            }
            if (answered > (lines + 1) * MAX_ANSWER) {
                throw new AssertionError(answered + " bytes of answers to " + lines + " lines");
            }
        }
    }
}
