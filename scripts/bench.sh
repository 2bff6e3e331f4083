#!/usr/bin/env bash
# Runs chatcache's whole benchmark suite and reports it (see BENCHMARKS.md):
#
#   1. the hit-ratio simulator (6 seeded traces x 3 cache sizes, chatcache vs moka, quick_cache,
#      mini-moka, lru);
#   2. heap bytes per entry (counting allocator);
#   3. instructions per operation (valgrind --tool=callgrind, minus a setup-only run);
#   4. criterion throughput (get hit/miss, set overwrite/insert, mixed; 1 and 2 threads);
#   5. the npm package's own benchmark (wasm/bench, against lru-cache);
#   6. tables on stdout, results as JSON + CSV, SVG plots.
#
#   scripts/bench.sh           full run (~12 min): results in bench/results/, plots in
#                              bench/plots/, and the generated sections of BENCHMARKS.md rewritten
#   scripts/bench.sh --quick   quick run (under 5 min once built): results and plots in
#                              target/bench-quick/; BENCHMARKS.md is left alone
#
# The machine is shared and noisy: read the throughput tables as same-run ratios, not absolute
# figures. Instruction counts and hit ratios do not depend on load.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n==> %s\n' "$*"; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

quick=
for arg in "$@"; do
    case "$arg" in
        --quick) quick=1 ;;
        -h | --help) sed -n '2,19p' "$0"; exit 0 ;;
        *) fail "unknown argument $arg (try --help)" ;;
    esac
done

# Absolute paths: the criterion benchmark runs in bench/, not here.
root=$PWD
target=$(realpath -m "${CARGO_TARGET_DIR:-target}")
bin=$target/release
if [ -n "$quick" ]; then
    results=$target/bench-quick/results
    plots=$target/bench-quick/plots
    flag=(--quick)
    markdown=()
    # Read by the npm benchmark if it knows them; harmless otherwise.
    npm_env=(OPS=200000 ROUNDS=3)
else
    results=$root/bench/results
    plots=$root/bench/plots
    flag=()
    markdown=(--markdown "$root/BENCHMARKS.md")
    npm_env=()
fi
mkdir -p "$results" "$plots"

command -v valgrind >/dev/null || fail "valgrind not found (scripts/ensure-tools.sh installs it)"
command -v node >/dev/null || fail "node not found (scripts/ensure-tools.sh installs it)"

started=$SECONDS
timed() {
    local t0=$SECONDS
    "$@"
    printf -- '--- %d s\n' $((SECONDS - t0))
}

say "build (release)"
cargo build --release --quiet -p chatcache-bench --bins
cargo bench --quiet --no-run -p chatcache-bench --bench throughput 2>/dev/null

say "machine"
{
    echo "date:     $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "commit:   $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!bench/results' ':!bench/plots' ':!BENCHMARKS.md' || echo ' (with uncommitted changes)')"
    echo "mode:     $([ -n "$quick" ] && echo quick || echo full)"
    echo "cpu:      $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores$(lscpu | sed -n 's/^Hypervisor vendor: */, VM on /p')"
    echo "caches:   L1d $(lscpu | sed -n 's/^L1d cache: *//p'), L2 $(lscpu | sed -n 's/^L2 cache: *//p'), L3 $(lscpu | sed -n 's/^L3 cache: *//p')"
    echo "memory:   $(free -h | awk '/^Mem:/ {print $2}') RAM"
    echo "os:       $(. /etc/os-release && echo "$PRETTY_NAME"), Linux $(uname -r)"
    echo "rustc:    $(rustc --version)"
    echo "node:     $(node --version)"
    echo "valgrind: $(valgrind --version)"
    echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, at start)"
} | tee "$results/machine.txt"

say "hit ratio (seeded traces, cache-aside)"
timed "$bin/hit-ratio" "${flag[@]}" --out "$results"

say "memory per entry (counting allocator)"
timed "$bin/memory" --out "$results"

say "instructions per operation (callgrind)"
timed "$bin/callgrind" "${flag[@]}" --out "$results"

say "throughput (criterion)"
timed env CHATCACHE_BENCH_OUT="$results" CHATCACHE_BENCH_QUICK="${quick:-0}" \
    cargo bench --quiet -p chatcache-bench --bench throughput

say "npm package (wasm/bench)"
(
    cd wasm
    if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
        npm ci --no-audit --no-fund
    fi
    npm run --silent build >/dev/null
    env "${npm_env[@]}" npm run --silent bench
) | tee "$results/npm.txt"

say "report"
"$bin/report" --results "$results" --plots "$plots" "${markdown[@]}"

say "benchmarks done in $((SECONDS - started)) s: results in $results, plots in $plots"
