//! The case model: what a case file says, after parsing and checking.
//!
//! The JSON format is documented in the crate's `README.md`; these types are its checked form.
//! Keys and values arrive here already resolved from their JSON spellings (`"text"`,
//! `{"hex": …}`, `{"repeat": …, "times": …}`) into plain strings and bytes.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A feature a case relies on that some backends cannot offer; backends lacking one skip
/// the cases that require it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// The backend can be created with the case's `limits` (small `max_entries`/`max_bytes`
    /// with eviction, small key and entry limits).
    Limits,
    /// Time is simulated: exact expiry boundaries and long jumps are possible.
    SimulatedTime,
    /// The backend weighs entries exactly as the core does (key + value + 48 bytes), so a
    /// value of exactly the largest allowed size is accepted.
    ExactWeight,
    /// The backend implements the `len` operation.
    Len,
    /// The backend passes integers outside ±(2^53 − 1) exactly.
    BigIntegers,
    /// The backend can export its entries and import them into a fresh backend
    /// (`round_trip`).
    Snapshots,
    /// The backend has capped lists and member sets (`list_*`, `member*`).
    Collections,
}

impl Capability {
    /// Every capability, for backends that have them all.
    pub const ALL: &'static [Capability] = &[
        Capability::Limits,
        Capability::SimulatedTime,
        Capability::ExactWeight,
        Capability::Len,
        Capability::BigIntegers,
        Capability::Snapshots,
        Capability::Collections,
    ];

    /// The capability's name as written in case files.
    pub const fn name(self) -> &'static str {
        match self {
            Capability::Limits => "limits",
            Capability::SimulatedTime => "simulated_time",
            Capability::ExactWeight => "exact_weight",
            Capability::Len => "len",
            Capability::BigIntegers => "big_integers",
            Capability::Snapshots => "snapshots",
            Capability::Collections => "collections",
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The limits a case asks for; a field left out takes the core's default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseLimits {
    /// Most entries held at once.
    pub max_entries: Option<usize>,
    /// Most bytes held at once (key + value + 48 per entry).
    pub max_bytes: Option<u64>,
    /// Largest single entry, counted the same way.
    pub max_entry_bytes: Option<u64>,
    /// Longest key in bytes.
    pub max_key_bytes: Option<usize>,
}

impl CaseLimits {
    /// These limits applied over the defaults of [`chatcache_core::Limits::builder`].
    pub fn to_core(&self) -> Result<chatcache_core::Limits, chatcache_core::InvalidLimits> {
        let mut builder = chatcache_core::Limits::builder();
        if let Some(max) = self.max_entries {
            builder = builder.max_entries(max);
        }
        if let Some(max) = self.max_bytes {
            builder = builder.max_bytes(max);
        }
        if let Some(max) = self.max_entry_bytes {
            builder = builder.max_entry_bytes(max);
        }
        if let Some(max) = self.max_key_bytes {
            builder = builder.max_key_bytes(max);
        }
        builder.build()
    }
}

/// One conformance case: a fresh backend, then steps in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// Unique name across all case files.
    pub name: String,
    /// The behaviour the case pins down.
    pub description: String,
    /// The file the case came from (its name, e.g. `incr.json`).
    pub file: String,
    /// Capabilities the backend needs to run this case.
    pub requires: BTreeSet<Capability>,
    /// Limits for the fresh backend, if the case sets any (it then requires
    /// [`Capability::Limits`]).
    pub limits: Option<CaseLimits>,
    /// The steps, run in order.
    pub steps: Vec<Step>,
}

impl Case {
    /// The capabilities this case needs that are not in `available`.
    pub fn missing(&self, available: &[Capability]) -> Vec<Capability> {
        self.requires
            .iter()
            .copied()
            .filter(|capability| !available.contains(capability))
            .collect()
    }
}

/// One step of a case, with its JSON text for reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// What the step does.
    pub action: Action,
    /// The step as written in the case file (compact JSON), shown in failure reports.
    pub source: String,
}

/// What a step does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Move the clock forward by this many milliseconds.
    Advance(u64),
    /// Apply an operation and compare its outcome with the expectation.
    Apply {
        /// The operation.
        op: Op,
        /// What it must return.
        expect: Expect,
    },
}

/// A key and value written together by [`Op::SetMany`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The key.
    pub key: String,
    /// The value.
    pub value: Vec<u8>,
}

