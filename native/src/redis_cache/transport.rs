//! How commands reach Redis: one server (plain or TLS) or a Redis Cluster.
//!
//! Every command, pipeline and Lua script of [`RedisCache`](super::RedisCache) goes through
//! [`Transport`], and runs the same way on both: a single-key command, a pipeline whose
//! commands share one hash slot and a script whose keys share one slot go to the node that owns
//! the slot (on one server: the server). Work that spans slots is split by the caller with
//! [`Transport::slot_of`]; work on every primary (`SCAN`, `INFO`, `PING`) uses
//! [`Transport::primaries`], [`Transport::query_each_primary`] and [`Transport::query_on`], with
//! the primaries taken from the cluster's own slot map.

use std::fmt;
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo, Slot};
use redis::{
    Cmd, FromRedisValue, Pipeline, RedisError, RedisFuture, RedisResult, ToRedisArgs, Value,
};

use crate::config::CacheConfig;

/// Redirections (`MOVED`/`ASK`) and reconnections the cluster client may try within one
/// operation; the operation timeout bounds them all.
const CLUSTER_RETRIES: u32 = 3;

/// One Redis server, or a cluster. Cheap to clone (a handle on shared connections).
#[derive(Clone)]
pub(super) enum Transport {
    /// One server through redis-rs' reconnecting multiplexed connection.
    Single(ConnectionManager),
    /// A Redis Cluster through redis-rs' async cluster client, which keeps one multiplexed
    /// connection per node and follows the slot map.
    Cluster(ClusterConnection),
}

/// A server to send per-node work to: the one server, or a cluster node by address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Node {
    /// The only server.
    Only,
    /// A cluster node.
    Address {
        /// Host as the cluster reports it.
        host: String,
        /// Port.
        port: u16,
    },
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Only => f.write_str("server"),
            Node::Address { host, port } => write!(f, "{host}:{port}"),
        }
    }
}

impl Transport {
    /// Connects to the server, or to the cluster through its seed nodes (learning every
    /// primary from them). Each connection attempt is bounded by `connect_timeout` and each
    /// response by `op_timeout`; a single attempt is made (redis-rs' default retry loop would
    /// block callers for ~9.5 s while Redis is down), later operations reconnect lazily.
    pub(super) async fn connect(config: &CacheConfig) -> RedisResult<Transport> {
        let url = &config.redis_url;
        if config.redis_cluster {
            // Each attempt is bounded by the operation timeout; the whole operation (retries
            // included) is bounded by `RedisCache`'s own timer, so the client needs no second
            // overall one.
            let mut builder = ClusterClientBuilder::new(url.node_secrets())
                .connection_timeout(config.connect_timeout)
                .response_timeout(config.op_timeout)
                .overall_response_timeout(None)
                .retries(CLUSTER_RETRIES);
            if url.is_tls() {
                builder = builder.certs(config.tls.certificates());
            }
            let connection = builder.build()?.get_async_connection().await?;
            return Ok(Transport::Cluster(connection));
        }
        let client = if url.is_tls() {
            redis::Client::build_with_tls(url.expose_secret(), config.tls.certificates())?
        } else {
            redis::Client::open(url.expose_secret())?
        };
        // No response timeout of its own: `RedisCache` bounds each whole operation (waiting
        // for a reconnection included) by the operation timeout, and one timer per call is
        // enough.
        let manager_config = ConnectionManagerConfig::new()
            .set_number_of_retries(0)
            .set_connection_timeout(Some(config.connect_timeout))
            .set_response_timeout(None);
        let manager = ConnectionManager::new_with_config(client, manager_config).await?;
        Ok(Transport::Single(manager))
    }

    /// Whether this is a cluster (work spanning slots must be split).
    pub(super) fn is_cluster(&self) -> bool {
        matches!(self, Transport::Cluster(_))
    }

    /// The hash slot of `key` on a cluster, `None` on one server (everything is together).
    pub(super) fn slot_of(&self, key: &[u8]) -> Option<Slot> {
        self.is_cluster().then(|| Slot::for_key(key))
    }

