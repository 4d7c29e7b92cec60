#!/usr/bin/env bash
# Resident memory of a bus before, during and up to 40 s after a burst of 1 MiB calls (issue 13's "RSS after the run"
# target: back within idle + 16 MB 30 s after the load ends). Uses the benchmark harness's load generator:
#   scripts/rss-after-burst.sh [BUS_COMMAND] [WORKLOAD]     default: deploy/target/capbus-dist/capbus/bin/capbus,
#                                                            roundtrip_d32_p4_1m
# Needs a built copy of ../shared/bench (read-only there): `cp -r ../shared/bench /tmp/bench && /tmp/bench/run --setup`,
# then CAPBUS_BENCH=/tmp/bench (the default is ../shared/bench itself).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bus=${1:-$here/deploy/target/capbus-dist/capbus/bin/capbus}
workload=${2:-roundtrip_d32_p4_1m}
bench=${CAPBUS_BENCH:-$here/../shared/bench}
dbench="$bench/build/dbench"
[ -x "$dbench" ] || { echo "no $dbench: build a copy of ../shared/bench and set CAPBUS_BENCH" >&2; exit 1; }
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
"$bus" --config-file="$bench/bus.conf" --nofork --nopidfile --address="unix:path=$work/bus" \
  --print-address=3 3>"$work/address" >/dev/null 2>"$work/log" &
pid=$!
while [ ! -s "$work/address" ]; do kill -0 "$pid" || { cat "$work/log" >&2; exit 1; }; sleep 0.05; done
sleep 1
rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
echo "idle: $(rss) kB"
"$dbench" --address "$(head -n1 "$work/address")" --bus-pid "$pid" --only "$workload" 2>&1 \
  | grep -E "bus_cpu_us_per|main_peak_rss"
line="after the load:"
for t in 0 5 10 15 20 25 30 40; do
  [ "$t" = 0 ] || sleep 5
  line="$line ${t}s=$(rss)"
done
echo "$line kB"
