//! The hit-ratio simulator: every [`Trace`] replayed cache-aside (read; on a miss, insert)
//! through chatcache's [`Store`](chatcache_core::Store) and its peers, at 1 %, 5 % and 10 % of
//! the trace's distinct keys.
//!
//! Every cache is built with a fixed hash seed, so a run is a pure function of the traces —
//! except for moka, whose housekeeping is also triggered by elapsed time (every 300 ms), which
//! can move its figures in the last digit between runs.
//!
//! ```
//! use chatcache_bench::hit_ratio::{Policy, simulate};
//! use chatcache_bench::trace::{Mode, TraceKind};
//!
//! let trace = TraceKind::Zipf10.generate(Mode::Quick);
//! let hits = simulate(Policy::Chatcache, &trace, 1_000);
//! assert!(hits.ratio() > 0.3);
//! ```

use std::fmt::Write as _;
use std::num::NonZeroUsize;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::peers::{self, FIXED_SEED};
use crate::trace::{Mode, Trace, TraceKind};

/// The caches compared on hit ratio.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Policy {
    /// `chatcache_core::Store` (S3-FIFO).
    #[serde(rename = "chatcache")]
    Chatcache,
    /// `moka::sync::Cache` (TinyLFU admission, LRU eviction).
    #[serde(rename = "moka")]
    Moka,
    /// `quick_cache::unsync::Cache` (CLOCK-PRO-like with ghosts).
    #[serde(rename = "quick_cache")]
    QuickCache,
    /// `mini_moka::unsync::Cache` (TinyLFU admission, LRU eviction).
    #[serde(rename = "mini-moka")]
    MiniMoka,
    /// `lru::LruCache`: exact LRU, the classic baseline.
    #[serde(rename = "lru")]
    Lru,
}

impl Policy {
    /// Every policy, in table order.
    pub const ALL: [Policy; 5] = [
        Policy::Chatcache,
        Policy::Moka,
        Policy::QuickCache,
        Policy::MiniMoka,
        Policy::Lru,
    ];

    /// The column name.
    pub const fn name(self) -> &'static str {
        match self {
            Policy::Chatcache => "chatcache",
            Policy::Moka => "moka",
            Policy::QuickCache => "quick_cache",
            Policy::MiniMoka => "mini-moka",
            Policy::Lru => "lru",
        }
    }
}

/// Cache sizes of the table, in percent of a trace's distinct keys.
pub const SIZES_PERCENT: [u32; 3] = [1, 5, 10];

/// The capacity in entries for `percent` % of `distinct_keys` (at least 1).
pub fn cache_size(distinct_keys: usize, percent: u32) -> usize {
    (distinct_keys * percent as usize / 100).max(1)
}

/// Hits out of requests for one replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hits {
    /// Requests answered from the cache.
    pub hits: u64,
    /// All requests.
    pub requests: u64,
}

impl Hits {
    /// `hits / requests` (0 for an empty trace).
    pub fn ratio(self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.hits as f64 / self.requests as f64
        }
    }
}

/// A cache driven cache-aside: `access` reports a hit, or inserts the key and reports a miss.
#[allow(
    clippy::ptr_arg,
    reason = "mini-moka looks keys up by &K only; &String serves all"
)]
trait CacheAside {
    fn access(&mut self, key: &String) -> bool;
}

struct Chatcache(chatcache_core::Store);

impl CacheAside for Chatcache {
    fn access(&mut self, key: &String) -> bool {
        let now = chatcache_core::Timestamp::ZERO;
        if self
            .0
            .get(key, now)
            .expect("trace keys are valid")
            .is_some()
        {
            return true;
        }
        self.0.set(key, &[], None, now).expect("entries fit");
        false
    }
}

struct Moka(moka::sync::Cache<String, (), peers::FixedHasher>);

impl CacheAside for Moka {
    fn access(&mut self, key: &String) -> bool {
        if self.0.get(key).is_some() {
            return true;
        }
        self.0.insert(key.clone(), ());
        false
    }
}

struct QuickCache(
    quick_cache::unsync::Cache<String, (), quick_cache::UnitWeighter, peers::FixedHasher>,
);

impl CacheAside for QuickCache {
    fn access(&mut self, key: &String) -> bool {
        if self.0.get(key).is_some() {
            return true;
        }
        self.0.insert(key.clone(), ());
        false
    }
}

struct MiniMoka(mini_moka::unsync::Cache<String, (), peers::FixedHasher>);

impl CacheAside for MiniMoka {
    fn access(&mut self, key: &String) -> bool {
        if self.0.get(key).is_some() {
            return true;
        }
        self.0.insert(key.clone(), ());
        false
    }
}

