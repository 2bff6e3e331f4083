//! A chat server's cache use, end to end: `get_cache()` picks the backend from the environment,
//! then simulated clients join a room (a member set with expiring members), post messages
//! (atomic pushes onto a capped list, behind a rate limit) and read the history back.
//!
//! It is a simulation, not a network server: it runs a fixed script and exits, so it can be
//! run anywhere. The chat app in the browser that `scripts/run.sh` starts is `demo/`.
//!
//! ```sh
//! cargo run -p chatcache --example chat_server                    # in-memory cache
//! USE_REDIS=true REDIS_URL=redis://localhost:6379/0 \
//!     cargo run -p chatcache --example chat_server                # Redis (falls back if down)
//! ```

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use chatcache::{Cache, CacheError, CacheExt, get_cache};
use serde::{Deserialize, Serialize};

/// How many recent messages a room keeps in the cache.
const HISTORY: usize = 20;
/// How long a room's history stays cached after its last message.
const HISTORY_TTL: Duration = Duration::from_secs(3600);
/// Messages a user may post per window before being throttled.
const RATE_LIMIT: i64 = 5;
const RATE_WINDOW: Duration = Duration::from_secs(10);
/// How long a user counts as online without a heartbeat.
const PRESENCE_TTL: Duration = Duration::from_secs(30);

#[derive(Serialize, Deserialize, Clone, Debug)]
struct Message {
    id: i64,
    room: String,
    from: String,
    text: String,
}

/// The part of a chat server that talks to the cache. Every operation is one atomic cache
/// call, so concurrent posts from many server processes are never lost (no get → modify → set).
struct ChatServer<C> {
    cache: C,
}

impl<C: Cache> ChatServer<C> {
    /// A user connects: they are online in the room for `PRESENCE_TTL` (a heartbeat calls
    /// this again to refresh it).
    async fn join(&self, user: &str, room: &str) -> Result<(), CacheError> {
        self.cache
            .member_add(&format!("room:{room}:online"), user, PRESENCE_TTL)
            .await
            .map(drop)
    }

    /// Posts a message unless the user exceeded the rate limit. Returns whether it was posted.
    async fn post(&self, room: &str, from: &str, text: &str) -> Result<bool, CacheError> {
        // The window starts with the first message: `add` creates the counter with its expiry
        // in one step (only if absent), and `incr` keeps that expiry.
        let counter = format!("rate:{from}");
        self.cache.add(&counter, b"0", Some(RATE_WINDOW)).await?;
        if self.cache.incr(&counter, 1).await? > RATE_LIMIT {
            return Ok(false);
        }
        let id = self.cache.incr(&format!("room:{room}:next_id"), 1).await?;
        let message = Message {
            id,
            room: room.to_owned(),
            from: from.to_owned(),
            text: text.to_owned(),
        };
        // One atomic push: the list keeps the newest HISTORY messages.
        self.cache
            .list_push_json(
                &format!("room:{room}:history"),
                &message,
                HISTORY,
                Some(HISTORY_TTL),
            )
            .await?;
        Ok(true)
    }

    /// Who is online in the room, in name order.
    async fn online(&self, room: &str) -> Result<Vec<String>, CacheError> {
        self.cache.members(&format!("room:{room}:online")).await
    }

    /// The room's recent messages, oldest first.
    async fn history(&self, room: &str) -> Result<Vec<Message>, CacheError> {
        let last = i64::try_from(HISTORY).unwrap_or(i64::MAX);
        self.cache
            .list_range_json(&format!("room:{room}:history"), -last, -1)
            .await
    }

    async fn leave(&self, user: &str, room: &str) -> Result<(), CacheError> {
        self.cache
            .member_remove(&format!("room:{room}:online"), user)
            .await
            .map(drop)
    }
}

/// What the demo observed, for printing and for the example's own tests.
#[derive(Debug)]
struct Summary {
    messages: usize,
    throttled: usize,
    online: Vec<String>,
}

/// The scripted session: three users join, chat, one floods and one leaves.
async fn run<C: Cache>(server: &ChatServer<C>) -> Result<Summary, CacheError> {
    // A fresh demo room (on Redis, other runs may have left one behind).
    let room = format!("demo-{}", std::process::id());
    for user in ["ana", "ben", "chloe"] {
        server.join(user, &room).await?;
    }
    let script = [
        ("ana", "hi all"),
        ("ben", "hey ana"),
        ("chloe", "what are we building?"),
        ("ana", "a cache for chat apps"),
    ];
    for (from, text) in script {
        server.post(&room, from, text).await?;
    }
    // ben floods the room: the rate limiter lets RATE_LIMIT messages per window through.
    let mut throttled = 0;
    for i in 0..8 {
        if !server.post(&room, "ben", &format!("spam {i}")).await? {
            throttled += 1;
        }
    }
    server.leave("chloe", &room).await?;

    let history = server.history(&room).await?;
    println!("room {room}: {} messages in the cache", history.len());
    for m in history.iter().rev().take(3).rev() {
        println!("  #{:<3} {:>6}: {}", m.id, m.from, m.text);
    }
    let online = server.online(&room).await?;

    let health = server.cache.health().await?;
    let stats = server.cache.stats().await?;
    let entries = stats
        .entries
        .map_or_else(|| "uncounted".to_owned(), |n| n.to_string());
    println!(
        "health: {} ok in {:?}; {entries} entries, {} hits / {} misses",
        health.backend, health.latency, stats.hits, stats.misses
    );
    if let Some(redis) = stats.redis {
        println!(
            "redis: used_memory {} bytes, maxmemory {}, evicted_keys {}",
            redis.used_memory, redis.maxmemory, redis.evicted_keys
        );
    }
    Ok(Summary {
        messages: history.len(),
        throttled,
        online,
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
    let started = Instant::now();

    let cache = get_cache().await?;
    println!("cache backend: {}", cache.selection());
    let summary = run(&ChatServer { cache }).await?;
    println!(
        "{} messages kept, {} throttled, online: {}",
        summary.messages,
        summary.throttled,
        summary.online.join(", ")
    );
    println!("done in {:?}", started.elapsed());
    Ok(())
}

/// `cargo test -p chatcache --example chat_server`: the demo's script against both backends
/// (`main` itself only adds `get_cache()`, which reads the process environment).
#[cfg(test)]
mod tests {
    use super::*;
    use chatcache::{CacheConfig, select_cache};

    fn check(summary: &Summary) {
        assert_eq!(summary.messages, 8, "4 chat messages + 4 of ben's 8");
        assert_eq!(summary.throttled, 4);
        assert_eq!(summary.online, ["ana", "ben"]);
    }

    #[tokio::test]
    async fn runs_on_the_default_in_memory_cache() {
        let cache = select_cache(&CacheConfig::default()).await.expect("memory");
        check(&run(&ChatServer { cache }).await.expect("runs"));
    }

    #[cfg(feature = "redis")]
    #[tokio::test]
    async fn runs_on_redis() {
        let redis = chatcache::testing::RedisServer::start();
        let mut config = CacheConfig::default();
        config.use_redis = true;
        config.redis_url = chatcache::RedisUrl::parse(&redis.url()).expect("valid");
        let cache = select_cache(&config).await.expect("redis");
        assert!(!cache.selection().is_fallback());
        check(&run(&ChatServer { cache }).await.expect("runs"));
    }
}
