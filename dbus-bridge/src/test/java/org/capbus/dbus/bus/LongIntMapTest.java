package org.capbus.dbus.bus;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LongIntMapTest {

    @Test
    void shouldBehaveLikeHashMapUnderRandomPutsAndRemoves() {
        long seed = 0x10A6_1A7L;
        SplittableRandom random = new SplittableRandom(seed);
        LongIntMap map = new LongIntMap(4);
        Map<Long, Integer> reference = new HashMap<>();
        for (int step = 0; step < 200_000; step++) {
            // A small key space with clustered keys forces long probe runs and wrap-around shifts.
            long key = ((long) random.nextInt(8) << 32) | random.nextInt(300);
            int value = random.nextInt(1_000_000);
            switch (random.nextInt(3)) {
                case 0 -> assertThat(map.put(key, value)).as("seed %x step %d", seed, step)
                        .isEqualTo(orMissing(reference.put(key, value)));
                case 1 -> assertThat(map.remove(key)).as("seed %x step %d", seed, step)
                        .isEqualTo(orMissing(reference.remove(key)));
                default -> assertThat(map.get(key)).as("seed %x step %d", seed, step)
                        .isEqualTo(reference.getOrDefault(key, LongIntMap.MISSING));
            }
            assertThat(map.size()).isEqualTo(reference.size());
        }
        for (Map.Entry<Long, Integer> e : reference.entrySet()) {
            assertThat(map.get(e.getKey())).isEqualTo(e.getValue());
        }
        map.clear();
        assertThat(map.size()).isZero();
        assertThat(map.get(reference.keySet().iterator().next())).isEqualTo(LongIntMap.MISSING);
    }

    private static int orMissing(Integer value) {
        return value == null ? LongIntMap.MISSING : value;
    }
}
