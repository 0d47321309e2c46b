#!/usr/bin/env bash
# Speed and agreement of pipesim's engine against SimPy on the same model
# (scenarios/bench/year.pipesim: one simulated year, about 210,000 pipelines).
#
# One run of this script: builds the Rust benchmarks in release mode, runs RUST_REPS
# replications of pipesim and of the floor (benches/floor.rs, on pipesim's math and on the
# platform's) and SIMPY_REPS replications of benches/simpy/year.py, taking turns, then
# prints the CPU seconds per replication of each and their ratios to SimPy, with a 95%
# confidence interval over the turns (so that one run says how far the host's drift lets it
# tell the ratio), and both engines' estimates of the mean wait and mean makespan with 95%
# confidence intervals (and a Welch t statistic for the difference). Then it measures peak
# RSS of one replication at 1 and 2 simulated years (/usr/bin/time -v) to check that memory
# does not grow with the horizon (percentiles come from a bounded sketch, so nothing is kept
# per pipeline).
#
# Usage: benches/compare.sh            (defaults: RUST_REPS=10 SIMPY_REPS=3)
#        RUST_REPS=100 SIMPY_REPS=10 benches/compare.sh   (the figures in BENCHMARKS.md)
#        YEAR_BIN=/tmp/year-pgo benches/compare.sh   (a prebuilt benchmark, e.g. from
#                                                      benches/pgo.sh, instead of cargo's)
#        SIMPY_ALL_REPS=5 benches/compare.sh  (also SimPy computing every metric pipesim
#                                              reports, `year.py --metrics all`, in the turns)
# Needs: cargo, python3 with simpy (pip install simpy), /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."

RUST_REPS=${RUST_REPS:-10}
SIMPY_REPS=${SIMPY_REPS:-3}
SIMPY_ALL_REPS=${SIMPY_ALL_REPS:-0}
((SIMPY_REPS >= 1 && RUST_REPS >= SIMPY_REPS)) || {
  echo "error: need SIMPY_REPS >= 1 and RUST_REPS >= SIMPY_REPS (each turn runs both)" >&2
  exit 2
}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

echo "building the release benchmark..." >&2
BIN=${YEAR_BIN:-$(cargo bench --no-run --bench year 2>&1 | sed -n 's/.*Executable .*(\(.*\)).*/\1/p' | tail -1)}
[ -x "$BIN" ] || { echo "error: could not find the benchmark binary" >&2; exit 2; }
FLOOR=$(cargo bench --no-run --bench floor 2>&1 | sed -n 's/.*Executable .*(\(.*\)).*/\1/p' | tail -1)
[ -x "$FLOOR" ] || { echo "error: could not find the floor benchmark binary" >&2; exit 2; }

# The two engines take turns (a block of pipesim replications, then one SimPy replication,
# and so on), so a change in the machine's speed during the run (other jobs, other virtual
# machines on the host) weighs on both alike instead of on whichever ran at the time.
echo "pipesim: $RUST_REPS replication(s), simpy: $SIMPY_REPS (about 10 CPU seconds each), in turns..." >&2
: > "$OUT/rust.jsonl"
: > "$OUT/simpy.jsonl"
: > "$OUT/floor.jsonl"
: > "$OUT/floor-platform.jsonl"
: > "$OUT/simpy-all.jsonl"
# Where each turn's pipesim and floor replications end (their files' line counts after the
# turn), for the ratios' confidence intervals over turns.
: > "$OUT/turns"
rust_done=0
for ((turn = 0; turn < SIMPY_REPS; turn++)); do
  block=$(( (RUST_REPS - rust_done) / (SIMPY_REPS - turn) ))
  if ((block > 0)); then
    "$BIN" --first "$rust_done" --replications "$block" >> "$OUT/rust.jsonl" 2>/dev/null
    "$FLOOR" --first "$rust_done" --replications "$block" >> "$OUT/floor.jsonl" 2>/dev/null
    "$FLOOR" --platform-math --first "$rust_done" --replications "$block" >> "$OUT/floor-platform.jsonl" 2>/dev/null
    rust_done=$((rust_done + block))
  fi
  python3 benches/simpy/year.py --first "$turn" --replications 1 >> "$OUT/simpy.jsonl"
  echo "$(wc -l < "$OUT/rust.jsonl") $(wc -l < "$OUT/floor.jsonl")" >> "$OUT/turns"
  if ((turn < SIMPY_ALL_REPS)); then
    python3 benches/simpy/year.py --metrics all --first "$turn" --replications 1 >> "$OUT/simpy-all.jsonl"
  fi
done
for ((turn = SIMPY_REPS; turn < SIMPY_ALL_REPS; turn++)); do
  python3 benches/simpy/year.py --metrics all --first "$turn" --replications 1 >> "$OUT/simpy-all.jsonl"
done

python3 - "$OUT/rust.jsonl" "$OUT/simpy.jsonl" "$OUT/floor.jsonl" "$OUT/floor-platform.jsonl" "$OUT/simpy-all.jsonl" "$OUT/turns" <<'PY'
import json, math, sys

