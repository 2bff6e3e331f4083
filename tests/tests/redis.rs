//! Every conformance case that can run in real time against the native `RedisCache` and a real
//! `redis-server` (started by `chatcache::testing`, killed when the test ends). Each case gets a
//! fresh namespace on the same server; `advance` sleeps.

mod native_cache;

use std::time::Duration;

use chatcache::testing::RedisServer;
use chatcache::{CacheConfig, Namespace, RedisCache, RedisUrl};
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
    server: RedisServer,
    opened: usize,
}

impl BackendFactory for RedisFactory {
    type Backend = RedisBackend;

    fn name(&self) -> &str {
        "redis"
    }

    fn capabilities(&self) -> &[Capability] {
        CAPABILITIES
    }

    async fn open(&mut self, case: &Case) -> Result<RedisBackend, String> {
        self.opened += 1;
        let mut config = CacheConfig::default();
        config.redis_url = RedisUrl::parse(&self.server.url()).map_err(|e| e.to_string())?;
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

#[tokio::test]
async fn redis_cache_passes_every_real_time_case() {
    let cases = load_cases().expect("case files load");
    let mut factory = RedisFactory {
        server: RedisServer::start(),
        opened: 0,
    };
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
