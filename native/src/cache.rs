//! The [`Cache`] trait every backend implements, typed helpers ([`CacheExt`]) and the
//! figures returned by [`Cache::stats`] and [`Cache::health`].

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use chatcache_core::{KeyTtl, Ttl};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::CacheError;
use crate::single_flight::{LoadFailure, SingleFlight};

/// Which storage a cache handle talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BackendKind {
    /// [`InMemoryCache`](crate::InMemoryCache): this process only.
    Memory,
    /// [`RedisCache`](crate::RedisCache): shared between processes.
    Redis,
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BackendKind::Memory => "memory",
            BackendKind::Redis => "redis",
        })
    }
}

/// A key-value cache with optional per-entry expiry: the seed's `BaseCache`, grown up.
///
/// Keys are non-empty UTF-8 strings of at most `max_key_bytes` bytes; values are bytes (use
/// [`CacheExt`] for strings and JSON). An `expiry` of `None` means "never expires"; a zero
/// expiry is rejected ([`chatcache_core::Error::ZeroTtl`]) and sub-millisecond expiries round up
/// to 1 ms. Every backend applies the same validation (the core's
/// [`Limits`](chatcache_core::Limits)) before doing anything, so invalid input is rejected
/// identically and changes nothing.
///
/// The trait is object-safe: `Arc<dyn Cache>` works, and so does a generic `C: Cache`.
///
/// ```
/// use std::time::Duration;
/// use chatcache::{Cache, InMemoryCache};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), chatcache::CacheError> {
/// let cache = InMemoryCache::new(Default::default())?;
/// cache.set("greeting", b"hello", Some(Duration::from_secs(60))).await?;
/// assert_eq!(cache.get("greeting").await?.as_deref(), Some(&b"hello"[..]));
/// assert_eq!(cache.incr("visits", 1).await?, 1);
/// assert!(cache.delete("greeting").await?);
/// # Ok(())
/// # }
/// ```
#[async_trait]
pub trait Cache: Send + Sync + fmt::Debug {
    /// Which backend this is.
    fn backend(&self) -> BackendKind;

    /// The value stored under `key`, or `None` if it is missing or expired. Counts a hit or a
    /// miss.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError>;

    /// Stores `value` under `key`, replacing any previous value and expiry.
    async fn set(
        &self,
        key: &str,
        value: &[u8],
        expiry: Option<Duration>,
    ) -> Result<(), CacheError>;

    /// Removes `key`. Returns whether a live entry was removed.
    async fn delete(&self, key: &str) -> Result<bool, CacheError>;

    /// Stores `value` only if `key` is missing or expired. Returns whether it was stored.
    async fn add(
        &self,
        key: &str,
        value: &[u8],
        expiry: Option<Duration>,
    ) -> Result<bool, CacheError>;

    /// The values of `keys`, in order (`None` for missing ones). One round trip on Redis.
    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, CacheError>;

    /// Stores every `(key, value)` with the same expiry. All entries are validated first: if
    /// one is invalid, nothing is stored. One round trip on Redis.
    async fn set_many(
        &self,
        entries: &[(&str, &[u8])],
        expiry: Option<Duration>,
    ) -> Result<(), CacheError>;

    /// Removes every key in `keys`. Returns how many live entries were removed.
    async fn delete_many(&self, keys: &[&str]) -> Result<u64, CacheError>;

    /// Adds `by` to the integer stored under `key` (Redis `INCRBY` semantics): a missing key
    /// starts from 0 and becomes a persistent entry; an existing expiry is kept. The value must
    /// be a canonical decimal `i64` (`"12"`, `"-5"`), else
    /// [`NotAnInteger`](chatcache_core::Error::NotAnInteger); overflow is
    /// [`Overflow`](chatcache_core::Error::Overflow). On error nothing changes.
    async fn incr(&self, key: &str, by: i64) -> Result<i64, CacheError>;

    /// Subtracts `by` from the integer stored under `key`; see [`Cache::incr`].
    async fn decr(&self, key: &str, by: i64) -> Result<i64, CacheError>;

    /// Replaces the expiry of a live entry (`None` makes it persistent). Returns whether the key
    /// existed. A member set never outlives its members: its expiry becomes the earlier of
    /// `expiry` and its latest member's deadline.
    async fn touch(&self, key: &str, expiry: Option<Duration>) -> Result<bool, CacheError>;