# Student t 0.975 quantiles by degrees of freedom (1..30); beyond, the normal's 1.96.
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
        2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
        2.060, 2.056, 2.052, 2.048, 2.045, 2.042]

def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]

def summary(values):
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, float("nan"), 0.0
    var = sum((v - mean) ** 2 for v in values) / (n - 1)
    t = T975[n - 2] if n - 1 <= len(T975) else 1.96
    return mean, t * math.sqrt(var / n), var / n

def turn_means(records, ends):
    """The mean CPU seconds of the replications of each turn (`ends`: cumulative counts)."""
    means, start = [], 0
    for end in ends:
        block = [r["cpu_seconds"] for r in records[start:end]]
        means.append(sum(block) / len(block) if block else float("nan"))
        start = end
    return means

def ratio_interval(numerators, denominators):
    """Ratio of the means of paired per-turn values, and its 95% confidence interval by the
    delta method over turns. The turns are the unit: a slow spell of the host weighs on
    both engines within a turn, so their covariance narrows the interval."""
    pairs = [(a, b) for a, b in zip(numerators, denominators) if a == a and b == b]
    n = len(pairs)
    a_mean = sum(a for a, _ in pairs) / n
    b_mean = sum(b for _, b in pairs) / n
    ratio = a_mean / b_mean
    if n < 2:
        return ratio, float("nan"), float("nan")
    # Residuals of a - ratio * b: their variance over n is the ratio's variance times b̄².
    residuals = [a - ratio * b for a, b in pairs]
    variance = sum(r * r for r in residuals) / (n - 1) / n / (b_mean * b_mean)
    t = T975[n - 2] if n - 1 <= len(T975) else 1.96
    half = t * math.sqrt(variance)
    return ratio, ratio - half, ratio + half

rust, simpy = load(sys.argv[1]), load(sys.argv[2])
with open(sys.argv[6]) as f:
    turns = [list(map(int, line.split())) for line in f if line.strip()]
rust_cpu = summary([r["cpu_seconds"] for r in rust])[0]
simpy_cpu = summary([r["cpu_seconds"] for r in simpy])[0]
print(f"pipelines per replication: pipesim {summary([r['arrived'] for r in rust])[0]:.0f}, "
      f"simpy {summary([r['arrived'] for r in simpy])[0]:.0f}")
print(f"CPU seconds per replication: pipesim {rust_cpu:.4f} ({len(rust)} reps), "
      f"simpy {simpy_cpu:.3f} ({len(simpy)} reps)")
simpy_turns = [r["cpu_seconds"] for r in simpy]
rust_turns = turn_means(rust, [t[0] for t in turns])
ratio, low, high = ratio_interval(simpy_turns, rust_turns)
print(f"speed ratio (simpy / pipesim): {simpy_cpu / rust_cpu:.1f}x; "
      f"over {len(turns)} turns {ratio:.1f}x, 95% CI {low:.1f}x to {high:.1f}x")
floor, floor_platform = load(sys.argv[3]), load(sys.argv[4])
if floor:
    floor_cpu = summary([r["cpu_seconds"] for r in floor])[0]
    _, floor_low, floor_high = ratio_interval(rust_turns, turn_means(floor, [t[1] for t in turns]))
    print(f"floor (benches/floor.rs, the model by hand, two means only): {floor_cpu:.4f} CPU s, "
          f"{simpy_cpu / floor_cpu:.1f}x SimPy; pipesim takes {rust_cpu / floor_cpu:.2f}x the floor "
          f"(95% CI {floor_low:.2f}x to {floor_high:.2f}x)")
if floor_platform:
    platform_cpu = summary([r["cpu_seconds"] for r in floor_platform])[0]
    print(f"floor on the platform's math library (--platform-math): {platform_cpu:.4f} CPU s, "
          f"{simpy_cpu / platform_cpu:.1f}x SimPy")
simpy_all = load(sys.argv[5])
if simpy_all:
    all_cpu = summary([r["cpu_seconds"] for r in simpy_all])[0]
    print(f"simpy computing every metric pipesim reports (year.py --metrics all): {all_cpu:.3f} CPU s "
          f"({len(simpy_all)} reps), {all_cpu / rust_cpu:.1f}x pipesim's time")
for key, label in [("wait_mean", "mean wait (s)"), ("makespan_mean", "mean makespan (s)")]:
    rm, rh, rv = summary([r[key] for r in rust])
    sm, sh, sv = summary([r[key] for r in simpy])
    welch = (rm - sm) / math.sqrt(rv + sv) if rv + sv > 0 else float("nan")
    overlap = abs(rm - sm) <= rh + sh
    print(f"{label}: pipesim {rm:.1f} ± {rh:.1f}, simpy {sm:.1f} ± {sh:.1f} "
          f"(95% CIs; Welch t = {welch:.2f}; intervals {'overlap' if overlap else 'DO NOT overlap'})")
PY

echo "peak RSS of one replication (traces off):"
for years in 1 2; do
  rss=$(/usr/bin/time -v "$BIN" --years "$years" 2>&1 >/dev/null | sed -n 's/.*Maximum resident set size (kbytes): //p')
  echo "  $years year(s): ${rss} KB"
done
