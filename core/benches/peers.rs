//! chatcache-core's `Store` next to its peers, in the same run: quick_cache's single-threaded
//! cache (the closest peer: one owner, no locks) and moka's concurrent cache (what many Rust
//! services use). Same keys, same 64-byte values, same random order; every cache is big enough
//! to hold every key, so `get_hit` measures hits only.
//!
//! `cargo bench -p chatcache-core --bench peers`; compare the rows of one run as ratios (the
//! machine is shared and noisy, so absolute figures move between runs).
//!
//! What each row includes, as a user would write it: `Store::set` takes `&str` and `&[u8]` and
//! copies them; quick_cache and moka take owned keys and values, so their `set` rows include
//! building a `String` key and the value. moka hands values out by clone, so its values are
//! `Arc<[u8]>`.

use std::hint::black_box;
use std::sync::Arc;

use chatcache_core::{Limits, Store, Timestamp};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const KEYS: usize = 100_000;
const VALUE: [u8; 64] = [7; 64];

fn keys() -> Vec<String> {
    (0..KEYS).map(|i| format!("room:{i}:profile")).collect()
}

/// A fixed pseudo-random order of key indices (xorshift).
fn order(len: usize) -> Vec<usize> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
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
    let order = order(1 << 16);

    let mut store = Store::new(
        Limits::builder()
            .max_entries(KEYS)
            .max_bytes(1 << 30)
            .build()
            .expect("valid limits"),
    );
    let mut quick = quick_cache::unsync::Cache::<String, Vec<u8>>::new(KEYS);
    let moka = moka::sync::Cache::<String, Arc<[u8]>>::new(KEYS as u64);
    for key in &keys {
        store.set(key, &VALUE, None, Timestamp::ZERO).expect("fits");
        quick.insert(key.clone(), VALUE.to_vec());
        moka.insert(key.clone(), Arc::from(&VALUE[..]));
    }
    moka.run_pending_tasks();

    let mut group = c.benchmark_group("get_hit");
    group.throughput(Throughput::Elements(order.len() as u64));
    group.bench_function("chatcache", |b| {
        b.iter(|| {
            for &i in &order {
                black_box(store.get(&keys[i], Timestamp::ZERO).expect("valid key"));
            }
        })
    });
    group.bench_function("quick_cache", |b| {
        b.iter(|| {
            for &i in &order {
                black_box(quick.get(&keys[i]));
            }
        })
    });
    group.bench_function("moka", |b| {
        b.iter(|| {
            for &i in &order {
                black_box(moka.get(&keys[i]));
            }
        })
    });
    group.finish();

    let mut group = c.benchmark_group("set_overwrite");
    group.throughput(Throughput::Elements(order.len() as u64));
    group.bench_function("chatcache", |b| {
        b.iter(|| {
            for &i in &order {
                store
                    .set(&keys[i], &VALUE, None, Timestamp::ZERO)
                    .expect("fits");
            }
        })
    });
    group.bench_function("quick_cache", |b| {
        b.iter(|| {
            for &i in &order {
                quick.insert(keys[i].clone(), VALUE.to_vec());
            }
        })
    });
    group.bench_function("moka", |b| {
        b.iter(|| {
            for &i in &order {
                moka.insert(keys[i].clone(), Arc::from(&VALUE[..]));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