    /// The remaining lifetime of `key`: `None` if missing, [`KeyTtl::Persistent`] if it never
    /// expires, else [`KeyTtl::Remaining`] (at least 1 ms).
    async fn ttl(&self, key: &str) -> Result<Option<KeyTtl>, CacheError>;

    /// Whether `key` holds a live entry. Does not count as a hit or miss.
    async fn exists(&self, key: &str) -> Result<bool, CacheError>;

    /// Appends `item` to the capped list under `key` (a room's recent history) and returns the
    /// list's new length, in one atomic step (on Redis: one script, one round trip), so
    /// concurrent pushes are never lost.
    ///
    /// The list keeps its newest `cap` items (`1..=`[`MAX_LIST_CAP`](chatcache_core::MAX_LIST_CAP),
    /// else [`InvalidCap`](chatcache_core::Error::InvalidCap)), dropping the oldest from the head,
    /// and also drops the oldest items when the entry would grow past `max_entry_bytes` (it
    /// weighs its key + each item + 16 per item + 48). An item too large even alone is
    /// [`EntryTooLarge`](chatcache_core::Error::EntryTooLarge). `expiry: Some` sets the key's
    /// expiry; `None` keeps it (a new list never expires). A key holding another kind is
    /// [`WrongType`](chatcache_core::Error::WrongType). On error nothing changes.
    async fn list_push(
        &self,
        key: &str,
        item: &[u8],
        cap: usize,
        expiry: Option<Duration>,
    ) -> Result<usize, CacheError>;

    /// The items of the list under `key` from `start` to `stop` inclusive, oldest first, with
    /// Redis `LRANGE` indices (negative ones count from the newest: `-50, -1` is the newest 50).
    /// A missing key is an empty list. Counts a hit or a miss.
    async fn list_range(
        &self,
        key: &str,
        start: i64,
        stop: i64,
    ) -> Result<Vec<Vec<u8>>, CacheError>;

    /// The number of items in the list under `key` (0 if there is none).
    async fn list_len(&self, key: &str) -> Result<usize, CacheError>;

    /// Adds `member` to the member set under `key` (who is online or typing), or refreshes it,
    /// with its own expiry `ttl`; returns whether it was not live before. The set lives while
    /// any member does. On Redis, expiry is decided by the Redis server's own clock, so app
    /// servers' clocks do not matter.
    ///
    /// Members are non-empty and at most `max_key_bytes` long
    /// ([`EmptyMember`](chatcache_core::Error::EmptyMember),
    /// [`MemberTooLong`](chatcache_core::Error::MemberTooLong)); an add that would make the set
    /// heavier than `max_entry_bytes` is refused. A key holding another kind is
    /// [`WrongType`](chatcache_core::Error::WrongType).
    async fn member_add(&self, key: &str, member: &str, ttl: Duration) -> Result<bool, CacheError>;

    /// The live members of the member set under `key`, in byte order (empty if there is no
    /// set). Counts a hit or a miss.
    async fn members(&self, key: &str) -> Result<Vec<String>, CacheError>;

    /// Removes `member` from the member set under `key`; returns whether it was live. The set
    /// goes with its last member.
    async fn member_remove(&self, key: &str, member: &str) -> Result<bool, CacheError>;

    /// Removes every entry of this cache (on Redis: every key under the namespace, and nothing
    /// else). Returns how many entries were removed.
    async fn clear(&self) -> Result<u64, CacheError>;

    /// Counters and sizes; see [`CacheStats`].
    async fn stats(&self) -> Result<CacheStats, CacheError>;

    /// A liveness probe with its latency (a `PING` on Redis, of every primary of a cluster).
    async fn health(&self) -> Result<Health, CacheError>;

    /// The loads in flight for this cache, shared by its clones: what makes
    /// [`CacheExt::get_or_set_with`] run one loader per missing key. An implementation keeps one
    /// [`SingleFlight`] per cache and returns it here.
    fn single_flight(&self) -> &SingleFlight;
}

