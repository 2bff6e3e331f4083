//! [`InMemoryCache`]: the core's store behind sharded mutexes, a clock and a janitor.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;
use std::num::NonZeroUsize;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chatcache_core::{ImportSummary, KeyTtl, Limits, Snapshot, Stats, Store, Timestamp, Ttl};

use crate::cache::{BackendKind, Cache, CacheStats, Health, MemoryStats, to_ttl};
use crate::clock::{Clock, SystemClock};
use crate::error::CacheError;
use crate::single_flight::SingleFlight;

/// Caches with fewer entries than this per prospective shard use fewer shards; below it they use
/// one shard, so small limits are enforced exactly.
pub const MIN_ENTRIES_PER_SHARD: usize = 4096;

/// Default period of the background janitor that reclaims expired entries.
pub const DEFAULT_JANITOR_INTERVAL: Duration = Duration::from_secs(1);

/// A thread-safe, in-process cache built on [`chatcache_core::Store`].
///
/// * **Handle semantics:** `Clone` is cheap (an `Arc`); all clones share one cache.
/// * **Scaling:** entries are spread over shards by key hash, each shard a core store behind
///   its own `Mutex`, so threads touching different keys rarely contend. Limits are split
///   evenly over the shards; caches with fewer than [`MIN_ENTRIES_PER_SHARD`] entries × 2 use a
///   single shard, so their limits hold exactly. With several shards, eviction is per shard
///   (S3-FIFO inside each), so a capacity eviction can happen slightly before the global limit
///   if keys hash unevenly.
/// * **Time:** read in exactly one place, from the [`Clock`] given to the builder
///   ([`SystemClock`] by default). Tests use [`ManualClock`](crate::ManualClock).
/// * **Reclamation:** a janitor thread (named `chatcache-purge`) wakes every
///   [`DEFAULT_JANITOR_INTERVAL`] and purges expired entries from the shards whose earliest
///   deadline has passed, so expired data does not sit in memory waiting to be read. It holds
///   only a weak reference and exits when the last handle is dropped.
///
/// ```
/// use std::time::Duration;
/// use chatcache::{Cache, InMemoryCache, ManualClock};
/// use chatcache_core::Limits;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), chatcache::CacheError> {
/// let clock = ManualClock::new(0);
/// let cache = InMemoryCache::builder()
///     .limits(Limits::builder().max_entries(2).build().expect("valid limits"))
///     .clock(clock.clone())
///     .build()?;
/// cache.set("a", b"1", Some(Duration::from_secs(5))).await?;
/// clock.advance(Duration::from_secs(5));
/// assert_eq!(cache.get("a").await?, None);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct InMemoryCache {
    inner: Arc<Inner>,
}

struct Inner {
    shards: Box<[Shard]>,
    hasher: RandomState,
    clock: Arc<dyn Clock>,
    limits: Limits,
    janitor: Option<Arc<JanitorSignal>>,
    single_flight: SingleFlight,
}

struct Shard {
    store: Mutex<Store>,
    limits: Limits,
    seed: u64,
}

/// Configures and builds an [`InMemoryCache`].
#[must_use]
pub struct InMemoryCacheBuilder {
    limits: Limits,
    shards: Option<NonZeroUsize>,
    clock: Arc<dyn Clock>,
    janitor_interval: Option<Duration>,
}

impl InMemoryCacheBuilder {
    /// Size limits for the whole cache (default: [`Limits::default`]).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Forces the number of shards (default: chosen from the CPU count and the limits, see
    /// [`InMemoryCache`]). Clamped so every shard can hold at least one maximal entry.
    pub fn shards(mut self, shards: NonZeroUsize) -> Self {
        self.shards = Some(shards);
        self
    }

    /// The time source (default: [`SystemClock`]).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// How often the janitor reclaims expired entries; `None` disables it (expired entries are
    /// then reclaimed by normal operations, [`InMemoryCache::purge_expired`] and `stats`).
    pub fn janitor_interval(mut self, interval: Option<Duration>) -> Self {
        self.janitor_interval = interval;
        self
    }

