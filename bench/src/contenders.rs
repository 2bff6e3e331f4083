//! The caches measured for speed, instructions and memory, behind two small traits so that
//! every measurement drives them the same way, as a user would write it.
//!
//! Keys are `String`s looked up by reference. Values are 64-byte slices copied in; the caches
//! that hand values out by reference hold `Vec<u8>` (quick_cache::unsync, lru), the ones that
//! hand out clones hold `Arc<[u8]>` (quick_cache::sync, moka, mini-moka), the cheapest clone a
//! user would pick. chatcache's `Store` returns `&[u8]`; `InMemoryCache` returns a `Vec<u8>`
//! copy, as its `Cache` trait defines; `MemoryCache` has all three reads (`get`: a `Vec<u8>`
//! copy, `get_with`: borrowed, `get_shared`: a shared `Value`). Every `get` passes the value through
//! [`black_box`], so no clone or copy can be optimised away.
//!
//! Generic code over these traits is monomorphised: no dynamic dispatch is measured.

use std::future::Future;
use std::hint::black_box;
use std::num::NonZeroUsize;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use chatcache::{Cache as _, Clock as _, CoarseClock, InMemoryCache, MemoryCache};
use chatcache_core::{Store, Timestamp};

/// A cache owned by one thread.
#[allow(
    clippy::ptr_arg,
    reason = "mini-moka looks keys up by &K only; &String serves all"
)]
pub trait LocalContender {
    /// The row name.
    const NAME: &'static str;
    /// A cache holding at least `capacity` entries before it evicts.
    fn with_capacity(capacity: usize) -> Self;
    /// Reads `key`; true on a hit.
    fn get(&mut self, key: &String) -> bool;
    /// Writes `value` under `key`.
    fn insert(&mut self, key: &String, value: &[u8]);
    /// Finishes deferred work (moka's pending tasks) before a measurement or a count.
    fn settle(&mut self) {}
}

/// A cache shared by threads.
#[allow(
    clippy::ptr_arg,
    reason = "mini-moka looks keys up by &K only; &String serves all"
)]
pub trait SharedContender: Sync {
    /// The row name.
    const NAME: &'static str;
    /// A cache holding at least `capacity` entries before it evicts.
    fn with_capacity(capacity: usize) -> Self;
    /// Reads `key`; true on a hit.
    fn get(&self, key: &String) -> bool;
    /// Writes `value` under `key`.
    fn insert(&self, key: &String, value: &[u8]);
    /// Finishes deferred work (moka's pending tasks) before a measurement or a count.
    fn settle(&self) {}
}

/// Any shared cache, driven from one thread.
#[derive(Debug)]
pub struct OneThread<S>(pub S);

impl<S: SharedContender> LocalContender for OneThread<S> {
    const NAME: &'static str = S::NAME;
    fn with_capacity(capacity: usize) -> Self {
        Self(S::with_capacity(capacity))
    }
    fn get(&mut self, key: &String) -> bool {
        self.0.get(key)
    }
    fn insert(&mut self, key: &String, value: &[u8]) {
        self.0.insert(key, value);
    }
    fn settle(&mut self) {
        self.0.settle();
    }
}

fn store(capacity: usize) -> Store {
    Store::new(crate::chatcache_limits(capacity))
}

/// `chatcache_core::Store` at a fixed `Timestamp`: the engine alone.
#[derive(Debug)]
pub struct StoreFixedTime(pub Store);

impl LocalContender for StoreFixedTime {
    const NAME: &'static str = "chatcache Store";
    fn with_capacity(capacity: usize) -> Self {
        Self(store(capacity))
    }
    fn get(&mut self, key: &String) -> bool {
        let value = self.0.get(key, Timestamp::ZERO).expect("valid key");
        black_box(value).is_some()
    }
    fn insert(&mut self, key: &String, value: &[u8]) {
        self.0
            .set(key, value, None, Timestamp::ZERO)
            .expect("entry fits");
    }
}

/// `chatcache_core::Store` with the time read from the host's clock on every call
/// ([`CoarseClock`], the default of `InMemoryCache` and `MemoryCache`): what a host pays.
#[derive(Debug)]
pub struct StoreHostClock(pub Store, pub CoarseClock);

impl LocalContender for StoreHostClock {
    const NAME: &'static str = "chatcache Store + clock";
    fn with_capacity(capacity: usize) -> Self {
        Self(store(capacity), CoarseClock::new())
    }
    fn get(&mut self, key: &String) -> bool {
        let value = self.0.get(key, self.1.now()).expect("valid key");
        black_box(value).is_some()
    }
    fn insert(&mut self, key: &String, value: &[u8]) {
        self.0
            .set(key, value, None, self.1.now())
            .expect("entry fits");
    }
}

