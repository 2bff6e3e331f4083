//! Size limits and the weight of an entry.

use serde::{Deserialize, Serialize};

use crate::Error;

/// Bytes charged per entry on top of its key and value, for the store's own bookkeeping.
///
/// It approximates the real metadata cost (a 40-byte slot plus its share of the hash index and
/// expiry heap; see the crate docs for the measured figure), so that `max_bytes` bounds real
/// memory use rather than payload alone.
pub const ENTRY_OVERHEAD: u64 = 48;

/// The bounds a [`Store`](crate::Store) keeps after every call.
///
/// ```
/// use chatcache_core::Limits;
///
/// let limits = Limits { max_entries: 10_000, max_bytes: 8 << 20, ..Limits::default() };
/// assert!(limits.validate().is_ok());
/// assert_eq!(Limits::entry_weight(3, 5), 3 + 5 + chatcache_core::ENTRY_OVERHEAD);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Limits {
    /// Most entries held at once.
    pub max_entries: usize,
    /// Most bytes held at once, counting key + value + [`ENTRY_OVERHEAD`] per entry.
    pub max_bytes: u64,
    /// Largest single entry, counted the same way; larger writes are refused.
    pub max_entry_bytes: u64,
    /// Longest key in bytes of UTF-8 (at most 65,535).
    pub max_key_bytes: usize,
}

impl Default for Limits {
    /// 100,000 entries, 64 MiB, 1 MiB per entry, 1,024-byte keys.
    fn default() -> Self {
        Self {
            max_entries: 100_000,
            max_bytes: 64 << 20,
            max_entry_bytes: 1 << 20,
            max_key_bytes: 1_024,
        }
    }
}

impl Limits {
    /// The largest `max_key_bytes` accepted (key lengths are stored in 16 bits).
    pub const KEY_BYTES_CEILING: usize = u16::MAX as usize;
    /// The largest `max_entries` accepted (slots are addressed with 32 bits).
    pub const ENTRIES_CEILING: usize = (u32::MAX - 1) as usize;

    /// Checks that the limits are usable together.
    pub fn validate(&self) -> Result<(), Error> {
        if self.max_entries == 0 {
            return Err(Error::InvalidLimits("max_entries must be at least 1"));
        }
        if self.max_entries > Self::ENTRIES_CEILING {
            return Err(Error::InvalidLimits("max_entries must be below 2^32 - 1"));
        }
        if self.max_key_bytes == 0 {
            return Err(Error::InvalidLimits("max_key_bytes must be at least 1"));
        }
        if self.max_key_bytes > Self::KEY_BYTES_CEILING {
            return Err(Error::InvalidLimits("max_key_bytes must be at most 65535"));
        }
        if self.max_entry_bytes > self.max_bytes {
            return Err(Error::InvalidLimits(
                "max_entry_bytes must not exceed max_bytes",
            ));
        }
        if self.max_entry_bytes <= ENTRY_OVERHEAD {
            return Err(Error::InvalidLimits(
                "max_entry_bytes must exceed the per-entry overhead (48 bytes)",
            ));
        }
        Ok(())
    }

    /// Checks a key: non-empty and at most `max_key_bytes` bytes.
    pub fn check_key(&self, key: &str) -> Result<(), Error> {
        if key.is_empty() {
            return Err(Error::EmptyKey);
        }
        if key.len() > self.max_key_bytes {
            return Err(Error::KeyTooLong {
                len: key.len(),
                max: self.max_key_bytes,
            });
        }
        Ok(())
    }

    /// Checks a whole entry and returns its weight.
    ///
    /// The key is checked first, then the weight against `max_entry_bytes`.
    pub fn check_entry(&self, key: &str, value_len: usize) -> Result<u64, Error> {
        self.check_key(key)?;
        let weight = Self::entry_weight(key.len(), value_len);
        if weight > self.max_entry_bytes {
            return Err(Error::EntryTooLarge {
                weight,
                max: self.max_entry_bytes,
            });
        }
        Ok(weight)
    }

    /// The weight of an entry: key bytes + value bytes + [`ENTRY_OVERHEAD`].
    pub const fn entry_weight(key_len: usize, value_len: usize) -> u64 {
        (key_len as u64)
            .saturating_add(value_len as u64)
            .saturating_add(ENTRY_OVERHEAD)
    }
}
