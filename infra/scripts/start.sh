#!/usr/bin/env bash
# `npm start`: from a fresh clone to a running, seeded system in the foreground. Installs dependencies if
# needed, brings up NATS/PostgreSQL/Redis (ensure-stack.sh), builds, provisions streams, then runs `cm up`.
# Arguments are passed to `cm up` (e.g. npm start -- --no-seed).
set -euo pipefail
cd "$(dirname "$0")/../.."
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false

say() { printf '[start] %s\n' "$*" >&2; }

[ -x node_modules/.bin/node ] || { say "installing dependencies"; npm install --no-audit --no-fund; }
# The repository pins Node 24 as a dependency; use it whatever `node` is on PATH.
NODE="$PWD/node_modules/.bin/node"

bash infra/scripts/ensure-stack.sh
say "building"
npx nx run-many -t build --output-style=static >/tmp/cm-start-build.log 2>&1 || { cat /tmp/cm-start-build.log >&2; say "build failed"; exit 1; }
"$NODE" infra/dist/cli.js provision
say "starting the services; when they are ready the GraphQL endpoint (http://localhost:4000/graphql by default) is printed:"
say "point a GraphQL client at it, or open it in a browser for GraphiQL. Ctrl-C stops everything."
exec "$NODE" infra/dist/cli.js up "$@"