struct Lru(lru::LruCache<String, (), peers::FixedHasher>);

impl CacheAside for Lru {
    fn access(&mut self, key: &String) -> bool {
        if self.0.get(key).is_some() {
            return true;
        }
        self.0.put(key.clone(), ());
        false
    }
}

fn replay(cache: &mut impl CacheAside, trace: &Trace) -> Hits {
    let hits = trace.iter().filter(|key| cache.access(key)).count();
    Hits {
        hits: hits as u64,
        requests: trace.requests().len() as u64,
    }
}

/// Replays `trace` through `policy` with room for `capacity` entries.
pub fn simulate(policy: Policy, trace: &Trace, capacity: usize) -> Hits {
    let capacity = capacity.max(1);
    let hasher = peers::fixed_hasher();
    match policy {
        Policy::Chatcache => {
            let store = chatcache_core::Store::with_hash_seed(
                crate::chatcache_limits(capacity),
                FIXED_SEED,
            );
            let mut cache = Chatcache(store);
            let hits = replay(&mut cache, trace);
            debug_assert!(cache.0.validate().is_ok());
            hits
        }
        Policy::Moka => {
            let cache = moka::sync::Cache::builder()
                .max_capacity(capacity as u64)
                .build_with_hasher(hasher);
            replay(&mut Moka(cache), trace)
        }
        Policy::QuickCache => {
            let cache = quick_cache::unsync::Cache::with(
                capacity,
                capacity as u64,
                quick_cache::UnitWeighter,
                hasher,
                quick_cache::unsync::DefaultLifecycle::default(),
            );
            replay(&mut QuickCache(cache), trace)
        }
        Policy::MiniMoka => {
            let cache = mini_moka::unsync::Cache::builder()
                .max_capacity(capacity as u64)
                .build_with_hasher(hasher);
            replay(&mut MiniMoka(cache), trace)
        }
        Policy::Lru => {
            let capacity = NonZeroUsize::new(capacity).expect("capacity is at least 1");
            replay(
                &mut Lru(lru::LruCache::with_hasher(capacity, hasher)),
                trace,
            )
        }
    }
}

/// One row of the table: a trace at one cache size, with every policy's hit ratio.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Row {
    /// The trace.
    pub trace: TraceKind,
    /// Requests in the trace.
    pub requests: usize,
    /// Distinct keys in the trace.
    pub distinct_keys: usize,
    /// Cache size in percent of the distinct keys.
    pub percent: u32,
    /// Cache size in entries.
    pub capacity: usize,
    /// Hit ratios in [`Policy::ALL`] order.
    pub ratios: Vec<(Policy, f64)>,
}

impl Row {
    /// The hit ratio of `policy` (0 if it was not run).
    pub fn ratio(&self, policy: Policy) -> f64 {
        self.ratios
            .iter()
            .find(|(p, _)| *p == policy)
            .map_or(0.0, |&(_, r)| r)
    }

    /// The best of moka and quick_cache, the issue's yardstick.
    pub fn best_peer(&self) -> f64 {
        self.ratio(Policy::Moka).max(self.ratio(Policy::QuickCache))
    }

    /// chatcache minus the best of moka and quick_cache, in percentage points.
    pub fn gap_points(&self) -> f64 {
        (self.ratio(Policy::Chatcache) - self.best_peer()) * 100.0
    }
}

/// Runs every trace at every size through `policies`, on up to `threads` threads (the
/// results do not depend on the thread count). Rows come in trace, then size, order.
pub fn run(mode: Mode, traces: &[TraceKind], policies: &[Policy], threads: usize) -> Vec<Row> {
    let traces: Vec<Trace> = traces.iter().map(|kind| kind.generate(mode)).collect();
    let jobs: Vec<(usize, u32, Policy)> = traces
        .iter()
        .enumerate()
        .flat_map(|(t, _)| {
            SIZES_PERCENT
                .into_iter()
                .flat_map(move |percent| policies.iter().map(move |&p| (t, percent, p)))
        })
        .collect();
    let results = Mutex::new(vec![None; jobs.len()]);
    let next = Mutex::new(0usize);
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| {
                loop {
                    let job = {
                        let mut next = next.lock().expect("no panics while locked");
                        let job = *next;
                        *next += 1;
                        job
                    };
                    let Some(&(t, percent, policy)) = jobs.get(job) else {
                        break;
                    };
                    let trace = &traces[t];
                    let hits = simulate(policy, trace, cache_size(trace.distinct_keys(), percent));
                    results.lock().expect("no panics while locked")[job] = Some(hits.ratio());
                }
            });
        }
    });
    let results = results.into_inner().expect("no panics while locked");
    let mut rows = Vec::new();
    for (job, &(t, percent, policy)) in jobs.iter().enumerate() {
        let ratio = results[job].expect("every job ran");
        let trace = &traces[t];
        let fresh = rows
            .last()
            .is_none_or(|row: &Row| row.trace != trace.kind() || row.percent != percent);
        if fresh {
            rows.push(Row {
                trace: trace.kind(),
                requests: trace.requests().len(),
                distinct_keys: trace.distinct_keys(),
                percent,
                capacity: cache_size(trace.distinct_keys(), percent),
                ratios: Vec::new(),
            });
        }
        rows.last_mut()
            .expect("pushed above")
            .ratios
            .push((policy, ratio));
    }
    rows
}