/// Statistics for one cache handle and its clones.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct CacheStats {
    /// Which backend produced these figures.
    pub backend: BackendKind,
    /// `get`/`get_many` lookups that found a live entry (through this handle and its clones).
    pub hits: u64,
    /// `get`/`get_many` lookups that found nothing.
    pub misses: u64,
    /// Live entries: in memory, entries held after reclaiming expired ones; on Redis, keys under
    /// this cache's namespace — counted only when
    /// [`CacheConfig::redis_count_entries`](crate::CacheConfig::redis_count_entries) is on
    /// (the count scans every primary), else `None`.
    pub entries: Option<u64>,
    /// In-memory backend details.
    pub memory: Option<MemoryStats>,
    /// Redis server figures from `INFO`.
    pub redis: Option<RedisServerStats>,
}

impl CacheStats {
    /// `hits / (hits + misses)`, or `None` before the first lookup.
    #[must_use]
    pub fn hit_ratio(&self) -> Option<f64> {
        let total = self.hits + self.misses;
        #[allow(clippy::cast_precision_loss)] // a ratio, not an exact count
        (total > 0).then(|| self.hits as f64 / total as f64)
    }
}

/// Figures of the in-memory backend.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct MemoryStats {
    /// The core's counters summed over all shards.
    pub core: chatcache_core::Stats,
    /// Number of shards (each a separately locked core store).
    pub shards: usize,
    /// Configured entry limit (over all shards).
    pub max_entries: u64,
    /// Configured byte limit (over all shards).
    pub max_bytes: u64,
}

/// Server-wide figures from Redis `INFO`. They cover the whole server, not only this namespace;
/// for a cluster, the numbers are summed over its primaries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RedisServerStats {
    /// How many servers the figures come from: 1, or the primaries of a cluster.
    pub primaries: u64,
    /// `redis_version` (the distinct versions, comma-separated, if the primaries differ).
    pub version: String,
    /// `used_memory` in bytes.
    pub used_memory: u64,
    /// `maxmemory` in bytes; 0 means no limit.
    pub maxmemory: u64,
    /// `maxmemory_policy`, e.g. `noeviction` or `allkeys-lru` (comma-separated if the primaries
    /// differ).
    pub maxmemory_policy: String,
    /// `evicted_keys`: keys removed because of `maxmemory`.
    pub evicted_keys: u64,
    /// `expired_keys`: keys removed because their TTL ran out.
    pub expired_keys: u64,
    /// `keyspace_hits` (all clients).
    pub keyspace_hits: u64,
    /// `keyspace_misses` (all clients).
    pub keyspace_misses: u64,
}

/// Result of [`Cache::health`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Health {
    /// Which backend answered.
    pub backend: BackendKind,
    /// Round-trip time of the probe.
    pub latency: Duration,
}

/// Typed helpers over any [`Cache`]: UTF-8 strings and serde JSON (readable by browser clients
/// and `redis-cli`). Implemented for every `Cache`, including `dyn Cache`.
///
/// ```
/// use chatcache::{CacheExt, InMemoryCache};
/// #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
/// struct Message { from: String, text: String }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), chatcache::CacheError> {
/// let cache = InMemoryCache::new(Default::default())?;
/// let msg = Message { from: "ana".into(), text: "hi".into() };
/// cache.set_json("msg:1", &msg, None).await?;
/// assert_eq!(cache.get_json::<Message>("msg:1").await?, Some(msg));
/// assert_eq!(cache.get_string("msg:1").await?.as_deref(),
///            Some(r#"{"from":"ana","text":"hi"}"#));
/// // Bytes that are not the requested type are a typed error, and stay as they are.
/// assert_eq!(cache.get_json::<u32>("msg:1").await.unwrap_err().code(), "decode");
/// # Ok(())
/// # }
/// ```
#[async_trait]
pub trait CacheExt: Cache {
    /// The value under `key` as a UTF-8 string.
    ///
    /// # Errors
    /// [`CacheError::Decode`] if the bytes are not UTF-8, plus the errors of [`Cache::get`].
    async fn get_string(&self, key: &str) -> Result<Option<String>, CacheError> {
        match self.get(key).await? {
            None => Ok(None),
            Some(bytes) => String::from_utf8(bytes)
                .map(Some)
                .map_err(|e| CacheError::Decode {
                    key: key.to_owned(),
                    expected: "UTF-8 string".to_owned(),
                    reason: e.utf8_error().to_string(),
                }),
        }
    }

