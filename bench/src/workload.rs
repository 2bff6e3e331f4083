//! The fixed keys, values and key orders every throughput, instruction-count and memory
//! measurement uses, the same for every contender.

use serde::{Deserialize, Serialize};

use crate::contenders::{LocalContender, SharedContender};
use crate::rng::{Rng, Zipf};

/// Keys held by the cache before a measurement (the hit set).
pub const RESIDENT: usize = 100_000;
/// Room for entries: 10 % above [`RESIDENT`], so that a sharded cache whose shards fill
/// unevenly still holds every resident key.
pub const CAPACITY: usize = 110_000;
/// Keys of the universe: the resident keys first, then the keys that inserts and the mixed
/// workload bring in.
pub const UNIVERSE: usize = 1_000_000;
/// Bytes per value.
pub const VALUE_LEN: usize = 64;
/// Length of every key order; operations cycle through it (a power of two, so the index is
/// a mask).
pub const ORDER_LEN: usize = 1 << 16;
/// Zipf exponent of the key orders.
pub const ZIPF_S: f64 = 1.0;

/// Keys, the value, and seeded key orders.
#[derive(Clone, Debug)]
pub struct Workload {
    /// `room:{i}:profile` for `i` in `0..UNIVERSE`; the first [`RESIDENT`] are held.
    pub universe: Vec<String>,
    /// Keys never inserted (`absent:{i}`, [`RESIDENT`] of them).
    pub absent: Vec<String>,
    /// The value every write stores.
    pub value: [u8; VALUE_LEN],
}

impl Workload {
    /// Builds the keys of the full [`UNIVERSE`] (about 40 MB of strings).
    pub fn new() -> Self {
        Self::with_universe(UNIVERSE)
    }

    /// A smaller key universe (at least [`RESIDENT`] + 2 × [`CAPACITY`] keys, so inserts
    /// still never find their key held), for runs under valgrind where building keys costs.
    pub fn with_universe(universe: usize) -> Self {
        assert!(
            universe >= RESIDENT + 2 * CAPACITY,
            "universe too small: {universe}"
        );
        Self {
            universe: (0..universe)
                .map(|i| numbered("room:", i, ":profile"))
                .collect(),
            absent: (0..RESIDENT).map(|i| numbered("absent:", i, "")).collect(),
            value: [0x5a; VALUE_LEN],
        }
    }

    /// The resident keys.
    pub fn resident(&self) -> &[String] {
        &self.universe[..RESIDENT]
    }

    /// The keys inserted by `set_insert`: never resident, cycled in order.
    pub fn fresh(&self) -> &[String] {
        &self.universe[RESIDENT..]
    }
}

impl Default for Workload {
    fn default() -> Self {
        Self::new()
    }
}

/// `{prefix}{i}{suffix}`, as `format!` would build it but several times cheaper (key building
/// otherwise dominates a run under valgrind).
pub fn numbered(prefix: &str, i: usize, suffix: &str) -> String {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = i;
    loop {
        at -= 1;
        // `rest % 10 < 10`, so the cast is lossless.
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let digits = std::str::from_utf8(&digits[at..]).expect("ASCII digits");
    let mut key = String::with_capacity(prefix.len() + digits.len() + suffix.len());
    key.push_str(prefix);
    key.push_str(digits);
    key.push_str(suffix);
    key
}

/// The measured operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Read a held key (Zipf over the resident keys).
    GetHit,
    /// Read a key never inserted.
    GetMiss,
    /// Write a held key (Zipf over the resident keys).
    SetOverwrite,
    /// Write a key not held into a full cache: an insert with an eviction (or, for caches
    /// with an admission filter, possibly a rejection).
    SetInsert,
    /// Cache-aside on Zipf over the whole universe: read; on a miss, insert.
    Mixed,
}

impl Op {
    /// Every operation, in table order.
    pub const ALL: [Op; 5] = [
        Op::GetHit,
        Op::GetMiss,
        Op::SetOverwrite,
        Op::SetInsert,
        Op::Mixed,
    ];

