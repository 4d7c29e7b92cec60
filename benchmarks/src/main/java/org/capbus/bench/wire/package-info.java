/**
 * The native-protocol load generator (scripts/native-bench.sh): the same shapes over capbus's native protocol and
 * over D-Bus through the same running bus, with the bus process's own CPU per operation.
 */
package org.capbus.bench.wire;