    /// The value under `key` decoded from JSON.
    ///
    /// # Errors
    /// [`CacheError::Decode`] if the bytes are not JSON of type `T`, plus the errors of
    /// [`Cache::get`].
    async fn get_json<T>(&self, key: &str) -> Result<Option<T>, CacheError>
    where
        T: DeserializeOwned,
    {
        match self.get(key).await? {
            None => Ok(None),
            Some(bytes) => decode_json(key, &bytes).map(Some),
        }
    }

    /// Stores `value` as JSON under `key`.
    ///
    /// # Errors
    /// [`CacheError::Encode`] if `value` cannot be serialized, plus the errors of [`Cache::set`].
    async fn set_json<T>(
        &self,
        key: &str,
        value: &T,
        expiry: Option<Duration>,
    ) -> Result<(), CacheError>
    where
        T: Serialize + Sync + ?Sized,
    {
        let bytes = encode_json(key, value)?;
        self.set(key, &bytes, expiry).await
    }

    /// Stores `value` as JSON under `key` if the key is missing. Returns whether it was stored.
    ///
    /// # Errors
    /// [`CacheError::Encode`] if `value` cannot be serialized, plus the errors of [`Cache::add`].
    async fn add_json<T>(
        &self,
        key: &str,
        value: &T,
        expiry: Option<Duration>,
    ) -> Result<bool, CacheError>
    where
        T: Serialize + Sync + ?Sized,
    {
        let bytes = encode_json(key, value)?;
        self.add(key, &bytes, expiry).await
    }

    /// The values of `keys` decoded from JSON, in order.
    ///
    /// # Errors
    /// [`CacheError::Decode`] for the first value that is not JSON of type `T`, plus the errors
    /// of [`Cache::get_many`].
    async fn get_many_json<T>(&self, keys: &[&str]) -> Result<Vec<Option<T>>, CacheError>
    where
        T: DeserializeOwned,
    {
        let values = self.get_many(keys).await?;
        keys.iter()
            .zip(values)
            .map(|(key, value)| value.map(|bytes| decode_json(key, &bytes)).transpose())
            .collect()
    }

    /// Appends `item` as JSON to the capped list under `key`; see [`Cache::list_push`].
    ///
    /// ```
    /// use chatcache::{CacheExt, InMemoryCache};
    /// #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    /// struct Message { from: String, text: String }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), chatcache::CacheError> {
    /// let cache = InMemoryCache::new(Default::default())?;
    /// for text in ["hi", "hello", "hey"] {
    ///     let message = Message { from: "ana".into(), text: text.into() };
    ///     cache.list_push_json("room:42:history", &message, 2, None).await?;
    /// }
    /// let last: Vec<Message> = cache.list_range_json("room:42:history", -50, -1).await?;
    /// assert_eq!(last.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(), ["hello", "hey"]);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`CacheError::Encode`] if `item` cannot be serialized, plus the errors of
    /// [`Cache::list_push`].
    async fn list_push_json<T>(
        &self,
        key: &str,
        item: &T,
        cap: usize,
        expiry: Option<Duration>,
    ) -> Result<usize, CacheError>
    where
        T: Serialize + Sync + ?Sized,
    {
        let bytes = encode_json(key, item)?;
        self.list_push(key, &bytes, cap, expiry).await
    }

    /// The items of the list under `key` decoded from JSON; see [`Cache::list_range`].
    ///
    /// # Errors
    /// [`CacheError::Decode`] for the first item that is not JSON of type `T`, plus the errors
    /// of [`Cache::list_range`].
    async fn list_range_json<T>(
        &self,
        key: &str,
        start: i64,
        stop: i64,
    ) -> Result<Vec<T>, CacheError>
    where
        T: DeserializeOwned,
    {
        self.list_range(key, start, stop)
            .await?
            .iter()
            .map(|bytes| decode_json(key, bytes))
            .collect()
    }

