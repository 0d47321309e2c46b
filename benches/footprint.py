#!/usr/bin/env python3
"""The hot code footprint of a program, from a callgrind profile.

Reads a profile written with `valgrind --tool=callgrind --dump-instr=yes` and prints how
many 64-byte instruction cache lines hold the instructions executed at least THRESHOLD
times, and what share of all executed instructions they hold. The year benchmark's speed on
a shared host depends on it: when another thread shares the core's first-level instruction
cache, a hot loop whose code does not fit in what is left misses on every pass (see
BENCHMARKS.md, "Session 33").

Usage:
    valgrind --tool=callgrind --dump-instr=yes --callgrind-out-file=cg.out \\
        target/release/deps/year-HASH --years 0.1
    benches/footprint.py cg.out [THRESHOLD]      (default THRESHOLD: 1000)
"""
import collections
import sys


def instruction_costs(path):
    """Instructions executed at each address (self cost only: the cost line after a
    `calls=` line is the call's inclusive cost, not the calling instruction's)."""
    costs = collections.Counter()
    positions = ["instr"]
    current = [0, 0]
    after_call = False
    with open(path) as profile:
        for line in profile:
            if line.startswith("positions:"):
                positions = line.split()[1:]
                continue
            if line.startswith("calls="):
                after_call = True
                continue
            if not line or line[0] not in "0123456789+-*":
                continue
            fields = line.split()
            for i, token in enumerate(fields[: len(positions)]):
                if token == "*":
                    continue
                if token[0] in "+-":
                    current[i] += int(token, 0)
                else:
                    current[i] = int(token, 0)
            if after_call:
                after_call = False
                continue
            counts = fields[len(positions):]
            if counts:
                costs[current[0]] += int(counts[0])
    if "instr" not in positions:
        sys.exit("error: the profile has no instruction addresses (use --dump-instr=yes)")
    return costs


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    threshold = int(sys.argv[2]) if len(sys.argv) == 3 else 1000
    costs = instruction_costs(sys.argv[1])
    lines = collections.Counter()
    for address, count in costs.items():
        if count >= threshold:
            lines[address // 64] += count
    total = sum(costs.values())
    hot = sum(lines.values())
    print(
        f"{len(lines)} lines of 64 B = {len(lines) * 64} B hold the instructions run at least "
        f"{threshold} times ({hot / max(total, 1):.1%} of {total} instructions)"
    )


if __name__ == "__main__":
    main()
