//! The store: a [`Policy`] with a hash index and the keys and values it holds.

use crate::prelude::*;

use foldhash::fast::FixedState;
use hashbrown::{HashMap, HashTable};

use crate::collections::{CappedList, ListCap, LiveMembers, MemberSet};
use crate::integer::parse_integer;
use crate::key::{AsKey, HashedKey, KeyHasher};
use crate::limits::EntryWeight;
use crate::policy::{Host, Now, Policy, Removal, Slot};
use crate::shared::SharedBytes;
use crate::{
    Error, ImportSummary, InvariantViolation, KeyTtl, Kind, Limits, Snapshot, SnapshotEntry,
    SnapshotMember, SnapshotValue, Stats, Timestamp, Ttl,
};

/// An in-memory cache under string keys — byte values, capped lists and member sets — bounded
/// by [`Limits`], with per-entry expiry and S3-FIFO eviction. It performs no I/O and reads no
/// clock: pass `now` in.
///
/// `Store` is single-threaded; hosts that share one wrap it in a lock (or several, sharded).
///
/// ```
/// use chatcache_core::{KeyTtl, Limits, Store, Timestamp, Ttl};
///
/// let mut store = Store::new(Limits::default());
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
///
/// # Kinds
///
/// A key holds one [`Kind`] of entry. Operations on a kind they do not work on — `get` or
/// `incr` on a list, `list_push` on a byte value, `members` on a list — fail with
/// [`Error::WrongType`] (code `wrong_type`, as Redis' `WRONGTYPE`) and change nothing. `set`
/// replaces whatever the key holds; `delete`, `contains`, `touch`, `ttl`, `clear`, the counters,
/// snapshots and the limits cover every kind.
///
/// ```
/// use chatcache_core::{Limits, Store, Timestamp, Ttl};
///
/// let mut store = Store::new(Limits::default());
/// let now = Timestamp::ZERO;
/// for text in ["hi", "hello", "hey"] {
///     store.list_push("room:1:history", text.as_bytes(), 2, None, now)?;
/// }
/// let last: Vec<&[u8]> = store.list_range("room:1:history", 0, -1, now)?.collect();
/// assert_eq!(last, [&b"hello"[..], &b"hey"[..]]);
/// assert_eq!(store.get("room:1:history", now).unwrap_err().code(), "wrong_type");
///
/// store.member_add("room:1:online", "ada", Ttl::from_secs(30)?, now)?;
/// assert_eq!(store.members("room:1:online", now)?.collect::<Vec<_>>(), ["ada"]);
/// # Ok::<(), chatcache_core::Error>(())
/// ```
#[derive(Debug)]
pub struct Store {
    policy: Policy,
    entries: Entries,
}

/// Host tags: the kind of a slot's entry, kept in the policy's two tag bits.
const TAG_BYTES: u8 = 0;
const TAG_LIST: u8 = 1;
const TAG_MEMBERS: u8 = 2;

#[inline]
fn kind_of(tag: u8) -> Kind {
    match tag {
        TAG_LIST => Kind::List,
        TAG_MEMBERS => Kind::Members,
        _ => Kind::Bytes,
    }
}

/// A list or member set, kept beside the slot's key bytes.
#[derive(Debug)]
enum Collection {
    List(CappedList<Box<[u8]>>),
    Members(MemberSet),
}

/// The store's side of each slot: the index and the keys and values. The policy asks it about
/// slots through [`Host`].
#[derive(Debug)]
struct Entries {
    hasher: KeyHasher,
    /// Slot numbers, keyed by the hash of the key bytes.
    index: HashTable<u32>,
    /// Per slot: the key's length ([`HEADER`] bytes, little-endian), the key's UTF-8 bytes,
    /// then the value for a byte value; empty for a vacant slot. One buffer and one load
    /// answer both the index's key comparison and the read of the value; [`Value`]s share it
    /// (a [`SharedBytes`]: one 8-byte pointer here, the count and length in the allocation).
    data: Vec<SharedBytes>,
    /// Lists and member sets, by slot. Their `data` holds the key alone.
    collections: HashMap<u32, Collection, FixedState>,
    /// The buffer of the slot forgotten last, kept for the next insert: a full cache evicts
    /// one entry per insert, and a new buffer of the same length (keys and values of one shape)
    /// is then written into it instead of freeing one and allocating another.
    spare: SharedBytes,
}

/// What a lookup found, before anything changed.
#[derive(Clone, Copy)]
enum Found {
    Live(Slot),
    Expired,
    Missing,
}

impl Store {
    /// An empty store with the given limits and a fixed hash seed.
    ///
    /// Keys chosen by untrusted users should go to a store made with
    /// [`Store::with_hash_seed`] and a random seed, so that nobody can aim collisions at it.
    pub fn new(limits: Limits) -> Self {
        Self::with_hash_seed(limits, 0)
    }

    /// An empty store whose key hashing is keyed with `seed`.
    ///
    /// The core has no source of entropy of its own: hosts pass one in, as they pass time.
    pub fn with_hash_seed(limits: Limits, seed: u64) -> Self {
        Self::with_hasher(limits, KeyHasher::new(seed))
    }

    /// An empty store hashing keys with `hasher`, so that [`HashedKey`]s made by it can be
    /// passed in (see [`KeyHasher`]).
    pub fn with_hasher(limits: Limits, hasher: KeyHasher) -> Self {
        Self {
            policy: Policy::new(limits),
            entries: Entries {
                hasher,
                index: HashTable::new(),
                data: Vec::new(),
                collections: HashMap::with_hasher(FixedState::default()),
                spare: SharedBytes::empty(),
            },
        }
    }

    /// The limits this store keeps.
    pub fn limits(&self) -> &Limits {
        self.policy.limits()
    }

    /// The hash function of this store's index.
    pub fn hasher(&self) -> &KeyHasher {
        &self.entries.hasher
    }

    /// Entries held, including expired ones not yet reclaimed; call
    /// [`purge_expired`](Self::purge_expired) first for an exact count of live entries.
    pub fn len(&self) -> usize {
        self.policy.len()
    }

