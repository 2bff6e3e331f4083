//! Model-based property test: random sequences of every `Store` operation, with a clock
//! that advances (and sometimes steps back), checked against a naive reference model.
//!
//! The model is a `BTreeMap` from key to value and absolute deadline, written straight from
//! the documented semantics. After every step the test
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
use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use chatcache_core::{
    ENTRY_OVERHEAD, Error, ImportSummary, KeyTtl, Limits, Snapshot, SnapshotEntry, Stats, Store,
    Timestamp, Ttl,
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
    limits: Limits {
        max_entries: 10_000,
        max_bytes: 1 << 24,
        max_entry_bytes: 512,
        max_key_bytes: 16,
    },
    max_value_len: 520,
    evicts: false,
};

const TIGHT: Profile = Profile {
    name: "tight",
    limits: Limits {
        max_entries: 5,
        max_bytes: 400,
        max_entry_bytes: 200,
        max_key_bytes: 16,
    },
    max_value_len: 160,
    evicts: true,
};

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
        entries: Vec<(String, Vec<u8>, Option<i64>)>,
    },
    Advance(u64),
    /// The host clock steps back (the store must treat it as the latest time seen).
    Rewind(u64),
}

fn keys(limits: &Limits) -> impl Strategy<Value = String> + Clone + use<> {
    let longest = "k".repeat(limits.max_key_bytes);
    let too_long = "k".repeat(limits.max_key_bytes + 1);
    prop_oneof![
        12 => prop::sample::select(vec!["a", "b", "c", "d", "e", "room:1", "é🔑", "a*"])
            .prop_map(str::to_owned),
        1 => Just(String::new()),
        1 => Just(longest),
        1 => Just(too_long),
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
    let import_entry = (
        key.clone(),
        value.clone(),
        prop::option::weighted(0.7, -20i64..=60),
    );
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
        2 => (key, increments()).prop_map(|(k, by)| Op::Decr(k, by)),
        1 => Just(Op::Clear),
        1 => Just(Op::PurgeExpired),
        1 => Just(Op::RoundTrip),
        1 => (prop::sample::select(vec![1, 1, 1, 2]), vec(import_entry, 0..=4))
            .prop_map(|(version, entries)| Op::Import { version, entries }),
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

/// The reference: entries with absolute deadlines (`None`: never expires), the latest time
/// seen, and the counters.
struct Model {
    limits: Limits,
    clock: u64,
    entries: BTreeMap<String, (Vec<u8>, Option<u64>)>,
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
        } else if key.len() > self.limits.max_key_bytes {
            Err(Error::KeyTooLong {
                len: key.len(),
                max: self.limits.max_key_bytes,
            })
        } else {
            Ok(())
        }
    }

    fn check_entry(&self, key: &str, value_len: usize) -> Result<(), Error> {
        self.check_key(key)?;
        let weight = (key.len() + value_len) as u64 + ENTRY_OVERHEAD;
        if weight > self.limits.max_entry_bytes {
            return Err(Error::EntryTooLarge {
                weight,
                max: self.limits.max_entry_bytes,
            });
        }
        Ok(())
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

    fn live(&self, key: &str, at: u64) -> Option<&(Vec<u8>, Option<u64>)> {
        self.entries
            .get(key)
            .filter(|(_, deadline)| deadline.is_none_or(|deadline| deadline > at))
    }

    fn write(&mut self, key: &str, value: &[u8], deadline: Option<u64>) {
        if self.live(key, self.clock).is_some() {
            self.counters.updates += 1;
        } else {
            self.counters.inserts += 1;
        }
        self.entries
            .insert(key.to_owned(), (value.to_vec(), deadline));
    }

    fn get(&mut self, key: &str, now: u64) -> Result<Option<Vec<u8>>, Error> {
        self.check_key(key)?;
        let at = self.advance(now);
        let value = self.live(key, at).map(|(value, _)| value.clone());
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
        let at = self.advance(now);
        Ok(self.live(key, at).map(|(value, _)| value.clone()))
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
        self.write(key, value, Self::deadline(at, ttl));
        Ok(())
    }

    fn add(&mut self, key: &str, value: &[u8], ttl: Option<u64>, now: u64) -> Result<bool, Error> {
        let ttl = Self::check_ttl(ttl)?;
        self.check_entry(key, value.len())?;
        let at = self.advance(now);
        if self.live(key, at).is_some() {
            return Ok(false);
        }
        self.write(key, value, Self::deadline(at, ttl));
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
        entry.1 = Self::deadline(at, ttl);
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
        let (current, deadline) = match self.live(key, at) {
            None => (0, None),
            Some((value, deadline)) => (parse_canonical_i64(value)?, *deadline),
        };
        let result = current.checked_add(by).ok_or(Error::Overflow)?;
        let text = result.to_string();
        self.check_entry(key, text.len())?;
        self.advance(now);
        self.write(key, text.as_bytes(), deadline);
        Ok(result)
    }

    fn decr(&mut self, key: &str, by: i64, now: u64) -> Result<i64, Error> {
        self.check_key(key)?;
        let by = by.checked_neg().ok_or(Error::Overflow)?;
        self.incr(key, by, now)
    }

    fn import(&mut self, snapshot: &Snapshot, now: u64) -> Result<ImportSummary, Error> {
        if snapshot.version != Snapshot::VERSION {
            return Err(Error::UnsupportedSnapshot {
                version: snapshot.version,
            });
        }
        for entry in &snapshot.entries {
            self.check_entry(&entry.key, entry.value.len())?;
        }
        let at = self.advance(now);
        let mut summary = ImportSummary::default();
        for entry in &snapshot.entries {
            let deadline = entry
                .expires_at
                .map(|deadline| deadline.as_millis().min(u64::MAX - 1));
            if deadline.is_some_and(|deadline| deadline <= at) {
                summary.expired += 1;
            } else {
                self.write(&entry.key, &entry.value, deadline);
                summary.imported += 1;
            }
        }
        Ok(summary)
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
            store: Store::new(profile.limits).expect("profile limits are valid"),
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
                let mut fresh = Store::new(self.profile.limits).expect("valid limits");
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
                model.counters = Counters {
                    inserts: snapshot.entries.len() as u64,
                    ..Counters::default()
                };
            }
            Op::Import { version, entries } => {
                let snapshot = Snapshot {
                    version: *version,
                    entries: entries
                        .iter()
                        .map(|(key, value, offset)| SnapshotEntry {
                            key: key.clone(),
                            value: value.clone(),
                            expires_at: offset.map(|offset| {
                                Timestamp::from_millis(t.saturating_add_signed(offset))
                            }),
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
        prop_assert!(store.len() <= limits.max_entries, "len {}", store.len());
        prop_assert!(
            store.weight() <= limits.max_bytes,
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
        let mut held = BTreeMap::new();
        for entry in &snapshot.entries {
            let deadline = entry.expires_at.map(Timestamp::as_millis);
            let previous = held.insert(entry.key.as_str(), (entry.value.as_slice(), deadline));
            prop_assert!(previous.is_none(), "export lists {:?} twice", entry.key);
            match model.entries.get(&entry.key) {
                Some((value, expected))
                    if value == entry.value.as_slice() && *expected == deadline => {}
                other => prop_assert!(
                    false,
                    "store holds {:?} = {:?} until {:?}, the model has {:?}",
                    entry.key,
                    entry.value,
                    deadline,
                    other
                ),
            }
        }
        let missing: Vec<String> = model
            .entries
            .keys()
            .filter(|key| !held.contains_key(key.as_str()))
            .cloned()
            .collect();
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
        if evicted > 0 {
            prop_assert_eq!(
                store.len(),
                snapshot.entries.len(),
                "a live entry was evicted while an expired one was still held"
            );
        }
        for key in &missing {
            model.entries.remove(key);
        }
        self.evictions += evicted;
        if let Some(key) = &effects.written {
            prop_assert!(held.contains_key(key.as_str()), "just wrote {:?}", key);
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

        // Weight: what is live is at most what is held, and equal when nothing expired is held.
        let live_weight: u64 = snapshot
            .entries
            .iter()
            .map(|entry| Limits::entry_weight(entry.key.len(), entry.value.len()))
            .sum();
        prop_assert!(live_weight <= store.weight());
        if store.len() == snapshot.entries.len() {
            prop_assert_eq!(live_weight, store.weight());
        }

        // `purge_expired` leaves exactly the live entries and says how many it removed.
        if let Some((purged, len_before)) = effects.purged {
            prop_assert_eq!(
                store.len(),
                snapshot.entries.len(),
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
                next <= at && store.len() > snapshot.entries.len(),
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
    let mut store = Store::new(Limits::default()).expect("default limits are valid");
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
