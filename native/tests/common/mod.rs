//! Helpers shared by the integration tests.

#![cfg(feature = "redis")]
#![allow(dead_code, unreachable_pub)] // each test binary uses a different subset

use std::time::Duration;

use chatcache::testing::RedisServer;
use chatcache::{CacheConfig, Namespace, RedisCache, RedisUrl};

/// A configuration pointing at `url` with Redis enabled and the default timeouts.
pub fn redis_config(url: &str) -> CacheConfig {
    let mut config = CacheConfig::default();
    config.use_redis = true;
    config.redis_url = RedisUrl::parse(url).expect("test URL is valid");
    config
}

/// Connects a `RedisCache` to `server` under `namespace`.
pub async fn connect(server: &RedisServer, namespace: &str) -> RedisCache {
    let mut config = redis_config(&server.url());
    config.namespace = Namespace::new(namespace).expect("valid namespace");
    RedisCache::connect(&config)
        .await
        .expect("test Redis answers")
}

/// Runs a raw command on the server's admin connection.
pub fn admin<T: chatcache::testing::redis::FromRedisValue>(
    server: &RedisServer,
    args: &[&str],
) -> T {
    let mut con = server.connection();
    let mut cmd = chatcache::testing::redis::cmd(args[0]);
    for arg in &args[1..] {
        cmd.arg(*arg);
    }
    cmd.query(&mut con).expect("admin command succeeds")
}

/// `calls` of one command from `INFO commandstats` (0 if never called).
pub fn calls(server: &RedisServer, command: &str) -> u64 {
    let info: String = admin(server, &["INFO", "commandstats"]);
    let prefix = format!("cmdstat_{command}:calls=");
    info.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|rest| rest.split(',').next())
        .map_or(0, |n| n.parse().expect("calls is a number"))
}

/// Milliseconds with one decimal, for printed measurements.
pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}
