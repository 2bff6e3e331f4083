//! Model-based property test: random sequences of every `Store` operation, with a clock
//! that advances (and sometimes steps back), checked against a naive reference model.
//!
//! The model is a `BTreeMap` from key to entry (a byte value, a capped list or a member set
//! whose members carry their own deadlines) and the entry's absolute deadline, written straight
//! from the documented semantics — including list caps and trimming by bytes, member expiry
//! and pruning, and `wrong_type` across kinds. After every step the test
//!
//! - compares the operation's result with the model's, error for error;
//! - runs `Store::validate()` and checks `len <= max_entries` and `weight <= max_bytes`;
//! - compares the counters (hits, misses, inserts, updates, deletes) with the model's;
//! - exports the store and reconciles it with the model. Every entry the store holds must be
//!   in the model with the same value and deadline. Which entries S3-FIFO evicts is not
//!   modelled, so a model entry missing from the store is accepted only after a write, and
//!   only as many as `stats().evictions_capacity` grew by (those are then dropped from the
//!   model). A capacity eviction must also leave no expired entry held: expired entries are
//!   reclaimed before any live one is evicted.
//!
//! Two configurations run: `unbounded` (limits too large to evict: the store must match the
//! model exactly) and `tight` (five entries, 400 bytes: frequent eviction by count and by bytes).
//!
//! # Modes
//!
//! - Default (CI): 200 sequences of up to 200 operations per configuration, a few seconds.
//! - `PROPTEST_CASES=N`: N sequences per configuration.
//! - `CHATCACHE_PROPTEST_LONG=1`: 2,500 sequences of 200–600 operations per configuration,
//!   at least 1,000,000 operations in total (about 2,000,000 on average). Use `--release`:
//!   `CHATCACHE_PROPTEST_LONG=1 cargo test --release -p chatcache-core --test model -- --nocapture`
//!
//! Each test prints how many sequences and operations it ran. Failures are shrunk and
//! recorded in `core/proptest-regressions/model.txt`, which is committed so they are
//! replayed first on every run.

use std::cell::Cell;
use std::collections::{BTreeMap, VecDeque};
use std::ops::RangeInclusive;

use chatcache_core::{
    ENTRY_OVERHEAD, Error, ITEM_OVERHEAD, ImportSummary, KeyTtl, Kind, Limits, LimitsBuilder,
    MAX_LIST_CAP, Snapshot, SnapshotEntry, SnapshotMember, SnapshotValue, Stats, Store, Timestamp,
    Ttl,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner};

/// The host clock starts at a realistic Unix-epoch time.
const START: u64 = 1_700_000_000_000;

/// One configuration of the test.
struct Profile {
    name: &'static str,
    limits: Limits,
    /// Longest value generated; longer than fits, so that some writes are refused.
    max_value_len: usize,
    /// Whether the limits are small enough for capacity eviction.
    evicts: bool,
}

const UNBOUNDED: Profile = Profile {
    name: "unbounded",
    limits: checked(
        Limits::builder()
            .max_entries(10_000)
            .max_bytes(1 << 24)
            .max_entry_bytes(512)
            .max_key_bytes(16),
    ),
    max_value_len: 520,
    evicts: false,
};

const TIGHT: Profile = Profile {
    name: "tight",
    limits: checked(
        Limits::builder()
            .max_entries(5)
            .max_bytes(400)
            .max_entry_bytes(200)
            .max_key_bytes(16),
    ),
    max_value_len: 160,
    evicts: true,
};

/// Limits for a constant profile.
const fn checked(builder: LimitsBuilder) -> Limits {
    match builder.build() {
        Ok(limits) => limits,
        Err(_) => panic!("invalid test limits"),
    }
}

/// An operation of the test, including time steps. Ttls are raw milliseconds, so that zero
/// and too-long ttls reach the conversion; import deadlines are relative to the host clock.
#[derive(Clone, Debug)]
enum Op {
    Get(String),
    Peek(String),
    Contains(String),
    Set(String, Vec<u8>, Option<u64>),
    Add(String, Vec<u8>, Option<u64>),
    Delete(String),
    Touch(String, Option<u64>),
    Ttl(String),
    Incr(String, i64),
    Decr(String, i64),
    Clear,
    PurgeExpired,
    /// Export, serialise as JSON and back, import into a fresh store, and carry on with it.
    RoundTrip,
    /// Import a snapshot into the current store.
    Import {
        version: u32,
        entries: Vec<(String, ImportValue, Option<i64>)>,
    },
    ListPush(String, Vec<u8>, u64, Option<u64>),
    ListRange(String, i64, i64),
    ListLen(String),
    /// A member's ttl is required: raw milliseconds, so zero and too long reach the conversion.
    MemberAdd(String, String, u64),
    Members(String),
    MemberRemove(String, String),
    Advance(u64),
    /// The host clock steps back (the store must treat it as the latest time seen).
    Rewind(u64),
}

fn keys(limits: &Limits) -> impl Strategy<Value = String> + Clone + use<> {
    let longest = "k".repeat(limits.max_key_bytes());
    let too_long = "k".repeat(limits.max_key_bytes() + 1);
    prop_oneof![
        12 => prop::sample::select(vec!["a", "b", "c", "d", "e", "room:1", "é🔑", "a*"])
            .prop_map(str::to_owned),
        1 => Just(String::new()),
        1 => Just(longest),
        1 => Just(too_long),
    ]
}

/// What an imported entry holds; member deadlines are relative to the host clock.
#[derive(Clone, Debug)]
enum ImportValue {
    Bytes(Vec<u8>),
    List(Vec<Vec<u8>>),
    Members(Vec<(String, i64)>),
}

