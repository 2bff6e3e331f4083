//! [`MemoryCache`]: the core's store behind sharded mutexes, a clock and a janitor, with
//! synchronous methods. [`InMemoryCache`](crate::InMemoryCache) is its async face.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;
use std::num::NonZeroUsize;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use chatcache_core::{
    HashedKey, ImportSummary, KeyHasher, KeyTtl, Limits, Snapshot, Stats, Store, Timestamp, Ttl,
    Value,
};

use crate::cache::{BackendKind, CacheStats, Health, MemoryStats, to_ttl};
use crate::clock::{Clock, CoarseClock};
use crate::error::CacheError;
use crate::memory::InMemoryCache;
use crate::single_flight::SingleFlight;

/// Caches with fewer entries than this per prospective shard use fewer shards; below it they use
/// one shard, so small limits are enforced exactly.
pub const MIN_ENTRIES_PER_SHARD: usize = 4096;

/// Default period of the background janitor that reclaims expired entries.
pub const DEFAULT_JANITOR_INTERVAL: Duration = Duration::from_secs(1);

/// A thread-safe, in-process cache with **synchronous** methods: the in-memory backend without
/// the async [`Cache`](crate::Cache) trait, for code that is not async or wants the shortest
/// path (as `moka::sync::Cache` or `quick_cache::sync::Cache`).
///
/// * **Same cache, two faces:** [`InMemoryCache`] implements [`Cache`](crate::Cache) by calling
///   these methods. [`InMemoryCache::sync`] borrows this handle from an async one and
///   [`MemoryCache::to_async`] (or `From`) turns it back; both share one cache, at the cost of an
///   `Arc` clone. Every method has the semantics and errors of the [`Cache`](crate::Cache) method
///   of the same name; none blocks on I/O, only on a shard's mutex.
/// * **Reads:** [`MemoryCache::get`] copies the value into a `Vec` (the one allocation of a
///   hit); [`MemoryCache::get_shared`] returns a [`Value`] that shares the stored bytes (an
///   owned read that copies nothing: a reference-count increment); [`MemoryCache::get_with`]
///   hands a closure the stored bytes and allocates nothing.
/// * **Handle semantics:** `Clone` is cheap (an `Arc`); all clones share one cache.
/// * **Scaling:** entries are spread over shards by key hash, each shard a core store behind
///   its own `Mutex`, so threads touching different keys rarely contend. A key is hashed once
///   per call (foldhash, keyed with a random seed per cache): the hash picks the shard and is
///   handed to the shard's store. Limits are split evenly over the shards; caches with fewer
///   than [`MIN_ENTRIES_PER_SHARD`] entries × 2 use a single shard, so their limits hold exactly.
///   With several shards, eviction is per shard (S3-FIFO inside each), so a capacity eviction
///   can happen slightly before the global limit if keys hash unevenly.
/// * **Time:** read once per call, from the [`Clock`] given to the builder ([`CoarseClock`] by
///   default: no syscall, a precision of one kernel tick, 1–4 ms on Linux, so a TTL may run
///   up to that much long). Tests use [`ManualClock`](crate::ManualClock).
/// * **Default TTL:** [`InMemoryCacheBuilder::default_ttl`] gives entries stored without an
///   expiry a lifetime.
/// * **Reclamation:** a janitor thread (named `chatcache-purge`) wakes every
///   [`DEFAULT_JANITOR_INTERVAL`] and purges expired entries from the shards whose earliest
///   deadline has passed, so expired data does not sit in memory waiting to be read. It holds
///   only a weak reference and exits when the last handle is dropped.
///
/// ```
/// use std::time::Duration;
/// use chatcache::{Limits, ManualClock, MemoryCache};
///
/// let clock = ManualClock::new(0);
/// let cache = MemoryCache::builder()
///     .limits(Limits::builder().max_entries(1_000).build().expect("valid limits"))
///     .clock(clock.clone())
///     .build_sync()?;
/// cache.set("room:42:topic", b"Rust", Some(Duration::from_secs(60)))?;
/// // A borrowed read: the closure sees the stored bytes, nothing is allocated.
/// assert_eq!(cache.get_with("room:42:topic", |topic| topic.len())?, Some(4));
/// assert_eq!(cache.get("room:42:topic")?.as_deref(), Some(&b"Rust"[..]));
/// assert_eq!(cache.incr("room:42:visits", 1)?, 1);
/// clock.advance(Duration::from_secs(60));
/// assert_eq!(cache.get("room:42:topic")?, None);
/// # Ok::<(), chatcache::CacheError>(())
/// ```
#[derive(Clone)]
pub struct MemoryCache {
    inner: Arc<Inner>,
}