    /// True if no entry is held.
    pub fn is_empty(&self) -> bool {
        self.policy.is_empty()
    }

    /// Bytes held: the weight of every entry (expired entries not yet reclaimed included).
    pub fn weight(&self) -> u64 {
        self.policy.weight()
    }

    /// The counters, with `entries` and `bytes` as of now.
    pub fn stats(&self) -> Stats {
        self.policy.stats()
    }

    /// The byte value under `key`, counting a hit or a miss and marking the entry as used.
    ///
    /// [`Error::WrongType`] if the key holds a list or a member set.
    #[inline]
    pub fn get<'k>(&mut self, key: impl AsKey<'k>, now: Timestamp) -> Result<Option<&[u8]>, Error> {
        let hit = self.hit(key, now)?;
        Ok(hit.map(|slot| self.entries.value(slot)))
    }

    /// [`get`](Self::get), returning the value as a [`Value`] that shares the stored bytes:
    /// an owned read that copies and allocates nothing (one reference-count increment).
    ///
    /// ```
    /// use chatcache_core::{Limits, Store, Timestamp};
    ///
    /// let mut store = Store::new(Limits::default());
    /// store.set("motd", b"hello", None, Timestamp::ZERO)?;
    /// let value = store.get_shared("motd", Timestamp::ZERO)?.expect("just set");
    /// store.set("motd", b"bye!!", None, Timestamp::ZERO)?; // the reader's bytes stay as read
    /// assert_eq!(&*value, b"hello");
    /// # Ok::<(), chatcache_core::Error>(())
    /// ```
    #[inline]
    pub fn get_shared<'k>(
        &mut self,
        key: impl AsKey<'k>,
        now: Timestamp,
    ) -> Result<Option<Value>, Error> {
        let hit = self.hit(key, now)?;
        Ok(hit.map(|slot| Value(self.entries.data[slot.index()].clone())))
    }

    /// The read of [`get`](Self::get): the slot of a live byte value under `key`, counted as a
    /// hit and marked as used, or `None`, counted as a miss.
    #[inline(always)]
    fn hit<'k>(&mut self, key: impl AsKey<'k>, now: Timestamp) -> Result<Option<Slot>, Error> {
        let key = key.hashed(&self.entries.hasher);
        // One probe of the index. A key that is found passed `check_key` when it was stored, so
        // only a key that is not found needs checking (for the error an invalid key gets).
        let found = match self.entries.find(key) {
            Some(slot) if self.policy.is_live(slot, self.policy.preview(now)) => {
                if self.policy.tag(slot) != TAG_BYTES {
                    self.expect_kind(slot, Kind::Bytes)?;
                }
                Found::Live(slot)
            }
            Some(_) => Found::Expired,
            None => {
                self.limits().check_key(key.key())?;
                Found::Missing
            }
        };
        self.begin(key, found, now);
        match found {
            Found::Live(slot) => {
                self.policy.record_hit(slot);
                Ok(Some(slot))
            }
            Found::Expired | Found::Missing => {
                self.policy.record_miss();
                Ok(None)
            }
        }
    }

    /// The byte value under `key`, without touching counters or the eviction policy.
    pub fn peek<'k>(&self, key: impl AsKey<'k>, now: Timestamp) -> Result<Option<&[u8]>, Error> {
        let key = self.key(key)?;
        let found = self.find_checked(key, now, Kind::Bytes)?;
        self.policy.observe(now);
        match found {
            Found::Live(slot) => Ok(Some(self.entries.value(slot))),
            Found::Expired | Found::Missing => Ok(None),
        }
    }

    /// True if a live entry (of any kind) is under `key`; no counter or policy effects.
    pub fn contains<'k>(&self, key: impl AsKey<'k>, now: Timestamp) -> Result<bool, Error> {
        Ok(self.kind(key, now)?.is_some())
    }

    /// The kind of the live entry under `key`, if there is one; no counter or policy effects.
    pub fn kind<'k>(&self, key: impl AsKey<'k>, now: Timestamp) -> Result<Option<Kind>, Error> {
        let key = self.key(key)?;
        let now = self.policy.observe(now);
        Ok(match self.lookup(key, now) {
            Found::Live(slot) => Some(kind_of(self.policy.tag(slot))),
            Found::Expired | Found::Missing => None,
        })
    }

    /// Stores `value` under `key`, replacing any previous entry (of any kind) and expiry.
    ///
    /// `ttl: None` means the entry never expires. On error nothing changes: in particular a
    /// value too large for [`Limits::max_entry_bytes`] leaves the old entry in place.
    pub fn set<'k>(
        &mut self,
        key: impl AsKey<'k>,
        value: &[u8],
        ttl: Option<Ttl>,
        now: Timestamp,
    ) -> Result<(), Error> {
        let key = key.hashed(&self.entries.hasher);
        let weight = self.limits().check_entry(key.key(), value.len())?;
        let found = self.find(key, now);
        let now = self.begin(key, found, now);
        let deadline = ttl.map(|ttl| now.after(ttl));
        self.write(key, found, Payload::Bytes(value), weight, deadline, now);
        Ok(())
    }

    /// Stores `value` under `key` only if no live entry (of any kind) is there; true if it was
    /// stored.
    pub fn add<'k>(
        &mut self,
        key: impl AsKey<'k>,
        value: &[u8],
        ttl: Option<Ttl>,
        now: Timestamp,
    ) -> Result<bool, Error> {
        let key = key.hashed(&self.entries.hasher);
        let weight = self.limits().check_entry(key.key(), value.len())?;
        let found = self.find(key, now);
        let now = self.begin(key, found, now);
        if let Found::Live(_) = found {
            return Ok(false);
        }
        let deadline = ttl.map(|ttl| now.after(ttl));
        self.write(key, found, Payload::Bytes(value), weight, deadline, now);
        Ok(true)
    }

    /// Removes the entry (of any kind) under `key`; true if a live entry was removed.
    pub fn delete<'k>(&mut self, key: impl AsKey<'k>, now: Timestamp) -> Result<bool, Error> {
        let key = self.key(key)?;
        let found = self.find(key, now);
        self.begin(key, found, now);
        match found {
            Found::Live(slot) => {
                self.remove(slot, Removal::Deleted);
                Ok(true)
            }
            Found::Expired | Found::Missing => Ok(false),
        }
    }

    /// Replaces the expiry of a live entry of any kind (`None`: never expires); false if there
    /// is none.
    ///
    /// A member set lives while a member does and never longer: its expiry becomes the earlier
    /// of `ttl` and its latest member's deadline (so `touch` can end a set early, and `None`
    /// leaves it to its members); the next [`member_add`](Self::member_add) or
    /// [`member_remove`](Self::member_remove) sets it back to the latest member deadline.
    pub fn touch<'k>(
        &mut self,
        key: impl AsKey<'k>,
        ttl: Option<Ttl>,
        now: Timestamp,
    ) -> Result<bool, Error> {
        let key = self.key(key)?;
        let found = self.find(key, now);
        let now = self.begin(key, found, now);
        match found {
            Found::Live(slot) => {
                let wanted = ttl.map(|ttl| now.after(ttl));
                let deadline = match self.entries.collections.get(&slot.as_u32()) {
                    Some(Collection::Members(set)) => set.entry_deadline(wanted),
                    _ => wanted,
                };
                self.policy.set_deadline(slot, deadline);
                Ok(true)
            }
            Found::Expired | Found::Missing => Ok(false),
        }
    }

    /// The expiry state of `key` (any kind): `None` if there is no live entry.
    pub fn ttl<'k>(&self, key: impl AsKey<'k>, now: Timestamp) -> Result<Option<KeyTtl>, Error> {
        let key = self.key(key)?;
        let now = self.policy.observe(now);
        Ok(match self.lookup(key, now) {
            Found::Live(slot) => Some(match self.policy.deadline(slot) {
                None => KeyTtl::Persistent,
                Some(deadline) => {
                    let remaining = deadline.millis_since(now.timestamp()).min(Ttl::MAX_MILLIS);
                    // A live entry's deadline is after `now`, so `remaining` is at least 1.
                    KeyTtl::Remaining(Ttl::from_millis(remaining).expect("1 <= remaining <= MAX"))
                }
            }),
            Found::Expired | Found::Missing => None,
        })
    }

    /// Adds `by` to the integer under `key` and returns the result, as Redis `INCRBY` does.
    ///
    /// A missing key counts as 0 and becomes a persistent entry; an existing entry keeps its
    /// expiry. The value must be a canonical decimal `i64` (`"42"`, `"-7"`; not `"+1"`,
    /// `"007"` or `" 1"`), else [`Error::NotAnInteger`]; a result outside `i64` is
    /// [`Error::Overflow`]; a list or member set is [`Error::WrongType`]. Any error leaves the
    /// entry unchanged.
    ///
    /// ```
    /// use chatcache_core::{Error, Limits, Store, Timestamp};
    ///
    /// let mut store = Store::new(Limits::default());
    /// let now = Timestamp::ZERO;
    /// assert_eq!(store.incr("unread:alice", 3, now)?, 3);
    /// assert_eq!(store.decr("unread:alice", 1, now)?, 2);
    /// store.set("name", b"alice", None, now)?;
    /// assert_eq!(store.incr("name", 1, now), Err(Error::NotAnInteger));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn incr<'k>(&mut self, key: impl AsKey<'k>, by: i64, now: Timestamp) -> Result<i64, Error> {
        let key = self.key(key)?;
        self.increment(key, by, now)
    }

    /// Subtracts `by` from the integer under `key`; see [`incr`](Self::incr).
    pub fn decr<'k>(&mut self, key: impl AsKey<'k>, by: i64, now: Timestamp) -> Result<i64, Error> {
        let key = self.key(key)?;
        let by = by.checked_neg().ok_or(Error::Overflow)?;
        self.increment(key, by, now)
    }

    /// Appends `item` to the list under `key` and returns the list's new length.
    ///
    /// The list keeps its newest `cap` items (`1..=`[`MAX_LIST_CAP`](crate::MAX_LIST_CAP),
    /// else [`Error::InvalidCap`]): the oldest are dropped from the head beyond it. It is
    /// also a capped history by bytes: a push that would make the entry heavier than
    /// [`Limits::max_entry_bytes`] drops the oldest items until it fits, and an item too large
    /// to fit even alone is refused ([`Error::EntryTooLarge`]). A list weighs its key +
    /// each item + [`ITEM_OVERHEAD`](crate::ITEM_OVERHEAD) per item +
    /// [`ENTRY_OVERHEAD`](crate::ENTRY_OVERHEAD).
    ///
    /// `ttl: Some` sets the key's expiry; `None` keeps the existing one (a new list then never
    /// expires). A key holding a byte value or a member set is [`Error::WrongType`]. The push
    /// and any trimming happen as one step: no call ever sees a half-done push.
    pub fn list_push<'k>(
        &mut self,
        key: impl AsKey<'k>,
        item: &[u8],
        cap: u64,
        ttl: Option<Ttl>,
        now: Timestamp,
    ) -> Result<usize, Error> {
        let key = self.key(key)?;
        let cap = ListCap::new(cap)?;
        let found = self.find_checked(key, now, Kind::List)?;
        let key_len = key.key().len();
        let limits = *self.limits();
        let plan = match found {
            Found::Live(slot) => {
                self.entries
                    .list(slot)
                    .plan_push(key_len, item.len(), cap, &limits)?
            }
            Found::Expired | Found::Missing => {
                CappedList::<Box<[u8]>>::new().plan_push(key_len, item.len(), cap, &limits)?
            }
        };
        let now = self.begin(key, found, now);
        let item: Box<[u8]> = Box::from(item);
        match found {
            Found::Live(slot) => {
                self.policy
                    .reweigh(&mut self.entries, slot, plan.weight, now);
                self.entries.list_mut(slot).push(item, plan).for_each(drop);
                if let Some(ttl) = ttl {
                    self.policy.set_deadline(slot, Some(now.after(ttl)));
                }
                self.policy.record_write(slot);
            }
            Found::Expired | Found::Missing => {
                let mut list = CappedList::new();
                list.push(item, plan).for_each(drop);
                let deadline = ttl.map(|ttl| now.after(ttl));
                let list = Payload::Collection(Collection::List(list));
                self.write(key, found, list, plan.weight, deadline, now);
            }
        }
        Ok(plan.len)
    }

    /// The items of the list under `key` from `start` to `stop` inclusive, oldest first, with
    /// Redis `LRANGE` indices (negative ones count from the newest, −1; out-of-range bounds are
    /// clamped; an empty selection is empty). A missing key is an empty list. Counts a hit or a
    /// miss and marks the list as used; a key of another kind is [`Error::WrongType`].
    ///
    /// `list_range(key, -50, -1, now)` reads the newest 50 items.
    pub fn list_range<'k>(
        &mut self,
        key: impl AsKey<'k>,
        start: i64,
        stop: i64,
        now: Timestamp,
    ) -> Result<ListRange<'_>, Error> {
        let key = self.key(key)?;
        let found = self.find_checked(key, now, Kind::List)?;
        self.begin(key, found, now);
        match found {
            Found::Live(slot) => {
                self.policy.record_hit(slot);
                let list = self.entries.list(slot);
                Ok(ListRange(Some(list.range(start, stop))))
            }
            Found::Expired | Found::Missing => {
                self.policy.record_miss();
                Ok(ListRange(None))
            }
        }
    }

    /// The number of items in the list under `key` (0 if there is none); no counter or policy
    /// effects. A key of another kind is [`Error::WrongType`].
    pub fn list_len<'k>(&self, key: impl AsKey<'k>, now: Timestamp) -> Result<usize, Error> {
        let key = self.key(key)?;
        let found = self.find_checked(key, now, Kind::List)?;
        self.policy.observe(now);
        match found {
            Found::Live(slot) => Ok(self.entries.list(slot).len()),
            Found::Expired | Found::Missing => Ok(0),
        }
    }

    /// Adds `member` to the member set under `key`, or refreshes it, with its own deadline
    /// `now + ttl`; true if the member was not live before.
    ///
    /// Each member expires on its own; the entry lives while any member does (its deadline is
    /// the latest member deadline). Members are non-empty and at most
    /// [`Limits::max_key_bytes`] long ([`Error::EmptyMember`], [`Error::MemberTooLong`]). A
    /// set weighs its key, each member plus [`ITEM_OVERHEAD`](crate::ITEM_OVERHEAD), and
    /// [`ENTRY_OVERHEAD`](crate::ENTRY_OVERHEAD); an add that would make it heavier than
    /// [`Limits::max_entry_bytes`] is refused ([`Error::EntryTooLarge`]). A key of another
    /// kind is [`Error::WrongType`].
    pub fn member_add<'k>(
        &mut self,
        key: impl AsKey<'k>,
        member: &str,
        ttl: Ttl,
        now: Timestamp,
    ) -> Result<bool, Error> {
        let key = self.key(key)?;
        let limits = *self.limits();
        MemberSet::check_member(member, &limits)?;
        let found = self.find_checked(key, now, Kind::Members)?;
        let at = self.policy.preview(now);
        let key_len = key.key().len();
        let weight = match found {
            Found::Live(slot) => self
                .entries
                .members(slot)
                .plan_add(key_len, member, &limits, at)?,
            Found::Expired | Found::Missing => {
                MemberSet::new().plan_add(key_len, member, &limits, at)?
            }
        };
        let now = self.begin(key, found, now);
        let deadline = now.after(ttl);
        match found {
            Found::Live(slot) => {
                self.policy.reweigh(&mut self.entries, slot, weight, now);
                let set = self.entries.members_mut(slot);
                set.prune(now);
                let added = set.add(member, deadline, now);
                let latest = set.latest_deadline();
                self.policy.set_deadline(slot, latest);
                self.policy.record_write(slot);
                Ok(added)
            }
            Found::Expired | Found::Missing => {
                let mut set = MemberSet::new();
                set.add(member, deadline, now);
                let set = Payload::Collection(Collection::Members(set));
                self.write(key, found, set, weight, Some(deadline), now);
                Ok(true)
            }
        }
    }

    /// The live members of the member set under `key`, in byte order (none if there is no
    /// set). Prunes expired members, counts a hit or a miss and marks the set as used; a key of
    /// another kind is [`Error::WrongType`].
    pub fn members<'k>(
        &mut self,
        key: impl AsKey<'k>,
        now: Timestamp,
    ) -> Result<Members<'_>, Error> {
        let key = self.key(key)?;
        let found = self.find_checked(key, now, Kind::Members)?;
        let now = self.begin(key, found, now);
        match found {
            Found::Live(slot) if self.prune_members(slot, now, None) => {
                self.policy.record_hit(slot);
                Ok(Members(Some(self.entries.members(slot).live(now))))
            }
            _ => {
                self.policy.record_miss();
                Ok(Members(None))
            }
        }
    }

    /// Removes `member` from the member set under `key`; true if it was live. The set goes
    /// when its last member does. A key of another kind is [`Error::WrongType`].
    pub fn member_remove<'k>(
        &mut self,
        key: impl AsKey<'k>,
        member: &str,
        now: Timestamp,
    ) -> Result<bool, Error> {
        let key = self.key(key)?;
        MemberSet::check_member(member, self.limits())?;
        let found = self.find_checked(key, now, Kind::Members)?;
        let now = self.begin(key, found, now);
        let Found::Live(slot) = found else {
            return Ok(false);
        };
        let removed = self
            .entries
            .members(slot)
            .live(now)
            .any(|live| live == member);
        if removed {
            self.prune_members(slot, now, Some(member));
        }
        Ok(removed)
    }

    /// Removes every entry (not counted as deletes) and forgets the ghost history.
    pub fn clear(&mut self) {
        self.policy.clear();
        self.entries.clear();
    }

    /// Reclaims every entry whose deadline is at or before `now`; returns how many.
    ///
    /// Calls reclaim a few expired entries on their own as they go, so this is only needed by
    /// hosts that want memory back on a schedule; see [`next_expiry`](Self::next_expiry).
    pub fn purge_expired(&mut self, now: Timestamp) -> usize {
        self.policy.purge_expired(&mut self.entries, now)
    }

    /// The earliest deadline among held entries: when the next
    /// [`purge_expired`](Self::purge_expired) would have work to do.
    pub fn next_expiry(&self) -> Option<Timestamp> {
        self.policy.next_expiry()
    }

    /// Every live entry, least valuable first, with absolute deadlines (member sets with their
    /// live members only).
    pub fn export(&self, now: Timestamp) -> Snapshot {
        let now = self.policy.observe(now);
        let entries = self
            .policy
            .oldest_first()
            .filter(|&slot| self.policy.is_live(slot, now))
            .filter_map(|slot| {
                let value = match self.entries.collections.get(&slot.as_u32()) {
                    None => SnapshotValue::Bytes(self.entries.value(slot).to_vec()),
                    Some(Collection::List(list)) => {
                        SnapshotValue::List(list.iter().map(|item| item.to_vec()).collect())
                    }
                    Some(Collection::Members(set)) => {
                        let members: Vec<SnapshotMember> = set
                            .iter()
                            .filter(|&(_, deadline)| deadline > now.timestamp())
                            .map(|(member, expires_at)| SnapshotMember {
                                member: member.to_owned(),
                                expires_at,
                            })
                            .collect();
                        if members.is_empty() {
                            return None;
                        }
                        SnapshotValue::Members(members)
                    }
                };
                Some(SnapshotEntry {
                    key: self.entries.key(slot).to_owned(),
                    value,
                    expires_at: self.policy.deadline(slot),
                })
            })
            .collect();
        Snapshot {
            version: Snapshot::VERSION,
            entries,
        }
    }

    /// Stores every entry of `snapshot` whose deadline is after `now`, in order, as `set`
    /// would (so later entries win and the limits hold through normal eviction). Member sets
    /// keep their members' own deadlines (expired members are skipped) and end at the earlier
    /// of their entry's `expires_at` and their latest member's deadline, as after
    /// [`touch`](Self::touch).
    ///
    /// Every entry is checked before anything is stored: on error nothing changes.
    pub fn import(&mut self, snapshot: &Snapshot, now: Timestamp) -> Result<ImportSummary, Error> {
        if !(Snapshot::OLDEST_READABLE..=Snapshot::VERSION).contains(&snapshot.version) {
            return Err(Error::UnsupportedSnapshot {
                version: snapshot.version,
            });
        }
        let limits = *self.limits();
        let weights = snapshot
            .entries
            .iter()
            .map(|entry| snapshot_weight(entry, &limits))
            .collect::<Result<Vec<_>, _>>()?;
        let now = self.policy.begin(&mut self.entries, now);
        let mut summary = ImportSummary::default();
        for (entry, weight) in snapshot.entries.iter().zip(weights) {
            // The latest real deadline is one before the reserved "no deadline".
            let mut deadline = entry
                .expires_at
                .map(|at| Timestamp::from_millis(at.as_millis().min(u64::MAX - 1)));
            if deadline.is_some_and(|at| at <= now.timestamp()) {
                summary.expired += 1;
                continue;
            }
            let key = self.entries.hasher.hash(&entry.key);
            let (payload, weight) = match &entry.value {
                SnapshotValue::Bytes(value) => (Payload::Bytes(value), weight),
                SnapshotValue::List(items) => {
                    let mut list = CappedList::new();
                    for item in items {
                        list.append(Box::from(&item[..]));
                    }
                    (Payload::Collection(Collection::List(list)), weight)
                }
                SnapshotValue::Members(members) => {
                    // Later duplicates win, then what has expired goes.
                    let mut set = MemberSet::new();
                    for member in members {
                        set.restore(&member.member, member.expires_at);
                    }
                    set.prune(now);
                    if set.is_empty() {
                        summary.expired += 1;
                        continue;
                    }
                    // A set lives while a member does and never longer (as after `touch`).
                    deadline = set.entry_deadline(deadline);
                    // Leaving expired members out only lightens the set.
                    let weight = limits
                        .check_weight(set.weight(entry.key.len()))
                        .unwrap_or(weight);
                    (Payload::Collection(Collection::Members(set)), weight)
                }
            };
            let found = self.lookup(key, now);
            if let Found::Expired = found {
                self.drop_expired(key, now);
            }
            self.write(key, found, payload, weight, deadline, now);
            summary.imported += 1;
        }
        Ok(summary)
    }

    /// Checks every internal invariant (index, queues, free list, expiry heap, counters,
    /// limits, kinds and their weights). For tests and fuzzing: it walks the whole store.
    pub fn validate(&self) -> Result<(), InvariantViolation> {
        self.policy.validate(&self.entries)?;
        self.entries.check(&self.policy).map_err(InvariantViolation)
    }
}

