//! The cache policy without the data: S3-FIFO queues and ghosts, the expiry heap, weights,
//! limits and counters over numbered slots.
//!
//! A [`Policy`] decides; its host holds. The host keeps each entry's key and value wherever it
//! likes (the [`Store`](crate::Store) in a hash index and byte buffers, the JavaScript package
//! in a `Map` and an array) under the [`Slot`] number the policy gave it, and answers the few
//! questions the policy asks about held slots through the [`Host`] trait. Everything that is
//! policy — which entry to evict, when one expires, whether the limits hold, what the counters
//! say, in which order a snapshot lists entries — is decided here, once, for every host.
//!
//! ```
//! use chatcache_core::policy::{Host, Policy, Removal, Slot};
//! use chatcache_core::{Limits, Timestamp};
//!
//! /// A host that keeps values in a vector indexed by slot.
//! #[derive(Default)]
//! struct Values(Vec<Option<(u64, String)>>);
//!
//! impl Host for Values {
//!     fn weight(&self, slot: Slot) -> u64 {
//!         self.0[slot.index()].as_ref().map_or(0, |(weight, _)| *weight)
//!     }
//!     fn fingerprint(&self, slot: Slot) -> u64 {
//!         slot.index() as u64 // a real host hashes the key
//!     }
//!     fn forget(&mut self, slot: Slot, _cause: Removal) {
//!         self.0[slot.index()] = None;
//!     }
//! }
//!
//! let limits = Limits::builder().max_entries(2).build()?;
//! let mut policy = Policy::new(limits);
//! let mut values = Values::default();
//! let now = policy.begin(&mut values, Timestamp::ZERO);
//! for text in ["a", "b", "c"] {
//!     let weight = limits.check_weight(100)?;
//!     let slot = policy.insert(&mut values, 7, weight, None, 0, now);
//!     if values.0.len() <= slot.index() {
//!         values.0.resize(slot.index() + 1, None);
//!     }
//!     values.0[slot.index()] = Some((weight.get(), text.to_owned()));
//! }
//! assert_eq!(policy.len(), 2); // "a" was evicted to make room for "c"
//! assert_eq!(policy.stats().evictions_capacity, 1);
//! # Ok::<(), chatcache_core::Error>(())
//! ```
//!
//! # Deadlines as 32-bit codes
//!
//! Each slot's deadline is a `u32` code relative to the policy's [`epoch`](Policy::epoch):
//! [`DEADLINE_NEVER`] means no deadline, [`DEADLINE_FAR`] a deadline more than about 49 days
//! after the epoch (kept exactly on the side), and any other code `c` the deadline
//! `epoch + c` ms. The epoch moves forward ([`EPOCH_SPAN_MS`]) as time passes, rewriting the
//! codes. Hosts that read [`deadline_codes`](Policy::deadline_codes) directly (to decide a
//! read without calling in) may conclude "expired" exactly when `c < DEADLINE_FAR`,
//! `now - epoch < EPOCH_SPAN_MS` and `c <= now - epoch`, and "live" when the code is
//! [`DEADLINE_NEVER`], or when `c < DEADLINE_FAR`, `now - epoch < EPOCH_SPAN_MS` and
//! `c > now - epoch`; anything else needs [`Policy::is_live`].

use crate::prelude::*;
use core::sync::atomic::{AtomicU64, Ordering};

use crate::ghost::Ghost;
use crate::limits::EntryWeight;
use crate::{InvariantViolation, Limits, Stats, Timestamp};
use heap::SlotHeap;

/// The "no slot" link.
const NIL: u32 = u32::MAX;
/// `heap_pos` of a slot that is in neither expiry heap (near or far).
const NOT_IN_HEAP: u32 = u32::MAX;
/// The highest access count tracked (two bits, as in the S3-FIFO paper).
pub const MAX_ACCESS_COUNT: u8 = 3;
/// A small-queue entry read at least this often since insertion is promoted to the main queue.
const PROMOTE_AT: u8 = 1;
/// The small queue's share of the limits, in percent: it is evicted from while it holds more
/// than this share of `max_entries` or of `max_bytes`.
const SMALL_PERCENT: u64 = 4;
/// Ghosts kept, in percent of the entries held.
const GHOST_PERCENT: u64 = 45;
/// Expired entries reclaimed, at most, by each [`Policy::begin`].
const RECLAIM_PER_CALL: usize = 2;

/// The deadline code of a slot that never expires.
pub const DEADLINE_NEVER: u32 = u32::MAX;
/// The deadline code of a slot whose deadline is too far after the epoch for a code; the exact
/// deadline is kept on the side (see [`Policy::deadline`]).
pub const DEADLINE_FAR: u32 = u32::MAX - 1;
/// How far time may run past the epoch before the policy moves the epoch up to the present
/// (about 24.8 days). Until then, codes below [`DEADLINE_FAR`] can be compared with
/// `now - epoch` directly.
pub const EPOCH_SPAN_MS: u64 = 1 << 31;

