//! [`get_cache`]: pick the backend from the configuration, falling back to memory when Redis
//! is enabled but unreachable.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chatcache_core::KeyTtl;

use crate::cache::{BackendKind, Cache, CacheStats, Health};
use crate::config::CacheConfig;
use crate::error::CacheError;
use crate::memory::InMemoryCache;
use crate::redis_cache::RedisCache;

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
/// * `use_redis == true` and Redis is unreachable (refused, wrong credentials, or no answer
///   within `connect_timeout`) → one `tracing` warning (password redacted) and an
///   [`InMemoryCache`]; or, with `require_redis`, the error.
///
/// The returned [`SelectedCache`] says which backend it is and why.
///
/// # Errors
/// With `require_redis`, the connection error. [`CacheError::InvalidInput`] for inconsistent
/// limits.
pub async fn select_cache(config: &CacheConfig) -> Result<SelectedCache, CacheError> {
    let started = Instant::now();
    if !config.use_redis {
        let cache = InMemoryCache::new(config.limits)?;
        return Ok(SelectedCache {
            cache: AnyCache::Memory(cache),
            selection: Selection {
                backend: BackendKind::Memory,
                reason: SelectionReason::RedisDisabled,
                decided_in: started.elapsed(),
            },
        });
    }
    let url = config.redis_url.redacted().to_owned();
    match RedisCache::connect(config).await {
        Ok(cache) => Ok(SelectedCache {
            cache: AnyCache::Redis(cache),
            selection: Selection {
                backend: BackendKind::Redis,
                reason: SelectionReason::RedisConnected { url },
                decided_in: started.elapsed(),
            },
        }),
        Err(err) if config.require_redis => {
            tracing::error!(
                url = %url,
                error = %err,
                "Redis is required (CHATCACHE_REQUIRE_REDIS) but unreachable"
            );
            Err(err)
        }
        Err(err) => {
            let error = short_reason(&err);
            tracing::warn!(
                url = %url,
                error = %error,
                "Redis unreachable; falling back to the in-memory cache (data is not shared \
                 between instances and does not survive restarts)"
            );
            let cache = InMemoryCache::new(config.limits)?;
            Ok(SelectedCache {
                cache: AnyCache::Memory(cache),
                selection: Selection {
                    backend: BackendKind::Memory,
                    reason: SelectionReason::RedisUnreachable { url, error },
                    decided_in: started.elapsed(),
                },
            })
        }
    }
}

fn short_reason(err: &CacheError) -> String {
    match err {
        CacheError::Unavailable { reason, .. } => reason.clone(),
        CacheError::Timeout { after, .. } => {
            format!("no answer within {}ms", after.as_millis())
        }
        other => other.to_string(),
    }
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
}

/// Which backend [`select_cache`] chose, why, and how long deciding took.
///
/// `Display` gives one line for logs and the CLI, e.g.
/// `memory (fallback: Redis at redis://:***@host:6379/0 unreachable: connection refused)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    backend: BackendKind,
    reason: SelectionReason,
    decided_in: Duration,
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

    /// Whether Redis was wanted but the cache fell back to memory.
    #[must_use]
    pub fn is_fallback(&self) -> bool {
        matches!(self.reason, SelectionReason::RedisUnreachable { .. })
    }

    /// Time taken to decide (including the connection attempt).
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
                write!(f, "memory (fallback: Redis at {url} unreachable: {error})")
            }
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
    Redis(RedisCache),
}

impl AnyCache {
    fn as_dyn(&self) -> &dyn Cache {
        match self {
            AnyCache::Memory(c) => c,
            AnyCache::Redis(c) => c,
        }
    }
}

/// The cache returned by [`get_cache`]: use it as a [`Cache`] (it is cheap to clone) and ask it
/// what it is with [`SelectedCache::selection`].
#[derive(Clone, Debug)]
pub struct SelectedCache {
    cache: AnyCache,
    selection: Selection,
}

impl SelectedCache {
    /// Which backend was chosen and why.
    #[must_use]
    pub fn selection(&self) -> &Selection {
        &self.selection
    }

    /// The backend itself.
    #[must_use]
    pub fn cache(&self) -> &AnyCache {
        &self.cache
    }

    /// The backend behind a shareable trait object.
    #[must_use]
    pub fn into_shared(self) -> Arc<dyn Cache> {
        match self.cache {
            AnyCache::Memory(c) => Arc::new(c),
            AnyCache::Redis(c) => Arc::new(c),
        }
    }
}

/// Implements [`Cache`] for `$ty` by forwarding every method to `$target` (an expression of
/// `$this`); `[...]` holds the impl's generic parameters.
macro_rules! delegate_cache {
    ([$($generics:tt)*] $ty:ty, $this:ident => $target:expr) => {
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
                $target.health().await
            }
        }
    };
}

delegate_cache!([] AnyCache, this => this.as_dyn());
delegate_cache!([] SelectedCache, this => this.cache.as_dyn());
// Shared handles are caches too, so `Arc<dyn Cache>` works where `C: Cache` is expected.
delegate_cache!([C: Cache + ?Sized] Arc<C>, this => (**this));
