//! chatcache for servers: what a chat server links against.
//!
//! * [`Cache`]: one async interface (`get`/`set`/`delete`, `add`, batch operations, counters,
//!   expiry, `clear`, `stats`, `health`) with raw bytes, plus [`CacheExt`] for UTF-8 strings and
//!   serde JSON.
//! * [`InMemoryCache`]: the no-I/O [`chatcache_core`] engine (S3-FIFO eviction, expiry, byte
//!   limits) behind sharded mutexes, a [`Clock`] and a janitor thread. [`MemoryCache`] is the
//!   same cache with synchronous methods (and a borrowed, allocation-free
//!   [`get_with`](MemoryCache::get_with), and [`get_shared`](MemoryCache::get_shared), whose
//!   [`Value`] shares the stored bytes); [`InMemoryCache::sync`] converts.
//! * [`RedisCache`]: the same contract on Redis (redis-rs on tokio), validated by the same core
//!   rules, with bounded connect and operation times and automatic reconnection.
//! * [`get_cache`]: reads [`CacheConfig::from_env`] (`USE_REDIS`, `REDIS_URL`, ...) and returns
//!   Redis, or memory with a warning when Redis is enabled but unreachable.
//!   [`SelectedCache::selection`] says which and why, with the password redacted.
//!
//! ```no_run
//! use std::time::Duration;
//! use chatcache::{Cache, CacheExt, get_cache};
//!
//! # async fn run() -> Result<(), chatcache::CacheError> {
//! let cache = get_cache().await?; // USE_REDIS / REDIS_URL / CHATCACHE_* from the environment
//! println!("cache: {}", cache.selection());
//! cache.set_json("room:42:topic", &"Rust", Some(Duration::from_secs(3600))).await?;
//! let topic: Option<String> = cache.get_json("room:42:topic").await?;
//! # Ok(()) }
//! ```
//!
//! All configuration knobs are listed in `native/README.md` and in [`config::vars`].
//!
//! # Features
//! | feature | default | what |
//! |---|---|---|
//! | `redis` | yes | [`RedisCache`] and Redis in [`get_cache`] (redis-rs, rustls, tokio's network stack) |
//! | `test-support` | no | `chatcache::testing`: log capture, black-hole listeners; with `redis`, a real `redis-server` per test |
//!
//! A memory-only app depends on `chatcache = { version = "0.1", default-features = false }`
//! and builds neither redis-rs nor a TLS stack nor tokio's runtime. In such a build, a
//! configuration that asks for Redis (`USE_REDIS=true`) is not ignored silently: [`get_cache`]
//! logs one warning and returns the in-memory cache as a fallback
//! ([`SelectionReason::RedisNotBuilt`], health [`CacheError::Degraded`]), or, with
//! `CHATCACHE_REQUIRE_REDIS=true`, fails with [`ConfigError::RedisNotBuilt`].
//!
//! The operations command line (`chatcache status|get|set|del`) is its own package,
//! `chatcache-cli`, so that this library adds no log subscriber to an app.
// A memory-only build's docs mention the Redis items it does not have; their links stay text.
#![cfg_attr(not(feature = "redis"), allow(rustdoc::broken_intra_doc_links))]

pub mod config;

mod cache;
mod clock;
mod error;
mod memory;
mod memory_cache;
#[cfg(feature = "redis")]
mod redis_cache;
mod select;
mod single_flight;

#[cfg(feature = "test-support")]
pub mod testing;

/// The engine this crate is built on, re-exported so that apps can match
/// [`core::Error`] variants and name [`core::Timestamp`], [`core::Stats`] or
/// [`core::Snapshot`] without depending on `chatcache-core` at the same version themselves.
pub use chatcache_core as core;

pub use cache::{BackendKind, Cache, CacheExt, CacheStats, Health, MemoryStats, RedisServerStats};
pub use chatcache_core::{KeyTtl, Limits, Value};
pub use clock::{Clock, CoarseClock, ManualClock, SystemClock};
#[cfg(feature = "redis")]
pub use config::{Backoff, RedisUrl, TlsConfig};
pub use config::{CacheConfig, Namespace, parse_bool};
pub use error::{CacheError, ConfigError};
pub use memory::InMemoryCache;
pub use memory_cache::{
    DEFAULT_JANITOR_INTERVAL, InMemoryCacheBuilder, MIN_ENTRIES_PER_SHARD, MemoryCache,
};
#[cfg(feature = "redis")]
pub use redis_cache::RedisCache;
pub use select::{AnyCache, SelectedCache, Selection, SelectionReason, get_cache, select_cache};
pub use single_flight::SingleFlight;