/// Queue tags in `meta`'s low two bits.
const VACANT: u8 = 0;
const SMALL: u8 = 1;
const MAIN: u8 = 2;
const QUEUE_BITS: u8 = 0b11;
/// The host's two-bit tag lives above the queue bits.
const TAG_SHIFT: u8 = 2;
/// The largest tag a host may attach to a slot.
pub const MAX_TAG: u8 = 0b11;

/// The number a [`Policy`] files an entry under. Numbers of removed entries are reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot(u32);

impl Slot {
    /// The slot with number `n`, e.g. one a host kept outside Rust. Whether it is held is for
    /// [`Policy::is_held`] to say.
    pub const fn from_u32(n: u32) -> Slot {
        Slot(n)
    }

    /// The slot's number.
    pub const fn as_u32(self) -> u32 {
        self.0
    }

    /// The slot's number as an index into the host's own per-slot storage.
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// Why the policy removed an entry, as told to [`Host::forget`] and to [`Policy::remove`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Removal {
    /// Evicted to stay within the limits (counted in `evictions_capacity`).
    Evicted,
    /// Its deadline passed (counted in `evictions_expired`).
    Expired,
    /// Removed by the host on the user's request (counted in `deletes`).
    Deleted,
    /// Removed by the host without counting (e.g. replaced by an entry of another kind).
    Dropped,
}

/// What the policy needs to know from its host about the entries it holds.
pub trait Host {
    /// The weight last given for `slot` (by [`Policy::insert`] or [`Policy::reweigh`]).
    fn weight(&self, slot: Slot) -> u64;

    /// A fingerprint of the slot's key: the same 64 bits the host passes to
    /// [`Policy::insert`] for that key (S3-FIFO remembers evicted keys by fingerprint).
    fn fingerprint(&self, slot: Slot) -> u64;

    /// The policy removed `slot` (evicted it, or reclaimed it as expired): forget its key and
    /// value. The number may be handed out again by the next [`Policy::insert`].
    fn forget(&mut self, slot: Slot, cause: Removal);

    /// [`forget`](Self::forget), for a slot whose [`fingerprint`](Self::fingerprint) the
    /// policy has just asked for (an eviction from the small queue, remembered as a ghost):
    /// a host that finds slots by it need not compute it again. Calls `forget` by default.
    fn forget_fingerprinted(&mut self, slot: Slot, cause: Removal, fingerprint: u64) {
        let _ = fingerprint;
        self.forget(slot, cause);
    }
}

/// The effective time of one call: the latest time the policy has seen, in milliseconds.
///
/// Obtained from [`Policy::begin`], [`Policy::observe`] or [`Policy::preview`], so that every
/// decision within one host call is made at one time that never runs backwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Now(u64);

impl Now {
    /// The time as a [`Timestamp`].
    pub const fn timestamp(self) -> Timestamp {
        Timestamp::from_millis(self.0)
    }

    /// The deadline `ttl` after this time.
    pub const fn after(self, ttl: crate::Ttl) -> Timestamp {
        self.timestamp().saturating_add(ttl)
    }
}

/// A FIFO queue threaded through the slots: `head` is the newest, `head.prev` the oldest.
#[derive(Clone, Copy, Debug)]
struct Queue {
    head: u32,
    len: usize,
    weight: u64,
}

impl Queue {
    const EMPTY: Queue = Queue {
        head: NIL,
        len: 0,
        weight: 0,
    };
}

/// Deadlines too far ahead for a code (more than about 49 days after the epoch): a heap of
/// `(deadline, slot)` beside the near one. Insert and remove are O(log n), the earliest deadline
/// and a slot's deadline O(1); no hash map, no tree (a `BTreeSet` and a `HashMap` did the same
/// in about 11 KB of `.wasm`; far deadlines are rare).
type FarDeadlines = SlotHeap<(u64, u32)>;

/// A far heap entry's order: by deadline, then slot.
fn by_deadline(entry: (u64, u32)) -> (u64, u32) {
    entry
}

