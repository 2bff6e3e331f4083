//! Lists and member sets as Redis stores them (the layout in `native/README.md`): a list's
//! element 0 is a header holding the sum of its items' bytes, a member set holds a sentinel
//! scored `+inf` whose name carries the sum of its members' bytes. Against a real
//! redis-server, read back with raw commands:
//!
//! - property tests drive random pushes, ranges and lengths (and adds, removes, member reads)
//!   through `RedisCache` and through the core's `Store`, and after every step compare results
//!   error for error and check the raw layout: the total equals the real sum after pushes, cap
//!   drops and byte-budget trims, the items are the core's, and the expiry is kept;
//! - `LRANGE` index translation is checked exhaustively against the core's `range_bounds`, on
//!   lists with and without a header;
//! - lists and sorted sets written by another program are read as they are and adopted by
//!   the first change;
//! - expired members' bytes leave the total as they are pruned by every operation;
//! - a push reads nothing but the items it drops (`INFO commandstats`).
//!
//! Failures are shrunk and recorded in `native/proptest-regressions/redis_collections.txt`.

#![cfg(feature = "redis")]

mod common;

use std::cell::RefCell;
use std::time::Duration;

use chatcache::core::{Store, Timestamp, Ttl, range_bounds};
use chatcache::testing::RedisServer;
use chatcache::testing::redis::{self, Connection};
use chatcache::{Cache, CacheError, Limits, Namespace, RedisCache};
use common::{admin, calls};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner};

/// How a list's header and a member set's sentinel begin; the decimal byte sum follows.
const MARKER: &[u8] = b"\xffchatcache:bytes=";
/// A small entry limit, so that pushes trim by bytes and adds are refused.
const MAX_ENTRY_BYTES: u64 = 400;
/// Keys the property tests spread over.
const KEYS: [&str; 3] = ["h0", "h1", "h2"];
/// A TTL no test outlives.
const LONG: Duration = Duration::from_secs(600);

/// The byte sum a header or sentinel records, if `raw` is one.
fn recorded_bytes(raw: &[u8]) -> Option<u64> {
    let digits = raw.strip_prefix(MARKER)?;
    std::str::from_utf8(digits).ok()?.parse().ok()
}

fn limits() -> Limits {
    Limits::builder()
        .max_entry_bytes(MAX_ENTRY_BYTES)
        .build()
        .expect("valid limits")
}

async fn connect(server: &RedisServer, namespace: &str, limits: Limits) -> RedisCache {
    let mut config = common::redis_config(&server.url());
    config.namespace = Namespace::new(namespace).expect("valid namespace");
    config.limits = limits;
    RedisCache::connect(&config)
        .await
        .expect("test Redis answers")
}

fn code<T>(result: &Result<T, CacheError>) -> Option<&'static str> {
    result.as_ref().err().map(CacheError::code)
}

fn core_code<T>(result: &Result<T, chatcache::core::Error>) -> Option<&'static str> {
    result.as_ref().err().map(chatcache::core::Error::code)
}

/// A test runner recording failures in `native/proptest-regressions/<file>`.
fn runner(cases: u32, file: &'static str) -> TestRunner {
    TestRunner::new(Config {
        cases,
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(file))),
        ..Config::default()
    })
}

/// The whole raw list under `full`.
fn raw_list(con: &mut Connection, full: &str) -> Vec<Vec<u8>> {
    redis::cmd("LRANGE")
        .arg(full)
        .arg(0)
        .arg(-1)
        .query(con)
        .expect("LRANGE")
}

/// The list under `full` is `expected` behind a header holding their byte sum (or no key at
/// all if `expected` is empty).
fn check_list_layout(
    con: &mut Connection,
    full: &str,
    expected: &[Vec<u8>],
) -> Result<(), TestCaseError> {
    let raw = raw_list(con, full);
    if expected.is_empty() {
        prop_assert!(raw.is_empty(), "no key for an empty list: {raw:?}");
        return Ok(());
    }
    let (header, items) = raw.split_first().expect("a list holds its header");
    let sum: u64 = items.iter().map(|item| item.len() as u64).sum();
    prop_assert_eq!(
        recorded_bytes(header),
        Some(sum),
        "the header holds the byte sum"
    );
    prop_assert_eq!(items, expected, "the items are the core's");
    Ok(())
}