/// An operation on a backend. Ttls are in milliseconds; `None` means no expiry.
///
/// A `ttl` of `Some(0)` is deliberately representable: backends must reject it with
/// `zero_ttl`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Read a value.
    Get {
        /// The key.
        key: String,
    },
    /// Write a value, replacing any previous value and expiry.
    Set {
        /// The key.
        key: String,
        /// The value.
        value: Vec<u8>,
        /// The expiry, if any.
        ttl: Option<u64>,
    },
    /// Write a value only if the key is absent or expired.
    Add {
        /// The key.
        key: String,
        /// The value.
        value: Vec<u8>,
        /// The expiry, if any.
        ttl: Option<u64>,
    },
    /// Remove a key.
    Delete {
        /// The key.
        key: String,
    },
    /// Whether a live entry is under the key.
    Contains {
        /// The key.
        key: String,
    },
    /// Replace the expiry of a live key (`None`: remove it).
    Touch {
        /// The key.
        key: String,
        /// The new expiry, or `None` to persist.
        ttl: Option<u64>,
    },
    /// The remaining time of a key.
    Ttl {
        /// The key.
        key: String,
    },
    /// Add `by` to the integer under the key (Redis `INCRBY`).
    Incr {
        /// The key.
        key: String,
        /// The increment.
        by: i64,
    },
    /// Subtract `by` from the integer under the key (Redis `DECRBY`).
    Decr {
        /// The key.
        key: String,
        /// The decrement.
        by: i64,
    },
    /// Remove every entry.
    Clear,
    /// The number of live entries.
    Len,
    /// Read several keys at once.
    GetMany {
        /// The keys, in the order of the results.
        keys: Vec<String>,
    },
    /// Write several entries at once, all with the same expiry.
    SetMany {
        /// The entries, written in order.
        entries: Vec<Entry>,
        /// The expiry for all of them, if any.
        ttl: Option<u64>,
    },
    /// Remove several keys at once.
    DeleteMany {
        /// The keys.
        keys: Vec<String>,
    },
    /// Append an item to the capped list under the key; returns the new length.
    ListPush {
        /// The key.
        key: String,
        /// The item.
        value: Vec<u8>,
        /// How many items the list keeps.
        cap: u64,
        /// The key's new expiry; `None` keeps the existing one.
        ttl: Option<u64>,
    },
    /// The list's items from `start` to `stop` inclusive (Redis `LRANGE` indices).
    ListRange {
        /// The key.
        key: String,
        /// The first index (default 0).
        start: i64,
        /// The last index (default −1, the newest).
        stop: i64,
    },
    /// The number of items in the list.
    ListLen {
        /// The key.
        key: String,
    },
    /// Add or refresh a member of the member set under the key, with its own ttl.
    MemberAdd {
        /// The key.
        key: String,
        /// The member.
        member: String,
        /// The member's ttl (required).
        ttl: u64,
    },
    /// The live members of the member set, in byte order.
    Members {
        /// The key.
        key: String,
    },
    /// Remove a member from the member set.
    MemberRemove {
        /// The key.
        key: String,
        /// The member.
        member: String,
    },
    /// Export every entry and import the snapshot into a fresh backend, which the following
    /// steps then use (needs [`Capability::Snapshots`]).
    RoundTrip,
}

impl Op {
    /// The operation's name as written in case files.
    pub const fn name(&self) -> &'static str {
        match self {
            Op::Get { .. } => "get",
            Op::Set { .. } => "set",
            Op::Add { .. } => "add",
            Op::Delete { .. } => "delete",
            Op::Contains { .. } => "contains",
            Op::Touch { .. } => "touch",
            Op::Ttl { .. } => "ttl",
            Op::Incr { .. } => "incr",
            Op::Decr { .. } => "decr",
            Op::Clear => "clear",
            Op::Len => "len",
            Op::GetMany { .. } => "get_many",
            Op::SetMany { .. } => "set_many",
            Op::DeleteMany { .. } => "delete_many",
            Op::ListPush { .. } => "list_push",
            Op::ListRange { .. } => "list_range",
            Op::ListLen { .. } => "list_len",
            Op::MemberAdd { .. } => "member_add",
            Op::Members { .. } => "members",
            Op::MemberRemove { .. } => "member_remove",
            Op::RoundTrip => "round_trip",
        }
    }

    /// The kind of result the operation returns when it succeeds.
    pub const fn result_kind(&self) -> ResultKind {
        match self {
            Op::Get { .. } => ResultKind::Value,
            Op::Set { .. } | Op::Clear | Op::SetMany { .. } | Op::RoundTrip => ResultKind::Ok,
            Op::Add { .. }
            | Op::Delete { .. }
            | Op::Contains { .. }
            | Op::Touch { .. }
            | Op::MemberAdd { .. }
            | Op::MemberRemove { .. } => ResultKind::Bool,
            Op::Ttl { .. } => ResultKind::Ttl,
            Op::Incr { .. }
            | Op::Decr { .. }
            | Op::Len
            | Op::DeleteMany { .. }
            | Op::ListPush { .. }
            | Op::ListLen { .. } => ResultKind::Integer,
            Op::GetMany { .. } => ResultKind::Values,
            Op::ListRange { .. } => ResultKind::Items,
            Op::Members { .. } => ResultKind::Members,
        }
    }
}

