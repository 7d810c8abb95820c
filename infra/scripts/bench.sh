#!/usr/bin/env bash
# `npm run bench`: throughput and latency of the system against the raw limits of this machine (DESIGN §2 and
# the targets in infra/README.md). Not a test: it measures and reports, and exits 0 when it could measure.
# Results: JSON and a Markdown table on stdout, and bench-results/bench-<timestamp>.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
[ -x node_modules/.bin/node ] || npm install --no-audit --no-fund
bash infra/scripts/ensure-stack.sh
npx nx run-many -t build --output-style=static >/tmp/cm-bench-build.log 2>&1 || { cat /tmp/cm-bench-build.log >&2; exit 1; }
exec "$PWD/node_modules/.bin/node" infra/dist/bench/main.js "$@"
