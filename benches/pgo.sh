#!/usr/bin/env bash
# Builds the year benchmark with profile-guided optimisation (PGO), trained on the shipped
# scenarios rather than on the benchmark itself: an instrumented `pipesim` runs every
# scenarios/*.pipesim, LLVM merges the profiles, and the benchmark is built again with them.
# So the figure is what a release build trained on representative scenarios would give the
# year model, not a build fitted to the model it is measured on.
#
# Usage: benches/pgo.sh DEST     (then: YEAR_BIN=DEST benches/compare.sh, or
#                                 benches/alternate.sh target/release/deps/year-HASH DEST)
# It also leaves a PGO build of pipesim itself in target/pgo-use/release/pipesim.
# Needs: an llvm-profdata that reads rustc's profiles, as new as rustc's own LLVM (`rustc
# -vV`; 22 with Rust 1.95): `rustup component add llvm-tools`, or Debian's llvm-NN. Builds go to target/pgo-*, apart from
# the usual ones; a build takes a few minutes on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$#" -eq 1 ] || { echo "usage: $0 DEST" >&2; exit 2; }
dest=$1

# The profile format follows rustc's LLVM; an older llvm-profdata refuses it ("unsupported
# instrumentation profile format version"), so rustup's own comes first, then the newest
# versioned one.
profdata=""
for candidate in "$(rustc --print sysroot)"/lib/rustlib/*/bin/llvm-profdata \
  $(ls -d /usr/lib/llvm-*/bin/llvm-profdata 2>/dev/null | sort -t- -k2 -n -r) \
  "$(command -v llvm-profdata || true)"; do
  if [ -x "$candidate" ]; then
    profdata=$candidate
    break
  fi
done
[ -n "$profdata" ] || { echo "error: no llvm-profdata (rustup component add llvm-tools)" >&2; exit 2; }

profiles=$(mktemp -d)
runs=$(mktemp -d)
trap 'rm -rf "$profiles" "$runs"' EXIT

# Built together with the benchmark, so that both link the one library build the benchmark
# will: a profile names functions by their mangled symbols, which carry a hash of the
# build's settings (the profile's name, the features of the dependencies, which the
# benchmark's dev-dependencies change). A `cargo build --release` trains a profile that
# matches none of the benchmark's functions.
echo "building an instrumented pipesim..." >&2
CARGO_TARGET_DIR=target/pgo-generate RUSTFLAGS="-Cprofile-generate=$profiles" \
  cargo build --profile bench --locked --quiet --bin pipesim --bench year
echo "training on the shipped scenarios..." >&2
for scenario in scenarios/*.pipesim; do
  target/pgo-generate/release/pipesim run "$scenario" --replications 4 \
    --out "$runs/$(basename "$scenario" .pipesim)" > /dev/null
done
"$profdata" merge -o "$profiles/merged.profdata" "$profiles"/*.profraw

echo "building pipesim and the year benchmark with the profile..." >&2
bin=$(CARGO_TARGET_DIR=target/pgo-use RUSTFLAGS="-Cprofile-use=$profiles/merged.profdata" \
  cargo build --profile bench --locked --bin pipesim --bench year --message-format=json |
  python3 -c '
import json, sys
for line in sys.stdin:
    message = json.loads(line)
    if message.get("reason") == "compiler-artifact" and message["target"]["kind"] == ["bench"]:
        print(message["executable"])')
[ -x "$bin" ] || { echo "error: could not find the benchmark binary" >&2; exit 2; }
cp "$bin" "$dest"
echo "built $dest, and target/pgo-use/release/pipesim" >&2
