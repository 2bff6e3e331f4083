//! [`InMemoryCache`]: the [`MemoryCache`] behind the async [`Cache`] trait.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use chatcache_core::{ImportSummary, KeyTtl, Limits, Snapshot};

use crate::cache::{BackendKind, Cache, CacheStats, Health};
use crate::error::CacheError;
use crate::memory_cache::{InMemoryCacheBuilder, MemoryCache};
use crate::single_flight::SingleFlight;

/// A thread-safe, in-process cache built on [`chatcache_core::Store`], behind the async
/// [`Cache`] trait: the same contract as [`RedisCache`](crate::RedisCache).
///
/// Every operation is a call to the synchronous [`MemoryCache`] it wraps (no operation ever
/// waits); [`InMemoryCache::sync`] hands that out for code that wants to skip the async trait,
/// and both share one cache. Sharding, hashing, the clock (a [`CoarseClock`](crate::CoarseClock)
/// with a precision of one kernel tick by default), the default TTL and the janitor are
/// described on [`MemoryCache`].
///
/// * **Handle semantics:** `Clone` is cheap (an `Arc`); all clones share one cache.
///
/// ```
/// use std::time::Duration;
/// use chatcache::{Cache, InMemoryCache, Limits, ManualClock};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), chatcache::CacheError> {
/// let clock = ManualClock::new(0);
/// let cache = InMemoryCache::builder()
///     .limits(Limits::builder().max_entries(2).build().expect("valid limits"))
///     .clock(clock.clone())
///     .build()?;
/// cache.set("a", b"1", Some(Duration::from_secs(5))).await?;
/// // The same cache, synchronously:
/// assert_eq!(cache.sync().get("a")?.as_deref(), Some(&b"1"[..]));
/// clock.advance(Duration::from_secs(5));
/// assert_eq!(cache.get("a").await?, None);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct InMemoryCache {
    sync: MemoryCache,
}

impl InMemoryCache {
    /// A cache with `limits`, the default clock and the default janitor.
    ///
    /// # Errors
    /// [`CacheError::Unavailable`] if the janitor thread cannot be started.
    pub fn new(limits: Limits) -> Result<InMemoryCache, CacheError> {
        InMemoryCache::builder().limits(limits).build()
    }

    /// A builder for choosing the clock, the shard count, the janitor and a default TTL.
    pub fn builder() -> InMemoryCacheBuilder {
        InMemoryCacheBuilder::default()
    }

    /// The synchronous face of this cache: the same entries, without the async trait.
    #[must_use]
    pub fn sync(&self) -> &MemoryCache {
        &self.sync
    }

    /// The limits of the whole cache.
    #[must_use]
    pub fn limits(&self) -> &Limits {
        self.sync.limits()
    }

    /// The expiry given to entries stored without one (see
    /// [`InMemoryCacheBuilder::default_ttl`]).
    #[must_use]
    pub fn default_ttl(&self) -> Option<Duration> {
        self.sync.default_ttl()
    }

    /// Number of shards.
    #[must_use]
    pub fn shard_count(&self) -> usize {
        self.sync.shard_count()
    }

    /// Entries currently held in memory, *including* expired ones not yet reclaimed (unlike
    /// [`Cache::stats`], which reclaims first). Shows whether expired data still occupies
    /// memory; never changes anything.
    #[must_use]
    pub fn held_entries(&self) -> usize {
        self.sync.held_entries()
    }

    /// Bytes currently held (key + value + overhead per entry), including expired entries not
    /// yet reclaimed; see [`InMemoryCache::held_entries`].
    #[must_use]
    pub fn held_bytes(&self) -> u64 {
        self.sync.held_bytes()
    }

    /// Reclaims every expired entry now. Returns how many were removed. The janitor calls this
    /// periodically; call it yourself when the janitor is disabled.
    pub fn purge_expired(&self) -> usize {
        self.sync.purge_expired()
    }

    /// Every live entry with absolute deadlines on this cache's clock; see
    /// [`MemoryCache::export`].
    #[must_use]
    pub fn export(&self) -> Snapshot {
        self.sync.export()
    }

