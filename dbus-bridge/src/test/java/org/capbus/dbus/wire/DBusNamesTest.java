package org.capbus.dbus.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DBusNamesTest {

    @ParameterizedTest
    @ValueSource(strings = {":1.0", ":1.42", ":a.b-c", "org.freedesktop.DBus", "a.b", "com.ex-ample._9x", "_a.b"})
    void shouldAcceptBusNames(String name) {
        assertThat(DBusNames.isValidBusName(name)).isTrue();
        byte[] b = ("xx" + name).getBytes(StandardCharsets.US_ASCII);
        assertThat(DBusNames.isValidBusName(b, 2, b.length - 2)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a", ":1", ".a.b", "a.b.", "a..b", "1a.b", "a.1b", "a.b/c", "a.b c", "::1.2", ":1..2",
            "é.b"})
    void shouldRejectBusNames(String name) {
        assertThat(DBusNames.isValidBusName(name)).isFalse();
    }

    @Test
    void shouldSplitUniqueAndWellKnown() {
        assertThat(DBusNames.isValidUniqueName(":1.5")).isTrue();
        assertThat(DBusNames.isValidUniqueName("a.b")).isFalse();
        assertThat(DBusNames.isValidWellKnownName("a.b")).isTrue();
        assertThat(DBusNames.isValidWellKnownName(":1.5")).isFalse();
        assertThat(DBusNames.isValidBusName("a." + "b".repeat(253))).isTrue();
        assertThat(DBusNames.isValidBusName("a." + "b".repeat(254))).isFalse();
        assertThat(DBusNames.isValidBusName(null)).isFalse();
    }

    @Test
    void shouldValidateInterfaceAndErrorNames() {
        assertThat(DBusNames.isValidInterfaceName("org.freedesktop.DBus.Properties")).isTrue();
        assertThat(DBusNames.isValidInterfaceName("org.free-desktop")).isFalse();
        assertThat(DBusNames.isValidInterfaceName("org")).isFalse();
        assertThat(DBusNames.isValidInterfaceName("org.2x")).isFalse();
        assertThat(DBusNames.isValidErrorName("org.freedesktop.DBus.Error.Failed")).isTrue();
        assertThat(DBusNames.isValidErrorName(":1.2")).isFalse();
    }

    @Test
    void shouldValidateMemberNames() {
        assertThat(DBusNames.isValidMemberName("Hello")).isTrue();
        assertThat(DBusNames.isValidMemberName("_x9")).isTrue();
        assertThat(DBusNames.isValidMemberName("9x")).isFalse();
        assertThat(DBusNames.isValidMemberName("a.b")).isFalse();
        assertThat(DBusNames.isValidMemberName("a-b")).isFalse();
        assertThat(DBusNames.isValidMemberName("")).isFalse();
        assertThat(DBusNames.isValidMemberName("m".repeat(256))).isFalse();
    }

    @Test
    void shouldValidateObjectPaths() {
        assertThat(DBusNames.isValidObjectPath("/")).isTrue();
        assertThat(DBusNames.isValidObjectPath("/org/freedesktop/DBus")).isTrue();
        assertThat(DBusNames.isValidObjectPath("/a_1/B2")).isTrue();
        assertThat(DBusNames.isValidObjectPath("")).isFalse();
        assertThat(DBusNames.isValidObjectPath("a")).isFalse();
        assertThat(DBusNames.isValidObjectPath("//")).isFalse();
        assertThat(DBusNames.isValidObjectPath("/a/")).isFalse();
        assertThat(DBusNames.isValidObjectPath("/a//b")).isFalse();
        assertThat(DBusNames.isValidObjectPath("/a-b")).isFalse();
        assertThat(DBusNames.isValidObjectPath("/a.b")).isFalse();
    }
}