fn members(limits: &Limits) -> impl Strategy<Value = String> + Clone + use<> {
    let too_long = "m".repeat(limits.max_key_bytes() + 1);
    prop_oneof![
        12 => prop::sample::select(vec!["ada", "bob", "cy", "dé", "🦀"]).prop_map(str::to_owned),
        1 => Just(String::new()),
        1 => Just(too_long),
    ]
}

fn caps() -> impl Strategy<Value = u64> {
    prop_oneof![
        10 => 1u64..=4,
        2 => 5u64..=50,
        1 => Just(0),
        1 => Just(MAX_LIST_CAP),
        1 => Just(MAX_LIST_CAP + 1),
    ]
}

fn indices() -> impl Strategy<Value = i64> {
    prop_oneof![
        6 => -6i64..=6,
        1 => Just(i64::MIN),
        1 => Just(i64::MAX),
    ]
}

fn values(max_len: usize) -> impl Strategy<Value = Vec<u8>> + Clone {
    let integer_texts = prop_oneof![
        (-3i64..=3).prop_map(|n| n.to_string()),
        prop::sample::select(vec![
            "9223372036854775807",
            "-9223372036854775808",
            "9223372036854775806",
            "+1",
            "01",
            "-0",
            " 1",
            "1.0",
            "",
            "abc",
        ])
        .prop_map(str::to_owned),
    ];
    prop_oneof![
        3 => integer_texts.prop_map(String::into_bytes),
        2 => vec(any::<u8>(), 0..8),
        3 => (any::<u8>(), 0..=max_len).prop_map(|(byte, len)| vec![byte; len]),
    ]
}

fn ttls() -> impl Strategy<Value = Option<u64>> {
    prop_oneof![
        8 => Just(None),
        12 => (1u64..=60).prop_map(Some),
        1 => Just(Some(0)),
        1 => Just(Some(Ttl::MAX_MILLIS)),
        1 => Just(Some(Ttl::MAX_MILLIS + 1)),
    ]
}

fn increments() -> impl Strategy<Value = i64> {
    prop_oneof![
        8 => -5i64..=5,
        1 => Just(i64::MAX),
        1 => Just(i64::MIN),
        1 => any::<i64>(),
    ]
}

fn ops(profile: &Profile, len: RangeInclusive<usize>) -> impl Strategy<Value = Vec<Op>> + use<> {
    let key = keys(&profile.limits);
    let value = values(profile.max_value_len);
    let member = members(&profile.limits);
    let item = prop_oneof![
        3 => vec(any::<u8>(), 0..6),
        1 => (any::<u8>(), 0..=profile.max_value_len).prop_map(|(byte, len)| vec![byte; len]),
    ];
    let import_value = prop_oneof![
        4 => value.clone().prop_map(ImportValue::Bytes),
        1 => vec(item.clone(), 0..4).prop_map(ImportValue::List),
        1 => vec((member.clone(), -20i64..=60), 0..4).prop_map(ImportValue::Members),
    ];
    let import_entry = (
        key.clone(),
        import_value,
        prop::option::weighted(0.7, -20i64..=60),
    );
    let member_ttls = prop_oneof![
        12 => 1u64..=60,
        1 => Just(0),
        1 => Just(Ttl::MAX_MILLIS + 1),
    ];
    let op = prop_oneof![
        6 => key.clone().prop_map(Op::Get),
        2 => key.clone().prop_map(Op::Peek),
        2 => key.clone().prop_map(Op::Contains),
        10 => (key.clone(), value.clone(), ttls()).prop_map(|(k, v, t)| Op::Set(k, v, t)),
        3 => (key.clone(), value, ttls()).prop_map(|(k, v, t)| Op::Add(k, v, t)),
        3 => key.clone().prop_map(Op::Delete),
        3 => (key.clone(), ttls()).prop_map(|(k, t)| Op::Touch(k, t)),
        2 => key.clone().prop_map(Op::Ttl),
        3 => (key.clone(), increments()).prop_map(|(k, by)| Op::Incr(k, by)),
        2 => (key.clone(), increments()).prop_map(|(k, by)| Op::Decr(k, by)),
        1 => Just(Op::Clear),
        1 => Just(Op::PurgeExpired),
        1 => Just(Op::RoundTrip),
        1 => (prop::sample::select(vec![1, 2, 2, 3]), vec(import_entry, 0..=4))
            .prop_map(|(version, entries)| Op::Import { version, entries }),
        6 => (key.clone(), item, caps(), ttls()).prop_map(|(k, i, c, t)| Op::ListPush(k, i, c, t)),
        3 => (key.clone(), indices(), indices()).prop_map(|(k, a, b)| Op::ListRange(k, a, b)),
        1 => key.clone().prop_map(Op::ListLen),
        5 => (key.clone(), member.clone(), member_ttls)
            .prop_map(|(k, m, t)| Op::MemberAdd(k, m, t)),
        3 => key.clone().prop_map(Op::Members),
        2 => (key.clone(), member).prop_map(|(k, m)| Op::MemberRemove(k, m)),
        8 => (0u64..=30).prop_map(Op::Advance),
        1 => (1_000u64..=100_000).prop_map(Op::Advance),
        2 => (1u64..=50).prop_map(Op::Rewind),
    ];
    vec(op, len)
}

/// The counters the model can predict exactly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counters {
    hits: u64,
    misses: u64,
    inserts: u64,
    updates: u64,
    deletes: u64,
}

impl Counters {
    fn of(stats: &Stats) -> Self {
        Self {
            hits: stats.hits,
            misses: stats.misses,
            inserts: stats.inserts,
            updates: stats.updates,
            deletes: stats.deletes,
        }
    }
}