/// A byte value read by [`Store::get_shared`]: it shares the stored bytes, so making one or
/// cloning it is a reference-count increment, and it derefs to `&[u8]`.
///
/// A `Value` never changes: a later write to its key stores new bytes and leaves these as they
/// were. Holding one keeps its bytes (and its key's) allocated after the entry is overwritten,
/// evicted or removed, beyond the store's [`Limits::max_bytes`], until the last clone is
/// dropped. It is 8 bytes wide, and `Send` and `Sync`.
#[derive(Clone)]
pub struct Value(SharedBytes);

impl Value {
    /// The bytes, as `&*value` gives them.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        split(self.0.as_slice()).1
    }
}

impl core::ops::Deref for Value {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for Value {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl core::borrow::Borrow<[u8]> for Value {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl core::fmt::Debug for Value {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self.as_bytes(), f)
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Value {}

impl PartialEq<[u8]> for Value {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}

impl PartialEq<&[u8]> for Value {
    fn eq(&self, other: &&[u8]) -> bool {
        self.as_bytes() == *other
    }
}

impl<const N: usize> PartialEq<[u8; N]> for Value {
    fn eq(&self, other: &[u8; N]) -> bool {
        self.as_bytes() == other
    }
}

impl<const N: usize> PartialEq<&[u8; N]> for Value {
    fn eq(&self, other: &&[u8; N]) -> bool {
        self.as_bytes() == *other
    }
}

impl PartialEq<Vec<u8>> for Value {
    fn eq(&self, other: &Vec<u8>) -> bool {
        self.as_bytes() == other.as_slice()
    }
}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Value) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Value {
    fn cmp(&self, other: &Value) -> core::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl core::hash::Hash for Value {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl From<Value> for Vec<u8> {
    fn from(value: Value) -> Vec<u8> {
        value.as_bytes().to_vec()
    }
}

/// Items of a list, oldest first, from [`Store::list_range`].
#[derive(Debug)]
pub struct ListRange<'a>(Option<alloc::collections::vec_deque::Iter<'a, Box<[u8]>>>);

impl<'a> Iterator for ListRange<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        self.0.as_mut()?.next().map(|item| &item[..])
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let len = self.0.as_ref().map_or(0, ExactSizeIterator::len);
        (len, Some(len))
    }
}

impl ExactSizeIterator for ListRange<'_> {}

/// Live members of a member set, in byte order, from [`Store::members`].
#[derive(Clone, Debug)]
pub struct Members<'a>(Option<LiveMembers<'a>>);

