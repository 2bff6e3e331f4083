//! The one error type of the core, and its messages as pieces.

use crate::prelude::*;
use core::fmt;

/// Why an operation was refused. A refused operation leaves the store unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The key is the empty string.
    EmptyKey,
    /// The key is longer than [`Limits::max_key_bytes`](crate::Limits::max_key_bytes).
    KeyTooLong {
        /// Length of the rejected key in bytes.
        len: usize,
        /// The configured maximum.
        max: usize,
    },
    /// Key, value and per-entry overhead together exceed
    /// [`Limits::max_entry_bytes`](crate::Limits::max_entry_bytes).
    EntryTooLarge {
        /// The entry's weight: key + value + [`ENTRY_OVERHEAD`](crate::ENTRY_OVERHEAD).
        weight: u64,
        /// The configured maximum.
        max: u64,
    },
    /// A TTL of zero was given; use no TTL for "never expires".
    ZeroTtl,
    /// A TTL above [`Ttl::MAX_MILLIS`](crate::Ttl::MAX_MILLIS) was given.
    TtlTooLong,
    /// `incr`/`decr` found a value that is not a canonical decimal 64-bit integer.
    NotAnInteger,
    /// `incr`/`decr` would overflow a signed 64-bit integer.
    Overflow,
    /// The limits are inconsistent; the payload says how.
    InvalidLimits(crate::InvalidLimits),
    /// The key holds an entry of another kind than the operation works on (a list where a
    /// byte value is expected, say). Redis reports the same as `WRONGTYPE`.
    WrongType {
        /// The kind the operation works on.
        expected: crate::Kind,
        /// The kind the key holds, if it is one of chatcache's (Redis may hold others, e.g.
        /// a hash written by another program).
        found: Option<crate::Kind>,
    },
    /// A list cap outside `1..=`[`MAX_LIST_CAP`](crate::MAX_LIST_CAP).
    InvalidCap {
        /// The cap given.
        cap: u64,
        /// The largest cap accepted.
        max: u64,
    },
    /// A member of a member set is the empty string.
    EmptyMember,
    /// A member is longer than [`Limits::max_key_bytes`](crate::Limits::max_key_bytes).
    MemberTooLong {
        /// Length of the rejected member in bytes.
        len: usize,
        /// The configured maximum.
        max: usize,
    },
    /// A snapshot whose content cannot be a store's (e.g. a list entry without items).
    InvalidSnapshot(&'static str),
    /// A snapshot of a format version this build does not read.
    UnsupportedSnapshot {
        /// The version found in the snapshot.
        version: u32,
    },
}

impl Error {
    /// The message, as text pieces and numbers: what [`Display`](fmt::Display) prints. For
    /// hosts that build text without `core::fmt` (the npm package keeps it out of its
    /// `.wasm`).
    ///
    /// ```
    /// use chatcache_core::{Error, Piece};
    /// let error = Error::KeyTooLong { len: 300, max: 250 };
    /// assert_eq!(error.message().pieces()[1], Piece::Number(300));
    /// assert_eq!(error.to_string(), "invalid key: 300 bytes is longer than the maximum of 250");
    /// ```
    pub fn message(&self) -> Message {
        use Piece::{Number, Text};
        match *self {
            Self::EmptyKey => Message::new(&[Text("invalid key: the key is empty")]),
            Self::KeyTooLong { len, max } => Message::new(&[
                Text("invalid key: "),
                Number(len as u64),
                Text(" bytes is longer than the maximum of "),
                Number(max as u64),
            ]),
            Self::EntryTooLarge { weight, max } => Message::new(&[
                Text("entry too large: "),
                Number(weight),
                Text(" bytes exceeds the per-entry maximum of "),
                Number(max),
            ]),
            Self::ZeroTtl => Message::new(&[Text("invalid ttl: must be at least 1 ms")]),
            Self::TtlTooLong => {
                Message::new(&[Text("invalid ttl: longer than the maximum of 2^53 ms")])
            }
            Self::NotAnInteger => Message::new(&[Text("value is not an integer or out of range")]),
            Self::Overflow => Message::new(&[Text("increment or decrement would overflow")]),
            Self::InvalidLimits(invalid) => {
                let mut message = Message::new(&[Text("invalid limits: ")]);
                message.extend(invalid.message().pieces());
                message
            }
            Self::WrongType { expected, found } => Message::new(&[
                Text("wrong type: the key holds "),
                Text(found.map_or("data of another type", crate::Kind::describe)),
                Text(", not "),
                Text(expected.describe()),
            ]),
            Self::InvalidCap { cap, max } => Message::new(&[
                Text("invalid cap: "),
                Number(cap),
                Text(" is not between 1 and "),
                Number(max),
            ]),
            Self::EmptyMember => Message::new(&[Text("invalid member: the member is empty")]),
            Self::MemberTooLong { len, max } => Message::new(&[
                Text("invalid member: "),
                Number(len as u64),
                Text(" bytes is longer than the maximum of "),
                Number(max as u64),
            ]),
            Self::InvalidSnapshot(why) => Message::new(&[Text("invalid snapshot: "), Text(why)]),
            Self::UnsupportedSnapshot { version } => Message::new(&[
                Text("unsupported snapshot version "),
                Number(u64::from(version)),
            ]),
        }
    }

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

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.message().fmt(f)
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::InvalidLimits(invalid) => Some(invalid),
            _ => None,
        }
    }
}

