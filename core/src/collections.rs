//! The two entry kinds a chat app needs besides byte values: a capped list (a room's recent
//! history) and a member set whose members expire on their own (who is online or typing).
//!
//! Both types are plain data with the rules every backend shares (weights, caps, trimming,
//! Redis `LRANGE` indices, member expiry); the [`Store`](crate::Store) keeps them as entries,
//! and hosts that keep their items elsewhere (the JavaScript package keeps list items as
//! JavaScript values) use [`CappedList`] over item lengths alone.

use crate::prelude::*;
use alloc::collections::VecDeque;
use core::fmt;
use core::ops::Range;

use serde::{Deserialize, Serialize};

use crate::limits::EntryWeight;
use crate::policy::Now;
use crate::{ENTRY_OVERHEAD, Error, ITEM_OVERHEAD, Limits, Timestamp};

/// The largest list cap accepted: a million items.
pub const MAX_LIST_CAP: u64 = 1_000_000;

/// What a key holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A byte value (`set`, `get`, `incr`, …).
    Bytes,
    /// A capped list (`list_push`, `list_range`, …).
    List,
    /// A member set (`member_add`, `members`, …).
    Members,
}

impl Kind {
    /// The kind in words, as messages name it ("a byte value", "a list", "a member set").
    pub const fn describe(self) -> &'static str {
        match self {
            Kind::Bytes => "a byte value",
            Kind::List => "a list",
            Kind::Members => "a member set",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// A list cap: how many items a list keeps at most (`1..=`[`MAX_LIST_CAP`]).
///
/// ```
/// use chatcache_core::{Error, ListCap};
/// assert_eq!(ListCap::new(50)?.get(), 50);
/// assert_eq!(ListCap::new(0).unwrap_err().code(), "invalid_cap");
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ListCap(u32);

impl ListCap {
    /// A cap of `cap` items, if it is within `1..=`[`MAX_LIST_CAP`].
    pub const fn new(cap: u64) -> Result<ListCap, Error> {
        if cap == 0 || cap > MAX_LIST_CAP {
            return Err(Error::InvalidCap {
                cap,
                max: MAX_LIST_CAP,
            });
        }
        // In range, so the cast is exact.
        Ok(ListCap(cap as u32))
    }

    /// The cap in items.
    pub const fn get(self) -> usize {
        self.0 as usize
    }
}

/// Something a list holds whose length in bytes counts against the limits.
pub trait ListItem {
    /// The item's length in bytes (without [`ITEM_OVERHEAD`]).
    fn byte_len(&self) -> u64;
}

impl ListItem for Box<[u8]> {
    fn byte_len(&self) -> u64 {
        self.len() as u64
    }
}

/// For hosts that keep the items themselves and give the list only their lengths.
impl ListItem for u32 {
    fn byte_len(&self) -> u64 {
        u64::from(*self)
    }
}

/// What a push will do, worked out before anything changes: see [`CappedList::plan_push`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub struct PushPlan {
    /// The oldest items that make way for the new one.
    pub dropped: usize,
    /// The list's length afterwards.
    pub len: usize,
    /// The entry's weight afterwards.
    pub weight: EntryWeight,
}

/// An ordered list that keeps its newest items: pushes go to the tail and the oldest items are
/// dropped from the head beyond the cap, or when the entry would grow past `max_entry_bytes`.
///
/// The weight of a list entry is its key's bytes + each item's bytes + [`ITEM_OVERHEAD`] per
/// item + [`ENTRY_OVERHEAD`].
///
/// ```
/// use chatcache_core::{CappedList, Limits, ListCap};
///
/// let limits = Limits::default();
/// let mut history = CappedList::<Box<[u8]>>::new();
/// for message in ["hi", "hello", "hey"] {
///     let plan = history.plan_push(7, message.len(), ListCap::new(2)?, &limits)?;
///     history.push(Box::from(message.as_bytes()), plan);
/// }
/// let last: Vec<&[u8]> = history.range(0, -1).map(|item| &item[..]).collect();
/// assert_eq!(last, [&b"hello"[..], &b"hey"[..]]);
/// # Ok::<(), chatcache_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CappedList<T> {
    items: VecDeque<T>,
    /// Σ (item bytes + ITEM_OVERHEAD).
    bytes: u64,
}

