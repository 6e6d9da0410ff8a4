#!/usr/bin/env bash
# npm run test:e2e: install code-server + Chromium if needed, package the .vsix, run
# the suite once per VS Code: E2E_VSCODE=min (code-server 4.100.3, VS Code 1.100),
# latest (the newest code-server, on Node 24 from npm) or both (the default).
# Screenshots land in test-results/e2e/vscode-<version>/ (a CI artifact folder);
# at the end it prints which steps ran on which version and how long each run took.
set -euo pipefail
cd "$(dirname "$0")/../.."
WHICH="${E2E_VSCODE:-both}"
case "$WHICH" in
  min | latest) keys=("$WHICH") ;;
  both) keys=(min latest) ;;
  *) echo "E2E_VSCODE must be min, latest or both (got '$WHICH')" >&2; exit 2 ;;
esac
E2E_VSCODE="$WHICH" bash test/e2e/setup.sh
npm run package
rm -rf test-results/e2e
mkdir -p test-results/e2e
failed=()
for key in "${keys[@]}"; do
  echo
  echo "== e2e on VS Code '$key': $(E2E_VSCODE="$key" npx tsx test/e2e/summary.ts --describe)"
  start=$(date +%s)
  if E2E_VSCODE="$key" npx vitest run --config test/e2e/vitest.config.ts --reporter=verbose --reporter=json \
    --outputFile.json="test-results/e2e/results-$key.json" "$@"; then :; else failed+=("$key"); fi
  echo "$(( $(date +%s) - start ))" > "test-results/e2e/seconds-$key.txt"
done
npx tsx test/e2e/summary.ts "${keys[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "e2e failed on: ${failed[*]}" >&2
  exit 1
fi
