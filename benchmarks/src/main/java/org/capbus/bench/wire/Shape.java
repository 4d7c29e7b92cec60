package org.capbus.bench.wire;

/**
 * The benchmark's shapes, each run natively and over D-Bus: what one operation is on each side, and how many a
 * round measures by default.
 */
enum Shape {
    ROUNDTRIP_D1("round trip, depth 1", "call", 1, 0, false, 40_000),
    ROUNDTRIP_D32("round trip, depth 32", "call", 32, 0, false, 200_000),
    MULTICAST_10("multicast to 10 receivers", "delivery", 0, 10, false, 1_000_000),
    MULTICAST_100("multicast to 100 receivers", "delivery", 0, 100, false, 2_000_000),
    TRANSFER_D1("handle transfer per call, depth 1", "call", 1, 0, true, 40_000),
    TRANSFER_D32("handle transfer per call, depth 32", "call", 32, 0, true, 200_000);

    final String title;
    final String unit;
    final int depth;
    final int receivers;
    final boolean transfer;
    final long defaultOps;

    Shape(String title, String unit, int depth, int receivers, boolean transfer, long defaultOps) {
        this.title = title;
        this.unit = unit;
        this.depth = depth;
        this.receivers = receivers;
        this.transfer = transfer;
        this.defaultOps = defaultOps;
    }

    String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