impl<T> Default for CappedList<T> {
    fn default() -> Self {
        CappedList {
            items: VecDeque::new(),
            bytes: 0,
        }
    }
}

impl<T: ListItem> CappedList<T> {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Items held.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True if the list holds no item.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The weight of the list as an entry under a key of `key_len` bytes.
    pub fn weight(&self, key_len: usize) -> u64 {
        self.bytes
            .saturating_add(key_len as u64)
            .saturating_add(ENTRY_OVERHEAD)
    }

    /// Works out a push of an item of `item_len` bytes under a key of `key_len` bytes: how many
    /// of the oldest items it drops to keep `cap` and `limits.max_entry_bytes()`, and the length
    /// and weight afterwards.
    ///
    /// An item too large to fit even alone is [`Error::EntryTooLarge`] (with the weight a list
    /// of that one item would have).
    pub fn plan_push(
        &self,
        key_len: usize,
        item_len: usize,
        cap: ListCap,
        limits: &Limits,
    ) -> Result<PushPlan, Error> {
        let item = (item_len as u64).saturating_add(ITEM_OVERHEAD);
        let alone = (key_len as u64)
            .saturating_add(item)
            .saturating_add(ENTRY_OVERHEAD);
        limits.check_weight(alone)?;
        let mut dropped = (self.items.len() + 1).saturating_sub(cap.get());
        let mut weight = self.weight(key_len).saturating_add(item)
            - self
                .items
                .iter()
                .take(dropped)
                .map(|old| old.byte_len() + ITEM_OVERHEAD)
                .sum::<u64>();
        while weight > limits.max_entry_bytes() {
            // The item alone fits, so an older item is still there to drop.
            let old = &self.items[dropped];
            weight -= old.byte_len() + ITEM_OVERHEAD;
            dropped += 1;
        }
        Ok(PushPlan {
            dropped,
            len: self.items.len() + 1 - dropped,
            weight: limits.check_weight(weight)?,
        })
    }

    /// Applies a plan from [`plan_push`](Self::plan_push) made for this item on this list as it
    /// is now: drops the planned oldest items and appends `item`. Returns the dropped items,
    /// oldest first.
    pub fn push(&mut self, item: T, plan: PushPlan) -> impl Iterator<Item = T> + '_ {
        self.bytes += item.byte_len() + ITEM_OVERHEAD;
        self.items.push_back(item);
        let dropped = plan.dropped.min(self.items.len() - 1);
        let freed: u64 = self
            .items
            .iter()
            .take(dropped)
            .map(|old| old.byte_len() + ITEM_OVERHEAD)
            .sum();
        self.bytes -= freed;
        self.items.drain(..dropped)
    }

    /// Appends `item` without a cap or a weight check (for restoring a list whose weight was
    /// checked as a whole).
    pub fn append(&mut self, item: T) {
        self.bytes += item.byte_len() + ITEM_OVERHEAD;
        self.items.push_back(item);
    }

    /// The items from `start` to `stop` inclusive, with Redis `LRANGE` indices: negative
    /// indices count from the end (−1 is the newest), out-of-range bounds are clamped, and a
    /// range that selects nothing is empty.
    pub fn range(&self, start: i64, stop: i64) -> alloc::collections::vec_deque::Iter<'_, T> {
        self.items
            .range(range_bounds(self.items.len(), start, stop))
    }

    /// Every item, oldest first.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &T> + '_ {
        self.items.iter()
    }
}

/// The positions Redis `LRANGE start stop` selects in a list of `len` items, as a range.
///
/// ```
/// use chatcache_core::range_bounds;
/// assert_eq!(range_bounds(5, 0, -1), 0..5);
/// assert_eq!(range_bounds(5, -2, -1), 3..5);
/// assert_eq!(range_bounds(5, -100, 1), 0..2);
/// assert_eq!(range_bounds(5, 3, 1), 0..0);
/// assert_eq!(range_bounds(5, 7, 9), 0..0);
/// ```
pub fn range_bounds(len: usize, start: i64, stop: i64) -> Range<usize> {
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    let resolve = |index: i64| {
        if index < 0 {
            len.saturating_add(index)
        } else {
            index
        }
    };
    let start = resolve(start).max(0);
    let stop = resolve(stop).min(len - 1);
    if start > stop {
        return 0..0;
    }
    // Both are within 0..len here, so they fit in usize.
    start as usize..stop as usize + 1
}

