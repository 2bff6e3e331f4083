//! `RedisCache` next to the raw `redis` crate, in one run, against local Redis servers started
//! for the run: one server over TCP, one over TLS, and a 3-primary cluster. Each contender has
//! 1, 10 and 50 tasks doing `SET` then `GET` of 64-byte values over the same kind of connection
//! (redis-rs' `ConnectionManager` with the same settings, or its async cluster client), and
//! reports operations per second, p50 and p99 latency, and the ratio to the raw crate.
//!
//! The raw crate gets its keys pre-built with the namespace prefix (the most favourable case
//! for it); `RedisCache` gets the bare keys and does its own validation, key building,
//! timeouts and error mapping. Contenders alternate within each cell, in rotating order, so
//! load on the shared machine hits both alike.
//!
//! ```text
//! cargo bench -p chatcache --bench redis_throughput
//! CHATCACHE_BENCH_SECONDS=3 CHATCACHE_BENCH_MODES=plain,cluster CHATCACHE_BENCH_TASKS=50 \
//!     cargo bench -p chatcache --bench redis_throughput
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use chatcache::testing::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use chatcache::testing::redis::cluster::ClusterClientBuilder;
use chatcache::testing::redis::{self, aio::ConnectionLike};
use chatcache::testing::{
    ClientAuth, RedisCluster, RedisServer, ServerCertificate, TestCertificates,
};
use chatcache::{Cache, CacheConfig, Namespace, RedisCache, RedisUrl, TlsConfig};

const TASKS: &str = "1,10,50";
const KEYS: usize = 1_000;
const VALUE: [u8; 64] = [b'v'; 64];
const NAMESPACE: &str = "bench";
/// Rounds per cell; each round runs both contenders once, in alternating order.
const ROUNDS: usize = 4;

/// What one contender measured in one round.
#[derive(Default)]
struct Sample {
    ops: u64,
    elapsed: Duration,
    latencies_ns: Vec<u64>,
}

impl Sample {
    fn merge(&mut self, other: Sample) {
        self.ops += other.ops;
        self.elapsed += other.elapsed;
        self.latencies_ns.extend(other.latencies_ns);
    }

    fn ops_per_sec(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile_us(&mut self, p: f64) -> f64 {
        self.latencies_ns.sort_unstable();
        let i = ((self.latencies_ns.len() as f64 - 1.0) * p).round() as usize;
        self.latencies_ns.get(i).copied().unwrap_or(0) as f64 / 1000.0
    }
}

/// One contender: something that can SET and GET a key.
#[derive(Clone)]
enum Contender {
    Chatcache(RedisCache),
    RawManager(ConnectionManager),
    RawCluster(redis::cluster_async::ClusterConnection),
}

impl Contender {
    fn name(&self) -> &'static str {
        match self {
            Contender::Chatcache(_) => "RedisCache",
            _ => "raw redis",
        }
    }

    async fn set_get(&mut self, key: &str, full_key: &str) {
        match self {
            Contender::Chatcache(cache) => {
                cache.set(key, &VALUE, None).await.expect("set");
                let value = cache.get(key).await.expect("get");
                debug_assert!(value.is_some());
            }
            Contender::RawManager(con) => raw_set_get(con, full_key).await,
            Contender::RawCluster(con) => raw_set_get(con, full_key).await,
        }
    }
}

async fn raw_set_get(con: &mut impl ConnectionLike, full_key: &str) {
    let () = redis::cmd("SET")
        .arg(full_key)
        .arg(&VALUE[..])
        .query_async(con)
        .await
        .expect("set");
    let value: Option<Vec<u8>> = redis::cmd("GET")
        .arg(full_key)
        .query_async(con)
        .await
        .expect("get");
    debug_assert!(value.is_some());
}

/// `tasks` tasks doing SET+GET for `duration`; each SET and each GET is one operation.
async fn run(
    contender: &Contender,
    tasks: usize,
    duration: Duration,
    keys: &Arc<Vec<(String, String)>>,
) -> Sample {
    let started = Instant::now();
    let deadline = started + duration;
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let mut contender = contender.clone();
            let keys = keys.clone();
            tokio::spawn(async move {
                let mut sample = Sample::default();
                let mut i = t * 7919;
                while Instant::now() < deadline {
                    let (key, full_key) = &keys[i % keys.len()];
                    let op_started = Instant::now();
                    contender.set_get(key, full_key).await;
                    // Both commands of the pair took about the same time.
                    let half = op_started.elapsed().as_nanos() as u64 / 2;
                    sample.latencies_ns.extend([half, half]);
                    sample.ops += 2;
                    i += 1;
                }
                sample
            })
        })
        .collect();
    let mut total = Sample::default();
    for handle in handles {
        total.merge(handle.await.expect("bench task"));
    }
    total.elapsed = started.elapsed();
    total
}

fn config(url: &str, cluster: bool, tls: TlsConfig) -> CacheConfig {
    let mut config = CacheConfig::default();
    config.redis_url = RedisUrl::parse(url).expect("valid URL");
    config.redis_cluster = cluster;
    config.tls = tls;
    config.namespace = Namespace::new(NAMESPACE).expect("valid");
    config
}

fn manager_config(config: &CacheConfig) -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_number_of_retries(0)
        .set_connection_timeout(Some(config.connect_timeout))
        .set_response_timeout(Some(config.op_timeout))
}