    /// Stores every entry of `snapshot` whose deadline has not passed; see
    /// [`MemoryCache::import`].
    ///
    /// # Errors
    /// [`CacheError::InvalidInput`] if the snapshot's version is not readable or any entry
    /// breaks the limits; then nothing is stored.
    pub fn import(&self, snapshot: &Snapshot) -> Result<ImportSummary, CacheError> {
        self.sync.import(snapshot)
    }

    /// Checks the internal invariants of every shard (for tests and fuzzing).
    ///
    /// # Errors
    /// A description of the first violated invariant.
    pub fn validate(&self) -> Result<(), String> {
        self.sync.validate()
    }
}

impl From<MemoryCache> for InMemoryCache {
    fn from(sync: MemoryCache) -> InMemoryCache {
        InMemoryCache { sync }
    }
}

#[async_trait]
impl Cache for InMemoryCache {
    fn backend(&self) -> BackendKind {
        BackendKind::Memory
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        self.sync.get(key)
    }

    async fn set(
        &self,
        key: &str,
        value: &[u8],
        expiry: Option<Duration>,
    ) -> Result<(), CacheError> {
        self.sync.set(key, value, expiry)
    }

    async fn delete(&self, key: &str) -> Result<bool, CacheError> {
        self.sync.delete(key)
    }

    async fn add(
        &self,
        key: &str,
        value: &[u8],
        expiry: Option<Duration>,
    ) -> Result<bool, CacheError> {
        self.sync.add(key, value, expiry)
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, CacheError> {
        self.sync.get_many(keys)
    }

    async fn set_many(
        &self,
        entries: &[(&str, &[u8])],
        expiry: Option<Duration>,
    ) -> Result<(), CacheError> {
        self.sync.set_many(entries, expiry)
    }

    async fn delete_many(&self, keys: &[&str]) -> Result<u64, CacheError> {
        self.sync.delete_many(keys)
    }

    async fn incr(&self, key: &str, by: i64) -> Result<i64, CacheError> {
        self.sync.incr(key, by)
    }

    async fn decr(&self, key: &str, by: i64) -> Result<i64, CacheError> {
        self.sync.decr(key, by)
    }

    async fn touch(&self, key: &str, expiry: Option<Duration>) -> Result<bool, CacheError> {
        self.sync.touch(key, expiry)
    }

    async fn ttl(&self, key: &str) -> Result<Option<KeyTtl>, CacheError> {
        self.sync.ttl(key)
    }

    async fn exists(&self, key: &str) -> Result<bool, CacheError> {
        self.sync.exists(key)
    }

    async fn list_push(
        &self,
        key: &str,
        item: &[u8],
        cap: usize,
        expiry: Option<Duration>,
    ) -> Result<usize, CacheError> {
        self.sync.list_push(key, item, cap, expiry)
    }

    async fn list_range(
        &self,
        key: &str,
        start: i64,
        stop: i64,
    ) -> Result<Vec<Vec<u8>>, CacheError> {
        self.sync.list_range(key, start, stop)
    }

    async fn list_len(&self, key: &str) -> Result<usize, CacheError> {
        self.sync.list_len(key)
    }

    async fn member_add(&self, key: &str, member: &str, ttl: Duration) -> Result<bool, CacheError> {
        self.sync.member_add(key, member, ttl)
    }

    async fn members(&self, key: &str) -> Result<Vec<String>, CacheError> {
        self.sync.members(key)
    }

    async fn member_remove(&self, key: &str, member: &str) -> Result<bool, CacheError> {
        self.sync.member_remove(key, member)
    }

    async fn clear(&self) -> Result<u64, CacheError> {
        Ok(self.sync.clear())
    }

    async fn stats(&self) -> Result<CacheStats, CacheError> {
        Ok(self.sync.stats())
    }

    async fn health(&self) -> Result<Health, CacheError> {
        Ok(self.sync.health())
    }

    fn single_flight(&self) -> &SingleFlight {
        self.sync.single_flight()
    }
}

impl fmt::Debug for InMemoryCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The same fields as the synchronous handle, under this type's name.
        f.debug_tuple("InMemoryCache").field(&self.sync).finish()
    }
}
