//! Unit tests of each operation and each error, in simulated time.

// Tests unwrap freely: a failure is the test failing.
#![allow(clippy::unwrap_used)]

use std::prelude::rust_2024::*;

use crate::parse_integer;
use crate::{
    ENTRY_OVERHEAD, Error, InvalidLimits, KeyTtl, Kind, Limits, Snapshot, SnapshotEntry,
    SnapshotMember, SnapshotValue, Stats, Store, Timestamp, Ttl,
};

fn at(ms: u64) -> Timestamp {
    Timestamp::from_millis(ms)
}

fn ttl(ms: u64) -> Option<Ttl> {
    Some(Ttl::from_millis(ms).expect("test TTLs are non-zero"))
}

fn store() -> Store {
    Store::new(Limits::default())
}

fn small_store(max_entries: usize) -> Store {
    Store::new(
        Limits::builder()
            .max_entries(max_entries)
            .build()
            .expect("valid limits"),
    )
}

/// Runs `validate` and returns the store for chaining checks.
fn checked(store: &Store) -> &Store {
    store.validate().expect("invariants hold");
    store
}

#[test]
fn set_then_get_returns_the_value() {
    let mut s = store();
    s.set("a", b"1", None, at(0)).unwrap();
    assert_eq!(s.get("a", at(0)).unwrap(), Some(&b"1"[..]));
    assert_eq!(s.len(), 1);
    assert_eq!(s.weight(), 1 + 1 + ENTRY_OVERHEAD);
    checked(&s);
}

#[test]
fn set_overwrites_value_and_expiry() {
    let mut s = store();
    s.set("a", b"old", ttl(10), at(0)).unwrap();
    s.set("a", b"newer", None, at(5)).unwrap();
    assert_eq!(s.get("a", at(100)).unwrap(), Some(&b"newer"[..]));
    assert_eq!(s.ttl("a", at(100)).unwrap(), Some(KeyTtl::Persistent));
    assert_eq!(s.stats().updates, 1);
    assert_eq!(s.weight(), 1 + 5 + ENTRY_OVERHEAD);
    checked(&s);
}

#[test]
fn get_missing_counts_a_miss_and_hit_counts_a_hit() {
    let mut s = store();
    assert_eq!(s.get("nope", at(0)).unwrap(), None);
    s.set("k", b"v", None, at(0)).unwrap();
    s.get("k", at(0)).unwrap();
    let stats = s.stats();
    assert_eq!((stats.hits, stats.misses, stats.inserts), (1, 1, 1));
}

#[test]
fn get_shared_reads_as_get_does() {
    let mut s = store();
    assert_eq!(s.get_shared("nope", at(0)).unwrap(), None);
    s.set("k", b"value", ttl(10), at(0)).unwrap();
    let value = s.get_shared("k", at(0)).unwrap().unwrap();
    assert_eq!(value, b"value");
    assert_eq!(value.clone().as_bytes(), b"value");
    assert_eq!(Vec::from(value), b"value");
    let stats = s.stats();
    assert_eq!((stats.hits, stats.misses), (1, 1));
    assert_eq!(s.get_shared("k", at(10)).unwrap(), None, "expired");
    s.list_push("l", b"x", 4, None, at(10)).unwrap();
    assert_eq!(s.get_shared("l", at(10)).unwrap_err().code(), "wrong_type");
    assert_eq!(s.get_shared("", at(10)).unwrap_err().code(), "empty_key");
    checked(&s);
}

#[test]
fn shared_values_outlive_overwrites_evictions_and_removals() {
    let mut s = small_store(2);
    s.set("a", b"one", None, at(0)).unwrap();
    let first = s.get_shared("a", at(0)).unwrap().unwrap();
    // Same size: the store must not write into the bytes a reader holds.
    s.set("a", b"two", None, at(0)).unwrap();
    assert_eq!(first, b"one");
    assert_eq!(s.get("a", at(0)).unwrap(), Some(&b"two"[..]));
    // Unshared again: an overwrite of the same size reuses the buffer, still correctly.
    drop(first);
    s.set("a", b"six", None, at(0)).unwrap();
    assert_eq!(s.get("a", at(0)).unwrap(), Some(&b"six"[..]));
    let held = s.get_shared("a", at(0)).unwrap().unwrap();
    for key in ["b", "c", "d"] {
        s.set(key, b"filler", None, at(0)).unwrap();
    }
    s.delete("a", at(0)).unwrap();
    s.clear();
    assert_eq!(held, b"six");
    assert!(held.iter().eq(b"six"));
    checked(&s);
}