/// Completes a future that never waits (every `InMemoryCache` operation) by polling it once
/// with a no-op waker: what `.await` on it costs inside an async function, without an
/// executor's own overhead.
pub fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("InMemoryCache operations never wait"),
    }
}

/// `chatcache::InMemoryCache` through the async `Cache` trait (default shards, system clock,
/// janitor on).
#[derive(Debug)]
pub struct MemoryAsync(pub InMemoryCache);

/// Entries an `InMemoryCache` is given so that it holds `capacity` entries without evicting:
/// its shards split the limit evenly but receive keys by hash, so one may fill before the
/// others; a quarter more room covers the imbalance for every size measured here.
pub fn memory_cache_entries(capacity: usize) -> usize {
    capacity + capacity / 4 + 64
}

/// An `InMemoryCache` for `capacity` entries (see [`memory_cache_entries`]).
pub fn memory_cache(capacity: usize) -> InMemoryCache {
    InMemoryCache::builder()
        .limits(crate::chatcache_limits(memory_cache_entries(capacity)))
        .build()
        .expect("valid limits")
}

impl SharedContender for MemoryAsync {
    const NAME: &'static str = "chatcache InMemoryCache (async trait)";
    fn with_capacity(capacity: usize) -> Self {
        Self(memory_cache(capacity))
    }
    fn get(&self, key: &String) -> bool {
        let value = ready(self.0.get(key)).expect("valid key");
        black_box(value).is_some()
    }
    fn insert(&self, key: &String, value: &[u8]) {
        ready(self.0.set(key, value, None)).expect("entry fits");
    }
}

/// `chatcache::MemoryCache::get`: the synchronous API, the value copied into a `Vec`.
#[derive(Debug)]
pub struct MemorySync(pub MemoryCache);

impl SharedContender for MemorySync {
    const NAME: &'static str = MEMORY_SYNC_NAME;
    fn with_capacity(capacity: usize) -> Self {
        Self(memory_cache(capacity).sync().clone())
    }
    fn get(&self, key: &String) -> bool {
        black_box(self.0.get(key).expect("valid key")).is_some()
    }
    fn insert(&self, key: &String, value: &[u8]) {
        self.0.set(key, value, None).expect("entry fits");
    }
}

/// `chatcache::MemoryCache::get_with`: the synchronous borrowed read (the closure sees the
/// stored bytes; nothing is allocated), here reading the value's first byte.
#[derive(Debug)]
pub struct MemorySyncBorrowed(pub MemoryCache);

impl SharedContender for MemorySyncBorrowed {
    const NAME: &'static str = MEMORY_SYNC_BORROWED_NAME;
    fn with_capacity(capacity: usize) -> Self {
        Self(memory_cache(capacity).sync().clone())
    }
    fn get(&self, key: &String) -> bool {
        let first = self.0.get_with(key, |v| black_box(v).first().copied());
        black_box(first.expect("valid key")).is_some()
    }
    fn insert(&self, key: &String, value: &[u8]) {
        self.0.set(key, value, None).expect("entry fits");
    }
}

/// `chatcache::MemoryCache::get_shared`: the synchronous owned read that shares the stored
/// bytes (a `chatcache::Value`, a reference-count increment; nothing is copied or allocated).
#[derive(Debug)]
pub struct MemorySyncShared(pub MemoryCache);

impl SharedContender for MemorySyncShared {
    const NAME: &'static str = MEMORY_SYNC_SHARED_NAME;
    fn with_capacity(capacity: usize) -> Self {
        Self(memory_cache(capacity).sync().clone())
    }
    fn get(&self, key: &String) -> bool {
        black_box(self.0.get_shared(key).expect("valid key")).is_some()
    }
    fn insert(&self, key: &String, value: &[u8]) {
        self.0.set(key, value, None).expect("entry fits");
    }
}

/// The row name of [`MemorySync`].
pub const MEMORY_SYNC_NAME: &str = "chatcache MemoryCache (sync get)";

/// The row name of [`MemorySyncBorrowed`].
pub const MEMORY_SYNC_BORROWED_NAME: &str = "chatcache MemoryCache (sync get_with)";

/// The row name of [`MemorySyncShared`].
pub const MEMORY_SYNC_SHARED_NAME: &str = "chatcache MemoryCache (sync get_shared)";

/// Contenders of the `ops` and `callgrind` binaries, by command-line name.
pub const COMMAND_NAMES: [&str; 11] = [
    "store",
    "store+clock",
    "memory",
    "memory-sync",
    "memory-sync-with",
    "memory-sync-shared",
    "quick_cache::unsync",
    "quick_cache::sync",
    "lru",
    "moka::sync",
    "mini-moka::sync",
];

/// `quick_cache::unsync::Cache<String, Vec<u8>>`.
#[derive(Debug)]
pub struct QuickUnsync(pub quick_cache::unsync::Cache<String, Vec<u8>>);

