//! Redis dies, hangs and comes back while the application keeps running: every operation
//! fails fast with a `CacheError`, and the cache recovers without a restart.
//!
//! Measured figures are printed (`cargo test -p chatcache --test faults -- --nocapture`).

#![cfg(feature = "redis")]

mod common;

use std::future::Future;
use std::process::Command;
use std::time::{Duration, Instant};

use chatcache::testing::{BlackHoleListener, RedisServer, capture_logs};
use chatcache::{Cache, CacheError, RedisCache};
use common::{ms, redis_config};
use tokio::task::JoinSet;

/// The bound is the default op timeout (500 ms); the machine is shared and loaded, so
/// allow generous slack for scheduling.
const SLACK: Duration = Duration::from_millis(400);

async fn timed<T>(
    fut: impl Future<Output = Result<T, CacheError>>,
) -> (Duration, Result<T, CacheError>) {
    let start = Instant::now();
    let result = fut.await;
    (start.elapsed(), result)
}

/// Runs every operation once, concurrently (as a server's request handlers would), each
/// expected to fail within `budget`; prints each time and returns the slowest.
async fn every_op_fails_fast(cache: &RedisCache, budget: Duration, label: &str) -> Duration {
    let mut ops = JoinSet::new();
    macro_rules! op {
        ($name:literal, |$c:ident| $body:expr) => {{
            let $c = cache.clone();
            ops.spawn(async move {
                let (elapsed, result) = timed(async move { $body }).await;
                ($name, elapsed, result)
            });
        }};
    }
    op!("get", |c| c.get("k").await.map(drop));
    op!("set", |c| c.set("k", b"v", None).await);
    op!("delete", |c| c.delete("k").await.map(drop));
    op!("add", |c| c.add("k", b"v", None).await.map(drop));
    op!("get_many", |c| c.get_many(&["a", "b"]).await.map(drop));
    op!("set_many", |c| c
        .set_many(&[("a", b"1"), ("b", b"2")], None)
        .await);
    op!("delete_many", |c| c.delete_many(&["a"]).await.map(drop));
    op!("incr", |c| c.incr("n", 1).await.map(drop));
    op!("decr", |c| c.decr("n", 1).await.map(drop));
    op!("touch", |c| c.touch("k", None).await.map(drop));
    op!("ttl", |c| c.ttl("k").await.map(drop));
    op!("exists", |c| c.exists("k").await.map(drop));
    op!("clear", |c| c.clear().await.map(drop));
    op!("stats", |c| c.stats().await.map(drop));
    op!("health", |c| c.health().await.map(drop));

    let mut slowest = Duration::ZERO;
    let mut line = Vec::new();
    while let Some(joined) = ops.join_next().await {
        let (op, elapsed, result) = joined.expect("no operation panics");
        let err = result.expect_err(op);
        assert!(err.is_transient(), "{label} {op}: {err:?}");
        assert!(
            elapsed <= budget + SLACK,
            "{label} {op} took {elapsed:?}: {err}"
        );
        slowest = slowest.max(elapsed);
        line.push(format!("{op}={}", ms(elapsed)));
    }
    assert_eq!(line.len(), 15);
    println!("{label}: per-op error time: {}", line.join(", "));
    slowest
}

