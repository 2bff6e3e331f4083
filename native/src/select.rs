//! [`get_cache`]: pick the backend from the configuration, falling back to memory when Redis
//! is enabled but unreachable.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::{ArcSwap, Guard};
use async_trait::async_trait;
use chatcache_core::KeyTtl;

use crate::cache::{BackendKind, Cache, CacheStats, Health};
use crate::config::CacheConfig;
use crate::error::CacheError;
#[cfg(not(feature = "redis"))]
use crate::error::ConfigError;
use crate::memory::InMemoryCache;
#[cfg(feature = "redis")]
use crate::redis_cache::RedisCache;
use crate::single_flight::SingleFlight;

#[cfg(feature = "redis")]
mod redis;

/// Reads [`CacheConfig::from_env`] and returns the cache it asks for; see [`select_cache`].
/// Call it inside a tokio runtime (the Redis backend needs one).
///
/// ```no_run
/// use chatcache::{Cache, get_cache};
/// # async fn run() -> Result<(), chatcache::CacheError> {
/// let cache = get_cache().await?;
/// tracing::info!("cache backend: {}", cache.selection());
/// cache.set("motd", b"welcome", None).await?;
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`CacheError::Config`] for invalid environment variables; otherwise as [`select_cache`].
pub async fn get_cache() -> Result<SelectedCache, CacheError> {
    select_cache(&CacheConfig::from_env()?).await
}

/// Builds the cache `config` asks for:
///
/// * `use_redis == false` → [`InMemoryCache`].
/// * `use_redis == true` and Redis answers within `connect_timeout` → [`RedisCache`].
/// * `use_redis == true` and Redis is unreachable (refused, wrong credentials, a failed TLS
///   handshake, not a Redis server, or no answer within `connect_timeout`) → one `tracing`
///   warning (password redacted) and an [`InMemoryCache`]; or, with `require_redis`, the error.
///   With `fallback_recovery` (the default), a background task then probes Redis with backoff
///   and switches the cache to Redis when it answers, logging it once; what was cached in
///   memory meanwhile is dropped at the switch.
///
/// The returned [`SelectedCache`] says which backend it is and why. Call it inside a tokio
/// runtime: the Redis backend and the recovery task run on it.
///
/// # Errors
/// With `require_redis`, the connection error. [`CacheError::Config`] for Redis settings that
/// do not fit together (they never fall back). [`CacheError::InvalidInput`] for inconsistent
/// limits.
pub async fn select_cache(config: &CacheConfig) -> Result<SelectedCache, CacheError> {
    let started = Instant::now();
    if !config.use_redis {
        let cache = InMemoryCache::new(config.limits)?;
        return Ok(SelectedCache::new(
            AnyCache::Memory(cache),
            Selection {
                backend: BackendKind::Memory,
                reason: SelectionReason::RedisDisabled,
                decided_in: started.elapsed(),
                recovering: false,
            },
        ));
    }
    #[cfg(feature = "redis")]
    let selected = redis::select(config, started).await;
    #[cfg(not(feature = "redis"))]
    let selected = redis_not_built(config, started);
    selected
}

/// `use_redis` is on in a build without the `redis` feature: the configuration asks for
/// something this binary cannot do, so say so — one warning and the in-memory cache as a
/// fallback, or with `require_redis` a configuration error. Never a silent "memory".
#[cfg(not(feature = "redis"))]
fn redis_not_built(config: &CacheConfig, started: Instant) -> Result<SelectedCache, CacheError> {
    if config.require_redis {
        return Err(ConfigError::RedisNotBuilt.into());
    }
    tracing::warn!(
        "USE_REDIS is on, but chatcache was built without its `redis` feature; using the \
         in-memory cache (data is not shared between instances and does not survive restarts)"
    );
    Ok(SelectedCache::new(
        AnyCache::Memory(InMemoryCache::new(config.limits)?),
        Selection {
            backend: BackendKind::Memory,
            reason: SelectionReason::RedisNotBuilt,
            decided_in: started.elapsed(),
            recovering: false,
        },
    ))
}

/// Why [`select_cache`] chose its backend.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SelectionReason {
    /// `USE_REDIS` is off.
    RedisDisabled,
    /// Redis answered at `url` (password redacted).
    RedisConnected {
        /// Redacted URL.
        url: String,
    },
    /// Redis was enabled but could not be used; the cache is in memory.
    RedisUnreachable {
        /// Redacted URL.
        url: String,
        /// Why, e.g. `connection refused` or `no answer within 1000ms`.
        error: String,
    },
    /// Redis was unreachable at start-up; the background probe reached it and the cache
    /// switched from its in-memory fallback to Redis.
    RedisRecovered {
        /// Redacted URL.
        url: String,
        /// How long the cache ran on the fallback.
        after: Duration,
    },
    /// Redis was enabled, but this build has no Redis backend (the `redis` cargo feature is
    /// off); the cache is in memory.
    RedisNotBuilt,
}