/// The kinds of successful results.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResultKind {
    /// Success without a value.
    Ok,
    /// One value or none.
    Value,
    /// A list of values or nones.
    Values,
    /// A boolean.
    Bool,
    /// An integer.
    Integer,
    /// A ttl state.
    Ttl,
    /// A list's items.
    Items,
    /// A member set's members.
    Members,
}

/// What a step expects an operation to return.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Success without a value.
    Ok,
    /// This value, or `None` for a missing key.
    Value(Option<Vec<u8>>),
    /// These values, in order.
    Values(Vec<Option<Vec<u8>>>),
    /// This boolean.
    Bool(bool),
    /// This integer.
    Integer(i64),
    /// A ttl state.
    Ttl(TtlExpect),
    /// These list items, oldest first.
    Items(Vec<Vec<u8>>),
    /// These members, in byte order.
    Members(Vec<String>),
    /// An error with this code (see `chatcache_core::Error::code`).
    Error(String),
}

/// An expected ttl state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TtlExpect {
    /// No live entry under the key.
    Missing,
    /// A live entry without expiry.
    Persistent,
    /// A live entry expiring in `min_ms..=max_ms` milliseconds.
    Remaining {
        /// Least acceptable remaining time.
        min_ms: u64,
        /// Greatest acceptable remaining time.
        max_ms: u64,
    },
}

/// What a backend returned for an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Success without a value.
    Ok,
    /// A value, or `None` for a missing key.
    Value(Option<Vec<u8>>),
    /// Values, in the order of the requested keys.
    Values(Vec<Option<Vec<u8>>>),
    /// A boolean.
    Bool(bool),
    /// An integer.
    Integer(i64),
    /// A ttl state.
    Ttl(TtlState),
    /// List items, oldest first.
    Items(Vec<Vec<u8>>),
    /// Members, in byte order.
    Members(Vec<String>),
    /// An error, by its stable code (`chatcache_core::Error::code`), or a backend-specific
    /// code for failures the suite does not know (which then never match).
    Error(String),
}

impl Outcome {
    /// An error outcome with the given code.
    pub fn error(code: impl Into<String>) -> Self {
        Outcome::Error(code.into())
    }
}

impl From<chatcache_core::Error> for Outcome {
    fn from(error: chatcache_core::Error) -> Self {
        Outcome::Error(error.code().to_owned())
    }
}

/// The ttl state a backend reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TtlState {
    /// No live entry under the key.
    Missing,
    /// A live entry without expiry.
    Persistent,
    /// A live entry expiring in this many milliseconds.
    Remaining(u64),
}

impl Expect {
    /// True if `outcome` is what this expectation allows.
    pub fn matches(&self, outcome: &Outcome) -> bool {
        match (self, outcome) {
            (Expect::Ok, Outcome::Ok) => true,
            (Expect::Value(expected), Outcome::Value(actual)) => expected == actual,
            (Expect::Values(expected), Outcome::Values(actual)) => expected == actual,
            (Expect::Bool(expected), Outcome::Bool(actual)) => expected == actual,
            (Expect::Integer(expected), Outcome::Integer(actual)) => expected == actual,
            (Expect::Error(expected), Outcome::Error(actual)) => expected == actual,
            (Expect::Items(expected), Outcome::Items(actual)) => expected == actual,
            (Expect::Members(expected), Outcome::Members(actual)) => expected == actual,
            (Expect::Ttl(expected), Outcome::Ttl(actual)) => match (expected, actual) {
                (TtlExpect::Missing, TtlState::Missing)
                | (TtlExpect::Persistent, TtlState::Persistent) => true,
                (TtlExpect::Remaining { min_ms, max_ms }, TtlState::Remaining(ms)) => {
                    (min_ms..=max_ms).contains(&ms)
                }
                _ => false,
            },
            _ => false,
        }
    }
}

