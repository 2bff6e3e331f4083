//! Turns a results directory into tables, plots and the generated sections of
//! `BENCHMARKS.md`.
//!
//! ```text
//! report --results DIR [--plots DIR] [--markdown FILE]
//! ```
//!
//! Reads `hit-ratio.json`, `throughput.json`, `callgrind.json`, `memory.json`, `npm.txt` and
//! `machine.txt` from DIR (whichever exist), prints every table, draws `hit-ratio.svg` and
//! `throughput.svg` into the plots directory, and rewrites the sections between
//! `<!-- BEGIN name -->` and `<!-- END name -->` in FILE (`machine`, `targets`, `hit-ratio`,
//! `throughput`, `callgrind`, `memory`, `npm`). Hand-written text outside the markers is kept.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use chatcache_bench::hit_ratio::{self, Row};
use chatcache_bench::plot;
use chatcache_bench::report::{self, CallgrindRow, MemoryRow, ThroughputRow};

fn run(results: PathBuf, plots: Option<PathBuf>, markdown: Option<PathBuf>) -> std::io::Result<()> {
    let mut sections: Vec<(&str, String)> = Vec::new();

    if let Ok(text) = std::fs::read_to_string(results.join("machine.txt")) {
        sections.push(("machine", format!("```text\n{}\n```", text.trim_end())));
    }

    let hit_rows = report::read_results::<Vec<Row>>(&results, "hit-ratio")?;
    let throughput_rows = report::read_results::<Vec<ThroughputRow>>(&results, "throughput")?;
    let callgrind_rows = report::read_results::<Vec<CallgrindRow>>(&results, "callgrind")?;
    let memory_rows = report::read_results::<Vec<MemoryRow>>(&results, "memory")?;
    let targets = report::targets_markdown(&report::Measured {
        throughput: throughput_rows.as_deref(),
        callgrind: callgrind_rows.as_deref(),
        memory: memory_rows.as_deref(),
        hit_ratio: hit_rows.as_deref(),
    });
    println!("## Targets (issue 9)\n\n{targets}");
    sections.push(("targets", targets));

    if let Some(rows) = &hit_rows {
        let mut body = hit_ratio::markdown(rows);
        let (worst, best) = rows
            .iter()
            .map(Row::gap_points)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), g| {
                (lo.min(g), hi.max(g))
            });
        let below = rows.iter().filter(|r| r.gap_points() < -0.3).count();
        let requests = rows.first().map_or(0, |r| r.requests);
        let _ = write!(
            body,
            "\n{requests} requests per trace. Gap = chatcache − best(moka, quick_cache): \
             **{worst:+.2} to {best:+.2} points**; {below} of {} rows miss the target of \
             −0.30.\n",
            rows.len()
        );
        println!("## Hit ratio (%)\n\n{body}");
        if let Some(dir) = &plots {
            std::fs::create_dir_all(dir)?;
            plot::hit_ratio(rows, &dir.join("hit-ratio.svg"))?;
        }
        sections.push(("hit-ratio", body));
    }

    if let Some(rows) = &throughput_rows {
        let body = report::throughput_markdown(rows);
        println!("## Throughput\n\n{body}");
        if let Some(dir) = &plots {
            std::fs::create_dir_all(dir)?;
            plot::throughput(rows, &dir.join("throughput.svg"))?;
        }
        sections.push(("throughput", body));
    }

    if let Some(rows) = &callgrind_rows {
        let ops = rows.first().map_or(0, |r| r.ops);
        let body = format!(
            "Instructions per operation ({ops} operations, minus a setup-only run):\n\n{}",
            report::callgrind_markdown(rows)
        );
        println!("## Instructions\n\n{body}");
        sections.push(("callgrind", body));
    }

    if let Some(rows) = &memory_rows {
        let entries = rows.first().map_or(0, |r| r.entries);
        let body = format!(
            "Heap bytes per entry ({entries} entries, 13–18-byte keys, 32-byte values):\n\n{}",
            report::memory_markdown(rows)
        );
        println!("## Memory\n\n{body}");
        sections.push(("memory", body));
    }

    if let Ok(text) = std::fs::read_to_string(results.join("npm.txt")) {
        let body = format!("```text\n{}\n```", text.trim_end());
        println!("## npm package\n\n{body}\n");
        sections.push(("npm", body));
    }

    if let Some(path) = markdown {
        let mut doc = std::fs::read_to_string(&path)?;
        for (name, body) in &sections {
            match report::replace_section(&doc, name, body) {
                Some(new) => doc = new,
                None => eprintln!("{}: no `{name}` markers; section left out", path.display()),
            }
        }
        std::fs::write(&path, doc)?;
        println!("updated {}", path.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    let (mut results, mut plots, mut markdown) = (None, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let slot = match arg.as_str() {
            "--results" => &mut results,
            "--plots" => &mut plots,
            "--markdown" => &mut markdown,
            _ => {
                eprintln!("usage: report --results DIR [--plots DIR] [--markdown FILE]");
                return ExitCode::from(2);
            }
        };
        match args.next() {
            Some(value) => *slot = Some(PathBuf::from(value)),
            None => {
                eprintln!("{arg} needs a value");
                return ExitCode::from(2);
            }
        }
    }
    let Some(results) = results else {
        eprintln!("usage: report --results DIR [--plots DIR] [--markdown FILE]");
        return ExitCode::from(2);
    };
    match run(results, plots, markdown) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("report: {e}");
            ExitCode::FAILURE
        }
    }
}
