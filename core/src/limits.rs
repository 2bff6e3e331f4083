//! Size limits, checked once when they are built, and the weight of an entry.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::Error;

/// Bytes charged per entry on top of its key and value, for the store's own bookkeeping.
///
/// It approximates the real metadata cost (the slot, its share of the hash index and expiry
/// heap; see the crate docs for the measured figure), so that `max_bytes` bounds real memory
/// use rather than payload alone.
pub const ENTRY_OVERHEAD: u64 = 48;

/// Bytes charged per list item and per member of a member set, on top of its own bytes: the
/// item's handle in the list (a pointer and a length) or the member's deadline and tree slot.
pub const ITEM_OVERHEAD: u64 = 16;

/// The bounds a [`Store`](crate::Store) keeps after every call, checked once when built.
///
/// ```
/// use chatcache_core::{ENTRY_OVERHEAD, Limits};
///
/// let limits = Limits::builder().max_entries(10_000).max_bytes(8 << 20).build()?;
/// assert_eq!(limits.max_entries(), 10_000);
/// assert_eq!(limits.max_entry_bytes(), 1 << 20); // the default, as it fits in max_bytes
/// assert_eq!(Limits::entry_weight(3, 5), 3 + 5 + ENTRY_OVERHEAD);
///
/// // A budget smaller than the default entry limit lowers that limit instead of failing.
/// let small = Limits::builder().max_bytes(4_096).build()?;
/// assert_eq!(small.max_entry_bytes(), 4_096);
///
/// let error = Limits::builder().max_entries(0).build().unwrap_err();
/// assert_eq!(error.to_string(), "max_entries must be at least 1");
/// # Ok::<(), chatcache_core::InvalidLimits>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "LimitsBuilder", into = "LimitsBuilder")]
pub struct Limits {
    max_entries: usize,
    max_bytes: u64,
    max_entry_bytes: u64,
    max_key_bytes: usize,
}

impl Default for Limits {
    /// 100,000 entries, 64 MiB, 1 MiB per entry, 1,024-byte keys.
    fn default() -> Self {
        Self {
            max_entries: LimitsBuilder::DEFAULT.max_entries,
            max_bytes: LimitsBuilder::DEFAULT.max_bytes,
            max_entry_bytes: DEFAULT_MAX_ENTRY_BYTES,
            max_key_bytes: LimitsBuilder::DEFAULT.max_key_bytes,
        }
    }
}

/// The default `max_entry_bytes`, lowered to `max_bytes` when that is smaller.
const DEFAULT_MAX_ENTRY_BYTES: u64 = 1 << 20;

impl Limits {
    /// The largest `max_key_bytes` accepted (key lengths are stored in 16 bits).
    pub const KEY_BYTES_CEILING: usize = u16::MAX as usize;
    /// The largest `max_entries` accepted (slots are numbered with 32 bits).
    pub const ENTRIES_CEILING: usize = (u32::MAX - 1) as usize;
    /// The largest `max_entry_bytes` accepted: 4 GiB − 1 (entry weights are kept in 32 bits by
    /// hosts that keep them).
    pub const ENTRY_BYTES_CEILING: u64 = u32::MAX as u64;

    /// A builder starting from the defaults.
    pub const fn builder() -> LimitsBuilder {
        LimitsBuilder::DEFAULT
    }

    /// Most entries held at once.
    pub const fn max_entries(&self) -> usize {
        self.max_entries
    }

    /// Most bytes held at once, counting key + value + [`ENTRY_OVERHEAD`] per entry.
    pub const fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// Largest single entry, counted the same way; larger writes are refused.
    pub const fn max_entry_bytes(&self) -> u64 {
        self.max_entry_bytes
    }

    /// Longest key in bytes of UTF-8.
    pub const fn max_key_bytes(&self) -> usize {
        self.max_key_bytes
    }

    /// A builder starting from these limits.
    pub fn to_builder(&self) -> LimitsBuilder {
        LimitsBuilder::from(*self)
    }

    /// Checks a key: non-empty and at most `max_key_bytes` bytes.
    #[inline]
    pub fn check_key(&self, key: &str) -> Result<(), Error> {
        self.check_key_len(key.len())
    }

    /// [`check_key`](Self::check_key) for a host that measured the key's UTF-8 length itself.
    #[inline]
    pub fn check_key_len(&self, len: usize) -> Result<(), Error> {
        if len == 0 {
            return Err(Error::EmptyKey);
        }
        if len > self.max_key_bytes {
            return Err(Error::KeyTooLong {
                len,
                max: self.max_key_bytes,
            });
        }
        Ok(())
    }

