package org.capbus.dbus.broker.state;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BusPeaksTest {
    private final BusPeaks peaks = new BusPeaks();

    @Test
    void shouldKeepTheHighestCountsSeen() {
        peaks.matchRules(2, 2);
        peaks.matchRules(1, 5);
        peaks.matchRules(1, 3);
        peaks.busNames(3, 4);
        peaks.busNames(1, 9);
        peaks.busNames(2, 1);

        assertThat(peaks.matchRulesPerConnection()).isEqualTo(2);
        assertThat(peaks.matchRules()).isEqualTo(5);
        assertThat(peaks.busNamesPerConnection()).isEqualTo(3);
        assertThat(peaks.busNames()).isEqualTo(9);
    }

    @Test
    void shouldStartAtZero() {
        assertThat(peaks.matchRules()).isZero();
        assertThat(peaks.matchRulesPerConnection()).isZero();
        assertThat(peaks.busNames()).isZero();
        assertThat(peaks.busNamesPerConnection()).isZero();
    }
}