/// The deadline an entry holding `value` gets when `wanted` is asked for: a member set never
/// outlives its latest member.
fn capped(value: &Value, wanted: Option<u64>) -> Option<u64> {
    match value {
        Value::Members(set) => {
            let latest = set.values().max().copied();
            match (wanted, latest) {
                (Some(wanted), Some(latest)) => Some(wanted.min(latest)),
                (wanted, latest) => wanted.or(latest),
            }
        }
        _ => wanted,
    }
}

/// A model entry's content.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Value {
    Bytes(Vec<u8>),
    /// Oldest item first.
    List(VecDeque<Vec<u8>>),
    /// Member → absolute deadline; expired members stay until a member operation prunes them.
    Members(BTreeMap<String, u64>),
}

impl Value {
    fn kind(&self) -> Kind {
        match self {
            Value::Bytes(_) => Kind::Bytes,
            Value::List(_) => Kind::List,
            Value::Members(_) => Kind::Members,
        }
    }

    /// The documented weight of the entry under `key`.
    fn weight(&self, key: &str) -> u64 {
        let items: u64 = match self {
            Value::Bytes(value) => value.len() as u64,
            Value::List(items) => items.iter().map(|i| i.len() as u64 + ITEM_OVERHEAD).sum(),
            Value::Members(members) => members.keys().map(|m| m.len() as u64 + ITEM_OVERHEAD).sum(),
        };
        key.len() as u64 + items + ENTRY_OVERHEAD
    }
}

/// The reference: entries with absolute deadlines (`None`: never expires), the latest time
/// seen, and the counters.
struct Model {
    limits: Limits,
    clock: u64,
    entries: BTreeMap<String, (Value, Option<u64>)>,
    counters: Counters,
}

impl Model {
    fn new(limits: Limits) -> Self {
        Self {
            limits,
            clock: 0,
            entries: BTreeMap::new(),
            counters: Counters::default(),
        }
    }

    /// The time a call at `now` acts at: time never runs backwards.
    fn effective(&self, now: u64) -> u64 {
        self.clock.max(now)
    }

    fn advance(&mut self, now: u64) -> u64 {
        self.clock = self.effective(now);
        self.clock
    }

    fn check_key(&self, key: &str) -> Result<(), Error> {
        if key.is_empty() {
            Err(Error::EmptyKey)
        } else if key.len() > self.limits.max_key_bytes() {
            Err(Error::KeyTooLong {
                len: key.len(),
                max: self.limits.max_key_bytes(),
            })
        } else {
            Ok(())
        }
    }

    fn check_member(&self, member: &str) -> Result<(), Error> {
        if member.is_empty() {
            Err(Error::EmptyMember)
        } else if member.len() > self.limits.max_key_bytes() {
            Err(Error::MemberTooLong {
                len: member.len(),
                max: self.limits.max_key_bytes(),
            })
        } else {
            Ok(())
        }
    }

    fn check_weight(&self, weight: u64) -> Result<(), Error> {
        if weight > self.limits.max_entry_bytes() {
            return Err(Error::EntryTooLarge {
                weight,
                max: self.limits.max_entry_bytes(),
            });
        }
        Ok(())
    }

    fn check_entry(&self, key: &str, value_len: usize) -> Result<(), Error> {
        self.check_key(key)?;
        self.check_weight((key.len() + value_len) as u64 + ENTRY_OVERHEAD)
    }

    fn check_ttl(ttl: Option<u64>) -> Result<Option<u64>, Error> {
        match ttl {
            Some(0) => Err(Error::ZeroTtl),
            Some(ms) if ms > Ttl::MAX_MILLIS => Err(Error::TtlTooLong),
            ttl => Ok(ttl),
        }
    }

    fn deadline(now: u64, ttl: Option<u64>) -> Option<u64> {
        // `u64::MAX` is the store's "no deadline"; real deadlines saturate just below it.
        ttl.map(|ttl| now.saturating_add(ttl).min(u64::MAX - 1))
    }

    fn live(&self, key: &str, at: u64) -> Option<&(Value, Option<u64>)> {
        self.entries
            .get(key)
            .filter(|(_, deadline)| deadline.is_none_or(|deadline| deadline > at))
    }

    /// The live entry under `key` if it is of `kind` (`None` if there is no live entry), or
    /// `wrong_type`.
    fn live_of(
        &self,
        key: &str,
        at: u64,
        kind: Kind,
    ) -> Result<Option<&(Value, Option<u64>)>, Error> {
        match self.live(key, at) {
            Some(entry) if entry.0.kind() != kind => Err(Error::WrongType {
                expected: kind,
                found: Some(entry.0.kind()),
            }),
            found => Ok(found),
        }
    }

    fn write(&mut self, key: &str, value: Value, deadline: Option<u64>) {
        if self.live(key, self.clock).is_some() {
            self.counters.updates += 1;
        } else {
            self.counters.inserts += 1;
        }
        self.entries.insert(key.to_owned(), (value, deadline));
    }

    fn bytes_of(entry: Option<&(Value, Option<u64>)>) -> Option<Vec<u8>> {
        entry.map(|(value, _)| match value {
            Value::Bytes(bytes) => bytes.clone(),
            other => unreachable!("checked to be bytes: {other:?}"),
        })
    }

    fn get(&mut self, key: &str, now: u64) -> Result<Option<Vec<u8>>, Error> {
        self.check_key(key)?;
        let value = Self::bytes_of(self.live_of(key, self.effective(now), Kind::Bytes)?);
        self.advance(now);
        if value.is_some() {
            self.counters.hits += 1;
        } else {
            self.counters.misses += 1;
        }
        Ok(value)
    }

