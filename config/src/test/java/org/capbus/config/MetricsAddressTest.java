package org.capbus.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MetricsAddressTest {

    @Test
    void shouldParseHostNamesIpv4AndBracketedIpv6() {
        assertThat(MetricsAddress.parse("127.0.0.1:9464")).isEqualTo(new MetricsAddress("127.0.0.1", 9464));
        assertThat(MetricsAddress.parse("localhost:1")).isEqualTo(new MetricsAddress("localhost", 1));
        assertThat(MetricsAddress.parse(" [::1]:65535 ")).isEqualTo(new MetricsAddress("::1", 65535));
    }

    @Test
    void shouldPrintWhatItParses() {
        assertThat(MetricsAddress.parse("[::1]:9464")).hasToString("[::1]:9464");
        assertThat(MetricsAddress.parse("127.0.0.1:9464")).hasToString("127.0.0.1:9464");
    }

    @Test
    void shouldRefuseWhatIsNotHostColonPort() {
        for (String bad : new String[] {"", "9464", ":9464", "host:", "host:0", "host:65536", "host:-1", "host:9x",
                "[::1:9464", "::1:9464", "a b:1", "host:123456"}) {
            assertThatThrownBy(() -> MetricsAddress.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
