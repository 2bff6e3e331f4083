//! chatcache's benchmark suite: the instruments behind `BENCHMARKS.md`.
//!
//! - [`hit_ratio`]: a deterministic hit-ratio simulator. Seeded [`trace`]s (Zipf 0.8/1.0/1.2,
//!   scans shorter and longer than the cache, a chat server's reads) replayed cache-aside
//!   through chatcache's `Store`, moka, quick_cache, mini-moka and an exact LRU at 1 %, 5 % and
//!   10 % of the distinct keys. Binary: `cargo run --release -p chatcache-bench --bin
//!   hit-ratio -- [--quick]`.
//! - `benches/throughput.rs`: criterion throughput of get-hit, get-miss, set (overwrite,
//!   insert with eviction) and a mixed cache-aside workload, at 1 and 2 threads for the
//!   thread-safe caches, with same-run ratios against the peers.
//! - `src/bin/ops.rs`: N operations of one kind for one contender, for callgrind
//!   (`scripts/bench.sh` subtracts a setup-only run to get instructions per operation).
//! - `src/bin/memory.rs`: heap bytes per entry beyond key and value, with a counting allocator.
//! - [`report`] and [`plot`]: results files, ratio tables, SVG plots and the generated
//!   sections of `BENCHMARKS.md`.
//!
//! Everything measures chatcache through its public API; the construction of chatcache's
//! `Limits` lives in one place, [`chatcache_limits`].
//!
//! `scripts/bench.sh [--quick]` runs it all.

pub mod contenders;
pub mod hit_ratio;
pub mod peers;
pub mod plot;
pub mod report;
pub mod rng;
pub mod trace;
pub mod workload;

use chatcache_core::Limits;

/// chatcache limits for a cache of `max_entries` entries whose byte limit never binds (the
/// peers bound entries only). The one place the suite builds `Limits`.
pub fn chatcache_limits(max_entries: usize) -> Limits {
    Limits::builder()
        .max_entries(max_entries)
        .max_bytes(1 << 40)
        .build()
        .expect("a positive entry count and a large byte budget are valid limits")
}
