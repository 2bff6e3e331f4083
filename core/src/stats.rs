//! Counters that are always on.

use serde::{Deserialize, Serialize};

/// What the store has done since it was created. Cheap to read: a copy of plain counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Stats {
    /// `get` calls that found a live entry.
    pub hits: u64,
    /// `get` calls that found nothing (or only an expired entry).
    pub misses: u64,
    /// New entries stored (by `set`, `add`, `incr`/`decr` or `import`).
    pub inserts: u64,
    /// Live entries overwritten (by `set`, `incr`/`decr` or `import`).
    pub updates: u64,
    /// Live entries removed by `delete`.
    pub deletes: u64,
    /// Live entries evicted to stay within the limits.
    pub evictions_capacity: u64,
    /// Expired entries reclaimed.
    pub evictions_expired: u64,
    /// Entries held now.
    pub entries: u64,
    /// Bytes held now (key + value + overhead per entry).
    pub bytes: u64,
}

/// Field-wise sum: the stats of several stores (e.g. the shards of one cache) add up to the
/// stats of the whole.
impl core::ops::AddAssign for Stats {
    fn add_assign(&mut self, other: Self) {
        let Stats {
            hits,
            misses,
            inserts,
            updates,
            deletes,
            evictions_capacity,
            evictions_expired,
            entries,
            bytes,
        } = other;
        self.hits += hits;
        self.misses += misses;
        self.inserts += inserts;
        self.updates += updates;
        self.deletes += deletes;
        self.evictions_capacity += evictions_capacity;
        self.evictions_expired += evictions_expired;
        self.entries += entries;
        self.bytes += bytes;
    }
}

impl core::iter::Sum for Stats {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Stats::default(), |mut total, stats| {
            total += stats;
            total
        })
    }
}
