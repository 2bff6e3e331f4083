//! The janitor thread exits when the last cache handle is dropped.
//!
//! Alone in its own test binary because it counts this process's threads by name.

#![cfg(target_os = "linux")]

use std::time::{Duration, Instant};

use chatcache::InMemoryCache;

fn janitor_threads() -> usize {
    let tasks = std::fs::read_dir("/proc/self/task").expect("procfs is mounted");
    tasks
        .filter_map(Result::ok)
        .filter(|task| {
            std::fs::read_to_string(task.path().join("comm"))
                .is_ok_and(|name| name.trim_end() == "chatcache-purge")
        })
        .count()
}

fn wait_for(count: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let now = janitor_threads();
        if now == count || Instant::now() > deadline {
            return now;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn janitor_stops_with_the_last_handle() {
    assert_eq!(janitor_threads(), 0);
    let cache = InMemoryCache::builder()
        .janitor_interval(Some(Duration::from_secs(3600)))
        .build()
        .expect("valid");
    let clone = cache.clone();
    assert_eq!(wait_for(1), 1, "one janitor per cache, not per handle");
    drop(cache);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(janitor_threads(), 1, "a handle is still alive");
    drop(clone);
    // The janitor sleeps for an hour between runs; dropping must wake it.
    assert_eq!(
        wait_for(0),
        0,
        "janitor exited after the last handle dropped"
    );
    let no_janitor = InMemoryCache::builder()
        .janitor_interval(None)
        .build()
        .expect("valid");
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(janitor_threads(), 0);
    drop(no_janitor);
}