impl<'a> Iterator for Members<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        self.0.as_mut()?.next()
    }
}

// Internals.
impl Store {
    /// Hashes and checks a key.
    #[inline]
    fn key<'k>(&self, key: impl AsKey<'k>) -> Result<HashedKey<'k>, Error> {
        let key = key.hashed(&self.entries.hasher);
        self.limits().check_key(key.key())?;
        Ok(key)
    }

    /// What is under `key` at the effective time of `now`, without recording that time (the
    /// call may still be refused).
    #[inline]
    fn find(&self, key: HashedKey<'_>, now: Timestamp) -> Found {
        self.lookup(key, self.policy.preview(now))
    }

    /// [`find`](Self::find) for an operation on `kind`: a live entry of another kind is
    /// [`Error::WrongType`].
    #[inline]
    fn find_checked(&self, key: HashedKey<'_>, now: Timestamp, kind: Kind) -> Result<Found, Error> {
        let found = self.find(key, now);
        if let Found::Live(slot) = found {
            self.expect_kind(slot, kind)?;
        }
        Ok(found)
    }

    #[inline(always)]
    fn lookup(&self, key: HashedKey<'_>, now: Now) -> Found {
        match self.entries.find(key) {
            Some(slot) if self.policy.is_live(slot, now) => Found::Live(slot),
            Some(_) => Found::Expired,
            None => Found::Missing,
        }
    }

    #[inline]
    fn expect_kind(&self, slot: Slot, kind: Kind) -> Result<(), Error> {
        let found = kind_of(self.policy.tag(slot));
        if found == kind {
            Ok(())
        } else {
            Err(Error::WrongType {
                expected: kind,
                found: Some(found),
            })
        }
    }

    /// Starts a call that goes ahead: records the time, reclaims a few expired entries and, if
    /// the lookup found the key's entry expired, reclaims that one too.
    ///
    /// A live entry found at the same effective time stays where it is: only expired entries
    /// are reclaimed.
    #[inline]
    fn begin(&mut self, key: HashedKey<'_>, found: Found, now: Timestamp) -> Now {
        let now = self.policy.begin(&mut self.entries, now);
        if let Found::Expired = found {
            self.drop_expired(key, now);
        }
        now
    }

    /// Reclaims the key's expired entry, unless [`Policy::begin`] already did.
    fn drop_expired(&mut self, key: HashedKey<'_>, now: Now) {
        if let Some(slot) = self.entries.find(key)
            && !self.policy.is_live(slot, now)
        {
            self.remove(slot, Removal::Expired);
        }
    }

    fn remove(&mut self, slot: Slot, cause: Removal) {
        self.policy.remove(&self.entries, slot, cause);
        self.entries.forget(slot, cause);
    }

    /// Stores `payload` under `key`, where the lookup at this call's time found `found` (an
    /// expired entry has been reclaimed by [`begin`](Self::begin)): replaces a live entry in its
    /// slot, or inserts after making room.
    fn write(
        &mut self,
        key: HashedKey<'_>,
        found: Found,
        payload: Payload<'_>,
        weight: EntryWeight,
        deadline: Option<Timestamp>,
        now: Now,
    ) {
        match found {
            Found::Live(slot) => self.replace(slot, key, payload, weight, deadline, now),
            Found::Expired | Found::Missing => {
                let slot = self.policy.insert(
                    &mut self.entries,
                    key.hash(),
                    weight,
                    deadline,
                    payload.tag(),
                    now,
                );
                let data = match &payload {
                    Payload::Bytes(value) => self.entries.pack_reusing_spare(key.key(), value),
                    Payload::Collection(_) => pack(key.key(), &[]),
                };
                let max_slots = self.policy.limits().max_entries();
                self.entries.file(slot, key, data, max_slots);
                if let Payload::Collection(collection) = payload {
                    self.entries.collections.insert(slot.as_u32(), collection);
                }
            }
        }
    }

    /// Replaces the live entry in `slot`, of any kind, with `payload`; counts an update.
    fn replace(
        &mut self,
        slot: Slot,
        key: HashedKey<'_>,
        payload: Payload<'_>,
        weight: EntryWeight,
        deadline: Option<Timestamp>,
        now: Now,
    ) {
        self.policy.reweigh(&mut self.entries, slot, weight, now);
        if self.policy.tag(slot) != TAG_BYTES {
            self.entries.collections.remove(&slot.as_u32());
        }
        self.policy.set_tag(slot, payload.tag());
        let data = &mut self.entries.data[slot.index()];
        let value_at = HEADER + key.key().len();
        match payload {
            Payload::Bytes(value) => {
                match data.get_mut() {
                    // Same size and not shared with a reader: reuse the buffer (the key bytes
                    // are already the same).
                    Some(bytes) if bytes.len() == value_at + value.len() => {
                        bytes[value_at..].copy_from_slice(value);
                    }
                    _ => *data = pack(key.key(), value),
                }
            }
            Payload::Collection(collection) => {
                if data.as_slice().len() != value_at {
                    *data = pack(key.key(), &[]);
                }
                self.entries.collections.insert(slot.as_u32(), collection);
            }
        }
        self.policy.set_deadline(slot, deadline);
        self.policy.record_write(slot);
    }

    /// [`incr`](Self::incr) once the key has been checked.
    fn increment(&mut self, key: HashedKey<'_>, by: i64, now: Timestamp) -> Result<i64, Error> {
        let found = self.find_checked(key, now, Kind::Bytes)?;
        let current = match found {
            Found::Live(slot) => {
                parse_integer(self.entries.value(slot)).ok_or(Error::NotAnInteger)?
            }
            Found::Expired | Found::Missing => 0,
        };
        let result = current.checked_add(by).ok_or(Error::Overflow)?;
        let text = result.to_string();
        let weight = self.limits().check_entry(key.key(), text.len())?;
        let now = self.begin(key, found, now);
        let deadline = match found {
            Found::Live(slot) => self.policy.deadline(slot),
            Found::Expired | Found::Missing => None,
        };
        self.write(
            key,
            found,
            Payload::Bytes(text.as_bytes()),
            weight,
            deadline,
            now,
        );
        Ok(result)
    }

    /// Prunes the expired members of the member set in `slot`, and `also` (if given); removes
    /// the set if none is left, else moves its deadline to the latest member's. False if the
    /// set was removed.
    fn prune_members(&mut self, slot: Slot, now: Now, also: Option<&str>) -> bool {
        let set = self.entries.members(slot);
        let key_len = self.entries.key_bytes(slot).len();
        let weight = set.weight_after_prune(key_len, now, also);
        if weight == set.weight(key_len) {
            return true;
        }
        if weight == Limits::entry_weight(key_len, 0) {
            self.remove(slot, Removal::Dropped);
            return false;
        }
        // Invariant: the set only shrinks, so its weight still fits.
        let weight = self
            .limits()
            .check_weight(weight)
            .expect("a set that shrank still fits the entry limit");
        self.policy.reweigh(&mut self.entries, slot, weight, now);
        let set = self.entries.members_mut(slot);
        set.prune(now);
        if let Some(member) = also {
            set.remove(member, now);
        }
        let latest = set.latest_deadline();
        self.policy.set_deadline(slot, latest);
        true
    }
}

