//! The ghost queue of S3-FIFO: fingerprints of keys recently evicted from the small queue.
//!
//! A key that comes back while its fingerprint is still here skips probation and enters the
//! main queue. Ghosts hold no data: 8 bytes in a ring plus a slot in a fingerprint set.

use crate::prelude::*;
use alloc::collections::VecDeque;

use hashbrown::HashTable;

#[derive(Debug, Default)]
pub(crate) struct Ghost {
    /// Fingerprints in eviction order, oldest at the front. May hold fingerprints already
    /// taken out of `members`; those are skipped when they reach the front.
    ring: VecDeque<u64>,
    members: HashTable<u64>,
}

impl Ghost {
    /// Records an eviction, keeping at most `capacity` ghosts.
    pub(crate) fn insert(&mut self, fingerprint: u64, capacity: usize) {
        if capacity == 0 {
            return;
        }
        if self
            .members
            .find(fingerprint, |&f| f == fingerprint)
            .is_none()
        {
            self.members.insert_unique(fingerprint, fingerprint, |&f| f);
            self.ring.push_back(fingerprint);
        }
        while self.ring.len() > capacity {
            if let Some(old) = self.ring.pop_front()
                && let Ok(entry) = self.members.find_entry(old, |&f| f == old)
            {
                entry.remove();
            }
        }
    }

    /// Takes a fingerprint out if it is a ghost; true if it was.
    pub(crate) fn take(&mut self, fingerprint: u64) -> bool {
        match self.members.find_entry(fingerprint, |&f| f == fingerprint) {
            Ok(entry) => {
                entry.remove();
                true
            }
            Err(_) => false,
        }
    }

    pub(crate) fn clear(&mut self) {
        self.ring.clear();
        self.members.clear();
    }

    pub(crate) fn check(&self) -> Result<(), String> {
        if self.members.len() > self.ring.len() {
            return Err(format!(
                "ghost set holds {} fingerprints but the ring only {}",
                self.members.len(),
                self.ring.len()
            ));
        }
        Ok(())
    }
}