    /// The column and criterion group name.
    pub const fn name(self) -> &'static str {
        match self {
            Op::GetHit => "get_hit",
            Op::GetMiss => "get_miss",
            Op::SetOverwrite => "set_overwrite",
            Op::SetInsert => "set_insert",
            Op::Mixed => "mixed",
        }
    }

    /// Parses [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }
}

/// Key orders for one of `threads` threads: indices into the workload's keys.
#[derive(Clone, Debug)]
pub struct Orders {
    /// Zipf over the resident keys.
    pub hit: Vec<u32>,
    /// Zipf over the absent keys.
    pub miss: Vec<u32>,
    /// Zipf over the whole universe.
    pub mixed: Vec<u32>,
    /// Where this thread's run of fresh keys starts in the universe.
    pub fresh_start: usize,
    /// How many fresh keys this thread cycles through (more than the capacity).
    pub fresh_len: usize,
}

impl Orders {
    /// The orders of thread `thread` (seeded by it) for `w`.
    pub fn new(w: &Workload, thread: u32, threads: u32) -> Self {
        let seed = u64::from(thread) * 0x1_0000;
        let fresh_len = w.fresh().len() / threads.max(1) as usize;
        assert!(fresh_len > CAPACITY, "too few fresh keys per thread");
        let resident = Zipf::new(RESIDENT, ZIPF_S);
        Self {
            hit: order(&resident, seed + 1),
            miss: order(&resident, seed + 2),
            mixed: order(&Zipf::new(w.universe.len(), ZIPF_S), seed + 3),
            fresh_start: RESIDENT + thread as usize * fresh_len,
            fresh_len,
        }
    }
}

/// A cache as [`step`] sees it: owned by this thread ([`Owned`]) or shared ([`Shared`]).
#[allow(
    clippy::ptr_arg,
    reason = "mini-moka looks keys up by &K only; &String serves all"
)]
pub trait Target {
    /// Reads `key`; true on a hit.
    fn get(&mut self, key: &String) -> bool;
    /// Writes `value` under `key`.
    fn insert(&mut self, key: &String, value: &[u8]);
}

/// A cache owned by the calling thread.
#[derive(Debug)]
pub struct Owned<'a, C>(pub &'a mut C);

impl<C: LocalContender> Target for Owned<'_, C> {
    #[inline(always)]
    fn get(&mut self, key: &String) -> bool {
        self.0.get(key)
    }
    #[inline(always)]
    fn insert(&mut self, key: &String, value: &[u8]) {
        self.0.insert(key, value);
    }
}

/// A cache shared between threads.
#[derive(Debug)]
pub struct Shared<'a, S>(pub &'a S);

impl<S: SharedContender> Target for Shared<'_, S> {
    #[inline(always)]
    fn get(&mut self, key: &String) -> bool {
        self.0.get(key)
    }
    #[inline(always)]
    fn insert(&mut self, key: &String, value: &[u8]) {
        self.0.insert(key, value);
    }
}

/// Operation number `n` of `op`; returns whether a read hit (true for writes).
#[inline(always)]
pub fn step(op: Op, w: &Workload, orders: &Orders, n: usize, cache: &mut impl Target) -> bool {
    let i = n & (ORDER_LEN - 1);
    match op {
        Op::GetHit => cache.get(&w.universe[orders.hit[i] as usize]),
        Op::GetMiss => cache.get(&w.absent[orders.miss[i] as usize]),
        Op::SetOverwrite => {
            cache.insert(&w.universe[orders.hit[i] as usize], &w.value);
            true
        }
        Op::SetInsert => {
            let key = &w.universe[orders.fresh_start + n % orders.fresh_len];
            cache.insert(key, &w.value);
            true
        }
        Op::Mixed => {
            let key = &w.universe[orders.mixed[i] as usize];
            let hit = cache.get(key);
            if !hit {
                cache.insert(key, &w.value);
            }
            hit
        }
    }
}