    /// The value under `key`; on a miss, the value `loader` produces, stored with `expiry` and
    /// returned.
    ///
    /// **Single flight:** concurrent callers that miss the same key in this process run one
    /// loader between them (the first caller's); the others wait and get its value. A loader
    /// error reaches every waiting caller as [`CacheError::Load`] and caches nothing; a panicking
    /// loader gives the waiters a `Load` error ("the loader panicked") and the panic continues in
    /// the caller that ran it; a cancelled caller hands the load to one of the waiters. Other
    /// processes do not wait for this one: with several servers on one Redis, each may run the
    /// loader once at the same time.
    ///
    /// ```
    /// use chatcache::{CacheExt, InMemoryCache};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), chatcache::CacheError> {
    /// let cache = InMemoryCache::new(Default::default())?;
    /// let topic = cache
    ///     .get_or_set_with("room:42:topic", None, || async {
    ///         Ok::<_, std::io::Error>(b"Rust".to_vec()) // e.g. a database query
    ///     })
    ///     .await?;
    /// assert_eq!(topic, b"Rust");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`CacheError::Load`] with the loader's error; bad input (key, `expiry`) before anything
    /// is loaded; and the errors of [`Cache::get`] and [`Cache::set`].
    async fn get_or_set_with<F, Fut, E>(
        &self,
        key: &str,
        expiry: Option<Duration>,
        loader: F,
    ) -> Result<Vec<u8>, CacheError>
    where
        F: FnOnce() -> Fut + Send,
        Fut: Future<Output = Result<Vec<u8>, E>> + Send,
        E: Into<Box<dyn StdError + Send + Sync>>,
    {
        let load = || async move { loader().await.map_err(|e| LoadFailure::Loader(e.into())) };
        self.single_flight()
            .get_or_load(self, key, expiry, load)
            .await
    }

    /// [`CacheExt::get_or_set_with`] for JSON values: `loader` produces a `T`, which is stored as
    /// JSON. The caller that ran the loader gets its `T` as is; the others decode the stored
    /// JSON.
    ///
    /// # Errors
    /// As [`CacheExt::get_or_set_with`], plus [`CacheError::Encode`] if the loaded value cannot
    /// be serialized (every waiting caller gets it; nothing is cached) and
    /// [`CacheError::Decode`] if the stored JSON is not a `T`.
    async fn get_or_set_json_with<T, F, Fut, E>(
        &self,
        key: &str,
        expiry: Option<Duration>,
        loader: F,
    ) -> Result<T, CacheError>
    where
        T: Serialize + DeserializeOwned + Send,
        F: FnOnce() -> Fut + Send,
        Fut: Future<Output = Result<T, E>> + Send,
        E: Into<Box<dyn StdError + Send + Sync>>,
    {
        let mut loaded: Option<T> = None;
        let slot = &mut loaded;
        let load = move || async move {
            let value = loader().await.map_err(|e| LoadFailure::Loader(e.into()))?;
            let bytes = encode_json(key, &value).map_err(LoadFailure::Cache)?;
            *slot = Some(value);
            Ok(bytes)
        };
        let bytes = self
            .single_flight()
            .get_or_load(self, key, expiry, load)
            .await?;
        match loaded {
            Some(value) => Ok(value),
            None => decode_json(key, &bytes),
        }
    }
}

impl<C: Cache + ?Sized> CacheExt for C {}

/// An `expiry` argument of [`Cache`] as the core's [`Ttl`] (zero and too-long expiries are
/// rejected with the core's error), shared by both backends.
pub(crate) fn to_ttl(expiry: Option<Duration>) -> Result<Option<Ttl>, CacheError> {
    Ok(expiry.map(Ttl::try_from).transpose()?)
}

/// A `cap` argument of [`Cache::list_push`] as the core's [`ListCap`](chatcache_core::ListCap),
/// for the Redis backend (memory hands `cap` to the core's `Store` as it is).
#[cfg(feature = "redis")]
pub(crate) fn to_cap(cap: usize) -> Result<chatcache_core::ListCap, CacheError> {
    Ok(chatcache_core::ListCap::new(
        u64::try_from(cap).unwrap_or(u64::MAX),
    )?)
}

fn decode_json<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T, CacheError> {
    serde_json::from_slice(bytes).map_err(|e| CacheError::Decode {
        key: key.to_owned(),
        expected: std::any::type_name::<T>().to_owned(),
        reason: e.to_string(),
    })
}

fn encode_json<T: Serialize + ?Sized>(key: &str, value: &T) -> Result<Vec<u8>, CacheError> {
    serde_json::to_vec(value).map_err(|e| CacheError::Encode {
        key: key.to_owned(),
        reason: e.to_string(),
    })
}
