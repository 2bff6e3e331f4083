//! Throughput of chatcache next to its peers, in one run, with the ratios printed at the end.
//!
//! ```text
//! cargo bench -p chatcache-bench --bench throughput            # full: get_hit in 3 rounds
//! CHATCACHE_BENCH_QUICK=1 cargo bench -p chatcache-bench --bench throughput
//! ```
//!
//! Operations (one criterion iteration is one operation per thread):
//!
//! - `get_hit`: a held key, Zipf 1.0 over the 100,000 held keys;
//! - `get_miss`: a key never inserted;
//! - `set_overwrite`: a held key, Zipf 1.0;
//! - `set_insert`: a key not held, into a full cache (so with an eviction, or for moka and
//!   mini-moka possibly a rejection by their admission filter);
//! - `mixed`: cache-aside on Zipf 1.0 over 1,000,000 keys (read; on a miss, insert), the
//!   shape of real traffic with each cache's own hit ratio.
//!
//! Every cache holds up to 110,000 entries, starts with the same 100,000 keys and stores the
//! same 64-byte values. Contenders run in an order rotated per operation and round, so slow
//! drift of the machine does not always hit the same one. The thread-safe caches run at 1 and
//! 2 threads on the same shared cache, each thread on its own seeded key order; a row's
//! throughput is then the sum over its threads.
//!
//! Results go to `$CHATCACHE_BENCH_OUT/throughput.{json,csv}` (default
//! `target/bench-results/`), and the ratio tables to stdout.

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Barrier;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chatcache_bench::contenders::{
    LocalContender, Lru, MemoryAsync, MemorySync, MemorySyncBorrowed, MemorySyncShared, MiniMoka,
    Moka, QuickSync, QuickUnsync, SharedContender, StoreFixedTime, StoreHostClock, host_clock,
};
use chatcache_bench::report::{self, Ran};
use chatcache_bench::workload::{
    Op, Orders, Owned, Shared, Workload, filled_local, filled_shared, step,
};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, Throughput};

/// Thread counts for the thread-safe caches.
const THREADS: [u32; 2] = [1, 2];

fn local<C: LocalContender>(group: &mut BenchmarkGroup<'_, WallTime>, w: &Workload, op: Op) {
    let mut cache: C = filled_local(w);
    let orders = Orders::new(w, 0, 1);
    let mut n = 0usize;
    group.throughput(Throughput::Elements(1));
    group.bench_function(BenchmarkId::new(C::NAME, 1), |b| {
        b.iter(|| {
            n = n.wrapping_add(1);
            step(op, w, &orders, n, &mut Owned(&mut cache))
        });
    });
}

fn shared<S: SharedContender>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    w: &Workload,
    op: Op,
    threads: u32,
) {
    let cache: S = filled_shared(w);
    let orders: Vec<Orders> = (0..threads).map(|t| Orders::new(w, t, threads)).collect();
    // Each thread's operation count survives between samples, so `set_insert` keeps
    // inserting keys that are not held.
    let counters: Vec<AtomicU64> = (0..threads).map(|_| AtomicU64::new(0)).collect();
    let run = |thread: usize, iters: u64| {
        let orders = &orders[thread];
        let start = counters[thread].fetch_add(iters, Ordering::Relaxed) as usize;
        for n in start..start + iters as usize {
            black_box(step(op, w, orders, n, &mut Shared(&cache)));
        }
    };
    group.throughput(Throughput::Elements(u64::from(threads)));
    group.bench_function(BenchmarkId::new(S::NAME, threads), |b| {
        b.iter_custom(|iters| {
            if threads == 1 {
                let start = Instant::now();
                run(0, iters);
                return start.elapsed();
            }
            let barrier = Barrier::new(threads as usize + 1);
            std::thread::scope(|scope| {
                for thread in 0..threads as usize {
                    let (barrier, run) = (&barrier, &run);
                    scope.spawn(move || {
                        barrier.wait();
                        run(thread, iters);
                    });
                }
                barrier.wait();
                let start = Instant::now();
                // Leaving the scope joins every thread.
                start
            })
            .elapsed()
        });
    });
}

