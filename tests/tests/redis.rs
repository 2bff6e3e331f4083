//! Every conformance case that can run in real time against the native `RedisCache` and real
//! Redis servers (started by `chatcache::testing`, killed when the test ends): one server over
//! plain TCP, over TLS, over mutual TLS, and a 3-primary Redis Cluster. Each case gets a fresh
//! namespace on the same server; `advance` sleeps.

mod native_cache;

use std::time::Duration;

use chatcache::testing::{
    ClientAuth, RedisCluster, RedisServer, ServerCertificate, TestCertificates,
};
use chatcache::{CacheConfig, Namespace, RedisCache, RedisUrl, TlsConfig};
use chatcache_conformance::{
    Backend, BackendFactory, Capability, Case, Op, Outcome, load_cases, run_all,
};

/// Redis has no per-cache capacity limits (`limits`) and runs in real time
/// (`simulated_time`); it validates keys and entries with the core's rules (`exact_weight`),
/// counts keys under its namespace (`len`) and keeps full `i64` counters (`big_integers`).
const CAPABILITIES: &[Capability] = &[
    Capability::ExactWeight,
    Capability::Len,
    Capability::BigIntegers,
    Capability::Collections,
];

struct RedisFactory {
    name: &'static str,
    /// Where and how to connect; each case gets its own namespace on top.
    config: CacheConfig,
    opened: usize,
}

impl RedisFactory {
    fn new(name: &'static str, url: &str) -> RedisFactory {
        let mut config = CacheConfig::default();
        config.redis_url = RedisUrl::parse(url).expect("test URL is valid");
        // The `len` operation reads `stats().entries`.
        config.redis_count_entries = true;
        RedisFactory {
            name,
            config,
            opened: 0,
        }
    }
}

impl BackendFactory for RedisFactory {
    type Backend = RedisBackend;

    fn name(&self) -> &str {
        self.name
    }

    fn capabilities(&self) -> &[Capability] {
        CAPABILITIES
    }

    async fn open(&mut self, case: &Case) -> Result<RedisBackend, String> {
        self.opened += 1;
        let mut config = self.config.clone();
        config.namespace = Namespace::new(&format!("conformance-{}-{}", self.opened, case.name))
            .map_err(|e| e.to_string())?;
        let cache = RedisCache::connect(&config)
            .await
            .map_err(|e| e.to_string())?;
        Ok(RedisBackend { cache })
    }
}

struct RedisBackend {
    cache: RedisCache,
}

impl Backend for RedisBackend {
    async fn apply(&mut self, op: &Op) -> Outcome {
        native_cache::apply(&self.cache, op).await
    }

    async fn advance(&mut self, ms: u64) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

async fn passes_every_real_time_case(mut factory: RedisFactory) {
    let cases = load_cases().expect("case files load");
    let report = run_all(&mut factory, &cases).await;
    println!("{report}");
    report.assert_passed();
    for skipped in &report.skipped {
        assert!(
            skipped
                .missing
                .iter()
                // Redis keeps its own persistence; chatcache snapshots are for the others.
                .all(|c| matches!(
                    c,
                    Capability::Limits | Capability::SimulatedTime | Capability::Snapshots
                )),
            "skipped for an unexpected reason: {skipped:?}"
        );
    }
}

#[tokio::test]
async fn redis_cache_passes_every_real_time_case() {
    let server = RedisServer::start();
    passes_every_real_time_case(RedisFactory::new("redis", &server.url())).await;
}

#[tokio::test]
async fn redis_cache_over_tls_passes_every_real_time_case() {
    let certs = TestCertificates::generate();
    let server = RedisServer::builder()
        .tls(&certs, ServerCertificate::Localhost, ClientAuth::Optional)
        .start();
    let mut factory = RedisFactory::new("redis over TLS", &server.url());
    factory.config.tls = TlsConfig::default()
        .with_root_ca_pem(certs.ca_pem())
        .expect("PEM");
    passes_every_real_time_case(factory).await;
}

#[tokio::test]
async fn redis_cache_over_mutual_tls_passes_every_real_time_case() {
    let certs = TestCertificates::generate();
    let server = RedisServer::builder()
        .tls(&certs, ServerCertificate::Localhost, ClientAuth::Required)
        .start();
    let mut factory = RedisFactory::new("redis over mutual TLS", &server.url());
    factory.config.tls = TlsConfig::default()
        .with_root_ca_pem(certs.ca_pem())
        .and_then(|tls| {
            tls.with_client_identity_pem(certs.client_cert_pem(), certs.client_key_pem())
        })
        .expect("PEM");
    passes_every_real_time_case(factory).await;
}

#[tokio::test]
async fn redis_cache_on_a_cluster_passes_every_real_time_case() {
    let cluster = RedisCluster::start();
    let mut factory = RedisFactory::new("redis cluster (3 primaries)", &cluster.url());
    factory.config.redis_cluster = true;
    passes_every_real_time_case(factory).await;
}
