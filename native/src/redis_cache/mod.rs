//! [`RedisCache`]: the [`Cache`] trait over a Redis server or a Redis Cluster, with the core's
//! validation rules.

mod collections;
mod errors;
mod transport;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chatcache_core::{KeyTtl, Limits, Ttl};
use redis::cluster_routing::Slot;
use redis::{FromRedisValue, RedisError, RedisResult, RedisWrite, ToRedisArgs, Value};

use self::collections::Call;
use self::errors::{Context, map_counter_error, map_error};
use self::transport::{LuaScript, Node, Transport};
use crate::cache::{BackendKind, Cache, CacheStats, Health, RedisServerStats, to_cap, to_ttl};
use crate::config::{CacheConfig, Namespace, RedisUrl};
use crate::error::CacheError;
use crate::single_flight::SingleFlight;

/// Keys asked for per `SCAN` round trip by `clear()` and `count_entries()`; also the `UNLINK`
/// batch size.
const SCAN_BATCH: usize = 500;

/// Most of the connect budget a `rediss://` connection keeps for asking, after a silent
/// handshake, whether the server speaks plain Redis.
const PLAIN_PROBE_BUDGET: Duration = Duration::from_millis(250);

/// `get_many`: `GET` of every key in one atomic round trip, which — unlike `MGET` — does not
/// read a key of another type as missing. Replies `{0, values}`, or `{1, i}` when `KEYS[i]`
/// holds another type.
static GET_MANY: LazyLock<LuaScript> = LazyLock::new(|| {
    LuaScript::new(
        r"
local values = {}
for i, key in ipairs(KEYS) do
  local value = redis.pcall('GET', key)
  if type(value) == 'table' and value.err then
    if string.sub(value.err, 1, 9) == 'WRONGTYPE' then
      return {1, i}
    end
    return value
  end
  values[i] = value
end
return {0, values}
",
    )
});

/// A [`Cache`] stored in Redis — one server (`redis://`, `rediss://`, a Unix socket) or a
/// Redis Cluster — shared by every process that uses the same server and namespace.
///
/// * **Keys** live under `<namespace>:` (see [`Namespace`]); [`Cache::clear`] removes exactly
///   those with `SCAN MATCH` + `UNLINK` in batches, on every primary of a cluster, and never
///   flushes the database.
/// * **Validation** uses the core's [`Limits::check_key`] / [`Limits::check_entry`] before any
///   round trip, so Redis rejects exactly what the in-memory backend rejects. Values are
///   returned as stored: one written by another process under a larger `max_entry_bytes`
///   comes back whole (Redis itself bounds values at `proto-max-bulk-len`, 512 MB by default).
/// * **Time budgets:** [`RedisCache::connect`] gives up after `connect_timeout`; every operation
///   returns [`CacheError::Timeout`] or [`CacheError::Unavailable`] within `op_timeout` while
///   Redis is down (no retry loop), and succeeds again as soon as Redis is back: the
///   connection is re-established lazily by the next operation.
/// * **Cluster:** every operation behaves as on one node. Batch calls are split by hash slot
///   (`get_many` and `set_many` run one atomic round trip per slot, concurrently), `clear` and
///   the entry count scan every primary, `stats` sums the primaries. A batch is atomic only
///   within a slot: give related keys one hash tag (`{room:42}:topic`, `{room:42}:members`) to
///   keep them on one slot.
/// * **Handles:** `Clone` is cheap; clones share one multiplexed connection (per node), the
///   hit/miss counters and the single-flight registry.
/// * **Runtime:** connect and use it inside a tokio runtime (redis-rs drives the connection on
///   it).
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
    count_entries: bool,
    hits: AtomicU64,
    misses: AtomicU64,
    /// Whether the last round trip reached Redis (for logging transitions only).
    reachable: AtomicBool,
    single_flight: SingleFlight,
}

/// A key with the namespace prefix, written straight into a command's buffer (no intermediate
/// `String` per call).
struct FullKey<'a> {
    prefix: &'a str,
    key: &'a str,
}

