package org.capbus.adapters.log;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RateLimitTest {
    @Test
    void shouldLetABurstPassThenTheRate() {
        RateLimit limit = new RateLimit(5, 10); // one line per 100 ms after a burst of 5
        long t = 1_000_000_000L;
        int passed = 0;
        for (int i = 0; i < 100; i++) {
            if (limit.tryAcquire(t)) {
                passed++;
            }
        }
        assertThat(passed).isEqualTo(5);
        assertThat(limit.tryAcquire(t + 50_000_000L)).isFalse();
        assertThat(limit.tryAcquire(t + 100_000_000L)).isTrue();
        assertThat(limit.tryAcquire(t + 100_000_000L)).isFalse();
        // after a quiet second, a full burst again
        int later = 0;
        for (int i = 0; i < 100; i++) {
            if (limit.tryAcquire(t + 2_000_000_000L)) {
                later++;
            }
        }
        assertThat(later).isEqualTo(5);
    }
}
