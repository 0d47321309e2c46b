#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs the test servers and tools the tests use
# (Debian's influxdb and victoria-metrics, chromium, vim), then runs every test: the Rust
# suite and the editor grammar tests.
# With --lint, runs clippy with warnings denied first (what CI does).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -x scripts/install-test-deps.sh ]; then
  scripts/install-test-deps.sh
fi
if [ "${1:-}" = "--lint" ]; then
  cargo clippy --all-targets --locked -- -D warnings
fi
cargo test --locked
# The editor grammars: TextMate (VS Code) with vscode-tmgrammar-test from npm, Vim in batch mode.
editors/vscode/test.sh
editors/vim/test.sh
