package org.capbus.dbus.wire;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing (jazzer) of message validation ({@link DBusMessage#parse}, which runs the
 * {@link BodyValidator} over the header fields and the body): it never throws, agrees with the naive
 * {@link ReferenceValidator} on every input, and what it accepts survives what the bus does next (argument scan, body
 * walk, sender stitching, re-parse).
 *
 * <p>Replayed as an ordinary test from {@code BodyValidatorFuzzTestInputs/}; {@code scripts/fuzz.sh} runs it long.
 */
class BodyValidatorFuzzTest {

    @FuzzTest
    void fuzzValidator(byte[] bytes) {
        DBusMessage m = new DBusMessage();
        Validity v = m.parse(bytes, bytes.length);
        String reference = ReferenceValidator.check(bytes);
        if (v.isError() != (reference != null)) {
            throw new AssertionError("parse says " + v + ", the reference says "
                    + (reference == null ? "valid" : reference));
        }
        if (!v.isError()) {
            DBusMessageFuzzTest.exerciseAccepted(m);
        }
    }
}