/// Members (non-empty strings) that each expire at their own deadline. The entry lives while any
/// member does; members are listed in byte order of their UTF-8 (which is also code-point
/// order).
///
/// The weight of a member-set entry is its key's bytes + each member's bytes +
/// [`ITEM_OVERHEAD`] per member + [`ENTRY_OVERHEAD`]. Expired members keep counting until they
/// are pruned, which every member operation does first.
///
/// The members are kept in a vector sorted by name: lookups are a binary search (O(log n)),
/// adding a new member or removing one moves the members after it (O(n), a `memmove` of 24
/// bytes per member; sets of online or typing users are small), pruning is one pass. (A
/// `BTreeMap` cost several KB of `.wasm` for no gain at these sizes.)
///
/// ```
/// use chatcache_core::policy::Policy;
/// use chatcache_core::{Limits, MemberSet, Timestamp, Ttl};
///
/// let policy = Policy::new(Limits::default());
/// let t0 = policy.observe(Timestamp::from_millis(0));
/// let mut online = MemberSet::new();
/// online.add("bob", t0.after(Ttl::from_secs(30)?), t0);
/// online.add("ada", t0.after(Ttl::from_secs(10)?), t0);
/// assert_eq!(online.live(t0).collect::<Vec<_>>(), ["ada", "bob"]);
///
/// let t1 = policy.observe(Timestamp::from_millis(10_000));
/// assert_eq!(online.live(t1).collect::<Vec<_>>(), ["bob"]);
/// # Ok::<(), chatcache_core::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberSet {
    /// `(name, deadline in ms)`, sorted by name, names unique.
    members: Vec<(Box<str>, u64)>,
    /// Σ (member bytes + ITEM_OVERHEAD).
    bytes: u64,
}

/// The live members of a [`MemberSet`], in byte order: see [`MemberSet::live`].
#[derive(Clone, Debug)]
pub struct LiveMembers<'a> {
    members: core::slice::Iter<'a, (Box<str>, u64)>,
    now: u64,
}

impl<'a> Iterator for LiveMembers<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let now = self.now;
        self.members
            .find(|&&(_, deadline)| deadline > now)
            .map(|(name, _)| &**name)
    }
}

