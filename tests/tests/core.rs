//! Every conformance case against `chatcache_core::Store`, in simulated time.
//!
//! This is also the reference runner: the core defines the semantics, so it has every
//! capability and must pass every case.

use chatcache_conformance::{
    Backend, BackendFactory, Capability, Case, Op, Outcome, TtlState, load_cases, run_all,
};
use chatcache_core::{Error, KeyTtl, Limits, Store, Timestamp, Ttl};

/// Cases start at a realistic Unix-epoch time, not zero, so deadlines are large numbers.
const START: Timestamp = Timestamp::from_millis(1_700_000_000_000);

struct CoreFactory;

impl BackendFactory for CoreFactory {
    type Backend = CoreBackend;

    fn name(&self) -> &str {
        "core"
    }

    fn capabilities(&self) -> &[Capability] {
        Capability::ALL
    }

    async fn open(&mut self, case: &Case) -> Result<CoreBackend, String> {
        let limits = case
            .limits
            .unwrap_or_default()
            .to_core()
            .map_err(|e| e.to_string())?;
        let store = Store::new(limits);
        Ok(CoreBackend { store, now: START })
    }
}

struct CoreBackend {
    store: Store,
    now: Timestamp,
}

fn ttl(ms: Option<u64>) -> Result<Option<Ttl>, Error> {
    ms.map(Ttl::from_millis).transpose()
}

impl CoreBackend {
    fn apply_core(&mut self, op: &Op) -> Result<Outcome, Error> {
        let (store, now) = (&mut self.store, self.now);
        Ok(match op {
            Op::Get { key } => Outcome::Value(store.get(key, now)?.map(<[u8]>::to_vec)),
            Op::Set {
                key,
                value,
                ttl: ms,
            } => {
                store.set(key, value, ttl(*ms)?, now)?;
                Outcome::Ok
            }
            Op::Add {
                key,
                value,
                ttl: ms,
            } => Outcome::Bool(store.add(key, value, ttl(*ms)?, now)?),
            Op::Delete { key } => Outcome::Bool(store.delete(key, now)?),
            Op::Contains { key } => Outcome::Bool(store.contains(key, now)?),
            Op::Touch { key, ttl: ms } => Outcome::Bool(store.touch(key, ttl(*ms)?, now)?),
            Op::Ttl { key } => Outcome::Ttl(match store.ttl(key, now)? {
                None => TtlState::Missing,
                Some(KeyTtl::Persistent) => TtlState::Persistent,
                Some(KeyTtl::Remaining(ttl)) => TtlState::Remaining(ttl.as_millis()),
            }),
            Op::Incr { key, by } => Outcome::Integer(store.incr(key, *by, now)?),
            Op::Decr { key, by } => Outcome::Integer(store.decr(key, *by, now)?),
            Op::Clear => {
                store.clear();
                Outcome::Ok
            }
            Op::Len => {
                // `len` counts held entries, expired ones included until reclaimed; the
                // suite's `len` is the number of live entries.
                store.purge_expired(now);
                Outcome::Integer(i64::try_from(store.len()).expect("entry counts fit in i64"))
            }
            // The batch operations check every input before touching the store, so that a
            // bad one fails the whole call without changing anything.
            Op::GetMany { keys } => {
                for key in keys {
                    store.limits().check_key(key)?;
                }
                let mut values = Vec::with_capacity(keys.len());
                for key in keys {
                    values.push(store.get(key, now)?.map(<[u8]>::to_vec));
                }
                Outcome::Values(values)
            }
            Op::SetMany { entries, ttl: ms } => {
                let ttl = ttl(*ms)?;
                for entry in entries {
                    store.limits().check_entry(&entry.key, entry.value.len())?;
                }
                for entry in entries {
                    store.set(&entry.key, &entry.value, ttl, now)?;
                }
                Outcome::Ok
            }
            Op::DeleteMany { keys } => {
                for key in keys {
                    store.limits().check_key(key)?;
                }
                let mut deleted = 0;
                for key in keys {
                    deleted += i64::from(store.delete(key, now)?);
                }
                Outcome::Integer(deleted)
            }
            Op::ListPush {
                key,
                value,
                cap,
                ttl: ms,
            } => {
                let len = store.list_push(key, value, *cap, ttl(*ms)?, now)?;
                Outcome::Integer(i64::try_from(len).expect("list lengths fit in i64"))
            }
            Op::ListRange { key, start, stop } => Outcome::Items(
                store
                    .list_range(key, *start, *stop, now)?
                    .map(<[u8]>::to_vec)
                    .collect(),
            ),
            Op::ListLen { key } => Outcome::Integer(
                i64::try_from(store.list_len(key, now)?).expect("list lengths fit in i64"),
            ),
            Op::MemberAdd { key, member, ttl } => {
                Outcome::Bool(store.member_add(key, member, Ttl::from_millis(*ttl)?, now)?)
            }
            Op::Members { key } => {
                Outcome::Members(store.members(key, now)?.map(str::to_owned).collect())
            }
            Op::MemberRemove { key, member } => {
                Outcome::Bool(store.member_remove(key, member, now)?)
            }
            Op::RoundTrip => {
                let snapshot = store.export(now);
                let mut fresh = Store::new(*store.limits());
                let summary = fresh.import(&snapshot, now)?;
                assert_eq!(
                    summary.imported,
                    snapshot.entries.len(),
                    "an export imports"
                );
                *store = fresh;
                Outcome::Ok
            }
        })
    }
}