#[test]
fn an_evicted_buffer_is_reused_only_when_no_reader_holds_it() {
    let mut s = small_store(1);
    s.set("k1", b"one", None, at(0)).unwrap();
    let held = s.get_shared("k1", at(0)).unwrap().unwrap();
    // Evicts k1, whose buffer has the length the next insert needs, but a reader holds it.
    s.set("k2", b"two", None, at(0)).unwrap();
    s.set("k3", b"six", None, at(0)).unwrap();
    assert_eq!(held, b"one");
    drop(held);
    // Unshared buffers of the same length are written over: every value still reads back.
    for (key, value) in [("k4", b"abc"), ("k5", b"def"), ("k6", b"ghi")] {
        s.set(key, value, None, at(0)).unwrap();
        assert_eq!(s.get(key, at(0)).unwrap(), Some(&value[..]));
        checked(&s);
    }
    assert_eq!(s.get("k5", at(0)).unwrap(), None);
    assert_eq!(s.stats().evictions_capacity, 5);
}

#[test]
fn peek_and_contains_have_no_side_effects() {
    let mut s = store();
    s.set("k", b"v", ttl(10), at(0)).unwrap();
    let before = s.stats();
    assert_eq!(s.peek("k", at(1)).unwrap(), Some(&b"v"[..]));
    assert!(s.contains("k", at(1)).unwrap());
    assert!(!s.contains("k", at(10)).unwrap());
    assert_eq!(s.peek("k", at(10)).unwrap(), None);
    assert_eq!(s.stats(), before);
}

#[test]
fn deadline_is_exclusive() {
    let mut s = store();
    s.set("k", b"v", ttl(100), at(1_000)).unwrap();
    assert_eq!(s.get("k", at(1_099)).unwrap(), Some(&b"v"[..]));
    assert_eq!(s.get("k", at(1_100)).unwrap(), None);
    assert_eq!(s.stats().evictions_expired, 1);
    assert!(s.is_empty());
    checked(&s);
}

#[test]
fn ttl_distinguishes_missing_persistent_and_remaining() {
    let mut s = store();
    s.set("p", b"v", None, at(0)).unwrap();
    s.set("t", b"v", ttl(1_000), at(0)).unwrap();
    assert_eq!(s.ttl("missing", at(0)).unwrap(), None);
    assert_eq!(s.ttl("p", at(0)).unwrap(), Some(KeyTtl::Persistent));
    assert_eq!(
        s.ttl("t", at(250)).unwrap(),
        Some(KeyTtl::Remaining(Ttl::from_millis(750).unwrap()))
    );
    assert_eq!(s.ttl("t", at(1_000)).unwrap(), None);
}

#[test]
fn add_only_stores_when_absent_or_expired() {
    let mut s = store();
    assert!(s.add("k", b"first", ttl(10), at(0)).unwrap());
    assert!(!s.add("k", b"second", None, at(5)).unwrap());
    assert_eq!(s.peek("k", at(5)).unwrap(), Some(&b"first"[..]));
    assert!(s.add("k", b"third", None, at(10)).unwrap());
    assert_eq!(s.peek("k", at(10)).unwrap(), Some(&b"third"[..]));
    checked(&s);
}

#[test]
fn delete_reports_whether_a_live_entry_was_removed() {
    let mut s = store();
    s.set("k", b"v", ttl(10), at(0)).unwrap();
    s.set("j", b"v", None, at(0)).unwrap();
    assert!(s.delete("j", at(0)).unwrap());
    assert!(!s.delete("j", at(0)).unwrap());
    assert!(
        !s.delete("k", at(10)).unwrap(),
        "expired entries are not live"
    );
    assert_eq!(s.stats().deletes, 1);
    assert!(s.is_empty());
    checked(&s);
}

#[test]
fn touch_replaces_and_removes_expiry() {
    let mut s = store();
    s.set("k", b"v", ttl(10), at(0)).unwrap();
    assert!(s.touch("k", ttl(1_000), at(5)).unwrap());
    assert_eq!(s.get("k", at(500)).unwrap(), Some(&b"v"[..]));
    assert!(s.touch("k", None, at(500)).unwrap());
    assert_eq!(s.ttl("k", at(10_000)).unwrap(), Some(KeyTtl::Persistent));
    assert_eq!(s.next_expiry(), None);
    assert!(s.touch("k", ttl(1), at(10_000)).unwrap());
    assert!(!s.touch("k", ttl(5), at(10_001)).unwrap(), "expired");
    assert!(!s.touch("missing", None, at(0)).unwrap());
    checked(&s);
}