async fn contenders(
    mode: &str,
    url: &str,
    certs: Option<&TestCertificates>,
) -> (Contender, Contender) {
    let tls = match certs {
        Some(certs) => TlsConfig::default()
            .with_root_ca_pem(certs.ca_pem())
            .expect("PEM"),
        None => TlsConfig::default(),
    };
    let config = config(url, mode == "cluster", tls);
    let cache = RedisCache::connect(&config)
        .await
        .expect("RedisCache connects");
    let raw = match mode {
        "cluster" => {
            let seeds: Vec<&str> = url.split(',').collect();
            let client = ClusterClientBuilder::new(seeds)
                .connection_timeout(config.connect_timeout)
                .response_timeout(config.op_timeout)
                .retries(3)
                .build()
                .expect("cluster client");
            Contender::RawCluster(client.get_async_connection().await.expect("raw cluster"))
        }
        _ => {
            let client = match certs {
                Some(certs) => redis::Client::build_with_tls(
                    url,
                    redis::TlsCertificates {
                        client_tls: None,
                        root_cert: Some(certs.ca_pem()),
                    },
                ),
                None => redis::Client::open(url),
            }
            .expect("client");
            let manager = ConnectionManager::new_with_config(client, manager_config(&config))
                .await
                .expect("raw connects");
            Contender::RawManager(manager)
        }
    };
    (Contender::Chatcache(cache), raw)
}

fn main() {
    let seconds: f64 = std::env::var("CHATCACHE_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let modes =
        std::env::var("CHATCACHE_BENCH_MODES").unwrap_or_else(|_| "plain,tls,cluster".into());
    let round = Duration::from_secs_f64(seconds / ROUNDS as f64);
    let task_counts: Vec<usize> = std::env::var("CHATCACHE_BENCH_TASKS")
        .unwrap_or_else(|_| TASKS.into())
        .split(',')
        .map(|n| {
            n.trim()
                .parse()
                .expect("CHATCACHE_BENCH_TASKS: comma-separated numbers")
        })
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let keys: Arc<Vec<(String, String)>> = Arc::new(
        (0..KEYS)
            .map(|i| {
                let key = format!("room:{i}:last");
                (key.clone(), format!("{NAMESPACE}:{key}"))
            })
            .collect(),
    );

    println!(
        "{:<8} {:>5}  {:<11} {:>10} {:>9} {:>9}  {:>6}",
        "mode", "tasks", "contender", "ops/s", "p50 µs", "p99 µs", "ratio"
    );
    let mut summary = Vec::new();
    for mode in modes.split(',').map(str::trim) {
        let certs = (mode == "tls").then(TestCertificates::generate);
        let (server, cluster) = match mode {
            "plain" => (Some(RedisServer::start()), None),
            "tls" => (
                Some(
                    RedisServer::builder()
                        .tls(
                            certs.as_ref().expect("certs"),
                            ServerCertificate::Localhost,
                            ClientAuth::Optional,
                        )
                        .start(),
                ),
                None,
            ),
            "cluster" => (None, Some(RedisCluster::start())),
            other => panic!("unknown mode {other:?} (plain, tls, cluster)"),
        };
        let url = match (&server, &cluster) {
            (Some(server), _) => server.url(),
            (_, Some(cluster)) => cluster.url(),
            _ => unreachable!("one of them is set"),
        };
        runtime.block_on(async {
            let (ours, raw) = contenders(mode, &url, certs.as_ref()).await;
            // Warm up both (connections, allocator, the server's dictionaries).
            run(&ours, 10, Duration::from_millis(300), &keys).await;
            run(&raw, 10, Duration::from_millis(300), &keys).await;
            for &tasks in &task_counts {
                let (mut ours_total, mut raw_total) = (Sample::default(), Sample::default());
                for r in 0..ROUNDS {
                    if r % 2 == 0 {
                        ours_total.merge(run(&ours, tasks, round, &keys).await);
                        raw_total.merge(run(&raw, tasks, round, &keys).await);
                    } else {
                        raw_total.merge(run(&raw, tasks, round, &keys).await);
                        ours_total.merge(run(&ours, tasks, round, &keys).await);
                    }
                }
                let ratio = ours_total.ops_per_sec() / raw_total.ops_per_sec();
                for (contender, sample) in [(&raw, &mut raw_total), (&ours, &mut ours_total)] {
                    let shown_ratio = if matches!(contender, Contender::Chatcache(_)) {
                        format!("{ratio:.3}")
                    } else {
                        String::new()
                    };
                    println!(
                        "{mode:<8} {tasks:>5}  {:<11} {:>10.0} {:>9.1} {:>9.1}  {:>6}",
                        contender.name(),
                        sample.ops_per_sec(),
                        sample.percentile_us(0.50),
                        sample.percentile_us(0.99),
                        shown_ratio
                    );
                }
                summary.push((
                    mode.to_owned(),
                    tasks,
                    ours_total.ops_per_sec(),
                    raw_total.ops_per_sec(),
                ));
            }
        });
        drop(server);
        drop(cluster);
    }
    println!("\nRedisCache throughput relative to one plain node (same task count):");
    for (mode, tasks, ours, _) in &summary {
        if let Some((_, _, plain, _)) = summary
            .iter()
            .find(|(m, t, _, _)| m == "plain" && t == tasks)
        {
            println!("  {mode:<8} {tasks:>3} tasks: {:.2}x", ours / plain);
        }
    }
}