/// Metadata per slot: two queue links, a heap position (in the near or the far heap) and a deadline code (4 bytes each), an
/// access count and a queue/tag byte: 18 bytes, plus 4 bytes in the expiry heap for a slot with
/// a deadline.
#[derive(Debug)]
pub struct Policy {
    limits: Limits,
    prev: Vec<u32>,
    next: Vec<u32>,
    heap_pos: Vec<u32>,
    codes: Vec<u32>,
    access: Vec<u8>,
    /// Queue (low two bits) and host tag (the two above).
    meta: Vec<u8>,
    free_head: u32,
    small: Queue,
    main: Queue,
    /// Slots with a near deadline, a binary min-heap by code.
    heap: SlotHeap<u32>,
    far: FarDeadlines,
    ghost: Ghost,
    epoch: u64,
    /// The latest time seen. Atomic only so that `&self` reads can record it too; the policy
    /// is still single-threaded.
    clock: AtomicU64,
    counters: Stats,
}

impl Policy {
    /// An empty policy keeping `limits`.
    pub fn new(limits: Limits) -> Policy {
        Policy {
            limits,
            prev: Vec::new(),
            next: Vec::new(),
            heap_pos: Vec::new(),
            codes: Vec::new(),
            access: Vec::new(),
            meta: Vec::new(),
            free_head: NIL,
            small: Queue::EMPTY,
            main: Queue::EMPTY,
            heap: SlotHeap::default(),
            far: FarDeadlines::default(),
            ghost: Ghost::default(),
            epoch: 0,
            clock: AtomicU64::new(0),
            counters: Stats::default(),
        }
    }

    /// The limits this policy keeps.
    #[inline]
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Entries held, including expired ones not yet reclaimed.
    pub fn len(&self) -> usize {
        self.small.len + self.main.len
    }

    /// True if no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total weight of the entries held.
    pub fn weight(&self) -> u64 {
        self.small.weight + self.main.weight
    }

    /// The counters, with `entries` and `bytes` as of now.
    pub fn stats(&self) -> Stats {
        Stats {
            entries: self.len() as u64,
            bytes: self.weight(),
            ..self.counters
        }
    }

    /// The epoch deadline codes count from.
    pub fn epoch(&self) -> Timestamp {
        Timestamp::from_millis(self.epoch)
    }

    /// One deadline code per slot number (see the [module docs](self)); for hosts that decide
    /// reads without calling in. Vacant slots read [`DEADLINE_NEVER`].
    pub fn deadline_codes(&self) -> &[u32] {
        &self.codes
    }

    /// One access count per slot number. A host that records hits itself (instead of calling
    /// [`record_hit`](Self::record_hit)) raises the count of a held slot by one, up to
    /// [`MAX_ACCESS_COUNT`]; larger values are read as that maximum.
    pub fn access_counts_mut(&mut self) -> &mut [u8] {
        &mut self.access
    }

    /// Starts a call at the host's time `now`: records it as the latest time seen (earlier
    /// times are treated as that latest one), moves the epoch up if due, and reclaims up to two
    /// expired entries (earliest deadline first). Returns the effective time.
    #[inline(always)]
    pub fn begin(&mut self, host: &mut impl Host, now: Timestamp) -> Now {
        let now = self.advance(now);
        if self.may_have_expired(now) {
            self.reclaim_expired(host, now, RECLAIM_PER_CALL);
        }
        now
    }

    /// [`begin`](Self::begin) for `&self` reads: records `now` as the latest time seen, so a
    /// read at a later time followed by one at an earlier time cannot see an expired entry come
    /// back, and returns the effective time.
    #[inline]
    pub fn observe(&self, now: Timestamp) -> Now {
        let now = now.as_millis();
        Now(self.clock.fetch_max(now, Ordering::Relaxed).max(now))
    }

    /// The effective time at `now` without recording it, for a call that may still be refused
    /// (a refused call changes nothing, not even the latest time seen).
    #[inline]
    pub fn preview(&self, now: Timestamp) -> Now {
        Now(self.clock.load(Ordering::Relaxed).max(now.as_millis()))
    }

    /// Records an effective time from [`preview`](Self::preview) once the call is certain to
    /// go ahead, and moves the epoch up if due.
    pub fn commit(&mut self, now: Now) -> Now {
        self.advance(now.timestamp())
    }

    /// Whether `slot` holds an entry (expired or not).
    pub fn is_held(&self, slot: Slot) -> bool {
        self.meta
            .get(slot.index())
            .is_some_and(|meta| meta & QUEUE_BITS != VACANT)
    }

    /// Whether the held `slot` is live (its deadline is after `now`).
    #[inline]
    pub fn is_live(&self, slot: Slot, now: Now) -> bool {
        let code = self.codes[slot.index()];
        // `now` is never before the epoch (both come from the clock, the epoch moves up to it).
        let since_epoch = now.0.saturating_sub(self.epoch);
        if since_epoch < u64::from(DEADLINE_FAR) {
            // One comparison: a near code is live when after `now - epoch`; "never" is above
            // every such value, and a far deadline is at least `epoch + DEADLINE_FAR`, after
            // `now`, so both read as live too.
            u64::from(code) > since_epoch
        } else {
            self.deadline_millis(slot.0)
                .is_none_or(|deadline| deadline > now.0)
        }
    }

