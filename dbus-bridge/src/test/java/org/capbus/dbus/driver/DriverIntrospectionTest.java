package org.capbus.dbus.driver;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class DriverIntrospectionTest {
    private final List<DriverInterface> interfaces = new Driver(null, null, null, null).interfaces();

    @Test
    void shouldListTheInterfacesInDbusDaemonsOrder() {
        assertThat(interfaces).extracting(DriverInterface::name).containsExactly(
                "org.freedesktop.DBus",
                "org.freedesktop.DBus.Properties",
                "org.freedesktop.DBus.Introspectable",
                "org.freedesktop.DBus.Monitoring",
                "org.freedesktop.DBus.Debug.Stats",
                "org.freedesktop.DBus.Peer");
    }

    @Test
    void shouldOfferOnlyTheOlderInterfacesOutsideTheDriversPath() {
        assertThat(interfaces).filteredOn(i -> !i.canonicalPathOnly()).extracting(DriverInterface::name)
                .containsExactly("org.freedesktop.DBus", "org.freedesktop.DBus.Introspectable",
                        "org.freedesktop.DBus.Peer");
        String root = IntrospectableInterface.document(interfaces, true);
        assertThat(root).doesNotContain("org.freedesktop.DBus.Debug.Stats", "org.freedesktop.DBus.Monitoring",
                "org.freedesktop.DBus.Properties").contains("<node name=\"org/freedesktop/DBus\"/>");
    }

    @Test
    void shouldDescribeTheStatsMethodsWithDbusDaemonsSignatures() {
        String xml = Driver.introspectionXml();
        assertThat(xml).contains("""
                  <interface name="org.freedesktop.DBus.Debug.Stats">
                    <method name="GetStats">
                      <arg direction="out" type="a{sv}"/>
                    </method>
                    <method name="GetConnectionStats">
                      <arg direction="in" type="s"/>
                      <arg direction="out" type="a{sv}"/>
                    </method>
                    <method name="GetAllMatchRules">
                      <arg direction="out" type="a{sas}"/>
                    </method>
                  </interface>
                """);
        assertThat(DBusInterface.optionalInterfaces()).contains(StatsInterface.NAME);
    }
}
