package org.capbus.dbus.bus;

import java.util.Arrays;

/**
 * An open-addressing hash map from {@code long} keys to non-negative {@code int} values, with linear probing
 * and backward-shift deletion (no tombstones), so lookups on the message path neither box nor allocate. Used by
 * {@link ReplyTracker} for its (caller, serial) keys. Not thread-safe; owned by whoever owns the tracker.
 */
final class LongIntMap {

    /** Returned by {@link #get} and {@link #remove} for an absent key. */
    static final int MISSING = -1;

    private long[] keys;
    private int[] values;
    private boolean[] used;
    private int mask;
    private int size;

    LongIntMap(int initialCapacity) {
        int capacity = Integer.highestOneBit(Math.max(4, initialCapacity * 2 - 1)) << 1;
        allocate(capacity);
    }

    int size() {
        return size;
    }

    int get(long key) {
        int i = slot(key);
        while (used[i]) {
            if (keys[i] == key) {
                return values[i];
            }
            i = (i + 1) & mask;
        }
        return MISSING;
    }

    /** Puts {@code key}; returns the previous value, or {@link #MISSING}. */
    int put(long key, int value) {
        int i = slot(key);
        while (used[i]) {
            if (keys[i] == key) {
                int old = values[i];
                values[i] = value;
                return old;
            }
            i = (i + 1) & mask;
        }
        used[i] = true;
        keys[i] = key;
        values[i] = value;
        if (++size > (mask + 1) >> 1) {
            rehash((mask + 1) << 1);
        }
        return MISSING;
    }

    /** Removes {@code key}; returns its value, or {@link #MISSING}. */
    int remove(long key) {
        int i = slot(key);
        while (used[i]) {
            if (keys[i] == key) {
                int old = values[i];
                shiftBack(i);
                size--;
                return old;
            }
            i = (i + 1) & mask;
        }
        return MISSING;
    }

    /** Closes the gap at {@code hole} by moving back later entries of the same probe run. */
    private void shiftBack(int hole) {
        int i = hole;
        while (true) {
            i = (i + 1) & mask;
            if (!used[i]) {
                break;
            }
            int home = slot(keys[i]);
            // Move entry i into the hole unless its home lies cyclically in (hole, i].
            boolean stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
            if (!stays) {
                keys[hole] = keys[i];
                values[hole] = values[i];
                hole = i;
            }
        }
        used[hole] = false;
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }

    private void rehash(int capacity) {
        long[] oldKeys = keys;
        int[] oldValues = values;
        boolean[] oldUsed = used;
        allocate(capacity);
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldUsed[i]) {
                int j = slot(oldKeys[i]);
                while (used[j]) {
                    j = (j + 1) & mask;
                }
                used[j] = true;
                keys[j] = oldKeys[i];
                values[j] = oldValues[i];
            }
        }
    }

    private void allocate(int capacity) {
        keys = new long[capacity];
        values = new int[capacity];
        used = new boolean[capacity];
        mask = capacity - 1;
    }

    void clear() {
        Arrays.fill(used, false);
        size = 0;
    }
}