/// A single-threaded cache of [`CAPACITY`] entries holding the resident keys.
pub fn filled_local<C: LocalContender>(w: &Workload) -> C {
    let mut cache = C::with_capacity(CAPACITY);
    for key in w.resident() {
        cache.insert(key, &w.value);
    }
    cache.settle();
    cache
}

/// A thread-safe cache of [`CAPACITY`] entries holding the resident keys.
pub fn filled_shared<S: SharedContender>(w: &Workload) -> S {
    let cache = S::with_capacity(CAPACITY);
    for key in w.resident() {
        cache.insert(key, &w.value);
    }
    cache.settle();
    cache
}

/// [`ORDER_LEN`] indices into `0..n`, Zipf([`ZIPF_S`])-distributed, from `seed`. Ranks are
/// scattered over the indices by a multiplicative permutation, so hot keys are spread over
/// the whole key range rather than being the first ones inserted.
pub fn zipf_order(n: usize, seed: u64) -> Vec<u32> {
    order(&Zipf::new(n, ZIPF_S), seed)
}

fn order(zipf: &Zipf, seed: u64) -> Vec<u32> {
    const PRIME: u64 = 2_654_435_761;
    let n = zipf.len();
    assert!(
        (n as u64) < PRIME,
        "key space too large for the permutation"
    );
    let mut rng = Rng::new(seed);
    (0..ORDER_LEN)
        .map(|_| {
            let rank = zipf.sample(&mut rng) as u64;
            // 2,654,435,761 is prime and above n, hence coprime with n, so
            // rank -> rank * p mod n is a permutation of 0..n (no overflow: both < 2^32).
            let index = (rank * PRIME) % n as u64;
            u32::try_from(index).expect("n < 2^32")
        })
        .collect()
}

/// [`ORDER_LEN`] indices into `0..n`, uniformly distributed, from `seed`.
pub fn uniform_order(n: usize, seed: u64) -> Vec<u32> {
    let mut rng = Rng::new(seed);
    (0..ORDER_LEN)
        .map(|_| u32::try_from(rng.below(n as u64)).expect("n < 2^32"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_keys_match_format() {
        for i in [0, 7, 10, 99, 12_345, usize::MAX] {
            assert_eq!(
                numbered("room:", i, ":profile"),
                format!("room:{i}:profile")
            );
        }
    }

    #[test]
    fn orders_are_seeded_and_in_range() {
        assert_eq!(zipf_order(RESIDENT, 1), zipf_order(RESIDENT, 1));
        assert_ne!(zipf_order(RESIDENT, 1), zipf_order(RESIDENT, 2));
        assert!(
            zipf_order(RESIDENT, 3)
                .iter()
                .all(|&i| (i as usize) < RESIDENT)
        );
        assert!(uniform_order(10, 3).iter().all(|&i| i < 10));
    }

    #[test]
    fn every_operation_does_what_it_says() {
        let w = Workload::with_universe(RESIDENT + 2 * CAPACITY);
        let orders = Orders::new(&w, 0, 1);
        let mut cache: crate::contenders::StoreFixedTime = filled_local(&w);
        let mut target = Owned(&mut cache);
        let hits = |op, target: &mut Owned<'_, _>| {
            (0..1000)
                .filter(|&n| step(op, &w, &orders, n, target))
                .count()
        };
        assert_eq!(hits(Op::GetHit, &mut target), 1000);
        assert_eq!(hits(Op::GetMiss, &mut target), 0);
        hits(Op::SetInsert, &mut target);
        assert!(target.0.0.len() <= CAPACITY);
        // The inserted keys are the fresh ones, in order.
        assert!(target.get(&w.fresh()[999]));
        assert!(!target.get(&w.fresh()[1000]));
    }

    #[test]
    fn zipf_orders_repeat_hot_keys() {
        let order = zipf_order(RESIDENT, 9);
        let distinct: std::collections::HashSet<u32> = order.iter().copied().collect();
        let uniform: std::collections::HashSet<u32> =
            uniform_order(RESIDENT, 9).into_iter().collect();
        assert!(
            distinct.len() * 2 < uniform.len(),
            "{} vs {}",
            distinct.len(),
            uniform.len()
        );
    }
}