    /// Runs one command, routed by its key (keyless commands: on a cluster, by redis-rs' rules,
    /// e.g. `PING` and `INFO` to every primary, multi-key `DEL` split by slot).
    pub(super) async fn query<T: FromRedisValue>(&self, cmd: &Cmd) -> RedisResult<T> {
        match self {
            // The manager's own async method, not its `ConnectionLike` impl, which boxes a
            // future per call.
            Transport::Single(manager) => {
                let reply = manager.clone().send_packed_command(cmd).await?;
                Ok(redis::from_redis_value(reply.extract_error()?)?)
            }
            // Routing by key happens in the cluster's `ConnectionLike` impl.
            Transport::Cluster(connection) => cmd.query_async(&mut connection.clone()).await,
        }
    }

    /// Runs a pipeline (on a cluster, its commands must share one slot).
    pub(super) async fn pipeline<T: FromRedisValue>(&self, pipe: &Pipeline) -> RedisResult<T> {
        pipe.query_async(&mut self.clone()).await
    }

    /// Runs `script` with `keys` (on a cluster, they must share one slot) and `args`; see
    /// [`LuaScript`].
    pub(super) async fn eval<T, K, A>(
        &self,
        script: &LuaScript,
        keys: &[K],
        args: &[A],
    ) -> RedisResult<T>
    where
        T: FromRedisValue,
        K: ToRedisArgs + Sync,
        A: ToRedisArgs + Sync,
    {
        let by_hash = script.cmd("EVALSHA", script.sha.as_bytes(), keys, args);
        match self.query(&by_hash).await {
            Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
                // EVAL also caches the script on that node, so the next call goes by hash.
                let in_full = script.cmd("EVAL", script.code.as_bytes(), keys, args);
                self.query(&in_full).await
            }
            other => other,
        }
    }

    /// The primaries: the one server, or every primary that owns slots, as the cluster itself
    /// reports them (`CLUSTER SLOTS`, asked of any connected node). A primary that is down is
    /// still listed, so work that must reach every primary fails instead of silently skipping
    /// it (redis-rs' own fan-out skips nodes it is not connected to).
    pub(super) async fn primaries(&self) -> RedisResult<Vec<Node>> {
        let Transport::Cluster(connection) = self else {
            return Ok(vec![Node::Only]);
        };
        let mut slots = redis::cmd("CLUSTER");
        slots.arg("SLOTS");
        let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::Random);
        let reply = connection.clone().route_command(slots, routing).await?;
        // Each range: [start, end, [host, port, id, ...] (the primary), replicas...].
        let ranges: Vec<Vec<Value>> = redis::from_redis_value(reply.extract_error()?)?;
        let mut nodes = Vec::new();
        for range in ranges {
            let Some(primary) = range.into_iter().nth(2) else {
                continue;
            };
            let (host, port): (String, u16) = match redis::from_redis_value::<Vec<Value>>(primary) {
                Ok(fields) if fields.len() >= 2 => {
                    let mut fields = fields.into_iter();
                    match (fields.next(), fields.next()) {
                        (Some(host), Some(port)) => (
                            redis::from_redis_value(host)?,
                            redis::from_redis_value(port)?,
                        ),
                        _ => continue,
                    }
                }
                _ => continue,
            };
            let node = Node::Address { host, port };
            if !nodes.contains(&node) {
                nodes.push(node);
            }
        }
        Ok(nodes)
    }

    /// Runs `cmd` on every primary (one server: on it), concurrently, returning each answer with
    /// its node. Fails if any primary fails.
    pub(super) async fn query_each_primary<T: FromRedisValue>(
        &self,
        cmd: &Cmd,
    ) -> RedisResult<Vec<(Node, T)>> {
        let nodes = self.primaries().await?;
        let answers = nodes.into_iter().map(|node| async move {
            let answer = self.query_on(&node, cmd).await?;
            Ok::<_, RedisError>((node, answer))
        });
        futures_util::future::try_join_all(answers).await
    }

    /// Runs `cmd` on one node (for cursors such as `SCAN`, which live on one node).
    pub(super) async fn query_on<T: FromRedisValue>(
        &self,
        node: &Node,
        cmd: &Cmd,
    ) -> RedisResult<T> {
        match (self, node) {
            (Transport::Cluster(connection), Node::Address { host, port }) => {
                let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress {
                    host: host.clone(),
                    port: *port,
                });
                let reply = connection
                    .clone()
                    .route_command(cmd.clone(), routing)
                    .await?;
                Ok(redis::from_redis_value(reply.extract_error()?)?)
            }
            _ => self.query(cmd).await,
        }
    }

    /// Runs a non-atomic pipeline on one node; its commands may touch different slots of that
    /// node (each command on its own keys).
    pub(super) async fn pipeline_on<T: FromRedisValue>(
        &self,
        node: &Node,
        pipe: &Pipeline,
    ) -> RedisResult<Vec<T>> {
        match (self, node) {
            (Transport::Cluster(connection), Node::Address { host, port }) => {
                let route = SingleNodeRoutingInfo::ByAddress {
                    host: host.clone(),
                    port: *port,
                };
                let replies = connection
                    .clone()
                    .route_pipeline(pipe.clone(), 0, pipe.len(), route)
                    .await?;
                replies
                    .into_iter()
                    .map(|reply| Ok(redis::from_redis_value(reply.extract_error()?)?))
                    .collect()
            }
            _ => self.pipeline(pipe).await,
        }
    }

    /// A `PING` that checks the connection works: on a cluster, any one node (a cluster with a
    /// primary down still serves the other slots).
    pub(super) async fn ping_any(&self) -> RedisResult<()> {
        let ping = redis::cmd("PING");
        match self {
            Transport::Single(_) => self.query::<()>(&ping).await,
            Transport::Cluster(connection) => {
                let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::Random);
                let reply = connection.clone().route_command(ping, routing).await?;
                reply.extract_error().map(drop)
            }
        }
    }
}