impl LocalContender for QuickUnsync {
    const NAME: &'static str = "quick_cache::unsync";
    fn with_capacity(capacity: usize) -> Self {
        Self(quick_cache::unsync::Cache::new(capacity))
    }
    fn get(&mut self, key: &String) -> bool {
        black_box(self.0.get(key)).is_some()
    }
    fn insert(&mut self, key: &String, value: &[u8]) {
        self.0.insert(key.clone(), value.to_vec());
    }
}

/// `lru::LruCache<String, Vec<u8>>`: exact LRU.
#[derive(Debug)]
pub struct Lru(pub lru::LruCache<String, Vec<u8>>);

impl LocalContender for Lru {
    const NAME: &'static str = "lru";
    fn with_capacity(capacity: usize) -> Self {
        let capacity = NonZeroUsize::new(capacity.max(1)).expect("at least 1");
        Self(lru::LruCache::new(capacity))
    }
    fn get(&mut self, key: &String) -> bool {
        black_box(self.0.get(key)).is_some()
    }
    fn insert(&mut self, key: &String, value: &[u8]) {
        self.0.put(key.clone(), value.to_vec());
    }
}

/// `quick_cache::sync::Cache<String, Arc<[u8]>>`.
#[derive(Debug)]
pub struct QuickSync(pub quick_cache::sync::Cache<String, Arc<[u8]>>);

impl SharedContender for QuickSync {
    const NAME: &'static str = "quick_cache::sync";
    fn with_capacity(capacity: usize) -> Self {
        Self(quick_cache::sync::Cache::new(capacity))
    }
    fn get(&self, key: &String) -> bool {
        black_box(self.0.get(key)).is_some()
    }
    fn insert(&self, key: &String, value: &[u8]) {
        self.0.insert(key.clone(), Arc::from(value));
    }
}

/// `moka::sync::Cache<String, Arc<[u8]>>`.
#[derive(Debug)]
pub struct Moka(pub moka::sync::Cache<String, Arc<[u8]>>);

impl SharedContender for Moka {
    const NAME: &'static str = "moka::sync";
    fn with_capacity(capacity: usize) -> Self {
        Self(moka::sync::Cache::new(capacity as u64))
    }
    fn get(&self, key: &String) -> bool {
        black_box(self.0.get(key)).is_some()
    }
    fn insert(&self, key: &String, value: &[u8]) {
        self.0.insert(key.clone(), Arc::from(value));
    }
    fn settle(&self) {
        self.0.run_pending_tasks();
    }
}

/// `mini_moka::sync::Cache<String, Arc<[u8]>>`.
#[derive(Debug)]
pub struct MiniMoka(pub mini_moka::sync::Cache<String, Arc<[u8]>>);

impl SharedContender for MiniMoka {
    const NAME: &'static str = "mini-moka::sync";
    fn with_capacity(capacity: usize) -> Self {
        Self(mini_moka::sync::Cache::new(capacity as u64))
    }
    fn get(&self, key: &String) -> bool {
        black_box(self.0.get(key)).is_some()
    }
    fn insert(&self, key: &String, value: &[u8]) {
        self.0.insert(key.clone(), Arc::from(value));
    }
    fn settle(&self) {
        use mini_moka::sync::ConcurrentCacheExt as _;
        self.0.sync();
    }
}

/// The host's default clock alone (`CoarseClock::now`), to show its share of a call.
pub fn host_clock(clock: &CoarseClock) -> Timestamp {
    clock.now()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The benchmarks' configuration: RESIDENT keys into a cache of CAPACITY entries, every
    /// one of them then a hit (so `get_hit` measures hits only, sharded caches included).
    fn holds_the_resident_keys<C: LocalContender>() {
        let w = crate::workload::Workload::with_universe(
            crate::workload::RESIDENT + 2 * crate::workload::CAPACITY,
        );
        let mut cache: C = crate::workload::filled_local(&w);
        let hits = w.resident().iter().filter(|k| cache.get(k)).count();
        assert_eq!(hits, w.resident().len(), "{}", C::NAME);
        assert!(!cache.get(&w.absent[0]), "{}", C::NAME);
    }

    #[test]
    fn every_contender_holds_its_capacity() {
        holds_the_resident_keys::<StoreFixedTime>();
        holds_the_resident_keys::<StoreHostClock>();
        holds_the_resident_keys::<QuickUnsync>();
        holds_the_resident_keys::<Lru>();
        holds_the_resident_keys::<OneThread<MemoryAsync>>();
        holds_the_resident_keys::<OneThread<MemorySync>>();
        holds_the_resident_keys::<OneThread<MemorySyncBorrowed>>();
        holds_the_resident_keys::<OneThread<MemorySyncShared>>();
        holds_the_resident_keys::<OneThread<QuickSync>>();
        holds_the_resident_keys::<OneThread<Moka>>();
        holds_the_resident_keys::<OneThread<MiniMoka>>();
    }
}
