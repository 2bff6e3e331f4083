//! The chat data types next to whole values, on the memory cache and on a local Redis started for
//! the run (issue 7's numbers):
//!
//! - `list_push` of one message next to `set` of the same bytes;
//! - `list_range(-50, -1)` next to `get` of a value as large as those 50 messages;
//! - the last 50 messages of a 500-message history: `list_range_json(-50, -1)` next to today's
//!   whole-value pattern, `get_json` of the history and keeping its last 50.
//!
//! Each row runs its two contenders in alternating order, several rounds, and reports the median
//! operations per second of each and the median of the per-round ratios. Not a test: the numbers
//! depend on the machine and its load.
//!
//! ```text
//! cargo bench -p chatcache --bench chat_types
//! CHATCACHE_BENCH_SECONDS=0.5 CHATCACHE_BENCH_BACKENDS=memory cargo bench -p chatcache --bench chat_types
//! ```

use std::future::Future;
use std::time::{Duration, Instant};

use chatcache::testing::RedisServer;
use chatcache::{
    Cache, CacheConfig, CacheExt, InMemoryCache, Limits, Namespace, RedisCache, RedisUrl,
};
use serde::{Deserialize, Serialize};

/// Rounds per row; each runs both contenders once, in alternating order.
const ROUNDS: usize = 5;
/// Messages a history holds.
const HISTORY: usize = 500;
/// Messages a client reads when it opens a room.
const PAGE: usize = 50;
/// Rooms the operations spread over.
const ROOMS: usize = 64;

/// A chat message as a client would cache it (about 200 bytes of JSON).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Message {
    id: u64,
    room: String,
    author: String,
    body: String,
    sent_at: u64,
}

fn message(id: u64) -> Message {
    Message {
        id,
        room: "general".to_owned(),
        author: "ada".to_owned(),
        body: "x".repeat(120),
        sent_at: 1_764_633_600_000 + id,
    }
}

/// Median of a list of numbers.
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Operations per second of `op` called with 0, 1, 2, … for `seconds`.
async fn rate<F, Fut>(seconds: f64, op: &F) -> f64
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = ()>,
{
    let budget = Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut done = 0;
    while started.elapsed() < budget {
        for _ in 0..64 {
            op(done).await;
            done += 1;
        }
    }
    done as f64 / started.elapsed().as_secs_f64()
}

/// Times two contenders against each other and prints one row.
async fn row<A, AF, B, BF>(
    backend: &str,
    name: &str,
    seconds: f64,
    (a_name, a): (&str, A),
    (b_name, b): (&str, B),
) where
    A: Fn(usize) -> AF,
    AF: Future<Output = ()>,
    B: Fn(usize) -> BF,
    BF: Future<Output = ()>,
{
    // Warm-up.
    rate(seconds / 4.0, &a).await;
    rate(seconds / 4.0, &b).await;
    let (mut a_rates, mut b_rates, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let (ra, rb) = if round % 2 == 0 {
            let ra = rate(seconds, &a).await;
            (ra, rate(seconds, &b).await)
        } else {
            let rb = rate(seconds, &b).await;
            (rate(seconds, &a).await, rb)
        };
        a_rates.push(ra);
        b_rates.push(rb);
        ratios.push(ra / rb);
    }
    println!(
        "| {backend} | {name} | {a_name} {:.0}/s | {b_name} {:.0}/s | {:.2}× |",
        median(a_rates),
        median(b_rates),
        median(ratios)
    );
}

async fn run(backend: &str, cache: &dyn Cache, seconds: f64) {
    let item = serde_json::to_vec(&message(0)).expect("serializes");
    let page_value: Vec<u8> = item
        .iter()
        .copied()
        .cycle()
        .take(item.len() * PAGE)
        .collect();
    let history: Vec<Message> = (0..HISTORY as u64).map(message).collect();

    // Every room's list starts full, so a push also drops the oldest message, as in a busy room.
    for room in 0..ROOMS {
        cache.delete(&format!("list:{room}")).await.expect("delete");
        for _ in 0..HISTORY {
            cache
                .list_push(&format!("list:{room}"), &item, HISTORY, None)
                .await
                .expect("list_push");
        }
        cache
            .set(&format!("page:{room}"), &page_value, None)
            .await
            .expect("set");
        cache
            .set_json(&format!("history:{room}"), &history, None)
            .await
            .expect("set_json");
    }
    let keys = |prefix: &str| {
        (0..ROOMS)
            .map(|room| format!("{prefix}:{room}"))
            .collect::<Vec<_>>()
    };
    let (lists, sets, pages, histories) =
        (keys("list"), keys("set"), keys("page"), keys("history"));
    let page_len = page_value.len();

    row(
        backend,
        "append one message",
        seconds,
        ("list_push", |i: usize| {
            let key = &lists[i % ROOMS];
            let item = &item;
            async move {
                cache
                    .list_push(key, item, HISTORY, None)
                    .await
                    .expect("list_push");
            }
        }),
        ("set", |i: usize| {
            let key = &sets[i % ROOMS];
            let item = &item;
            async move {
                cache.set(key, item, None).await.expect("set");
            }
        }),
    )
    .await;
    row(
        backend,
        "read 50 messages' bytes",
        seconds,
        ("list_range(-50, -1)", |i: usize| {
            let key = &lists[i % ROOMS];
            async move {
                let items = cache
                    .list_range(key, -(PAGE as i64), -1)
                    .await
                    .expect("list_range");
                assert_eq!(items.len(), PAGE);
            }
        }),
        ("get", |i: usize| {
            let key = &pages[i % ROOMS];
            async move {
                let value = cache.get(key).await.expect("get").expect("present");
                assert_eq!(value.len(), page_len);
            }
        }),
    )
    .await;
    row(
        backend,
        "last 50 of a 500-message history",
        seconds,
        ("list_range_json(-50, -1)", |i: usize| {
            let key = &lists[i % ROOMS];
            async move {
                let page: Vec<Message> = cache
                    .list_range_json(key, -(PAGE as i64), -1)
                    .await
                    .expect("list_range_json");
                assert_eq!(page.len(), PAGE);
            }
        }),
        ("get_json + last 50", |i: usize| {
            let key = &histories[i % ROOMS];
            async move {
                let mut all: Vec<Message> = cache
                    .get_json(key)
                    .await
                    .expect("get_json")
                    .expect("present");
                let page = all.split_off(all.len() - PAGE);
                assert_eq!(page.len(), PAGE);
            }
        }),
    )
    .await;
}

fn main() {
    let seconds: f64 = std::env::var("CHATCACHE_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let backends =
        std::env::var("CHATCACHE_BENCH_BACKENDS").unwrap_or_else(|_| "memory,redis".to_owned());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!("| backend | row | chatcache data type | whole value | ratio |");
    println!("|---|---|---|---|---|");
    runtime.block_on(async {
        for backend in backends.split(',') {
            match backend {
                "memory" => {
                    let limits = Limits::builder()
                        .max_bytes(1 << 30)
                        .build()
                        .expect("limits");
                    let cache = InMemoryCache::new(limits).expect("cache");
                    run("memory", &cache, seconds).await;
                }
                "redis" => {
                    let server = RedisServer::start();
                    let mut config = CacheConfig::default();
                    config.redis_url = RedisUrl::parse(&server.url()).expect("URL");
                    config.namespace = Namespace::new("bench").expect("namespace");
                    let cache = RedisCache::connect(&config).await.expect("connects");
                    run("redis", &cache, seconds).await;
                }
                other => panic!("unknown backend {other:?} (memory, redis)"),
            }
        }
    });
}
