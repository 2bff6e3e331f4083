//! `InMemoryCache` throughput, one thread and several threads on shared keys, with one shard
//! and with the default sharding: what sharding buys under contention.
//!
//! `cargo bench -p chatcache --bench memory`. The futures of `InMemoryCache` complete
//! immediately, so they are polled once with a no-op waker instead of going through an async
//! runtime (which would dominate the figures).

use std::future::Future;
use std::hint::black_box;
use std::num::NonZeroUsize;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use chatcache::{Cache, InMemoryCache, Limits};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const KEYS: usize = 50_000;

/// Polls a future that never waits (every `InMemoryCache` operation) to completion.
fn now<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => unreachable!("InMemoryCache operations never wait"),
    }
}

fn keys() -> Vec<String> {
    (0..KEYS).map(|i| format!("room:{i}:profile")).collect()
}

fn cache(shards: Option<usize>, keys: &[String]) -> InMemoryCache {
    let mut builder = InMemoryCache::builder().limits(
        Limits::builder()
            .max_entries(KEYS * 2)
            .max_bytes(1 << 30)
            .build()
            .expect("valid limits"),
    );
    if let Some(n) = shards.and_then(NonZeroUsize::new) {
        builder = builder.shards(n);
    }
    let cache = builder.build().expect("valid limits");
    for key in keys {
        now(cache.set(key, &[1u8; 64], Some(Duration::from_secs(600)))).expect("fits");
    }
    cache
}

/// A fixed pseudo-random sequence of key indices (xorshift).
fn sequence(len: usize, seed: u64) -> Vec<usize> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // The modulo keeps the value below KEYS, which fits in usize.
            (state % KEYS as u64) as usize
        })
        .collect()
}

fn single_thread(c: &mut Criterion) {
    let keys = keys();
    let cache = cache(None, &keys);
    let order = sequence(1 << 16, 7);
    let mut group = c.benchmark_group("memory/1 thread");
    group.throughput(Throughput::Elements(1));
    let mut i = 0;
    group.bench_function("get hit", |b| {
        b.iter(|| {
            i = (i + 1) & 0xffff;
            black_box(now(cache.get(&keys[order[i]])).expect("valid key"))
        });
    });
    group.bench_function("set overwrite", |b| {
        b.iter(|| {
            i = (i + 1) & 0xffff;
            now(cache.set(&keys[order[i]], &[2u8; 64], None)).expect("fits");
        });
    });
    group.finish();
}

/// Every available core runs 90 % gets / 10 % sets on the same key space.
fn contended(c: &mut Criterion) {
    let keys = keys();
    let threads = std::thread::available_parallelism()
        .map_or(2, NonZeroUsize::get)
        .max(2);
    let mut group = c.benchmark_group(format!("memory/{threads} threads, 90% get"));
    group.throughput(Throughput::Elements(1));
    for (label, shards) in [("1 shard", Some(1)), ("default shards", None)] {
        let cache = cache(shards, &keys);
        let orders: Vec<Vec<usize>> = (0..threads)
            .map(|t| sequence(1 << 16, t as u64 + 11))
            .collect();
        group.bench_function(label, |b| {
            b.iter_custom(|iters| {
                let per_thread = iters.div_ceil(threads as u64);
                let start = Instant::now();
                std::thread::scope(|scope| {
                    for order in &orders {
                        let (cache, keys) = (&cache, &keys);
                        scope.spawn(move || {
                            for n in 0..per_thread {
                                // The mask keeps the index inside the 2^16-long sequence.
                                let key = &keys[order[(n & 0xffff) as usize]];
                                if n % 10 == 0 {
                                    now(cache.set(key, &[3u8; 64], None)).expect("fits");
                                } else {
                                    black_box(now(cache.get(key)).expect("valid key"));
                                }
                            }
                        });
                    }
                });
                start.elapsed()
            });
        });
    }
    group.finish();
}

criterion_group!(benches, single_thread, contended);
criterion_main!(benches);
