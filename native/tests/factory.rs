//! `select_cache` / `get_cache`: which backend, why, and how fast the fallback decision is.

mod common;

use std::collections::HashMap;
#[cfg(feature = "redis")]
use std::time::Duration;

use chatcache::testing::capture_logs;
#[cfg(feature = "redis")]
use chatcache::testing::{BlackHoleListener, RedisServer, refused_port};
use chatcache::{BackendKind, Cache, CacheConfig, SelectionReason, select_cache};
#[cfg(feature = "redis")]
use common::{admin, ms, redis_config};

fn from_vars(vars: &[(&str, &str)]) -> CacheConfig {
    let map: HashMap<&str, &str> = vars.iter().copied().collect();
    CacheConfig::from_lookup(|name| map.get(name).map(Into::into)).expect("valid variables")
}

#[tokio::test]
async fn no_variables_means_memory() {
    let cache = select_cache(&from_vars(&[])).await.expect("memory");
    assert_eq!(cache.backend(), BackendKind::Memory);
    assert_eq!(cache.selection().reason(), &SelectionReason::RedisDisabled);
    assert_eq!(cache.selection().to_string(), "memory (USE_REDIS is off)");
    cache.set("k", b"v", None).await.expect("works");
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn use_redis_with_redis_reachable_means_redis() {
    let server = RedisServer::start();
    let config = from_vars(&[("USE_REDIS", "TRUE"), ("REDIS_URL", &server.url())]);
    let cache = select_cache(&config).await.expect("redis");
    assert_eq!(cache.backend(), BackendKind::Redis);
    assert!(!cache.selection().is_fallback());
    assert_eq!(
        cache.selection().to_string(),
        format!("redis at redis://127.0.0.1:{}/0", server.port())
    );
    cache.set("shared", b"yes", None).await.expect("set");
    let raw: Option<String> = admin(&server, &["GET", "chatcache:shared"]);
    assert_eq!(
        raw.as_deref(),
        Some("yes"),
        "default namespace is `chatcache`"
    );
    println!(
        "decision time with Redis up: {}",
        ms(cache.selection().decided_in())
    );
}

#[cfg(feature = "redis")]
/// Refused connection: one warning (password redacted), memory, decided almost at once.
#[tokio::test]
async fn refused_connection_falls_back_with_one_redacted_warning() {
    let logs = capture_logs();
    let port = refused_port();
    let config = redis_config(&format!("redis://app:Hunter2-Refused@127.0.0.1:{port}/0"));
    let cache = select_cache(&config).await.expect("falls back");
    let decided = cache.selection().decided_in();
    println!("fallback decision, connection refused: {}", ms(decided));
    assert_eq!(cache.backend(), BackendKind::Memory);
    assert!(cache.selection().is_fallback());
    assert_eq!(
        cache.selection().to_string(),
        format!(
            "memory (fallback: Redis at redis://app:***@127.0.0.1:{port}/0 unreachable: \
             connection refused; retrying in the background)"
        )
    );
    assert!(decided < Duration::from_secs(1), "{decided:?}");
    cache.set("k", b"v", None).await.expect("memory works");

    let output = logs.contents();
    let warnings: Vec<&str> = output.lines().filter(|l| l.contains(" WARN ")).collect();
    assert_eq!(warnings.len(), 1, "exactly one warning:\n{output}");
    assert!(warnings[0].contains("falling back"), "{output}");
    assert!(
        warnings[0].contains("redis://app:***@127.0.0.1"),
        "{output}"
    );
    assert!(!output.contains("Hunter2-Refused"), "{output}");
}

#[cfg(feature = "redis")]
/// A listener that accepts and never answers: the decision waits for the connect timeout,
/// which defaults to 1 s, never for redis-rs' ~9.5 s retry loop.
#[tokio::test]
async fn black_hole_falls_back_within_the_default_connect_timeout() {
    let logs = capture_logs();
    let hole = BlackHoleListener::start();
    let config = redis_config(&hole.url());
    assert_eq!(config.connect_timeout, Duration::from_secs(1));
    let cache = select_cache(&config).await.expect("falls back");
    let decided = cache.selection().decided_in();
    println!(
        "fallback decision, black-hole listener (default 1 s timeout): {}",
        ms(decided)
    );
    assert_eq!(cache.backend(), BackendKind::Memory);
    assert!(
        cache
            .selection()
            .to_string()
            .ends_with("unreachable: no answer within 1000ms; retrying in the background)"),
        "{}",
        cache.selection()
    );
    assert!(
        decided >= Duration::from_millis(950),
        "waited for the timeout: {decided:?}"
    );
    assert!(decided < Duration::from_millis(1_500), "{decided:?}");
    let output = logs.contents();
    let warnings = output.lines().filter(|l| l.contains(" WARN ")).count();
    assert_eq!(warnings, 1, "exactly one warning:\n{output}");
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn connect_timeout_is_configurable() {
    let hole = BlackHoleListener::start();
    let config = from_vars(&[
        ("USE_REDIS", "on"),
        ("REDIS_URL", &hole.url()),
        ("CHATCACHE_CONNECT_TIMEOUT_MS", "150"),
    ]);
    let cache = select_cache(&config).await.expect("falls back");
    let decided = cache.selection().decided_in();
    println!(
        "fallback decision, black-hole listener (150 ms timeout): {}",
        ms(decided)
    );
    assert!(cache.selection().is_fallback());
    assert!(decided < Duration::from_millis(600), "{decided:?}");
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn require_redis_turns_the_fallback_into_an_error() {
    let port = refused_port();
    let config = from_vars(&[
        ("USE_REDIS", "1"),
        (
            "REDIS_URL",
            &format!("redis://:pw-required@127.0.0.1:{port}/0"),
        ),
        ("CHATCACHE_REQUIRE_REDIS", "yes"),
    ]);
    let err = select_cache(&config).await.expect_err("no fallback");
    assert_eq!(err.code(), "unavailable");
    assert!(err.is_transient());
    assert!(!format!("{err} {err:?}").contains("pw-required"));
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn shared_handle_is_a_trait_object() {
    let server = RedisServer::start();
    let cache = select_cache(&redis_config(&server.url()))
        .await
        .expect("redis")
        .into_shared();
    assert_eq!(cache.backend(), BackendKind::Redis);
    assert_eq!(cache.incr("n", 5).await.expect("incr"), 5);
}

/// A build without the `redis` feature does not ignore `USE_REDIS=true`: one warning, and the
/// in-memory cache as a fallback that reports itself degraded.
#[cfg(not(feature = "redis"))]
#[tokio::test]
async fn use_redis_without_the_redis_feature_warns_and_falls_back() {
    let logs = capture_logs();
    let config = from_vars(&[
        ("USE_REDIS", "true"),
        ("REDIS_URL", "redis://:pw-unused@cache.internal:6379/0"),
    ]);
    let cache = select_cache(&config).await.expect("falls back");
    assert_eq!(cache.backend(), BackendKind::Memory);
    assert_eq!(cache.selection().reason(), &SelectionReason::RedisNotBuilt);
    assert!(cache.selection().is_fallback());
    assert!(!cache.selection().is_recovering());
    assert_eq!(
        cache.selection().to_string(),
        "memory (fallback: USE_REDIS is on, but chatcache was built without its `redis` feature)"
    );
    let err = cache.health().await.expect_err("degraded");
    assert_eq!(err.code(), "degraded");
    cache.set("k", b"v", None).await.expect("memory works");
    assert_eq!(cache.get("k").await.expect("get"), Some(b"v".to_vec()));

    let output = logs.contents();
    let warnings: Vec<&str> = output.lines().filter(|l| l.contains(" WARN ")).collect();
    assert_eq!(warnings.len(), 1, "exactly one warning:\n{output}");
    assert!(
        warnings[0].contains("built without its `redis` feature"),
        "{output}"
    );
}

/// With `CHATCACHE_REQUIRE_REDIS=true` the same build refuses to start: a configuration error,
/// not a transient one.
#[cfg(not(feature = "redis"))]
#[tokio::test]
async fn require_redis_without_the_redis_feature_is_a_config_error() {
    let config = from_vars(&[("USE_REDIS", "on"), ("CHATCACHE_REQUIRE_REDIS", "yes")]);
    let err = select_cache(&config).await.expect_err("no fallback");
    assert_eq!(err.code(), "config");
    assert!(!err.is_transient());
    assert!(
        matches!(
            err,
            chatcache::CacheError::Config(chatcache::ConfigError::RedisNotBuilt)
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("`redis` cargo feature"), "{err}");
}