/// The raw sorted set under `full`: (member, score) pairs in score order.
fn raw_set(con: &mut Connection, full: &str) -> Vec<(Vec<u8>, String)> {
    redis::cmd("ZRANGE")
        .arg(full)
        .arg(0)
        .arg(-1)
        .arg("WITHSCORES")
        .query(con)
        .expect("ZRANGE")
}

/// The set under `full` holds `expected` (in byte order) and, scored `+inf` after them, a
/// sentinel holding their byte sum; the key expires at the latest member deadline. No key at
/// all if `expected` is empty.
fn check_set_layout(
    con: &mut Connection,
    full: &str,
    expected: &[String],
) -> Result<(), TestCaseError> {
    let raw = raw_set(con, full);
    if expected.is_empty() {
        prop_assert!(raw.is_empty(), "no key for an empty set: {raw:?}");
        return Ok(());
    }
    let ((sentinel, score), members) = raw.split_last().expect("a set holds its sentinel");
    prop_assert_eq!(score, "inf", "the sentinel never expires");
    let sum: u64 = members.iter().map(|(name, _)| name.len() as u64).sum();
    prop_assert_eq!(
        recorded_bytes(sentinel),
        Some(sum),
        "the sentinel holds the byte sum"
    );
    let mut names: Vec<String> = members
        .iter()
        .map(|(name, _)| String::from_utf8(name.clone()).expect("UTF-8 member"))
        .collect();
    names.sort_unstable();
    prop_assert_eq!(&names, expected, "the members are the core's");
    let latest: u64 = members
        .last()
        .and_then(|(_, score)| score.parse().ok())
        .expect("a finite deadline");
    let expire_at: u64 = redis::cmd("PEXPIRETIME")
        .arg(full)
        .query(con)
        .expect("PEXPIRETIME");
    prop_assert_eq!(expire_at, latest, "the key expires with its latest member");
    Ok(())
}

#[derive(Clone, Debug)]
enum ListOp {
    Push {
        key: usize,
        item: Vec<u8>,
        cap: u64,
        ttl: bool,
    },
    Range {
        key: usize,
        start: i64,
        stop: i64,
    },
    Len {
        key: usize,
    },
}

fn index() -> impl Strategy<Value = i64> {
    prop_oneof![
        6 => -12_i64..12,
        1 => Just(i64::MIN),
        1 => Just(i64::MAX),
        1 => any::<i64>(),
    ]
}

fn item() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        // Any bytes, from empty to too heavy to fit alone (over 334 bytes).
        4 => vec(any::<u8>(), 0..=340),
        // Items that look like a header are items like any other.
        1 => (0_u64..1000).prop_map(|n| [MARKER, n.to_string().as_bytes()].concat()),
    ]
}

fn list_ops() -> impl Strategy<Value = Vec<ListOp>> {
    let key = 0..KEYS.len();
    let op = prop_oneof![
        4 => (key.clone(), item(), 1_u64..8, any::<bool>())
            .prop_map(|(key, item, cap, ttl)| ListOp::Push { key, item, cap, ttl }),
        2 => (key.clone(), index(), index())
            .prop_map(|(key, start, stop)| ListOp::Range { key, start, stop }),
        1 => key.prop_map(|key| ListOp::Len { key }),
    ];
    vec(op, 1..40)
}

