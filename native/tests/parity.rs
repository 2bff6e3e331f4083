//! Differential test: the same pseudo-random operation sequence against `InMemoryCache` and
//! `RedisCache` (real `redis-server`) must give the same result at every step, including the
//! errors for bad input and the hit/miss counters at the end.
//!
//! Expiries are either absent or far in the future, so real and simulated time cannot
//! diverge; `ttl` results are compared by kind (missing / persistent / remaining).

#![cfg(feature = "redis")]

mod common;

use std::time::Duration;

use chatcache::testing::RedisServer;
use chatcache::{Cache, CacheError, InMemoryCache, KeyTtl, Limits};
use common::connect;

/// A small deterministic PRNG (xorshift64*), so a failure is reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        // The modulo keeps the index below `items.len()`, which is at most usize::MAX.
        &items[(self.next() % items.len() as u64) as usize]
    }
}

const KEYS: &[&str] = &["k0", "k1", "k2", "room:1", "a*[b]?\\", "ключ", ""];
const VALUES: &[&[u8]] = &[
    b"0",
    b"1",
    b"-5",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"abc",
    b"+1",
    b"01",
    b"-0",
    b"",
    b"\xff\xfe",
];
const BYS: &[i64] = &[1, -1, 7, i64::MAX, i64::MIN];
const EXPIRIES: &[Option<Duration>] = &[None, Some(Duration::from_secs(600)), Some(Duration::ZERO)];

/// One step's observable result: a printable value or an error code.
fn observe<T: std::fmt::Debug>(result: Result<T, CacheError>) -> String {
    match result {
        Ok(v) => format!("{v:?}"),
        Err(e) => format!("error {}", e.code()),
    }
}

fn ttl_kind(t: Option<KeyTtl>) -> &'static str {
    match t {
        None => "missing",
        Some(KeyTtl::Persistent) => "persistent",
        Some(KeyTtl::Remaining(_)) => "remaining",
    }
}

async fn step(cache: &dyn Cache, rng: &mut Rng) -> (String, String) {
    let key = *rng.pick(KEYS);
    let value = *rng.pick(VALUES);
    let expiry = *rng.pick(EXPIRIES);
    let op = rng.next() % 14;
    let other = *rng.pick(KEYS);
    match op {
        0 => (format!("get {key:?}"), observe(cache.get(key).await)),
        1 | 2 => (
            format!("set {key:?} {value:?} {expiry:?}"),
            observe(cache.set(key, value, expiry).await),
        ),
        3 => (
            format!("add {key:?} {value:?} {expiry:?}"),
            observe(cache.add(key, value, expiry).await),
        ),
        4 => (format!("delete {key:?}"), observe(cache.delete(key).await)),
        5 => {
            let by = *rng.pick(BYS);
            (
                format!("incr {key:?} {by}"),
                observe(cache.incr(key, by).await),
            )
        }
        6 => {
            let by = *rng.pick(BYS);
            (
                format!("decr {key:?} {by}"),
                observe(cache.decr(key, by).await),
            )
        }
        7 => (
            format!("touch {key:?} {expiry:?}"),
            observe(cache.touch(key, expiry).await),
        ),
        8 => (
            format!("ttl {key:?}"),
            observe(cache.ttl(key).await.map(ttl_kind)),
        ),
        9 => (format!("exists {key:?}"), observe(cache.exists(key).await)),
        10 => (
            format!("get_many [{key:?}, {other:?}, {key:?}]"),
            observe(cache.get_many(&[key, other, key]).await),
        ),
        11 => (
            format!("set_many [{key:?}, {other:?}] {expiry:?}"),
            observe(cache.set_many(&[(key, value), (other, b"x")], expiry).await),
        ),
        12 => (
            format!("delete_many [{key:?}, {other:?}]"),
            observe(cache.delete_many(&[key, other]).await),
        ),
        _ => {
            // Rarely clear, so the key space fills up in between.
            if rng.next().is_multiple_of(8) {
                ("clear".to_owned(), observe(cache.clear().await))
            } else {
                (
                    format!("exists {other:?}"),
                    observe(cache.exists(other).await),
                )
            }
        }
    }
}

/// `CHATCACHE_PARITY_SEED=<u64>` replays or explores another sequence.
#[tokio::test]
async fn memory_and_redis_agree_on_random_operations() {
    let seed: u64 = std::env::var("CHATCACHE_PARITY_SEED")
        .ok()
        .map_or(0x5eed_cafe_f00d_0001, |s| {
            s.parse().expect("CHATCACHE_PARITY_SEED is a u64")
        });
    const STEPS: usize = 1_500;
    let server = RedisServer::start();
    let redis = connect(&server, "parity").await;
    let memory = InMemoryCache::new(Limits::default()).expect("valid");
    let (mut rng_m, mut rng_r) = (Rng(seed.max(1)), Rng(seed.max(1)));
    let mut errors = 0;
    for i in 0..STEPS {
        let (op, in_memory) = step(&memory, &mut rng_m).await;
        let (op_r, in_redis) = step(&redis, &mut rng_r).await;
        assert_eq!(op, op_r, "both sides draw the same operation");
        assert_eq!(
            in_memory, in_redis,
            "step {i} (CHATCACHE_PARITY_SEED={seed}): {op}\n  memory: {in_memory}\n  redis:  {in_redis}"
        );
        errors += usize::from(in_memory.starts_with("error"));
    }
    let (m, r) = (
        memory.stats().await.expect("stats"),
        redis.stats().await.expect("stats"),
    );
    let entries = redis.count_entries().await.expect("count");
    assert_eq!(
        (m.hits, m.misses, m.entries),
        (r.hits, r.misses, Some(entries))
    );
    println!(
        "{STEPS} steps agree ({errors} of them errors); hits {} misses {} entries {entries}",
        m.hits, m.misses
    );
    assert!(errors > STEPS / 20, "the sequence exercises bad input too");
    assert!(m.hits > 0 && m.misses > 0);
}
