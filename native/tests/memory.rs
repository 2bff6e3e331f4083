//! InMemoryCache: clock, janitor, sharding, concurrency and the typed helpers.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chatcache::{Cache, CacheError, CacheExt, InMemoryCache, KeyTtl, Limits, ManualClock};

fn manual(limits: Limits) -> (InMemoryCache, ManualClock) {
    let clock = ManualClock::new(1_700_000_000_000);
    let cache = InMemoryCache::builder()
        .limits(limits)
        .clock(clock.clone())
        .janitor_interval(None)
        .build()
        .expect("valid limits");
    (cache, clock)
}

#[tokio::test]
async fn expiry_follows_the_injected_clock() {
    let (cache, clock) = manual(Limits::default());
    cache
        .set("room:1", b"hello", Some(Duration::from_millis(100)))
        .await
        .expect("set");
    clock.advance(Duration::from_millis(99));
    assert_eq!(
        cache.ttl("room:1").await.expect("ttl"),
        Some(KeyTtl::Remaining(
            chatcache_core::Ttl::from_millis(1).expect("nonzero")
        ))
    );
    assert_eq!(
        cache.get("room:1").await.expect("get").as_deref(),
        Some(&b"hello"[..])
    );
    clock.advance(Duration::from_millis(1));
    assert_eq!(cache.get("room:1").await.expect("get"), None);
    assert!(!cache.exists("room:1").await.expect("exists"));
    // Time going backwards does not resurrect it.
    clock.set(1_700_000_000_000);
    assert_eq!(cache.get("room:1").await.expect("get"), None);
}

#[tokio::test]
async fn zero_and_sub_millisecond_expiry() {
    let (cache, clock) = manual(Limits::default());
    let err = cache
        .set("k", b"v", Some(Duration::ZERO))
        .await
        .expect_err("zero ttl");
    assert_eq!(err.code(), "zero_ttl");
    assert!(!cache.exists("k").await.expect("exists"), "nothing changed");
    cache
        .set("k", b"v", Some(Duration::from_micros(10)))
        .await
        .expect("rounds up to 1 ms");
    assert!(cache.exists("k").await.expect("exists"));
    clock.advance(Duration::from_millis(1));
    assert!(!cache.exists("k").await.expect("exists"));
}

/// Expired entries leave memory without anyone reading them: the janitor reclaims them.
/// Without the janitor they stay held, which shows the check can fail.
#[tokio::test]
async fn janitor_reclaims_expired_entries_without_reads() {
    let clock = ManualClock::new(0);
    let with_janitor = InMemoryCache::builder()
        .clock(clock.clone())
        .janitor_interval(Some(Duration::from_millis(10)))
        .build()
        .expect("valid");
    let (without_janitor, other_clock) = manual(Limits::default());
    for cache in [&with_janitor, &without_janitor] {
        for i in 0..50 {
            cache
                .set(&format!("k{i}"), b"v", Some(Duration::from_secs(1)))
                .await
                .expect("set");
        }
        cache.set("keep", b"v", None).await.expect("set");
    }
    assert_eq!(with_janitor.held_entries(), 51);
    clock.advance(Duration::from_secs(2));
    other_clock.advance(Duration::from_secs(2));

    let deadline = Instant::now() + Duration::from_secs(5);
    while with_janitor.held_entries() > 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(with_janitor.held_entries(), 1, "janitor reclaimed them");
    assert!(with_janitor.held_bytes() > 0);
    assert_eq!(
        without_janitor.held_entries(),
        51,
        "no janitor, no reads: expired entries are still held"
    );
    assert_eq!(without_janitor.purge_expired(), 50);
    assert_eq!(without_janitor.held_entries(), 1);
    let stats = with_janitor.stats().await.expect("stats");
    assert_eq!(stats.entries, Some(1));
    let core = stats.memory.expect("memory stats").core;
    assert_eq!(core.evictions_expired, 50);
}

