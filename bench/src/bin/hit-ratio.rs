//! Prints the hit-ratio table: every seeded trace at 1 %, 5 % and 10 % of its distinct keys,
//! through chatcache's `Store` and its peers, with chatcache's gap to the best of moka and
//! quick_cache in points.
//!
//! ```text
//! cargo run --release -p chatcache-bench --bin hit-ratio -- [--quick] [--trace zipf-0.8]...
//!     [--threads N] [--out DIR]
//! ```
//!
//! `--quick` replays 500,000 requests per trace instead of 2,000,000; `--trace` limits the run
//! to some traces; `--out` writes `hit-ratio.json` and `hit-ratio.csv` into DIR.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use chatcache_bench::hit_ratio::{self, Policy};
use chatcache_bench::report;
use chatcache_bench::trace::{Mode, TraceKind};

fn usage() -> ExitCode {
    eprintln!(
        "usage: hit-ratio [--quick] [--trace NAME]... [--threads N] [--out DIR]\n  traces: {}",
        TraceKind::ALL.map(TraceKind::name).join(", ")
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut mode = Mode::Full;
    let mut traces = Vec::new();
    let mut out: Option<PathBuf> = None;
    let mut threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => mode = Mode::Quick,
            "--trace" => match args.next().as_deref().and_then(TraceKind::from_name) {
                Some(kind) => traces.push(kind),
                None => return usage(),
            },
            "--threads" => match args.next().and_then(|n| n.parse().ok()) {
                Some(n) => threads = n,
                None => return usage(),
            },
            "--out" => match args.next() {
                Some(dir) => out = Some(dir.into()),
                None => return usage(),
            },
            _ => return usage(),
        }
    }
    if traces.is_empty() {
        traces = TraceKind::ALL.to_vec();
    }

    let start = Instant::now();
    let rows = hit_ratio::run(mode, &traces, &Policy::ALL, threads);
    println!(
        "Hit ratio in % ({mode:?} mode: {} requests per trace; cache-aside; {:.1} s)\n",
        mode.requests(),
        start.elapsed().as_secs_f64()
    );
    println!("{}", hit_ratio::markdown(&rows));
    let (worst, best) = rows
        .iter()
        .map(hit_ratio::Row::gap_points)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), g| {
            (lo.min(g), hi.max(g))
        });
    let below = rows.iter().filter(|r| r.gap_points() < -0.3).count();
    println!(
        "chatcache vs best(moka, quick_cache): {worst:+.2} to {best:+.2} points; \
         {below} of {} rows below the target of -0.30",
        rows.len()
    );
    if let Some(dir) = out {
        if let Err(e) = report::write_results(&dir, "hit-ratio", &rows, &hit_ratio::csv(&rows)) {
            eprintln!("cannot write to {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
        println!("results: {}", dir.join("hit-ratio.json").display());
    }
    ExitCode::SUCCESS
}