    /// The deadline of the held `slot`, or `None` if it never expires.
    pub fn deadline(&self, slot: Slot) -> Option<Timestamp> {
        self.deadline_millis(slot.0).map(Timestamp::from_millis)
    }

    /// The host's tag of the held `slot` (see [`insert`](Self::insert)).
    #[inline]
    pub fn tag(&self, slot: Slot) -> u8 {
        self.meta[slot.index()] >> TAG_SHIFT
    }

    /// Replaces the host's tag of the held `slot` (at most [`MAX_TAG`]).
    pub fn set_tag(&mut self, slot: Slot, tag: u8) {
        debug_assert!(tag <= MAX_TAG);
        let meta = &mut self.meta[slot.index()];
        *meta = (*meta & QUEUE_BITS) | ((tag & MAX_TAG) << TAG_SHIFT);
    }

    /// Counts a hit on the held `slot` and marks it as used.
    #[inline]
    pub fn record_hit(&mut self, slot: Slot) {
        self.counters.hits += 1;
        self.mark_used(slot);
    }

    /// Marks the held `slot` as used (a write or a read that does not count as a hit).
    #[inline]
    pub fn mark_used(&mut self, slot: Slot) {
        let count = &mut self.access[slot.index()];
        *count = count.saturating_add(1).min(MAX_ACCESS_COUNT);
    }

    /// Counts a lookup that found nothing.
    #[inline]
    pub fn record_miss(&mut self) {
        self.counters.misses += 1;
    }

    /// Adds lookups a host counted itself (for hosts that answer hits without calling in).
    pub fn add_lookups(&mut self, hits: u64, misses: u64) {
        self.counters.hits += hits;
        self.counters.misses += misses;
    }

    /// Holds a new entry of `weight` and returns its slot, after making room for it: expired
    /// entries are reclaimed first, then S3-FIFO evicts (telling the host through
    /// [`Host::forget`]). The entry enters the main queue if its key's `fingerprint` is a
    /// recent ghost, else the small one. `tag` (at most [`MAX_TAG`]) is the host's to use.
    ///
    /// Before its next call into the policy, the host files the entry under the returned slot,
    /// so that [`Host::weight`] answers `weight` for it.
    pub fn insert(
        &mut self,
        host: &mut impl Host,
        fingerprint: u64,
        weight: EntryWeight,
        deadline: Option<Timestamp>,
        tag: u8,
        now: Now,
    ) -> Slot {
        debug_assert!(tag <= MAX_TAG);
        self.make_room(host, weight.get(), 1, now);
        let slot = self.allocate();
        let queue = if self.ghost.take(fingerprint) {
            MAIN
        } else {
            SMALL
        };
        self.meta[slot as usize] = ((tag & MAX_TAG) << TAG_SHIFT) | VACANT;
        self.push_head(queue, slot, weight.get());
        self.set_deadline_millis(slot, deadline.map(Timestamp::as_millis));
        self.counters.inserts += 1;
        Slot(slot)
    }

    /// Changes the weight of the held, live `slot` to `weight` (its value was replaced, grew
    /// or shrank). An entry that grows is moved to the newest end of its queue while room is
    /// made for the growth as [`insert`](Self::insert) does, so it is never its own victim; one
    /// that does not grow keeps its place.
    ///
    /// Call it *before* changing what [`Host::weight`] answers for the slot, and change that
    /// answer to `weight` before the next call into the policy.
    pub fn reweigh(&mut self, host: &mut impl Host, slot: Slot, weight: EntryWeight, now: Now) {
        let old = host.weight(slot);
        let weight = weight.get();
        let queue = self.meta[slot.index()] & QUEUE_BITS;
        if weight <= old {
            self.queue_mut(queue).weight -= old - weight;
            return;
        }
        // Unlinked, the entry no longer counts against the limits, so room is made for all of
        // it, and it cannot be chosen as its own victim.
        self.unlink(slot.0, old);
        self.make_room(host, weight, 1, now);
        self.push_head(queue, slot.0, weight);
    }

    /// Counts an overwrite of the live `slot` (an update) and marks it as used.
    pub fn record_write(&mut self, slot: Slot) {
        self.counters.updates += 1;
        self.mark_used(slot);
    }

    /// Replaces the deadline of the held `slot` (`None`: never expires).
    pub fn set_deadline(&mut self, slot: Slot, deadline: Option<Timestamp>) {
        self.set_deadline_millis(slot.0, deadline.map(Timestamp::as_millis));
    }

