//! Results files, ratio tables and the generated sections of `BENCHMARKS.md`.
//!
//! Every measurement writes `<name>.json` (read back by the `report` binary) and `<name>.csv`
//! (for anyone else) into one results directory; the tables are Markdown, printed by each
//! measurement and pasted into `BENCHMARKS.md` between `<!-- BEGIN name -->` and
//! `<!-- END name -->` markers by [`replace_section`].

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use crate::workload::Op;

/// The reference row that reads the host's clock and nothing else.
pub const HOST_CLOCK: &str = "host clock alone (CoarseClock::now)";

/// The criterion group of `op` in `round` (rounds after the first get a suffix).
pub fn group_id(op: Op, round: u32) -> String {
    if round <= 1 {
        op.name().to_owned()
    } else {
        format!("{} round {round}", op.name())
    }
}

/// A benchmark the throughput run registered with criterion.
#[derive(Clone, Debug)]
pub struct Ran {
    /// The operation.
    pub op: Op,
    /// 1, 2, 3... for repeated groups.
    pub round: u32,
    /// The criterion group id.
    pub group_id: String,
    /// The criterion function id (the contender's name).
    pub contender: String,
    /// Threads (the criterion parameter).
    pub threads: u32,
}

/// One measured throughput.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThroughputRow {
    /// The operation.
    pub op: Op,
    /// The round.
    pub round: u32,
    /// The contender.
    pub contender: String,
    /// Threads running the operation at once.
    pub threads: u32,
    /// Wall time of one operation per thread, in nanoseconds (criterion's slope estimate).
    pub ns_per_op: f64,
    /// Millions of operations per second, summed over the threads.
    pub mops: f64,
}

#[derive(Deserialize)]
struct SavedId {
    group_id: String,
    function_id: Option<String>,
    value_str: Option<String>,
}

#[derive(Deserialize)]
struct PointEstimate {
    point_estimate: f64,
}

#[derive(Deserialize)]
struct SavedEstimates {
    mean: PointEstimate,
    slope: Option<PointEstimate>,
}

/// Reads criterion's estimates for the benchmarks in `ran` from its output directory.
pub fn collect_criterion(dir: &Path, ran: &[Ran]) -> io::Result<Vec<ThroughputRow>> {
    let mut found: BTreeMap<(String, String, String), f64> = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        let Ok(entries) = fs::read_dir(&path) else {
            continue;
        };
        for entry in entries {
            let entry = entry?.path();
            if entry.is_dir() {
                stack.push(entry);
            } else if entry.file_name().is_some_and(|n| n == "benchmark.json")
                && entry.parent().and_then(Path::file_name) == Some("new".as_ref())
            {
                let id: SavedId = read_json_file(&entry)?;
                let estimates: SavedEstimates =
                    read_json_file(&entry.with_file_name("estimates.json"))?;
                let ns = estimates.slope.unwrap_or(estimates.mean).point_estimate;
                found.insert(
                    (
                        id.group_id,
                        id.function_id.unwrap_or_default(),
                        id.value_str.unwrap_or_default(),
                    ),
                    ns,
                );
            }
        }
    }
    Ok(ran
        .iter()
        .filter_map(|r| {
            let key = (
                r.group_id.clone(),
                r.contender.clone(),
                r.threads.to_string(),
            );
            found.get(&key).map(|&ns| ThroughputRow {
                op: r.op,
                round: r.round,
                contender: r.contender.clone(),
                threads: r.threads,
                ns_per_op: ns,
                mops: f64::from(r.threads) * 1e3 / ns,
            })
        })
        .collect())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Contenders in order of first appearance, each with its thread counts.
fn contenders(rows: &[ThroughputRow]) -> Vec<(String, Vec<u32>)> {
    let mut out: Vec<(String, Vec<u32>)> = Vec::new();
    for row in rows {
        match out.iter_mut().find(|(name, _)| *name == row.contender) {
            Some((_, threads)) if !threads.contains(&row.threads) => threads.push(row.threads),
            Some(_) => {}
            None => out.push((row.contender.clone(), vec![row.threads])),
        }
    }
    for (_, threads) in &mut out {
        threads.sort_unstable();
    }
    // chatcache first, then the peers by name, the reference row last.
    out.sort_by_key(|(name, _)| {
        (
            !name.starts_with("chatcache"),
            name == HOST_CLOCK,
            name.clone(),
        )
    });
    out
}

