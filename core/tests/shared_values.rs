//! `Value`s shared across threads: clones made and dropped concurrently on several threads,
//! while the store overwrites and evicts the entry they were read from. Run under miri too
//! (`cargo +nightly miri test -p chatcache-core --test shared_values`).

use std::sync::Barrier;
use std::thread;

use chatcache_core::{Limits, Store, Timestamp, Value};

#[test]
fn values_are_cloned_and_dropped_on_many_threads_after_their_entry_is_gone() {
    let mut store = Store::new(Limits::default());
    store
        .set("motd", b"shared bytes", None, Timestamp::ZERO)
        .expect("stored");
    let value: Value = store
        .get_shared("motd", Timestamp::ZERO)
        .expect("a byte value")
        .expect("just set");
    // The entry goes first: the value alone keeps the bytes alive from here on.
    store
        .set("motd", b"other bytes!", None, Timestamp::ZERO)
        .expect("overwritten");
    assert!(store.delete("motd", Timestamp::ZERO).expect("deleted"));
    drop(store);

    let threads = 4;
    let start = Barrier::new(threads);
    let kept: Vec<Value> = thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let (value, start) = (&value, &start);
                scope.spawn(move || {
                    start.wait();
                    for _ in 0..100 {
                        let clone = value.clone();
                        assert_eq!(&*clone, b"shared bytes");
                    }
                    // Each thread hands back a clone, dropped on another thread below.
                    value.clone()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().expect("no panic"))
            .collect()
    });
    drop(value);
    assert!(kept.iter().all(|clone| clone == b"shared bytes"));
}
