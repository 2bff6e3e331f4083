//! The expiry index: a binary min-heap of slot indices ordered by deadline.
//!
//! Each slot records its heap position, so a deadline can be changed or removed in
//! O(log n) and the earliest deadline is read in O(1). Only entries with a deadline are in
//! the heap; no per-entry timers exist.

use crate::slab::{NOT_IN_HEAP, Slab};

/// Slot indices in heap order; `heap[0]` has the earliest deadline.
#[derive(Debug, Default)]
pub(crate) struct ExpiryHeap {
    heap: Vec<u32>,
}

impl ExpiryHeap {
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    pub(crate) fn clear(&mut self) {
        self.heap.clear();
    }

    /// The slot with the earliest deadline.
    pub(crate) fn peek(&self) -> Option<u32> {
        self.heap.first().copied()
    }

    /// Adds a slot (whose `deadline` is already set).
    pub(crate) fn insert(&mut self, slab: &mut Slab, index: u32) {
        let pos = self.heap.len();
        self.heap.push(index);
        self.set_pos(slab, pos);
        self.sift_up(slab, pos);
    }

    /// Removes a slot from the heap, if it is in it.
    pub(crate) fn remove(&mut self, slab: &mut Slab, index: u32) {
        let pos = slab.slot(index).heap_pos;
        if pos == NOT_IN_HEAP {
            return;
        }
        let pos = pos as usize;
        let last = self.heap.len() - 1;
        self.heap.swap(pos, last);
        self.heap.pop();
        slab.slot_mut(index).heap_pos = NOT_IN_HEAP;
        if pos < self.heap.len() {
            self.set_pos(slab, pos);
            self.restore(slab, pos);
        }
    }

    /// Re-establishes the heap order after the slot's deadline changed.
    pub(crate) fn update(&mut self, slab: &mut Slab, index: u32) {
        let pos = slab.slot(index).heap_pos;
        debug_assert_ne!(pos, NOT_IN_HEAP);
        self.restore(slab, pos as usize);
    }

    /// Checks the heap property and the recorded positions.
    pub(crate) fn check(&self, slab: &Slab) -> Result<(), String> {
        for (pos, &index) in self.heap.iter().enumerate() {
            let slot = slab.slot(index);
            if slot.heap_pos as usize != pos {
                return Err(format!(
                    "slot {index} records heap position {} but is at {pos}",
                    slot.heap_pos
                ));
            }
            if pos > 0 {
                let parent = self.heap[(pos - 1) / 2];
                if slab.slot(parent).deadline > slot.deadline {
                    return Err(format!("heap order broken at position {pos}"));
                }
            }
        }
        Ok(())
    }

    fn deadline(&self, slab: &Slab, pos: usize) -> u64 {
        slab.slot(self.heap[pos]).deadline
    }

    fn set_pos(&self, slab: &mut Slab, pos: usize) {
        // Positions fit in u32: the heap holds at most `max_entries` < u32::MAX slots.
        slab.slot_mut(self.heap[pos]).heap_pos = pos as u32;
    }

    fn restore(&mut self, slab: &mut Slab, pos: usize) {
        if pos > 0 && self.deadline(slab, pos) < self.deadline(slab, (pos - 1) / 2) {
            self.sift_up(slab, pos);
        } else {
            self.sift_down(slab, pos);
        }
    }

    fn sift_up(&mut self, slab: &mut Slab, mut pos: usize) {
        while pos > 0 {
            let parent = (pos - 1) / 2;
            if self.deadline(slab, parent) <= self.deadline(slab, pos) {
                break;
            }
            self.heap.swap(pos, parent);
            self.set_pos(slab, pos);
            self.set_pos(slab, parent);
            pos = parent;
        }
    }

    fn sift_down(&mut self, slab: &mut Slab, mut pos: usize) {
        loop {
            let left = 2 * pos + 1;
            if left >= self.heap.len() {
                break;
            }
            let right = left + 1;
            let child = if right < self.heap.len()
                && self.deadline(slab, right) < self.deadline(slab, left)
            {
                right
            } else {
                left
            };
            if self.deadline(slab, pos) <= self.deadline(slab, child) {
                break;
            }
            self.heap.swap(pos, child);
            self.set_pos(slab, pos);
            self.set_pos(slab, child);
            pos = child;
        }
    }
}