/// The throughput of `contender` at `threads` for `op`, per round.
fn per_round(rows: &[ThroughputRow], op: Op, contender: &str, threads: u32) -> BTreeMap<u32, f64> {
    rows.iter()
        .filter(|r| r.op == op && r.contender == contender && r.threads == threads)
        .map(|r| (r.round, r.mops))
        .collect()
}

/// chatcache's same-round ratios to `peer` for `op`: (median, min, max), if measured.
pub fn ratio(
    rows: &[ThroughputRow],
    op: Op,
    ours: &str,
    peer: &str,
    threads: u32,
) -> Option<(f64, f64, f64)> {
    let a = per_round(rows, op, ours, threads);
    let b = per_round(rows, op, peer, threads);
    let mut ratios: Vec<f64> = a
        .iter()
        .filter_map(|(round, x)| b.get(round).map(|y| x / y))
        .collect();
    if ratios.is_empty() {
        return None;
    }
    let (min, max) = ratios
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &r| {
            (lo.min(r), hi.max(r))
        });
    Some((median(&mut ratios), min, max))
}

fn format_ratio((median, min, max): (f64, f64, f64)) -> String {
    if (max - min).abs() < 1e-9 {
        format!("{median:.2}×")
    } else {
        format!("{median:.2}× ({min:.2}–{max:.2})")
    }
}

/// The throughput tables: absolute figures, then chatcache's same-run ratios to each peer.
///
/// A contender measured at more than one thread count is thread-safe and is compared with
/// the thread-safe peers at the same thread count; one measured at a single thread only is
/// compared with the single-threaded peers.
pub fn throughput_markdown(rows: &[ThroughputRow]) -> String {
    let mut out = String::new();
    let ops: Vec<Op> = Op::ALL
        .into_iter()
        .filter(|op| rows.iter().any(|r| r.op == *op))
        .collect();
    let rounds = rows
        .iter()
        .filter(|r| r.op == Op::GetHit)
        .map(|r| r.round)
        .max()
        .unwrap_or(1);
    let _ = writeln!(
        out,
        "Million operations per second (summed over threads){}:\n",
        if rounds > 1 {
            format!("; get_hit: median of {rounds} rounds")
        } else {
            String::new()
        }
    );
    out.push_str("| contender | threads |");
    for op in &ops {
        let _ = write!(out, " {} |", op.name());
    }
    out.push_str("\n|---|---:|");
    for _ in &ops {
        out.push_str("---:|");
    }
    out.push('\n');
    let all = contenders(rows);
    for (name, threads) in &all {
        for &t in threads {
            let _ = write!(out, "| {name} | {t} |");
            for &op in &ops {
                let mut values: Vec<f64> = per_round(rows, op, name, t).into_values().collect();
                if values.is_empty() {
                    out.push_str(" |");
                } else {
                    let _ = write!(out, " {:.2} |", median(&mut values));
                }
            }
            out.push('\n');
        }
    }

    let shared = |threads: &[u32]| threads.iter().any(|&t| t > 1);
    let ours: Vec<&(String, Vec<u32>)> = all
        .iter()
        .filter(|(n, _)| n.starts_with("chatcache"))
        .collect();
    let peers: Vec<&(String, Vec<u32>)> = all
        .iter()
        .filter(|(n, _)| !n.starts_with("chatcache") && n != HOST_CLOCK)
        .collect();
    let _ = writeln!(
        out,
        "\nchatcache ÷ peer, same run and round (above 1.00× chatcache is faster){}:\n",
        if rounds > 1 {
            "; get_hit: median (min–max) of the rounds"
        } else {
            ""
        }
    );
    out.push_str("| chatcache | ÷ peer | threads |");
    for op in &ops {
        let _ = write!(out, " {} |", op.name());
    }
    out.push_str("\n|---|---|---:|");
    for _ in &ops {
        out.push_str("---:|");
    }
    out.push('\n');
    for (name, threads) in &ours {
        for (peer, peer_threads) in &peers {
            if shared(threads) != shared(peer_threads) {
                continue;
            }
            for &t in threads.iter().filter(|t| peer_threads.contains(t)) {
                let _ = write!(out, "| {name} | {peer} | {t} |");
                for &op in &ops {
                    match ratio(rows, op, name, peer, t) {
                        Some(r) => {
                            let _ = write!(out, " {} |", format_ratio(r));
                        }
                        None => out.push_str(" |"),
                    }
                }
                out.push('\n');
            }
        }
    }
    out
}

