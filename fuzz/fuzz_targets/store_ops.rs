//! Drives a `Store` with small, fuzzer-chosen limits through arbitrary operations on a clock
//! that advances and sometimes steps back. After every operation it checks `validate()`, the
//! limits and the counters; after each operation it also checks what that operation
//! promises (a written value reads back, a pushed item is the newest of its capped list, an
//! added member is listed in order, a refused call changes nothing, …), across byte values,
//! lists and member sets under one pool of keys, so kind mismatches are frequent.

#![no_main]

use arbitrary::Arbitrary;
use chatcache_core::{
    Error, KeyTtl, Kind, Limits, Snapshot, SnapshotEntry, SnapshotMember, SnapshotValue, Store,
    Timestamp, Ttl,
};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    max_entries: u8,
    max_bytes: u16,
    max_entry_bytes: u16,
    max_key_bytes: u8,
    ops: Vec<Op>,
}

#[derive(Arbitrary, Debug)]
enum Op {
    Get(Key),
    Peek(Key),
    Contains(Key),
    Set(Key, Value, Option<u16>),
    Add(Key, Value, Option<u16>),
    Delete(Key),
    Touch(Key, Option<u16>),
    Ttl(Key),
    Incr(Key, i64),
    Decr(Key, i64),
    Clear,
    PurgeExpired,
    /// Export, then import into a fresh store: it must hold the same entries.
    RoundTrip,
    /// Import entries with deadlines relative to now (negative: already expired).
    Import(Vec<(Key, Stored, Option<i16>)>),
    ListPush(Key, Value, u8, Option<u16>),
    ListRange(Key, i8, i8),
    MemberAdd(Key, Member, u16),
    Members(Key),
    MemberRemove(Key, Member),
    Advance(u16),
    Rewind(u8),
}

/// Keys mostly come from a small pool so that operations meet; the pool includes the empty
/// key and keys at and over the length limit.
#[derive(Arbitrary, Debug)]
enum Key {
    Pool(u8),
    Text(String),
}

/// What an imported entry holds; member deadlines are relative to now.
#[derive(Arbitrary, Debug)]
enum Stored {
    Bytes(Value),
    List(Vec<Value>),
    Members(Vec<(Member, i16)>),
}

/// Members come from a small pool too, including the empty member.
#[derive(Arbitrary, Debug)]
enum Member {
    Pool(u8),
    Text(String),
}

impl Member {
    fn resolve(&self) -> String {
        match self {
            Member::Pool(n) => match n % 6 {
                0 => String::new(),
                n => format!("m{n}"),
            },
            Member::Text(text) => text.clone(),
        }
    }
}

