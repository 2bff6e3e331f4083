//! Throughput of the core store: get on a hit, set (insert and overwrite), under Zipf keys.
//!
//! `cargo bench -p chatcache-core --bench store`. Comparisons against other caches belong in
//! the peer benchmarks, measured as ratios in the same run.

use std::hint::black_box;

use chatcache_core::{Limits, Store, Timestamp, Ttl};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

const KEYS: usize = 100_000;

fn keys() -> Vec<String> {
    (0..KEYS).map(|i| format!("room:{i}:profile")).collect()
}

fn filled_store(keys: &[String]) -> Store {
    let mut store = Store::new(
        Limits::builder()
            .max_entries(KEYS)
            .max_bytes(1 << 30)
            .build()
            .expect("valid limits"),
    );
    for key in keys {
        store
            .set(
                key,
                &[1u8; 64],
                Some(Ttl::from_secs(600).expect("non-zero")),
                Timestamp::ZERO,
            )
            .expect("entry fits");
    }
    store
}

/// A fixed pseudo-random sequence of key indices (xorshift; no RNG dependency needed).
fn sequence(len: usize) -> Vec<usize> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % KEYS as u64) as usize
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let keys = keys();
    let order = sequence(1 << 16);
    let mut group = c.benchmark_group("store");
    group.throughput(Throughput::Elements(order.len() as u64));

    let mut store = filled_store(&keys);
    group.bench_function("get_hit", |b| {
        b.iter(|| {
            for &i in &order {
                black_box(store.get(&keys[i], Timestamp::ZERO).expect("valid key"));
            }
        })
    });

    group.bench_function("set_overwrite", |b| {
        b.iter(|| {
            for &i in &order {
                store
                    .set(&keys[i], &[2u8; 64], None, Timestamp::ZERO)
                    .expect("fits");
            }
        })
    });

    group.bench_function("set_insert_evicting", |b| {
        b.iter_batched(
            || filled_store(&keys[..KEYS / 2]),
            |mut store| {
                for (n, &i) in order.iter().enumerate() {
                    let key = &keys[(i + n) % KEYS];
                    store
                        .set(key, &[3u8; 64], None, Timestamp::ZERO)
                        .expect("fits");
                }
                store
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