/// Random pushes (cap drops, byte-budget trims), ranges and lengths give what the core gives,
/// and leave every list as its header and the core's items, with its expiry kept.
#[test]
fn lists_match_the_core_and_keep_a_true_header() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let server = RedisServer::start();
    let cache = runtime.block_on(connect(&server, "lists", limits()));
    // `TestRunner::run` takes an `Fn`.
    let con = RefCell::new(server.connection());
    let full: Vec<String> = KEYS.iter().map(|key| cache.redis_key(key)).collect();
    let now = Timestamp::from_millis(0);
    let result = runner(
        64,
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/proptest-regressions/redis_collections.txt"
        ),
    )
    .run(&list_ops(), |ops| {
        let con = &mut *con.borrow_mut();
        let _: () = redis::cmd("DEL").arg(&full).query(con).expect("DEL");
        let mut model = Store::new(limits());
        let mut expiring = [false; KEYS.len()];
        for op in ops {
            match op {
                ListOp::Push {
                    key,
                    item,
                    cap,
                    ttl,
                } => {
                    let expiry = ttl.then_some(LONG);
                    let got =
                        runtime.block_on(cache.list_push(KEYS[key], &item, cap as usize, expiry));
                    let ttl = expiry.map(|d| Ttl::try_from(d).expect("a valid ttl"));
                    let want = model.list_push(KEYS[key], &item, cap, ttl, now);
                    prop_assert_eq!(code(&got), core_code(&want), "{:?} {:?}", got, want);
                    if let (Ok(got), Ok(want)) = (got, want) {
                        prop_assert_eq!(got, want, "length after a push");
                        expiring[key] |= ttl.is_some();
                    }
                    let items: Vec<Vec<u8>> = model
                        .list_range(KEYS[key], 0, -1, now)
                        .expect("a list")
                        .map(<[u8]>::to_vec)
                        .collect();
                    check_list_layout(con, &full[key], &items)?;
                    if !items.is_empty() {
                        let pttl: i64 =
                            redis::cmd("PTTL").arg(&full[key]).query(con).expect("PTTL");
                        prop_assert_eq!(pttl > 0, expiring[key], "expiry kept: {}", pttl);
                    }
                }
                ListOp::Range { key, start, stop } => {
                    let got = runtime
                        .block_on(cache.list_range(KEYS[key], start, stop))
                        .expect("list_range");
                    let want: Vec<Vec<u8>> = model
                        .list_range(KEYS[key], start, stop, now)
                        .expect("a list")
                        .map(<[u8]>::to_vec)
                        .collect();
                    prop_assert_eq!(got, want, "list_range({}, {})", start, stop);
                }
                ListOp::Len { key } => {
                    let got = runtime
                        .block_on(cache.list_len(KEYS[key]))
                        .expect("list_len");
                    let want = model.list_len(KEYS[key], now).expect("a list");
                    prop_assert_eq!(got, want, "list_len");
                }
            }
        }
        Ok(())
    });
    if let Err(error) = result {
        panic!("{error}");
    }
}

#[derive(Clone, Debug)]
enum SetOp {
    Add { key: usize, member: usize },
    Remove { key: usize, member: usize },
    Members { key: usize },
}

/// Members a sequence picks from: 1 to 120 characters of one letter (`ö` and `李` take 2 and
/// 3 bytes), so sets of a few members land on every side of the entry limit.
fn member_pool() -> impl Strategy<Value = Vec<String>> {
    let letter = prop_oneof![Just('a'), Just('b'), Just('c'), Just('ö'), Just('李')];
    vec(
        (letter, 1_usize..=120).prop_map(|(letter, n)| letter.to_string().repeat(n)),
        6,
    )
}

fn set_ops() -> impl Strategy<Value = (Vec<String>, Vec<SetOp>)> {
    let key = 0..KEYS.len();
    let member = 0_usize..6;
    let op = prop_oneof![
        4 => (key.clone(), member.clone()).prop_map(|(key, member)| SetOp::Add { key, member }),
        2 => (key.clone(), member).prop_map(|(key, member)| SetOp::Remove { key, member }),
        1 => key.prop_map(|key| SetOp::Members { key }),
    ];
    (member_pool(), vec(op, 1..40))
}