/// What a write stores: bytes, or a list or member set.
enum Payload<'v> {
    Bytes(&'v [u8]),
    Collection(Collection),
}

impl Payload<'_> {
    fn tag(&self) -> u8 {
        match self {
            Payload::Bytes(_) => TAG_BYTES,
            Payload::Collection(Collection::List(_)) => TAG_LIST,
            Payload::Collection(Collection::Members(_)) => TAG_MEMBERS,
        }
    }
}

impl Host for Entries {
    fn weight(&self, slot: Slot) -> u64 {
        let (key, value) = split(self.data[slot.index()].as_slice());
        // Only an entry with no value bytes can be a collection, so the map is rarely asked.
        if value.is_empty()
            && let Some(collection) = self.collections.get(&slot.as_u32())
        {
            return match collection {
                Collection::List(list) => list.weight(key.len()),
                Collection::Members(set) => set.weight(key.len()),
            };
        }
        Limits::entry_weight(key.len(), value.len())
    }

    fn fingerprint(&self, slot: Slot) -> u64 {
        self.hasher.hash_bytes(self.key_bytes(slot))
    }

    fn forget(&mut self, slot: Slot, cause: Removal) {
        self.forget_fingerprinted(slot, cause, self.fingerprint(slot));
    }

    fn forget_fingerprinted(&mut self, slot: Slot, _cause: Removal, hash: u64) {
        debug_assert_eq!(
            hash,
            self.fingerprint(slot),
            "the index hashes keys as fingerprints"
        );
        match self.index.find_entry(hash, |&i| i == slot.as_u32()) {
            Ok(entry) => {
                entry.remove();
            }
            Err(_) => unreachable!("every held slot is in the index"),
        }
        let i = slot.index();
        if split(self.data[i].as_slice()).1.is_empty() {
            self.collections.remove(&slot.as_u32());
        }
        self.spare = core::mem::take(&mut self.data[i]);
    }
}

