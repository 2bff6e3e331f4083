//! [`SlotHeap`]: a binary min-heap of per-slot entries whose positions live in the policy's
//! `heap_pos` vector, so a slot leaves it in O(log n). Both expiry heaps are one: the near heap
//! (slots, ordered by their deadline code) and the far deadlines (`(deadline, slot)`); a slot is
//! in at most one of them, so they share `heap_pos`.

use super::NOT_IN_HEAP;
use crate::prelude::*;

/// What a [`SlotHeap`] stores per slot.
pub(super) trait Entry: Copy {
    /// The slot this entry is for.
    fn slot(self) -> u32;
}

impl Entry for u32 {
    fn slot(self) -> u32 {
        self
    }
}

impl Entry for (u64, u32) {
    fn slot(self) -> u32 {
        self.1
    }
}

/// A binary min-heap by `key(entry)`; the key function is passed to every call that reorders,
/// so an entry may be ordered by data kept elsewhere (the near heap by `codes[slot]`).
#[derive(Debug)]
pub(super) struct SlotHeap<E> {
    entries: Vec<E>,
}

impl<E> Default for SlotHeap<E> {
    fn default() -> Self {
        SlotHeap {
            entries: Vec::new(),
        }
    }
}

impl<E: Entry> SlotHeap<E> {
    /// The entries in heap order (the first is the least).
    pub(super) fn entries(&self) -> &[E] {
        &self.entries
    }

    pub(super) fn first(&self) -> Option<E> {
        self.entries.first().copied()
    }

    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(super) fn clear(&mut self) {
        self.entries.clear();
    }

    /// The entry of `slot`, if `pos` says it is here.
    pub(super) fn get(&self, pos: &[u32], slot: u32) -> Option<E> {
        let entry = *self.entries.get(pos[slot as usize] as usize)?;
        (entry.slot() == slot).then_some(entry)
    }

    /// Grows the storage by a quarter (at least 16) when full, never past `limit` entries.
    pub(super) fn reserve_within(&mut self, limit: usize) {
        let len = self.entries.len();
        if len == self.entries.capacity() {
            let room = limit.saturating_sub(len).max(1);
            self.entries.reserve_exact((len / 4).max(16).min(room));
        }
    }

    /// Files `entry`, whose slot is in no heap.
    #[inline]
    pub(super) fn push<K: Ord>(&mut self, pos: &mut [u32], entry: E, key: impl Fn(E) -> K) {
        self.entries.push(entry);
        let at = self.entries.len() - 1;
        self.place(pos, at);
        self.sift_up(pos, at, &key);
    }

    /// Takes `slot`'s entry out; its position becomes [`NOT_IN_HEAP`].
    #[inline]
    pub(super) fn remove<K: Ord>(&mut self, pos: &mut [u32], slot: u32, key: impl Fn(E) -> K) {
        let at = pos[slot as usize];
        debug_assert_ne!(at, NOT_IN_HEAP);
        let at = at as usize;
        self.entries.swap_remove(at);
        pos[slot as usize] = NOT_IN_HEAP;
        if at < self.entries.len() {
            self.place(pos, at);
            if at > 0 && key(self.entries[at]) < key(self.entries[(at - 1) / 2]) {
                self.sift_up(pos, at, &key);
            } else {
                self.sift_down(pos, at, &key);
            }
        }
    }

    /// Heap order, and every entry's position recorded in `pos`.
    pub(super) fn check<K: Ord>(
        &self,
        pos: &[u32],
        key: impl Fn(E) -> K,
        name: &str,
    ) -> Result<(), String> {
        for (at, &entry) in self.entries.iter().enumerate() {
            let slot = entry.slot();
            if pos.get(slot as usize) != Some(&(at as u32)) {
                return Err(format!("{name} slot {slot} records its position wrongly"));
            }
            if at > 0 && key(self.entries[(at - 1) / 2]) > key(entry) {
                return Err(format!("{name} heap order broken at position {at}"));
            }
        }
        Ok(())
    }

    /// Records the position of the entry at `at`.
    fn place(&self, pos: &mut [u32], at: usize) {
        // Positions fit in u32: a heap holds at most `max_entries` < u32::MAX slots.
        pos[self.entries[at].slot() as usize] = at as u32;
    }

    fn sift_up<K: Ord>(&mut self, pos: &mut [u32], mut at: usize, key: &impl Fn(E) -> K) {
        while at > 0 {
            let parent = (at - 1) / 2;
            if key(self.entries[parent]) <= key(self.entries[at]) {
                break;
            }
            self.entries.swap(at, parent);
            self.place(pos, at);
            self.place(pos, parent);
            at = parent;
        }
    }

    fn sift_down<K: Ord>(&mut self, pos: &mut [u32], mut at: usize, key: &impl Fn(E) -> K) {
        loop {
            let left = 2 * at + 1;
            if left >= self.entries.len() {
                break;
            }
            let right = left + 1;
            let child = if right < self.entries.len()
                && key(self.entries[right]) < key(self.entries[left])
            {
                right
            } else {
                left
            };
            if key(self.entries[at]) <= key(self.entries[child]) {
                break;
            }
            self.entries.swap(at, child);
            self.place(pos, at);
            self.place(pos, child);
            at = child;
        }
    }
}
