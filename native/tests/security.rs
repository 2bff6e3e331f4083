//! Passwords and ACL users: `user:password@` URLs work, and the password never shows up in a
//! log line, a `Debug` output or an error message.

#![cfg(feature = "redis")]

mod common;

use chatcache::testing::{RedisServer, capture_logs};
use chatcache::{
    BackendKind, Cache, CacheConfig, CacheError, ConfigError, RedisCache, RedisUrl, select_cache,
};
use common::redis_config;

const DEFAULT_PW: &str = "Dflt-Secret-7c1e";
const ACL_USER: &str = "chat_app";
const ACL_PW: &str = "Acl-Pa55-9f3e";
const WRONG_PW: &str = "Wrong-Guess-42ab";

fn assert_clean(what: &str, text: &str) {
    for secret in [DEFAULT_PW, ACL_PW, WRONG_PW] {
        assert!(!text.contains(secret), "{what} leaks a password:\n{text}");
    }
}

#[tokio::test]
async fn passwords_never_leak() {
    let logs = capture_logs();
    let mut server = RedisServer::builder()
        .requirepass(DEFAULT_PW)
        .acl_user(ACL_USER, ACL_PW)
        .start();
    let mut seen = Vec::<String>::new();

    // ACL user.
    let config = redis_config(&server.url_with_auth(ACL_USER, ACL_PW));
    seen.push(format!("{config:?}"));
    let cache = select_cache(&config).await.expect("selects");
    assert_eq!(cache.backend(), BackendKind::Redis, "{}", cache.selection());
    assert_eq!(
        cache.selection().to_string(),
        format!(
            "redis at redis://{ACL_USER}:***@127.0.0.1:{}/0",
            server.port()
        )
    );
    cache
        .set("k", b"v", None)
        .await
        .expect("ACL user can write");
    let who: String = {
        let redis = cache.cache();
        seen.push(format!("{redis:?}"));
        format!("{:?}", cache.selection())
    };
    seen.push(who);
    seen.push(format!("{cache:?}"));
    seen.push(format!("{:?}", cache.stats().await.expect("stats")));

    // Default user with a password only.
    let config = redis_config(&server.url_with_auth("", DEFAULT_PW));
    let default_user = RedisCache::connect(&config).await.expect("default user");
    assert_eq!(
        default_user.get("k").await.expect("get").as_deref(),
        Some(&b"v"[..])
    );
    seen.push(format!("{default_user:?}"));

    // Wrong password: falls back, with a redacted reason.
    let config = redis_config(&server.url_with_auth(ACL_USER, WRONG_PW));
    let fallback = select_cache(&config).await.expect("falls back");
    assert!(fallback.selection().is_fallback());
    let reason = fallback.selection().to_string();
    assert!(reason.contains("authentication failed"), "{reason}");
    seen.push(reason);
    let err = RedisCache::connect(&config)
        .await
        .expect_err("wrong password");
    assert!(matches!(err, CacheError::Unavailable { .. }), "{err:?}");
    seen.push(format!("{err} {err:?}"));

    // Errors while Redis is down, from a cache holding the password.
    server.stop();
    for err in [
        cache.get("k").await.expect_err("down"),
        cache.set("k", b"v", None).await.expect_err("down"),
        default_user.health().await.expect_err("down"),
    ] {
        seen.push(format!("{err} {err:?}"));
    }
    server.restart();

    // Invalid URLs with passwords.
    for bad in [
        format!("redis://{ACL_USER}:{ACL_PW}@host:notaport/0"),
        format!("rediss://{ACL_USER}:{ACL_PW}@host/0#insecure"),
        format!("redis://{ACL_USER}:{ACL_PW}@ho st/0"),
        format!("redis://{ACL_USER}:{ACL_PW}@host/x"),
    ] {
        let err: ConfigError = RedisUrl::parse(&bad).expect_err("invalid");
        seen.push(format!("{err} {err:?}"));
        let from_env =
            CacheConfig::from_lookup(|name| (name == "REDIS_URL").then(|| bad.clone().into()))
                .expect_err("invalid");
        seen.push(format!("{from_env} {from_env:?}"));
    }

    for (i, text) in seen.iter().enumerate() {
        assert_clean(&format!("output #{i}"), text);
    }
    let output = logs.contents();
    assert!(
        output.contains(" WARN ") && output.contains("falling back"),
        "the fallback warning was captured:\n{output}"
    );
    assert!(
        output.contains("connected to Redis"),
        "debug lines were captured:\n{output}"
    );
    assert_clean("tracing output", &output);
}