type Runner<'a> = Box<dyn Fn(&mut BenchmarkGroup<'_, WallTime>) -> (String, u32) + 'a>;

fn runners<'a>(w: &'a Workload, op: Op) -> Vec<Runner<'a>> {
    let mut list: Vec<Runner<'a>> = Vec::new();
    macro_rules! local {
        ($($c:ty),*) => {$(
            list.push(Box::new(move |g| {
                local::<$c>(g, w, op);
                (<$c as LocalContender>::NAME.to_owned(), 1)
            }));
        )*};
    }
    macro_rules! shared {
        ($($c:ty),*) => {$(
            for threads in THREADS {
                list.push(Box::new(move |g| {
                    shared::<$c>(g, w, op, threads);
                    (<$c as SharedContender>::NAME.to_owned(), threads)
                }));
            }
        )*};
    }
    local!(StoreFixedTime, StoreHostClock, QuickUnsync, Lru);
    shared!(
        MemorySync,
        MemorySyncBorrowed,
        MemorySyncShared,
        MemoryAsync,
        QuickSync,
        Moka,
        MiniMoka
    );
    if op == Op::GetHit {
        list.push(Box::new(|g| {
            g.throughput(Throughput::Elements(1));
            let clock = chatcache::CoarseClock::new();
            g.bench_function(BenchmarkId::new(report::HOST_CLOCK, 1), |b| {
                b.iter(|| host_clock(&clock))
            });
            (report::HOST_CLOCK.to_owned(), 1)
        }));
    }
    list
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    )
}

fn main() {
    let quick = std::env::var_os("CHATCACHE_BENCH_QUICK").is_some_and(|v| v != "0");
    let criterion_dir = target_dir().join("criterion-chatcache-bench");
    let out_dir = std::env::var_os("CHATCACHE_BENCH_OUT")
        .map_or_else(|| target_dir().join("bench-results"), PathBuf::from);
    let (samples, warm_up, measure, get_hit_rounds) = if quick {
        (
            10,
            Duration::from_millis(300),
            Duration::from_millis(700),
            1,
        )
    } else {
        (30, Duration::from_secs(1), Duration::from_secs(2), 3)
    };
    let mut criterion = Criterion::default()
        .sample_size(samples)
        .warm_up_time(warm_up)
        .measurement_time(measure)
        .output_directory(&criterion_dir)
        .configure_from_args();

    let w = Workload::new();
    let mut ran = Vec::new();
    let mut plan: Vec<(Op, u32)> = (1..=get_hit_rounds).map(|r| (Op::GetHit, r)).collect();
    plan.extend(
        [Op::GetMiss, Op::SetOverwrite, Op::SetInsert, Op::Mixed]
            .into_iter()
            .map(|op| (op, 1)),
    );
    for (k, &(op, round)) in plan.iter().enumerate() {
        let group_id = report::group_id(op, round);
        let mut group = criterion.benchmark_group(&group_id);
        let mut list = runners(&w, op);
        let len = list.len();
        list.rotate_left(k * 3 % len);
        for runner in &list {
            let (contender, threads) = runner(&mut group);
            ran.push(Ran {
                op,
                round,
                group_id: group_id.clone(),
                contender,
                threads,
            });
        }
        group.finish();
    }
    criterion.final_summary();

    match report::collect_criterion(&criterion_dir, &ran) {
        Ok(rows) if !rows.is_empty() => {
            println!("\n{}", report::throughput_markdown(&rows));
            if let Err(e) = report::write_throughput(&out_dir, &rows) {
                eprintln!("cannot write results to {}: {e}", out_dir.display());
                std::process::exit(1);
            }
            println!("results: {}", out_dir.join("throughput.json").display());
        }
        // A filtered run (`cargo bench -- get_hit`) or `--list` measures nothing to report.
        Ok(_) => {}
        Err(e) => {
            eprintln!(
                "cannot read criterion's results in {}: {e}",
                criterion_dir.display()
            );
            std::process::exit(1);
        }
    }
}
