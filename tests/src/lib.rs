//! The chatcache conformance suite: cases written as data, run against every backend.
//!
//! Every chatcache backend — the core [`Store`](chatcache_core::Store), the native in-memory
//! and Redis caches, the wasm package — must behave the same. The cases in this crate's
//! `cases/*.json` say how, as operations with expected results and time steps; the format
//! is documented in the crate's `README.md` so runners in other languages can read it too.
//!
//! A Rust backend implements [`Backend`] (apply an operation, let time pass) and
//! [`BackendFactory`] (a fresh backend per case, and the [`Capability`]s it has); then:
//!
//! ```no_run
//! # use chatcache_conformance::{BackendFactory, load_cases, run_all};
//! # async fn check(factory: &mut impl BackendFactory) {
//! let cases = load_cases().expect("case files load");
//! let report = run_all(factory, &cases).await;
//! println!("{report}"); // "conformance [name]: N passed, N failed, N skipped"
//! report.assert_passed();
//! # }
//! ```
//!
//! `tests/core.rs` is the complete runner for the core.

mod case;
mod load;
mod run;

pub use case::{
    Action, Capability, Case, CaseLimits, Entry, Expect, Op, Outcome, ResultKind, Step, TtlExpect,
    TtlState,
};
pub use load::{
    ERROR_CODES, LoadError, MAX_REAL_TIME_ADVANCE_MS, MAX_SAFE_INTEGER, cases_dir, load_cases,
    load_dir, parse_file,
};
pub use run::{
    Backend, BackendFactory, CASE_FILTER_VAR, Failure, Report, Skipped, run_all, run_case,
};