    // Reads record the time too (time never runs backwards), but only once the key is valid.
    fn peek(&mut self, key: &str, now: u64) -> Result<Option<Vec<u8>>, Error> {
        self.check_key(key)?;
        let value = Self::bytes_of(self.live_of(key, self.effective(now), Kind::Bytes)?);
        self.advance(now);
        Ok(value)
    }

    fn contains(&mut self, key: &str, now: u64) -> Result<bool, Error> {
        self.check_key(key)?;
        let at = self.advance(now);
        Ok(self.live(key, at).is_some())
    }

    fn set(&mut self, key: &str, value: &[u8], ttl: Option<u64>, now: u64) -> Result<(), Error> {
        let ttl = Self::check_ttl(ttl)?;
        self.check_entry(key, value.len())?;
        let at = self.advance(now);
        self.write(key, Value::Bytes(value.to_vec()), Self::deadline(at, ttl));
        Ok(())
    }

    fn add(&mut self, key: &str, value: &[u8], ttl: Option<u64>, now: u64) -> Result<bool, Error> {
        let ttl = Self::check_ttl(ttl)?;
        self.check_entry(key, value.len())?;
        let at = self.advance(now);
        if self.live(key, at).is_some() {
            return Ok(false);
        }
        self.write(key, Value::Bytes(value.to_vec()), Self::deadline(at, ttl));
        Ok(true)
    }

    fn delete(&mut self, key: &str, now: u64) -> Result<bool, Error> {
        self.check_key(key)?;
        let at = self.advance(now);
        let live = self.live(key, at).is_some();
        self.entries.remove(key);
        if live {
            self.counters.deletes += 1;
        }
        Ok(live)
    }

    fn touch(&mut self, key: &str, ttl: Option<u64>, now: u64) -> Result<bool, Error> {
        let ttl = Self::check_ttl(ttl)?;
        self.check_key(key)?;
        let at = self.advance(now);
        if self.live(key, at).is_none() {
            return Ok(false);
        }
        let entry = self.entries.get_mut(key).expect("a live entry is held");
        entry.1 = capped(&entry.0, Self::deadline(at, ttl));
        Ok(true)
    }

    fn ttl(&mut self, key: &str, now: u64) -> Result<Option<KeyTtl>, Error> {
        self.check_key(key)?;
        let at = self.advance(now);
        Ok(self.live(key, at).map(|(_, deadline)| match deadline {
            None => KeyTtl::Persistent,
            Some(deadline) => {
                let remaining = (deadline - at).min(Ttl::MAX_MILLIS);
                KeyTtl::Remaining(Ttl::from_millis(remaining).expect("1 <= remaining <= MAX"))
            }
        }))
    }

    fn incr(&mut self, key: &str, by: i64, now: u64) -> Result<i64, Error> {
        self.check_key(key)?;
        let at = self.effective(now);
        let (current, deadline) = match self.live_of(key, at, Kind::Bytes)? {
            None => (0, None),
            Some((Value::Bytes(value), deadline)) => (parse_canonical_i64(value)?, *deadline),
            Some(other) => unreachable!("checked to be bytes: {other:?}"),
        };
        let result = current.checked_add(by).ok_or(Error::Overflow)?;
        let text = result.to_string();
        self.check_entry(key, text.len())?;
        self.advance(now);
        self.write(key, Value::Bytes(text.into_bytes()), deadline);
        Ok(result)
    }

    fn decr(&mut self, key: &str, by: i64, now: u64) -> Result<i64, Error> {
        self.check_key(key)?;
        let by = by.checked_neg().ok_or(Error::Overflow)?;
        self.incr(key, by, now)
    }

    fn list_push(
        &mut self,
        key: &str,
        item: &[u8],
        cap: u64,
        ttl: Option<u64>,
        now: u64,
    ) -> Result<usize, Error> {
        let ttl = Self::check_ttl(ttl)?;
        self.check_key(key)?;
        if cap == 0 || cap > MAX_LIST_CAP {
            return Err(Error::InvalidCap {
                cap,
                max: MAX_LIST_CAP,
            });
        }
        let at = self.effective(now);
        let (mut items, deadline) = match self.live_of(key, at, Kind::List)? {
            Some((Value::List(items), deadline)) => (items.clone(), *deadline),
            None => (VecDeque::new(), None),
            Some(other) => unreachable!("checked to be a list: {other:?}"),
        };
        self.check_weight(key.len() as u64 + item.len() as u64 + ITEM_OVERHEAD + ENTRY_OVERHEAD)?;
        items.push_back(item.to_vec());
        while items.len() as u64 > cap {
            items.pop_front();
        }
        while Value::List(items.clone()).weight(key) > self.limits.max_entry_bytes() {
            items.pop_front();
        }
        let at = self.advance(now);
        let deadline = if ttl.is_some() {
            Self::deadline(at, ttl)
        } else {
            deadline
        };
        let len = items.len();
        self.write(key, Value::List(items), deadline);
        Ok(len)
    }

    fn list_range(
        &mut self,
        key: &str,
        start: i64,
        stop: i64,
        now: u64,
    ) -> Result<Vec<Vec<u8>>, Error> {
        self.check_key(key)?;
        let items = match self.live_of(key, self.effective(now), Kind::List)? {
            Some((Value::List(items), _)) => Some(items.clone()),
            _ => None,
        };
        self.advance(now);
        let Some(items) = items else {
            self.counters.misses += 1;
            return Ok(Vec::new());
        };
        self.counters.hits += 1;
        // Redis LRANGE, written out: resolve negative indices, clamp, select inclusively.
        let len = items.len() as i128;
        let resolve = |i: i64| {
            if i < 0 {
                len + i128::from(i)
            } else {
                i128::from(i)
            }
        };
        let (first, last) = (resolve(start).max(0), resolve(stop).min(len - 1));
        Ok(items
            .iter()
            .enumerate()
            .filter(|&(i, _)| (first..=last).contains(&(i as i128)))
            .map(|(_, item)| item.clone())
            .collect())
    }

