//! The one error type of the core.

/// Why an operation was refused. A refused operation leaves the store unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The key is the empty string.
    #[error("invalid key: the key is empty")]
    EmptyKey,
    /// The key is longer than [`Limits::max_key_bytes`](crate::Limits::max_key_bytes).
    #[error("invalid key: {len} bytes is longer than the maximum of {max}")]
    KeyTooLong {
        /// Length of the rejected key in bytes.
        len: usize,
        /// The configured maximum.
        max: usize,
    },
    /// Key, value and per-entry overhead together exceed
    /// [`Limits::max_entry_bytes`](crate::Limits::max_entry_bytes).
    #[error("entry too large: {weight} bytes exceeds the per-entry maximum of {max}")]
    EntryTooLarge {
        /// The entry's weight: key + value + [`ENTRY_OVERHEAD`](crate::ENTRY_OVERHEAD).
        weight: u64,
        /// The configured maximum.
        max: u64,
    },
    /// A TTL of zero was given; use no TTL for "never expires".
    #[error("invalid ttl: must be at least 1 ms")]
    ZeroTtl,
    /// A TTL above [`Ttl::MAX_MILLIS`](crate::Ttl::MAX_MILLIS) was given.
    #[error("invalid ttl: longer than the maximum of 2^53 ms")]
    TtlTooLong,
    /// `incr`/`decr` found a value that is not a canonical decimal 64-bit integer.
    #[error("value is not an integer or out of range")]
    NotAnInteger,
    /// `incr`/`decr` would overflow a signed 64-bit integer.
    #[error("increment or decrement would overflow")]
    Overflow,
    /// The limits are inconsistent; the payload says how.
    #[error("invalid limits: {0}")]
    InvalidLimits(#[from] crate::InvalidLimits),
    /// The key holds an entry of another kind than the operation works on (a list where a
    /// byte value is expected, say). Redis reports the same as `WRONGTYPE`.
    #[error("wrong type: the key holds {}, not {expected}", found.map_or("data of another type".to_owned(), |kind| kind.to_string()))]
    WrongType {
        /// The kind the operation works on.
        expected: crate::Kind,
        /// The kind the key holds, if it is one of chatcache's (Redis may hold others, e.g.
        /// a hash written by another program).
        found: Option<crate::Kind>,
    },
    /// A list cap outside `1..=`[`MAX_LIST_CAP`](crate::MAX_LIST_CAP).
    #[error("invalid cap: {cap} is not between 1 and {max}")]
    InvalidCap {
        /// The cap given.
        cap: u64,
        /// The largest cap accepted.
        max: u64,
    },
    /// A member of a member set is the empty string.
    #[error("invalid member: the member is empty")]
    EmptyMember,
    /// A member is longer than [`Limits::max_key_bytes`](crate::Limits::max_key_bytes).
    #[error("invalid member: {len} bytes is longer than the maximum of {max}")]
    MemberTooLong {
        /// Length of the rejected member in bytes.
        len: usize,
        /// The configured maximum.
        max: usize,
    },
    /// A snapshot whose content cannot be a store's (e.g. a list entry without items).
    #[error("invalid snapshot: {0}")]
    InvalidSnapshot(&'static str),
    /// A snapshot of a format version this build does not read.
    #[error("unsupported snapshot version {version}")]
    UnsupportedSnapshot {
        /// The version found in the snapshot.
        version: u32,
    },
}

impl Error {
    /// A stable snake_case code for the error's cause, shared by every backend and binding
    /// (the JavaScript package exposes it as `error.code`).
    ///
    /// ```
    /// assert_eq!(chatcache_core::Error::EmptyKey.code(), "empty_key");
    /// ```
    pub const fn code(&self) -> &'static str {
        match self {
            Self::EmptyKey => "empty_key",
            Self::KeyTooLong { .. } => "key_too_long",
            Self::EntryTooLarge { .. } => "entry_too_large",
            Self::ZeroTtl => "zero_ttl",
            Self::TtlTooLong => "ttl_too_long",
            Self::NotAnInteger => "not_an_integer",
            Self::Overflow => "overflow",
            Self::InvalidLimits(_) => "invalid_limits",
            Self::WrongType { .. } => "wrong_type",
            Self::InvalidCap { .. } => "invalid_cap",
            Self::EmptyMember => "empty_member",
            Self::MemberTooLong { .. } => "member_too_long",
            Self::UnsupportedSnapshot { .. } => "unsupported_snapshot",
            Self::InvalidSnapshot(_) => "invalid_snapshot",
        }
    }
}

/// A broken internal invariant found by [`Store::validate`](crate::Store::validate).
///
/// Seeing one is always a bug in this crate.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("store invariant violated: {0}")]
pub struct InvariantViolation(pub String);