#[test]
fn incr_follows_redis_incrby() {
    let mut s = store();
    assert_eq!(s.incr("n", 5, at(0)).unwrap(), 5);
    assert_eq!(s.incr("n", -7, at(0)).unwrap(), -2);
    assert_eq!(s.decr("n", 3, at(0)).unwrap(), -5);
    assert_eq!(s.peek("n", at(0)).unwrap(), Some(&b"-5"[..]));
    assert_eq!(s.ttl("n", at(0)).unwrap(), Some(KeyTtl::Persistent));
    let stats = s.stats();
    assert_eq!((stats.inserts, stats.updates), (1, 2));
    checked(&s);
}

#[test]
fn incr_keeps_the_ttl_and_restarts_after_expiry() {
    let mut s = store();
    s.set("n", b"10", ttl(100), at(0)).unwrap();
    assert_eq!(s.incr("n", 1, at(50)).unwrap(), 11);
    assert_eq!(
        s.ttl("n", at(50)).unwrap(),
        Some(KeyTtl::Remaining(Ttl::from_millis(50).unwrap()))
    );
    assert_eq!(
        s.incr("n", 1, at(100)).unwrap(),
        1,
        "expired counts as missing"
    );
    assert_eq!(s.ttl("n", at(100)).unwrap(), Some(KeyTtl::Persistent));
}

#[test]
fn incr_errors_change_nothing() {
    let mut s = store();
    s.set("word", b"abc", None, at(0)).unwrap();
    s.set("max", i64::MAX.to_string().as_bytes(), None, at(0))
        .unwrap();
    let before = s.export(at(0));
    assert_eq!(s.incr("word", 1, at(0)), Err(Error::NotAnInteger));
    assert_eq!(s.incr("max", 1, at(0)), Err(Error::Overflow));
    assert_eq!(s.decr("fresh", i64::MIN, at(0)), Err(Error::Overflow));
    assert_eq!(s.export(at(0)), before);
    assert!(!s.contains("fresh", at(0)).unwrap());
    checked(&s);
}

#[test]
fn integers_must_be_canonical() {
    for good in [
        "0",
        "1",
        "-1",
        "9223372036854775807",
        "-9223372036854775808",
        "120",
    ] {
        assert_eq!(parse_integer(good.as_bytes()), good.parse().ok(), "{good}");
    }
    for bad in [
        "",
        "-",
        "-0",
        "+1",
        "01",
        " 1",
        "1 ",
        "1.0",
        "1e3",
        "9223372036854775808",
        "-9223372036854775809",
        "0x10",
        "١",
    ] {
        assert_eq!(parse_integer(bad.as_bytes()), None, "{bad:?}");
    }
}

#[test]
fn invalid_keys_are_rejected_by_every_operation() {
    let mut s = Store::new(
        Limits::builder()
            .max_key_bytes(4)
            .build()
            .expect("valid limits"),
    );
    let long = "12345";
    let too_long = Error::KeyTooLong { len: 5, max: 4 };
    for (key, error) in [("", Error::EmptyKey), (long, too_long)] {
        assert_eq!(s.get(key, at(0)), Err(error.clone()));
        assert_eq!(s.peek(key, at(0)), Err(error.clone()));
        assert_eq!(s.contains(key, at(0)), Err(error.clone()));
        assert_eq!(s.set(key, b"v", None, at(0)), Err(error.clone()));
        assert_eq!(s.add(key, b"v", None, at(0)), Err(error.clone()));
        assert_eq!(s.delete(key, at(0)), Err(error.clone()));
        assert_eq!(s.touch(key, None, at(0)), Err(error.clone()));
        assert_eq!(s.ttl(key, at(0)), Err(error.clone()));
        assert_eq!(s.incr(key, 1, at(0)), Err(error.clone()));
        assert_eq!(s.decr(key, 1, at(0)), Err(error.clone()));
    }
    assert_eq!(s.stats(), Stats::default());
    // Multi-byte characters count in bytes: "éé" is 4 bytes, "ééé" 6.
    assert!(s.set("éé", b"v", None, at(0)).is_ok());
    assert_eq!(
        s.set("ééé", b"v", None, at(0)),
        Err(Error::KeyTooLong { len: 6, max: 4 })
    );
}