struct Inner {
    shards: Box<[Shard]>,
    hasher: KeyHasher,
    clock: TimeSource,
    limits: Limits,
    default_ttl: Option<Ttl>,
    janitor: Option<Arc<JanitorSignal>>,
    single_flight: SingleFlight,
}

/// The clock, with the default one called directly rather than through `dyn Clock`.
enum TimeSource {
    Coarse(CoarseClock),
    Custom(Arc<dyn Clock>),
}

impl TimeSource {
    #[inline]
    fn now(&self) -> Timestamp {
        match self {
            TimeSource::Coarse(clock) => clock.now(),
            TimeSource::Custom(clock) => clock.now(),
        }
    }
}

impl fmt::Debug for TimeSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeSource::Coarse(clock) => clock.fmt(f),
            TimeSource::Custom(clock) => clock.fmt(f),
        }
    }
}

struct Shard {
    store: Mutex<Store>,
    limits: Limits,
}

/// Configures and builds an [`InMemoryCache`] ([`build`](Self::build)) or a [`MemoryCache`]
/// ([`build_sync`](Self::build_sync)).
#[must_use]
pub struct InMemoryCacheBuilder {
    limits: Limits,
    shards: Option<NonZeroUsize>,
    clock: Option<Arc<dyn Clock>>,
    janitor_interval: Option<Duration>,
    default_ttl: Option<Duration>,
}

impl InMemoryCacheBuilder {
    /// Size limits for the whole cache (default: [`Limits::default`]).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Forces the number of shards (default: chosen from the CPU count and the limits, see
    /// [`MemoryCache`]). Clamped so every shard can hold at least one maximal entry.
    pub fn shards(mut self, shards: NonZeroUsize) -> Self {
        self.shards = Some(shards);
        self
    }

    /// The time source (default: a [`CoarseClock`] made when the cache is built).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// How often the janitor reclaims expired entries; `None` disables it (expired entries are
    /// then reclaimed by normal operations, [`MemoryCache::purge_expired`] and `stats`).
    pub fn janitor_interval(mut self, interval: Option<Duration>) -> Self {
        self.janitor_interval = interval;
        self
    }

    /// The expiry of entries stored by `set`, `add` and `set_many` with an expiry of `None`
    /// (default: none, such entries never expire), like the JavaScript package's `defaultTtl`.
    /// Sub-millisecond parts round up; a zero duration is refused by [`build`](Self::build).
    ///
    /// Only those three calls use it. `touch(key, None)` still makes an entry persistent (the
    /// way to keep one entry forever), `list_push` with `None` still keeps a list's expiry,
    /// and [`import`](MemoryCache::import) keeps the snapshot's deadlines.
    ///
    /// ```
    /// use std::time::Duration;
    /// use chatcache::{KeyTtl, ManualClock, MemoryCache};
    ///
    /// let clock = ManualClock::new(0);
    /// let cache = MemoryCache::builder()
    ///     .default_ttl(Duration::from_secs(300))
    ///     .clock(clock.clone())
    ///     .build_sync()?;
    /// cache.set("session:7", b"ada", None)?;
    /// let left = cache.ttl("session:7")?.and_then(KeyTtl::remaining);
    /// assert_eq!(left, Some(Duration::from_secs(300)));
    /// clock.advance(Duration::from_secs(300));
    /// assert_eq!(cache.get("session:7")?, None);
    /// # Ok::<(), chatcache::CacheError>(())
    /// ```
    pub fn default_ttl(mut self, ttl: Duration) -> Self {
        self.default_ttl = Some(ttl);
        self
    }

    /// Builds the async-trait cache (and starts its janitor thread, if enabled).
    ///
    /// # Errors
    /// [`CacheError::InvalidInput`] if the default TTL is zero or too long;
    /// [`CacheError::Unavailable`] if the janitor thread cannot be started.
    pub fn build(self) -> Result<InMemoryCache, CacheError> {
        self.build_sync().map(InMemoryCache::from)
    }