    /// Checks a whole entry of bytes and returns its weight.
    ///
    /// The key is checked first, then the weight against `max_entry_bytes`.
    pub fn check_entry(&self, key: &str, value_len: usize) -> Result<EntryWeight, Error> {
        self.check_key(key)?;
        self.check_weight(Self::entry_weight(key.len(), value_len))
    }

    /// Checks an entry's total weight against `max_entry_bytes`, for hosts that weigh entries
    /// themselves (e.g. the JavaScript package, whose values are not bytes).
    pub fn check_weight(&self, weight: u64) -> Result<EntryWeight, Error> {
        if weight > self.max_entry_bytes {
            return Err(Error::EntryTooLarge {
                weight,
                max: self.max_entry_bytes,
            });
        }
        Ok(EntryWeight(weight))
    }

    /// The weight of an entry of bytes: key bytes + value bytes + [`ENTRY_OVERHEAD`].
    pub const fn entry_weight(key_len: usize, value_len: usize) -> u64 {
        (key_len as u64)
            .saturating_add(value_len as u64)
            .saturating_add(ENTRY_OVERHEAD)
    }
}

/// An entry weight that fits the limits it was checked against ([`Limits::check_entry`],
/// [`Limits::check_weight`]); what [`Policy`](crate::policy::Policy) takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryWeight(u64);

impl EntryWeight {
    /// The weight in bytes.
    pub const fn get(self) -> u64 {
        self.0
    }
}

/// Builds [`Limits`]; [`build`](LimitsBuilder::build) checks that they are usable together.
///
/// Every method is `const`, so limits can be constants:
///
/// ```
/// use chatcache_core::Limits;
///
/// const ROOM_CACHE: Limits = match Limits::builder().max_entries(500).build() {
///     Ok(limits) => limits,
///     Err(_) => panic!("invalid limits"),
/// };
/// assert_eq!(ROOM_CACHE.max_entries(), 500);
/// ```
///
/// Serialized `Limits` use the same four fields (`max_entries`, `max_bytes`,
/// `max_entry_bytes`, `max_key_bytes`), each optional on input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[must_use]
pub struct LimitsBuilder {
    max_entries: usize,
    max_bytes: u64,
    /// `None`: the default, lowered to `max_bytes` if that is smaller.
    max_entry_bytes: Option<u64>,
    max_key_bytes: usize,
}

impl Default for LimitsBuilder {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl LimitsBuilder {
    const DEFAULT: LimitsBuilder = LimitsBuilder {
        max_entries: 100_000,
        max_bytes: 64 << 20,
        max_entry_bytes: None,
        max_key_bytes: 1_024,
    };

    /// Most entries held at once (default 100,000; at least 1, below 2<sup>32</sup> − 1).
    pub const fn max_entries(mut self, max_entries: usize) -> Self {
        self.max_entries = max_entries;
        self
    }

    /// Most bytes held at once, key + value + [`ENTRY_OVERHEAD`] per entry (default 64 MiB).
    pub const fn max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// Largest single entry, counted the same way (default 1 MiB, or `max_bytes` if smaller;
    /// more than [`ENTRY_OVERHEAD`], at most `max_bytes` and 4 GiB − 1).
    pub const fn max_entry_bytes(mut self, max_entry_bytes: u64) -> Self {
        self.max_entry_bytes = Some(max_entry_bytes);
        self
    }

    /// Longest key in bytes of UTF-8 (default 1,024; at least 1, at most 65,535).
    pub const fn max_key_bytes(mut self, max_key_bytes: usize) -> Self {
        self.max_key_bytes = max_key_bytes;
        self
    }