    /// Removes the held `slot` at the host's request and frees its number; `cause` says which
    /// counter, if any, counts it. The host forgets the entry itself ([`Host::forget`] is not
    /// called).
    pub fn remove(&mut self, host: &impl Host, slot: Slot, cause: Removal) {
        self.count_removal(cause);
        self.free(slot.0, host.weight(slot));
    }

    /// Records `now` as [`begin`](Self::begin) does and reclaims every entry whose deadline is
    /// at or before it; returns how many.
    pub fn purge_expired(&mut self, host: &mut impl Host, now: Timestamp) -> usize {
        let now = self.advance(now);
        self.reclaim_expired(host, now, usize::MAX)
    }

    /// The earliest deadline among held entries: when the next
    /// [`purge_expired`](Self::purge_expired) would have work to do.
    pub fn next_expiry(&self) -> Option<Timestamp> {
        let near = self
            .heap
            .first()
            .map(|slot| self.epoch + u64::from(self.codes[slot as usize]));
        near.or_else(|| self.far.first().map(|(deadline, _)| deadline))
            .map(Timestamp::from_millis)
    }

    /// Forgets every entry and the ghost history (the host forgets its own); counters stay.
    pub fn clear(&mut self) {
        for list in [
            &mut self.prev,
            &mut self.next,
            &mut self.heap_pos,
            &mut self.codes,
        ] {
            list.clear();
        }
        self.access.clear();
        self.meta.clear();
        self.free_head = NIL;
        self.small = Queue::EMPTY;
        self.main = Queue::EMPTY;
        self.heap.clear();
        self.far.clear();
        self.ghost.clear();
    }

    /// Held slots, least valuable first: the small queue oldest first, then the main queue
    /// oldest first (the order snapshots list entries in, so that importing into a smaller
    /// cache keeps the most valuable ones).
    pub fn oldest_first(&self) -> impl Iterator<Item = Slot> + '_ {
        self.queue_oldest_first(self.small)
            .chain(self.queue_oldest_first(self.main))
            .map(Slot)
    }

    /// Checks every internal invariant (queues, free list, expiry heap and far deadlines,
    /// weights as the host reports them, limits, ghosts). Walks everything: for tests and
    /// fuzzing.
    pub fn validate(&self, host: &impl Host) -> Result<(), InvariantViolation> {
        self.check(host).map_err(InvariantViolation)
    }
}

// Internals.
impl Policy {
    /// Whether [`reclaim_expired`](Self::reclaim_expired) may find anything at `now`, an
    /// effective time from [`advance`](Self::advance): true only when the earliest near
    /// deadline has passed, so that calls on a policy with nothing expired skip it in a
    /// comparison or two.
    ///
    /// Far deadlines need no look: they are at least `DEADLINE_FAR` ms after the epoch (else
    /// they would be codes; `validate` checks it), and `advance` leaves `now` less than
    /// `EPOCH_SPAN_MS` after it, so none of them has passed.
    #[inline]
    fn may_have_expired(&self, now: Now) -> bool {
        debug_assert!(now.0 - self.epoch < EPOCH_SPAN_MS);
        self.heap
            .first()
            .is_some_and(|slot| !self.is_live(Slot(slot), now))
    }

    /// Records `now` as the latest time seen and moves the epoch up if due.
    #[inline]
    fn advance(&mut self, now: Timestamp) -> Now {
        let clock = self.clock.get_mut();
        *clock = (*clock).max(now.as_millis());
        let now = *clock;
        if now - self.epoch >= EPOCH_SPAN_MS {
            self.rebase(now);
        }
        Now(now)
    }

    /// Moves the epoch to `epoch` (later than the current one), rewriting every code. Codes
    /// shrink by the same amount (deadlines already before the new epoch become 0, which is
    /// still expired), so the heap order is kept; far deadlines that now fit become codes.
    fn rebase(&mut self, epoch: u64) {
        let shift = epoch - self.epoch;
        for &slot in self.heap.entries() {
            let code = &mut self.codes[slot as usize];
            *code = u32::try_from(u64::from(*code).saturating_sub(shift)).unwrap_or(0);
        }
        self.epoch = epoch;
        while let Some((deadline, slot)) = self.far.first() {
            if self.encode(deadline) == DEADLINE_FAR {
                break;
            }
            self.far.remove(&mut self.heap_pos, slot, by_deadline);
            self.codes[slot as usize] = self.encode(deadline);
            self.heap_insert(slot);
        }
    }

    /// The code of an absolute deadline.
    fn encode(&self, deadline: u64) -> u32 {
        match u32::try_from(deadline.saturating_sub(self.epoch)) {
            Ok(code) if code < DEADLINE_FAR => code,
            _ => DEADLINE_FAR,
        }
    }