/// Redis is killed: operations error within the (default) op timeout; after a restart the
/// first success comes within 1 s of Redis accepting connections.
#[tokio::test]
async fn redis_killed_and_restarted() {
    let logs = capture_logs();
    let mut server = RedisServer::start();
    let config = redis_config(&server.url());
    assert_eq!(config.op_timeout, Duration::from_millis(500), "default");
    let cache = RedisCache::connect(&config).await.expect("connects");
    cache.set("before", b"1", None).await.expect("set");

    server.stop();
    let first = every_op_fails_fast(&cache, config.op_timeout, "killed, round 1").await;
    let second = every_op_fails_fast(&cache, config.op_timeout, "killed, round 2").await;
    println!(
        "slowest error while Redis is down: {} (round 1), {} (round 2)",
        ms(first),
        ms(second)
    );

    let ready = server.restart();
    let mut attempts = 0;
    let recovered = loop {
        attempts += 1;
        if cache.set("after", b"2", None).await.is_ok() {
            break ready.elapsed();
        }
        assert!(
            ready.elapsed() < Duration::from_secs(5),
            "no recovery within 5 s of the restart"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    println!(
        "recovery: first success {} after Redis accepted connections ({attempts} attempt(s))",
        ms(recovered)
    );
    assert!(recovered <= Duration::from_secs(1) + SLACK, "{recovered:?}");
    assert_eq!(
        cache.get("after").await.expect("get").as_deref(),
        Some(&b"2"[..])
    );
    assert_eq!(
        cache.get("before").await.expect("get"),
        None,
        "the test server keeps no data across restarts"
    );

    // The outage is logged once when it starts and once when it ends, not per failed call.
    let output = logs.contents();
    let warnings: Vec<&str> = output.lines().filter(|l| l.contains(" WARN ")).collect();
    assert_eq!(warnings.len(), 1, "{output}");
    assert!(warnings[0].contains("became unreachable"), "{output}");
    let back = output
        .lines()
        .filter(|l| l.contains(" INFO ") && l.contains("reachable again"))
        .count();
    assert_eq!(back, 1, "{output}");
}

/// The first operation after a restart succeeds even if nothing touched the cache during the
/// outage except one failed call (no warm-up call needed).
#[tokio::test]
async fn first_call_after_restart_succeeds() {
    let mut server = RedisServer::start();
    let cache = RedisCache::connect(&redis_config(&server.url()))
        .await
        .expect("connects");
    server.stop();
    assert!(cache.get("k").await.is_err());
    assert!(cache.get("k").await.is_err());
    let ready = server.restart();
    let (elapsed, result) = timed(cache.set("k", b"v", None)).await;
    println!(
        "first call after restart: {} ({:?})",
        ms(elapsed),
        result.as_ref().map(drop)
    );
    result.expect("first call after the restart succeeds");
    assert!(ready.elapsed() < Duration::from_secs(1) + SLACK);
}

/// A hung server (SIGSTOP: connections stay open, nothing answers): every operation times out
/// within the (default) op timeout, without a hang; after SIGCONT operations succeed again.
#[tokio::test]
async fn hung_redis_times_out_and_recovers() {
    let server = RedisServer::start();
    let config = redis_config(&server.url());
    let cache = RedisCache::connect(&config).await.expect("connects");
    cache.set("k", b"v", None).await.expect("set");
    let pid = server.pid().expect("running").to_string();

    signal("-STOP", &pid);
    let slowest = every_op_fails_fast(&cache, config.op_timeout, "hung (SIGSTOP)").await;
    signal("-CONT", &pid);
    println!(
        "slowest timeout while hung: {} (default op timeout 500 ms)",
        ms(slowest)
    );
    assert!(
        slowest >= Duration::from_millis(490),
        "ops waited for the budget"
    );

    let start = Instant::now();
    let value = loop {
        match cache.get("k").await {
            Ok(v) => break v,
            Err(e) => assert!(
                start.elapsed() < Duration::from_secs(3),
                "not recovered after SIGCONT: {e}"
            ),
        }
    };
    println!("recovery after SIGCONT: {}", ms(start.elapsed()));
    assert_eq!(value.as_deref(), Some(&b"v"[..]));
}

/// Redis dies and something else takes its port and never answers (the worst case for
/// reconnection: every attempt waits for the connect timeout). Operations still fail within
/// the op timeout, and once Redis is back they succeed within about one connect timeout.
#[tokio::test]
async fn redis_replaced_by_a_black_hole_then_restored() {
    let mut server = RedisServer::start();
    let config = redis_config(&server.url());
    let cache = RedisCache::connect(&config).await.expect("connects");
    cache.set("k", b"v", None).await.expect("set");

    server.stop();
    let hole = BlackHoleListener::start_on(server.port());
    // Round 1 sees the old connection drop; round 2 waits on a reconnection attempt that the
    // black hole accepts and never answers.
    let first = every_op_fails_fast(&cache, config.op_timeout, "black hole, round 1").await;
    let second = every_op_fails_fast(&cache, config.op_timeout, "black hole, round 2").await;
    println!(
        "slowest error with a black hole on Redis' port: {} (round 1), {} (round 2)",
        ms(first),
        ms(second)
    );
    assert!(
        second >= Duration::from_millis(490),
        "round 2 waited for the op timeout"
    );
    drop(hole);

    let ready = server.restart();
    let recovered = loop {
        if cache.get("k").await.is_ok() {
            break ready.elapsed();
        }
        assert!(
            ready.elapsed() < Duration::from_secs(5),
            "no recovery within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    println!(
        "recovery after the black hole: first success {} after Redis accepted connections \
         (bounded by the connect timeout of an attempt still in flight)",
        ms(recovered)
    );
    assert!(recovered <= config.connect_timeout + SLACK, "{recovered:?}");
}

fn signal(sig: &str, pid: &str) {
    let status = Command::new("kill")
        .args([sig, pid])
        .status()
        .expect("kill(1) runs");
    assert!(status.success(), "kill {sig} {pid}");
}
