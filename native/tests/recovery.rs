//! After a start-up fallback to memory, the cache probes Redis in the background and switches
//! to it when it answers: writes reach Redis soon after it accepts connections, callers are
//! never blocked, the switch is logged once (password redacted), and memory is dropped.

#![cfg(feature = "redis")]

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chatcache::testing::{RedisServer, capture_logs};
use chatcache::{BackendKind, Cache, CacheConfig, CacheError, SelectionReason, select_cache};
use common::ms;

const PW: &str = "Recovery-Secret-7f3a";

fn from_vars(vars: &[(&str, &str)]) -> CacheConfig {
    let map: HashMap<&str, &str> = vars.iter().copied().collect();
    CacheConfig::from_lookup(|name| map.get(name).map(Into::into)).expect("valid variables")
}

/// Start with Redis down, start Redis: writes reach Redis within 2 s of it accepting
/// connections (default backoff: the first probe comes 1 s after the fallback).
#[tokio::test]
async fn writes_reach_redis_soon_after_it_starts() {
    let logs = capture_logs();
    let mut server = RedisServer::builder().requirepass(PW).start();
    server.stop();
    let url = server.url_with_auth("", PW);
    let config = from_vars(&[("USE_REDIS", "true"), ("REDIS_URL", &url)]);
    let cache = select_cache(&config).await.expect("falls back");
    let selection = cache.selection();
    assert!(
        selection.is_fallback() && selection.is_recovering(),
        "{selection}"
    );
    assert!(matches!(
        cache.health().await,
        Err(CacheError::Degraded { .. })
    ));
    cache
        .set("cached-in-memory", b"lost at the switch", None)
        .await
        .expect("memory works");

    // A request handler keeps writing through the switch; no call may fail or block.
    let shared = cache.clone().into_shared();
    let stop = Arc::new(AtomicBool::new(false));
    let slowest_us = Arc::new(AtomicU64::new(0));
    let writer = tokio::spawn({
        let (stop, slowest_us) = (stop.clone(), slowest_us.clone());
        async move {
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                shared
                    .set(&format!("bg:{i}"), b"v", None)
                    .await
                    .expect("never fails across the switch");
                let took = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                slowest_us.fetch_max(took, Ordering::Relaxed);
                i += 1;
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            i
        }
    });

    tokio::time::sleep(Duration::from_millis(200)).await;
    let accepting = server.restart();
    let landed = loop {
        let key = format!("probe:{}", accepting.elapsed().as_micros());
        cache.set(&key, b"x", None).await.expect("set");
        let raw: Option<String> = common::admin(&server, &["GET", &format!("chatcache:{key}")]);
        if raw.is_some() {
            break accepting.elapsed();
        }
        assert!(
            accepting.elapsed() < Duration::from_secs(5),
            "no write reached Redis within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    stop.store(true, Ordering::Relaxed);
    let background_writes = writer.await.expect("writer never panics");
    println!(
        "recovery: writes reach Redis {} after it accepts connections; {background_writes} \
         background writes across the switch, slowest {:.1} ms",
        ms(landed),
        slowest_us.load(Ordering::Relaxed) as f64 / 1000.0
    );
    assert!(landed <= Duration::from_secs(2), "{}", ms(landed));

    let selection = cache.selection();
    assert_eq!(selection.backend(), BackendKind::Redis);
    assert!(!selection.is_fallback() && !selection.is_recovering());
    assert!(
        matches!(selection.reason(), SelectionReason::RedisRecovered { .. }),
        "{selection:?}"
    );
    assert!(
        selection.to_string().starts_with(&format!(
            "redis at redis://:***@127.0.0.1:{}/0 (recovered after",
            server.port()
        )),
        "{selection}"
    );
    cache.health().await.expect("healthy on Redis");
    assert_eq!(
        cache.get("cached-in-memory").await.expect("get"),
        None,
        "memory contents are dropped at the switch"
    );

    let output = logs.contents();
    let switches: Vec<&str> = output
        .lines()
        .filter(|l| l.contains("switched from the in-memory fallback to Redis"))
        .collect();
    assert_eq!(switches.len(), 1, "logged once:\n{output}");
    assert!(
        switches[0].contains("redis://:***@127.0.0.1"),
        "{}",
        switches[0]
    );
    assert!(switches[0].contains("dropped_entries="), "{}", switches[0]);
    assert!(!output.contains(PW), "the password never reaches the log");
}

/// `CHATCACHE_FALLBACK_RECOVERY=false`: the cache stays on memory, and says it is degraded.
#[tokio::test]
async fn recovery_off_stays_on_memory() {
    let mut server = RedisServer::start();
    server.stop();
    let config = from_vars(&[
        ("USE_REDIS", "true"),
        ("REDIS_URL", &server.url()),
        ("CHATCACHE_FALLBACK_RECOVERY", "false"),
    ]);
    let cache = select_cache(&config).await.expect("falls back");
    assert!(!cache.selection().is_recovering());
    assert!(
        !cache.selection().to_string().contains("retrying"),
        "{}",
        cache.selection()
    );
    server.restart();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(cache.selection().backend(), BackendKind::Memory);
    let err = cache.health().await.expect_err("degraded");
    assert_eq!(err.code(), "degraded");
    assert!(err.is_transient());
}

/// The probe stops when the last handle is dropped: no switch happens for nobody.
#[tokio::test]
async fn the_probe_ends_with_the_last_handle() {
    let logs = capture_logs();
    let mut server = RedisServer::start();
    server.stop();
    let config = from_vars(&[
        ("USE_REDIS", "true"),
        ("REDIS_URL", &server.url()),
        ("CHATCACHE_RECOVERY_INITIAL_MS", "100"),
    ]);
    let cache = select_cache(&config).await.expect("falls back");
    drop(cache);
    server.restart();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        !logs
            .contents()
            .contains("switched from the in-memory fallback"),
        "{}",
        logs.contents()
    );
}