/// Random adds (some refused as too heavy), removes and reads give what the core gives, and
/// leave every set as the core's members plus a sentinel holding their byte sum.
#[test]
fn member_sets_match_the_core_and_keep_a_true_sentinel() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let server = RedisServer::start();
    let cache = runtime.block_on(connect(&server, "sets", limits()));
    // `TestRunner::run` takes an `Fn`.
    let con = RefCell::new(server.connection());
    let full: Vec<String> = KEYS.iter().map(|key| cache.redis_key(key)).collect();
    // No member expires during the test, so the model's clock stands still.
    let now = Timestamp::from_millis(0);
    let ttl = Ttl::try_from(LONG).expect("a valid ttl");
    let result = runner(
        64,
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/proptest-regressions/redis_collections.txt"
        ),
    )
    .run(&set_ops(), |(pool, ops)| {
        let con = &mut *con.borrow_mut();
        let _: () = redis::cmd("DEL").arg(&full).query(con).expect("DEL");
        let mut model = Store::new(limits());
        for op in ops {
            let key = match op {
                SetOp::Add { key, member } => {
                    let member = pool[member].as_str();
                    let got = runtime.block_on(cache.member_add(KEYS[key], member, LONG));
                    let want = model.member_add(KEYS[key], member, ttl, now);
                    prop_assert_eq!(code(&got), core_code(&want), "{:?} {:?}", got, want);
                    if let (Ok(got), Ok(want)) = (got, want) {
                        prop_assert_eq!(got, want, "member_add({})", member);
                    }
                    key
                }
                SetOp::Remove { key, member } => {
                    let member = pool[member].as_str();
                    let got = runtime
                        .block_on(cache.member_remove(KEYS[key], member))
                        .expect("member_remove");
                    let want = model.member_remove(KEYS[key], member, now).expect("a set");
                    prop_assert_eq!(got, want, "member_remove({})", member);
                    key
                }
                SetOp::Members { key } => {
                    let got = runtime.block_on(cache.members(KEYS[key])).expect("members");
                    let want: Vec<String> = model
                        .members(KEYS[key], now)
                        .expect("a set")
                        .map(str::to_owned)
                        .collect();
                    prop_assert_eq!(got, want, "members");
                    key
                }
            };
            let members: Vec<String> = model
                .members(KEYS[key], now)
                .expect("a set")
                .map(str::to_owned)
                .collect();
            check_set_layout(con, &full[key], &members)?;
        }
        Ok(())
    });
    if let Err(error) = result {
        panic!("{error}");
    }
}

/// Every `start`/`stop` from −8 to 8 selects what Redis `LRANGE` selects, on lists of 0 to 5
/// items both with a header (pushed by chatcache) and without (written by another program).
#[tokio::test]
async fn ranges_translate_lrange_indices_past_the_header() {
    let server = RedisServer::start();
    let cache = connect(&server, "ranges", Limits::default()).await;
    for len in 0..=5_usize {
        let items: Vec<Vec<u8>> = (0..len).map(|i| format!("m{i}").into_bytes()).collect();
        let (headed, plain) = (format!("headed:{len}"), format!("plain:{len}"));
        for item in &items {
            cache
                .list_push(&headed, item, 10, None)
                .await
                .expect("push");
            let _: () = redis::cmd("RPUSH")
                .arg(cache.redis_key(&plain))
                .arg(item)
                .query(&mut server.connection())
                .expect("RPUSH");
        }
        for start in -8..=8 {
            for stop in -8..=8 {
                let want = &items[range_bounds(len, start, stop)];
                for key in [&headed, &plain] {
                    let got = cache.list_range(key, start, stop).await.expect("range");
                    assert_eq!(got, want, "{key}: list_range({start}, {stop})");
                }
            }
        }
        assert_eq!(cache.list_len(&headed).await.expect("len"), len);
        assert_eq!(cache.list_len(&plain).await.expect("len"), len);
    }
}