impl Entries {
    #[inline]
    fn find(&self, key: HashedKey<'_>) -> Option<Slot> {
        let bytes = key.key().as_bytes();
        self.index
            .find(key.hash(), |&slot| {
                self.key_bytes(Slot::from_u32(slot)) == bytes
            })
            .map(|&slot| Slot::from_u32(slot))
    }

    #[inline]
    fn key_bytes(&self, slot: Slot) -> &[u8] {
        split(self.data[slot.index()].as_slice()).0
    }

    fn key(&self, slot: Slot) -> &str {
        // Invariant: `data` always starts with the bytes of a `&str` key, cut at its length.
        core::str::from_utf8(self.key_bytes(slot)).expect("stored keys are valid UTF-8")
    }

    #[inline]
    fn value(&self, slot: Slot) -> &[u8] {
        split(self.data[slot.index()].as_slice()).1
    }

    fn list(&self, slot: Slot) -> &CappedList<Box<[u8]>> {
        match self.collections.get(&slot.as_u32()) {
            Some(Collection::List(list)) => list,
            _ => unreachable!("slots tagged as lists hold a list"),
        }
    }

    fn list_mut(&mut self, slot: Slot) -> &mut CappedList<Box<[u8]>> {
        match self.collections.get_mut(&slot.as_u32()) {
            Some(Collection::List(list)) => list,
            _ => unreachable!("slots tagged as lists hold a list"),
        }
    }

