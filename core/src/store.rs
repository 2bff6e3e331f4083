//! The store: index, slab, S3-FIFO queues, expiry heap and counters in one single-threaded type.

use core::hash::BuildHasher;
use core::sync::atomic::{AtomicU64, Ordering};

use foldhash::fast::FixedState;
use hashbrown::HashTable;

use crate::expiry::ExpiryHeap;
use crate::ghost::Ghost;
use crate::slab::{MAX_FREQ, NO_DEADLINE, NOT_IN_HEAP, Queue, Slab, pack};
use crate::{
    Error, ImportSummary, InvariantViolation, KeyTtl, Limits, Snapshot, SnapshotEntry, Stats,
    Timestamp, Ttl,
};

/// Expired entries reclaimed, at most, inside each call that takes `&mut self`.
const RECLAIM_PER_CALL: usize = 2;

/// A small-queue entry read at least this often since insertion is promoted to the main queue.
const PROMOTE_AT_FREQ: u8 = 1;

/// An in-memory cache of byte values under string keys, bounded by [`Limits`], with per-entry
/// expiry and S3-FIFO eviction. It performs no I/O and reads no clock: pass `now` in.
///
/// `Store` is single-threaded; hosts that share one wrap it in a lock (or several, sharded).
///
/// ```
/// use chatcache_core::{KeyTtl, Limits, Store, Timestamp, Ttl};
///
/// let mut store = Store::new(Limits::default())?;
/// let t0 = Timestamp::from_millis(0);
///
/// store.set("room:42:title", b"Rustaceans", Some(Ttl::from_secs(60)?), t0)?;
/// assert_eq!(store.get("room:42:title", t0)?, Some(&b"Rustaceans"[..]));
///
/// let t1 = Timestamp::from_millis(59_000);
/// assert_eq!(store.ttl("room:42:title", t1)?, Some(KeyTtl::Remaining(Ttl::from_secs(1)?)));
///
/// let t2 = Timestamp::from_millis(60_000);
/// assert_eq!(store.get("room:42:title", t2)?, None); // the deadline is exclusive
/// # Ok::<(), chatcache_core::Error>(())
/// ```
#[derive(Debug)]
pub struct Store {
    limits: Limits,
    hasher: FixedState,
    /// Slot indices, keyed by the hash of the key bytes.
    index: HashTable<u32>,
    slab: Slab,
    expiry: ExpiryHeap,
    ghost: Ghost,
    /// The latest `now` seen: time never runs backwards inside the store. Atomic only so that
    /// `&self` reads can record it too; the store is still single-threaded.
    clock: AtomicU64,
    counters: Stats,
}

impl Store {
    /// An empty store with the given limits and a fixed hash seed.
    ///
    /// Keys chosen by untrusted users should go to a store made with
    /// [`Store::with_hash_seed`] and a random seed, so that nobody can aim collisions at it.
    pub fn new(limits: Limits) -> Result<Self, Error> {
        Self::with_hash_seed(limits, 0)
    }

    /// An empty store whose key hashing is keyed with `seed`.
    ///
    /// The core has no source of entropy of its own: hosts pass one in, as they pass time.
    pub fn with_hash_seed(limits: Limits, seed: u64) -> Result<Self, Error> {
        limits.validate()?;
        Ok(Self {
            limits,
            hasher: FixedState::with_seed(seed),
            index: HashTable::new(),
            slab: Slab::new(),
            expiry: ExpiryHeap::default(),
            ghost: Ghost::default(),
            clock: AtomicU64::new(0),
            counters: Stats::default(),
        })
    }

    /// The limits this store keeps.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Entries held, including expired ones not yet reclaimed; call
    /// [`purge_expired`](Self::purge_expired) first for an exact count of live entries.
    pub fn len(&self) -> usize {
        self.slab.small.len + self.slab.main.len
    }

    /// True if no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held: key + value + [`ENTRY_OVERHEAD`](crate::ENTRY_OVERHEAD) per entry
    /// (expired entries not yet reclaimed included).
    pub fn weight(&self) -> u64 {
        self.slab.small.weight + self.slab.main.weight
    }

    /// The counters, with `entries` and `bytes` as of now.
    pub fn stats(&self) -> Stats {
        Stats {
            entries: self.len() as u64,
            bytes: self.weight(),
            ..self.counters
        }
    }

