package org.capbus.dbus.wire;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SignaturesTest {

    @ParameterizedTest
    @ValueSource(strings = {"", "y", "ybnqiuxtdsogvh", "as", "a{sv}", "a{oa{sa{sv}}}", "(i)", "((s)(u))", "aai",
            "a(sa{sv}as)", "sa{ss}v"})
    void shouldAcceptValidSignatures(String s) {
        assertThat(Signatures.isValid(s)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "()", "(", ")", "(i", "i)", "{ss}", "a{s}", "a{sss}", "a{vs}", "a{(i)s}", "a{as}",
            "r", "e", "m", "*", "?", "@", "&", "^", "z", "a{s v}", "a{ss", "(}", "a{s)"})
    void shouldRejectInvalidSignatures(String s) {
        assertThat(Signatures.isValid(s)).isFalse();
    }

    @Test
    void shouldEnforceLengthAndNestingLimits() {
        assertThat(Signatures.isValid("y".repeat(255))).isTrue();
        assertThat(Signatures.isValid("y".repeat(256))).isFalse();
        assertThat(Signatures.isValid("a".repeat(32) + "y")).isTrue();
        assertThat(Signatures.isValid("a".repeat(33) + "y")).isFalse();
        assertThat(Signatures.isValid("(".repeat(32) + "y" + ")".repeat(32))).isTrue();
        assertThat(Signatures.isValid("(".repeat(33) + "y" + ")".repeat(33))).isFalse();
        // dict entries count as structs
        assertThat(Signatures.isValid("(".repeat(31) + "a{sy}" + ")".repeat(31))).isTrue();
        assertThat(Signatures.isValid("(".repeat(32) + "a{sy}" + ")".repeat(32))).isFalse();
        assertThat(Signatures.isValid("a(".repeat(32) + "y" + ")".repeat(32))).isTrue();
        assertThat(Signatures.isValid(null)).isFalse();
        assertThat(Signatures.isValid("aé")).isFalse();
    }

    @Test
    void shouldDistinguishSingleCompleteType() {
        assertThat(Signatures.isSingleCompleteType("a{sv}")).isTrue();
        assertThat(Signatures.isSingleCompleteType("(ii)")).isTrue();
        assertThat(Signatures.isSingleCompleteType("ii")).isFalse();
        assertThat(Signatures.isSingleCompleteType("")).isFalse();
    }

    @Test
    void shouldReportNestingDepth() {
        byte[] b = "a{sv}".getBytes();
        assertThat(Signatures.validate(b, 0, b.length, true)).isEqualTo(2);
        byte[] c = "sa(a(y))".getBytes();
        assertThat(Signatures.validate(c, 0, c.length, false)).isEqualTo(4);
    }
}