/// Writes `rows` as `throughput.json` and `throughput.csv` into `dir`.
pub fn write_throughput(dir: &Path, rows: &[ThroughputRow]) -> io::Result<()> {
    let mut csv = String::from("op,round,contender,threads,ns_per_op,mops\n");
    for r in rows {
        let _ = writeln!(
            csv,
            "{},{},{},{},{:.3},{:.4}",
            r.op.name(),
            r.round,
            csv_field(&r.contender),
            r.threads,
            r.ns_per_op,
            r.mops
        );
    }
    write_results(dir, "throughput", rows, &csv)
}

/// Instructions per operation for one contender and operation, from callgrind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallgrindRow {
    /// The contender.
    pub contender: String,
    /// The operation (`get_hit`, `set_overwrite`, ...).
    pub op: String,
    /// Operations in the measured run.
    pub ops: u64,
    /// Instructions of the measured run.
    pub instructions: u64,
    /// Instructions of the setup-only run.
    pub setup_instructions: u64,
}

impl CallgrindRow {
    /// Instructions per operation: (measured − setup) / ops.
    pub fn per_op(&self) -> f64 {
        self.instructions.saturating_sub(self.setup_instructions) as f64 / self.ops as f64
    }
}

/// Instructions per operation, contenders × operations, with the ratio to quick_cache.
pub fn callgrind_markdown(rows: &[CallgrindRow]) -> String {
    let mut ops: Vec<&str> = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for r in rows {
        if !ops.contains(&r.op.as_str()) {
            ops.push(&r.op);
        }
        if !names.contains(&r.contender.as_str()) {
            names.push(&r.contender);
        }
    }
    let find = |name: &str, op: &str| {
        rows.iter()
            .find(|r| r.contender == name && r.op == op)
            .map(CallgrindRow::per_op)
    };
    let mut out = String::from("| contender |");
    for op in &ops {
        let _ = write!(out, " {op} | ÷ quick_cache::unsync |");
    }
    out.push_str("\n|---|");
    for _ in &ops {
        out.push_str("---:|---:|");
    }
    out.push('\n');
    for name in &names {
        let _ = write!(out, "| {name} |");
        for op in &ops {
            match (find(name, op), find("quick_cache::unsync", op)) {
                (Some(x), Some(base)) => {
                    let _ = write!(out, " {x:.0} | {:.2}× |", x / base);
                }
                (Some(x), None) => {
                    let _ = write!(out, " {x:.0} | |");
                }
                _ => out.push_str(" | |"),
            }
        }
        out.push('\n');
    }
    out
}

/// Writes `rows` as `callgrind.json` and `callgrind.csv` into `dir`.
pub fn write_callgrind(dir: &Path, rows: &[CallgrindRow]) -> io::Result<()> {
    let mut csv = String::from("contender,op,ops,instructions,setup_instructions,per_op\n");
    for r in rows {
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{:.1}",
            csv_field(&r.contender),
            r.op,
            r.ops,
            r.instructions,
            r.setup_instructions,
            r.per_op()
        );
    }
    write_results(dir, "callgrind", rows, &csv)
}

/// Heap use of one contender filled with `entries` entries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemoryRow {
    /// The contender (and whether entries have a TTL).
    pub contender: String,
    /// Entries held.
    pub entries: u64,
    /// Key and value bytes of those entries.
    pub payload_bytes: u64,
    /// Live heap bytes of the filled cache (allocated − freed while building and filling it).
    pub heap_bytes: u64,
}

impl MemoryRow {
    /// Heap bytes per entry beyond its key and value.
    pub fn overhead_per_entry(&self) -> f64 {
        (self.heap_bytes as f64 - self.payload_bytes as f64) / self.entries as f64
    }

    /// All heap bytes per entry.
    pub fn total_per_entry(&self) -> f64 {
        self.heap_bytes as f64 / self.entries as f64
    }
}

