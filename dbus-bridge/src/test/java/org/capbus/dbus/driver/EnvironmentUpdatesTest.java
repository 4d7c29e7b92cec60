package org.capbus.dbus.driver;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

class EnvironmentUpdatesTest {

    @Test
    void shouldRefuseAnUpdateBeyondTheByteBoundAndKeepNothingOfIt() {
        EnvironmentUpdates env = new EnvironmentUpdates();
        String value = "x".repeat(100_000);
        int accepted = 0;
        while (env.apply(Map.of("K" + accepted, value))) {
            accepted++;
        }
        assertThat(accepted).isEqualTo((int) (EnvironmentUpdates.MAX_BYTES / 100_002));
        // Replacing a value frees its bytes.
        assertThat(env.apply(Map.of("K0", "short"))).isTrue();
        assertThat(env.apply(Map.of("K" + accepted, value))).isTrue();
    }

    @Test
    void shouldRefuseMoreVariablesThanTheBound() {
        EnvironmentUpdates env = new EnvironmentUpdates();
        Map<String, String> many = new HashMap<>();
        for (int i = 0; i < EnvironmentUpdates.MAX_VARIABLES; i++) {
            many.put("V" + i, "");
        }
        assertThat(env.apply(many)).isTrue();
        assertThat(env.apply(Map.of("V0", "again"))).isTrue();
        assertThat(env.apply(Map.of("ONE_MORE", ""))).isFalse();
    }
}