    /// Builds the cache (and starts its janitor thread, if enabled).
    ///
    /// # Errors
    /// [`CacheError::Unavailable`] if the janitor thread cannot be started.
    pub fn build(self) -> Result<InMemoryCache, CacheError> {
        let n = shard_count(&self.limits, self.shards);
        let hasher = RandomState::new();
        let shards = (0..n)
            .map(|i| {
                let limits = shard_limits(&self.limits, n, i);
                let seed = hasher.hash_one(("chatcache-shard-seed", i));
                let store = Store::with_hash_seed(limits, seed);
                Shard {
                    store: Mutex::new(store),
                    limits,
                    seed,
                }
            })
            .collect::<Box<[Shard]>>();
        let signal = self
            .janitor_interval
            .map(|_| Arc::new(JanitorSignal::default()));
        let inner = Arc::new(Inner {
            shards,
            hasher,
            clock: self.clock,
            limits: self.limits,
            janitor: signal.clone(),
            single_flight: SingleFlight::new(),
        });
        if let (Some(interval), Some(signal)) = (self.janitor_interval, signal) {
            spawn_janitor(Arc::downgrade(&inner), signal, interval)?;
        }
        tracing::debug!(shards = n, limits = ?self.limits, "in-memory cache created");
        Ok(InMemoryCache { inner })
    }
}

fn shard_count(limits: &Limits, forced: Option<NonZeroUsize>) -> usize {
    // Every shard must be able to hold one maximal entry and at least one entry.
    let cap_bytes =
        usize::try_from(limits.max_bytes() / limits.max_entry_bytes()).unwrap_or(usize::MAX);
    let cap = cap_bytes.min(limits.max_entries()).max(1);
    let wanted = match forced {
        Some(n) => n.get(),
        None => {
            let cpus = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
            (cpus * 4)
                .next_power_of_two()
                .min(limits.max_entries() / MIN_ENTRIES_PER_SHARD)
        }
    };
    wanted.clamp(1, cap)
}

/// Limits of shard `i` of `n`: the totals split evenly, the remainders going to the first
/// shards, so the shards add up exactly to `total`.
fn shard_limits(total: &Limits, n: usize, i: usize) -> Limits {
    let entries = total.max_entries() / n + usize::from(i < total.max_entries() % n);
    // usize -> u64 is lossless on every supported target.
    let (n, i) = (n as u64, i as u64);
    let bytes = total.max_bytes() / n + u64::from(i < total.max_bytes() % n);
    // Invariant: `shard_count` keeps every shard able to hold one maximal entry, so the
    // entry limit still fits each share.
    total
        .to_builder()
        .max_entries(entries)
        .max_bytes(bytes)
        .build()
        .expect("shard_count leaves room for a maximal entry in every shard")
}

impl Default for InMemoryCacheBuilder {
    fn default() -> Self {
        InMemoryCacheBuilder {
            limits: Limits::default(),
            shards: None,
            clock: Arc::new(SystemClock),
            janitor_interval: Some(DEFAULT_JANITOR_INTERVAL),
        }
    }
}

impl InMemoryCache {
    /// A cache with `limits`, the system clock and the default janitor.
    ///
    /// # Errors
    /// [`CacheError::InvalidInput`] if the limits are inconsistent.
    pub fn new(limits: Limits) -> Result<InMemoryCache, CacheError> {
        InMemoryCache::builder().limits(limits).build()
    }

    /// A builder for choosing the clock, the shard count and the janitor.
    pub fn builder() -> InMemoryCacheBuilder {
        InMemoryCacheBuilder::default()
    }

    /// The limits of the whole cache.
    #[must_use]
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// Number of shards.
    #[must_use]
    pub fn shard_count(&self) -> usize {
        self.inner.shards.len()
    }

    /// Entries currently held in memory, *including* expired ones not yet reclaimed (unlike
    /// [`Cache::stats`], which reclaims first). Shows whether expired data still occupies
    /// memory; never changes anything.
    #[must_use]
    pub fn held_entries(&self) -> usize {
        self.inner
            .shards
            .iter()
            .map(|shard| self.inner.lock(shard).len())
            .sum()
    }

    /// Bytes currently held (key + value + overhead per entry), including expired entries not
    /// yet reclaimed; see [`InMemoryCache::held_entries`].
    #[must_use]
    pub fn held_bytes(&self) -> u64 {
        self.inner
            .shards
            .iter()
            .map(|shard| self.inner.lock(shard).weight())
            .sum()
    }

    /// Reclaims every expired entry now. Returns how many were removed. The janitor calls this
    /// periodically; call it yourself when the janitor is disabled.
    pub fn purge_expired(&self) -> usize {
        self.inner.purge_expired(false)
    }

    /// Every live entry (byte values, lists and member sets) with absolute deadlines on this
    /// cache's clock: save it to warm a cache after a restart with [`InMemoryCache::import`].
    /// Each shard is exported under its lock in turn, so concurrent writes to other shards may
    /// or may not be included.
    #[must_use]
    pub fn export(&self) -> Snapshot {
        let inner = &*self.inner;
        let now = inner.now();
        let mut entries = Vec::new();
        for shard in &*inner.shards {
            entries.extend(inner.lock(shard).export(now).entries);
        }
        Snapshot {
            version: Snapshot::VERSION,
            entries,
        }
    }