/// Bytes shown as text when they are short UTF-8, else summarised.
struct ShowBytes<'a>(&'a [u8]);

impl fmt::Display for ShowBytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 48;
        match std::str::from_utf8(self.0) {
            Ok(text) if text.chars().count() <= SHOWN => write!(f, "{text:?}"),
            Ok(text) => {
                let head: String = text.chars().take(SHOWN).collect();
                write!(f, "{head:?}… ({} bytes)", self.0.len())
            }
            Err(_) => {
                f.write_str("hex ")?;
                for byte in self.0.iter().take(SHOWN) {
                    write!(f, "{byte:02x}")?;
                }
                if self.0.len() > SHOWN {
                    write!(f, "… ({} bytes)", self.0.len())?;
                }
                Ok(())
            }
        }
    }
}

fn show_value(f: &mut fmt::Formatter<'_>, value: Option<&[u8]>) -> fmt::Result {
    match value {
        Some(bytes) => write!(f, "{}", ShowBytes(bytes)),
        None => f.write_str("null"),
    }
}

fn show_items(f: &mut fmt::Formatter<'_>, items: &[Vec<u8>]) -> fmt::Result {
    f.write_str("items [")?;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{}", ShowBytes(item))?;
    }
    f.write_str("]")
}

fn show_values(f: &mut fmt::Formatter<'_>, values: &[Option<Vec<u8>>]) -> fmt::Result {
    f.write_str("[")?;
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        show_value(f, value.as_deref())?;
    }
    f.write_str("]")
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Ok => f.write_str("ok"),
            Expect::Value(value) => show_value(f, value.as_deref()),
            Expect::Values(values) => show_values(f, values),
            Expect::Bool(value) => write!(f, "{value}"),
            Expect::Integer(value) => write!(f, "{value}"),
            Expect::Ttl(TtlExpect::Missing) => f.write_str("ttl missing"),
            Expect::Ttl(TtlExpect::Persistent) => f.write_str("ttl persistent"),
            Expect::Ttl(TtlExpect::Remaining { min_ms, max_ms }) => {
                write!(f, "ttl remaining {min_ms}..={max_ms} ms")
            }
            Expect::Items(items) => show_items(f, items),
            Expect::Members(members) => write!(f, "members {members:?}"),
            Expect::Error(code) => write!(f, "error {code}"),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Ok => f.write_str("ok"),
            Outcome::Value(value) => show_value(f, value.as_deref()),
            Outcome::Values(values) => show_values(f, values),
            Outcome::Bool(value) => write!(f, "{value}"),
            Outcome::Integer(value) => write!(f, "{value}"),
            Outcome::Ttl(TtlState::Missing) => f.write_str("ttl missing"),
            Outcome::Ttl(TtlState::Persistent) => f.write_str("ttl persistent"),
            Outcome::Ttl(TtlState::Remaining(ms)) => write!(f, "ttl remaining {ms} ms"),
            Outcome::Items(items) => show_items(f, items),
            Outcome::Members(members) => write!(f, "members {members:?}"),
            Outcome::Error(code) => write!(f, "error {code}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_range_is_inclusive() {
        let expect = Expect::Ttl(TtlExpect::Remaining {
            min_ms: 10,
            max_ms: 20,
        });
        for (ms, matches) in [(9, false), (10, true), (20, true), (21, false)] {
            assert_eq!(
                expect.matches(&Outcome::Ttl(TtlState::Remaining(ms))),
                matches,
                "{ms} ms"
            );
        }
        assert!(!expect.matches(&Outcome::Ttl(TtlState::Persistent)));
    }

    #[test]
    fn kinds_never_match_across() {
        assert!(!Expect::Value(None).matches(&Outcome::Values(vec![None])));
        assert!(!Expect::Bool(true).matches(&Outcome::Integer(1)));
        assert!(!Expect::Ok.matches(&Outcome::Error("ok".into())));
        assert!(!Expect::Error("overflow".into()).matches(&Outcome::Ok));
    }

    #[test]
    fn display_summarises_large_and_binary_values() {
        let large = Outcome::Value(Some(vec![b'x'; 1000]));
        assert!(large.to_string().ends_with("… (1000 bytes)"), "{large}");
        let binary = Outcome::Value(Some(vec![0xff, 0x00]));
        assert_eq!(binary.to_string(), "hex ff00");
        assert_eq!(
            Expect::Values(vec![Some(b"a".to_vec()), None]).to_string(),
            r#"["a", null]"#
        );
    }
}
