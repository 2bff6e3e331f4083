#!/usr/bin/env bash
# Installs what the tests need and is missing: the wasm32 target, the nightly toolchain (for
# cargo-fuzz), Debian packages (redis-server, redis-tools for redis-cli, chromium,
# chromium-driver, firefox-esr, node, npm, and valgrind for scripts/bench.sh) and cargo tools (wasm-bindgen-cli at the exact version
# the crate pins, wasm-pack and geckodriver at the versions of wasm/scripts/tool-versions.sh,
# cargo-fuzz). The npm packages (Deno, Bun, workerd, the bundlers, …) come with `npm ci` in
# wasm/scripts/test.sh. Idempotent: a second run installs nothing.
#
#   scripts/ensure-tools.sh          everything the tests need
#   scripts/ensure-tools.sh --demo   only what scripts/run.sh needs to build and start the chat
#                                    demo: the wasm32 target, the wasm-bindgen CLI, node and npm
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
    "") all=true ;;
    --demo) all=false ;;
    *) echo "usage: $0 [--demo]" >&2; exit 2 ;;
esac

say() { printf '==> %s\n' "$*"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# --- Rust toolchains and targets -------------------------------------------------------------
if ! command -v cargo >/dev/null; then
    echo "cargo not found: install Rust with rustup (https://rustup.rs) first" >&2
    exit 1
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
fi
if "$all" && ! rustup toolchain list | grep -q '^nightly'; then
    say "installing the nightly toolchain (for cargo-fuzz)"
    rustup toolchain install nightly --profile minimal
fi

# --- Debian packages ------------------------------------------------------------------------
missing=()
packages=(nodejs npm)
"$all" && packages+=(redis-server redis-tools chromium chromium-driver firefox-esr valgrind)
for package in "${packages[@]}"; do
    # A binary on PATH counts (node/npm may come from elsewhere than Debian).
    case "$package" in
        nodejs) command -v node >/dev/null && continue ;;
        npm) command -v npm >/dev/null && continue ;;
    esac
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

# Node 20 or later (playwright-core, the wasm tests and the demo need it; Debian 12 ships 18):
# if the node on PATH is older, install the npm registry's own Node 20 build globally.
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
    say "installing Node 20 from the npm registry (the node on PATH is $(node --version 2>/dev/null))"
    as_root npm install --global --no-fund --no-audit node@20
    hash -r
    node_major=$(node -p 'process.versions.node.split(".")[0]')
    if [ "$node_major" -lt 20 ]; then
        echo "node on PATH is still $(node --version) after installing Node 20 into $(npm prefix -g)/bin; put that first on PATH" >&2
        exit 1
    fi
fi

# --- cargo tools ----------------------------------------------------------------------------
# The wasm-bindgen CLI must be exactly the version of the wasm-bindgen crate.
wasm_bindgen_version=$(sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p' Cargo.toml)
if [ -z "$wasm_bindgen_version" ]; then
    echo "could not read the pinned wasm-bindgen version from Cargo.toml" >&2
    exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wasm_bindgen_version" ]; then
    say "installing wasm-bindgen-cli $wasm_bindgen_version"
    # Not --locked: the CLI's own lock file does not resolve on every registry mirror.
    cargo install wasm-bindgen-cli --version "$wasm_bindgen_version" --force
fi
"$all" || exit 0
# wasm-pack runs the wasm-bindgen tests in headless Chromium and Firefox (through geckodriver).
# shellcheck source=../wasm/scripts/tool-versions.sh
. wasm/scripts/tool-versions.sh
cargo_tool() {
    local name=$1 version=$2
    if [ "$("$name" --version 2>/dev/null | awk 'NR == 1 { print $2 }')" != "$version" ]; then
        say "installing $name $version"
        cargo install "$name" --version "$version" --locked --force
    fi
}
cargo_tool wasm-pack "$wasm_pack_version"
cargo_tool geckodriver "$geckodriver_version"
if ! command -v cargo-fuzz >/dev/null; then
    say "installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi
