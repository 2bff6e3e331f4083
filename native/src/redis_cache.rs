//! [`RedisCache`]: the [`Cache`] trait over a Redis server, with the core's validation rules.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chatcache_core::{KeyTtl, Kind, Limits, Ttl};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{ErrorKind, FromRedisValue, RedisError, RedisResult, ServerErrorKind};

use crate::cache::{BackendKind, Cache, CacheStats, Health, RedisServerStats, to_cap, to_ttl};
use crate::config::{CacheConfig, Namespace, RedisUrl};
use crate::error::{CacheError, ConfigError};

mod collections;

use collections::Call;

/// Keys asked for per `SCAN` round trip by `clear()` and `stats()`; also the `UNLINK` batch size.
const SCAN_BATCH: usize = 500;

/// A [`Cache`] stored in Redis, shared by every process that uses the same server and
/// namespace.
///
/// * **Keys** live under `<namespace>:` (see [`Namespace`]); [`Cache::clear`] removes exactly
///   those with `SCAN MATCH` + `UNLINK` in batches and never flushes the database.
/// * **Validation** uses the core's [`Limits::check_key`] / [`Limits::check_entry`] before any
///   round trip, so Redis rejects exactly what the in-memory backend rejects.
/// * **Time budgets:** [`RedisCache::connect`] gives up after `connect_timeout`; every operation
///   returns [`CacheError::Timeout`] or [`CacheError::Unavailable`] within `op_timeout` while
///   Redis is down (no retry loop), and succeeds again as soon as Redis is back: the
///   connection is re-established lazily by the next operation.
/// * **Handles:** `Clone` is cheap; clones share one multiplexed connection and the hit/miss
///   counters.
/// * **Runtime:** connect and use it inside a tokio runtime (redis-rs drives the connection on
///   it).
///
/// Structure for what comes next: every command goes through one private transport enum,
/// today a single multiplexed connection; a Redis Cluster connection (with `SCAN` fanned out over
/// the primaries and `set_many` split by slot) and TLS (`rediss://`, a redis-rs feature plus
/// URL acceptance in [`RedisUrl`]) slot in there without touching the operations. Single-flight
/// loading belongs in a layer above [`Cache`], so it serves both backends.
#[derive(Clone)]
pub struct RedisCache {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    namespace: Namespace,
    scan_pattern: String,
    limits: Limits,
    op_timeout: Duration,
    url: RedisUrl,
    hits: AtomicU64,
    misses: AtomicU64,
    /// Whether the last round trip reached Redis (for logging transitions only).
    reachable: AtomicBool,
}

/// How commands reach Redis. One variant today; Cluster is the planned second.
#[derive(Clone)]
enum Transport {
    /// One server through redis-rs' reconnecting multiplexed connection.
    Single(ConnectionManager),
}

impl Transport {
    async fn query<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> RedisResult<T> {
        match self {
            Transport::Single(manager) => cmd.query_async(&mut manager.clone()).await,
        }
    }

    async fn query_pipeline<T: FromRedisValue>(&self, pipe: &redis::Pipeline) -> RedisResult<T> {
        match self {
            Transport::Single(manager) => pipe.query_async(&mut manager.clone()).await,
        }
    }

    /// Runs a Lua script (`EVALSHA`, loading it on `NOSCRIPT`).
    async fn invoke<T: FromRedisValue>(
        &self,
        invocation: &redis::ScriptInvocation<'_>,
    ) -> RedisResult<T> {
        match self {
            Transport::Single(manager) => invocation.invoke_async(&mut manager.clone()).await,
        }
    }
}

impl RedisCache {
    /// Connects to `config.redis_url` and checks the server answers (`PING`), all within
    /// `config.connect_timeout`. Uses `config.namespace`, `config.op_timeout` and the key/entry
    /// limits of `config.limits`.
    ///
    /// # Errors
    /// [`CacheError::Timeout`] if the budget runs out (e.g. a listener that never answers),
    /// [`CacheError::Unavailable`] if the server refuses or rejects the credentials,
    /// [`CacheError::InvalidInput`] for inconsistent limits. Never contains the password.
    pub async fn connect(config: &CacheConfig) -> Result<RedisCache, CacheError> {
        let url = config.redis_url.clone();
        let client = redis::Client::open(url.expose_secret()).map_err(|e| {
            CacheError::Config(ConfigError::InvalidUrl {
                var: "redis_url",
                url: url.redacted().to_owned(),
                reason: url.scrub(&e.to_string()),
            })
        })?;
        // One connection attempt per (re)connect, bounded by the connect timeout: redis-rs'
        // default of 6 attempts with exponential back-off blocks callers for ~9.5 s while Redis
        // is down. A failed attempt is retried by the next operation instead.
        let manager_config = ConnectionManagerConfig::new()
            .set_number_of_retries(0)
            .set_connection_timeout(Some(config.connect_timeout))
            .set_response_timeout(Some(config.op_timeout));
        let started = Instant::now();
        let connect = async {
            let manager = ConnectionManager::new_with_config(client, manager_config).await?;
            let transport = Transport::Single(manager);
            let _: String = transport.query(&redis::cmd("PING")).await?;
            Ok::<_, RedisError>(transport)
        };
        let transport = match tokio::time::timeout(config.connect_timeout, connect).await {
            Ok(Ok(transport)) => transport,
            Ok(Err(e)) => return Err(map_error("connect", e, &url, config.connect_timeout)),
            Err(_) => {
                return Err(CacheError::Timeout {
                    op: "connect",
                    after: config.connect_timeout,
                });
            }
        };
        tracing::debug!(
            url = %url,
            namespace = %config.namespace,
            elapsed_ms = started.elapsed().as_millis(),
            "connected to Redis"
        );
        Ok(RedisCache {
            inner: Arc::new(Inner {
                transport,
                scan_pattern: config.namespace.scan_pattern(),
                namespace: config.namespace.clone(),
                limits: config.limits,
                op_timeout: config.op_timeout,
                url,
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
                reachable: AtomicBool::new(true),
            }),
        })
    }

    /// The server's URL, password redacted.
    #[must_use]
    pub fn url(&self) -> &RedisUrl {
        &self.inner.url
    }

    /// The key namespace.
    #[must_use]
    pub fn namespace(&self) -> &Namespace {
        &self.inner.namespace
    }

    /// The Redis key that stores `key` (the namespace prefix followed by `key`).
    #[must_use]
    pub fn redis_key(&self, key: &str) -> String {
        let prefix = self.inner.namespace.key_prefix();
        let mut full = String::with_capacity(prefix.len() + key.len());
        full.push_str(prefix);
        full.push_str(key);
        full
    }

    fn key(&self, key: &str) -> Result<String, CacheError> {
        self.inner.limits.check_key(key)?;
        Ok(self.redis_key(key))
    }

    fn entry_key(&self, key: &str, value: &[u8]) -> Result<String, CacheError> {
        self.inner.limits.check_entry(key, value.len())?;
        Ok(self.redis_key(key))
    }

    /// Runs one round trip within the operation budget.
    ///
    /// A connection *refusal* means the command was never sent (the connection could not be
    /// made), so it is retried once immediately: the failed attempt has already made redis-rs
    /// start a fresh connection, which succeeds if Redis is back. Any other error is returned
    /// as is; in particular a dropped connection is not retried, as the command may have run.
    async fn run<T, F, Fut>(&self, op: &'static str, attempt: F) -> Result<T, CacheError>
    where
        F: Fn() -> Fut + Send,
        Fut: Future<Output = RedisResult<T>> + Send,
    {
        let budget = self.inner.op_timeout;
        let work = async {
            match attempt().await {
                Err(e) if e.is_connection_refusal() => {
                    tracing::debug!(op, "Redis refused the connection; retrying once");
                    attempt().await
                }
                other => other,
            }
        };
        let result = match tokio::time::timeout(budget, work).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(map_error(op, e, &self.inner.url, budget)),
            Err(_) => Err(CacheError::Timeout { op, after: budget }),
        };
        self.track_reachability(op, result.as_ref().err());
        result
    }

    /// Logs transitions only: one warning when Redis stops answering, one info line when it
    /// answers again. Individual failures are debug lines, so an outage does not flood the log.
    fn track_reachability(&self, op: &'static str, error: Option<&CacheError>) {
        let reachable = &self.inner.reachable;
        match error {
            None => {
                if !reachable.swap(true, Ordering::Relaxed) {
                    tracing::info!(url = %self.inner.url, "Redis is reachable again");
                }
            }
            Some(err) if err.is_transient() => {
                if reachable.swap(false, Ordering::Relaxed) {
                    tracing::warn!(
                        url = %self.inner.url,
                        op,
                        error = %err,
                        "Redis became unreachable; cache operations fail until it is back"
                    );
                } else {
                    tracing::debug!(op, error = %err, "Redis operation failed");
                }
            }
            Some(err) => tracing::debug!(op, error = %err, "Redis operation failed"),
        }
    }

