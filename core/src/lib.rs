//! The cache engine behind chatcache: a bounded in-memory store under string keys — byte
//! values, capped lists (a room's history) and member sets whose members expire on their own
//! (who is online, who is typing) — with per-entry expiry, S3-FIFO eviction, always-on stats
//! and snapshots.
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
//! let mut store = Store::new(Limits::builder().max_entries(1_000).build()?);
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
//! # Layers
//!
//! - [`policy::Policy`] is the cache without the data: S3-FIFO queues and ghosts, the expiry
//!   heap, weights, limits and counters over numbered slots. Its host keeps the keys and values
//!   under those numbers and answers through [`policy::Host`]. The JavaScript package is such a
//!   host (values stay JavaScript objects); so is the [`Store`].
//! - [`Store`] is the policy with a hash index and the keys and values as bytes, plus
//!   [`CappedList`]s and [`MemberSet`]s: what the server's in-memory cache shards.
//! - [`KeyHasher`] and [`HashedKey`] let a sharding host hash a key once per call.
//!
//! # Semantics
//!
//! - **Keys** are non-empty UTF-8 strings of at most [`Limits::max_key_bytes`] bytes;
//!   **values** are bytes. Any refused call returns an [`Error`] and changes nothing.
//! - **Kinds**: a key holds a byte value, a list or a member set ([`Kind`]); an operation on
//!   another kind is [`Error::WrongType`] (code `wrong_type`, as Redis' `WRONGTYPE`).
//! - **Weight** of an entry is its key bytes + value bytes + [`ENTRY_OVERHEAD`]; for a list or a
//!   member set, + each item's or member's bytes + [`ITEM_OVERHEAD`] per item. After every
//!   call, `len() <= max_entries` and `weight() <= max_bytes`; a single entry heavier than
//!   [`Limits::max_entry_bytes`] is refused and the old value under its key is kept (a list
//!   instead drops its oldest items: it is a capped history).
//! - **Expiry**: an entry set with a [`Ttl`] at time `t` has the deadline `t + ttl`; at any
//!   `now >= deadline` it is expired and no call returns it. Expired entries are reclaimed
//!   without reads: every mutating call reclaims up to two of them (earliest deadline first),
//!   [`Store::purge_expired`] reclaims all, and they are always reclaimed before any live
//!   entry is evicted for room. [`Store::next_expiry`] tells a host when the next one falls due.
//!   Members of a member set expire on their own; the set's deadline is its latest member's.
//! - **Time never runs backwards inside the store.** It remembers the latest `now` it was
//!   given by any call that was not refused (reads included); an earlier `now` is treated as
//!   that latest one. So a clock that steps back (NTP,
//!   a user changing the system time) cannot resurrect an expired entry or corrupt the expiry
//!   heap; TTLs set meanwhile count from the latest time seen.
//! - **Eviction** is S3-FIFO (Yang et al., *FIFO queues are all you need for cache eviction*,
//!   SOSP 2023): new keys enter a small probationary FIFO holding about 4 % of the capacity;
//!   an entry read while there is promoted to the main FIFO when it reaches the tail, others
//!   are evicted and remembered as ghosts (fingerprints only, as many as 45 % of the entries
//!   held). A key that returns while still
//!   a ghost goes straight to the main FIFO, whose entries are reinserted while their 2-bit
//!   access counter is non-zero (decrementing it). One-hit wonders and scans therefore pass
//!   through the small queue without flushing the frequently used working set.
//! - **`incr`/`decr`** follow Redis `INCRBY`: see [`Store::incr`].
//!
//! # Memory
//!
//! No allocation is made per byte value beyond one buffer holding the key and value bytes
//! together (shared by the [`Value`]s read from it). Metadata per held entry is 26 bytes of
//! per-slot vectors (the policy's two queue links, heap position, 32-bit deadline code, access
//! count and queue/kind byte: 18; the buffer's thin pointer: 8), 8 bytes of reference count and
//! length then 2 bytes of key length at the start of the buffer, 4 bytes
//! plus one control byte in the
//! hash index (at a load factor between 44 % and 87.5 %), and 4 bytes in the expiry heap for
//! entries with a TTL:
//!
//! ```text
//! metadata ≈ 36 + 5 / load + (4 if the entry has a TTL) bytes   (≈ 42–51 bytes)
//! ghosts   ≤ 8 + 5 / load bytes per remembered key (at most 45 % of the held entries, min 16)
//! ```
//!
//! The per-slot vectors grow by a quarter at a time and stop at `max_entries`. Deadlines are
//! kept as 32-bit codes relative to an epoch that moves forward with time (see
//! [`policy`]); the rare deadline more than about 49 days ahead is kept exactly on the side.
//! [`ENTRY_OVERHEAD`] charges 48 bytes per entry against `max_bytes` for this bookkeeping.
//! The figure measured by this crate's `memory` test is in `ARCHITECTURE.md`.
#![no_std]
#![deny(unsafe_code)]
#![warn(missing_docs)]

// `no_std` with `alloc`: the crate needs no operating system, and the `.wasm` of the npm package
// (which links no `std`) can use it. Only the tests link `std`.
extern crate alloc;
#[cfg(test)]
#[macro_use]
extern crate std;

/// What `std`'s prelude would bring, for the modules of this `no_std` crate.
mod prelude {
    pub(crate) use alloc::borrow::ToOwned;
    pub(crate) use alloc::boxed::Box;
    pub(crate) use alloc::format;
    pub(crate) use alloc::string::{String, ToString};
    pub(crate) use alloc::vec::Vec;
}

mod collections;
mod error;
mod ghost;
mod integer;
mod key;
mod limits;
pub mod policy;
#[allow(
    unsafe_code,
    reason = "the thin reference-counted buffer of `Value`; the only unsafe code"
)]
mod shared;
mod snapshot;
mod stats;
mod store;
mod time;

pub use collections::{
    CappedList, Kind, ListCap, ListItem, LiveMembers, MAX_LIST_CAP, MemberSet, PushPlan,
    range_bounds,
};
pub use error::{Error, InvariantViolation, Message, Piece};
pub use integer::parse_integer;
pub use key::{AsKey, HashedKey, KeyHasher};
pub use limits::{
    ENTRY_OVERHEAD, EntryWeight, ITEM_OVERHEAD, InvalidLimits, Limits, LimitsBuilder,
};
pub use snapshot::{ImportSummary, Snapshot, SnapshotEntry, SnapshotMember, SnapshotValue};
pub use stats::Stats;
pub use store::{ListRange, Members, Store, Value};
pub use time::{KeyTtl, Timestamp, Ttl};