impl MemberSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Members held, expired ones not yet pruned included.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// True if no member is held.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The weight of the set as an entry under a key of `key_len` bytes.
    pub fn weight(&self, key_len: usize) -> u64 {
        self.bytes
            .saturating_add(key_len as u64)
            .saturating_add(ENTRY_OVERHEAD)
    }

    /// Checks a member: non-empty and at most `max_key_bytes` bytes.
    pub fn check_member(member: &str, limits: &Limits) -> Result<(), Error> {
        if member.is_empty() {
            return Err(Error::EmptyMember);
        }
        if member.len() > limits.max_key_bytes() {
            return Err(Error::MemberTooLong {
                len: member.len(),
                max: limits.max_key_bytes(),
            });
        }
        Ok(())
    }

    /// The weight the set would have, under a key of `key_len` bytes, after pruning the members
    /// expired at `now` and adding (or refreshing) `member`; [`Error::EntryTooLarge`] if that is
    /// over `max_entry_bytes`.
    pub fn plan_add(
        &self,
        key_len: usize,
        member: &str,
        limits: &Limits,
        now: Now,
    ) -> Result<EntryWeight, Error> {
        let kept = self.weight_after_prune(key_len, now, Some(member));
        limits.check_weight(kept + member.len() as u64 + ITEM_OVERHEAD)
    }

    /// The weight the set would have, under a key of `key_len` bytes, after pruning the members
    /// expired at `now` and removing `also` (if given). Changes nothing.
    pub fn weight_after_prune(&self, key_len: usize, now: Now, also: Option<&str>) -> u64 {
        let now = now.timestamp().as_millis();
        let gone: u64 = self
            .members
            .iter()
            .filter(|&(name, deadline)| *deadline <= now || Some(&**name) == also)
            .map(|(name, _)| name.len() as u64 + ITEM_OVERHEAD)
            .sum();
        self.weight(key_len) - gone
    }

    /// Removes the members whose deadline is at or before `now`; returns how many.
    pub fn prune(&mut self, now: Now) -> usize {
        let now = now.timestamp().as_millis();
        let before = self.members.len();
        let mut freed = 0;
        self.members.retain(|&(ref name, deadline)| {
            let keep = deadline > now;
            if !keep {
                freed += name.len() as u64 + ITEM_OVERHEAD;
            }
            keep
        });
        self.bytes -= freed;
        before - self.members.len()
    }

    /// Adds `member` with `deadline`, or moves an existing member's deadline to it. Returns true
    /// if the member was not live at `now`.
    pub fn add(&mut self, member: &str, deadline: Timestamp, now: Now) -> bool {
        let deadline = deadline.as_millis();
        let now = now.timestamp().as_millis();
        match self.find(member) {
            Ok(i) => {
                let old = &mut self.members[i].1;
                let was_live = *old > now;
                *old = deadline;
                !was_live
            }
            Err(i) => {
                self.bytes += member.len() as u64 + ITEM_OVERHEAD;
                self.members.insert(i, (member.into(), deadline));
                true
            }
        }
    }

    /// Removes `member`; true if it was live at `now`.
    pub fn remove(&mut self, member: &str, now: Now) -> bool {
        match self.find(member) {
            Ok(i) => {
                let (_, deadline) = self.members.remove(i);
                self.bytes -= member.len() as u64 + ITEM_OVERHEAD;
                deadline > now.timestamp().as_millis()
            }
            Err(_) => false,
        }
    }

    /// The members live at `now`, in byte order.
    pub fn live(&self, now: Now) -> LiveMembers<'_> {
        LiveMembers {
            members: self.members.iter(),
            now: now.timestamp().as_millis(),
        }
    }

    /// Adds `member` with `deadline` (or moves an existing member's deadline to it), as when
    /// restoring a snapshot: whether it was live does not matter.
    pub fn restore(&mut self, member: &str, deadline: Timestamp) {
        match self.find(member) {
            Ok(i) => self.members[i].1 = deadline.as_millis(),
            Err(i) => {
                self.bytes += member.len() as u64 + ITEM_OVERHEAD;
                self.members
                    .insert(i, (member.into(), deadline.as_millis()));
            }
        }
    }

    /// Every member with its deadline, in byte order (expired ones not yet pruned included).
    pub fn iter(&self) -> impl Iterator<Item = (&str, Timestamp)> + '_ {
        self.members
            .iter()
            .map(|(name, deadline)| (&**name, Timestamp::from_millis(*deadline)))
    }

    /// The latest member deadline: the entry's own deadline.
    pub fn latest_deadline(&self) -> Option<Timestamp> {
        self.members
            .iter()
            .map(|&(_, deadline)| deadline)
            .max()
            .map(Timestamp::from_millis)
    }

    /// The deadline the set's entry gets when asked for `wanted` (`None`: no expiry): the
    /// earlier of `wanted` and [`latest_deadline`](Self::latest_deadline). A set lives while a
    /// member does and never longer, so `touch` and snapshots can end it early but never keep
    /// it past its members.
    pub fn entry_deadline(&self, wanted: Option<Timestamp>) -> Option<Timestamp> {
        match (wanted, self.latest_deadline()) {
            (Some(wanted), Some(latest)) => Some(wanted.min(latest)),
            (wanted, latest) => wanted.or(latest),
        }
    }

    /// The position of `member` (`Ok`), or where it would be inserted to keep the order
    /// (`Err`).
    fn find(&self, member: &str) -> Result<usize, usize> {
        self.members
            .binary_search_by(|(name, _)| (**name).cmp(member))
    }
}
