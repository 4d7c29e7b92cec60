#!/usr/bin/env bash
# The native protocol's benchmark (issue 11): each shape over capbus's native protocol and over D-Bus through the same
# capbus process, with throughput and the bus process's own CPU per operation, medians of several rounds, as a
# markdown table (docs/performance.md, "Native protocol").
#   scripts/native-bench.sh [--rounds N] [--scale F] [--shapes roundtrip_d1,...] [--out FILE.md]
# Builds the distribution and the benchmarks jar (offline Maven, CAPBUS_NO_BUILD=1 skips it), starts
# deploy/target/capbus-dist/capbus/bin/capbus --session on a temporary socket (CAPBUS_BUS overrides the command;
# CAPBUS_JAVA_OPTS reaches the bus, e.g. a flight recording), runs org.capbus.bench.wire.NativeBench (CAPBUS_BENCH_JAR
# overrides benchmarks/target/benchmarks.jar, e.g. a copy while the tree is rebuilt), stops the bus.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$here/scripts/find-jdk.sh"
java="$(capbus_find_jdk)/bin/java"
if [ -z "${CAPBUS_NO_BUILD:-}" ]; then
  "$here/mvnw" -q -B -o -f "$here/pom.xml" -DskipTests -pl deploy,benchmarks -am package 1>&2
fi
bus=${CAPBUS_BUS:-$here/deploy/target/capbus-dist/capbus/bin/capbus}
work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
# The session configuration, its limits included, as a user's bus would run.
# Its Prometheus endpoint gives the bus's own syscall counts (a port from this process's id, to stay clear of others).
port=$((20000 + $$ % 20000))
$bus --session --nofork --nopidfile --address="unix:path=$work/bus" --metrics="127.0.0.1:$port" \
  --print-address=3 3>"$work/address" \
  >/dev/null 2>"$work/log" &
pid=$!
while [ ! -s "$work/address" ]; do
  kill -0 "$pid" 2>/dev/null || { echo "the bus did not start:" >&2; cat "$work/log" >&2; exit 1; }
  sleep 0.05
done
echo "bus pid $pid at $(head -n1 "$work/address"); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$java" --enable-native-access=ALL-UNNAMED -cp "${CAPBUS_BENCH_JAR:-$here/benchmarks/target/benchmarks.jar}" \
  org.capbus.bench.wire.NativeBench --address "$(head -n1 "$work/address")" --bus-pid "$pid" \
  --metrics "http://127.0.0.1:$port/metrics" "$@"