    /// Builds the synchronous cache (and starts its janitor thread, if enabled).
    ///
    /// # Errors
    /// As [`build`](Self::build).
    pub fn build_sync(self) -> Result<MemoryCache, CacheError> {
        let default_ttl = to_ttl(self.default_ttl)?;
        let n = shard_count(&self.limits, self.shards);
        // One random seed per cache, taken from std's per-process random keys; after this the
        // hot path hashes with foldhash only.
        let hasher = KeyHasher::new(RandomState::new().hash_one("chatcache-key-seed"));
        let shards = (0..n)
            .map(|i| {
                let limits = shard_limits(&self.limits, n, i);
                Shard {
                    store: Mutex::new(Store::with_hasher(limits, hasher)),
                    limits,
                }
            })
            .collect::<Box<[Shard]>>();
        let signal = self
            .janitor_interval
            .map(|_| Arc::new(JanitorSignal::default()));
        let clock = match self.clock {
            Some(clock) => TimeSource::Custom(clock),
            None => TimeSource::Coarse(CoarseClock::new()),
        };
        let inner = Arc::new(Inner {
            shards,
            hasher,
            clock,
            limits: self.limits,
            default_ttl,
            janitor: signal.clone(),
            single_flight: SingleFlight::new(),
        });
        if let (Some(interval), Some(signal)) = (self.janitor_interval, signal) {
            spawn_janitor(Arc::downgrade(&inner), signal, interval)?;
        }
        tracing::debug!(shards = n, limits = ?self.limits, ?default_ttl, "in-memory cache created");
        Ok(MemoryCache { inner })
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

/// The shard of a key hash among `n`. The store's hash table takes its bucket from the low
/// bits and its tag byte from the top 7, so the shard comes from bits 24..56 (multiply-shift,
/// which also spreads evenly over shard counts that are not powers of two).
fn shard_of(hash: u64, n: usize) -> usize {
    let mid = (hash >> 24) & 0xffff_ffff;
    // `n` fits in 32 bits (shard counts are clamped far below), so the product fits in 64 and
    // the result is `< n`.
    ((mid * n as u64) >> 32) as usize
}

impl Default for InMemoryCacheBuilder {
    fn default() -> Self {
        InMemoryCacheBuilder {
            limits: Limits::default(),
            shards: None,
            clock: None,
            janitor_interval: Some(DEFAULT_JANITOR_INTERVAL),
            default_ttl: None,
        }
    }
}

impl MemoryCache {
    /// A cache with `limits`, the default clock and the default janitor.
    ///
    /// # Errors
    /// [`CacheError::Unavailable`] if the janitor thread cannot be started.
    pub fn new(limits: Limits) -> Result<MemoryCache, CacheError> {
        MemoryCache::builder().limits(limits).build_sync()
    }

    /// A builder for choosing the clock, the shard count, the janitor and a default TTL; finish
    /// it with [`InMemoryCacheBuilder::build_sync`].
    pub fn builder() -> InMemoryCacheBuilder {
        InMemoryCacheBuilder::default()
    }

    /// The async-trait face of this cache, sharing its entries.
    #[must_use]
    pub fn to_async(&self) -> InMemoryCache {
        InMemoryCache::from(self.clone())
    }

    /// The limits of the whole cache.
    #[must_use]
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// The expiry given to entries stored without one (see
    /// [`InMemoryCacheBuilder::default_ttl`]).
    #[must_use]
    pub fn default_ttl(&self) -> Option<Duration> {
        self.inner.default_ttl.map(Ttl::as_duration)
    }

    /// Number of shards.
    #[must_use]
    pub fn shard_count(&self) -> usize {
        self.inner.shards.len()
    }

    /// The value stored under `key`, copied, or `None` if it is missing or expired. Counts a
    /// hit or a miss. See [`Cache::get`](crate::Cache::get).
    ///
    /// # Errors
    /// [`CacheError::InvalidInput`] for an invalid key, [`WrongType`](chatcache_core::Error::WrongType)
    /// if it holds a list or member set.
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        self.get_with(key, <[u8]>::to_vec)
    }

    /// The value stored under `key` as a [`Value`], or `None` if it is missing or expired:
    /// an owned read that shares the stored bytes instead of copying them (a reference-count
    /// increment; no allocation). Counts a hit or a miss.
    ///
    /// A `Value` derefs to `&[u8]`, is `Clone` (another increment), `Send` and `Sync`, and
    /// never changes: a later write to the key leaves it as it was read. Holding one keeps its
    /// bytes allocated after the entry is evicted or replaced, outside the cache's byte limit.
    ///
    /// ```
    /// use chatcache::{MemoryCache, Value};
    /// let cache = MemoryCache::new(Default::default())?;
    /// cache.set("room:42:topic", b"Rust", None)?;
    /// let topic: Value = cache.get_shared("room:42:topic")?.expect("just set");
    /// cache.set("room:42:topic", b"Zig", None)?;
    /// assert_eq!(&*topic, b"Rust");
    /// std::thread::spawn(move || assert_eq!(topic.len(), 4)).join().unwrap();
    /// # Ok::<(), chatcache::CacheError>(())
    /// ```
    ///
    /// # Errors
    /// As [`MemoryCache::get`].
    pub fn get_shared(&self, key: &str) -> Result<Option<Value>, CacheError> {
        self.with_shard(key, |s, key, now| Ok(s.get_shared(key, now)?))
    }

    /// Calls `read` with the bytes stored under `key` and returns its result, or `None` if the
    /// key is missing or expired: a read that allocates nothing. Counts a hit or a miss.
    ///
    /// `read` runs while the key's shard is locked: keep it short, and do not call this cache
    /// from inside it (that may deadlock).
    ///
    /// ```
    /// use chatcache::MemoryCache;
    /// let cache = MemoryCache::new(Default::default())?;
    /// cache.set("user:1:name", b"Ada", None)?;
    /// let name = cache.get_with("user:1:name", |b| String::from_utf8_lossy(b).into_owned())?;
    /// assert_eq!(name.as_deref(), Some("Ada"));
    /// # Ok::<(), chatcache::CacheError>(())
    /// ```
    ///
    /// # Errors
    /// As [`MemoryCache::get`]; `read` is not called then.
    pub fn get_with<R>(
        &self,
        key: &str,
        read: impl FnOnce(&[u8]) -> R,
    ) -> Result<Option<R>, CacheError> {
        self.with_shard(key, |s, key, now| Ok(s.get(key, now)?.map(read)))
    }

    /// Stores `value` under `key`, replacing any previous value and expiry. An `expiry` of
    /// `None` means the default TTL if one is configured, else no expiry. See
    /// [`Cache::set`](crate::Cache::set).
    ///
    /// # Errors
    /// [`CacheError::InvalidInput`] for an invalid key, a zero or too long expiry or an entry
    /// larger than `max_entry_bytes`; nothing changes then.
    pub fn set(&self, key: &str, value: &[u8], expiry: Option<Duration>) -> Result<(), CacheError> {
        let ttl = self.expiry_or_default(expiry)?;
        self.with_shard(key, |s, key, now| Ok(s.set(key, value, ttl, now)?))
    }

    /// Stores `value` only if `key` is missing or expired. Returns whether it was stored. See
    /// [`Cache::add`](crate::Cache::add); `None` means the default TTL as for
    /// [`MemoryCache::set`].
    ///
    /// # Errors
    /// As [`MemoryCache::set`].
    pub fn add(
        &self,
        key: &str,
        value: &[u8],
        expiry: Option<Duration>,
    ) -> Result<bool, CacheError> {
        let ttl = self.expiry_or_default(expiry)?;
        self.with_shard(key, |s, key, now| Ok(s.add(key, value, ttl, now)?))
    }

    /// Removes `key`. Returns whether a live entry was removed.
    ///
    /// # Errors
    /// [`CacheError::InvalidInput`] for an invalid key.
    pub fn delete(&self, key: &str) -> Result<bool, CacheError> {
        self.with_shard(key, |s, key, now| Ok(s.delete(key, now)?))
    }

    /// The values of `keys`, in order (`None` for missing ones). Every key is checked first.
    ///
    /// # Errors
    /// As [`MemoryCache::get`], for the first key that fails.
    pub fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, CacheError> {
        for key in keys {
            self.inner.limits.check_key(key)?;
        }
        keys.iter().map(|key| self.get(key)).collect()
    }

    /// Stores every `(key, value)` with the same expiry (`None`: the default TTL, if any). All
    /// entries are validated first: if one is invalid, nothing is stored.
    ///
    /// # Errors
    /// As [`MemoryCache::set`].
    pub fn set_many(
        &self,
        entries: &[(&str, &[u8])],
        expiry: Option<Duration>,
    ) -> Result<(), CacheError> {
        let ttl = self.expiry_or_default(expiry)?;
        for (key, value) in entries {
            self.inner.limits.check_entry(key, value.len())?;
        }
        for (key, value) in entries {
            self.with_shard(key, |s, key, now| s.set(key, value, ttl, now))?;
        }
        Ok(())
    }

    /// Removes every key in `keys` (all checked first). Returns how many live entries were
    /// removed.
    ///
    /// # Errors
    /// [`CacheError::InvalidInput`] for an invalid key; nothing is removed then.
    pub fn delete_many(&self, keys: &[&str]) -> Result<u64, CacheError> {
        for key in keys {
            self.inner.limits.check_key(key)?;
        }
        let mut removed = 0;
        for key in keys {
            removed += u64::from(self.with_shard(key, |s, key, now| s.delete(key, now))?);
        }
        Ok(removed)
    }

    /// Adds `by` to the integer stored under `key` (Redis `INCRBY`); see
    /// [`Cache::incr`](crate::Cache::incr).
    ///
    /// # Errors
    /// [`NotAnInteger`](chatcache_core::Error::NotAnInteger),
    /// [`Overflow`](chatcache_core::Error::Overflow) or an invalid key; nothing changes then.
    pub fn incr(&self, key: &str, by: i64) -> Result<i64, CacheError> {
        self.with_shard(key, |s, key, now| Ok(s.incr(key, by, now)?))
    }

    /// Subtracts `by` from the integer stored under `key`; see [`MemoryCache::incr`].
    ///
    /// # Errors
    /// As [`MemoryCache::incr`].
    pub fn decr(&self, key: &str, by: i64) -> Result<i64, CacheError> {
        self.with_shard(key, |s, key, now| Ok(s.decr(key, by, now)?))
    }

    /// Replaces the expiry of a live entry (`None` makes it persistent, default TTL or not).
    /// Returns whether the key existed.
    ///
    /// # Errors
    /// An invalid key or expiry.
    pub fn touch(&self, key: &str, expiry: Option<Duration>) -> Result<bool, CacheError> {
        let ttl = to_ttl(expiry)?;
        self.with_shard(key, |s, key, now| Ok(s.touch(key, ttl, now)?))
    }

    /// The remaining lifetime of `key`: `None` if missing, else a [`KeyTtl`]
    /// ([`KeyTtl::remaining`] gives it as a `Duration`).
    ///
    /// # Errors
    /// [`CacheError::InvalidInput`] for an invalid key.
    pub fn ttl(&self, key: &str) -> Result<Option<KeyTtl>, CacheError> {
        self.with_shard(key, |s, key, now| Ok(s.ttl(key, now)?))
    }

    /// Whether `key` holds a live entry. Does not count as a hit or miss.
    ///
    /// # Errors
    /// [`CacheError::InvalidInput`] for an invalid key.
    pub fn exists(&self, key: &str) -> Result<bool, CacheError> {
        self.with_shard(key, |s, key, now| Ok(s.contains(key, now)?))
    }

    /// Appends `item` to the capped list under `key` and returns its new length; see
    /// [`Cache::list_push`](crate::Cache::list_push) (`None` keeps the list's expiry; the
    /// default TTL does not apply).
    ///
    /// # Errors
    /// An invalid expiry, key or cap, an item too large, or a key of another kind.
    pub fn list_push(
        &self,
        key: &str,
        item: &[u8],
        cap: usize,
        expiry: Option<Duration>,
    ) -> Result<usize, CacheError> {
        // The expiry is checked first, then the key and the cap, as by the Redis backend.
        let ttl = to_ttl(expiry)?;
        let cap = u64::try_from(cap).unwrap_or(u64::MAX);
        self.with_shard(
            key,
            |s, key, now| Ok(s.list_push(key, item, cap, ttl, now)?),
        )
    }

    /// The items of the list under `key` from `start` to `stop` inclusive, oldest first, with
    /// Redis `LRANGE` indices; see [`Cache::list_range`](crate::Cache::list_range).
    ///
    /// # Errors
    /// An invalid key or a key of another kind.
    pub fn list_range(&self, key: &str, start: i64, stop: i64) -> Result<Vec<Vec<u8>>, CacheError> {
        self.with_shard(key, |s, key, now| {
            Ok(s.list_range(key, start, stop, now)?
                .map(<[u8]>::to_vec)
                .collect())
        })
    }

    /// The length of the list under `key` (0 if missing).
    ///
    /// # Errors
    /// An invalid key or a key of another kind.
    pub fn list_len(&self, key: &str) -> Result<usize, CacheError> {
        self.with_shard(key, |s, key, now| Ok(s.list_len(key, now)?))
    }

    /// Adds `member` to the member set under `key` for `ttl` (or renews it). Returns whether it
    /// was new; see [`Cache::member_add`](crate::Cache::member_add).
    ///
    /// # Errors
    /// An invalid key, member or TTL, or a key of another kind.
    pub fn member_add(&self, key: &str, member: &str, ttl: Duration) -> Result<bool, CacheError> {
        let ttl = Ttl::try_from(ttl)?;
        self.with_shard(key, |s, key, now| Ok(s.member_add(key, member, ttl, now)?))
    }

    /// The live members of the set under `key`.
    ///
    /// # Errors
    /// An invalid key or a key of another kind.
    pub fn members(&self, key: &str) -> Result<Vec<String>, CacheError> {
        self.with_shard(key, |s, key, now| {
            Ok(s.members(key, now)?.map(str::to_owned).collect())
        })
    }

    /// Removes `member` from the set under `key`. Returns whether it was a live member.
    ///
    /// # Errors
    /// An invalid key or a key of another kind.
    pub fn member_remove(&self, key: &str, member: &str) -> Result<bool, CacheError> {
        self.with_shard(key, |s, key, now| Ok(s.member_remove(key, member, now)?))
    }

    /// Removes every entry. Returns how many live entries were removed.
    pub fn clear(&self) -> u64 {
        let inner = &*self.inner;
        let now = inner.now();
        let mut removed = 0u64;
        for shard in &*inner.shards {
            let mut store = inner.lock(shard);
            store.purge_expired(now);
            removed += store.len() as u64;
            store.clear();
        }
        removed
    }

    /// Hit and miss counters and memory figures, after reclaiming expired entries.
    #[must_use]
    pub fn stats(&self) -> CacheStats {
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
        CacheStats {
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
        }
    }

    /// How long locking every shard in turn takes (the in-memory health check).
    #[must_use]
    pub fn health(&self) -> Health {
        let start = Instant::now();
        for shard in &*self.inner.shards {
            drop(self.inner.lock(shard));
        }
        Health {
            backend: BackendKind::Memory,
            latency: start.elapsed(),
        }
    }

    /// Entries currently held in memory, *including* expired ones not yet reclaimed (unlike
    /// [`MemoryCache::stats`], which reclaims first). Shows whether expired data still
    /// occupies memory; never changes anything.
    #[must_use]
    pub fn held_entries(&self) -> usize {
        self.inner
            .shards
            .iter()
            .map(|shard| self.inner.lock(shard).len())
            .sum()
    }

    /// Bytes currently held (key + value + overhead per entry), including expired entries not
    /// yet reclaimed; see [`MemoryCache::held_entries`].
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
    /// cache's clock: save it to warm a cache after a restart with [`MemoryCache::import`].
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
            let hash = inner.hasher.hash(&entry.key).hash();
            by_shard[shard_of(hash, inner.shards.len())].push(entry.clone());
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

    /// Checks the internal invariants of every shard (for tests and fuzzing), including that
    /// every key sits in the shard its hash picks.
    ///
    /// # Errors
    /// A description of the first violated invariant.
    pub fn validate(&self) -> Result<(), String> {
        let inner = &*self.inner;
        let n = inner.shards.len();
        for (i, shard) in inner.shards.iter().enumerate() {
            let store = inner.lock(shard);
            store.validate().map_err(|e| format!("shard {i}: {e:?}"))?;
            for entry in store.export(Timestamp::ZERO).entries {
                let home = shard_of(inner.hasher.hash(&entry.key).hash(), n);
                if home != i {
                    return Err(format!(
                        "shard {i}: key {:?} belongs in shard {home}",
                        entry.key
                    ));
                }
            }
        }
        Ok(())
    }

    pub(crate) fn single_flight(&self) -> &SingleFlight {
        &self.inner.single_flight
    }

    /// `expiry`, or the default TTL when it is `None`.
    fn expiry_or_default(&self, expiry: Option<Duration>) -> Result<Option<Ttl>, CacheError> {
        Ok(to_ttl(expiry)?.or(self.inner.default_ttl))
    }

    /// The hot path: hash the key once, pick its shard, read the clock once, lock, run `f`.
    #[inline]
    fn with_shard<T>(
        &self,
        key: &str,
        f: impl FnOnce(&mut Store, HashedKey<'_>, Timestamp) -> T,
    ) -> T {
        let inner = &*self.inner;
        let key = inner.hasher.hash(key);
        let shard = &inner.shards[shard_of(key.hash(), inner.shards.len())];
        let now = inner.now();
        let mut store = inner.lock(shard);
        f(&mut store, key, now)
    }
}

impl From<InMemoryCache> for MemoryCache {
    fn from(cache: InMemoryCache) -> MemoryCache {
        cache.sync().clone()
    }
}

impl Inner {
    /// The one place the in-memory backend reads its clock.
    #[inline]
    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Locks a shard. A poisoned shard (a panic while it was locked) may hold a half-updated
    /// store; a cache can always forget its contents, so it is replaced by an empty store.
    #[inline]
    fn lock<'a>(&self, shard: &'a Shard) -> MutexGuard<'a, Store> {
        shard
            .store
            .lock()
            .unwrap_or_else(|poisoned: PoisonError<_>| {
                tracing::error!("a cache shard was poisoned by a panic; its entries are dropped");
                let mut guard = poisoned.into_inner();
                *guard = Store::with_hasher(shard.limits, self.hasher);
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

impl fmt::Debug for MemoryCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryCache")
            .field("shards", &self.inner.shards.len())
            .field("limits", &self.inner.limits)
            .field("default_ttl", &self.inner.default_ttl)
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
            .field("default_ttl", &self.default_ttl)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ManualClock;

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

    #[test]
    fn shards_are_picked_evenly_and_in_range() {
        let hasher = KeyHasher::new(0x5eed);
        for n in [1usize, 2, 7, 8, 64] {
            let mut counts = vec![0u32; n];
            for i in 0..7_000 {
                let s = shard_of(hasher.hash(&format!("room:{i}")).hash(), n);
                counts[s] += 1;
            }
            let expected = 7_000 / n as u32;
            for (s, &c) in counts.iter().enumerate() {
                // A uniform hash puts each shard within a few standard deviations.
                assert!(
                    c > expected * 3 / 4 && c < expected * 5 / 4,
                    "n={n} shard {s}: {c}"
                );
            }
        }
        assert_eq!(shard_of(u64::MAX, 7), 6);
        assert_eq!(shard_of(0, 7), 0);
    }

    fn sharded(clock: &ManualClock) -> MemoryCache {
        MemoryCache::builder()
            .limits(
                Limits::builder()
                    .max_entries(100_000)
                    .max_bytes(64 << 20)
                    .build()
                    .expect("valid limits"),
            )
            .shards(NonZeroUsize::new(8).expect("8 is not zero"))
            .clock(clock.clone())
            .janitor_interval(None)
            .build_sync()
            .expect("cache builds")
    }

    #[test]
    fn every_operation_works_through_the_sync_api() {
        let clock = ManualClock::new(1_000);
        let cache = sharded(&clock);
        assert_eq!(cache.shard_count(), 8);
        cache.set("a", b"1", None).expect("set");
        assert_eq!(cache.get("a").expect("get"), Some(b"1".to_vec()));
        assert_eq!(
            cache.get_with("a", |v| v.to_vec()).expect("get_with"),
            Some(b"1".to_vec())
        );
        assert_eq!(
            cache
                .get_with("nope", |_| unreachable!("missing keys are not read"))
                .expect("get_with"),
            None
        );
        let shared = cache.get_shared("a").expect("get_shared").expect("a hit");
        assert_eq!(shared, b"1");
        assert_eq!(cache.get_shared("nope").expect("get_shared"), None);
        assert!(!cache.add("a", b"2", None).expect("add"));
        assert!(
            cache
                .add("b", b"2", Some(Duration::from_secs(1)))
                .expect("add")
        );
        assert_eq!(cache.incr("n", 5).expect("incr"), 5);
        assert_eq!(cache.decr("n", 7).expect("decr"), -2);
        assert_eq!(cache.ttl("a").expect("ttl"), Some(KeyTtl::Persistent));
        assert!(
            cache
                .touch("a", Some(Duration::from_millis(1_500)))
                .expect("touch")
        );
        assert_eq!(
            cache.ttl("a").expect("ttl").and_then(KeyTtl::remaining),
            Some(Duration::from_millis(1_500))
        );
        assert!(cache.exists("b").expect("exists"));
        clock.advance(Duration::from_secs(1));
        assert!(!cache.exists("b").expect("exists"));
        assert_eq!(cache.list_push("h", b"x", 2, None).expect("push"), 1);
        assert_eq!(cache.list_push("h", b"y", 2, None).expect("push"), 2);
        assert_eq!(cache.list_push("h", b"z", 2, None).expect("push"), 2);
        assert_eq!(
            cache.list_range("h", 0, -1).expect("range"),
            [b"y".to_vec(), b"z".to_vec()]
        );
        assert_eq!(cache.list_len("h").expect("len"), 2);
        assert!(
            cache
                .member_add("on", "ada", Duration::from_secs(5))
                .expect("member_add")
        );
        assert_eq!(cache.members("on").expect("members"), ["ada"]);
        assert!(cache.member_remove("on", "ada").expect("member_remove"));
        assert_eq!(cache.get("h").unwrap_err().code(), "wrong_type");
        assert_eq!(cache.get_shared("h").unwrap_err().code(), "wrong_type");
        assert_eq!(cache.get_shared("").unwrap_err().code(), "empty_key");
        cache
            .set_many(&[("m1", b"1"), ("m2", b"2")], None)
            .expect("set_many");
        assert_eq!(
            cache.get_many(&["m1", "zz", "m2"]).expect("get_many"),
            [Some(b"1".to_vec()), None, Some(b"2".to_vec())]
        );
        assert_eq!(
            cache.delete_many(&["m1", "m2", "zz"]).expect("delete_many"),
            2
        );
        assert!(cache.delete("a").expect("delete"));
        let stats = cache.stats();
        assert_eq!(stats.entries, Some(2), "{stats:?}"); // "n" and "h"
        cache.validate().expect("invariants hold");
        let snapshot = cache.export();
        let copy = sharded(&clock);
        copy.import(&snapshot).expect("import");
        copy.validate().expect("imported keys sit in their shards");
        assert_eq!(copy.get("n").expect("get"), Some(b"-2".to_vec()));
        assert_eq!(cache.clear(), 2);
        assert_eq!(cache.held_entries(), 0);
    }

    #[test]
    fn default_ttl_applies_to_stores_without_expiry_only() {
        let clock = ManualClock::new(0);
        let cache = MemoryCache::builder()
            .default_ttl(Duration::from_secs(10))
            .clock(clock.clone())
            .build_sync()
            .expect("cache builds");
        assert_eq!(cache.default_ttl(), Some(Duration::from_secs(10)));
        cache.set("d", b"1", None).expect("set");
        cache
            .set("e", b"1", Some(Duration::from_secs(20)))
            .expect("set");
        assert!(cache.add("f", b"1", None).expect("add"));
        cache.set_many(&[("g", b"1")], None).expect("set_many");
        cache.set("p", b"1", None).expect("set");
        assert!(cache.touch("p", None).expect("touch"));
        cache.list_push("l", b"1", 10, None).expect("push");
        assert_eq!(cache.incr("c", 1).expect("incr"), 1);
        clock.advance(Duration::from_secs(10));
        for gone in ["d", "f", "g"] {
            assert_eq!(cache.get(gone).expect("get"), None, "{gone}");
        }
        for kept in ["e", "p", "c"] {
            assert!(cache.exists(kept).expect("exists"), "{kept}");
        }
        assert_eq!(cache.list_len("l").expect("len"), 1);
        let zero = MemoryCache::builder()
            .default_ttl(Duration::ZERO)
            .build_sync();
        assert_eq!(zero.unwrap_err().code(), "zero_ttl");
    }

    #[test]
    fn concurrent_writers_lose_nothing() {
        let clock = ManualClock::new(0);
        let cache = sharded(&clock);
        let threads = 4;
        let per_thread = 2_000;
        std::thread::scope(|scope| {
            for t in 0..threads {
                let cache = cache.clone();
                scope.spawn(move || {
                    for i in 0..per_thread {
                        cache
                            .set(&format!("t{t}:k{i}"), format!("{t}/{i}").as_bytes(), None)
                            .expect("set");
                        cache.incr("shared-counter", 1).expect("incr");
                        cache
                            .list_push("shared-list", b"x", 1_000_000, None)
                            .expect("push");
                        assert!(
                            cache
                                .get_with(&format!("t{t}:k{i}"), |_| ())
                                .expect("get")
                                .is_some()
                        );
                    }
                });
            }
        });
        let total = threads * per_thread;
        assert_eq!(
            cache.get("shared-counter").expect("get"),
            Some(total.to_string().into_bytes())
        );
        assert_eq!(cache.list_len("shared-list").expect("len"), total);
        for t in 0..threads {
            for i in 0..per_thread {
                let value = cache.get(&format!("t{t}:k{i}")).expect("get");
                assert_eq!(value, Some(format!("{t}/{i}").into_bytes()));
            }
        }
        cache.validate().expect("invariants hold");
    }

    #[test]
    fn both_faces_share_one_cache() {
        let sync = MemoryCache::new(Limits::default()).expect("cache builds");
        let async_face = sync.to_async();
        sync.set("k", b"v", None).expect("set");
        assert_eq!(
            async_face.sync().get("k").expect("get"),
            Some(b"v".to_vec())
        );
        let back: MemoryCache = async_face.into();
        assert!(back.delete("k").expect("delete"));
        assert_eq!(sync.get("k").expect("get"), None);
    }
}