    fn members(&self, slot: Slot) -> &MemberSet {
        match self.collections.get(&slot.as_u32()) {
            Some(Collection::Members(set)) => set,
            _ => unreachable!("slots tagged as member sets hold a member set"),
        }
    }

    fn members_mut(&mut self, slot: Slot) -> &mut MemberSet {
        match self.collections.get_mut(&slot.as_u32()) {
            Some(Collection::Members(set)) => set,
            _ => unreachable!("slots tagged as member sets hold a member set"),
        }
    }

    /// Files a new entry under the slot the policy gave it (never numbered `max_slots` or
    /// higher).
    fn file(&mut self, slot: Slot, key: HashedKey<'_>, data: SharedBytes, max_slots: usize) {
        let i = slot.index();
        if i == self.data.len() {
            if self.data.len() == self.data.capacity() {
                // Grow as the policy's own per-slot vectors do: by a quarter at a time, never
                // past the most slots there can be.
                let room = max_slots.saturating_sub(self.data.len()).max(1);
                let more = (self.data.len() / 4).max(16).min(room);
                self.data.reserve_exact(more);
            }
            self.data.push(data);
        } else {
            self.data[i] = data;
        }
        let (data, hasher) = (&self.data, &self.hasher);
        self.index
            .insert_unique(key.hash(), slot.as_u32(), |&other| {
                hasher.hash_bytes(split(data[other as usize].as_slice()).0)
            });
    }