#[tokio::test]
async fn small_limits_are_exact_and_evict() {
    let limits = Limits::builder()
        .max_entries(3)
        .build()
        .expect("valid limits");
    let (cache, _clock) = manual(limits);
    assert_eq!(cache.shard_count(), 1, "tiny caches use one shard");
    for i in 0..10 {
        cache.set(&format!("k{i}"), b"v", None).await.expect("set");
        assert!(cache.held_entries() <= 3);
    }
    assert_eq!(cache.held_entries(), 3);
    assert_eq!(
        cache.get("k9").await.expect("get").as_deref(),
        Some(&b"v"[..]),
        "the entry just written is readable"
    );
    let stats = cache.stats().await.expect("stats");
    assert_eq!(stats.memory.expect("memory").core.evictions_capacity, 7);
    cache.validate().expect("invariants hold");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_handles_share_one_cache() {
    let cache = InMemoryCache::builder()
        .shards(NonZeroUsize::new(8).expect("8 is not zero"))
        .build()
        .expect("valid");
    assert_eq!(cache.shard_count(), 8);
    let tasks: Vec<_> = (0..8)
        .map(|t| {
            let cache = cache.clone();
            tokio::spawn(async move {
                for i in 0..2_000 {
                    cache.incr("counter", 1).await.expect("incr");
                    cache
                        .set(&format!("t{t}:{i}"), b"x", None)
                        .await
                        .expect("set");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task did not panic");
    }
    assert_eq!(
        cache.get_string("counter").await.expect("get").as_deref(),
        Some("16000")
    );
    assert_eq!(cache.stats().await.expect("stats").entries, Some(16_001));
    cache.validate().expect("invariants hold");
    // A trait object works too.
    let shared: Arc<dyn Cache> = Arc::new(cache.clone());
    assert_eq!(shared.decr("counter", 6_000).await.expect("decr"), 10_000);
}

#[tokio::test]
async fn batch_operations_validate_everything_first() {
    let (cache, _clock) = manual(Limits::default());
    cache
        .set_many(&[("a", b"1"), ("b", b"2")], None)
        .await
        .expect("set_many");
    let err = cache
        .set_many(&[("a", b"changed"), ("", b"bad")], None)
        .await
        .expect_err("empty key");
    assert_eq!(err.code(), "empty_key");
    assert_eq!(
        cache.get_many(&["a", "b", "c"]).await.expect("get_many"),
        vec![Some(b"1".to_vec()), Some(b"2".to_vec()), None]
    );
    let err = cache
        .delete_many(&["a", &"x".repeat(2000)])
        .await
        .expect_err("long key");
    assert_eq!(err.code(), "key_too_long");
    assert!(cache.exists("a").await.expect("exists"), "nothing deleted");
    assert_eq!(
        cache.delete_many(&["a", "a", "zz"]).await.expect("delete"),
        1
    );
    assert_eq!(cache.clear().await.expect("clear"), 1);
    assert_eq!(cache.stats().await.expect("stats").entries, Some(0));
}

#[tokio::test]
async fn hits_misses_and_health() {
    let (cache, _clock) = manual(Limits::default());
    cache.set("a", b"1", None).await.expect("set");
    cache.get("a").await.expect("get");
    cache.get("nope").await.expect("get");
    cache.get_many(&["a", "b"]).await.expect("get_many");
    cache.exists("a").await.expect("exists does not count");
    let stats = cache.stats().await.expect("stats");
    assert_eq!((stats.hits, stats.misses), (2, 2));
    assert_eq!(stats.hit_ratio(), Some(0.5));
    let health = cache.health().await.expect("health");
    assert!(health.latency < Duration::from_secs(1));
}

#[tokio::test]
async fn typed_helpers_report_decode_errors_and_change_nothing() {
    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Presence {
        user: String,
        online: bool,
    }
    let (cache, _clock) = manual(Limits::default());
    let p = Presence {
        user: "ana".into(),
        online: true,
    };
    cache.set_json("presence:ana", &p, None).await.expect("set");
    assert_eq!(
        cache
            .get_json::<Presence>("presence:ana")
            .await
            .expect("get"),
        Some(p)
    );
    assert!(
        !cache
            .add_json("presence:ana", &"other", None)
            .await
            .expect("add"),
        "add on a live key changes nothing"
    );
    cache.set("bin", &[0xff, 0xfe], None).await.expect("set");
    let err = cache.get_string("bin").await.expect_err("not UTF-8");
    assert_eq!(err.code(), "decode");
    assert!(err.to_string().contains("bin"), "{err}");
    let err = cache
        .get_json::<Presence>("presence:ana-missing")
        .await
        .map(|v| v.is_none());
    assert_eq!(err.ok(), Some(true));
    cache.set("text", b"not json", None).await.expect("set");
    let err = cache
        .get_json::<Presence>("text")
        .await
        .expect_err("bad json");
    assert_eq!(err.code(), "decode");
    assert_eq!(
        cache.get("text").await.expect("get").as_deref(),
        Some(&b"not json"[..])
    );
    let many = cache
        .get_many_json::<Presence>(&["presence:ana", "none"])
        .await
        .expect("get_many_json");
    assert!(many[0].is_some() && many[1].is_none());
    // Maps with non-string keys cannot be JSON.
    let mut bad = std::collections::HashMap::new();
    bad.insert((1, 2), 3);
    let err = cache.set_json("bad", &bad, None).await.expect_err("encode");
    assert_eq!(err.code(), "encode");
    assert!(!cache.exists("bad").await.expect("exists"));
}

/// Limits are checked once, when built, so a cache can only be made from valid ones; the
/// refusal is a typed error with the shared code.
#[test]
fn invalid_limits_are_refused_when_built() {
    let invalid = Limits::builder()
        .max_entries(0)
        .build()
        .expect_err("zero entries");
    let err = CacheError::from(invalid);
    assert_eq!(err.code(), "invalid_limits");
    assert_eq!(
        err.to_string(),
        "invalid input: invalid limits: max_entries must be at least 1"
    );
}

/// Handles are `Send + Sync` and their futures `Send`, so they work in multi-threaded servers;
/// `Arc<dyn Cache>` is itself a `Cache` for generic code.
#[tokio::test]
async fn handles_are_thread_safe_and_shareable() {
    fn send_sync<T: Send + Sync + Clone + 'static>() {}
    send_sync::<InMemoryCache>();
    #[cfg(feature = "redis")]
    send_sync::<chatcache::RedisCache>();
    send_sync::<chatcache::SelectedCache>();
    send_sync::<Arc<dyn Cache>>();
    fn send<T: Send>(_: &T) {}

    async fn count_visit<C: Cache>(cache: &C) -> i64 {
        cache.incr("visits", 1).await.expect("incr")
    }
    let (cache, _clock) = manual(Limits::default());
    let fut = cache.get("k");
    send(&fut);
    drop(fut);
    let shared: Arc<dyn Cache> = Arc::new(cache.clone());
    assert_eq!(count_visit(&shared).await, 1);
    assert_eq!(count_visit(&cache).await, 2);
    assert_eq!(shared.backend(), chatcache::BackendKind::Memory);
    let err = chatcache::CacheError::from(chatcache_core::Error::EmptyKey);
    assert!(
        std::error::Error::source(&err).is_some(),
        "InvalidInput keeps the core error as its source"
    );
}
