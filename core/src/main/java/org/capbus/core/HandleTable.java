package org.capbus.core;

/**
 * One peer's handles, indexed by a long key without boxing: either by handle id (to resolve ids a client names) or
 * by node id (to merge a handle arriving for a node the peer already holds). Open addressing with linear probing and
 * backward-shift deletion, at most half full.
 *
 * <p>Owned by its {@link Peer}; event-loop thread only.
 */
final class HandleTable {
    private final boolean byNode;
    private Handle[] slots = new Handle[8];
    private int size;

    /** A table keyed by {@link Node#id} if {@code byNode}, else by {@link Handle#id()}. */
    HandleTable(boolean byNode) {
        this.byNode = byNode;
    }

    Handle get(long key) {
        Handle[] s = slots;
        int mask = s.length - 1;
        int i = hash(key) & mask;
        Handle h;
        while ((h = s[i]) != null) {
            if (key(h) == key) {
                return h;
            }
            i = (i + 1) & mask;
        }
        return null;
    }

    /** Adds {@code handle}, whose key must not be present. */
    void put(Handle handle) {
        if ((size + 1) * 2 > slots.length) {
            Handle[] old = slots;
            slots = new Handle[old.length * 2];
            for (Handle h : old) {
                if (h != null) {
                    insert(h);
                }
            }
        }
        insert(handle);
        size++;
    }

    /** Removes {@code handle} if present. */
    void remove(Handle handle) {
        Handle[] s = slots;
        int mask = s.length - 1;
        int i = hash(key(handle)) & mask;
        while (s[i] != handle) {
            if (s[i] == null) {
                return;
            }
            i = (i + 1) & mask;
        }
        s[i] = null;
        size--;
        // Backward shift: move later entries of the probe run into the hole unless their home lies after it.
        int hole = i;
        for (int j = (i + 1) & mask; s[j] != null; j = (j + 1) & mask) {
            int home = hash(key(s[j])) & mask;
            boolean homeInHoleToJ = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
            if (!homeInHoleToJ) {
                s[hole] = s[j];
                s[j] = null;
                hole = j;
            }
        }
    }

    int size() {
        return size;
    }

    /** A copy of the handles, in no particular order. */
    Handle[] toArray() {
        Handle[] out = new Handle[size];
        int n = 0;
        for (Handle h : slots) {
            if (h != null) {
                out[n++] = h;
            }
        }
        return out;
    }

    void clear() {
        slots = new Handle[8];
        size = 0;
    }

    private void insert(Handle handle) {
        int mask = slots.length - 1;
        int i = hash(key(handle)) & mask;
        while (slots[i] != null) {
            i = (i + 1) & mask;
        }
        slots[i] = handle;
    }

    private long key(Handle h) {
        return byNode ? h.node.id : h.id;
    }

    private static int hash(long key) {
        long x = key * 0x9E3779B97F4A7C15L;
        return (int) (x ^ (x >>> 32));
    }
}