    async fn query<T>(&self, op: &'static str, cmd: redis::Cmd) -> Result<T, CacheError>
    where
        T: FromRedisValue + Send,
    {
        let transport = &self.inner.transport;
        self.run(op, || transport.query(&cmd)).await
    }

    /// Runs one list or member-set script on `key` and checks its answer's status.
    async fn call(&self, key: &str, call: Call<'_>) -> Result<Vec<redis::Value>, CacheError> {
        let full = self.redis_key(key);
        let invocation = call.invocation(&full);
        let transport = &self.inner.transport;
        let value: redis::Value = self
            .run(call.op(), || transport.invoke(&invocation))
            .await?;
        collections::answer(
            value,
            call.kind(),
            key.len(),
            self.inner.limits.max_entry_bytes(),
        )
    }

    fn count_lookup(&self, hit: bool) {
        let counter = if hit {
            &self.inner.hits
        } else {
            &self.inner.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Calls `batch` with each `SCAN` page of keys under the namespace.
    async fn scan_namespace<F, Fut>(&self, op: &'static str, mut batch: F) -> Result<(), CacheError>
    where
        F: FnMut(Vec<Vec<u8>>) -> Fut + Send,
        Fut: Future<Output = Result<(), CacheError>> + Send,
    {
        let mut cursor: u64 = 0;
        loop {
            let mut cmd = redis::cmd("SCAN");
            cmd.arg(cursor)
                .arg("MATCH")
                .arg(&self.inner.scan_pattern)
                .arg("COUNT")
                .arg(SCAN_BATCH);
            let (next, keys): (u64, Vec<Vec<u8>>) = self.query(op, cmd).await?;
            if !keys.is_empty() {
                batch(keys).await?;
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }
}

/// `SET key value [NX] [PX ttl]`: the one command behind `set`, `add` and `set_many`.
fn set_cmd(full: String, value: &[u8], nx: bool, ttl: Option<Ttl>) -> redis::Cmd {
    let mut cmd = redis::cmd("SET");
    cmd.arg(full).arg(value);
    if nx {
        cmd.arg("NX");
    }
    if let Some(ttl) = ttl {
        cmd.arg("PX").arg(ttl.as_millis());
    }
    cmd
}

/// Turns a redis-rs error into a [`CacheError`], scrubbing the password from any text.
fn map_error(op: &'static str, e: RedisError, url: &RedisUrl, budget: Duration) -> CacheError {
    let message = url.scrub(&e.to_string());
    if e.is_timeout() {
        return CacheError::Timeout { op, after: budget };
    }
    let unavailable = |reason: String| CacheError::Unavailable {
        backend: BackendKind::Redis,
        reason,
    };
    if e.is_connection_refusal() {
        return unavailable("connection refused".to_owned());
    }
    if e.code() == Some("WRONGTYPE") {
        // A command on a key of another type: the same refusal as the in-memory backend's.
        let expected = match op {
            "list_push" | "list_range" | "list_len" => Kind::List,
            "member_add" | "members" | "member_remove" => Kind::Members,
            _ => Kind::Bytes,
        };
        return CacheError::InvalidInput(chatcache_core::Error::WrongType {
            expected,
            found: None,
        });
    }
    match e.kind() {
        ErrorKind::Io | ErrorKind::Parse => {
            if e.is_connection_dropped() {
                unavailable(format!("connection lost ({message})"))
            } else {
                unavailable(message)
            }
        }
        ErrorKind::AuthenticationFailed => {
            unavailable(format!("authentication failed ({message})"))
        }
        ErrorKind::Server(
            ServerErrorKind::BusyLoading
            | ServerErrorKind::MasterDown
            | ServerErrorKind::TryAgain
            | ServerErrorKind::ClusterDown,
        ) => unavailable(message),
        _ if message.contains("WRONGPASS") || message.contains("NOAUTH") => {
            unavailable(format!("authentication failed ({message})"))
        }
        _ => CacheError::Backend {
            backend: BackendKind::Redis,
            op,
            message,
        },
    }
}

/// `INCRBY`/`DECRBY` report bad values as server errors; map them to the core's error kinds so
/// both backends fail identically.
fn map_counter_error(err: CacheError) -> CacheError {
    match err {
        CacheError::Backend { message, .. } if message.contains("not an integer") => {
            CacheError::InvalidInput(chatcache_core::Error::NotAnInteger)
        }
        CacheError::Backend { message, .. } if message.contains("overflow") => {
            CacheError::InvalidInput(chatcache_core::Error::Overflow)
        }
        other => other,
    }
}

fn parse_info(info: &str) -> RedisServerStats {
    let mut stats = RedisServerStats::default();
    for line in info.lines() {
        let Some((name, value)) = line.trim_end().split_once(':') else {
            continue;
        };
        let number = || value.parse::<u64>().unwrap_or(0);
        match name {
            "redis_version" => stats.version = value.to_owned(),
            "used_memory" => stats.used_memory = number(),
            "maxmemory" => stats.maxmemory = number(),
            "maxmemory_policy" => stats.maxmemory_policy = value.to_owned(),
            "evicted_keys" => stats.evicted_keys = number(),
            "expired_keys" => stats.expired_keys = number(),
            "keyspace_hits" => stats.keyspace_hits = number(),
            "keyspace_misses" => stats.keyspace_misses = number(),
            _ => {}
        }
    }
    stats
}

#[async_trait]
impl Cache for RedisCache {
    fn backend(&self) -> BackendKind {
        BackendKind::Redis
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        let mut cmd = redis::cmd("GET");
        cmd.arg(self.key(key)?);
        let value: Option<Vec<u8>> = self.query("get", cmd).await?;
        self.count_lookup(value.is_some());
        Ok(value)
    }

    async fn set(
        &self,
        key: &str,
        value: &[u8],
        expiry: Option<Duration>,
    ) -> Result<(), CacheError> {
        // The expiry is checked before the key, as by the in-memory backend.
        let ttl = to_ttl(expiry)?;
        let cmd = set_cmd(self.entry_key(key, value)?, value, false, ttl);
        self.query::<()>("set", cmd).await
    }

    async fn delete(&self, key: &str) -> Result<bool, CacheError> {
        let mut cmd = redis::cmd("DEL");
        cmd.arg(self.key(key)?);
        Ok(self.query::<u64>("delete", cmd).await? > 0)
    }

    async fn add(
        &self,
        key: &str,
        value: &[u8],
        expiry: Option<Duration>,
    ) -> Result<bool, CacheError> {
        // The expiry is checked before the key, as by the in-memory backend.
        let ttl = to_ttl(expiry)?;
        let cmd = set_cmd(self.entry_key(key, value)?, value, true, ttl);
        Ok(self.query::<Option<String>>("add", cmd).await?.is_some())
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, CacheError> {
        let full = keys
            .iter()
            .map(|k| self.key(k))
            .collect::<Result<Vec<_>, _>>()?;
        if full.is_empty() {
            return Ok(Vec::new());
        }
        // A script rather than MGET, which reads another type as nil: a key holding a list or
        // member set fails the batch with `wrong_type`, as `get` does.
        let invocation = collections::get_many(&full);
        let transport = &self.inner.transport;
        let answer: redis::Value = self
            .run("get_many", || transport.invoke(&invocation))
            .await?;
        let max = self.inner.limits.max_entry_bytes();
        let mut parts = collections::answer(answer, Kind::Bytes, 0, max)?.into_iter();
        let values = collections::optional_byte_strings(parts.next())?;
        for v in &values {
            self.count_lookup(v.is_some());
        }
        Ok(values)
    }

    async fn set_many(
        &self,
        entries: &[(&str, &[u8])],
        expiry: Option<Duration>,
    ) -> Result<(), CacheError> {
        let ttl = to_ttl(expiry)?;
        let mut pipe = redis::pipe();
        // MULTI/EXEC: other clients never see half of the batch, and a command rejected at
        // queue time (e.g. OOM) aborts all of it. (A Cluster transport will group by slot.)
        pipe.atomic();
        for (key, value) in entries {
            pipe.add_command(set_cmd(self.entry_key(key, value)?, value, false, ttl))
                .ignore();
        }
        if entries.is_empty() {
            return Ok(());
        }
        let transport = &self.inner.transport;
        self.run("set_many", || transport.query_pipeline::<()>(&pipe))
            .await
    }

    async fn delete_many(&self, keys: &[&str]) -> Result<u64, CacheError> {
        let full = keys
            .iter()
            .map(|k| self.key(k))
            .collect::<Result<Vec<_>, _>>()?;
        if full.is_empty() {
            return Ok(0);
        }
        let mut cmd = redis::cmd("DEL");
        cmd.arg(full);
        self.query("delete_many", cmd).await
    }

    async fn incr(&self, key: &str, by: i64) -> Result<i64, CacheError> {
        let mut cmd = redis::cmd("INCRBY");
        cmd.arg(self.key(key)?).arg(by);
        self.query("incr", cmd).await.map_err(map_counter_error)
    }

    async fn decr(&self, key: &str, by: i64) -> Result<i64, CacheError> {
        let mut cmd = redis::cmd("DECRBY");
        cmd.arg(self.key(key)?).arg(by);
        self.query("decr", cmd).await.map_err(map_counter_error)
    }

    async fn touch(&self, key: &str, expiry: Option<Duration>) -> Result<bool, CacheError> {
        let ttl = to_ttl(expiry)?;
        let full = self.key(key)?;
        match ttl {
            Some(ttl) => {
                let mut cmd = redis::cmd("PEXPIRE");
                cmd.arg(full).arg(ttl.as_millis());
                Ok(self.query::<u64>("touch", cmd).await? == 1)
            }
            None => {
                // PERSIST answers 0 both for "missing" and "already persistent"; EXISTS in the
                // same transaction tells them apart.
                let mut pipe = redis::pipe();
                pipe.atomic()
                    .cmd("PERSIST")
                    .arg(&full)
                    .ignore()
                    .cmd("EXISTS")
                    .arg(&full);
                let transport = &self.inner.transport;
                let (exists,): (u64,) = self
                    .run("touch", || transport.query_pipeline(&pipe))
                    .await?;
                Ok(exists == 1)
            }
        }
    }

    async fn ttl(&self, key: &str) -> Result<Option<KeyTtl>, CacheError> {
        let mut cmd = redis::cmd("PTTL");
        cmd.arg(self.key(key)?);
        let ms: i64 = self.query("ttl", cmd).await?;
        Ok(match ms {
            -1 => Some(KeyTtl::Persistent),
            // -2: missing. 0: the deadline is this very millisecond, which the core already
            // treats as expired (deadline <= now).
            ms if ms <= 0 => None,
            ms => Some(KeyTtl::Remaining(Ttl::from_millis(ms.unsigned_abs())?)),
        })
    }

    async fn exists(&self, key: &str) -> Result<bool, CacheError> {
        let mut cmd = redis::cmd("EXISTS");
        cmd.arg(self.key(key)?);
        Ok(self.query::<u64>("exists", cmd).await? > 0)
    }

    async fn list_push(
        &self,
        key: &str,
        item: &[u8],
        cap: usize,
        expiry: Option<Duration>,
    ) -> Result<usize, CacheError> {
        // The expiry is checked first, then the key and the cap, as by the in-memory backend.
        let ttl = to_ttl(expiry)?;
        let limits = &self.inner.limits;
        limits.check_key(key)?;
        let cap = to_cap(cap)?;
        let max = limits.max_entry_bytes();
        collections::check_item(max, key.len(), item)?;
        let budget = collections::item_budget(max, key.len());
        let answer = self
            .call(
                key,
                Call::ListPush {
                    item,
                    cap,
                    ttl,
                    budget,
                },
            )
            .await?;
        let len = collections::integer(answer.first())?;
        Ok(usize::try_from(len).unwrap_or(0))
    }

    async fn list_range(
        &self,
        key: &str,
        start: i64,
        stop: i64,
    ) -> Result<Vec<Vec<u8>>, CacheError> {
        self.inner.limits.check_key(key)?;
        let mut answer = self
            .call(key, Call::ListRange { start, stop })
            .await?
            .into_iter();
        let found = collections::integer(answer.next().as_ref())? == 1;
        self.count_lookup(found);
        collections::byte_strings(answer.next())
    }

    async fn list_len(&self, key: &str) -> Result<usize, CacheError> {
        self.inner.limits.check_key(key)?;
        let answer = self.call(key, Call::ListLen).await?;
        Ok(usize::try_from(collections::integer(answer.first())?).unwrap_or(0))
    }

    async fn member_add(&self, key: &str, member: &str, ttl: Duration) -> Result<bool, CacheError> {
        let ttl = Ttl::try_from(ttl)?;
        let limits = &self.inner.limits;
        limits.check_key(key)?;
        collections::check_member(member, limits)?;
        let budget = collections::item_budget(limits.max_entry_bytes(), key.len());
        let answer = self
            .call(
                key,
                Call::MemberAdd {
                    member,
                    ttl,
                    budget,
                },
            )
            .await?;
        Ok(collections::integer(answer.first())? == 1)
    }

    async fn members(&self, key: &str) -> Result<Vec<String>, CacheError> {
        self.inner.limits.check_key(key)?;
        let answer = self.call(key, Call::Members).await?;
        let mut members = collections::byte_strings(answer.into_iter().next())?
            .into_iter()
            .map(|bytes| {
                String::from_utf8(bytes).map_err(|e| CacheError::Decode {
                    key: key.to_owned(),
                    expected: "UTF-8 member".to_owned(),
                    reason: e.utf8_error().to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        // Redis lists by score (deadline); every backend lists members in byte order.
        members.sort_unstable();
        self.count_lookup(!members.is_empty());
        Ok(members)
    }

    async fn member_remove(&self, key: &str, member: &str) -> Result<bool, CacheError> {
        let limits = &self.inner.limits;
        limits.check_key(key)?;
        collections::check_member(member, limits)?;
        let answer = self.call(key, Call::MemberRemove { member }).await?;
        Ok(collections::integer(answer.first())? == 1)
    }

    async fn clear(&self) -> Result<u64, CacheError> {
        let removed = AtomicU64::new(0);
        self.scan_namespace("clear", |keys| {
            let removed = &removed;
            async move {
                let mut cmd = redis::cmd("UNLINK");
                cmd.arg(keys);
                let n: u64 = self.query("clear", cmd).await?;
                removed.fetch_add(n, Ordering::Relaxed);
                Ok(())
            }
        })
        .await?;
        let removed = removed.into_inner();
        tracing::debug!(namespace = %self.inner.namespace, removed, "cleared namespace");
        Ok(removed)
    }

    async fn stats(&self) -> Result<CacheStats, CacheError> {
        let info: String = self.query("stats", redis::cmd("INFO")).await?;
        let entries = AtomicU64::new(0);
        self.scan_namespace("stats", |keys| {
            entries.fetch_add(keys.len() as u64, Ordering::Relaxed);
            std::future::ready(Ok(()))
        })
        .await?;
        Ok(CacheStats {
            backend: BackendKind::Redis,
            hits: self.inner.hits.load(Ordering::Relaxed),
            misses: self.inner.misses.load(Ordering::Relaxed),
            entries: entries.into_inner(),
            memory: None,
            redis: Some(parse_info(&info)),
        })
    }

    async fn health(&self) -> Result<Health, CacheError> {
        let start = Instant::now();
        let _: String = self.query("health", redis::cmd("PING")).await?;
        Ok(Health {
            backend: BackendKind::Redis,
            latency: start.elapsed(),
        })
    }
}

impl fmt::Debug for RedisCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Hand-written: redis-rs' own Debug output is not relied on to hide credentials.
        f.debug_struct("RedisCache")
            .field("url", &self.inner.url)
            .field("namespace", &self.inner.namespace.as_str())
            .field("op_timeout", &self.inner.op_timeout)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_figures_are_parsed() {
        let info = "# Server\r\nredis_version:7.0.15\r\n# Memory\r\nused_memory:1048576\r\n\
                    maxmemory:0\r\nmaxmemory_policy:noeviction\r\n# Stats\r\nevicted_keys:3\r\n\
                    expired_keys:7\r\nkeyspace_hits:10\r\nkeyspace_misses:4\r\n";
        let s = parse_info(info);
        assert_eq!(s.version, "7.0.15");
        assert_eq!(s.used_memory, 1_048_576);
        assert_eq!(s.maxmemory, 0);
        assert_eq!(s.maxmemory_policy, "noeviction");
        assert_eq!(s.evicted_keys, 3);
        assert_eq!(s.expired_keys, 7);
        assert_eq!(s.keyspace_hits, 10);
        assert_eq!(s.keyspace_misses, 4);
    }
}
