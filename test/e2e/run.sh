#!/usr/bin/env bash
# npm run test:e2e: install code-server + Chromium if needed, package the .vsix,
# run the suite. Screenshots land in test-results/e2e (a CI artifact folder).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash test/e2e/setup.sh
npm run package
rm -rf test-results/e2e
npx vitest run --config test/e2e/vitest.config.ts "$@"