    fn list_len(&mut self, key: &str, now: u64) -> Result<usize, Error> {
        self.check_key(key)?;
        let len = match self.live_of(key, self.effective(now), Kind::List)? {
            Some((Value::List(items), _)) => items.len(),
            _ => 0,
        };
        self.advance(now);
        Ok(len)
    }

    fn member_add(&mut self, key: &str, member: &str, ttl: u64, now: u64) -> Result<bool, Error> {
        let ttl = Self::check_ttl(Some(ttl))?.expect("a ttl was given");
        self.check_key(key)?;
        self.check_member(member)?;
        let at = self.effective(now);
        let mut set = match self.live_of(key, at, Kind::Members)? {
            Some((Value::Members(set), _)) => set.clone(),
            _ => BTreeMap::new(),
        };
        set.retain(|_, deadline| *deadline > at);
        let added = !set.contains_key(member);
        set.insert(
            member.to_owned(),
            Self::deadline(at, Some(ttl)).expect("a deadline"),
        );
        let value = Value::Members(set);
        self.check_weight(value.weight(key))?;
        self.advance(now);
        let latest = match &value {
            Value::Members(set) => set.values().max().copied(),
            _ => unreachable!(),
        };
        self.write(key, value, latest);
        Ok(added)
    }

    /// Prunes the live member set under `key` of members expired at `at` (and of `also`),
    /// removing the set if it is left empty; returns the live members left.
    fn prune(&mut self, key: &str, at: u64, also: Option<&str>) -> Vec<String> {
        let Some((Value::Members(set), deadline)) = self.entries.get_mut(key) else {
            return Vec::new();
        };
        let before = set.len();
        set.retain(|member, deadline| *deadline > at && Some(member.as_str()) != also);
        let left: Vec<String> = set.keys().cloned().collect();
        if set.is_empty() {
            self.entries.remove(key);
        } else if set.len() != before {
            *deadline = set.values().max().copied();
        }
        left
    }

    fn members(&mut self, key: &str, now: u64) -> Result<Vec<String>, Error> {
        self.check_key(key)?;
        let live = self
            .live_of(key, self.effective(now), Kind::Members)?
            .is_some();
        let at = self.advance(now);
        let left = if live {
            self.prune(key, at, None)
        } else {
            Vec::new()
        };
        if left.is_empty() {
            self.counters.misses += 1;
        } else {
            self.counters.hits += 1;
        }
        Ok(left)
    }

    fn member_remove(&mut self, key: &str, member: &str, now: u64) -> Result<bool, Error> {
        self.check_key(key)?;
        self.check_member(member)?;
        let at = self.effective(now);
        let removed = match self.live_of(key, at, Kind::Members)? {
            Some((Value::Members(set), _)) => set.get(member).is_some_and(|&d| d > at),
            _ => false,
        };
        self.advance(now);
        if removed {
            self.prune(key, at, Some(member));
        }
        Ok(removed)
    }

    /// A snapshot entry's content as a model value, and its weight as `import` checks it.
    fn import_value(&self, entry: &SnapshotEntry) -> Result<Value, Error> {
        self.check_key(&entry.key)?;
        let value = match &entry.value {
            SnapshotValue::Bytes(value) => Value::Bytes(value.clone()),
            SnapshotValue::List(items) => {
                if items.is_empty() {
                    return Err(Error::InvalidSnapshot("a list entry has no items"));
                }
                Value::List(items.iter().cloned().collect())
            }
            SnapshotValue::Members(members) => {
                if members.is_empty() {
                    return Err(Error::InvalidSnapshot("a member-set entry has no members"));
                }
                let mut set = BTreeMap::new();
                for member in members {
                    self.check_member(&member.member)?;
                    set.insert(member.member.clone(), member.expires_at.as_millis());
                }
                Value::Members(set)
            }
        };
        self.check_weight(value.weight(&entry.key))?;
        Ok(value)
    }

    fn import(&mut self, snapshot: &Snapshot, now: u64) -> Result<ImportSummary, Error> {
        if !(1..=2).contains(&snapshot.version) {
            return Err(Error::UnsupportedSnapshot {
                version: snapshot.version,
            });
        }
        let values = snapshot
            .entries
            .iter()
            .map(|entry| self.import_value(entry))
            .collect::<Result<Vec<_>, _>>()?;
        let at = self.advance(now);
        let mut summary = ImportSummary::default();
        for (entry, mut value) in snapshot.entries.iter().zip(values) {
            let deadline = entry
                .expires_at
                .map(|deadline| deadline.as_millis().min(u64::MAX - 1));
            if let Value::Members(set) = &mut value {
                set.retain(|_, deadline| *deadline > at);
            }
            let empty = matches!(&value, Value::Members(set) if set.is_empty());
            if empty || deadline.is_some_and(|deadline| deadline <= at) {
                summary.expired += 1;
            } else {
                let deadline = capped(&value, deadline);
                self.write(&entry.key, value, deadline);
                summary.imported += 1;
            }
        }
        Ok(summary)
    }