#[test]
fn oversized_value_is_rejected_and_the_old_value_kept() {
    let limits = Limits::builder()
        .max_entry_bytes(100)
        .build()
        .expect("valid limits");
    let mut s = Store::new(limits);
    s.set("k", b"small", ttl(1_000), at(0)).unwrap();
    let big = vec![0u8; 100];
    let weight = 1 + 100 + ENTRY_OVERHEAD;
    assert_eq!(
        s.set("k", &big, None, at(1)),
        Err(Error::EntryTooLarge { weight, max: 100 })
    );
    assert_eq!(
        s.add("other", &big, None, at(1)),
        Err(Error::EntryTooLarge {
            weight: 5 + 100 + ENTRY_OVERHEAD,
            max: 100
        })
    );
    assert_eq!(s.peek("k", at(1)).unwrap(), Some(&b"small"[..]));
    assert_eq!(
        s.ttl("k", at(1)).unwrap(),
        Some(KeyTtl::Remaining(Ttl::from_millis(999).unwrap()))
    );
    // The largest entry that fits is accepted.
    let fits = vec![0u8; (100 - 1 - ENTRY_OVERHEAD) as usize];
    s.set("k", &fits, None, at(1)).unwrap();
    checked(&s);
}

#[test]
fn ttl_constructors_reject_zero_and_too_long() {
    assert_eq!(Ttl::from_millis(0), Err(Error::ZeroTtl));
    assert_eq!(Ttl::from_secs(0), Err(Error::ZeroTtl));
    assert_eq!(
        Ttl::from_millis(Ttl::MAX_MILLIS + 1),
        Err(Error::TtlTooLong)
    );
    assert_eq!(Ttl::from_secs(u64::MAX), Err(Error::TtlTooLong));
    assert_eq!(
        Ttl::try_from(std::time::Duration::ZERO),
        Err(Error::ZeroTtl)
    );
    assert_eq!(
        Ttl::try_from(std::time::Duration::from_nanos(1_000_001))
            .unwrap()
            .as_millis(),
        2
    );
}

#[test]
fn invalid_limits_are_rejected_with_the_reason() {
    let builder = Limits::builder;
    let cases = [
        (builder().max_entries(0), InvalidLimits::NoEntries),
        (
            builder().max_entries(usize::MAX),
            InvalidLimits::TooManyEntries {
                max: Limits::ENTRIES_CEILING,
            },
        ),
        (builder().max_key_bytes(0), InvalidLimits::NoKeyBytes),
        (
            builder().max_key_bytes(70_000),
            InvalidLimits::KeyBytesTooLarge { max: 65_535 },
        ),
        (
            builder().max_entry_bytes(10),
            InvalidLimits::EntryTooSmall {
                max_entry_bytes: 10,
            },
        ),
        (
            builder().max_bytes(10).max_entry_bytes(100),
            InvalidLimits::EntryLargerThanTotal {
                max_entry_bytes: 100,
                max_bytes: 10,
            },
        ),
        (
            builder().max_bytes(u64::MAX).max_entry_bytes(u64::MAX),
            InvalidLimits::EntryBytesTooLarge {
                max: Limits::ENTRY_BYTES_CEILING,
            },
        ),
    ];
    for (builder, expected) in cases {
        assert_eq!(builder.build(), Err(expected), "{builder:?}");
        assert_eq!(Error::from(expected).code(), "invalid_limits");
    }
    // A small total lowers the default entry limit; an explicit entry limit is kept.
    let small = builder().max_bytes(500).build().expect("valid");
    assert_eq!(small.max_entry_bytes(), 500);
    assert_eq!(small.to_builder().build(), Ok(small));
}