/// A list written by another program is read as it is (and left so by reads); the first
/// push adopts it: it sums the items once, trims them like any list, keeps the expiry and
/// writes the header.
#[tokio::test]
async fn plain_lists_are_read_as_they_are_and_adopted_by_a_push() {
    let server = RedisServer::start();
    let cache = connect(&server, "adopt", limits()).await;
    let _: () = admin(&server, &["RPUSH", "adopt:room", "a", "bb", "ccc"]);
    let _: () = admin(&server, &["PEXPIRE", "adopt:room", "60000"]);
    assert_eq!(cache.list_len("room").await.expect("len"), 3);
    assert_eq!(
        cache.list_range("room", -2, -1).await.expect("range"),
        [b"bb".to_vec(), b"ccc".to_vec()]
    );
    let raw: Vec<Vec<u8>> = admin(&server, &["LRANGE", "adopt:room", "0", "-1"]);
    assert_eq!(raw, [&b"a"[..], b"bb", b"ccc"], "reads write nothing");

    assert_eq!(
        cache
            .list_push("room", b"dddd", 3, None)
            .await
            .expect("push"),
        3
    );
    let raw: Vec<Vec<u8>> = admin(&server, &["LRANGE", "adopt:room", "0", "-1"]);
    assert_eq!(
        raw,
        [&b"\xffchatcache:bytes=9"[..], b"bb", b"ccc", b"dddd"],
        "adopted: a header, the cap kept"
    );
    let pttl: i64 = admin(&server, &["PTTL", "adopt:room"]);
    assert!(pttl > 0, "the expiry is kept: {pttl}");

    // Over the byte budget as written: the first push trims it like any list. Five items of
    // 100 bytes under a key of 3 bytes: 400 − 3 − 48 = 349 bytes for items, each weighing
    // 116, so the newest two stay beside the new one.
    let hundred = "x".repeat(100);
    let mut rpush = vec!["RPUSH", "adopt:big"];
    rpush.extend([hundred.as_str(); 5]);
    let _: () = admin(&server, &rpush);
    assert_eq!(
        cache
            .list_push("big", hundred.as_bytes(), 100, None)
            .await
            .expect("push"),
        3
    );
    let raw: Vec<Vec<u8>> = admin(&server, &["LRANGE", "adopt:big", "0", "-1"]);
    assert_eq!(raw.len(), 4);
    assert_eq!(raw[0], b"\xffchatcache:bytes=300");
}

/// A sorted set written by another program is read as it is while nothing in it changes; the
/// first change (an add, a remove, or a read that prunes) adopts it and writes the sentinel.
#[tokio::test]
async fn plain_sorted_sets_are_adopted_by_their_first_change() {
    let server = RedisServer::start();
    let cache = connect(&server, "adopt", limits()).await;
    let later = server_millis(&server) + 60_000;
    let later = later.to_string();
    let zadd = |key: &str, members: &[(&str, &str)]| {
        let mut args = vec!["ZADD", key];
        for (score, member) in members {
            args.extend([*score, *member]);
        }
        let _: () = admin(&server, &args);
    };

    // Nothing expired: read as it is, untouched.
    zadd("adopt:quiet", &[(&later, "bob"), (&later, "ada")]);
    assert_eq!(
        cache.members("quiet").await.expect("members"),
        ["ada", "bob"]
    );
    let card: u64 = admin(&server, &["ZCARD", "adopt:quiet"]);
    assert_eq!(card, 2, "reads write nothing");
    // The first add adopts it.
    assert!(cache.member_add("quiet", "cy", LONG).await.expect("add"));
    assert_eq!(sentinel_bytes(&server, "adopt:quiet"), Some(3 + 3 + 2));

    // A read that prunes an expired member adopts it too.
    zadd("adopt:stale", &[("1", "old"), (&later, "ada")]);
    assert_eq!(cache.members("stale").await.expect("members"), ["ada"]);
    assert_eq!(sentinel_bytes(&server, "adopt:stale"), Some(3));
    let expire_at: String = admin(&server, &["PEXPIRETIME", "adopt:stale"]);
    assert_eq!(expire_at, later, "the key expires with its latest member");

    // So does a remove.
    zadd("adopt:leaving", &[(&later, "ada"), (&later, "bob")]);
    assert!(cache.member_remove("leaving", "ada").await.expect("remove"));
    assert_eq!(sentinel_bytes(&server, "adopt:leaving"), Some(3));
    assert_eq!(cache.members("leaving").await.expect("members"), ["bob"]);
}

