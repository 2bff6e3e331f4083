//! Performs COUNT operations of one kind on one contender, after a setup that does not depend
//! on COUNT: the workload for instruction counts. Run it under callgrind twice, with COUNT and
//! with 0, and divide the difference by COUNT (the `callgrind` binary does exactly that).
//!
//! ```text
//! ops CONTENDER OP COUNT
//!   CONTENDER: store | store+clock | memory | memory-sync | memory-sync-with
//!              | memory-sync-shared | quick_cache::unsync | quick_cache::sync | lru
//!              | moka::sync | mini-moka::sync
//!   OP:        get_hit | get_miss | set_overwrite | set_insert | mixed
//! ```

use std::hint::black_box;
use std::process::ExitCode;

use chatcache_bench::contenders::{
    COMMAND_NAMES, LocalContender, Lru, MemoryAsync, MemorySync, MemorySyncBorrowed,
    MemorySyncShared, MiniMoka, Moka, OneThread, QuickSync, QuickUnsync, StoreFixedTime,
    StoreHostClock,
};
use chatcache_bench::workload::{
    CAPACITY, Op, Orders, Owned, RESIDENT, Workload, filled_local, step,
};

fn run<C: LocalContender>(w: &Workload, op: Op, count: usize) -> usize {
    let mut cache: C = filled_local(w);
    let orders = Orders::new(w, 0, 1);
    let mut hits = 0;
    let mut target = Owned(&mut cache);
    for n in 0..count {
        hits += usize::from(black_box(step(op, w, &orders, n, &mut target)));
    }
    hits
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = match args.as_slice() {
        [contender, op, count] => COMMAND_NAMES
            .contains(&contender.as_str())
            .then_some(contender.as_str())
            .zip(Op::from_name(op))
            .zip(count.parse::<usize>().ok()),
        _ => None,
    };
    let Some(((contender, op), count)) = parsed else {
        eprintln!(
            "usage: ops CONTENDER OP COUNT\n  contenders: {}\n  ops: {}",
            COMMAND_NAMES.join(", "),
            Op::ALL.map(Op::name).join(", ")
        );
        return ExitCode::from(2);
    };
    // Keys for the resident set, the absent set and enough fresh ones that an insert never
    // finds its key; fewer than the throughput benchmark builds, to keep valgrind runs short.
    let w = Workload::with_universe(RESIDENT + 2 * CAPACITY);
    let hits = match contender {
        "store" => run::<StoreFixedTime>(&w, op, count),
        "store+clock" => run::<StoreHostClock>(&w, op, count),
        "memory" => run::<OneThread<MemoryAsync>>(&w, op, count),
        "quick_cache::unsync" => run::<QuickUnsync>(&w, op, count),
        "quick_cache::sync" => run::<OneThread<QuickSync>>(&w, op, count),
        "lru" => run::<Lru>(&w, op, count),
        "moka::sync" => run::<OneThread<Moka>>(&w, op, count),
        "mini-moka::sync" => run::<OneThread<MiniMoka>>(&w, op, count),
        "memory-sync" => run::<OneThread<MemorySync>>(&w, op, count),
        "memory-sync-with" => run::<OneThread<MemorySyncBorrowed>>(&w, op, count),
        "memory-sync-shared" => run::<OneThread<MemorySyncShared>>(&w, op, count),
        _ => unreachable!("checked against COMMAND_NAMES above"),
    };
    println!("{contender} {} x{count}: {hits} hits", op.name());
    // Freeing 420,000 keys costs ~50 M instructions under valgrind that measure nothing;
    // the process is about to exit anyway.
    std::mem::forget(w);
    ExitCode::SUCCESS
}