    /// [`pack`], written into the spare buffer if it has the right length and no reader.
    #[inline]
    fn pack_reusing_spare(&mut self, key: &str, value: &[u8]) -> SharedBytes {
        let key_len = key_length_header(key);
        let parts = [&key_len[..], key.as_bytes(), value];
        let mut spare = core::mem::take(&mut self.spare);
        if spare.refill(&parts) {
            spare
        } else {
            SharedBytes::from_parts(&parts)
        }
    }

    fn clear(&mut self) {
        self.spare = SharedBytes::empty();
        self.index.clear();
        self.data.clear();
        self.collections.clear();
    }

    fn check(&self, policy: &Policy) -> Result<(), String> {
        let limits = policy.limits();
        let mut held = 0usize;
        for i in 0..self.data.len() {
            let slot = Slot::from_u32(i as u32);
            if !policy.is_held(slot) {
                if !self.data[i].as_slice().is_empty() {
                    return Err(format!("vacant slot {i} still holds data"));
                }
                continue;
            }
            held += 1;
            let key = core::str::from_utf8(self.key_bytes(slot))
                .map_err(|_| format!("slot {i} holds a key that is not UTF-8"))?;
            limits
                .check_key(key)
                .map_err(|e| format!("slot {i} holds a key the limits refuse: {e}"))?;
            if self.find(self.hasher.hash(key)) != Some(slot) {
                return Err(format!("slot {i} ({key:?}) is not found through the index"));
            }
            let collection = self.collections.get(&slot.as_u32());
            match (policy.tag(slot), collection) {
                (TAG_BYTES, None) => {}
                (TAG_LIST, Some(Collection::List(list))) if !list.is_empty() => {}
                (TAG_MEMBERS, Some(Collection::Members(set))) if !set.is_empty() => {}
                (tag, _) => {
                    return Err(format!(
                        "slot {i} ({key:?}) is tagged {tag} but holds {}",
                        match collection {
                            None => "a byte value",
                            Some(Collection::List(_)) => "a list (possibly empty)",
                            Some(Collection::Members(_)) => "a member set (possibly empty)",
                        }
                    ));
                }
            }
            if collection.is_some() && !self.value(slot).is_empty() {
                return Err(format!("collection slot {i} holds value bytes"));
            }
        }
        if held != policy.len() || self.index.len() != held {
            return Err(format!(
                "{held} slots hold data, the policy holds {} and the index {}",
                policy.len(),
                self.index.len()
            ));
        }
        if self
            .collections
            .keys()
            .any(|&slot| !policy.is_held(Slot::from_u32(slot)))
        {
            return Err("a collection is filed under a vacant slot".to_owned());
        }
        Ok(())
    }
}

/// Bytes of a slot's buffer before the key: the key's length.
const HEADER: usize = 2;

/// Builds the buffer of a slot: the key's length, the key, the value.
fn pack(key: &str, value: &[u8]) -> SharedBytes {
    SharedBytes::from_parts(&[&key_length_header(key), key.as_bytes(), value])
}

/// The [`HEADER`] bytes of a slot's buffer for `key`.
#[inline]
fn key_length_header(key: &str) -> [u8; HEADER] {
    // Invariant: `Limits` caps `max_key_bytes` at `u16::MAX`, and only checked keys are stored.
    let key_len = u16::try_from(key.len()).expect("Limits caps max_key_bytes at u16::MAX");
    key_len.to_le_bytes()
}

/// A slot's buffer (from [`pack`]) cut into its key and its value; a vacant slot's empty
/// buffer reads as an empty key and value.
#[inline]
fn split(data: &[u8]) -> (&[u8], &[u8]) {
    match data {
        [lo, hi, rest @ ..] => rest
            .split_at_checked(usize::from(u16::from_le_bytes([*lo, *hi])))
            .unwrap_or((rest, &[])),
        _ => (&[], &[]),
    }
}

/// The weight of a snapshot entry, checked against `limits` (every member counted, live or
/// not), or why it cannot be imported.
fn snapshot_weight(entry: &SnapshotEntry, limits: &Limits) -> Result<EntryWeight, Error> {
    match &entry.value {
        SnapshotValue::Bytes(value) => limits.check_entry(&entry.key, value.len()),
        SnapshotValue::List(items) => {
            limits.check_key(&entry.key)?;
            if items.is_empty() {
                return Err(Error::InvalidSnapshot("a list entry has no items"));
            }
            let mut list = CappedList::<u32>::new();
            for item in items {
                list.append(u32::try_from(item.len()).unwrap_or(u32::MAX));
            }
            limits.check_weight(list.weight(entry.key.len()))
        }
        SnapshotValue::Members(members) => {
            limits.check_key(&entry.key)?;
            if members.is_empty() {
                return Err(Error::InvalidSnapshot("a member-set entry has no members"));
            }
            let mut set = MemberSet::new();
            for member in members {
                MemberSet::check_member(&member.member, limits)?;
                set.restore(&member.member, member.expires_at);
            }
            limits.check_weight(set.weight(entry.key.len()))
        }
    }
}

#[cfg(test)]
mod tests;
