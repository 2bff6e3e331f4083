//! Heap bytes per entry beyond key and value, measured with a counting allocator: each cache
//! is built and filled with 200,000 entries (13–18-byte keys `room:{i}:last`, 32-byte values)
//! inside a `stats_alloc` region; live bytes minus key and value bytes, divided by entries.
//!
//! ```text
//! cargo run --release -p chatcache-bench --bin memory -- [--out DIR]
//! ```
//!
//! Every cache is sized to hold all entries (an `InMemoryCache` gets shard headroom; its
//! stores allocate lazily, so headroom costs nothing). Peers hold `String` keys and
//! `Vec<u8>` (by-reference caches) or `Arc<[u8]>` (by-clone caches) values, as in the
//! throughput benchmark; their headers count as overhead, as they do in a user's process.

use std::alloc::System;
use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chatcache::Cache as _;
use chatcache_bench::contenders::{memory_cache, ready};
use chatcache_bench::report::{self, MemoryRow};
use chatcache_core::{Store, Timestamp, Ttl};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const ENTRIES: usize = 200_000;
const VALUE: [u8; 32] = [7; 32];
const TTL: Duration = Duration::from_secs(3600);

/// Builds a cache and fills it inside a counting region; `held` must then report every key.
fn measure<T>(
    name: &str,
    keys: &[String],
    build: impl FnOnce() -> T,
    mut insert: impl FnMut(&mut T, &String),
    held: impl FnOnce(&mut T) -> usize,
) -> MemoryRow {
    let region = Region::new(GLOBAL);
    let mut cache = build();
    for key in keys {
        insert(&mut cache, key);
    }
    let held = held(&mut cache);
    let stats = region.change();
    assert_eq!(
        held,
        keys.len(),
        "{name} evicted entries; give it more room"
    );
    let payload: usize = keys.iter().map(|k| k.len() + VALUE.len()).sum();
    drop(cache);
    MemoryRow {
        contender: name.to_owned(),
        entries: keys.len() as u64,
        payload_bytes: payload as u64,
        heap_bytes: (stats.bytes_allocated - stats.bytes_deallocated) as u64,
    }
}

struct MokaTtl;

impl moka::Expiry<String, Arc<[u8]>> for MokaTtl {
    fn expire_after_create(&self, _: &String, _: &Arc<[u8]>, _: Instant) -> Option<Duration> {
        Some(TTL)
    }
}

fn main() -> ExitCode {
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--out", Some(dir)) => out = Some(std::path::PathBuf::from(dir)),
            _ => {
                eprintln!("usage: memory [--out DIR]");
                return ExitCode::from(2);
            }
        }
    }
    let keys: Vec<String> = (0..ENTRIES).map(|i| format!("room:{i}:last")).collect();
    let ttl = Ttl::from_millis(TTL.as_millis() as u64).expect("a valid TTL");
    let now = Timestamp::from_millis(1_700_000_000_000);
    let limits = chatcache_bench::chatcache_limits(ENTRIES);
    let mut rows = vec![
        measure(
            "chatcache Store",
            &keys,
            || Store::new(limits),
            |s, k| s.set(k, &VALUE, None, now).expect("fits"),
            |s| s.len(),
        ),
        measure(
            "chatcache Store, TTL per entry",
            &keys,
            || Store::new(limits),
            |s, k| s.set(k, &VALUE, Some(ttl), now).expect("fits"),
            |s| s.len(),
        ),
        measure(
            "chatcache InMemoryCache",
            &keys,
            || memory_cache(ENTRIES),
            |c, k| ready(c.set(k, &VALUE, None)).expect("fits"),
            |c| c.held_entries(),
        ),
        measure(
            "chatcache InMemoryCache, TTL per entry",
            &keys,
            || memory_cache(ENTRIES),
            |c, k| ready(c.set(k, &VALUE, Some(TTL))).expect("fits"),
            |c| c.held_entries(),
        ),
        // `MemoryCache` (the synchronous API) is the same stores: no separate row.
        measure(
            "quick_cache::unsync",
            &keys,
            || quick_cache::unsync::Cache::<String, Vec<u8>>::new(ENTRIES),
            |c, k| c.insert(k.clone(), VALUE.to_vec()),
            |c| c.len(),
        ),
        measure(
            "moka::sync",
            &keys,
            || moka::sync::Cache::<String, Arc<[u8]>>::new(ENTRIES as u64),
            |c, k| c.insert(k.clone(), Arc::from(&VALUE[..])),
            |c| {
                c.run_pending_tasks();
                c.entry_count() as usize
            },
        ),
        measure(
            "moka::sync, TTL per entry",
            &keys,
            || {
                moka::sync::Cache::<String, Arc<[u8]>>::builder()
                    .max_capacity(ENTRIES as u64)
                    .expire_after(MokaTtl)
                    .build()
            },
            |c, k| c.insert(k.clone(), Arc::from(&VALUE[..])),
            |c| {
                c.run_pending_tasks();
                c.entry_count() as usize
            },
        ),
        measure(
            "mini-moka::sync",
            &keys,
            || mini_moka::sync::Cache::<String, Arc<[u8]>>::new(ENTRIES as u64),
            |c, k| c.insert(k.clone(), Arc::from(&VALUE[..])),
            |c| {
                use mini_moka::sync::ConcurrentCacheExt as _;
                c.sync();
                c.entry_count() as usize
            },
        ),
        measure(
            "lru",
            &keys,
            || lru::LruCache::<String, Vec<u8>>::new(NonZeroUsize::new(ENTRIES).expect("non-zero")),
            |c, k| {
                c.put(k.clone(), VALUE.to_vec());
            },
            |c| c.len(),
        ),
    ];
    rows.retain(|r| r.entries > 0);
    println!(
        "Heap bytes per entry ({ENTRIES} entries, 13–18-byte keys, 32-byte values):\n\n{}",
        report::memory_markdown(&rows)
    );
    if let Some(dir) = out {
        if let Err(e) = report::write_memory(&dir, &rows) {
            eprintln!("cannot write to {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
        println!("results: {}", dir.join("memory.json").display());
    }
    ExitCode::SUCCESS
}
