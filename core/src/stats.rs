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