impl ToRedisArgs for FullKey<'_> {
    fn write_redis_args<W>(&self, out: &mut W)
    where
        W: ?Sized + RedisWrite,
    {
        let mut arg = out.writer_for_next_arg();
        // Writing into a command's in-memory buffer cannot fail.
        let _ = arg.write_all(self.prefix.as_bytes());
        let _ = arg.write_all(self.key.as_bytes());
    }
}

impl RedisCache {
    /// Connects to `config.redis_url` — one server, or with `config.redis_cluster` a cluster
    /// through its seed nodes — and checks it answers (`PING`), all within
    /// `config.connect_timeout`. `rediss://` URLs use `config.tls`. Uses `config.namespace`,
    /// `config.op_timeout`, `config.redis_count_entries` and the key/entry limits of
    /// `config.limits`.
    ///
    /// # Errors
    /// [`CacheError::Timeout`] if the budget runs out (e.g. a listener that never answers),
    /// [`CacheError::Unavailable`] if the server refuses, rejects the credentials, is not a
    /// Redis server or fails the TLS handshake (the reason names the cause: untrusted
    /// certificate, host-name mismatch, a plain server behind `rediss://`, a missing client
    /// certificate), [`CacheError::Config`] for settings that do not fit together and
    /// [`CacheError::InvalidInput`] for inconsistent limits. Never contains the password.
    pub async fn connect(config: &CacheConfig) -> Result<RedisCache, CacheError> {
        config.check_redis_settings()?;
        let url = config.redis_url.clone();
        let started = Instant::now();
        let connect = async {
            let transport = Transport::connect(config).await?;
            transport.ping_any().await?;
            Ok::<_, RedisError>(transport)
        };
        let cx = Context { op: "connect" };
        // With TLS, keep a little of the budget to tell a plain server from a hung one.
        let probe_budget = if url.is_tls() {
            (config.connect_timeout / 4).min(PLAIN_PROBE_BUDGET)
        } else {
            Duration::ZERO
        };
        let budget = config.connect_timeout - probe_budget;
        let transport = match tokio::time::timeout(budget, connect).await {
            Ok(Ok(transport)) => transport,
            Ok(Err(e)) => return Err(map_error(cx, &e, &url, config.connect_timeout)),
            Err(_)
                if url.is_tls() && transport::answers_plain_redis(config, probe_budget).await =>
            {
                return Err(CacheError::Unavailable {
                    backend: BackendKind::Redis,
                    reason: "TLS: the server does not speak TLS; it answers plain Redis (use \
                             redis://, or the server's TLS port)"
                        .to_owned(),
                });
            }
            Err(_) => {
                return Err(CacheError::Timeout {
                    op: "connect",
                    after: config.connect_timeout,
                });
            }
        };
        tracing::debug!(
            url = %url,
            cluster = transport.is_cluster(),
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
                count_entries: config.redis_count_entries,
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
                reachable: AtomicBool::new(true),
                single_flight: SingleFlight::new(),
            }),
        })
    }

    /// The server's URL (or the cluster's seed URLs), password redacted.
    #[must_use]
    pub fn url(&self) -> &RedisUrl {
        &self.inner.url
    }

    /// The key namespace.
    #[must_use]
    pub fn namespace(&self) -> &Namespace {
        &self.inner.namespace
    }

    /// Whether this cache talks to a Redis Cluster.
    #[must_use]
    pub fn is_cluster(&self) -> bool {
        self.inner.transport.is_cluster()
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

    /// Counts the keys under the namespace: a `SCAN` of every primary, so O(keys in the
    /// database) round trips of 500 keys. [`Cache::stats`] includes this count only
    /// with [`CacheConfig::redis_count_entries`].
    ///
    /// # Errors
    /// As any operation: [`CacheError::Unavailable`] or [`CacheError::Timeout`] (each round
    /// trip has the operation budget).
    pub async fn count_entries(&self) -> Result<u64, CacheError> {
        let mut entries = 0;
        self.scan_namespace("count_entries", |_, keys| {
            entries += keys.len() as u64;
            std::future::ready(Ok(()))
        })
        .await?;
        Ok(entries)
    }

    fn full_key<'a>(&'a self, key: &'a str) -> FullKey<'a> {
        FullKey {
            prefix: self.inner.namespace.key_prefix(),
            key,
        }
    }

    /// Runs one round trip within the operation budget.
    ///
    /// A connection *refusal* means the command was never sent (the connection could not be
    /// made), so it is retried once immediately: the failed attempt has already made redis-rs
    /// start a fresh connection, which succeeds if Redis is back. Any other error is returned
    /// as is; in particular a dropped connection is not retried, as the command may have run.
    async fn run<T, F, Fut>(&self, cx: Context, attempt: F) -> Result<T, CacheError>
    where
        F: Fn() -> Fut + Send,
        Fut: Future<Output = RedisResult<T>> + Send,
    {
        let budget = self.inner.op_timeout;
        let work = async {
            match attempt().await {
                Err(e) if e.is_connection_refusal() => {
                    tracing::debug!(op = cx.op, "Redis refused the connection; retrying once");
                    attempt().await
                }
                other => other,
            }
        };
        let err = match tokio::time::timeout(budget, work).await {
            Ok(Ok(value)) => {
                self.mark_reachable();
                return Ok(value);
            }
            Ok(Err(e)) => map_error(cx, &e, &self.inner.url, budget),
            Err(_) => CacheError::Timeout {
                op: cx.op,
                after: budget,
            },
        };
        self.track_failure(cx.op, &err);
        Err(err)
    }

    /// Logs the end of an outage once, at info level. A plain load on the hot path: the flag is
    /// only written when it changes.
    fn mark_reachable(&self) {
        let reachable = &self.inner.reachable;
        if !reachable.load(Ordering::Relaxed) && !reachable.swap(true, Ordering::Relaxed) {
            tracing::info!(url = %self.inner.url, "Redis is reachable again");
        }
    }

    /// Logs the start of an outage once, as a warning; individual failures are debug lines, so
    /// an outage does not flood the log.
    fn track_failure(&self, op: &'static str, err: &CacheError) {
        if err.is_transient() && self.inner.reachable.swap(false, Ordering::Relaxed) {
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

    async fn query<T>(&self, cx: Context, cmd: &redis::Cmd) -> Result<T, CacheError>
    where
        T: FromRedisValue + Send,
    {
        let transport = &self.inner.transport;
        self.run(cx, || transport.query(cmd)).await
    }

    /// Runs one list or member-set script on `key` (one round trip, one slot) and checks its
    /// answer's status.
    async fn call(&self, key: &str, call: Call<'_>) -> Result<Vec<Value>, CacheError> {
        let full = [self.full_key(key)];
        let args = call.args();
        let transport = &self.inner.transport;
        let answer: Value = self
            .run(cx(call.op()), || {
                transport.eval(call.script(), &full, &args)
            })
            .await?;
        collections::answer(
            answer,
            call.kind(),
            key.len(),
            self.inner.limits.max_entry_bytes(),
        )
    }

    fn count_lookups(&self, hits: u64, misses: u64) {
        if hits > 0 {
            self.inner.hits.fetch_add(hits, Ordering::Relaxed);
        }
        if misses > 0 {
            self.inner.misses.fetch_add(misses, Ordering::Relaxed);
        }
    }

    /// The primaries to fan out to: the one server, or every primary of the cluster.
    async fn primaries(&self, op: &'static str) -> Result<Vec<Node>, CacheError> {
        let transport = &self.inner.transport;
        if !transport.is_cluster() {
            // No round trip: nothing to report about reachability.
            return Ok(vec![Node::Only]);
        }
        self.run(Context { op }, || transport.primaries()).await
    }

    /// Calls `batch` with each `SCAN` page of keys under the namespace, primary by primary.
    async fn scan_namespace<F, Fut>(&self, op: &'static str, mut batch: F) -> Result<(), CacheError>
    where
        F: FnMut(&Node, Vec<Vec<u8>>) -> Fut + Send,
        Fut: Future<Output = Result<(), CacheError>> + Send,
    {
        let transport = &self.inner.transport;
        let cx = Context { op };
        for node in self.primaries(op).await? {
            let mut cursor: u64 = 0;
            loop {
                let mut cmd = redis::cmd("SCAN");
                cmd.arg(cursor)
                    .arg("MATCH")
                    .arg(&self.inner.scan_pattern)
                    .arg("COUNT")
                    .arg(SCAN_BATCH);
                let (next, keys): (u64, Vec<Vec<u8>>) =
                    self.run(cx, || transport.query_on(&node, &cmd)).await?;
                if !keys.is_empty() {
                    batch(&node, keys).await?;
                }
                if next == 0 {
                    break;
                }
                cursor = next;
            }
        }
        Ok(())
    }

    /// `UNLINK`s one page of keys found on `node`: one command on a single server; on a
    /// cluster one command per key in one pipeline to that node, as a multi-key command may
    /// not span slots.
    async fn unlink_on(&self, node: &Node, keys: Vec<Vec<u8>>) -> Result<u64, CacheError> {
        let transport = &self.inner.transport;
        let cx = Context { op: "clear" };
        if !transport.is_cluster() {
            let mut cmd = redis::cmd("UNLINK");
            cmd.arg(keys);
            return self.query(cx, &cmd).await;
        }
        let mut pipe = redis::pipe();
        for key in &keys {
            pipe.cmd("UNLINK").arg(key);
        }
        let removed: Vec<u64> = self.run(cx, || transport.pipeline_on(node, &pipe)).await?;
        Ok(removed.iter().sum())
    }

    /// Reads the keys of one slot (or all keys, on one server) with [`GET_MANY`].
    async fn get_group<K>(
        &self,
        full: &[K],
        keys: &[&str],
    ) -> Result<Vec<Option<Vec<u8>>>, CacheError>
    where
        K: ToRedisArgs + Sync,
    {
        let transport = &self.inner.transport;
        let cx = Context { op: "get_many" };
        let no_args: &[&[u8]] = &[];
        let (status, payload): (i64, Value) = self
            .run(cx, || transport.eval(&GET_MANY, full, no_args))
            .await?;
        let decoded = if status == 0 {
            redis::from_redis_value::<Vec<Option<Vec<u8>>>>(payload).map_err(RedisError::from)
        } else {
            match redis::from_redis_value::<usize>(payload) {
                // Lua counts from 1.
                Ok(i) if (1..=keys.len()).contains(&i) => {
                    return Err(CacheError::InvalidInput(chatcache_core::Error::WrongType {
                        expected: chatcache_core::Kind::Bytes,
                        found: None,
                    }));
                }
                Ok(_) => Err(RedisError::from((
                    redis::ErrorKind::UnexpectedReturnType,
                    "get_many script named a key it was not given",
                ))),
                Err(e) => Err(RedisError::from(e)),
            }
        };
        decoded.map_err(|e| map_error(cx, &e, &self.inner.url, self.inner.op_timeout))
    }
}

impl FullKey<'_> {
    fn len(&self) -> usize {
        self.prefix.len() + self.key.len()
    }
}

/// `NAME key [extra args]`, with room for `args` arguments and `extra_bytes` bytes beyond the
/// name and the key, so building it does not reallocate.
fn key_cmd(name: &str, full: FullKey<'_>, args: usize, extra_bytes: usize) -> redis::Cmd {
    let mut cmd = redis::Cmd::with_capacity(2 + args, name.len() + full.len() + extra_bytes);
    cmd.arg(name).arg(full);
    cmd
}

/// `SET key value [NX] [PX ttl]`: the one command behind `set`, `add` and `set_many`.
fn set_cmd(full: FullKey<'_>, value: &[u8], nx: bool, ttl: Option<Ttl>) -> redis::Cmd {
    // Room for "NX", "PX" and the digits of a u64.
    let mut cmd = key_cmd("SET", full, 4, value.len() + 2 + 2 + 20);
    cmd.arg(value);
    if nx {
        cmd.arg("NX");
    }
    if let Some(ttl) = ttl {
        cmd.arg("PX").arg(ttl.as_millis());
    }
    cmd
}

/// Groups the indices `0..keys.len()` by hash slot (one group on a single server).
fn slot_groups(transport: &Transport, full_keys: &[String]) -> Vec<Vec<usize>> {
    let mut groups: HashMap<Option<Slot>, Vec<usize>> = HashMap::new();
    for (i, key) in full_keys.iter().enumerate() {
        groups
            .entry(transport.slot_of(key.as_bytes()))
            .or_default()
            .push(i);
    }
    groups.into_values().collect()
}

fn parse_info(info: &str) -> RedisServerStats {
    let mut stats = RedisServerStats {
        primaries: 1,
        ..RedisServerStats::default()
    };
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

/// Sums the figures of several primaries; texts that differ are listed, comma-separated.
fn sum_server_stats(parts: impl IntoIterator<Item = RedisServerStats>) -> RedisServerStats {
    let mut total = RedisServerStats::default();
    let join = |all: &mut String, part: &str| {
        if !all.split(',').any(|seen| seen == part) {
            if !all.is_empty() {
                all.push(',');
            }
            all.push_str(part);
        }
    };
    for part in parts {
        total.primaries += part.primaries;
        join(&mut total.version, &part.version);
        join(&mut total.maxmemory_policy, &part.maxmemory_policy);
        total.used_memory += part.used_memory;
        total.maxmemory += part.maxmemory;
        total.evicted_keys += part.evicted_keys;
        total.expired_keys += part.expired_keys;
        total.keyspace_hits += part.keyspace_hits;
        total.keyspace_misses += part.keyspace_misses;
    }
    total
}

fn cx(op: &'static str) -> Context {
    Context { op }
}

#[async_trait]
impl Cache for RedisCache {
    fn backend(&self) -> BackendKind {
        BackendKind::Redis
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        self.inner.limits.check_key(key)?;
        let cmd = key_cmd("GET", self.full_key(key), 0, 0);
        let value: Option<Vec<u8>> = self.query(cx("get"), &cmd).await?;
        let hit = value.is_some();
        self.count_lookups(u64::from(hit), u64::from(!hit));
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
        self.inner.limits.check_entry(key, value.len())?;
        let cmd = set_cmd(self.full_key(key), value, false, ttl);
        self.query::<()>(cx("set"), &cmd).await
    }

    async fn delete(&self, key: &str) -> Result<bool, CacheError> {
        self.inner.limits.check_key(key)?;
        let cmd = key_cmd("DEL", self.full_key(key), 0, 0);
        Ok(self.query::<u64>(cx("delete"), &cmd).await? > 0)
    }

    async fn add(
        &self,
        key: &str,
        value: &[u8],
        expiry: Option<Duration>,
    ) -> Result<bool, CacheError> {
        // The expiry is checked before the key, as by the in-memory backend.
        let ttl = to_ttl(expiry)?;
        self.inner.limits.check_entry(key, value.len())?;
        let cmd = set_cmd(self.full_key(key), value, true, ttl);
        Ok(self
            .query::<Option<String>>(cx("add"), &cmd)
            .await?
            .is_some())
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, CacheError> {
        for key in keys {
            self.inner.limits.check_key(key)?;
        }
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let values = if self.inner.transport.is_cluster() {
            let full: Vec<String> = keys.iter().map(|k| self.redis_key(k)).collect();
            let groups = slot_groups(&self.inner.transport, &full);
            let reads = groups.iter().map(|group| {
                let group_full: Vec<&str> = group.iter().map(|&i| full[i].as_str()).collect();
                let group_keys: Vec<&str> = group.iter().map(|&i| keys[i]).collect();
                async move { self.get_group(&group_full, &group_keys).await }
            });
            let read = futures_util::future::try_join_all(reads).await?;
            let mut values = vec![None; keys.len()];
            for (group, group_values) in groups.iter().zip(read) {
                for (&i, value) in group.iter().zip(group_values) {
                    values[i] = value;
                }
            }
            values
        } else {
            let full: Vec<FullKey<'_>> = keys.iter().map(|k| self.full_key(k)).collect();
            self.get_group(&full, keys).await?
        };
        let hits = values.iter().filter(|v| v.is_some()).count() as u64;
        self.count_lookups(hits, values.len() as u64 - hits);
        Ok(values)
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
        if entries.is_empty() {
            return Ok(());
        }
        // MULTI/EXEC: other clients never see half of a batch, and a command rejected at queue
        // time (e.g. OOM) aborts all of it. On a cluster that holds per hash slot.
        let transaction = |indices: &mut dyn Iterator<Item = usize>| {
            let mut pipe = redis::pipe();
            pipe.atomic();
            for i in indices {
                let (key, value) = entries[i];
                pipe.add_command(set_cmd(self.full_key(key), value, false, ttl))
                    .ignore();
            }
            pipe
        };
        let transport = &self.inner.transport;
        let cx = Context { op: "set_many" };
        if !transport.is_cluster() {
            let pipe = transaction(&mut (0..entries.len()));
            return self.run(cx, || transport.pipeline::<()>(&pipe)).await;
        }
        let full: Vec<String> = entries.iter().map(|(k, _)| self.redis_key(k)).collect();
        let writes = slot_groups(transport, &full).into_iter().map(|group| {
            let pipe = transaction(&mut group.into_iter());
            async move { self.run(cx, || transport.pipeline::<()>(&pipe)).await }
        });
        futures_util::future::try_join_all(writes).await?;
        Ok(())
    }

    async fn delete_many(&self, keys: &[&str]) -> Result<u64, CacheError> {
        for key in keys {
            self.inner.limits.check_key(key)?;
        }
        if keys.is_empty() {
            return Ok(0);
        }
        let del = |indices: &mut dyn Iterator<Item = usize>| {
            let mut cmd = redis::cmd("DEL");
            for i in indices {
                cmd.arg(self.full_key(keys[i]));
            }
            cmd
        };
        let cx = Context { op: "delete_many" };
        let transport = &self.inner.transport;
        if !transport.is_cluster() {
            return self.query(cx, &del(&mut (0..keys.len()))).await;
        }
        // One DEL per slot, each on the primary that owns it, so a primary that is down fails
        // the call instead of being skipped.
        let full: Vec<String> = keys.iter().map(|k| self.redis_key(k)).collect();
        let deletes = slot_groups(transport, &full).into_iter().map(|group| {
            let cmd = del(&mut group.into_iter());
            async move { self.query::<u64>(cx, &cmd).await }
        });
        Ok(futures_util::future::try_join_all(deletes)
            .await?
            .iter()
            .sum())
    }

    async fn incr(&self, key: &str, by: i64) -> Result<i64, CacheError> {
        self.inner.limits.check_key(key)?;
        let mut cmd = key_cmd("INCRBY", self.full_key(key), 1, 20);
        cmd.arg(by);
        self.query(cx("incr"), &cmd)
            .await
            .map_err(map_counter_error)
    }

    async fn decr(&self, key: &str, by: i64) -> Result<i64, CacheError> {
        self.inner.limits.check_key(key)?;
        let mut cmd = key_cmd("DECRBY", self.full_key(key), 1, 20);
        cmd.arg(by);
        self.query(cx("decr"), &cmd)
            .await
            .map_err(map_counter_error)
    }

    async fn touch(&self, key: &str, expiry: Option<Duration>) -> Result<bool, CacheError> {
        let ttl = to_ttl(expiry)?;
        self.inner.limits.check_key(key)?;
        // One script for every kind: a member set's expiry is capped by its members'.
        let full = [self.full_key(key)];
        let ms = [ttl.map_or(0, Ttl::as_millis)];
        let transport = &self.inner.transport;
        let touched: u64 = self
            .run(cx("touch"), || {
                transport.eval(&collections::TOUCH, &full, &ms)
            })
            .await?;
        Ok(touched == 1)
    }

    async fn ttl(&self, key: &str) -> Result<Option<KeyTtl>, CacheError> {
        self.inner.limits.check_key(key)?;
        let cmd = key_cmd("PTTL", self.full_key(key), 0, 0);
        let ms: i64 = self.query(cx("ttl"), &cmd).await?;
        Ok(match ms {
            -1 => Some(KeyTtl::Persistent),
            // -2: missing. 0: the deadline is this very millisecond, which the core already
            // treats as expired (deadline <= now).
            ms if ms <= 0 => None,
            ms => Some(KeyTtl::Remaining(Ttl::from_millis(ms.unsigned_abs())?)),
        })
    }

    async fn exists(&self, key: &str) -> Result<bool, CacheError> {
        self.inner.limits.check_key(key)?;
        let cmd = key_cmd("EXISTS", self.full_key(key), 0, 0);
        Ok(self.query::<u64>(cx("exists"), &cmd).await? > 0)
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
        self.count_lookups(u64::from(found), u64::from(!found));
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
        let hit = !members.is_empty();
        self.count_lookups(u64::from(hit), u64::from(!hit));
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
        self.scan_namespace("clear", |node, keys| {
            let removed = &removed;
            let node = node.clone();
            async move {
                let n = self.unlink_on(&node, keys).await?;
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
        let transport = &self.inner.transport;
        let info = redis::cmd("INFO");
        let cx = Context { op: "stats" };
        let infos: Vec<(Node, String)> =
            self.run(cx, || transport.query_each_primary(&info)).await?;
        let redis = sum_server_stats(infos.iter().map(|(_, info)| parse_info(info)));
        let entries = if self.inner.count_entries {
            Some(self.count_entries().await?)
        } else {
            None
        };
        Ok(CacheStats {
            backend: BackendKind::Redis,
            hits: self.inner.hits.load(Ordering::Relaxed),
            misses: self.inner.misses.load(Ordering::Relaxed),
            entries,
            memory: None,
            redis: Some(redis),
        })
    }

    async fn health(&self) -> Result<Health, CacheError> {
        let start = Instant::now();
        // On a cluster: every primary, and it fails if one does.
        let ping = redis::cmd("PING");
        let transport = &self.inner.transport;
        let cx = Context { op: "health" };
        let _: Vec<(Node, Value)> = self.run(cx, || transport.query_each_primary(&ping)).await?;
        Ok(Health {
            backend: BackendKind::Redis,
            latency: start.elapsed(),
        })
    }

    fn single_flight(&self) -> &SingleFlight {
        &self.inner.single_flight
    }
}

impl fmt::Debug for RedisCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Hand-written: redis-rs' own Debug output is not relied on to hide credentials.
        f.debug_struct("RedisCache")
            .field("url", &self.inner.url)
            .field("cluster", &self.inner.transport.is_cluster())
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
        assert_eq!(s.primaries, 1);
        assert_eq!(s.version, "7.0.15");
        assert_eq!(s.used_memory, 1_048_576);
        assert_eq!(s.maxmemory, 0);
        assert_eq!(s.maxmemory_policy, "noeviction");
        assert_eq!(s.evicted_keys, 3);
        assert_eq!(s.expired_keys, 7);
        assert_eq!(s.keyspace_hits, 10);
        assert_eq!(s.keyspace_misses, 4);
    }

    #[test]
    fn primaries_add_up_and_distinct_texts_are_listed() {
        let node = |version: &str, used: u64| RedisServerStats {
            primaries: 1,
            version: version.to_owned(),
            used_memory: used,
            maxmemory_policy: "noeviction".to_owned(),
            evicted_keys: 1,
            ..RedisServerStats::default()
        };
        let total = sum_server_stats([node("7.0.15", 10), node("7.0.15", 20), node("7.2.4", 5)]);
        assert_eq!(total.primaries, 3);
        assert_eq!(total.used_memory, 35);
        assert_eq!(total.evicted_keys, 3);
        assert_eq!(total.version, "7.0.15,7.2.4");
        assert_eq!(total.maxmemory_policy, "noeviction");
    }
}