/// After a TLS connection attempt ran out of time: whether the first seed answers plain Redis
/// instead (a `redis://` port behind a `rediss://` URL), asked within `budget`. A plain server
/// reads a TLS hello as an unfinished inline command and never answers it, so this is the only
/// way to tell that case from a hung server.
pub(super) async fn answers_plain_redis(config: &CacheConfig, budget: Duration) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Some(seed) = config.redis_url.node_secrets().next() else {
        return false;
    };
    let Ok(info) = redis::IntoConnectionInfo::into_connection_info(seed) else {
        return false;
    };
    let redis::ConnectionAddr::TcpTls { host, port, .. } = info.addr() else {
        return false;
    };
    let probe = async {
        let mut stream = tokio::net::TcpStream::connect((host.as_str(), *port))
            .await
            .ok()?;
        stream.write_all(b"PING\r\n").await.ok()?;
        let mut reply = [0u8; 8];
        let n = stream.read(&mut reply).await.ok()?;
        Some(reply[..n].starts_with(b"+PONG") || reply[..n].starts_with(b"-"))
    };
    matches!(tokio::time::timeout(budget, probe).await, Ok(Some(true)))
}

/// Lets redis-rs' own helpers (`Cmd::query_async`, `Pipeline::query_async`,
/// `redis::Script::invoke_async`) run on either kind of connection.
impl ConnectionLike for Transport {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Transport::Single(manager) => manager.req_packed_command(cmd),
            Transport::Cluster(connection) => connection.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipe: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Transport::Single(manager) => manager.req_packed_commands(pipe, offset, count),
            Transport::Cluster(connection) => connection.req_packed_commands(pipe, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Transport::Single(manager) => manager.get_db(),
            Transport::Cluster(connection) => connection.get_db(),
        }
    }
}

/// A Lua script run by its SHA1 (`EVALSHA`); the full text is sent (`EVAL`, which also caches
/// it on that node) only when the node answers `NOSCRIPT`, e.g. after a restart. Unlike
/// `SCRIPT LOAD` on every node, this touches only the node that owns the keys, so it works
/// while another primary of the cluster is down.
pub(super) struct LuaScript {
    code: &'static str,
    sha: String,
}

impl LuaScript {
    pub(super) fn new(code: &'static str) -> LuaScript {
        LuaScript {
            code,
            sha: redis::Script::new(code).get_hash().to_owned(),
        }
    }

    fn cmd<K: ToRedisArgs, A: ToRedisArgs>(
        &self,
        name: &str,
        script: &[u8],
        keys: &[K],
        args: &[A],
    ) -> Cmd {
        let mut cmd = redis::cmd(name);
        cmd.arg(script).arg(keys.len()).arg(keys).arg(args);
        cmd
    }
}