/// Bytes per entry, with totals relative to quick_cache::unsync and moka.
pub fn memory_markdown(rows: &[MemoryRow]) -> String {
    let total = |name: &str| {
        rows.iter()
            .find(|r| r.contender == name)
            .map(MemoryRow::total_per_entry)
    };
    let mut out = String::from(
        "| contender | beyond key + value (B/entry) | total (B/entry) | ÷ quick_cache::unsync | ÷ moka::sync |\n|---|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let rel = |base: Option<f64>| {
            base.map_or(String::new(), |b| {
                format!("{:.2}×", r.total_per_entry() / b)
            })
        };
        let _ = writeln!(
            out,
            "| {} | {:.1} | {:.1} | {} | {} |",
            r.contender,
            r.overhead_per_entry(),
            r.total_per_entry(),
            rel(total("quick_cache::unsync")),
            rel(total("moka::sync")),
        );
    }
    out
}

/// Writes `rows` as `memory.json` and `memory.csv` into `dir`.
pub fn write_memory(dir: &Path, rows: &[MemoryRow]) -> io::Result<()> {
    let mut csv = String::from(
        "contender,entries,payload_bytes,heap_bytes,overhead_per_entry,total_per_entry\n",
    );
    for r in rows {
        let _ = writeln!(
            csv,
            "{},{},{},{},{:.2},{:.2}",
            csv_field(&r.contender),
            r.entries,
            r.payload_bytes,
            r.heap_bytes,
            r.overhead_per_entry(),
            r.total_per_entry()
        );
    }
    write_results(dir, "memory", rows, &csv)
}

/// Everything measured in one run, for [`targets_markdown`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Measured<'a> {
    /// Criterion throughput rows.
    pub throughput: Option<&'a [ThroughputRow]>,
    /// Callgrind rows.
    pub callgrind: Option<&'a [CallgrindRow]>,
    /// Memory rows.
    pub memory: Option<&'a [MemoryRow]>,
    /// Hit-ratio rows.
    pub hit_ratio: Option<&'a [crate::hit_ratio::Row]>,
}

/// One line of the targets table: what was measured and whether it meets the target.
fn target_line(out: &mut String, target: &str, measured: Option<(String, bool)>) {
    let (text, met) = match measured {
        Some((text, met)) => (text, if met { "yes" } else { "**no**" }),
        None => ("not measured".to_owned(), "—"),
    };
    let _ = writeln!(out, "| {target} | {text} | {met} |");
}