#[test]
fn limits_serialize_as_their_four_fields_and_deserialize_checked() {
    let limits = Limits::builder()
        .max_entries(7)
        .max_bytes(4_000)
        .build()
        .expect("valid");
    let json = serde_json::to_string(&limits).expect("serializes");
    assert_eq!(
        json,
        r#"{"max_entries":7,"max_bytes":4000,"max_entry_bytes":4000,"max_key_bytes":1024}"#
    );
    assert_eq!(
        serde_json::from_str::<Limits>(&json).expect("parses"),
        limits
    );
    assert!(serde_json::from_str::<Limits>(r#"{"max_entries":0}"#).is_err());
    assert!(serde_json::from_str::<Limits>(r#"{"max_entrys":5}"#).is_err());
}

#[test]
fn entry_limit_is_never_exceeded() {
    let mut s = small_store(10);
    for i in 0..100 {
        s.set(&format!("k{i}"), b"v", None, at(i)).unwrap();
        assert!(s.len() <= 10);
        checked(&s);
    }
    assert_eq!(s.len(), 10);
    assert_eq!(s.stats().evictions_capacity, 90);
}

#[test]
fn byte_limit_is_never_exceeded() {
    let limits = Limits::builder()
        .max_bytes(1_000)
        .max_entry_bytes(500)
        .build()
        .expect("valid limits");
    let mut s = Store::new(limits);
    for i in 0..200u64 {
        let value = vec![b'x'; (i as usize * 37) % 400];
        s.set(&format!("key{i}"), &value, None, at(i)).unwrap();
        assert!(s.weight() <= 1_000, "weight {} after {i}", s.weight());
        checked(&s);
    }
}

#[test]
fn growing_update_makes_room_without_evicting_itself() {
    let limits = Limits::builder()
        .max_bytes(600)
        .max_entry_bytes(600)
        .build()
        .expect("valid limits");
    let mut s = Store::new(limits);
    for i in 0..5 {
        s.set(&format!("k{i}"), b"v", None, at(0)).unwrap();
    }
    let big = vec![b'x'; 600 - 2 - ENTRY_OVERHEAD as usize];
    s.set("k0", &big, None, at(0)).unwrap();
    assert_eq!(
        s.peek("k0", at(0)).unwrap().map(<[u8]>::len),
        Some(big.len())
    );
    assert_eq!(s.len(), 1);
    checked(&s);
}

#[test]
fn expired_entries_are_reclaimed_before_live_ones_are_evicted() {
    let mut s = small_store(4);
    s.set("live1", b"v", None, at(0)).unwrap();
    s.set("short1", b"v", ttl(10), at(0)).unwrap();
    s.set("live2", b"v", None, at(0)).unwrap();
    s.set("short2", b"v", ttl(10), at(0)).unwrap();
    // Both short entries expire; the next two inserts must take their room.
    s.set("new1", b"v", None, at(10)).unwrap();
    s.set("new2", b"v", None, at(10)).unwrap();
    for key in ["live1", "live2", "new1", "new2"] {
        assert!(s.contains(key, at(10)).unwrap(), "{key} must survive");
    }
    let stats = s.stats();
    assert_eq!((stats.evictions_expired, stats.evictions_capacity), (2, 0));
    checked(&s);
}

#[test]
fn writes_reclaim_expired_entries_without_reads() {
    let mut s = store();
    for i in 0..10 {
        s.set(&format!("t{i}"), b"v", ttl(5), at(0)).unwrap();
    }
    for i in 0..5 {
        s.set(&format!("p{i}"), b"v", None, at(10)).unwrap();
    }
    assert_eq!(s.len(), 5, "each write reclaimed two expired entries");
    assert_eq!(s.stats().evictions_expired, 10);
}

#[test]
fn purge_and_next_expiry_let_hosts_schedule_reclamation() {
    let mut s = store();
    assert_eq!(s.next_expiry(), None);
    s.set("a", b"v", ttl(30), at(0)).unwrap();
    s.set("b", b"v", ttl(10), at(0)).unwrap();
    s.set("c", b"v", None, at(0)).unwrap();
    assert_eq!(s.next_expiry(), Some(at(10)));
    assert_eq!(s.purge_expired(at(9)), 0);
    assert_eq!(s.purge_expired(at(10)), 1);
    assert_eq!(s.next_expiry(), Some(at(30)));
    assert_eq!(s.purge_expired(at(1_000)), 1);
    assert_eq!(s.next_expiry(), None);
    assert_eq!(s.len(), 1);
    checked(&s);
}

#[test]
fn time_going_backwards_never_resurrects_an_entry() {
    let mut s = store();
    s.set("k", b"v", ttl(100), at(1_000)).unwrap();
    assert_eq!(s.get("k", at(1_200)).unwrap(), None);
    s.set("j", b"v", ttl(100), at(1_200)).unwrap();
    // The clock steps back: "j" is still timed from 1,200, "k" stays gone.
    assert_eq!(s.get("k", at(500)).unwrap(), None);
    assert_eq!(
        s.ttl("j", at(500)).unwrap(),
        Some(KeyTtl::Remaining(Ttl::from_millis(100).unwrap()))
    );
    s.set("m", b"v", ttl(50), at(0)).unwrap();
    assert_eq!(s.next_expiry(), Some(at(1_250)));
    checked(&s);
}

#[test]
fn reads_record_time_too() {
    let mut s = store();
    s.set("k", b"v", ttl(10), at(0)).unwrap();
    assert!(!s.contains("k", at(10)).unwrap());
    // Reads at an earlier time after a read at a later one still see the entry expired.
    assert!(!s.contains("k", at(5)).unwrap());
    assert_eq!(s.peek("k", at(5)).unwrap(), None);
    assert_eq!(s.ttl("k", at(5)).unwrap(), None);
    assert!(s.export(at(5)).entries.is_empty());
    // A refused read records nothing.
    let mut t = store();
    t.set("k", b"v", ttl(10), at(0)).unwrap();
    assert!(t.contains("", at(50)).is_err());
    assert!(t.contains("k", at(5)).unwrap());
}

#[test]
fn clear_removes_everything() {
    let mut s = store();
    for i in 0..50 {
        s.set(&format!("k{i}"), b"v", ttl(100), at(0)).unwrap();
    }
    s.clear();
    assert!(s.is_empty());
    assert_eq!(s.weight(), 0);
    assert_eq!(s.next_expiry(), None);
    assert_eq!(s.get("k1", at(0)).unwrap(), None);
    s.set("again", b"v", None, at(0)).unwrap();
    checked(&s);
}

#[test]
fn scan_does_not_flush_the_working_set() {
    let mut s = small_store(100);
    let hot: Vec<String> = (0..50).map(|i| format!("hot{i}")).collect();
    for round in 0..4 {
        for key in &hot {
            if s.get(key, at(round)).unwrap().is_none() {
                s.set(key, b"v", None, at(round)).unwrap();
            }
        }
    }
    // A scan of 1,000 one-hit keys, each read once after insertion.
    for i in 0..1_000 {
        let key = format!("scan{i}");
        s.set(&key, b"v", None, at(10)).unwrap();
    }
    let survivors = hot
        .iter()
        .filter(|k| s.contains(k, at(10)).unwrap())
        .count();
    assert!(
        survivors >= 45,
        "only {survivors} of 50 hot keys survived the scan"
    );
    checked(&s);
}

#[test]
fn ghost_hit_readmits_to_main_queue() {
    let mut s = small_store(20);
    // "comeback" is inserted, evicted unread from the small queue, then comes back.
    s.set("comeback", b"v", None, at(0)).unwrap();
    for i in 0..40 {
        s.set(&format!("filler{i}"), b"v", None, at(0)).unwrap();
    }
    assert!(!s.contains("comeback", at(0)).unwrap());
    s.set("comeback", b"v", None, at(0)).unwrap();
    // A further one-hit stream must not push it out quickly: it sits in the main queue.
    for i in 0..5 {
        s.set(&format!("more{i}"), b"v", None, at(0)).unwrap();
    }
    assert!(s.contains("comeback", at(0)).unwrap());
    checked(&s);
}

#[test]
fn export_import_round_trip_keeps_deadlines() {
    let mut s = store();
    s.set("p", b"persistent", None, at(0)).unwrap();
    s.set("t", b"timed", ttl(1_000), at(0)).unwrap();
    s.set("soon", b"expires", ttl(100), at(0)).unwrap();
    let snapshot = s.export(at(50));
    assert_eq!(snapshot.entries.len(), 3);

    let json = serde_json::to_string(&snapshot).unwrap();
    let restored: Snapshot = serde_json::from_str(&json).unwrap();
    let mut t = store();
    // 200 ms pass between export and import: "soon" is dropped, "t" has 800 ms left.
    let summary = t.import(&restored, at(200)).unwrap();
    assert_eq!((summary.imported, summary.expired), (2, 1));
    assert_eq!(t.peek("p", at(200)).unwrap(), Some(&b"persistent"[..]));
    assert_eq!(
        t.ttl("t", at(200)).unwrap(),
        Some(KeyTtl::Remaining(Ttl::from_millis(800).unwrap()))
    );
    assert!(!t.contains("soon", at(200)).unwrap());
    checked(&t);
}

#[test]
fn a_member_set_never_outlives_its_members() {
    // Found by the fuzzer: neither a forged snapshot deadline (none) nor `touch` may keep a set
    // with no live member; both may end one early.
    let member = |name: &str, ms| SnapshotMember {
        member: name.into(),
        expires_at: at(ms),
    };
    let snapshot = Snapshot {
        version: Snapshot::VERSION,
        entries: vec![
            SnapshotEntry {
                key: "never".into(),
                value: SnapshotValue::Members(vec![member("ann", 100)]),
                expires_at: None,
            },
            SnapshotEntry {
                key: "early".into(),
                value: SnapshotValue::Members(vec![member("bob", 300)]),
                expires_at: Some(at(200)),
            },
        ],
    };
    let mut s = store();
    let summary = s.import(&snapshot, at(50)).unwrap();
    assert_eq!((summary.imported, summary.expired), (2, 0));
    let remaining = |ms| Some(KeyTtl::Remaining(Ttl::from_millis(ms).unwrap()));
    assert_eq!(s.ttl("never", at(50)).unwrap(), remaining(50));
    assert_eq!(s.ttl("early", at(50)).unwrap(), remaining(150));
    assert_eq!(s.purge_expired(at(100)), 1);
    assert_eq!(s.len(), s.export(at(100)).entries.len());
    assert_eq!(s.purge_expired(at(200)), 1);

    s.member_add("room", "cy", Ttl::from_millis(100).unwrap(), at(200))
        .unwrap();
    assert!(s.touch("room", ttl(1_000), at(200)).unwrap());
    assert_eq!(s.ttl("room", at(200)).unwrap(), remaining(100));
    assert!(s.touch("room", None, at(200)).unwrap());
    assert_eq!(s.ttl("room", at(200)).unwrap(), remaining(100));
    assert!(s.touch("room", ttl(10), at(200)).unwrap());
    assert!(!s.contains("room", at(210)).unwrap());
    checked(&s);
}

#[test]
fn import_is_all_or_nothing() {
    let mut s = store();
    s.set("keep", b"v", None, at(0)).unwrap();
    let snapshot = Snapshot {
        version: Snapshot::VERSION,
        entries: vec![
            SnapshotEntry {
                key: "fine".into(),
                value: b"v".to_vec().into(),
                expires_at: None,
            },
            SnapshotEntry {
                key: String::new(),
                value: b"v".to_vec().into(),
                expires_at: None,
            },
        ],
    };
    assert_eq!(s.import(&snapshot, at(0)), Err(Error::EmptyKey));
    let future = Snapshot {
        version: 99,
        entries: vec![],
    };
    assert_eq!(
        s.import(&future, at(0)),
        Err(Error::UnsupportedSnapshot { version: 99 })
    );
    assert_eq!(s.export(at(0)).entries.len(), 1);
    assert!(!s.contains("fine", at(0)).unwrap());
}

#[test]
fn import_respects_limits_and_keeps_the_most_valuable() {
    let mut big = store();
    for i in 0..100 {
        big.set(&format!("k{i}"), b"v", None, at(0)).unwrap();
    }
    let mut small = small_store(10);
    small.import(&big.export(at(0)), at(0)).unwrap();
    assert_eq!(small.len(), 10);
    // The newest entries were exported last and survive.
    assert!(small.contains("k99", at(0)).unwrap());
    checked(&small);
}

#[test]
fn error_codes_are_stable() {
    let codes = [
        (Error::EmptyKey, "empty_key"),
        (Error::KeyTooLong { len: 2, max: 1 }, "key_too_long"),
        (
            Error::EntryTooLarge { weight: 2, max: 1 },
            "entry_too_large",
        ),
        (Error::ZeroTtl, "zero_ttl"),
        (Error::TtlTooLong, "ttl_too_long"),
        (Error::NotAnInteger, "not_an_integer"),
        (Error::Overflow, "overflow"),
        (
            Error::InvalidLimits(InvalidLimits::NoEntries),
            "invalid_limits",
        ),
        (
            Error::WrongType {
                expected: Kind::Bytes,
                found: Some(Kind::List),
            },
            "wrong_type",
        ),
        (Error::InvalidCap { cap: 0, max: 9 }, "invalid_cap"),
        (Error::EmptyMember, "empty_member"),
        (Error::MemberTooLong { len: 2, max: 1 }, "member_too_long"),
        (Error::InvalidSnapshot("x"), "invalid_snapshot"),
        (
            Error::UnsupportedSnapshot { version: 2 },
            "unsupported_snapshot",
        ),
    ];
    for (error, code) in codes {
        assert_eq!(error.code(), code);
        assert!(!error.to_string().is_empty());
    }
}

#[test]
fn stats_of_several_stores_add_up() {
    let mut a = store();
    let mut b = store();
    a.set("k", b"v", None, at(0)).unwrap();
    a.get("k", at(0)).unwrap();
    b.get("k", at(0)).unwrap();
    b.set("j", b"vv", None, at(0)).unwrap();
    b.delete("j", at(0)).unwrap();
    let total: Stats = [a.stats(), b.stats()].into_iter().sum();
    let expected = Stats {
        hits: 1,
        misses: 1,
        inserts: 2,
        deletes: 1,
        entries: 1,
        bytes: 1 + 1 + ENTRY_OVERHEAD,
        ..Stats::default()
    };
    assert_eq!(total, expected);
}

#[test]
fn hash_seed_does_not_change_behaviour() {
    let mut a = Store::with_hash_seed(Limits::default(), 1);
    let mut b = Store::with_hash_seed(Limits::default(), 0xdead_beef);
    for s in [&mut a, &mut b] {
        for i in 0..100 {
            s.set(&format!("k{i}"), b"v", None, at(0)).unwrap();
        }
    }
    assert_eq!(a.export(at(0)), b.export(at(0)));
}

#[test]
fn lists_and_member_sets_count_hits_misses_and_writes() {
    let mut s = store();
    let now = at(0);
    s.list_push("h", b"1", 5, None, now).unwrap();
    s.list_push("h", b"2", 5, None, now).unwrap();
    assert_eq!(s.list_range("h", 0, -1, now).unwrap().len(), 2);
    assert_eq!(s.list_range("none", 0, -1, now).unwrap().len(), 0);
    s.member_add("m", "ada", Ttl::from_secs(1).unwrap(), now)
        .unwrap();
    assert_eq!(s.members("m", now).unwrap().count(), 1);
    assert_eq!(s.members("none", now).unwrap().count(), 0);
    let stats = s.stats();
    assert_eq!((stats.hits, stats.misses), (2, 2));
    assert_eq!((stats.inserts, stats.updates), (2, 1));
    // A list weighs its key, each item + ITEM_OVERHEAD, and ENTRY_OVERHEAD.
    let list = 1 + 2 * (1 + crate::ITEM_OVERHEAD) + ENTRY_OVERHEAD;
    let set = 1 + 3 + crate::ITEM_OVERHEAD + ENTRY_OVERHEAD;
    assert_eq!(s.weight(), list + set);
    checked(&s);
}

#[test]
fn expired_members_are_pruned_by_reads_and_the_set_goes_with_the_last() {
    let mut s = store();
    s.member_add("m", "ada", Ttl::from_millis(10).unwrap(), at(0))
        .unwrap();
    s.member_add("m", "bob", Ttl::from_millis(20).unwrap(), at(0))
        .unwrap();
    // Persisting the key keeps it past its members; reads prune them.
    assert!(s.touch("m", None, at(5)).unwrap());
    assert_eq!(s.members("m", at(15)).unwrap().collect::<Vec<_>>(), ["bob"]);
    assert_eq!(
        s.ttl("m", at(15)).unwrap(),
        Some(KeyTtl::Remaining(Ttl::from_millis(5).unwrap()))
    );
    assert_eq!(s.members("m", at(20)).unwrap().count(), 0);
    assert!(!s.contains("m", at(20)).unwrap());
    assert!(s.is_empty());
    checked(&s);
}

#[test]
fn deadlines_survive_the_epoch_moving_over_months() {
    let mut s = store();
    let start = 1_700_000_000_000;
    let day = 86_400_000;
    s.set(
        "year",
        b"v",
        Some(Ttl::from_millis(365 * day).unwrap()),
        at(start),
    )
    .unwrap();
    s.set(
        "week",
        b"v",
        Some(Ttl::from_millis(7 * day).unwrap()),
        at(start),
    )
    .unwrap();
    for month in 1..=11 {
        let now = at(start + month * 30 * day);
        s.set("tick", b"v", None, now).unwrap();
        let left = 365 * day - month * 30 * day;
        assert_eq!(
            s.ttl("year", now).unwrap(),
            Some(KeyTtl::Remaining(Ttl::from_millis(left).unwrap())),
            "month {month}"
        );
        assert!(!s.contains("week", now).unwrap());
        checked(&s);
    }
    assert_eq!(s.next_expiry(), Some(at(start + 365 * day)));
    assert!(!s.contains("year", at(start + 365 * day)).unwrap());
}

#[test]
fn hashed_keys_reach_the_same_entries_as_strings() {
    let hasher = crate::KeyHasher::new(7);
    let mut s = Store::with_hasher(Limits::default(), hasher);
    let key = hasher.hash("room:1");
    s.set(key, b"v", None, at(0)).unwrap();
    assert_eq!(s.get("room:1", at(0)).unwrap(), Some(&b"v"[..]));
    assert!(s.delete(key, at(0)).unwrap());
    assert!(!s.contains("room:1", at(0)).unwrap());
}
