//! The cache engine behind chatcache: a bounded in-memory store of byte values under string
//! keys, with per-entry expiry, S3-FIFO eviction, always-on stats and snapshots.
//!
//! This crate **never performs I/O and never reads a clock**. Every call whose result depends
//! on time takes a [`Timestamp`]; hosts (the `chatcache` server crate, the `chatcache-wasm`
//! JavaScript package, tests) read their clock once per call and pass it in. It has no
//! threads, no files, no sockets and no source of randomness (hash seeds are passed in too),
//! so it behaves the same on servers, in browsers and under simulated time.
//!
//! # A host in a few lines
//!
//! ```
//! use chatcache_core::{Limits, Store, Timestamp, Ttl};
//!
//! // The host owns the clock; here it is simulated.
//! let mut now = Timestamp::from_millis(1_700_000_000_000);
//! let mut store = Store::new(Limits { max_entries: 1_000, ..Limits::default() })?;
//!
//! store.set("presence:alice", b"online", Some(Ttl::from_secs(30)?), now)?;
//! assert!(store.contains("presence:alice", now)?);
//!
//! // When nothing else happens, a host may reclaim memory on a schedule:
//! if let Some(deadline) = store.next_expiry() {
//!     now = deadline; // e.g. sleep until then
//!     assert_eq!(store.purge_expired(now), 1);
//! }
//! assert!(!store.contains("presence:alice", now)?);
//! # Ok::<(), chatcache_core::Error>(())
//! ```
//!
//! # Semantics
//!
//! - **Keys** are non-empty UTF-8 strings of at most [`Limits::max_key_bytes`] bytes;
//!   **values** are bytes. Any refused call returns an [`Error`] and changes nothing.
//! - **Weight** of an entry is key bytes + value bytes + [`ENTRY_OVERHEAD`]. After every call,
//!   `len() <= max_entries` and `weight() <= max_bytes`; a single entry heavier than
//!   [`Limits::max_entry_bytes`] is refused and the old value under its key is kept.
//! - **Expiry**: an entry set with a [`Ttl`] at time `t` has the deadline `t + ttl`; at any
//!   `now >= deadline` it is expired and no call returns it. Expired entries are reclaimed
//!   without reads: every mutating call reclaims up to two of them (earliest deadline first),
//!   [`Store::purge_expired`] reclaims all, and they are always reclaimed before any live
//!   entry is evicted for room. [`Store::next_expiry`] tells a host when the next one falls due.
//! - **Time never runs backwards inside the store.** It remembers the latest `now` it was
//!   given by any call that was not refused (reads included); an earlier `now` is treated as
//!   that latest one. So a clock that steps back (NTP,
//!   a user changing the system time) cannot resurrect an expired entry or corrupt the expiry
//!   heap; TTLs set meanwhile count from the latest time seen.
//! - **Eviction** is S3-FIFO (Yang et al., *FIFO queues are all you need for cache eviction*,
//!   SOSP 2023): new keys enter a small probationary FIFO holding about 10 % of the capacity;
//!   an entry read while there is promoted to the main FIFO when it reaches the tail, others
//!   are evicted and remembered as ghosts (fingerprints only). A key that returns while still
//!   a ghost goes straight to the main FIFO, whose entries are reinserted while their 2-bit
//!   access counter is non-zero (decrementing it). One-hit wonders and scans therefore pass
//!   through the small queue without flushing the frequently used working set.
//! - **`incr`/`decr`** follow Redis `INCRBY`: see [`Store::incr`].
//!
//! # Memory
//!
//! No allocation is made per entry beyond one buffer holding the key and value bytes
//! together. Metadata per held entry is a 40-byte slot (buffer pointer and length, deadline,
//! two queue links, heap position, key length, access counter, queue tag), 4 bytes plus one
//! control byte in the hash index (at a load factor between 44 % and 87.5 %), and 4 bytes in the
//! expiry heap for entries with a TTL:
//!
//! ```text
//! metadata ≈ 40 + 5 / load + (4 if the entry has a TTL) bytes   (≈ 46–55 bytes)
//! ghosts   ≤ 8 + 5 / load bytes per remembered key (at most one per held entry, min 16)
//! ```
//!
//! [`ENTRY_OVERHEAD`] charges 48 bytes per entry against `max_bytes` for this bookkeeping.
//! The figure measured by this crate's `memory` test is in `ARCHITECTURE.md`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod expiry;
mod ghost;
mod limits;
mod slab;
mod snapshot;
mod stats;
mod store;
mod time;

pub use error::{Error, InvariantViolation};
pub use limits::{ENTRY_OVERHEAD, Limits};
pub use snapshot::{ImportSummary, Snapshot, SnapshotEntry};
pub use stats::Stats;
pub use store::Store;
pub use time::{KeyTtl, Timestamp, Ttl};
