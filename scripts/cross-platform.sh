#!/usr/bin/env bash
# Checks that results are the same bytes on other platforms: builds pipesim for the host and
# for each target (default: x86-64 with musl's C library, and 32-bit x86), runs every shipped
# scenario with each build (the year benchmark with two replications), and compares the run
# directories file by file: summary.json, summary.csv, replications.jsonl and every trace.
# manifest.json is left out: it records the command line, the output path and the wall time.
# Exits 1 at the first difference, naming it.
#
# Usage: scripts/cross-platform.sh [TARGET...]
# Needs: `rustup target add TARGET` for each target; for musl, Debian's musl-tools (a C
# compiler for the TLS library's build); for 32-bit x86, gcc-multilib. Release builds of
# about two minutes each on two cores, into target/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(x86_64-unknown-linux-musl i686-unknown-linux-gnu)

installed=$(rustup target list --installed)
for target in "${targets[@]}"; do
  grep -qx "$target" <<<"$installed" || {
    echo "error: target $target is not installed (rustup target add $target)" >&2
    exit 2
  }
done

runs=$(mktemp -d)
trap 'rm -rf "$runs"' EXIT

# Runs every shipped scenario with the pipesim at $1, into $runs/$2.
run_all() {
  local bin=$1 name=$2
  mkdir -p "$runs/$name"
  for scenario in scenarios/*.pipesim scenarios/bench/year.pipesim; do
    local base extra=()
    base=$(basename "$scenario" .pipesim)
    [ "$base" = year ] && extra=(--replications 2 --trace none)
    "$bin" run "$scenario" "${extra[@]}" --out "$runs/$name/$base" > /dev/null 2> "$runs/log" || {
      cat "$runs/log" >&2
      exit 2
    }
  done
}

echo "building for the host..." >&2
cargo build --release --locked --quiet --bin pipesim
run_all target/release/pipesim host

status=0
for target in "${targets[@]}"; do
  echo "building for $target..." >&2
  # The TLS library (ring) compiles C; musl's compiler wrapper is musl-gcc.
  CC_x86_64_unknown_linux_musl=${CC_x86_64_unknown_linux_musl:-musl-gcc} \
    cargo build --release --locked --quiet --bin pipesim --target "$target"
  run_all "target/$target/release/pipesim" "$target"
  if diff -r -q -x manifest.json "$runs/host" "$runs/$target"; then
    echo "$target: the same bytes as the host in every run directory" >&2
  else
    echo "$target: DIFFERENT from the host" >&2
    status=1
  fi
done
exit $status
