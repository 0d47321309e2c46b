#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs the test servers and tools the tests use
# (Debian's influxdb and victoria-metrics, chromium, vim), then runs every test: the Rust
# suite and the editor grammar tests. Ends with one line counting every test that ran.
# With --lint, runs clippy with warnings denied first (what CI does).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -x scripts/install-test-deps.sh ]; then
  scripts/install-test-deps.sh
fi
if [ "${1:-}" = "--lint" ]; then
  cargo clippy --all-targets --locked -- -D warnings
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --locked 2>&1 | tee "$log"
# The editor grammars: TextMate (VS Code) with vscode-tmgrammar-test from npm, Vim in batch mode.
editors/vscode/test.sh 2>&1 | tee -a "$log"
editors/vim/test.sh 2>&1 | tee -a "$log"

passed=$(awk '/^test result:/ { sum += $4 } END { print sum + 0 }' "$log")
failed=$(awk '/^test result:/ { sum += $6 } END { print sum + 0 }' "$log")
editor_files=$(grep -c 'run successfuly' "$log" || true)
editor_vim=$(grep -c '^vim syntax: ok' "$log" || true)
echo "tests: $((passed + editor_files + editor_vim)) passed, $failed failed"
