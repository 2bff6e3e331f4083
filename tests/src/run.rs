//! Running cases against a backend and reporting the result.

use std::fmt;

use crate::case::{Action, Capability, Case, Op, Outcome};

/// Environment variable: when set, only cases whose name contains its value run.
pub const CASE_FILTER_VAR: &str = "CHATCACHE_CONFORMANCE_CASE";

/// A cache under test, fresh for one case.
///
/// The futures need not be `Send`: a runner drives one case at a time on the caller's
/// executor (`pollster`, a current-thread tokio runtime, …).
#[allow(
    async_fn_in_trait,
    reason = "runners await these on the caller's executor; no Send bound is wanted"
)]
pub trait Backend {
    /// Applies `op` and reports what happened. Errors are outcomes too:
    /// [`Outcome::Error`] with the core's error code (or a backend-specific code for
    /// failures the suite does not know, which then never match).
    async fn apply(&mut self, op: &Op) -> Outcome;

    /// Lets `ms` milliseconds pass: a simulated clock moves forward, a real-time backend
    /// sleeps.
    async fn advance(&mut self, ms: u64);
}

/// Makes a fresh backend for each case and says what the backend supports.
#[allow(
    async_fn_in_trait,
    reason = "runners await these on the caller's executor; no Send bound is wanted"
)]
pub trait BackendFactory {
    /// The backend this factory opens.
    type Backend: Backend;

    /// A short name for reports (`core`, `memory`, `redis`, …).
    fn name(&self) -> &str;

    /// The capabilities the backend has; cases requiring others are skipped.
    fn capabilities(&self) -> &[Capability];

    /// A fresh, empty backend for `case`, configured with `case.limits` if it has any
    /// (only cases requiring [`Capability::Limits`] have limits). An error fails the case.
    async fn open(&mut self, case: &Case) -> Result<Self::Backend, String>;
}

/// Why one case failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The case's name.
    pub case: String,
    /// The file holding the case.
    pub file: String,
    /// The failing step (0-based), or `None` if the backend could not be opened.
    pub step: Option<usize>,
    /// The failing step as written in the case file.
    pub source: String,
    /// What the step expected.
    pub expected: String,
    /// What the backend did.
    pub actual: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.step {
            Some(step) => writeln!(f, "case `{}` ({}), step {step}:", self.case, self.file)?,
            None => writeln!(
                f,
                "case `{}` ({}), opening the backend:",
                self.case, self.file
            )?,
        }
        const SHOWN: usize = 200;
        if self.source.chars().count() > SHOWN {
            let head: String = self.source.chars().take(SHOWN).collect();
            writeln!(f, "    step:     {head}…")?;
        } else {
            writeln!(f, "    step:     {}", self.source)?;
        }
        writeln!(f, "    expected: {}", self.expected)?;
        write!(f, "    actual:   {}", self.actual)
    }
}

/// A case that did not run for lack of capabilities.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The case's name.
    pub case: String,
    /// The capabilities it needs that the backend lacks.
    pub missing: Vec<Capability>,
}

/// The result of running cases against one backend.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// The backend's name.
    pub backend: String,
    /// Cases run (passed or failed).
    pub ran: usize,
    /// Cases skipped for lack of capabilities.
    pub skipped: Vec<Skipped>,
    /// Cases left out by [`CASE_FILTER_VAR`].
    pub filtered_out: usize,
    /// The failed cases, each at its first failing step.
    pub failures: Vec<Failure>,
}

impl Report {
    /// Cases that ran and passed.
    pub fn passed(&self) -> usize {
        self.ran - self.failures.len()
    }

    /// True if at least one case ran and none failed.
    ///
    /// A run that ran nothing is not a success: a suite that silently skips everything
    /// proves nothing.
    pub fn is_success(&self) -> bool {
        self.ran > 0 && self.failures.is_empty()
    }

    /// Panics with the full report unless [`is_success`](Self::is_success).
    #[track_caller]
    pub fn assert_passed(&self) {
        if !self.is_success() {
            panic!("{self}");
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "conformance [{}]: {} passed, {} failed, {} skipped",
            self.backend,
            self.passed(),
            self.failures.len(),
            self.skipped.len()
        )?;
        if self.filtered_out > 0 {
            write!(
                f,
                ", {} filtered out by {CASE_FILTER_VAR}",
                self.filtered_out
            )?;
        }
        if self.ran == 0 {
            write!(f, "\nno case ran")?;
        }
        for skipped in &self.skipped {
            let missing: Vec<&str> = skipped.missing.iter().map(|c| c.name()).collect();
            write!(
                f,
                "\nskipped `{}`: needs {}",
                skipped.case,
                missing.join(", ")
            )?;
        }
        for failure in &self.failures {
            write!(f, "\n\nFAILED {failure}")?;
        }
        Ok(())
    }
}

