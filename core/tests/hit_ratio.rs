//! Eviction quality: S3-FIFO against an exact LRU on deterministic synthetic chat workloads.
//!
//! Hit ratios are properties of the policy, not of the machine, so they are asserted here
//! (fixed seeds, no timing). `cargo test -p chatcache-core --release --test hit_ratio --
//! --nocapture` prints the figures.

use std::collections::{BTreeMap, HashMap};

use chatcache_core::{Limits, Store, Timestamp};

/// A fixed-seed xorshift generator: the workloads are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Samples ranks 0..n with probability proportional to 1 / (rank + 1)^s.
struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, s: f64) -> Self {
        let mut total = 0.0;
        let mut cdf: Vec<f64> = (0..n)
            .map(|rank| {
                total += 1.0 / ((rank + 1) as f64).powf(s);
                total
            })
            .collect();
        for p in &mut cdf {
            *p /= total;
        }
        Self { cdf }
    }

    fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        self.cdf.partition_point(|&p| p < u).min(self.cdf.len() - 1)
    }
}

/// An exact LRU of keys, the baseline every cache is compared with.
struct Lru {
    capacity: usize,
    tick: u64,
    by_key: HashMap<String, u64>,
    by_tick: BTreeMap<u64, String>,
}

impl Lru {
    fn new(capacity: usize) -> Self {
        Self {
            capacity,
            tick: 0,
            by_key: HashMap::new(),
            by_tick: BTreeMap::new(),
        }
    }

    /// Returns whether `key` was cached, then caches it as most recently used.
    fn access(&mut self, key: &str) -> bool {
        self.tick += 1;
        let hit = match self.by_key.insert(key.to_owned(), self.tick) {
            Some(old) => {
                self.by_tick.remove(&old);
                true
            }
            None => false,
        };
        self.by_tick.insert(self.tick, key.to_owned());
        if self.by_key.len() > self.capacity {
            let (_, victim) = self
                .by_tick
                .pop_first()
                .expect("over capacity means non-empty");
            self.by_key.remove(&victim);
        }
        hit
    }
}

/// Replays `requests` against S3-FIFO (the store, filling on miss) and LRU.
fn hit_ratios(capacity: usize, requests: &[String]) -> (f64, f64) {
    let limits = Limits::builder()
        .max_entries(capacity)
        .build()
        .expect("valid limits");
    let mut store = Store::new(limits);
    let mut lru = Lru::new(capacity);
    let (mut store_hits, mut lru_hits) = (0u64, 0u64);
    for key in requests {
        if store
            .get(key, Timestamp::ZERO)
            .expect("valid key")
            .is_some()
        {
            store_hits += 1;
        } else {
            store.set(key, b"v", None, Timestamp::ZERO).expect("fits");
        }
        lru_hits += u64::from(lru.access(key));
    }
    store.validate().expect("invariants hold");
    let n = requests.len() as f64;
    (store_hits as f64 / n, lru_hits as f64 / n)
}

/// Requests for room and profile keys, Zipf-distributed (s = 0.99) over `keys` keys.
fn zipf_requests(keys: usize, count: usize, seed: u64) -> Vec<String> {
    let zipf = Zipf::new(keys, 0.99);
    let mut rng = Rng(seed);
    (0..count)
        .map(|_| format!("room:{}", zipf.sample(&mut rng)))
        .collect()
}

#[test]
fn s3fifo_matches_or_beats_lru_on_zipf() {
    let requests = zipf_requests(100_000, 400_000, 0x5eed);
    for capacity in [1_000, 5_000, 20_000] {
        let (s3fifo, lru) = hit_ratios(capacity, &requests);
        println!("zipf 0.99, 100k keys, cache {capacity}: S3-FIFO {s3fifo:.4}, LRU {lru:.4}");
        assert!(
            s3fifo >= lru,
            "cache {capacity}: S3-FIFO {s3fifo:.4} fell behind LRU {lru:.4}"
        );
    }
}

#[test]
fn scans_do_not_flush_the_working_set() {
    // Chat traffic on a Zipf working set, interleaved with a history backfill that reads
    // every message id exactly once (a scan): one request in three is a one-hit wonder.
    let hot = zipf_requests(10_000, 300_000, 0xc0ffee);
    let mut requests = Vec::with_capacity(hot.len() * 3 / 2);
    for (i, key) in hot.into_iter().enumerate() {
        requests.push(key);
        if i % 2 == 0 {
            requests.push(format!("msg:{i}"));
        }
    }
    let (s3fifo, lru) = hit_ratios(2_000, &requests);
    println!("zipf 0.99 + scan, cache 2000: S3-FIFO {s3fifo:.4}, LRU {lru:.4}");
    assert!(
        s3fifo > lru + 0.05,
        "S3-FIFO {s3fifo:.4} should clearly beat LRU {lru:.4} under scans"
    );
}