    /// The entries an export at `at` lists: live ones, member sets with their live members only
    /// (and none if no member is live).
    fn exportable(&self, at: u64) -> BTreeMap<String, (Value, Option<u64>)> {
        self.entries
            .iter()
            .filter(|(_, (_, deadline))| deadline.is_none_or(|d| d > at))
            .filter_map(|(key, (value, deadline))| {
                let value = match value {
                    Value::Members(set) => {
                        let live: BTreeMap<String, u64> = set
                            .iter()
                            .filter(|&(_, &d)| d > at)
                            .map(|(m, d)| (m.clone(), *d))
                            .collect();
                        if live.is_empty() {
                            return None;
                        }
                        Value::Members(live)
                    }
                    other => other.clone(),
                };
                Some((key.clone(), (value, *deadline)))
            })
            .collect()
    }
}

/// A snapshot entry as a model value.
fn model_value(entry: &SnapshotEntry) -> Value {
    match &entry.value {
        SnapshotValue::Bytes(value) => Value::Bytes(value.clone()),
        SnapshotValue::List(items) => Value::List(items.iter().cloned().collect()),
        SnapshotValue::Members(members) => Value::Members(
            members
                .iter()
                .map(|m| (m.member.clone(), m.expires_at.as_millis()))
                .collect(),
        ),
    }
}

/// A canonical decimal `i64` as Redis's `string2ll` reads it, written independently of the
/// store: parse with the standard library, then require that printing gives the same bytes.
fn parse_canonical_i64(bytes: &[u8]) -> Result<i64, Error> {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|text| text.parse::<i64>().ok().filter(|n| n.to_string() == text))
        .ok_or(Error::NotAnInteger)
}

/// What a step did, for the checks after it.
#[derive(Default)]
struct Effects {
    /// The step wrote entries, so it may have evicted.
    wrote: bool,
    /// The step wrote several entries (import): one of them may have evicted another, so
    /// the counts of evictions and of inserts versus updates are only bounded.
    wrote_many: bool,
    /// A key the step just wrote, which must be held afterwards.
    written: Option<String>,
    /// `purge_expired` returned this, with `len()` before it.
    purged: Option<(usize, usize)>,
}

struct Harness {
    profile: &'static Profile,
    store: Store,
    model: Model,
    /// The host clock, which may step back.
    now: u64,
    /// Capacity evictions seen so far.
    evictions: u64,
}

/// Asserts that the store's result equals the model's, naming the operation.
macro_rules! same {
    ($actual:expr, $expected:expr, $op:expr) => {
        prop_assert_eq!($actual, $expected, "result of {:?}", $op)
    };
}

impl Harness {
    fn new(profile: &'static Profile) -> Self {
        Self {
            profile,
            store: Store::new(profile.limits),
            model: Model::new(profile.limits),
            now: START,
            evictions: 0,
        }
    }

    fn run(&mut self, ops: &[Op]) -> Result<(), TestCaseError> {
        for (index, op) in ops.iter().enumerate() {
            self.step(op)
                .map_err(|e| TestCaseError::fail(format!("step {index} ({op:?}): {e}")))?;
        }
        Ok(())
    }

    fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let mut before = self.store.stats();
        let now = Timestamp::from_millis(self.now);
        let (store, model, t) = (&mut self.store, &mut self.model, self.now);
        let ttl = |ms: Option<u64>| ms.map(Ttl::from_millis).transpose();
        let mut effects = Effects::default();
        match op {
            Op::Get(key) => {
                let actual = store.get(key, now).map(|v| v.map(<[u8]>::to_vec));
                same!(actual, model.get(key, t), op);
            }
            Op::Peek(key) => {
                let actual = store.peek(key, now).map(|v| v.map(<[u8]>::to_vec));
                same!(actual, model.peek(key, t), op);
            }
            Op::Contains(key) => {
                same!(store.contains(key, now), model.contains(key, t), op);
            }
            Op::Set(key, value, ms) => {
                let actual = ttl(*ms).and_then(|ttl| store.set(key, value, ttl, now));
                same!(&actual, &model.set(key, value, *ms, t), op);
                if actual.is_ok() {
                    effects.wrote = true;
                    effects.written = Some(key.clone());
                }
            }
            Op::Add(key, value, ms) => {
                let actual = ttl(*ms).and_then(|ttl| store.add(key, value, ttl, now));
                same!(&actual, &model.add(key, value, *ms, t), op);
                if actual == Ok(true) {
                    effects.wrote = true;
                    effects.written = Some(key.clone());
                }
            }
            Op::Delete(key) => {
                same!(store.delete(key, now), model.delete(key, t), op);
            }
            Op::Touch(key, ms) => {
                let actual = ttl(*ms).and_then(|ttl| store.touch(key, ttl, now));
                same!(actual, model.touch(key, *ms, t), op);
            }
            Op::Ttl(key) => {
                same!(store.ttl(key, now), model.ttl(key, t), op);
            }
            Op::Incr(key, by) | Op::Decr(key, by) => {
                let (actual, expected) = if matches!(op, Op::Incr(..)) {
                    (store.incr(key, *by, now), model.incr(key, *by, t))
                } else {
                    (store.decr(key, *by, now), model.decr(key, *by, t))
                };
                same!(&actual, &expected, op);
                if actual.is_ok() {
                    effects.wrote = true;
                    effects.written = Some(key.clone());
                }
            }
            Op::Clear => {
                store.clear();
                model.entries.clear();
                prop_assert!(store.is_empty() && store.weight() == 0);
                prop_assert_eq!(store.next_expiry(), None);
            }
            Op::PurgeExpired => {
                let len = store.len();
                let purged = store.purge_expired(now);
                model.advance(t);
                effects.purged = Some((purged, len));
            }
            Op::RoundTrip => {
                let at = Timestamp::from_millis(model.advance(t));
                let snapshot = store.export(at);
                let json = serde_json::to_string(&snapshot).expect("a snapshot serialises");
                let parsed: Snapshot = serde_json::from_str(&json).expect("and parses back");
                prop_assert_eq!(&parsed, &snapshot, "JSON round trip");
                let mut fresh = Store::new(self.profile.limits);
                let summary = fresh.import(&parsed, at);
                prop_assert_eq!(
                    summary,
                    Ok(ImportSummary {
                        imported: snapshot.entries.len(),
                        expired: 0
                    })
                );
                prop_assert_eq!(&fresh.export(at), &snapshot, "export after import");
                *store = fresh;
                before = Stats::default();
                // The fresh store holds what was exported: member sets without expired
                // members, and no set whose members had all expired.
                model.entries = model.exportable(at.as_millis());
                model.counters = Counters {
                    inserts: snapshot.entries.len() as u64,
                    ..Counters::default()
                };
            }
            Op::Import { version, entries } => {
                let at = |offset: i64| Timestamp::from_millis(t.saturating_add_signed(offset));
                let snapshot = Snapshot {
                    version: *version,
                    entries: entries
                        .iter()
                        .map(|(key, value, offset)| SnapshotEntry {
                            key: key.clone(),
                            value: match value {
                                ImportValue::Bytes(bytes) => SnapshotValue::Bytes(bytes.clone()),
                                ImportValue::List(items) => SnapshotValue::List(items.clone()),
                                ImportValue::Members(members) => SnapshotValue::Members(
                                    members
                                        .iter()
                                        .map(|(member, offset)| SnapshotMember {
                                            member: member.clone(),
                                            expires_at: at(*offset),
                                        })
                                        .collect(),
                                ),
                            },
                            expires_at: offset.map(at),
                        })
                        .collect(),
                };
                let actual = store.import(&snapshot, now);
                same!(&actual, &model.import(&snapshot, t), op);
                if actual.is_ok() {
                    effects.wrote = true;
                    effects.wrote_many = true;
                }
            }
            Op::ListPush(key, item, cap, ms) => {
                let actual = ttl(*ms).and_then(|ttl| store.list_push(key, item, *cap, ttl, now));
                same!(&actual, &model.list_push(key, item, *cap, *ms, t), op);
                if actual.is_ok() {
                    effects.wrote = true;
                    effects.written = Some(key.clone());
                }
            }
            Op::ListRange(key, start, stop) => {
                let actual = store
                    .list_range(key, *start, *stop, now)
                    .map(|items| items.map(<[u8]>::to_vec).collect::<Vec<_>>());
                same!(actual, model.list_range(key, *start, *stop, t), op);
            }
            Op::ListLen(key) => {
                same!(store.list_len(key, now), model.list_len(key, t), op);
            }
            Op::MemberAdd(key, member, ms) => {
                let actual =
                    Ttl::from_millis(*ms).and_then(|ttl| store.member_add(key, member, ttl, now));
                same!(&actual, &model.member_add(key, member, *ms, t), op);
                if actual.is_ok() {
                    effects.wrote = true;
                    effects.written = Some(key.clone());
                }
            }
            Op::Members(key) => {
                let actual = store
                    .members(key, now)
                    .map(|members| members.map(str::to_owned).collect::<Vec<_>>());
                same!(actual, model.members(key, t), op);
            }
            Op::MemberRemove(key, member) => {
                same!(
                    store.member_remove(key, member, now),
                    model.member_remove(key, member, t),
                    op
                );
            }
            Op::Advance(ms) => self.now += ms,
            Op::Rewind(ms) => self.now = self.now.saturating_sub(*ms),
        }
        self.reconcile(before, &effects)
    }

    fn reconcile(&mut self, before: Stats, effects: &Effects) -> Result<(), TestCaseError> {
        let (store, model, limits) = (&self.store, &mut self.model, &self.profile.limits);
        if let Err(violation) = store.validate() {
            return Err(TestCaseError::fail(violation.to_string()));
        }
        prop_assert!(store.len() <= limits.max_entries(), "len {}", store.len());
        prop_assert!(
            store.weight() <= limits.max_bytes(),
            "weight {}",
            store.weight()
        );
        let stats = store.stats();
        prop_assert_eq!(stats.entries, store.len() as u64);
        prop_assert_eq!(stats.bytes, store.weight());

        // Expired entries are invisible; the model forgets them. Time never runs backwards,
        // so they can never come back.
        let at = model.clock;
        model
            .entries
            .retain(|_, (_, deadline)| deadline.is_none_or(|deadline| deadline > at));

        // `export(ZERO)` acts at the store's own latest time, which must be the model's.
        let snapshot = store.export(Timestamp::ZERO);
        let exportable = model.exportable(at);
        let mut held = BTreeMap::new();
        for entry in &snapshot.entries {
            let deadline = entry.expires_at.map(Timestamp::as_millis);
            let value = model_value(entry);
            let previous = held.insert(entry.key.as_str(), (value.clone(), deadline));
            prop_assert!(previous.is_none(), "export lists {:?} twice", entry.key);
            match exportable.get(&entry.key) {
                Some(expected) if *expected == (value.clone(), deadline) => {}
                other => prop_assert!(
                    false,
                    "store holds {:?} = {:?} until {:?}, the model has {:?}",
                    entry.key,
                    value,
                    deadline,
                    other
                ),
            }
        }
        // Every live model entry must still be held (or have been evicted): exported, or a
        // member set whose members have all expired, which the store holds but does not export.
        let missing: Vec<String> = model
            .entries
            .keys()
            .filter(|key| {
                !store
                    .contains(key.as_str(), Timestamp::ZERO)
                    .unwrap_or(false)
            })
            .cloned()
            .collect();
        prop_assert!(
            exportable
                .keys()
                .all(|key| held.contains_key(key.as_str()) || missing.contains(key)),
            "an exportable entry is held but not exported"
        );
        let evicted = stats.evictions_capacity - before.evictions_capacity;
        if !self.profile.evicts {
            prop_assert_eq!(stats.evictions_capacity, 0, "eviction without limits");
        }
        if !effects.wrote {
            prop_assert_eq!(evicted, 0, "a step that writes nothing evicted");
        }
        if effects.wrote_many {
            prop_assert!(
                missing.len() as u64 <= evicted,
                "{} entries lost but {} evicted: {:?}",
                missing.len(),
                evicted,
                missing
            );
        } else {
            prop_assert_eq!(
                missing.len() as u64,
                evicted,
                "entries lost {:?} versus capacity evictions",
                missing
            );
        }
        for key in &missing {
            model.entries.remove(key);
        }
        if evicted > 0 {
            prop_assert_eq!(
                store.len(),
                model.entries.len(),
                "a live entry was evicted while an expired one was still held"
            );
        }
        self.evictions += evicted;
        if let Some(key) = &effects.written {
            prop_assert!(
                store
                    .contains(key.as_str(), Timestamp::ZERO)
                    .unwrap_or(false),
                "just wrote {:?}",
                key
            );
        }

        // Counters. An import may evict an entry it wrote and write its key again, so only
        // the total of inserts and updates is certain; the model then adopts the split.
        let actual = Counters::of(&stats);
        if effects.wrote_many {
            prop_assert_eq!(
                actual.inserts + actual.updates,
                model.counters.inserts + model.counters.updates
            );
            model.counters.inserts = actual.inserts;
            model.counters.updates = actual.updates;
        }
        prop_assert_eq!(actual, model.counters);

        // Weight: the live entries (stale members not yet pruned included) weigh at most what
        // is held, and exactly that when no expired entry is held.
        let live_weight: u64 = model
            .entries
            .iter()
            .map(|(key, (value, _))| value.weight(key))
            .sum();
        prop_assert!(live_weight <= store.weight());
        if store.len() == model.entries.len() {
            prop_assert_eq!(live_weight, store.weight());
        }

        // `purge_expired` leaves exactly the live entries and says how many it removed.
        if let Some((purged, len_before)) = effects.purged {
            prop_assert_eq!(
                store.len(),
                model.entries.len(),
                "purge left expired entries"
            );
            prop_assert_eq!(purged, len_before - store.len());
        }

        // `next_expiry` is the earliest deadline held: at most the earliest live one, and if
        // no live entry has one, it belongs to an expired entry still held.
        let earliest_live = model
            .entries
            .values()
            .filter_map(|(_, deadline)| *deadline)
            .min();
        match (store.next_expiry().map(Timestamp::as_millis), earliest_live) {
            (None, None) => {}
            (None, Some(deadline)) => {
                prop_assert!(
                    false,
                    "no next expiry, yet an entry expires at {}",
                    deadline
                )
            }
            (Some(next), Some(deadline)) => prop_assert!(next <= deadline),
            (Some(next), None) => prop_assert!(
                next <= at && store.len() > model.entries.len(),
                "next expiry {} but no entry with a deadline is held",
                next
            ),
        }
        Ok(())
    }
}

