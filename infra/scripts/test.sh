#!/usr/bin/env bash
# `npm test`: the whole suite (unit, integration against the real NATS/Postgres/Redis, whole-system e2e) on a
# fresh clone. Ends with one line `N passed, N failed[, N skipped]`.
set -uo pipefail
cd "$(dirname "$0")/../.."
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
[ -x node_modules/.bin/node ] || npm install --no-audit --no-fund || exit 1
bash infra/scripts/ensure-stack.sh || exit 1
bash infra/scripts/ensure-browser.sh || exit 1
# --skip-nx-cache: Nx keeps its cache per machine, outside the work tree, so a clone would otherwise get `dist` as
# another checkout built it (an incremental build there can leave files out). The tests run what this tree builds.
npx nx run-many -t build --skip-nx-cache --output-style=static >/tmp/cm-build.log 2>&1 || { cat /tmp/cm-build.log; echo "0 passed, 1 failed"; exit 1; }
mkdir -p test-results
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@"
status=$?
node infra/scripts/test-summary.mjs test-results/vitest.json || status=1
exit $status