/// Which backend [`select_cache`] chose (or recovery switched to), why, and how long deciding
/// took.
///
/// `Display` gives one line for logs and the CLI, e.g.
/// `memory (fallback: Redis at redis://:***@host:6379/0 unreachable: connection refused;
/// retrying in the background)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    backend: BackendKind,
    reason: SelectionReason,
    decided_in: Duration,
    recovering: bool,
}

impl Selection {
    /// The backend in use.
    #[must_use]
    pub fn backend(&self) -> BackendKind {
        self.backend
    }

    /// Why it was chosen.
    #[must_use]
    pub fn reason(&self) -> &SelectionReason {
        &self.reason
    }

    /// Whether Redis was wanted but the cache runs on memory.
    #[must_use]
    pub fn is_fallback(&self) -> bool {
        matches!(
            self.reason,
            SelectionReason::RedisUnreachable { .. } | SelectionReason::RedisNotBuilt
        )
    }

    /// Whether a background task is probing Redis to end the fallback.
    #[must_use]
    pub fn is_recovering(&self) -> bool {
        self.recovering
    }

    /// Time taken to decide at start-up (including the connection attempt).
    #[must_use]
    pub fn decided_in(&self) -> Duration {
        self.decided_in
    }
}

impl fmt::Display for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            SelectionReason::RedisDisabled => write!(f, "memory (USE_REDIS is off)"),
            SelectionReason::RedisConnected { url } => write!(f, "redis at {url}"),
            SelectionReason::RedisUnreachable { url, error } => {
                write!(f, "memory (fallback: Redis at {url} unreachable: {error}")?;
                if self.recovering {
                    f.write_str("; retrying in the background")?;
                }
                f.write_str(")")
            }
            SelectionReason::RedisNotBuilt => write!(
                f,
                "memory (fallback: USE_REDIS is on, but chatcache was built without its `redis` \
                 feature)"
            ),
            SelectionReason::RedisRecovered { url, after } => write!(
                f,
                "redis at {url} (recovered after {:.1} s on the in-memory fallback)",
                after.as_secs_f64()
            ),
        }
    }
}

/// Either backend, for code that does not want `dyn Cache`.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum AnyCache {
    /// In-process cache.
    Memory(InMemoryCache),
    /// Redis-backed cache.
    #[cfg(feature = "redis")]
    Redis(RedisCache),
}

impl AnyCache {
    fn as_dyn(&self) -> &dyn Cache {
        match self {
            AnyCache::Memory(c) => c,
            #[cfg(feature = "redis")]
            AnyCache::Redis(c) => c,
        }
    }
}

/// The cache returned by [`get_cache`]: use it as a [`Cache`] (it is cheap to clone) and ask it
/// what it is with [`SelectedCache::selection`].
///
/// After a start-up fallback with recovery on, the backend behind it changes once, from memory
/// to Redis; every clone follows. The switch costs callers nothing: each call loads the current
/// backend through a lock-free pointer.
#[derive(Clone)]
pub struct SelectedCache {
    shared: Arc<Shared>,
}

struct Shared {
    current: ArcSwap<Current>,
    /// One registry for both backends, so a load in flight across the switch is still shared.
    single_flight: SingleFlight,
}

struct Current {
    cache: AnyCache,
    selection: Selection,
}

impl SelectedCache {
    fn new(cache: AnyCache, selection: Selection) -> SelectedCache {
        SelectedCache {
            shared: Arc::new(Shared {
                current: ArcSwap::from_pointee(Current { cache, selection }),
                single_flight: SingleFlight::new(),
            }),
        }
    }

    fn current(&self) -> Guard<Arc<Current>> {
        self.shared.current.load()
    }

    /// Which backend is in use now and why.
    #[must_use]
    pub fn selection(&self) -> Selection {
        self.current().selection.clone()
    }

    /// The backend in use now.
    #[must_use]
    pub fn cache(&self) -> AnyCache {
        self.current().cache.clone()
    }

    /// This cache behind a shareable trait object (it keeps following a recovery).
    #[must_use]
    pub fn into_shared(self) -> Arc<dyn Cache> {
        Arc::new(self)
    }
}

impl fmt::Debug for SelectedCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let current = self.current();
        f.debug_struct("SelectedCache")
            .field("cache", &current.cache)
            .field("selection", &current.selection)
            .finish()
    }
}

