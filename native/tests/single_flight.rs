//! `get_or_set_with`: concurrent callers for one missing key run one loader, on both backends;
//! errors reach every waiter and cache nothing; panics and cancellations do not wedge the key.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

#[cfg(feature = "redis")]
use chatcache::CacheError;
#[cfg(feature = "redis")]
use chatcache::testing::RedisServer;
use chatcache::{Cache, CacheExt, InMemoryCache, Limits};
use tokio::task::JoinSet;

/// A loader error of the application's own type.
#[derive(Debug)]
struct DatabaseDown;

impl std::fmt::Display for DatabaseDown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("database down")
    }
}

impl std::error::Error for DatabaseDown {}

const CALLERS: usize = 1_000;

/// `CALLERS` tasks ask for one missing key at once; the loader takes a while.
async fn one_loader_for_many_callers(cache: Arc<dyn Cache>) -> usize {
    let loads = Arc::new(AtomicUsize::new(0));
    let mut callers = JoinSet::new();
    for _ in 0..CALLERS {
        let (cache, loads) = (cache.clone(), loads.clone());
        callers.spawn(async move {
            cache
                .get_or_set_with("room:42:topic", Some(Duration::from_secs(60)), || async {
                    loads.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    Ok::<_, DatabaseDown>(b"Rust".to_vec())
                })
                .await
        });
    }
    while let Some(joined) = callers.join_next().await {
        let value = joined
            .expect("no caller panics")
            .expect("every caller gets the value");
        assert_eq!(value, b"Rust");
    }
    assert_eq!(cache.single_flight().in_flight(), 0);
    assert_eq!(
        cache.get("room:42:topic").await.expect("get").as_deref(),
        Some(&b"Rust"[..]),
        "stored"
    );
    loads.load(Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_callers_one_loader_in_memory() {
    let cache = InMemoryCache::new(Limits::default()).expect("valid");
    let loads = one_loader_for_many_callers(Arc::new(cache)).await;
    println!("single flight, memory: {CALLERS} concurrent callers, {loads} loader call(s)");
    assert_eq!(loads, 1);
}

#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_callers_one_loader_on_redis() {
    let server = RedisServer::start();
    let cache = common::connect(&server, "flight").await;
    let loads = one_loader_for_many_callers(Arc::new(cache)).await;
    println!("single flight, redis: {CALLERS} concurrent callers, {loads} loader call(s)");
    assert_eq!(loads, 1);
    let raw: String = common::admin(&server, &["GET", "flight:room:42:topic"]);
    assert_eq!(raw, "Rust");
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn a_loader_error_reaches_every_waiter_and_caches_nothing() {
    let server = RedisServer::start();
    let redis = common::connect(&server, "flight-err").await;
    let memory = InMemoryCache::new(Limits::default()).expect("valid");
    for cache in [Arc::new(redis) as Arc<dyn Cache>, Arc::new(memory)] {
        let loads = Arc::new(AtomicUsize::new(0));
        let mut callers = JoinSet::new();
        for _ in 0..50 {
            let (cache, loads) = (cache.clone(), loads.clone());
            callers.spawn(async move {
                cache
                    .get_or_set_with("user:7", None, || async {
                        loads.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Err::<Vec<u8>, _>(DatabaseDown)
                    })
                    .await
            });
        }
        while let Some(joined) = callers.join_next().await {
            let err = joined.expect("no panic").expect_err("the loader failed");
            assert_eq!(err.code(), "load");
            let CacheError::Load { key, source } = &err else {
                panic!("{err:?}")
            };
            assert_eq!(key, "user:7");
            assert!(
                source.downcast_ref::<DatabaseDown>().is_some(),
                "{source:?}"
            );
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1, "{:?}", cache.backend());
        assert!(
            !cache.exists("user:7").await.expect("exists"),
            "nothing cached"
        );
        assert_eq!(cache.single_flight().in_flight(), 0);
        // The key is not wedged: the next call loads afresh.
        let value = cache
            .get_or_set_with("user:7", None, || async {
                Ok::<_, DatabaseDown>(b"ok".to_vec())
            })
            .await
            .expect("loads");
        assert_eq!(value, b"ok");
    }
}

#[tokio::test]
async fn a_panicking_loader_fails_its_waiters_and_frees_the_key() {
    let cache: Arc<dyn Cache> = Arc::new(InMemoryCache::new(Limits::default()).expect("valid"));
    let leader = tokio::spawn({
        let cache = cache.clone();
        async move {
            cache
                .get_or_set_with("k", None, || async {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    panic!("loader bug");
                    #[allow(unreachable_code)]
                    Ok::<Vec<u8>, DatabaseDown>(Vec::new())
                })
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(10)).await;
    let waiter = cache
        .get_or_set_with("k", None, || async {
            Ok::<_, DatabaseDown>(b"mine".to_vec())
        })
        .await;
    let err = waiter.expect_err("the leader's loader panicked");
    assert!(err.to_string().contains("the loader panicked"), "{err}");
    assert!(
        leader
            .await
            .expect_err("the panic continues in the leader")
            .is_panic()
    );
    assert_eq!(cache.single_flight().in_flight(), 0);
    assert!(!cache.exists("k").await.expect("exists"));
    let value = cache
        .get_or_set_with("k", None, || async {
            Ok::<_, DatabaseDown>(b"fine".to_vec())
        })
        .await
        .expect("the key is free again");
    assert_eq!(value, b"fine");
}

#[tokio::test]
async fn a_cancelled_leader_hands_over_to_a_waiter() {
    let cache: Arc<dyn Cache> = Arc::new(InMemoryCache::new(Limits::default()).expect("valid"));
    let loads = Arc::new(AtomicUsize::new(0));
    let load = |cache: Arc<dyn Cache>, loads: Arc<AtomicUsize>, delay: u64| async move {
        cache
            .get_or_set_with("slow", None, || async move {
                loads.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(delay)).await;
                Ok::<_, DatabaseDown>(b"loaded".to_vec())
            })
            .await
    };
    let leader = tokio::spawn(load(cache.clone(), loads.clone(), 10_000));
    tokio::time::sleep(Duration::from_millis(10)).await;
    let waiters: Vec<_> = (0..10)
        .map(|_| tokio::spawn(load(cache.clone(), loads.clone(), 20)))
        .collect();
    tokio::time::sleep(Duration::from_millis(10)).await;
    leader.abort();
    assert!(leader.await.expect_err("aborted").is_cancelled());
    for waiter in waiters {
        assert_eq!(
            waiter.await.expect("no panic").expect("a waiter took over"),
            b"loaded"
        );
    }
    assert_eq!(
        loads.load(Ordering::SeqCst),
        2,
        "the cancelled load and one takeover"
    );
    assert_eq!(cache.single_flight().in_flight(), 0);
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn json_values_load_once_and_bad_input_loads_nothing() {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Room {
        topic: String,
        members: u32,
    }
    let server = RedisServer::start();
    let cache: Arc<dyn Cache> = Arc::new(common::connect(&server, "flight-json").await);
    let loads = Arc::new(AtomicUsize::new(0));
    let mut callers = JoinSet::new();
    for _ in 0..100 {
        let (cache, loads) = (cache.clone(), loads.clone());
        callers.spawn(async move {
            cache
                .get_or_set_json_with("room:1", None, || async {
                    loads.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Ok::<_, DatabaseDown>(Room {
                        topic: "Rust".into(),
                        members: 3,
                    })
                })
                .await
        });
    }
    while let Some(joined) = callers.join_next().await {
        let room = joined.expect("no panic").expect("value");
        assert_eq!(room.members, 3);
    }
    assert_eq!(loads.load(Ordering::SeqCst), 1);
    let raw: String = common::admin(&server, &["GET", "flight-json:room:1"]);
    assert_eq!(raw, r#"{"topic":"Rust","members":3}"#);

    for (key, expiry, code) in [
        ("", None, "empty_key"),
        ("k", Some(Duration::ZERO), "zero_ttl"),
    ] {
        let err = cache
            .get_or_set_with(key, expiry, || async {
                loads.fetch_add(1, Ordering::SeqCst);
                Ok::<_, DatabaseDown>(b"x".to_vec())
            })
            .await
            .expect_err("bad input");
        assert_eq!(err.code(), code);
    }
    assert_eq!(
        loads.load(Ordering::SeqCst),
        1,
        "bad input never runs the loader"
    );
}