    /// The limits, if they are usable together.
    pub const fn build(self) -> Result<Limits, InvalidLimits> {
        let max_entry_bytes = match self.max_entry_bytes {
            Some(max) => max,
            None if self.max_bytes < DEFAULT_MAX_ENTRY_BYTES => self.max_bytes,
            None => DEFAULT_MAX_ENTRY_BYTES,
        };
        if self.max_entries == 0 {
            return Err(InvalidLimits::NoEntries);
        }
        if self.max_entries > Limits::ENTRIES_CEILING {
            return Err(InvalidLimits::TooManyEntries {
                max: Limits::ENTRIES_CEILING,
            });
        }
        if self.max_key_bytes == 0 {
            return Err(InvalidLimits::NoKeyBytes);
        }
        if self.max_key_bytes > Limits::KEY_BYTES_CEILING {
            return Err(InvalidLimits::KeyBytesTooLarge {
                max: Limits::KEY_BYTES_CEILING,
            });
        }
        if max_entry_bytes > self.max_bytes {
            return Err(InvalidLimits::EntryLargerThanTotal {
                max_entry_bytes,
                max_bytes: self.max_bytes,
            });
        }
        if max_entry_bytes <= ENTRY_OVERHEAD {
            return Err(InvalidLimits::EntryTooSmall { max_entry_bytes });
        }
        if max_entry_bytes > Limits::ENTRY_BYTES_CEILING {
            return Err(InvalidLimits::EntryBytesTooLarge {
                max: Limits::ENTRY_BYTES_CEILING,
            });
        }
        Ok(Limits {
            max_entries: self.max_entries,
            max_bytes: self.max_bytes,
            max_entry_bytes,
            max_key_bytes: self.max_key_bytes,
        })
    }
}

impl From<Limits> for LimitsBuilder {
    fn from(limits: Limits) -> Self {
        LimitsBuilder {
            max_entries: limits.max_entries,
            max_bytes: limits.max_bytes,
            max_entry_bytes: Some(limits.max_entry_bytes),
            max_key_bytes: limits.max_key_bytes,
        }
    }
}

impl TryFrom<LimitsBuilder> for Limits {
    type Error = InvalidLimits;

    fn try_from(builder: LimitsBuilder) -> Result<Self, InvalidLimits> {
        builder.build()
    }
}

/// Why [`LimitsBuilder::build`] refused a set of limits. The error code of every variant is
/// `invalid_limits` (see [`Error::code`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InvalidLimits {
    /// `max_entries` is 0.
    NoEntries,
    /// `max_entries` is above [`Limits::ENTRIES_CEILING`].
    TooManyEntries {
        /// The ceiling.
        max: usize,
    },
    /// `max_key_bytes` is 0.
    NoKeyBytes,
    /// `max_key_bytes` is above [`Limits::KEY_BYTES_CEILING`].
    KeyBytesTooLarge {
        /// The ceiling.
        max: usize,
    },
    /// `max_entry_bytes` is above `max_bytes`: such an entry could never be held.
    EntryLargerThanTotal {
        /// The entry limit asked for.
        max_entry_bytes: u64,
        /// The total limit.
        max_bytes: u64,
    },
    /// `max_entry_bytes` does not exceed [`ENTRY_OVERHEAD`]: no entry would fit.
    EntryTooSmall {
        /// The entry limit asked for.
        max_entry_bytes: u64,
    },
    /// `max_entry_bytes` is above [`Limits::ENTRY_BYTES_CEILING`].
    EntryBytesTooLarge {
        /// The ceiling.
        max: u64,
    },
}

impl InvalidLimits {
    /// The message, as text pieces and numbers (see [`Error::message`]).
    pub fn message(&self) -> crate::Message {
        use crate::Piece::{Number, Text};
        match *self {
            Self::NoEntries => crate::Message::new(&[Text("max_entries must be at least 1")]),
            Self::TooManyEntries { max } => {
                crate::Message::new(&[Text("max_entries must be at most "), Number(max as u64)])
            }
            Self::NoKeyBytes => crate::Message::new(&[Text("max_key_bytes must be at least 1")]),
            Self::KeyBytesTooLarge { max } => {
                crate::Message::new(&[Text("max_key_bytes must be at most "), Number(max as u64)])
            }
            Self::EntryLargerThanTotal {
                max_entry_bytes,
                max_bytes,
            } => crate::Message::new(&[
                Text("max_entry_bytes ("),
                Number(max_entry_bytes),
                Text(") must not exceed max_bytes ("),
                Number(max_bytes),
                Text(")"),
            ]),
            Self::EntryTooSmall { max_entry_bytes } => crate::Message::new(&[
                Text("max_entry_bytes ("),
                Number(max_entry_bytes),
                Text(") must exceed the per-entry overhead ("),
                Number(ENTRY_OVERHEAD),
                Text(" bytes)"),
            ]),
            Self::EntryBytesTooLarge { max } => {
                crate::Message::new(&[Text("max_entry_bytes must be at most "), Number(max)])
            }
        }
    }
}

impl fmt::Display for InvalidLimits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.message().fmt(f)
    }
}

impl core::error::Error for InvalidLimits {}