impl From<crate::InvalidLimits> for Error {
    fn from(invalid: crate::InvalidLimits) -> Self {
        Self::InvalidLimits(invalid)
    }
}

/// One piece of an error [`Message`]: text, or a number printed in decimal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Text as it is.
    Text(&'static str),
    /// A whole number, printed in decimal.
    Number(u64),
}

/// An error message as up to six [`Piece`]s (see [`Error::message`]); its `Display` prints
/// them one after another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message {
    pieces: [Piece; Message::MAX_PIECES],
    len: usize,
}

impl Message {
    /// The most pieces a message has.
    const MAX_PIECES: usize = 6;

    /// A message of `pieces` (at most [`Self::MAX_PIECES`]; the rest are dropped).
    ///
    /// Never inlined: messages are built on error paths only, and one copy of this loop is
    /// much smaller in the npm package's `.wasm` than one per message.
    #[inline(never)]
    pub(crate) fn new(pieces: &[Piece]) -> Message {
        let mut message = Message {
            pieces: [Piece::Text(""); Message::MAX_PIECES],
            len: 0,
        };
        message.extend(pieces);
        message
    }

    #[inline(never)]
    fn extend(&mut self, pieces: &[Piece]) {
        for &piece in pieces {
            if self.len < Self::MAX_PIECES {
                self.pieces[self.len] = piece;
                self.len += 1;
            }
        }
    }

    /// The pieces, in order.
    pub fn pieces(&self) -> &[Piece] {
        &self.pieces[..self.len]
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for piece in self.pieces() {
            match piece {
                Piece::Text(text) => f.write_str(text)?,
                Piece::Number(n) => write!(f, "{n}")?,
            }
        }
        Ok(())
    }
}

/// A broken internal invariant found by [`Store::validate`](crate::Store::validate).
///
/// Seeing one is always a bug in this crate.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("store invariant violated: {0}")]
pub struct InvariantViolation(pub String);

#[cfg(test)]
mod tests {
    use std::prelude::rust_2024::*;

    use super::*;
    use crate::{InvalidLimits, Kind};

    /// The messages as they read before they became pieces (thiserror formats), word for word.
    #[test]
    fn messages_read_as_before() {
        let cases: [(Error, &str); 16] = [
            (Error::EmptyKey, "invalid key: the key is empty"),
            (
                Error::KeyTooLong { len: 300, max: 250 },
                "invalid key: 300 bytes is longer than the maximum of 250",
            ),
            (
                Error::EntryTooLarge {
                    weight: 2_000_000,
                    max: 1_048_576,
                },
                "entry too large: 2000000 bytes exceeds the per-entry maximum of 1048576",
            ),
            (Error::ZeroTtl, "invalid ttl: must be at least 1 ms"),
            (
                Error::TtlTooLong,
                "invalid ttl: longer than the maximum of 2^53 ms",
            ),
            (
                Error::NotAnInteger,
                "value is not an integer or out of range",
            ),
            (Error::Overflow, "increment or decrement would overflow"),
            (
                Error::InvalidLimits(InvalidLimits::EntryTooSmall {
                    max_entry_bytes: 10,
                }),
                "invalid limits: max_entry_bytes (10) must exceed the per-entry overhead (48 bytes)",
            ),
            (
                Error::InvalidLimits(InvalidLimits::EntryLargerThanTotal {
                    max_entry_bytes: 5,
                    max_bytes: 4,
                }),
                "invalid limits: max_entry_bytes (5) must not exceed max_bytes (4)",
            ),
            (
                Error::WrongType {
                    expected: Kind::Bytes,
                    found: Some(Kind::List),
                },
                "wrong type: the key holds a list, not a byte value",
            ),
            (
                Error::WrongType {
                    expected: Kind::Members,
                    found: None,
                },
                "wrong type: the key holds data of another type, not a member set",
            ),
            (
                Error::InvalidCap {
                    cap: 0,
                    max: 1_000_000,
                },
                "invalid cap: 0 is not between 1 and 1000000",
            ),
            (Error::EmptyMember, "invalid member: the member is empty"),
            (
                Error::MemberTooLong { len: 9, max: 8 },
                "invalid member: 9 bytes is longer than the maximum of 8",
            ),
            (
                Error::InvalidSnapshot("a list entry has no items"),
                "invalid snapshot: a list entry has no items",
            ),
            (
                Error::UnsupportedSnapshot { version: 7 },
                "unsupported snapshot version 7",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
        let limits = [
            (InvalidLimits::NoEntries, "max_entries must be at least 1"),
            (
                InvalidLimits::TooManyEntries { max: 9 },
                "max_entries must be at most 9",
            ),
            (
                InvalidLimits::NoKeyBytes,
                "max_key_bytes must be at least 1",
            ),
            (
                InvalidLimits::KeyBytesTooLarge { max: 9 },
                "max_key_bytes must be at most 9",
            ),
            (
                InvalidLimits::EntryBytesTooLarge { max: 9 },
                "max_entry_bytes must be at most 9",
            ),
        ];
        for (invalid, text) in limits {
            assert_eq!(invalid.to_string(), text);
        }
    }

    #[test]
    fn an_invalid_limits_error_has_its_cause_as_source() {
        let error = Error::from(InvalidLimits::NoEntries);
        let source = core::error::Error::source(&error).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("max_entries must be at least 1"));
        assert!(core::error::Error::source(&Error::EmptyKey).is_none());
    }
}
