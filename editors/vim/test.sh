#!/bin/sh
# Checks syntax/pipesim.vim with Vim in batch mode: test/syntax.vim highlights sample lines
# and compares the syntax group under chosen pieces of text with the expected one.
set -eu
cd "$(dirname "$0")"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
PIPESIM_VIM_TEST_OUT="$out" vim -N -u NONE -i NONE -es -S test/syntax.vim </dev/null || true
if [ "$(cat "$out")" = "ok" ]; then
  echo "vim syntax: ok"
else
  echo "vim syntax: failures:" >&2
  cat "$out" >&2
  exit 1
fi
