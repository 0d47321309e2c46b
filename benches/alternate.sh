#!/usr/bin/env bash
# Compares the speed of two or more builds of the year benchmark by running them in turns
# (ROUNDS rounds of REPS replications each), so that a drift in the machine's speed weighs
# on all alike. Prints, per binary, the mean CPU and wall seconds per replication and the
# fastest wall time.
#
# Usage: benches/alternate.sh BIN...      e.g. copy target/release/deps/year-HASH to
#        /tmp/year-before, change the code, rebuild, copy to /tmp/year-after, then
#        ROUNDS=8 benches/alternate.sh /tmp/year-before /tmp/year-after
#
# Why means over many runs: on some virtual machines a thread's CPU time advances in ticks
# of a few milliseconds (4 ms here, about 4% of one replication), so single runs and
# medians cannot tell small differences apart.
set -euo pipefail
ROUNDS=${ROUNDS:-4}
REPS=${REPS:-8}
[ "$#" -ge 1 ] || { echo "usage: $0 BIN..." >&2; exit 2; }
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
for ((round = 0; round < ROUNDS; round++)); do
  for bin in "$@"; do
    "$bin" --replications "$REPS" 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    if line.startswith("{"):
        record = json.loads(line)
        print(sys.argv[1], record["cpu_seconds"], record["seconds"])' "$bin" >> "$OUT"
  done
done
for bin in "$@"; do
  awk -v bin="$bin" '$1 == bin { cpu += $2; wall += $3; n++; if (min == "" || $3 < min) min = $3 }
    END { printf "%s: cpu mean %.4f s, wall mean %.4f s, wall min %.4f s (%d replications)\n",
          bin, cpu / n, wall / n, min, n }' "$OUT"
done
