//! Instructions per operation, exact and independent of machine load: runs the `ops` binary
//! (next to this one) under `valgrind --tool=callgrind` once with COUNT operations and once
//! with none, and divides the difference by COUNT.
//!
//! ```text
//! cargo build --release -p chatcache-bench --bins
//! target/release/callgrind [--quick] [--out DIR] [--jobs N]
//! ```
//!
//! Full mode: 1,000,000 operations of get_hit, get_miss, set_overwrite and set_insert; quick
//! mode: 100,000 of get_hit and set_overwrite. Instruction counts do not depend on load, so
//! `--jobs` (default: the number of cores) valgrind runs go at once.
//!
//! Caveat: valgrind does not run the vDSO, so a clock read (`store+clock`, `memory`) is a real
//! `clock_gettime` system call here, whose kernel side is not counted; natively it is a vDSO
//! call of a few dozen instructions.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Mutex;

use chatcache_bench::contenders::COMMAND_NAMES;
use chatcache_bench::report::{self, CallgrindRow};

/// Runs `ops contender op count` under callgrind; returns the total instruction count.
fn instructions(
    ops: &Path,
    scratch: &Path,
    contender: &str,
    op: &str,
    count: u64,
) -> Result<u64, String> {
    let out = scratch.join(format!(
        "callgrind.{}.{op}.{count}.out",
        contender.replace([':', '+'], "_")
    ));
    let status = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg("--quiet")
        .arg(ops)
        .args([contender, op, &count.to_string()])
        .stdout(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("cannot run valgrind (apt-get install valgrind): {e}"))?;
    if !status.success() {
        return Err(format!("valgrind {contender} {op} {count}: {status}"));
    }
    let text = std::fs::read_to_string(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let _ = std::fs::remove_file(&out);
    text.lines()
        .find_map(|line| {
            line.strip_prefix("summary:")
                .or_else(|| line.strip_prefix("totals:"))
        })
        .and_then(|n| n.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| format!("{}: no summary line", out.display()))
}

fn main() -> ExitCode {
    let mut quick = false;
    let mut out: Option<PathBuf> = None;
    let mut jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let usage = || {
        eprintln!("usage: callgrind [--quick] [--out DIR] [--jobs N]");
        ExitCode::from(2)
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--out" => match args.next() {
                Some(dir) => out = Some(dir.into()),
                None => return usage(),
            },
            "--jobs" => match args.next().and_then(|n| n.parse().ok()).filter(|&n| n > 0) {
                Some(n) => jobs = n,
                None => return usage(),
            },
            _ => return usage(),
        }
    }
    let (count, ops_measured): (u64, &[&str]) = if quick {
        (100_000, &["get_hit", "set_overwrite"])
    } else {
        (
            1_000_000,
            &["get_hit", "get_miss", "set_overwrite", "set_insert"],
        )
    };
    let Some(ops) = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("ops")))
        .filter(|p| p.exists())
    else {
        eprintln!(
            "the `ops` binary is not next to this one: cargo build --release -p chatcache-bench --bins"
        );
        return ExitCode::FAILURE;
    };
    let scratch = std::env::temp_dir().join(format!("chatcache-callgrind-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&scratch) {
        eprintln!("{}: {e}", scratch.display());
        return ExitCode::FAILURE;
    }

    // One setup-only run per contender (the setup does not depend on the operation), then one
    // run per operation.
    let mut jobs_list: Vec<(&str, &str, u64)> = Vec::new();
    for contender in COMMAND_NAMES {
        jobs_list.push((contender, "get_hit", 0));
        for op in ops_measured {
            jobs_list.push((contender, op, count));
        }
    }
    let results = Mutex::new(Vec::new());
    let next = Mutex::new(0usize);
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(jobs_list.len()) {
            scope.spawn(|| {
                loop {
                    let job = {
                        let mut next = next.lock().expect("no panics while locked");
                        *next += 1;
                        *next - 1
                    };
                    let Some(&(contender, op, n)) = jobs_list.get(job) else {
                        break;
                    };
                    let result = instructions(&ops, &scratch, contender, op, n);
                    eprintln!("callgrind {contender} {op} x{n}: {result:?}");
                    results
                        .lock()
                        .expect("no panics while locked")
                        .push(((contender, op, n), result));
                }
            });
        }
    });
    let _ = std::fs::remove_dir(&scratch);
    let results = results.into_inner().expect("no panics while locked");
    let lookup = |contender: &str, op: &str, n: u64| {
        results
            .iter()
            .find(|((c, o, m), _)| *c == contender && *o == op && *m == n)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| Err("not run".to_owned()))
    };
    let mut rows = Vec::new();
    for contender in COMMAND_NAMES {
        let setup = match lookup(contender, "get_hit", 0) {
            Ok(n) => n,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        };
        for op in ops_measured {
            match lookup(contender, op, count) {
                Ok(instructions) => rows.push(CallgrindRow {
                    contender: contender.to_owned(),
                    op: (*op).to_owned(),
                    ops: count,
                    instructions,
                    setup_instructions: setup,
                }),
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    println!(
        "Instructions per operation (callgrind, {count} operations minus a setup-only run):\n"
    );
    println!("{}", report::callgrind_markdown(&rows));
    if let Some(dir) = out {
        if let Err(e) = report::write_callgrind(&dir, &rows) {
            eprintln!("cannot write to {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
        println!("results: {}", dir.join("callgrind.json").display());
    }
    ExitCode::SUCCESS
}