/// Runs `cases` against fresh backends from `factory`, honouring [`CASE_FILTER_VAR`].
///
/// Each case runs until its first failing step; the report lists every failed case.
pub async fn run_all<F: BackendFactory>(factory: &mut F, cases: &[Case]) -> Report {
    let filter = std::env::var(CASE_FILTER_VAR).ok();
    let mut report = Report {
        backend: factory.name().to_owned(),
        ..Report::default()
    };
    for case in cases {
        if filter
            .as_deref()
            .is_some_and(|filter| !case.name.contains(filter))
        {
            report.filtered_out += 1;
            continue;
        }
        let missing = case.missing(factory.capabilities());
        if !missing.is_empty() {
            report.skipped.push(Skipped {
                case: case.name.clone(),
                missing,
            });
            continue;
        }
        report.ran += 1;
        let result = match factory.open(case).await {
            Ok(mut backend) => run_case(&mut backend, case).await,
            Err(error) => Err(Failure {
                case: case.name.clone(),
                file: case.file.clone(),
                step: None,
                source: String::new(),
                expected: "a fresh backend".to_owned(),
                actual: error,
            }),
        };
        if let Err(failure) = result {
            report.failures.push(failure);
        }
    }
    report
}

/// Runs the steps of one case against `backend`, stopping at the first failing step.
pub async fn run_case<B: Backend>(backend: &mut B, case: &Case) -> Result<(), Failure> {
    for (index, step) in case.steps.iter().enumerate() {
        match &step.action {
            Action::Advance(ms) => backend.advance(*ms).await,
            Action::Apply { op, expect } => {
                let outcome = backend.apply(op).await;
                if !expect.matches(&outcome) {
                    return Err(Failure {
                        case: case.name.clone(),
                        file: case.file.clone(),
                        step: Some(index),
                        source: step.source.clone(),
                        expected: expect.to_string(),
                        actual: outcome.to_string(),
                    });
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse_file;

    /// A backend that answers `ok` to everything and has no clock.
    struct Agreeable;

    impl Backend for Agreeable {
        async fn apply(&mut self, _op: &Op) -> Outcome {
            Outcome::Ok
        }

        async fn advance(&mut self, _ms: u64) {}
    }

    struct AgreeableFactory(&'static [Capability]);

    impl BackendFactory for AgreeableFactory {
        type Backend = Agreeable;

        fn name(&self) -> &str {
            "agreeable"
        }

        fn capabilities(&self) -> &[Capability] {
            self.0
        }

        async fn open(&mut self, _case: &Case) -> Result<Agreeable, String> {
            Ok(Agreeable)
        }
    }

    const CASES: &str = r#"{"description": "d", "cases": [
        {"name": "passes", "description": "d", "steps": [{"op": "clear", "expect": "ok"}]},
        {"name": "fails_at_step_1", "description": "d", "steps": [
            {"op": "set", "key": "k", "value": "v", "expect": "ok"},
            {"op": "get", "key": "k", "expect": {"value": "v"}},
            {"op": "get", "key": "k", "expect": {"value": "never reached"}}
        ]},
        {"name": "needs_len", "description": "d", "requires": ["len"], "steps": [{"op": "len", "expect": 0}]}
    ]}"#;

    #[test]
    fn reports_failures_with_location_and_skips_missing_capabilities() {
        let cases = parse_file("run.json", CASES).expect("valid cases");
        let report = pollster::block_on(run_all(&mut AgreeableFactory(&[]), &cases));
        assert_eq!(report.ran, 2);
        assert_eq!(report.passed(), 1);
        assert_eq!(
            report.skipped,
            vec![Skipped {
                case: "needs_len".into(),
                missing: vec![Capability::Len]
            }]
        );
        assert_eq!(
            report.failures,
            vec![Failure {
                case: "fails_at_step_1".into(),
                file: "run.json".into(),
                step: Some(1),
                source: r#"{"op":"get","expect":{"value":"v"},"key":"k"}"#.into(),
                expected: r#""v""#.into(),
                actual: "ok".into(),
            }]
        );
        let text = report.to_string();
        assert!(
            text.starts_with("conformance [agreeable]: 1 passed, 1 failed, 1 skipped"),
            "{text}"
        );
        assert!(!report.is_success(), "a report with failures must not pass");
    }

    #[test]
    fn a_run_of_nothing_does_not_pass() {
        let cases = parse_file("run.json", CASES).expect("valid cases");
        let only_len = [cases[2].clone()];
        let report = pollster::block_on(run_all(&mut AgreeableFactory(&[]), &only_len));
        assert_eq!(report.ran, 0);
        assert!(!report.is_success());
        assert!(report.to_string().contains("no case ran"), "{report}");
    }
}