    /// Stores every entry of `snapshot` whose deadline has not passed, as
    /// [`Store::import`] does: later entries win, and the limits hold through normal eviction.
    ///
    /// # Errors
    /// [`CacheError::InvalidInput`] if the snapshot's version is not readable or any entry
    /// breaks the limits; then nothing is stored.
    pub fn import(&self, snapshot: &Snapshot) -> Result<ImportSummary, CacheError> {
        if !(Snapshot::OLDEST_READABLE..=Snapshot::VERSION).contains(&snapshot.version) {
            return Err(chatcache_core::Error::UnsupportedSnapshot {
                version: snapshot.version,
            }
            .into());
        }
        // Check everything against a scratch store first, so a bad entry changes nothing.
        Store::new(self.inner.limits).import(
            &Snapshot {
                version: snapshot.version,
                entries: snapshot.entries.clone(),
            },
            Timestamp::ZERO,
        )?;
        let inner = &*self.inner;
        let mut by_shard: Vec<Vec<_>> = vec![Vec::new(); inner.shards.len()];
        for entry in &snapshot.entries {
            by_shard[inner.shard_index(&entry.key)].push(entry.clone());
        }
        let now = inner.now();
        let mut summary = ImportSummary::default();
        for (shard, entries) in inner.shards.iter().zip(by_shard) {
            let part = Snapshot {
                version: snapshot.version,
                entries,
            };
            let done = inner.lock(shard).import(&part, now)?;
            summary.imported += done.imported;
            summary.expired += done.expired;
        }
        Ok(summary)
    }

    /// Checks the internal invariants of every shard (for tests and fuzzing).
    ///
    /// # Errors
    /// A description of the first violated invariant.
    pub fn validate(&self) -> Result<(), String> {
        for (i, shard) in self.inner.shards.iter().enumerate() {
            self.inner
                .lock(shard)
                .validate()
                .map_err(|e| format!("shard {i}: {e:?}"))?;
        }
        Ok(())
    }

    fn with_shard<T>(&self, key: &str, f: impl FnOnce(&mut Store, Timestamp) -> T) -> T {
        let inner = &*self.inner;
        let shard = inner.shard(key);
        let now = inner.now();
        let mut store = inner.lock(shard);
        f(&mut store, now)
    }
}

impl Inner {
    /// The one place the in-memory backend reads its clock.
    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    fn shard(&self, key: &str) -> &Shard {
        &self.shards[self.shard_index(key)]
    }

    fn shard_index(&self, key: &str) -> usize {
        let n = self.shards.len();
        // `n >= 1` by construction, and the remainder is `< n`, so the index is in bounds and
        // fits in usize.
        if n == 1 {
            0
        } else {
            (self.hasher.hash_one(key) % n as u64) as usize
        }
    }

    /// Locks a shard. A poisoned shard (a panic while it was locked) may hold a half-updated
    /// store; a cache can always forget its contents, so it is replaced by an empty store.
    fn lock<'a>(&self, shard: &'a Shard) -> MutexGuard<'a, Store> {
        shard
            .store
            .lock()
            .unwrap_or_else(|poisoned: PoisonError<_>| {
                tracing::error!("a cache shard was poisoned by a panic; its entries are dropped");
                let mut guard = poisoned.into_inner();
                // Invariant: these limits were accepted by `Store::with_hash_seed` when the shard
                // was built, so building a store from them again cannot fail.
                let fresh = Store::with_hash_seed(shard.limits, shard.seed);
                *guard = fresh;
                shard.store.clear_poison();
                guard
            })
    }

    fn purge_expired(&self, only_due: bool) -> usize {
        let now = self.now();
        let mut removed = 0;
        for shard in &*self.shards {
            let mut store = self.lock(shard);
            if !only_due || store.next_expiry().is_some_and(|t| t <= now) {
                removed += store.purge_expired(now);
            }
        }
        removed
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(signal) = &self.janitor {
            signal.stop();
        }
    }
}

#[derive(Default)]
struct JanitorSignal {
    stopped: Mutex<bool>,
    wake: Condvar,
}

impl JanitorSignal {
    fn stop(&self) {
        *self.stopped.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.wake.notify_all();
    }