    fn deadline_millis(&self, slot: u32) -> Option<u64> {
        match self.codes[slot as usize] {
            DEADLINE_NEVER => None,
            DEADLINE_FAR => self
                .far
                .get(&self.heap_pos, slot)
                .map(|(deadline, _)| deadline),
            code => Some(self.epoch + u64::from(code)),
        }
    }

    fn set_deadline_millis(&mut self, slot: u32, deadline: Option<u64>) {
        self.clear_deadline(slot);
        let Some(deadline) = deadline else { return };
        let code = self.encode(deadline);
        self.codes[slot as usize] = code;
        if code == DEADLINE_FAR {
            self.far
                .push(&mut self.heap_pos, (deadline, slot), by_deadline);
        } else {
            self.heap_insert(slot);
        }
    }

    /// Takes the slot out of the heap or the far deadlines; its code becomes "never".
    fn clear_deadline(&mut self, slot: u32) {
        match self.codes[slot as usize] {
            DEADLINE_NEVER => {}
            DEADLINE_FAR => self.far.remove(&mut self.heap_pos, slot, by_deadline),
            _ => self.heap_remove(slot),
        }
        self.codes[slot as usize] = DEADLINE_NEVER;
    }

    fn count_removal(&mut self, cause: Removal) {
        match cause {
            Removal::Evicted => self.counters.evictions_capacity += 1,
            Removal::Expired => self.counters.evictions_expired += 1,
            Removal::Deleted => self.counters.deletes += 1,
            Removal::Dropped => {}
        }
    }

    /// A vacant slot number: from the free list, or a new one. The per-slot vectors grow by a
    /// quarter at a time and never past `max_entries`, so a full policy carries little unused
    /// capacity (a doubling vector would carry up to half).
    fn allocate(&mut self) -> u32 {
        if self.free_head != NIL {
            let slot = self.free_head;
            self.free_head = self.next[slot as usize];
            self.next[slot as usize] = NIL;
            return slot;
        }
        let len = self.meta.len();
        if len == self.meta.capacity() {
            let room = self.limits.max_entries().saturating_sub(len).max(1);
            let more = (len / 4).max(16).min(room);
            self.prev.reserve_exact(more);
            self.next.reserve_exact(more);
            self.heap_pos.reserve_exact(more);
            self.codes.reserve_exact(more);
            self.access.reserve_exact(more);
            self.meta.reserve_exact(more);
        }
        self.prev.push(NIL);
        self.next.push(NIL);
        self.heap_pos.push(NOT_IN_HEAP);
        self.codes.push(DEADLINE_NEVER);
        self.access.push(0);
        self.meta.push(VACANT);
        // Invariant: `Limits` keeps `max_entries` below `u32::MAX`, and at most that many
        // slots exist, so the number fits and is never `NIL`.
        u32::try_from(len).expect("max_entries < u32::MAX")
    }

    /// Unlinks a held slot and puts its number on the free list.
    fn free(&mut self, slot: u32, weight: u64) {
        self.clear_deadline(slot);
        self.unlink(slot, weight);
        let i = slot as usize;
        self.access[i] = 0;
        self.meta[i] = VACANT;
        self.next[i] = self.free_head;
        self.free_head = slot;
    }

    fn queue_mut(&mut self, queue: u8) -> &mut Queue {
        match queue {
            SMALL => &mut self.small,
            MAIN => &mut self.main,
            _ => unreachable!("vacant slots are on no queue"),
        }
    }

    /// Links an unlinked slot at the newest end of `queue`.
    fn push_head(&mut self, queue: u8, slot: u32, weight: u64) {
        let head = self.queue_mut(queue).head;
        let i = slot as usize;
        if head == NIL {
            self.prev[i] = slot;
            self.next[i] = slot;
        } else {
            let tail = self.prev[head as usize];
            self.prev[i] = tail;
            self.next[i] = head;
            self.next[tail as usize] = slot;
            self.prev[head as usize] = slot;
        }
        self.meta[i] = (self.meta[i] & !QUEUE_BITS) | queue;
        let list = self.queue_mut(queue);
        list.head = slot;
        list.len += 1;
        list.weight += weight;
    }

    /// Unlinks a slot from its queue; it stays held.
    fn unlink(&mut self, slot: u32, weight: u64) {
        let i = slot as usize;
        let queue = self.meta[i] & QUEUE_BITS;
        let (prev, next) = (self.prev[i], self.next[i]);
        let list = self.queue_mut(queue);
        list.len -= 1;
        list.weight -= weight;
        if next == slot {
            list.head = NIL;
        } else {
            if list.head == slot {
                list.head = next;
            }
            self.next[prev as usize] = next;
            self.prev[next as usize] = prev;
        }
        self.prev[i] = NIL;
        self.next[i] = NIL;
        self.meta[i] &= !QUEUE_BITS;
    }

