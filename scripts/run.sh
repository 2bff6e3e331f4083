#!/usr/bin/env bash
# The main job: the chat demo (demo/) on the default in-memory cache. Installs what is missing
# (scripts/ensure-tools.sh --demo), builds the npm package into wasm/pkg/ if it is missing or
# older than its sources, then builds and starts the server; open the URL it prints.
# Ctrl-C stops it.
#
#   scripts/run.sh                      http://127.0.0.1:8080/ (PORT=... or --port N; 0: any free port)
#   scripts/run.sh --port 8081 --db other.sqlite3
#   USE_REDIS=true REDIS_URL=redis://127.0.0.1:6379/0 scripts/run.sh --port 8081
#                                       a second server on the same database and a shared Redis
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-tools.sh --demo

# The npm package: `npm ci` when node_modules does not match the lock file, `npm run build`
# when pkg/ is older than anything it is built from.
if [ ! -f wasm/node_modules/.package-lock.json ] \
    || [ wasm/package-lock.json -nt wasm/node_modules/.package-lock.json ]; then
    echo "==> installing the npm package's build tools (npm ci in wasm/)"
    (cd wasm && npm ci --no-audit --no-fund --loglevel=error)
fi
built=wasm/pkg/package.json
if [ ! -f "$built" ] || [ -n "$(find core/src core/Cargo.toml wasm/src wasm/js wasm/entries \
    wasm/scripts wasm/Cargo.toml wasm/README.md wasm/package.json Cargo.lock \
    -newer "$built" -print -quit)" ]; then
    echo "==> building the npm package (wasm/pkg/)"
    (cd wasm && npm run --silent build)
fi

echo "==> building and starting the chat server"
exec cargo run --quiet -p chatcache-demo -- "$@"