/// How many sequences to run, of what length: see the module docs.
fn plan() -> (u32, RangeInclusive<usize>) {
    if std::env::var_os("CHATCACHE_PROPTEST_LONG").is_some_and(|v| v != "0") {
        (2_500, 200..=600)
    } else if std::env::var_os("PROPTEST_CASES").is_some() {
        (Config::default().cases, 1..=200)
    } else {
        (200, 1..=200)
    }
}

fn check(profile: &'static Profile) {
    let (cases, len) = plan();
    let config = Config {
        cases,
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/proptest-regressions/model.txt"
        )))),
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let (sequences, operations, evictions) = (Cell::new(0u64), Cell::new(0u64), Cell::new(0));
    let result = runner.run(&ops(profile, len), |ops| {
        sequences.set(sequences.get() + 1);
        operations.set(operations.get() + ops.len() as u64);
        let mut harness = Harness::new(profile);
        let result = harness.run(&ops);
        evictions.set(evictions.get() + harness.evictions);
        result
    });
    if let Err(error) = result {
        panic!("model test [{}] failed: {error}", profile.name);
    }
    println!(
        "model test [{}]: {} sequences, {} operations, {} capacity evictions",
        profile.name,
        sequences.get(),
        operations.get(),
        evictions.get()
    );
    // A tight profile that never evicted would have checked nothing about eviction.
    assert_eq!(evictions.get() > 0, profile.evicts, "evictions seen");
}

#[test]
fn unbounded_store_matches_the_model_exactly() {
    check(&UNBOUNDED);
}

#[test]
fn tight_store_matches_the_model_up_to_eviction() {
    check(&TIGHT);
}

/// A refused call changes nothing (crate docs, "Semantics"), so it must not move the
/// store's clock either: after a refused `incr` at t = 2000, an entry written at t = 1000
/// with a 500 ms ttl is still live at t = 1000.
#[test]
fn refused_incr_leaves_the_clock_alone() {
    let mut store = Store::new(Limits::default());
    let (early, late) = (Timestamp::from_millis(1_000), Timestamp::from_millis(2_000));
    store.set("name", b"alice", None, early).expect("valid");
    store
        .set(
            "typing",
            b"1",
            Some(Ttl::from_millis(500).expect("non-zero")),
            early,
        )
        .expect("valid");
    assert_eq!(store.incr("name", 1, late), Err(Error::NotAnInteger));
    assert_eq!(store.contains("typing", early), Ok(true));
}
