#!/usr/bin/env bash
# Runs every check and test of chatcache (what CI runs), after installing what is missing.
#
#   scripts/test.sh            everything
#   FUZZ_SECONDS=300 scripts/test.sh   a longer fuzz run
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n==> %s\n' "$*"; }

run_all() {
    scripts/ensure-tools.sh

    say "format"
    cargo fmt --all --check
    (cd fuzz && cargo fmt --check)

    say "clippy (all targets, warnings are errors)"
    cargo clippy --workspace --all-targets --all-features -- -D warnings
    cargo clippy -p chatcache-core -p chatcache-wasm --target wasm32-unknown-unknown -- -D warnings

    say "the core builds for wasm32-unknown-unknown and depends on nothing that does I/O"
    cargo build -p chatcache-core --target wasm32-unknown-unknown
    forbidden='^(tokio|mio|redis|wasm-bindgen|js-sys|web-sys|getrandom|libc|socket2)$'
    if cargo tree -p chatcache-core -e normal,build --target wasm32-unknown-unknown --prefix none \
        | awk '{print $1}' | grep -E "$forbidden"; then
        echo "chatcache-core must not depend on the crates above" >&2
        exit 1
    fi

    say "chatcache memory-only (--no-default-features): clippy, tests, no Redis/TLS/network crates, no log subscriber"
    cargo clippy -p chatcache --no-default-features --all-targets -- -D warnings
    cargo test -p chatcache --no-default-features
    RUSTDOCFLAGS="-D warnings" cargo doc -p chatcache --no-deps --no-default-features
    forbidden='^(redis|rustls|mio|socket2|url|tracing-subscriber)$'
    if cargo tree -p chatcache --no-default-features -e normal,build --prefix none \
        | awk '{print $1}' | grep -E "$forbidden"; then
        echo "chatcache without default features must not depend on the crates above" >&2
        exit 1
    fi
    # An app's tracing_subscriber::fmt::init() must keep its defaults (env-filter would turn the
    # default level to ERROR and hide the fallback warning): no subscriber in the library.
    if cargo tree -p chatcache -e normal,build --prefix none | awk '{print $1}' \
        | grep -Ex 'tracing-subscriber'; then
        echo "chatcache (default features) must not depend on tracing-subscriber" >&2
        exit 1
    fi

    say "tests (unit, integration, property, conformance against memory and a real redis-server)"
    cargo test --workspace --all-features

    say "docs (warnings are errors)"
    RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features

    say "wasm package: wasm-bindgen tests in Node, Chromium and Firefox, npm build, JS, runtime and bundler tests"
    bash wasm/scripts/test.sh

    say "chat demo: end to end in headless Chromium (memory; redis-server and two servers)"
    cargo build -p chatcache-demo
    if [ ! -f demo/node_modules/.package-lock.json ] \
        || [ demo/package-lock.json -nt demo/node_modules/.package-lock.json ]; then
        (cd demo && npm ci --no-audit --no-fund)
    fi
    (cd demo && npm test --silent)

    say "fuzz smoke run (${FUZZ_SECONDS:-60} s)"
    (cd fuzz && cargo +nightly fuzz run store_ops -- -max_total_time="${FUZZ_SECONDS:-60}")
}

# Everything goes to a log as well, so the test counts of every runner (cargo's harness,
# wasm-bindgen-test, node:test) can be summed into one closing line.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
run_all 2>&1 | tee "$log"
count() { { grep -oE "$1" "$log" || true; } | { grep -oE '[0-9]+' || true; } | awk '{ sum += $1 } END { print sum + 0 }'; }
passed=$(( $(count 'test result: ok\. [0-9]+ passed') + $(count '^ℹ pass [0-9]+') ))
failed=$(( $(count '; [0-9]+ failed') + $(count '^ℹ fail [0-9]+') ))
skipped=$(count '^ℹ skipped [0-9]+')
printf '\n==> all checks passed\n'
echo "summary: $passed passed, $failed failed, $skipped skipped"