/// Expired members are pruned by every operation, their bytes leave the total, and a set
/// whose last member goes is deleted, sentinel and all.
#[tokio::test]
async fn expired_members_leave_the_total_as_they_are_pruned() {
    let server = RedisServer::start();
    let cache = connect(&server, "expiry", limits()).await;
    let short = Duration::from_millis(30);
    let wait = || tokio::time::sleep(Duration::from_millis(60));

    // members()
    cache.member_add("a", "gone", short).await.expect("add");
    cache.member_add("a", "stays", LONG).await.expect("add");
    wait().await;
    assert_eq!(cache.members("a").await.expect("members"), ["stays"]);
    assert_eq!(sentinel_bytes(&server, "expiry:a"), Some(5));

    // member_add(): an expired member's bytes make room for a new one. Under a key of 1 byte
    // members have 400 − 1 − 48 = 351 bytes; these three weigh 508 together, 342 without the
    // expired one (358 if its overhead stayed). The key lives on with the member that stays.
    let (gone, kept, new) = ("g".repeat(150), "k".repeat(100), "n".repeat(210));
    cache.member_add("b", &gone, short).await.expect("add");
    cache.member_add("b", &kept, LONG).await.expect("add");
    wait().await;
    assert!(cache.member_add("b", &new, LONG).await.expect("fits"));
    assert_eq!(sentinel_bytes(&server, "expiry:b"), Some(100 + 210));
    // Refreshing a live member changes no total.
    assert!(!cache.member_add("b", &new, LONG).await.expect("add"));
    assert_eq!(sentinel_bytes(&server, "expiry:b"), Some(100 + 210));

    // An expired member added again is new again, and counted once.
    cache.member_add("e", "back", short).await.expect("add");
    cache.member_add("e", "stays", LONG).await.expect("add");
    wait().await;
    assert!(cache.member_add("e", "back", LONG).await.expect("add"));
    assert_eq!(sentinel_bytes(&server, "expiry:e"), Some(4 + 5));

    // member_remove()
    for (member, ttl) in [("gone", short), ("p", LONG), ("qq", LONG)] {
        cache.member_add("c", member, ttl).await.expect("add");
    }
    wait().await;
    assert!(cache.member_remove("c", "p").await.expect("remove"));
    assert_eq!(sentinel_bytes(&server, "expiry:c"), Some(2));
    assert!(cache.member_remove("c", "qq").await.expect("remove"));
    assert!(
        !cache.exists("c").await.expect("exists"),
        "the last one took the key"
    );

    // A set made persistent (`touch` with no ttl) outlives its members: the read that prunes
    // the last one deletes it. (The member's deadline is moved into the past by hand, so no
    // clock decides whether the key is still there to persist.)
    cache.member_add("d", "gone", LONG).await.expect("add");
    assert!(cache.touch("d", None).await.expect("touch"));
    let _: () = admin(&server, &["ZADD", "expiry:d", "XX", "1", "gone"]);
    assert!(cache.exists("d").await.expect("exists"));
    assert!(cache.members("d").await.expect("members").is_empty());
    assert!(
        !cache.exists("d").await.expect("exists"),
        "nothing but the sentinel was left"
    );
}

/// A push to a list with a header reads no item but the ones it drops: no `LRANGE`, one
/// `LPOP` for the header and one per dropped item.
#[tokio::test]
async fn a_push_reads_only_what_it_drops() {
    let server = RedisServer::start();
    let cache = connect(&server, "cost", Limits::default()).await;
    let item = [b'x'; 200];
    cache
        .list_push("room", &item, 100, None)
        .await
        .expect("push");
    let _: () = admin(&server, &["CONFIG", "RESETSTAT"]);
    for _ in 0..300 {
        cache
            .list_push("room", &item, 100, None)
            .await
            .expect("push");
    }
    assert_eq!(calls(&server, "lrange"), 0, "no push read the list");
    // 300 headers, and the 201 items of 301 beyond the cap.
    assert_eq!(calls(&server, "lpop"), 300 + 201);
    assert_eq!(cache.list_len("room").await.expect("len"), 100);
}

/// The byte sum the sentinel of the set under `full` records (`None`: no sentinel).
fn sentinel_bytes(server: &RedisServer, full: &str) -> Option<u64> {
    let top: Vec<(Vec<u8>, String)> = admin(server, &["ZRANGE", full, "-1", "-1", "WITHSCORES"]);
    match top.as_slice() {
        [(name, score)] if score == "inf" => recorded_bytes(name),
        _ => None,
    }
}

/// The Redis server's clock in Unix milliseconds.
fn server_millis(server: &RedisServer) -> u64 {
    let (secs, micros): (u64, u64) = admin(server, &["TIME"]);
    secs * 1000 + micros / 1000
}
