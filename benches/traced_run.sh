#!/usr/bin/env bash
# Times `pipesim run` of the year benchmark with its full trace (the default `--trace first`:
# about 1.5 million trace rows, 190 MB of CSV), for one or more builds of pipesim, in turns
# (ROUNDS rounds), so a drift in the machine's speed weighs on all alike. Prints, per binary,
# the mean wall seconds and CPU seconds (user + system) per run, and checks that every
# binary wrote the same trace bytes as the first.
#
# Usage: benches/traced_run.sh BIN...      e.g. copy target/release/pipesim to
#        /tmp/pipesim-before, change the code, rebuild, then
#        ROUNDS=5 benches/traced_run.sh /tmp/pipesim-before target/release/pipesim
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
[ "$#" -ge 1 ] || { echo "usage: $0 BIN..." >&2; exit 2; }
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
python3 - "$OUT" "$ROUNDS" "$@" <<'PY'
import filecmp, os, resource, shutil, subprocess, sys, time

out, rounds, bins = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
scenario = "scenarios/bench/year.pipesim"
times = {b: [] for b in bins}
for round_ in range(rounds):
    for index, binary in enumerate(bins):
        run_dir = os.path.join(out, f"run-{index}")
        shutil.rmtree(run_dir, ignore_errors=True)
        started = time.perf_counter()
        child = subprocess.Popen([binary, "run", scenario, "--out", run_dir, "--format", "json"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        if status != 0:
            sys.exit(f"{binary} failed")
        times[binary].append((wall, usage.ru_utime + usage.ru_stime))
        if round_ == 0 and index > 0:
            for name in sorted(os.listdir(os.path.join(out, "run-0", "traces"))):
                same = filecmp.cmp(os.path.join(out, "run-0", "traces", name),
                                   os.path.join(run_dir, "traces", name), shallow=False)
                if not same:
                    sys.exit(f"{binary} wrote a different traces/{name} from {bins[0]}")
first = None
for binary in bins:
    wall = sum(w for w, _ in times[binary]) / rounds
    cpu = sum(c for _, c in times[binary]) / rounds
    first = first or wall
    print(f"{binary}: wall {wall:.3f} s, cpu {cpu:.3f} s per run ({rounds} runs), "
          f"{first / wall:.2f}x the first's speed")
PY
