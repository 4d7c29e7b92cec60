package org.capbus.dbus.bus;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BusNamesTest {

    @Test
    void shouldValidateBusNames() {
        assertThat(BusNames.isValidBusName(":1.42")).isTrue();
        assertThat(BusNames.isValidBusName(":1.2.3-x_y")).isTrue();
        assertThat(BusNames.isValidBusName("org.freedesktop.DBus")).isTrue();
        assertThat(BusNames.isValidBusName("a-b._c")).isTrue();
        assertThat(BusNames.isValidBusName("org." + "x".repeat(251))).isTrue(); // 255 bytes
        assertThat(BusNames.isValidBusName("org." + "x".repeat(252))).isFalse(); // 256 bytes
        assertThat(BusNames.isValidBusName(null)).isFalse();
        assertThat(BusNames.isValidBusName("")).isFalse();
        assertThat(BusNames.isValidBusName(":")).isFalse();
        assertThat(BusNames.isValidBusName(":1")).isFalse();
        assertThat(BusNames.isValidBusName(":.1")).isFalse();
        assertThat(BusNames.isValidBusName(":1.")).isFalse();
        assertThat(BusNames.isValidBusName("org")).isFalse();
        assertThat(BusNames.isValidBusName("org.1x")).isFalse();
        assertThat(BusNames.isValidBusName(".org.x")).isFalse();
        assertThat(BusNames.isValidBusName("org.x.")).isFalse();
        assertThat(BusNames.isValidBusName("org.é")).isFalse();
        assertThat(BusNames.isValidWellKnownName(":1.2")).isFalse();
        assertThat(BusNames.isValidUniqueName("org.x")).isFalse();
    }

    @Test
    void shouldValidateInterfaceMemberAndPath() {
        assertThat(BusNames.isValidInterfaceName("org.example._Foo1")).isTrue();
        assertThat(BusNames.isValidInterfaceName("org.ex-ample")).isFalse();
        assertThat(BusNames.isValidInterfaceName("org")).isFalse();
        assertThat(BusNames.isValidMemberName("Get_1")).isTrue();
        assertThat(BusNames.isValidMemberName("x".repeat(256))).isFalse();
        assertThat(BusNames.isValidMemberName("a.b")).isFalse();
        assertThat(BusNames.isValidObjectPath("/")).isTrue();
        assertThat(BusNames.isValidObjectPath("/a/B_1/c")).isTrue();
        assertThat(BusNames.isValidObjectPath("/a//b")).isFalse();
        assertThat(BusNames.isValidObjectPath("a")).isFalse();
        assertThat(BusNames.isValidObjectPath("/a/")).isFalse();
        assertThat(BusNames.isValidObjectPath(null)).isFalse();
    }

    @Test
    void shouldValidateNamespaces() {
        assertThat(BusNames.isValidNamespace("com")).isTrue();
        assertThat(BusNames.isValidNamespace("com.example")).isTrue();
        assertThat(BusNames.isValidNamespace(":1")).isTrue();
        assertThat(BusNames.isValidNamespace("1com")).isFalse();
        assertThat(BusNames.isValidNamespace("com.")).isFalse();
        assertThat(BusNames.isValidNamespace(":")).isFalse();
        assertThat(BusNames.isValidNamespace("")).isFalse();
    }
}
