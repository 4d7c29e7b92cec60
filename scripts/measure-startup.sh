#!/usr/bin/env bash
# Measures how fast a bus starts: wall time from exec to the printed address, CPU time used by then (the process's
# own and its waited-for children's, e.g. a launcher's helpers), and resident memory 2 s later, idle.
#   scripts/measure-startup.sh [RUNS] [COMMAND...]     default: 15 runs of ./capbus --session
# The command gets --nofork --print-address=1 --address=unix:path=<tmp> appended. Prints min and median.
set -euo pipefail
runs=${1:-15}
shift || true
[ $# -gt 0 ] || set -- "$(dirname "$(readlink -f "$0")")/../capbus" --session
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
walls=() cpus=() rss=""
tick_ms=$((1000 / $(getconf CLK_TCK)))
for i in $(seq 1 "$runs"); do
  rm -f "$dir/bus"
  t0=$(date +%s%N)
  coproc BUS { exec "$@" --nofork --print-address=1 --address="unix:path=$dir/bus" 2>/dev/null; }
  read -r address <&"${BUS[0]}"
  t1=$(date +%s%N)
  read -ra stat <"/proc/$BUS_PID/stat"
  walls+=($(( (t1 - t0) / 1000000 )))
  cpus+=($(( (stat[13] + stat[14] + stat[15] + stat[16]) * tick_ms )))
  if [ "$i" -eq "$runs" ]; then sleep 2; rss=$(ps -o rss= -p "$BUS_PID"); fi
  kill "$BUS_PID"
  wait "$BUS_PID" 2>/dev/null || true
done
wall=($(printf '%s\n' "${walls[@]}" | sort -n))
cpu=($(printf '%s\n' "${cpus[@]}" | sort -n))
echo "runs=$runs start: wall min ${wall[0]} median ${wall[$((runs / 2))]} ms, cpu min ${cpu[0]} median" \
  "${cpu[$((runs / 2))]} ms; idle RSS ${rss// /} kB (${address%%,*})"