    fn queue_oldest_first(&self, queue: Queue) -> impl Iterator<Item = u32> + '_ {
        let mut cursor = (queue.head != NIL).then(|| self.prev[queue.head as usize]);
        let mut remaining = queue.len;
        core::iter::from_fn(move || {
            if remaining == 0 {
                return None;
            }
            let slot = cursor?;
            remaining -= 1;
            cursor = Some(self.prev[slot as usize]);
            Some(slot)
        })
    }

    /// Evicts until `extra_count` more entries weighing `extra_weight` fit, reclaiming expired
    /// entries before any live one.
    fn make_room(&mut self, host: &mut impl Host, extra_weight: u64, extra_count: usize, now: Now) {
        while self.len() + extra_count > self.limits.max_entries()
            || self.weight() + extra_weight > self.limits.max_bytes()
        {
            // Most caches full of entries without a TTL have no deadline at all: skip the call.
            let any_deadline = self.heap.len() + self.far.len() > 0;
            if any_deadline && self.reclaim_expired(host, now, 1) == 1 {
                continue;
            }
            if !self.evict_one(host) {
                break;
            }
        }
    }

    /// Evicts one live entry by S3-FIFO; false if no entry is on a queue.
    fn evict_one(&mut self, host: &mut impl Host) -> bool {
        loop {
            let (small, main) = (self.small, self.main);
            if small.len == 0 && main.len == 0 {
                return false;
            }
            let small_over_share = small.len > 0
                && (main.len == 0
                    || small.weight.saturating_mul(100)
                        > self.limits.max_bytes().saturating_mul(SMALL_PERCENT)
                    || (small.len as u64).saturating_mul(100)
                        > (self.limits.max_entries() as u64).saturating_mul(SMALL_PERCENT));
            let (queue, list) = if small_over_share {
                (SMALL, small)
            } else {
                (MAIN, main)
            };
            let tail = self.prev[list.head as usize];
            let count = self.access[tail as usize].min(MAX_ACCESS_COUNT);
            let slot = Slot(tail);
            match queue {
                SMALL if count >= PROMOTE_AT => {
                    let weight = host.weight(slot);
                    self.unlink(tail, weight);
                    self.access[tail as usize] = 0;
                    self.push_head(MAIN, tail, weight);
                }
                MAIN if count > 0 => {
                    let weight = host.weight(slot);
                    self.unlink(tail, weight);
                    self.access[tail as usize] = count - 1;
                    self.push_head(MAIN, tail, weight);
                }
                _ => {
                    let fingerprint = (queue == SMALL).then(|| host.fingerprint(slot));
                    if let Some(fingerprint) = fingerprint {
                        // In u64: `len * 45` may not fit a 32-bit usize (wasm).
                        let ghosts = (self.len() as u64 * GHOST_PERCENT / 100) as usize;
                        let capacity = ghosts.max(16).min(self.limits.max_entries());
                        self.ghost.insert(fingerprint, capacity);
                    }
                    self.free(tail, host.weight(slot));
                    self.counters.evictions_capacity += 1;
                    match fingerprint {
                        Some(fingerprint) => {
                            host.forget_fingerprinted(slot, Removal::Evicted, fingerprint);
                        }
                        None => host.forget(slot, Removal::Evicted),
                    }
                    return true;
                }
            }
        }
    }

    /// Reclaims up to `budget` expired entries, earliest deadline first; returns how many.
    fn reclaim_expired(&mut self, host: &mut impl Host, now: Now, budget: usize) -> usize {
        let mut reclaimed = 0;
        while reclaimed < budget {
            let next = match self.heap.first() {
                Some(slot) => Some(slot),
                // Far deadlines are all later than every code, so they are only reached once
                // the heap is empty (or holds nothing expired, when they cannot be expired).
                None => self.far.first().map(|(_, slot)| slot),
            };
            match next {
                Some(slot) if !self.is_live(Slot(slot), now) => {
                    self.free(slot, host.weight(Slot(slot)));
                    self.counters.evictions_expired += 1;
                    host.forget(Slot(slot), Removal::Expired);
                    reclaimed += 1;
                }
                _ => break,
            }
        }
        reclaimed
    }

    fn heap_insert(&mut self, slot: u32) {
        // As the per-slot vectors: a quarter at a time, never past `max_entries`.
        self.heap.reserve_within(self.limits.max_entries());
        let codes = &self.codes;
        self.heap
            .push(&mut self.heap_pos, slot, |slot| codes[slot as usize]);
    }

    fn heap_remove(&mut self, slot: u32) {
        let codes = &self.codes;
        self.heap
            .remove(&mut self.heap_pos, slot, |slot| codes[slot as usize]);
    }

    fn check(&self, host: &impl Host) -> Result<(), String> {
        let slots = self.meta.len();
        for (name, len) in [
            ("prev", self.prev.len()),
            ("next", self.next.len()),
            ("heap_pos", self.heap_pos.len()),
            ("codes", self.codes.len()),
            ("access", self.access.len()),
        ] {
            if len != slots {
                return Err(format!("{name} has {len} slots, meta {slots}"));
            }
        }
        let mut held = 0usize;
        let (mut in_heap, mut far) = (0usize, 0usize);
        for slot in 0..slots {
            let meta = self.meta[slot];
            let code = self.codes[slot];
            if meta & QUEUE_BITS == VACANT {
                if code != DEADLINE_NEVER || self.heap_pos[slot] != NOT_IN_HEAP {
                    return Err(format!("vacant slot {slot} still has a deadline"));
                }
                continue;
            }
            if meta & QUEUE_BITS != SMALL && meta & QUEUE_BITS != MAIN {
                return Err(format!("slot {slot} has queue bits {meta:#b}"));
            }
            held += 1;
            let weight = host.weight(Slot(slot as u32));
            if weight > self.limits.max_entry_bytes() {
                return Err(format!("slot {slot} weighs {weight}, over the entry limit"));
            }
            match code {
                DEADLINE_NEVER => {
                    if self.heap_pos[slot] != NOT_IN_HEAP {
                        return Err(format!("slot {slot} has no deadline but is in the heap"));
                    }
                }
                DEADLINE_FAR => {
                    far += 1;
                    match self.far.get(&self.heap_pos, slot as u32) {
                        Some((deadline, _)) if self.encode(deadline) == DEADLINE_FAR => {}
                        _ => return Err(format!("far slot {slot} has no far deadline")),
                    }
                }
                _ => {
                    in_heap += 1;
                    let pos = self.heap_pos[slot] as usize;
                    if self.heap.entries().get(pos) != Some(&(slot as u32)) {
                        return Err(format!("slot {slot} records heap position {pos} wrongly"));
                    }
                }
            }
        }
        if held != self.len() {
            return Err(format!(
                "{held} slots are held but the queues count {}",
                self.len()
            ));
        }
        if in_heap != self.heap.len() || far != self.far.len() {
            return Err(format!(
                "{in_heap} near and {far} far deadlines, but the heap has {} and the far set {}",
                self.heap.len(),
                self.far.len()
            ));
        }
        self.far.check(&self.heap_pos, by_deadline, "far")?;
        self.heap
            .check(&self.heap_pos, |slot| self.codes[slot as usize], "near")?;
        // The epoch only moves forward inside `advance`, to the clock; `observe` may run the
        // clock ahead of a span without moving it, which the next mutating call repairs.
        let clock = self.clock.load(Ordering::Relaxed);
        if clock < self.epoch {
            return Err(format!("epoch {} is after the clock {clock}", self.epoch));
        }
        for (name, queue, tag) in [("small", self.small, SMALL), ("main", self.main, MAIN)] {
            let (mut len, mut weight) = (0usize, 0u64);
            let mut cursor = queue.head;
            for _ in 0..queue.len {
                let i = cursor as usize;
                if self.meta[i] & QUEUE_BITS != tag || self.prev[self.next[i] as usize] != cursor {
                    return Err(format!("{name} queue is mislinked at slot {cursor}"));
                }
                len += 1;
                weight += host.weight(Slot(cursor));
                cursor = self.next[i];
            }
            if len != queue.len || weight != queue.weight || (len > 0 && cursor != queue.head) {
                return Err(format!(
                    "{name} queue counts {} entries and {} bytes but holds {len} and {weight}",
                    queue.len, queue.weight
                ));
            }
        }
        let mut free = 0usize;
        let mut cursor = self.free_head;
        while cursor != NIL && free <= slots {
            if self.meta[cursor as usize] & QUEUE_BITS != VACANT {
                return Err(format!("held slot {cursor} is on the free list"));
            }
            free += 1;
            cursor = self.next[cursor as usize];
        }
        if free != slots - held {
            return Err("the free list does not hold exactly the vacant slots".to_owned());
        }
        if self.len() > self.limits.max_entries() || self.weight() > self.limits.max_bytes() {
            return Err(format!(
                "limits exceeded: {} entries, {} bytes",
                self.len(),
                self.weight()
            ));
        }
        self.ghost.check()
    }
}

mod heap;
#[cfg(test)]
mod tests;