/// Implements [`Cache`] for `$ty` by forwarding every method to `$target` (an expression of
/// `$this`); `[...]` holds the impl's generic parameters. `health` and `single_flight` may be
/// given their own bodies.
macro_rules! delegate_cache {
    ([$($generics:tt)*] $ty:ty, $this:ident => $target:expr) => {
        delegate_cache!(
            [$($generics)*] $ty, $this => $target,
            health => $target.health().await,
            single_flight => $target.single_flight()
        );
    };
    (
        [$($generics:tt)*] $ty:ty, $this:ident => $target:expr,
        health => $health:expr,
        single_flight => $single_flight:expr
    ) => {
        #[async_trait]
        impl<$($generics)*> Cache for $ty {
            fn backend(&self) -> BackendKind {
                let $this = self;
                $target.backend()
            }
            async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
                let $this = self;
                $target.get(key).await
            }
            async fn set(
                &self,
                key: &str,
                value: &[u8],
                expiry: Option<Duration>,
            ) -> Result<(), CacheError> {
                let $this = self;
                $target.set(key, value, expiry).await
            }
            async fn delete(&self, key: &str) -> Result<bool, CacheError> {
                let $this = self;
                $target.delete(key).await
            }
            async fn add(
                &self,
                key: &str,
                value: &[u8],
                expiry: Option<Duration>,
            ) -> Result<bool, CacheError> {
                let $this = self;
                $target.add(key, value, expiry).await
            }
            async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, CacheError> {
                let $this = self;
                $target.get_many(keys).await
            }
            async fn set_many(
                &self,
                entries: &[(&str, &[u8])],
                expiry: Option<Duration>,
            ) -> Result<(), CacheError> {
                let $this = self;
                $target.set_many(entries, expiry).await
            }
            async fn delete_many(&self, keys: &[&str]) -> Result<u64, CacheError> {
                let $this = self;
                $target.delete_many(keys).await
            }
            async fn incr(&self, key: &str, by: i64) -> Result<i64, CacheError> {
                let $this = self;
                $target.incr(key, by).await
            }
            async fn decr(&self, key: &str, by: i64) -> Result<i64, CacheError> {
                let $this = self;
                $target.decr(key, by).await
            }
            async fn touch(&self, key: &str, expiry: Option<Duration>) -> Result<bool, CacheError> {
                let $this = self;
                $target.touch(key, expiry).await
            }
            async fn ttl(&self, key: &str) -> Result<Option<KeyTtl>, CacheError> {
                let $this = self;
                $target.ttl(key).await
            }
            async fn exists(&self, key: &str) -> Result<bool, CacheError> {
                let $this = self;
                $target.exists(key).await
            }
            async fn list_push(
                &self,
                key: &str,
                item: &[u8],
                cap: usize,
                expiry: Option<Duration>,
            ) -> Result<usize, CacheError> {
                let $this = self;
                $target.list_push(key, item, cap, expiry).await
            }
            async fn list_range(
                &self,
                key: &str,
                start: i64,
                stop: i64,
            ) -> Result<Vec<Vec<u8>>, CacheError> {
                let $this = self;
                $target.list_range(key, start, stop).await
            }
            async fn list_len(&self, key: &str) -> Result<usize, CacheError> {
                let $this = self;
                $target.list_len(key).await
            }
            async fn member_add(
                &self,
                key: &str,
                member: &str,
                ttl: Duration,
            ) -> Result<bool, CacheError> {
                let $this = self;
                $target.member_add(key, member, ttl).await
            }
            async fn members(&self, key: &str) -> Result<Vec<String>, CacheError> {
                let $this = self;
                $target.members(key).await
            }
            async fn member_remove(&self, key: &str, member: &str) -> Result<bool, CacheError> {
                let $this = self;
                $target.member_remove(key, member).await
            }
            async fn clear(&self) -> Result<u64, CacheError> {
                let $this = self;
                $target.clear().await
            }
            async fn stats(&self) -> Result<CacheStats, CacheError> {
                let $this = self;
                $target.stats().await
            }
            async fn health(&self) -> Result<Health, CacheError> {
                let $this = self;
                $health
            }
            fn single_flight(&self) -> &SingleFlight {
                let $this = self;
                $single_flight
            }
        }
    };
}

delegate_cache!([] AnyCache, this => this.as_dyn());
delegate_cache!(
    [] SelectedCache, this => this.current().cache.as_dyn(),
    // While on the fallback the cache works, but not as configured: say so.
    health => {
        let current = this.current();
        if current.selection.is_fallback() {
            return Err(CacheError::Degraded {
                reason: current.selection.to_string(),
            });
        }
        current.cache.as_dyn().health().await
    },
    single_flight => &this.shared.single_flight
);
// Shared handles are caches too, so `Arc<dyn Cache>` works where `C: Cache` is expected.
delegate_cache!([C: Cache + ?Sized] Arc<C>, this => (**this));