/// The issue-9 targets against this run's numbers (`yes` / `no` / `—` when not measured).
pub fn targets_markdown(m: &Measured<'_>) -> String {
    use crate::contenders::{
        LocalContender, MEMORY_SYNC_BORROWED_NAME, MEMORY_SYNC_NAME, MEMORY_SYNC_SHARED_NAME,
        MemoryAsync, Moka, QuickSync, QuickUnsync, SharedContender, StoreFixedTime, StoreHostClock,
    };
    let mut out = String::from("| target | this run | met |\n|---|---|---|\n");
    let wall = |ours: &str, peer: &str, threads: &[u32], at_least: f64| {
        let rows = m.throughput?;
        let ratios: Vec<(u32, (f64, f64, f64))> = threads
            .iter()
            .map(|&t| ratio(rows, Op::GetHit, ours, peer, t).map(|r| (t, r)))
            .collect::<Option<_>>()?;
        let text = ratios
            .iter()
            .map(|&(t, r)| {
                if threads.len() > 1 {
                    let plural = if t == 1 { "" } else { "s" };
                    format!("{t} thread{plural}: {}", format_ratio(r))
                } else {
                    format_ratio(r)
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        Some((
            text,
            ratios.iter().all(|&(_, (median, _, _))| median >= at_least),
        ))
    };
    let store = <StoreFixedTime as LocalContender>::NAME;
    let store_clock = <StoreHostClock as LocalContender>::NAME;
    let quick_unsync = <QuickUnsync as LocalContender>::NAME;
    let quick_sync = <QuickSync as SharedContender>::NAME;
    let moka = <Moka as SharedContender>::NAME;
    let memory_async = <MemoryAsync as SharedContender>::NAME;
    target_line(
        &mut out,
        "`Store` get-hit ≥ 1.0× quick_cache::unsync (wall), engine alone",
        wall(store, quick_unsync, &[1], 1.0),
    );
    target_line(
        &mut out,
        "`Store` get-hit ≥ 1.0× quick_cache::unsync (wall), reading the host's clock per call",
        wall(store_clock, quick_unsync, &[1], 1.0),
    );
    let instructions = m.callgrind.and_then(|rows| {
        let per_op = |name: &str| {
            rows.iter()
                .find(|r| r.contender == name && r.op == Op::GetHit.name())
                .map(CallgrindRow::per_op)
        };
        let (ours, alone, base) = (
            per_op("store+clock")?,
            per_op("store")?,
            per_op("quick_cache::unsync")?,
        );
        Some((
            format!(
                "{:.2}× ({ours:.0} vs {base:.0}; without the clock {alone:.0}, {:.2}×)",
                ours / base,
                alone / base
            ),
            ours / base <= 1.1,
        ))
    });
    target_line(
        &mut out,
        "`Store` get-hit instructions ≤ 1.1× quick_cache::unsync, including the host's clock",
        instructions,
    );
    target_line(
        &mut out,
        "synchronous memory get-hit ≥ 1.0× quick_cache::sync at 1 and 2 threads",
        wall(MEMORY_SYNC_NAME, quick_sync, &[1, 2], 1.0),
    );
    target_line(
        &mut out,
        "synchronous memory get-hit ≥ 3× moka::sync",
        wall(MEMORY_SYNC_NAME, moka, &[1, 2], 3.0),
    );
    target_line(
        &mut out,
        "(also) synchronous borrowed read `get_with` ≥ 1.0× quick_cache::sync at 1 and 2 threads",
        wall(MEMORY_SYNC_BORROWED_NAME, quick_sync, &[1, 2], 1.0),
    );
    target_line(
        &mut out,
        "(also) synchronous shared read `get_shared` ≥ 1.0× quick_cache::sync at 1 and 2 threads",
        wall(MEMORY_SYNC_SHARED_NAME, quick_sync, &[1, 2], 1.0),
    );
    target_line(
        &mut out,
        "`InMemoryCache` get-hit through the async trait ≥ 0.7× quick_cache::sync",
        wall(memory_async, quick_sync, &[1, 2], 0.7),
    );
    let bytes = m.memory.and_then(|rows| {
        let ttl: Vec<&MemoryRow> = rows
            .iter()
            .filter(|r| r.contender.starts_with("chatcache") && r.contender.contains("TTL"))
            .collect();
        (!ttl.is_empty()).then(|| {
            let text = ttl
                .iter()
                .map(|r| format!("{}: {:.1} B", r.contender, r.overhead_per_entry()))
                .collect::<Vec<_>>()
                .join(", ");
            (text, ttl.iter().all(|r| r.overhead_per_entry() <= 48.0))
        })
    });
    target_line(
        &mut out,
        "bytes beyond key + value with a per-entry TTL ≤ 48",
        bytes,
    );
    let hits = m.hit_ratio.filter(|rows| !rows.is_empty()).map(|rows| {
        let worst = rows
            .iter()
            .map(crate::hit_ratio::Row::gap_points)
            .fold(f64::INFINITY, f64::min);
        let below = rows.iter().filter(|r| r.gap_points() < -0.3).count();
        (
            format!(
                "worst {worst:+.2} points; {below} of {} rows below −0.30",
                rows.len()
            ),
            below == 0,
        )
    });
    target_line(
        &mut out,
        "hit ratio ≥ best(moka, quick_cache) − 0.3 points on every row",
        hits,
    );
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Writes `<name>.json` (from `rows`) and `<name>.csv` into `dir`, creating it.
pub fn write_results<T: Serialize + ?Sized>(
    dir: &Path,
    name: &str,
    rows: &T,
    csv: &str,
) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let json = serde_json::to_string_pretty(rows).map_err(io::Error::other)?;
    fs::write(dir.join(format!("{name}.json")), json + "\n")?;
    fs::write(dir.join(format!("{name}.csv")), csv)
}

fn read_json_file<T: DeserializeOwned>(path: &Path) -> io::Result<T> {
    let text = fs::read_to_string(path)?;
    serde_json::from_str(&text).map_err(|e| io::Error::other(format!("{}: {e}", path.display())))
}

/// Reads `<name>.json` from `dir`; `None` if the file does not exist.
pub fn read_results<T: DeserializeOwned>(dir: &Path, name: &str) -> io::Result<Option<T>> {
    let path = dir.join(format!("{name}.json"));
    if !path.exists() {
        return Ok(None);
    }
    read_json_file(&path).map(Some)
}

/// Replaces the text between `<!-- BEGIN name -->` and `<!-- END name -->` in `doc` with
/// `body`; `None` if the markers are missing.
pub fn replace_section(doc: &str, name: &str, body: &str) -> Option<String> {
    let begin = format!("<!-- BEGIN {name} -->");
    let end = format!("<!-- END {name} -->");
    let start = doc.find(&begin)? + begin.len();
    let stop = start + doc[start..].find(&end)?;
    let mut out = String::with_capacity(doc.len() + body.len());
    out.push_str(&doc[..start]);
    out.push('\n');
    out.push_str(body.trim_end());
    out.push('\n');
    out.push_str(&doc[stop..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(op: Op, round: u32, contender: &str, threads: u32, mops: f64) -> ThroughputRow {
        ThroughputRow {
            op,
            round,
            contender: contender.to_owned(),
            threads,
            ns_per_op: f64::from(threads) * 1e3 / mops,
            mops,
        }
    }

    #[test]
    fn ratios_pair_rows_of_the_same_round() {
        let rows = [
            row(Op::GetHit, 1, "chatcache Store", 1, 10.0),
            row(Op::GetHit, 1, "quick_cache::unsync", 1, 20.0),
            row(Op::GetHit, 2, "chatcache Store", 1, 12.0),
            row(Op::GetHit, 2, "quick_cache::unsync", 1, 16.0),
        ];
        let (median, min, max) = ratio(
            &rows,
            Op::GetHit,
            "chatcache Store",
            "quick_cache::unsync",
            1,
        )
        .expect("both measured");
        assert_eq!((min, max), (0.5, 0.75));
        assert!((median - 0.625).abs() < 1e-12);
        assert!(
            ratio(
                &rows,
                Op::Mixed,
                "chatcache Store",
                "quick_cache::unsync",
                1
            )
            .is_none()
        );
    }

    #[test]
    fn shared_contenders_are_compared_with_shared_peers_only() {
        let rows = [
            row(Op::GetHit, 1, "chatcache Store", 1, 10.0),
            row(Op::GetHit, 1, "chatcache InMemoryCache", 1, 5.0),
            row(Op::GetHit, 1, "chatcache InMemoryCache", 2, 9.0),
            row(Op::GetHit, 1, "quick_cache::unsync", 1, 20.0),
            row(Op::GetHit, 1, "moka::sync", 1, 2.0),
            row(Op::GetHit, 1, "moka::sync", 2, 3.0),
        ];
        let table = throughput_markdown(&rows);
        assert!(table.contains("| chatcache Store | quick_cache::unsync | 1 | 0.50× |"));
        assert!(table.contains("| chatcache InMemoryCache | moka::sync | 2 | 3.00× |"));
        assert!(!table.contains("| chatcache Store | moka::sync"));
        assert!(!table.contains("| chatcache InMemoryCache | quick_cache::unsync"));
    }

    #[test]
    fn targets_say_what_is_not_measured_yet() {
        let rows = [
            row(Op::GetHit, 1, "chatcache Store", 1, 20.0),
            row(Op::GetHit, 1, "quick_cache::unsync", 1, 10.0),
        ];
        let table = targets_markdown(&Measured {
            throughput: Some(&rows),
            ..Measured::default()
        });
        assert!(table.contains(
            "| `Store` get-hit ≥ 1.0× quick_cache::unsync (wall), engine alone | 2.00× | yes |"
        ));
        assert!(
            table.contains("| synchronous memory get-hit ≥ 3× moka::sync | not measured | — |")
        );
    }

    #[test]
    fn sections_are_replaced_between_their_markers() {
        let doc = "a\n<!-- BEGIN t -->\nold\n<!-- END t -->\nb\n";
        let new = replace_section(doc, "t", "new\n").expect("markers present");
        assert_eq!(new, "a\n<!-- BEGIN t -->\nnew\n<!-- END t -->\nb\n");
        assert!(replace_section(doc, "missing", "x").is_none());
    }

    #[test]
    fn callgrind_subtracts_the_setup() {
        let r = CallgrindRow {
            contender: "x".into(),
            op: "get_hit".into(),
            ops: 1000,
            instructions: 1_500_000,
            setup_instructions: 1_000_000,
        };
        assert_eq!(r.per_op(), 500.0);
    }
}