    /// The value under `key`, counting a hit or a miss and marking the entry as used.
    pub fn get(&mut self, key: &str, now: Timestamp) -> Result<Option<&[u8]>, Error> {
        self.limits.check_key(key)?;
        let now = self.advance(now);
        self.reclaim_expired(now, RECLAIM_PER_CALL);
        match self.find(key) {
            Some(index) if !self.slab.slot(index).is_expired(now) => {
                self.counters.hits += 1;
                let slot = self.slab.slot_mut(index);
                slot.freq = (slot.freq + 1).min(MAX_FREQ);
                Ok(Some(self.slab.slot(index).value()))
            }
            found => {
                if let Some(index) = found {
                    self.remove_expired(index);
                }
                self.counters.misses += 1;
                Ok(None)
            }
        }
    }

    /// The value under `key`, without touching counters or the eviction policy.
    pub fn peek(&self, key: &str, now: Timestamp) -> Result<Option<&[u8]>, Error> {
        self.limits.check_key(key)?;
        let now = self.observe(now);
        Ok(self
            .find_live(key, now)
            .map(|index| self.slab.slot(index).value()))
    }

    /// True if a live entry is under `key`; no counter or policy effects.
    pub fn contains(&self, key: &str, now: Timestamp) -> Result<bool, Error> {
        self.limits.check_key(key)?;
        let now = self.observe(now);
        Ok(self.find_live(key, now).is_some())
    }

    /// Stores `value` under `key`, replacing any previous value and expiry.
    ///
    /// `ttl: None` means the entry never expires. On error nothing changes: in particular a
    /// value too large for [`Limits::max_entry_bytes`] leaves the old value in place.
    pub fn set(
        &mut self,
        key: &str,
        value: &[u8],
        ttl: Option<Ttl>,
        now: Timestamp,
    ) -> Result<(), Error> {
        let weight = self.limits.check_entry(key, value.len())?;
        let now = self.advance(now);
        self.reclaim_expired(now, RECLAIM_PER_CALL);
        let deadline = deadline_after(now, ttl);
        self.write(self.hash(key.as_bytes()), key, value, deadline, weight, now);
        Ok(())
    }

    /// Stores `value` under `key` only if no live entry is there; true if it was stored.
    pub fn add(
        &mut self,
        key: &str,
        value: &[u8],
        ttl: Option<Ttl>,
        now: Timestamp,
    ) -> Result<bool, Error> {
        let weight = self.limits.check_entry(key, value.len())?;
        let now = self.advance(now);
        self.reclaim_expired(now, RECLAIM_PER_CALL);
        let hash = self.hash(key.as_bytes());
        if self.find_live_hashed(hash, key, now).is_some() {
            return Ok(false);
        }
        let deadline = deadline_after(now, ttl);
        self.write(hash, key, value, deadline, weight, now);
        Ok(true)
    }