impl Stored {
    fn resolve(&self, now: u64) -> SnapshotValue {
        match self {
            Stored::Bytes(value) => SnapshotValue::Bytes(value.resolve()),
            Stored::List(items) => SnapshotValue::List(items.iter().map(Value::resolve).collect()),
            Stored::Members(members) => SnapshotValue::Members(
                members
                    .iter()
                    .map(|(member, offset)| SnapshotMember {
                        member: member.resolve(),
                        expires_at: Timestamp::from_millis(
                            now.saturating_add_signed(i64::from(*offset)),
                        ),
                    })
                    .collect(),
            ),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Value {
    Bytes(Vec<u8>),
    Integer(i64),
    Filled(u8, u16),
}

impl Key {
    fn resolve(&self, limits: &Limits) -> String {
        match self {
            Key::Pool(n) => match n % 12 {
                0 => String::new(),
                1 => "k".repeat(limits.max_key_bytes()),
                2 => "k".repeat(limits.max_key_bytes() + 1),
                n => format!("{n}"),
            },
            Key::Text(text) => text.clone(),
        }
    }
}

impl Value {
    fn resolve(&self) -> Vec<u8> {
        match self {
            Value::Bytes(bytes) => bytes.clone(),
            Value::Integer(n) => n.to_string().into_bytes(),
            Value::Filled(byte, len) => vec![*byte; usize::from(*len)],
        }
    }
}

/// A ttl in ms, or an error for zero (the store never sees it, as with any host).
fn ttl(ms: Option<u16>) -> Result<Option<Ttl>, chatcache_core::Error> {
    ms.map(|ms| Ttl::from_millis(u64::from(ms))).transpose()
}

struct Fuzz {
    store: Store,
    limits: Limits,
    /// The host clock, which may step back.
    now: u64,
    /// The latest time passed to the store: exports at this time see exactly the live
    /// entries whatever the store's own clock is.
    latest: u64,
}

impl Fuzz {
    fn snapshot(&self) -> Snapshot {
        self.store.export(Timestamp::from_millis(self.latest))
    }

    fn held_value(&self, key: &str) -> Option<Vec<u8>> {
        let now = Timestamp::from_millis(self.now);
        let value = self
            .store
            .peek(key, now)
            .expect("a key just written holds bytes");
        value.map(<[u8]>::to_vec)
    }

    fn kind(&self, key: &str) -> Option<Kind> {
        let now = Timestamp::from_millis(self.now);
        self.store.kind(key, now).expect("a key just used is valid")
    }

    /// After a successful write with this ttl, the key holds `value` with that expiry.
    fn assert_written(&self, key: &str, value: &[u8], ttl: Option<Ttl>) {
        assert_eq!(
            self.held_value(key).as_deref(),
            Some(value),
            "{key:?} reads back"
        );
        let now = Timestamp::from_millis(self.now);
        let state = self.store.ttl(key, now).expect("valid key");
        match ttl {
            None => assert_eq!(state, Some(KeyTtl::Persistent)),
            // The store may act at a later time than `now` (its clock never runs back).
            Some(ttl) => match state {
                Some(KeyTtl::Remaining(left)) => assert!(left <= ttl, "{left:?} > {ttl:?}"),
                other => panic!("{key:?} was written with {ttl:?} but has {other:?}"),
            },
        }
    }

    fn apply(&mut self, op: &Op) {
        let limits = self.limits;
        let now = Timestamp::from_millis(self.now);
        self.latest = self.latest.max(self.now);
        let before = self.snapshot();
        let refused = match op {
            Op::Get(key) => self.store.get(&key.resolve(&limits), now).is_err(),
            Op::Peek(key) => self.store.peek(&key.resolve(&limits), now).is_err(),
            Op::Contains(key) => self.store.contains(&key.resolve(&limits), now).is_err(),
            Op::Set(key, value, ms) | Op::Add(key, value, ms) => {
                let (key, value) = (key.resolve(&limits), value.resolve());
                let result = ttl(*ms).and_then(|ttl| match op {
                    Op::Set(..) => self.store.set(&key, &value, ttl, now).map(|()| true),
                    _ => self.store.add(&key, &value, ttl, now),
                });
                match result {
                    Ok(true) => self.assert_written(&key, &value, ttl(*ms).expect("accepted")),
                    Ok(false) => assert!(self.store.contains(&key, now).expect("valid key")),
                    Err(_) => {}
                }
                result.is_err()
            }
            Op::Delete(key) => {
                let key = key.resolve(&limits);
                let result = self.store.delete(&key, now);
                if result.is_ok() {
                    assert_eq!(self.held_value(&key), None, "{key:?} deleted");
                }
                result.is_err()
            }
            Op::Touch(key, ms) => {
                let key = key.resolve(&limits);
                let value = self
                    .store
                    .peek(&key, now)
                    .ok()
                    .flatten()
                    .map(<[u8]>::to_vec);
                let result = ttl(*ms).and_then(|ttl| self.store.touch(&key, ttl, now));
                match (&result, value) {
                    (Ok(true), Some(value)) => {
                        self.assert_written(&key, &value, ttl(*ms).expect("accepted"))
                    }
                    (Ok(true), None) => assert!(self.kind(&key).is_some_and(|k| k != Kind::Bytes)),
                    (Ok(false), _) => assert_eq!(self.kind(&key), None),
                    (Err(_), _) => {}
                }
                result.is_err()
            }
            Op::Ttl(key) => self.store.ttl(&key.resolve(&limits), now).is_err(),
            Op::Incr(key, by) | Op::Decr(key, by) => {
                let key = key.resolve(&limits);
                let result = match op {
                    Op::Incr(..) => self.store.incr(&key, *by, now),
                    _ => self.store.decr(&key, *by, now),
                };
                if let Ok(n) = result {
                    let held = self.held_value(&key);
                    assert_eq!(held, Some(n.to_string().into_bytes()), "{key:?} after incr");
                }
                result.is_err()
            }
            Op::Clear => {
                self.store.clear();
                assert!(self.store.is_empty() && self.store.weight() == 0);
                false
            }
            Op::PurgeExpired => {
                let len = self.store.len();
                let purged = self.store.purge_expired(now);
                assert_eq!(purged, len - self.store.len());
                // `export(ZERO)` acts at the store's own latest time, as the purge did.
                let live = self.store.export(Timestamp::ZERO).entries.len();
                assert_eq!(self.store.len(), live, "purge left expired entries");
                false
            }
            Op::RoundTrip => {
                let at = Timestamp::from_millis(self.latest);
                let snapshot = self.store.export(at);
                let mut fresh = Store::new(limits);
                let summary = fresh.import(&snapshot, at).expect("an export imports");
                assert_eq!(
                    (summary.imported, summary.expired),
                    (snapshot.entries.len(), 0)
                );
                assert_eq!(fresh.export(at), snapshot);
                false
            }
            Op::Import(entries) => {
                let snapshot = Snapshot {
                    version: Snapshot::VERSION,
                    entries: entries
                        .iter()
                        .map(|(key, value, offset)| SnapshotEntry {
                            key: key.resolve(&limits),
                            value: value.resolve(self.now),
                            expires_at: offset.map(|offset| {
                                Timestamp::from_millis(
                                    self.now.saturating_add_signed(i64::from(offset)),
                                )
                            }),
                        })
                        .collect(),
                };
                self.store.import(&snapshot, now).is_err()
            }
            Op::ListPush(key, item, cap, ms) => {
                let (key, item) = (key.resolve(&limits), item.resolve());
                let before_len = self.store.list_len(&key, now).unwrap_or(0);
                let cap = u64::from(*cap % 8);
                let result =
                    ttl(*ms).and_then(|ttl| self.store.list_push(&key, &item, cap, ttl, now));
                if let Ok(len) = result {
                    // The newest item is last; the list never exceeds its cap or grows by more
                    // than one.
                    let newest: Vec<Vec<u8>> = self
                        .store
                        .list_range(&key, -1, -1, now)
                        .expect("a list")
                        .map(<[u8]>::to_vec)
                        .collect();
                    assert_eq!(newest, [item], "{key:?}: the pushed item is the newest");
                    assert!(len >= 1 && len as u64 <= cap && len <= before_len + 1);
                    assert_eq!(self.store.list_len(&key, now), Ok(len));
                }
                if let Err(Error::WrongType { found, .. }) = &result {
                    assert_eq!(self.kind(&key), *found);
                }
                result.is_err()
            }
            Op::ListRange(key, start, stop) => {
                let key = key.resolve(&limits);
                let len = self.store.list_len(&key, now).unwrap_or(0);
                match self
                    .store
                    .list_range(&key, i64::from(*start), i64::from(*stop), now)
                {
                    Ok(items) => {
                        let n = items.len();
                        assert!(n <= len);
                        false
                    }
                    Err(_) => true,
                }
            }
            Op::MemberAdd(key, member, ms) => {
                let (key, member) = (key.resolve(&limits), member.resolve());
                let result = Ttl::from_millis(u64::from(*ms))
                    .and_then(|ttl| self.store.member_add(&key, &member, ttl, now));
                if result.is_ok() {
                    let live: Vec<String> = self
                        .store
                        .members(&key, now)
                        .expect("a member set")
                        .map(str::to_owned)
                        .collect();
                    assert!(
                        live.contains(&member),
                        "{member:?} was just added to {key:?}"
                    );
                    assert!(live.windows(2).all(|w| w[0] < w[1]), "members are ordered");
                }
                result.is_err()
            }
            Op::Members(key) => self.store.members(&key.resolve(&limits), now).is_err(),
            Op::MemberRemove(key, member) => {
                let (key, member) = (key.resolve(&limits), member.resolve());
                let result = self.store.member_remove(&key, &member, now);
                if result.is_ok() && self.kind(&key).is_some() {
                    let live: Vec<String> = self
                        .store
                        .members(&key, now)
                        .expect("a member set")
                        .map(str::to_owned)
                        .collect();
                    assert!(!live.contains(&member), "{member:?} was just removed");
                }
                result.is_err()
            }
            Op::Advance(ms) => {
                self.now += u64::from(*ms);
                false
            }
            Op::Rewind(ms) => {
                self.now = self.now.saturating_sub(u64::from(*ms));
                false
            }
        };
        if refused {
            assert_eq!(
                self.snapshot(),
                before,
                "a refused {op:?} changed the entries"
            );
        }
        self.check();
    }

    fn check(&self) {
        if let Err(violation) = self.store.validate() {
            panic!("{violation}");
        }
        assert!(self.store.len() <= self.limits.max_entries());
        assert!(self.store.weight() <= self.limits.max_bytes());
        let stats = self.store.stats();
        assert_eq!(stats.entries, self.store.len() as u64);
        assert_eq!(stats.bytes, self.store.weight());
        let live = self.snapshot().entries.len();
        assert!(live <= self.store.len(), "export lists more than is held");
    }
}

fuzz_target!(|input: Input| {
    let max_entry_bytes = 49 + u64::from(input.max_entry_bytes % 1024);
    let limits = Limits::builder()
        .max_entries(1 + usize::from(input.max_entries % 32))
        .max_bytes(max_entry_bytes + u64::from(input.max_bytes % 4096))
        .max_entry_bytes(max_entry_bytes)
        .max_key_bytes(1 + usize::from(input.max_key_bytes % 64))
        .build()
        .expect("the limits are built valid");
    let store = Store::new(limits);
    let start = 1_700_000_000_000;
    let mut fuzz = Fuzz {
        store,
        limits,
        now: start,
        latest: start,
    };
    for op in &input.ops {
        fuzz.apply(op);
    }
});