/// The rows as a Markdown table: hit ratios in percent and chatcache's gap to the best of
/// moka and quick_cache in points (the issue's target: ≥ −0.3 on every row).
pub fn markdown(rows: &[Row]) -> String {
    let Some(first) = rows.first() else {
        return String::new();
    };
    let policies: Vec<Policy> = first.ratios.iter().map(|&(p, _)| p).collect();
    let mut out = String::from("| trace | cache | ");
    for p in &policies {
        let _ = write!(out, "{} | ", p.name());
    }
    out.push_str("gap (points) |\n|---|---:|");
    for _ in &policies {
        out.push_str("---:|");
    }
    out.push_str("---:|\n");
    for row in rows {
        let _ = write!(
            out,
            "| {} | {} % ({}) | ",
            row.trace.name(),
            row.percent,
            row.capacity
        );
        let best = row
            .ratios
            .iter()
            .map(|&(_, r)| r)
            .fold(f64::NEG_INFINITY, f64::max);
        for &(_, ratio) in &row.ratios {
            if ratio == best {
                let _ = write!(out, "**{:.2}** | ", ratio * 100.0);
            } else {
                let _ = write!(out, "{:.2} | ", ratio * 100.0);
            }
        }
        let _ = writeln!(out, "{:+.2} |", row.gap_points());
    }
    out
}

/// The rows as CSV: `trace,requests,distinct_keys,percent,capacity,policy,hit_ratio`.
pub fn csv(rows: &[Row]) -> String {
    let mut out = String::from("trace,requests,distinct_keys,percent,capacity,policy,hit_ratio\n");
    for row in rows {
        for &(policy, ratio) in &row.ratios {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{:.6}",
                row.trace.name(),
                row.requests,
                row.distinct_keys,
                row.percent,
                row.capacity,
                policy.name(),
                ratio
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_simulator_is_deterministic() {
        let trace = crate::trace::chat(100_000, 7);
        for policy in [Policy::Chatcache, Policy::QuickCache, Policy::Lru] {
            let a = simulate(policy, &trace, 2_000);
            let b = simulate(policy, &trace, 2_000);
            assert_eq!(a, b, "{policy:?}");
        }
    }

    #[test]
    fn bigger_caches_hit_more() {
        let trace = crate::trace::zipf(TraceKind::Zipf10, 20_000, 1.0, 100_000, 3);
        for policy in Policy::ALL {
            let small = simulate(policy, &trace, 200).ratio();
            let large = simulate(policy, &trace, 2_000).ratio();
            assert!(small < large, "{policy:?}: {small} vs {large}");
        }
    }

    #[test]
    fn lru_matches_a_reference_model() {
        // An exact LRU computed naively: a hit if the key is among the last `capacity`
        // distinct keys requested.
        let trace = TraceKind::Zipf08.generate(Mode::Quick);
        let requests: Vec<&String> = trace.iter().take(20_000).collect();
        let capacity = 100;
        let mut recent: Vec<&String> = Vec::new();
        let mut hits = 0;
        for key in &requests {
            if let Some(pos) = recent.iter().position(|k| k == key) {
                hits += 1;
                recent.remove(pos);
            } else if recent.len() == capacity {
                recent.remove(0);
            }
            recent.push(key);
        }
        let mut lru = Lru(lru::LruCache::with_hasher(
            NonZeroUsize::new(capacity).expect("non-zero"),
            peers::fixed_hasher(),
        ));
        let simulated = requests.iter().filter(|k| lru.access(k)).count();
        assert_eq!(simulated, hits);
    }

    #[test]
    fn scans_hurt_lru_more_than_chatcache() {
        let trace = TraceKind::ScanLong.generate(Mode::Quick);
        let size = cache_size(trace.distinct_keys(), 5);
        let lru = simulate(Policy::Lru, &trace, size).ratio();
        let ours = simulate(Policy::Chatcache, &trace, size).ratio();
        assert!(ours > lru, "chatcache {ours} vs LRU {lru}");
    }
}