    /// Waits up to `interval`; returns `false` once stopped.
    fn wait(&self, interval: Duration) -> bool {
        let stopped = self.stopped.lock().unwrap_or_else(PoisonError::into_inner);
        if *stopped {
            return false;
        }
        let (stopped, _) = self
            .wake
            .wait_timeout(stopped, interval)
            .unwrap_or_else(PoisonError::into_inner);
        !*stopped
    }
}

fn spawn_janitor(
    cache: Weak<Inner>,
    signal: Arc<JanitorSignal>,
    interval: Duration,
) -> Result<(), CacheError> {
    std::thread::Builder::new()
        .name("chatcache-purge".to_owned())
        .spawn(move || {
            while signal.wait(interval) {
                let Some(inner) = cache.upgrade() else { break };
                let removed = inner.purge_expired(true);
                if removed > 0 {
                    tracing::trace!(removed, "janitor reclaimed expired entries");
                }
            }
            tracing::trace!("janitor stopped");
        })
        .map(drop)
        .map_err(|e| CacheError::Unavailable {
            backend: BackendKind::Memory,
            reason: format!("cannot start the janitor thread: {e}"),
        })
}

#[async_trait]
impl Cache for InMemoryCache {
    fn backend(&self) -> BackendKind {
        BackendKind::Memory
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        self.with_shard(key, |s, now| Ok(s.get(key, now)?.map(<[u8]>::to_vec)))
    }

    async fn set(
        &self,
        key: &str,
        value: &[u8],
        expiry: Option<Duration>,
    ) -> Result<(), CacheError> {
        let ttl = to_ttl(expiry)?;
        self.with_shard(key, |s, now| Ok(s.set(key, value, ttl, now)?))
    }

    async fn delete(&self, key: &str) -> Result<bool, CacheError> {
        self.with_shard(key, |s, now| Ok(s.delete(key, now)?))
    }