impl Backend for CoreBackend {
    async fn apply(&mut self, op: &Op) -> Outcome {
        let outcome = self.apply_core(op).unwrap_or_else(Outcome::from);
        if let Err(violation) = self.store.validate() {
            return Outcome::error(format!(
                "invariant violated after {}: {violation}",
                op.name()
            ));
        }
        outcome
    }

    async fn advance(&mut self, ms: u64) {
        self.now = Timestamp::from_millis(self.now.as_millis() + ms);
    }
}

#[test]
fn core_store_passes_every_case() {
    let cases = load_cases().expect("case files load");
    let report = pollster::block_on(run_all(&mut CoreFactory, &cases));
    report.assert_passed();
    println!("{report}");
    assert!(
        report.skipped.is_empty(),
        "the core has every capability, yet some cases were skipped:\n{report}"
    );
}

/// The suite must be able to tell a wrong backend from a right one: a core whose `touch`
/// forgets to persist fails exactly the cases about persisting.
#[test]
fn a_broken_backend_fails() {
    struct PersistIsNoOp(CoreBackend);

    impl Backend for PersistIsNoOp {
        async fn apply(&mut self, op: &Op) -> Outcome {
            match op {
                Op::Touch { key, ttl: None } => self
                    .0
                    .store
                    .contains(key, self.0.now)
                    .map_or_else(Outcome::from, Outcome::Bool),
                _ => self.0.apply(op).await,
            }
        }

        async fn advance(&mut self, ms: u64) {
            self.0.advance(ms).await;
        }
    }

    struct BrokenFactory;

    impl BackendFactory for BrokenFactory {
        type Backend = PersistIsNoOp;

        fn name(&self) -> &str {
            "broken"
        }

        fn capabilities(&self) -> &[Capability] {
            Capability::ALL
        }

        async fn open(&mut self, case: &Case) -> Result<PersistIsNoOp, String> {
            CoreFactory.open(case).await.map(PersistIsNoOp)
        }
    }

    let cases = load_cases().expect("case files load");
    let report = pollster::block_on(run_all(&mut BrokenFactory, &cases));
    let failed: Vec<&str> = report.failures.iter().map(|f| f.case.as_str()).collect();
    assert_eq!(
        failed,
        [
            "key_operations_cover_every_kind",
            "touch_without_ttl_persists"
        ],
        "{report}"
    );
}

/// Limits in a case reach the store: the default limits would accept this key.
#[test]
fn case_limits_reach_the_store() {
    let cases = load_cases().expect("case files load");
    let case = cases
        .iter()
        .find(|case| case.name == "small_key_and_entry_limits")
        .expect("the case exists");
    let backend = pollster::block_on(CoreFactory.open(case)).expect("opens");
    assert_eq!(backend.store.limits().max_key_bytes(), 8);
    assert_ne!(Limits::default().max_key_bytes(), 8);
}
