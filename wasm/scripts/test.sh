#!/usr/bin/env bash
# Every check of the wasm package, installing what is missing first (idempotent):
#
#   1. tools: node/npm, Chromium + chromedriver and Firefox ESR (fail with a hint if absent), the
#      wasm32 target, the wasm-bindgen CLI at exactly the pinned crate version, wasm-pack and
#      geckodriver (scripts/tool-versions.sh), npm packages (npm ci: Deno, Bun, workerd, Vite,
#      webpack, esbuild, Playwright, TypeScript);
#   2. the wasm-bindgen tests of chatcache-wasm in Node, then in headless Chromium and Firefox
#      through `wasm-pack test`;
#   3. npm run build (pkg/), then npm test: node:test (ESM, CJS, every method and bad input,
#      package checks, the conformance cases, a real page in Chromium via Playwright, the package
#      in Deno, Bun and workerd, apps built with Vite, webpack and esbuild running in Chromium)
#      and tsc --noEmit on usage files.
#
# Usage: bash wasm/scripts/test.sh        (from anywhere; honours CARGO_TARGET_DIR, CHROMIUM,
#                                          CHROMEDRIVER, FIREFOX, GECKODRIVER)
set -euo pipefail
cd "$(dirname "$0")/.."
wasm_dir=$PWD

say() { printf '\n==> %s\n' "$*"; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }
started=$SECONDS
timed() {
    local name=$1
    shift
    local t0=$SECONDS
    "$@"
    printf -- '--- %s: %d s\n' "$name" $((SECONDS - t0))
}

# --- 1. tools --------------------------------------------------------------------------------
command -v node >/dev/null || fail "node not found (apt-get install nodejs npm, or scripts/ensure-tools.sh)"
command -v npm >/dev/null || fail "npm not found (apt-get install npm, or scripts/ensure-tools.sh)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || fail "Node >= 20 needed, found $(node --version)"

chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || fail "Chromium not found at $chromium: apt-get install -y chromium chromium-driver (scripts/ensure-tools.sh installs it)"
chromedriver=${CHROMEDRIVER:-$(command -v chromedriver || true)}
[ -n "$chromedriver" ] && [ -x "$chromedriver" ] \
    || fail "chromedriver not found: apt-get install -y chromium-driver (scripts/ensure-tools.sh installs it)"

firefox=${FIREFOX:-/usr/bin/firefox-esr}
[ -x "$firefox" ] || fail "Firefox not found at $firefox: apt-get install -y firefox-esr (scripts/ensure-tools.sh installs it)"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
fi

# The CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
pinned=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' ../Cargo.lock)
[ -n "$pinned" ] || fail "could not read the wasm-bindgen version from Cargo.lock"
installed=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
runner=$(wasm-bindgen-test-runner --version 2>/dev/null | awk '{print $2}' || true)
if [ "$installed" != "$pinned" ] || [ "$runner" != "$pinned" ]; then
    say "installing wasm-bindgen-cli $pinned (found ${installed:-none})"
    # Not --locked: the CLI's own lock file does not resolve on every registry mirror.
    cargo install wasm-bindgen-cli --version "$pinned" --force
fi

# wasm-pack and geckodriver at the versions of scripts/tool-versions.sh.
# shellcheck source=tool-versions.sh
. scripts/tool-versions.sh
cargo_tool() {
    local name=$1 version=$2
    if [ "$("$name" --version 2>/dev/null | awk 'NR == 1 { print $2 }')" != "$version" ]; then
        say "installing $name $version"
        cargo install "$name" --version "$version" --locked --force
    fi
}
cargo_tool wasm-pack "$wasm_pack_version"
cargo_tool geckodriver "$geckodriver_version"
geckodriver=${GECKODRIVER:-$(command -v geckodriver)}

# npm ci only when node_modules does not match package-lock.json.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "npm ci"
    npm ci --no-audit --no-fund
fi

# --- 2. wasm-bindgen tests in Node, Chromium and Firefox -----------------------------------
say "wasm-bindgen tests in Node"
timed "wasm-bindgen tests (Node)" \
    cargo test -p chatcache-wasm --target wasm32-unknown-unknown

say "wasm-bindgen tests in headless Chromium and Firefox (wasm-pack)"
webdriver_json=$(mktemp)
trap 'rm -f "$webdriver_json"' EXIT
sed -e "s|/usr/bin/chromium|$chromium|" -e "s|/usr/bin/firefox-esr|$firefox|" webdriver.json >"$webdriver_json"
# The tests name no browser (no `wasm_bindgen_test_configure!`), so without
# WASM_BINDGEN_USE_BROWSER the runner would take them for Node tests and wasm-pack would skip
# them. It runs them once per browser; webdriver.json keeps both from looking up any host name.
timed "wasm-bindgen tests (Chromium, Firefox)" \
    env WASM_BINDGEN_USE_BROWSER=1 WASM_BINDGEN_TEST_WEBDRIVER_JSON="$webdriver_json" \
    wasm-pack test --headless --chrome --firefox --mode no-install \
    --chromedriver "$chromedriver" --geckodriver "$geckodriver"

# --- 3. the npm package ---------------------------------------------------------------------
say "npm run build"
timed "build" npm run --silent build

say "npm test"
timed "npm test" env CHROMIUM="$chromium" npm test --silent

say "wasm package: all checks passed in $((SECONDS - started)) s"