    async fn add(
        &self,
        key: &str,
        value: &[u8],
        expiry: Option<Duration>,
    ) -> Result<bool, CacheError> {
        let ttl = to_ttl(expiry)?;
        self.with_shard(key, |s, now| Ok(s.add(key, value, ttl, now)?))
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, CacheError> {
        for key in keys {
            self.inner.limits.check_key(key)?;
        }
        keys.iter()
            .map(|key| self.with_shard(key, |s, now| Ok(s.get(key, now)?.map(<[u8]>::to_vec))))
            .collect()
    }

    async fn set_many(
        &self,
        entries: &[(&str, &[u8])],
        expiry: Option<Duration>,
    ) -> Result<(), CacheError> {
        let ttl = to_ttl(expiry)?;
        for (key, value) in entries {
            self.inner.limits.check_entry(key, value.len())?;
        }
        for (key, value) in entries {
            self.with_shard(key, |s, now| s.set(key, value, ttl, now))?;
        }
        Ok(())
    }

    async fn delete_many(&self, keys: &[&str]) -> Result<u64, CacheError> {
        for key in keys {
            self.inner.limits.check_key(key)?;
        }
        let mut removed = 0;
        for key in keys {
            removed += u64::from(self.with_shard(key, |s, now| s.delete(key, now))?);
        }
        Ok(removed)
    }

    async fn incr(&self, key: &str, by: i64) -> Result<i64, CacheError> {
        self.with_shard(key, |s, now| Ok(s.incr(key, by, now)?))
    }

    async fn decr(&self, key: &str, by: i64) -> Result<i64, CacheError> {
        self.with_shard(key, |s, now| Ok(s.decr(key, by, now)?))
    }

    async fn touch(&self, key: &str, expiry: Option<Duration>) -> Result<bool, CacheError> {
        let ttl = to_ttl(expiry)?;
        self.with_shard(key, |s, now| Ok(s.touch(key, ttl, now)?))
    }

    async fn ttl(&self, key: &str) -> Result<Option<KeyTtl>, CacheError> {
        self.with_shard(key, |s, now| Ok(s.ttl(key, now)?))
    }

    async fn exists(&self, key: &str) -> Result<bool, CacheError> {
        self.with_shard(key, |s, now| Ok(s.contains(key, now)?))
    }

    async fn list_push(
        &self,
        key: &str,
        item: &[u8],
        cap: usize,
        expiry: Option<Duration>,
    ) -> Result<usize, CacheError> {
        // The expiry is checked first, then the key and the cap, as by the Redis backend.
        let ttl = to_ttl(expiry)?;
        let cap = u64::try_from(cap).unwrap_or(u64::MAX);
        self.with_shard(key, |s, now| Ok(s.list_push(key, item, cap, ttl, now)?))
    }

    async fn list_range(
        &self,
        key: &str,
        start: i64,
        stop: i64,
    ) -> Result<Vec<Vec<u8>>, CacheError> {
        self.with_shard(key, |s, now| {
            Ok(s.list_range(key, start, stop, now)?
                .map(<[u8]>::to_vec)
                .collect())
        })
    }

    async fn list_len(&self, key: &str) -> Result<usize, CacheError> {
        self.with_shard(key, |s, now| Ok(s.list_len(key, now)?))
    }

    async fn member_add(&self, key: &str, member: &str, ttl: Duration) -> Result<bool, CacheError> {
        let ttl = Ttl::try_from(ttl)?;
        self.with_shard(key, |s, now| Ok(s.member_add(key, member, ttl, now)?))
    }

    async fn members(&self, key: &str) -> Result<Vec<String>, CacheError> {
        self.with_shard(key, |s, now| {
            Ok(s.members(key, now)?.map(str::to_owned).collect())
        })
    }

    async fn member_remove(&self, key: &str, member: &str) -> Result<bool, CacheError> {
        self.with_shard(key, |s, now| Ok(s.member_remove(key, member, now)?))
    }

    async fn clear(&self) -> Result<u64, CacheError> {
        let inner = &*self.inner;
        let now = inner.now();
        let mut removed = 0u64;
        for shard in &*inner.shards {
            let mut store = inner.lock(shard);
            store.purge_expired(now);
            removed += store.len() as u64;
            store.clear();
        }
        Ok(removed)
    }

    async fn stats(&self) -> Result<CacheStats, CacheError> {
        let inner = &*self.inner;
        let now = inner.now();
        let total: Stats = inner
            .shards
            .iter()
            .map(|shard| {
                let mut store = inner.lock(shard);
                store.purge_expired(now);
                store.stats()
            })
            .sum();
        Ok(CacheStats {
            backend: BackendKind::Memory,
            hits: total.hits,
            misses: total.misses,
            entries: Some(total.entries),
            memory: Some(MemoryStats {
                core: total,
                shards: inner.shards.len(),
                max_entries: inner.limits.max_entries() as u64,
                max_bytes: inner.limits.max_bytes(),
            }),
            redis: None,
        })
    }

    async fn health(&self) -> Result<Health, CacheError> {
        let start = Instant::now();
        for shard in &*self.inner.shards {
            drop(self.inner.lock(shard));
        }
        Ok(Health {
            backend: BackendKind::Memory,
            latency: start.elapsed(),
        })
    }

    fn single_flight(&self) -> &SingleFlight {
        &self.inner.single_flight
    }
}

impl fmt::Debug for InMemoryCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryCache")
            .field("shards", &self.inner.shards.len())
            .field("limits", &self.inner.limits)
            .field("clock", &self.inner.clock)
            .field("janitor", &self.inner.janitor.is_some())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for InMemoryCacheBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryCacheBuilder")
            .field("limits", &self.limits)
            .field("shards", &self.shards)
            .field("clock", &self.clock)
            .field("janitor_interval", &self.janitor_interval)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_caches_use_one_shard_and_limits_add_up() {
        let tiny = Limits::builder()
            .max_entries(3)
            .build()
            .expect("valid limits");
        assert_eq!(shard_count(&tiny, None), 1);
        let big = Limits::builder()
            .max_entries(1_000_000)
            .max_bytes(1 << 30)
            .build()
            .expect("valid limits");
        let n = shard_count(&big, None);
        assert!((1..=1_000_000 / MIN_ENTRIES_PER_SHARD).contains(&n), "{n}");
        let forced = NonZeroUsize::new(7).expect("7 is not zero");
        let odd = Limits::builder()
            .max_entries(100_003)
            .max_bytes(64 << 20)
            .build()
            .expect("valid limits");
        assert_eq!(shard_count(&odd, Some(forced)), 7);
        let parts: Vec<Limits> = (0..7).map(|i| shard_limits(&odd, 7, i)).collect();
        assert_eq!(
            parts.iter().map(|l| l.max_entries()).sum::<usize>(),
            100_003
        );
        assert_eq!(parts.iter().map(|l| l.max_bytes()).sum::<u64>(), 64 << 20);
        // Forced counts are clamped so each shard can hold a maximal entry.
        let two_entries_worth = Limits::builder()
            .max_bytes(2 << 20)
            .build()
            .expect("valid limits");
        assert_eq!(shard_count(&two_entries_worth, Some(forced)), 2);
    }
}