    /// Removes the entry under `key`; true if a live entry was removed.
    pub fn delete(&mut self, key: &str, now: Timestamp) -> Result<bool, Error> {
        self.limits.check_key(key)?;
        let now = self.advance(now);
        self.reclaim_expired(now, RECLAIM_PER_CALL);
        let hash = self.hash(key.as_bytes());
        match self.find_hashed(hash, key) {
            Some(index) if self.slab.slot(index).is_expired(now) => {
                self.remove_expired(index);
                Ok(false)
            }
            Some(index) => {
                self.remove_hashed(index, hash);
                self.counters.deletes += 1;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Replaces the expiry of a live entry (`None`: never expires); false if there is none.
    pub fn touch(&mut self, key: &str, ttl: Option<Ttl>, now: Timestamp) -> Result<bool, Error> {
        self.limits.check_key(key)?;
        let now = self.advance(now);
        self.reclaim_expired(now, RECLAIM_PER_CALL);
        match self.find_live(key, now) {
            Some(index) => {
                self.set_deadline(index, deadline_after(now, ttl));
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// The expiry state of `key`: `None` if there is no live entry.
    pub fn ttl(&self, key: &str, now: Timestamp) -> Result<Option<KeyTtl>, Error> {
        self.limits.check_key(key)?;
        let now = self.observe(now);
        Ok(self.find_live(key, now).map(|index| {
            let deadline = self.slab.slot(index).deadline;
            if deadline == NO_DEADLINE {
                KeyTtl::Persistent
            } else {
                let remaining = (deadline - now).min(Ttl::MAX_MILLIS);
                // A live entry's deadline is after `now`, so `remaining` is at least 1.
                KeyTtl::Remaining(Ttl::from_millis(remaining).expect("1 <= remaining <= MAX"))
            }
        }))
    }

    /// Adds `by` to the integer under `key` and returns the result, as Redis `INCRBY` does.
    ///
    /// A missing key counts as 0 and becomes a persistent entry; an existing entry keeps its
    /// expiry. The value must be a canonical decimal `i64` (`"42"`, `"-7"`; not `"+1"`,
    /// `"007"` or `" 1"`), else [`Error::NotAnInteger`]; a result outside `i64` is
    /// [`Error::Overflow`]. Either error leaves the value unchanged.
    ///
    /// ```
    /// use chatcache_core::{Error, Limits, Store, Timestamp};
    ///
    /// let mut store = Store::new(Limits::default())?;
    /// let now = Timestamp::ZERO;
    /// assert_eq!(store.incr("unread:alice", 3, now)?, 3);
    /// assert_eq!(store.decr("unread:alice", 1, now)?, 2);
    /// store.set("name", b"alice", None, now)?;
    /// assert_eq!(store.incr("name", 1, now), Err(Error::NotAnInteger));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn incr(&mut self, key: &str, by: i64, now: Timestamp) -> Result<i64, Error> {
        self.limits.check_key(key)?;
        self.increment(key, by, now)
    }

    /// Subtracts `by` from the integer under `key`; see [`incr`](Self::incr).
    pub fn decr(&mut self, key: &str, by: i64, now: Timestamp) -> Result<i64, Error> {
        self.limits.check_key(key)?;
        let by = by.checked_neg().ok_or(Error::Overflow)?;
        self.increment(key, by, now)
    }

    /// [`incr`](Self::incr) once the key has been checked.
    fn increment(&mut self, key: &str, by: i64, now: Timestamp) -> Result<i64, Error> {
        // Read at the effective time without recording it: a refused call changes nothing,
        // not even the store's notion of the latest time.
        let now = self.effective(now);
        let hash = self.hash(key.as_bytes());
        let existing = self.find_live_hashed(hash, key, now);
        let current = match existing {
            Some(index) => {
                parse_integer(self.slab.slot(index).value()).ok_or(Error::NotAnInteger)?
            }
            None => 0,
        };
        let result = current.checked_add(by).ok_or(Error::Overflow)?;
        let text = result.to_string();
        let weight = self.limits.check_entry(key, text.len())?;
        *self.clock.get_mut() = now;
        // Only expired entries are reclaimed, so the live `existing` slot stays valid.
        self.reclaim_expired(now, RECLAIM_PER_CALL);
        match existing {
            Some(index) => {
                let deadline = self.slab.slot(index).deadline;
                self.update(index, key, text.as_bytes(), deadline, weight, now);
                self.counters.updates += 1;
            }
            None => {
                self.write(hash, key, text.as_bytes(), NO_DEADLINE, weight, now);
            }
        }
        Ok(result)
    }

    /// Removes every entry (not counted as deletes) and forgets the ghost history.
    pub fn clear(&mut self) {
        self.index.clear();
        self.slab.clear();
        self.expiry.clear();
        self.ghost.clear();
    }

    /// Reclaims every entry whose deadline is at or before `now`; returns how many.
    ///
    /// Calls reclaim a few expired entries on their own as they go, so this is only needed by
    /// hosts that want memory back on a schedule; see [`next_expiry`](Self::next_expiry).
    pub fn purge_expired(&mut self, now: Timestamp) -> usize {
        let now = self.advance(now);
        self.reclaim_expired(now, usize::MAX)
    }

    /// The earliest deadline among held entries: when the next
    /// [`purge_expired`](Self::purge_expired) would have work to do.
    pub fn next_expiry(&self) -> Option<Timestamp> {
        self.expiry
            .peek()
            .map(|index| Timestamp::from_millis(self.slab.slot(index).deadline))
    }

    /// Every live entry, least valuable first, with absolute deadlines.
    pub fn export(&self, now: Timestamp) -> Snapshot {
        let now = self.observe(now);
        let entries = [Queue::Small, Queue::Main]
            .into_iter()
            .flat_map(|queue| self.slab.iter_oldest_first(queue))
            .map(|index| self.slab.slot(index))
            .filter(|slot| !slot.is_expired(now))
            .map(|slot| SnapshotEntry {
                key: slot.key().to_owned(),
                value: slot.value().to_vec(),
                expires_at: (slot.deadline != NO_DEADLINE)
                    .then(|| Timestamp::from_millis(slot.deadline)),
            })
            .collect();
        Snapshot {
            version: Snapshot::VERSION,
            entries,
        }
    }

    /// Stores every entry of `snapshot` whose deadline is after `now`, in order, as `set`
    /// would (so later entries win and the limits hold through normal eviction).
    ///
    /// Every entry is checked before anything is stored: on error nothing changes.
    pub fn import(&mut self, snapshot: &Snapshot, now: Timestamp) -> Result<ImportSummary, Error> {
        if snapshot.version != Snapshot::VERSION {
            return Err(Error::UnsupportedSnapshot {
                version: snapshot.version,
            });
        }
        let weights = snapshot
            .entries
            .iter()
            .map(|entry| self.limits.check_entry(&entry.key, entry.value.len()))
            .collect::<Result<Vec<_>, _>>()?;
        let now = self.advance(now);
        let mut summary = ImportSummary::default();
        for (entry, weight) in snapshot.entries.iter().zip(weights) {
            // `NO_DEADLINE` is reserved: the latest real deadline is one before it.
            let deadline = entry
                .expires_at
                .map_or(NO_DEADLINE, |at| at.as_millis().min(NO_DEADLINE - 1));
            if deadline <= now {
                summary.expired += 1;
                continue;
            }
            let hash = self.hash(entry.key.as_bytes());
            self.write(hash, &entry.key, &entry.value, deadline, weight, now);
            summary.imported += 1;
        }
        Ok(summary)
    }

    /// Checks every internal invariant (index, queues, free list, expiry heap, counters,
    /// limits). For tests and fuzzing: it walks the whole store.
    pub fn validate(&self) -> Result<(), InvariantViolation> {
        self.check().map_err(InvariantViolation)
    }
}

// Internals.
impl Store {
    /// Records `now` as the latest time seen (if it is) and returns the store's time.
    fn advance(&mut self, now: Timestamp) -> u64 {
        let clock = self.clock.get_mut();
        *clock = (*clock).max(now.as_millis());
        *clock
    }

    /// [`advance`](Self::advance) for `&self` reads, so that a read at a later time followed by
    /// one at an earlier time cannot see an expired entry come back.
    fn observe(&self, now: Timestamp) -> u64 {
        let now = now.as_millis();
        self.clock.fetch_max(now, Ordering::Relaxed).max(now)
    }

    /// The store's time at `now` without recording it (for calls that may still be refused).
    fn effective(&self, now: Timestamp) -> u64 {
        self.clock.load(Ordering::Relaxed).max(now.as_millis())
    }

    fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    fn find(&self, key: &str) -> Option<u32> {
        self.find_hashed(self.hash(key.as_bytes()), key)
    }

    /// [`find`](Self::find) for a caller that needs the key's hash again afterwards.
    fn find_hashed(&self, hash: u64, key: &str) -> Option<u32> {
        let slab = &self.slab;
        self.index
            .find(hash, |&index| {
                slab.slot(index).key_bytes() == key.as_bytes()
            })
            .copied()
    }

    fn find_live(&self, key: &str, now: u64) -> Option<u32> {
        self.find_live_hashed(self.hash(key.as_bytes()), key, now)
    }

    fn find_live_hashed(&self, hash: u64, key: &str, now: u64) -> Option<u32> {
        self.find_hashed(hash, key)
            .filter(|&index| !self.slab.slot(index).is_expired(now))
    }

    /// Stores a checked entry whose key hashes to `hash`: updates a live one in place,
    /// replaces an expired one, or inserts after making room.
    fn write(&mut self, hash: u64, key: &str, value: &[u8], deadline: u64, weight: u64, now: u64) {
        match self.find_hashed(hash, key) {
            Some(index) if !self.slab.slot(index).is_expired(now) => {
                self.update(index, key, value, deadline, weight, now);
                self.counters.updates += 1;
                return;
            }
            Some(index) => self.remove_expired(index),
            None => {}
        }
        self.make_room(weight, 1, now);
        let key_len =
            u16::try_from(key.len()).expect("Limits::validate caps max_key_bytes at u16::MAX");
        let index =
            self.slab
                .allocate(pack(key, value), key_len, deadline, self.limits.max_entries);
        let queue = if self.ghost.take(hash) {
            Queue::Main
        } else {
            Queue::Small
        };
        self.slab.push_head(queue, index);
        let (slab, hasher) = (&self.slab, &self.hasher);
        self.index
            .insert_unique(hash, index, |&i| hasher.hash_one(slab.slot(i).key_bytes()));
        if deadline != NO_DEADLINE {
            self.expiry.insert(&mut self.slab, index);
        }
        self.counters.inserts += 1;
    }

    /// Replaces the value and deadline of a live entry. An entry that grows is moved to the
    /// head of its queue while room is made, so it can never evict itself.
    fn update(
        &mut self,
        index: u32,
        key: &str,
        value: &[u8],
        deadline: u64,
        weight: u64,
        now: u64,
    ) {
        let queue = self.slab.slot(index).queue;
        // Unlinked, the entry no longer counts against the limits, so room is made for all of
        // it, and it cannot be chosen as its own victim.
        self.slab.unlink(index);
        self.make_room(weight, 1, now);
        let slot = self.slab.slot_mut(index);
        if slot.data.len() == key.len() + value.len() {
            // Same size: reuse the buffer (the key bytes are already the same).
            slot.data[key.len()..].copy_from_slice(value);
        } else {
            slot.data = pack(key, value);
        }
        slot.freq = (slot.freq + 1).min(MAX_FREQ);
        self.slab.push_head(queue, index);
        self.set_deadline(index, deadline);
    }

    fn set_deadline(&mut self, index: u32, deadline: u64) {
        let old = self.slab.slot(index).deadline;
        self.slab.slot_mut(index).deadline = deadline;
        match (old == NO_DEADLINE, deadline == NO_DEADLINE) {
            (true, true) => {}
            (true, false) => self.expiry.insert(&mut self.slab, index),
            (false, true) => self.expiry.remove(&mut self.slab, index),
            (false, false) => self.expiry.update(&mut self.slab, index),
        }
    }

    /// Evicts until `extra_count` more entries weighing `extra_weight` fit, reclaiming expired
    /// entries before any live one.
    fn make_room(&mut self, extra_weight: u64, extra_count: usize, now: u64) {
        while self.len() + extra_count > self.limits.max_entries
            || self.weight() + extra_weight > self.limits.max_bytes
        {
            if self.reclaim_expired(now, 1) == 1 {
                continue;
            }
            if !self.evict_one() {
                break;
            }
        }
    }

    /// Evicts one live entry by S3-FIFO; false if no entry is on a queue.
    fn evict_one(&mut self) -> bool {
        loop {
            let (small, main) = (self.slab.small, self.slab.main);
            if small.len == 0 && main.len == 0 {
                return false;
            }
            let small_over_share = small.len > 0
                && (main.len == 0
                    || small.weight.saturating_mul(10) > self.limits.max_bytes
                    || small.len.saturating_mul(10) > self.limits.max_entries);
            let queue = if small_over_share {
                Queue::Small
            } else {
                Queue::Main
            };
            let Some(tail) = self.slab.tail(queue) else {
                return false;
            };
            let freq = self.slab.slot(tail).freq;
            match queue {
                Queue::Small if freq >= PROMOTE_AT_FREQ => {
                    self.slab.unlink(tail);
                    self.slab.slot_mut(tail).freq = 0;
                    self.slab.push_head(Queue::Main, tail);
                }
                Queue::Main if freq > 0 => {
                    self.slab.unlink(tail);
                    self.slab.slot_mut(tail).freq = freq - 1;
                    self.slab.push_head(Queue::Main, tail);
                }
                _ => {
                    let hash = self.hash(self.slab.slot(tail).key_bytes());
                    if queue == Queue::Small {
                        let capacity = self.len().max(16).min(self.limits.max_entries);
                        self.ghost.insert(hash, capacity);
                    }
                    self.remove_hashed(tail, hash);
                    self.counters.evictions_capacity += 1;
                    return true;
                }
            }
        }
    }

    /// Reclaims up to `budget` expired entries, earliest deadline first; returns how many.
    fn reclaim_expired(&mut self, now: u64, budget: usize) -> usize {
        let mut reclaimed = 0;
        while reclaimed < budget {
            match self.expiry.peek() {
                Some(index) if self.slab.slot(index).is_expired(now) => {
                    self.remove_expired(index);
                    reclaimed += 1;
                }
                _ => break,
            }
        }
        reclaimed
    }

    fn remove_expired(&mut self, index: u32) {
        self.remove(index);
        self.counters.evictions_expired += 1;
    }

    /// Removes a held entry from every structure and frees its slot.
    fn remove(&mut self, index: u32) {
        self.remove_hashed(index, self.hash(self.slab.slot(index).key_bytes()));
    }

    /// [`remove`](Self::remove) when the caller already hashed the entry's key.
    fn remove_hashed(&mut self, index: u32, hash: u64) {
        match self.index.find_entry(hash, |&i| i == index) {
            Ok(entry) => {
                entry.remove();
            }
            Err(_) => unreachable!("every held slot is in the index"),
        }
        self.expiry.remove(&mut self.slab, index);
        self.slab.unlink(index);
        self.slab.release(index);
    }

    fn check(&self) -> Result<(), String> {
        // `len()` and `weight()` are the queues' totals; the slot scan below checks them.
        let mut held = 0usize;
        let mut weight = 0u64;
        let mut with_deadline = 0usize;
        for (i, slot) in self.slab.slots.iter().enumerate() {
            if slot.queue == Queue::Vacant {
                if !slot.data.is_empty() || slot.heap_pos != NOT_IN_HEAP {
                    return Err(format!(
                        "vacant slot {i} still holds data or a heap position"
                    ));
                }
                continue;
            }
            held += 1;
            weight += slot.weight();
            let key = std::str::from_utf8(slot.key_bytes())
                .map_err(|_| format!("slot {i} holds a key that is not UTF-8"))?;
            self.limits
                .check_entry(key, slot.value().len())
                .map_err(|e| format!("slot {i} holds an entry the limits refuse: {e}"))?;
            if slot.freq > MAX_FREQ {
                return Err(format!("slot {i} has frequency {}", slot.freq));
            }
            if self.find(key) != Some(i as u32) {
                return Err(format!("slot {i} ({key:?}) is not found through the index"));
            }
            match (slot.deadline == NO_DEADLINE, slot.heap_pos == NOT_IN_HEAP) {
                (true, true) => {}
                (false, false) => with_deadline += 1,
                _ => return Err(format!("slot {i} disagrees with the expiry heap")),
            }
        }
        if held != self.len() || self.index.len() != self.len() {
            return Err(format!(
                "len is {} but {held} slots are held and the index has {}",
                self.len(),
                self.index.len()
            ));
        }
        if weight != self.weight() {
            return Err(format!(
                "weight is {} but entries weigh {weight}",
                self.weight()
            ));
        }
        if self.expiry.len() != with_deadline {
            return Err(format!(
                "expiry heap has {} slots but {with_deadline} entries have deadlines",
                self.expiry.len()
            ));
        }
        self.expiry.check(&self.slab)?;
        for queue in [Queue::Small, Queue::Main] {
            let list = self.slab.list(queue);
            let (mut len, mut list_weight) = (0usize, 0u64);
            let mut cursor = list.head;
            for _ in 0..list.len {
                let slot = self.slab.slot(cursor);
                if slot.queue != queue || self.slab.slot(slot.next).prev != cursor {
                    return Err(format!("{queue:?} queue is mislinked at slot {cursor}"));
                }
                len += 1;
                list_weight += slot.weight();
                cursor = slot.next;
            }
            if len != list.len || list_weight != list.weight || (len > 0 && cursor != list.head) {
                return Err(format!("{queue:?} queue's counts or ring are wrong"));
            }
        }
        if self.slab.free_count() != self.slab.slots.len() - self.len() {
            return Err("free list does not hold exactly the vacant slots".to_owned());
        }
        if self.len() > self.limits.max_entries || self.weight() > self.limits.max_bytes {
            return Err(format!(
                "limits exceeded: {} entries, {} bytes",
                self.len(),
                self.weight()
            ));
        }
        self.ghost.check()
    }
}

fn deadline_after(now: u64, ttl: Option<Ttl>) -> u64 {
    ttl.map_or(NO_DEADLINE, |ttl| {
        Timestamp::from_millis(now).saturating_add(ttl).as_millis()
    })
}

/// Parses a canonical decimal `i64` the way Redis's `string2ll` does.
fn parse_integer(bytes: &[u8]) -> Option<i64> {
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    match digits {
        [] => return None,
        [b'0'] => return (!negative).then_some(0),
        [b'0', ..] => return None,
        _ => {}
    }
    let mut value: i64 = 0;
    for &byte in digits {
        let digit = i64::from(byte.checked_sub(b'0').filter(|d| *d <= 9)?);
        value = value.checked_mul(10)?;
        value = if negative {
            value.checked_sub(digit)?
        } else {
            value.checked_add(digit)?
        };
    }
    Some(value)
}

#[cfg(test)]
mod tests;
