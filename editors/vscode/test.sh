#!/bin/sh
# Runs the TextMate grammar tests in test/*.pipesim (vscode-tmgrammar-test format: each
# source line is followed by `//   ^^^ scope` assertions) against syntaxes/pipesim.tmLanguage.json.
# Installs the test tool into node_modules on first use (not committed; see .gitignore).
set -eu
cd "$(dirname "$0")"
if [ ! -x node_modules/.bin/vscode-tmgrammar-test ]; then
  npm install --no-save --no-audit --no-fund vscode-tmgrammar-test@0.1.3
fi
exec npx --no-install vscode-tmgrammar-test --grammar syntaxes/pipesim.tmLanguage.json 'test/*.pipesim'
