//! Every conformance case against the native `InMemoryCache`, in simulated time (its
//! `ManualClock`).

mod native_cache;

use std::time::Duration;

use chatcache::{InMemoryCache, ManualClock};
use chatcache_conformance::{
    Backend, BackendFactory, Capability, Case, Op, Outcome, load_cases, run_all,
};

/// Cases start at a realistic Unix-epoch time, like the core runner.
const START_MS: u64 = 1_700_000_000_000;

struct MemoryFactory;

impl BackendFactory for MemoryFactory {
    type Backend = MemoryBackend;

    fn name(&self) -> &str {
        "memory"
    }

    fn capabilities(&self) -> &[Capability] {
        Capability::ALL
    }

    async fn open(&mut self, case: &Case) -> Result<MemoryBackend, String> {
        let clock = ManualClock::new(START_MS);
        let limits = case
            .limits
            .unwrap_or_default()
            .to_core()
            .map_err(|e| e.to_string())?;
        let cache = InMemoryCache::builder()
            .limits(limits)
            .clock(clock.clone())
            // Time only moves when a step says so; reclamation is the core's own.
            .janitor_interval(None)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(MemoryBackend { cache, clock })
    }
}

struct MemoryBackend {
    cache: InMemoryCache,
    clock: ManualClock,
}

impl Backend for MemoryBackend {
    async fn apply(&mut self, op: &Op) -> Outcome {
        if let Op::RoundTrip = op {
            let snapshot = self.cache.export();
            let fresh = InMemoryCache::builder()
                .limits(*self.cache.limits())
                .clock(self.clock.clone())
                .janitor_interval(None)
                .build()
                .expect("the same limits build again");
            return match fresh.import(&snapshot) {
                Ok(summary) if summary.imported == snapshot.entries.len() => {
                    self.cache = fresh;
                    Outcome::Ok
                }
                Ok(summary) => Outcome::error(format!("round trip imported {summary:?}")),
                Err(error) => Outcome::error(error.to_string()),
            };
        }
        let outcome = native_cache::apply(&self.cache, op).await;
        if let Err(violation) = self.cache.validate() {
            return Outcome::error(format!(
                "invariant violated after {}: {violation}",
                op.name()
            ));
        }
        outcome
    }

    async fn advance(&mut self, ms: u64) {
        self.clock.advance(Duration::from_millis(ms));
    }
}

#[tokio::test]
async fn in_memory_cache_passes_every_case() {
    let cases = load_cases().expect("case files load");
    let report = run_all(&mut MemoryFactory, &cases).await;
    println!("{report}");
    report.assert_passed();
    assert!(
        report.skipped.is_empty(),
        "the in-memory cache has every capability, yet some cases were skipped:\n{report}"
    );
}
