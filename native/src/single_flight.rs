//! Single-flight loading: concurrent [`CacheExt::get_or_set_with`](crate::CacheExt) callers for
//! one missing key share one loader call.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_util::FutureExt;
use tokio::sync::watch;

use crate::cache::{Cache, to_ttl};
use crate::error::CacheError;

/// What a finished load hands to its waiters: the stored value, or the error every caller gets.
type Landing = Result<Arc<[u8]>, CacheError>;

/// The loads in flight for one cache (and its clones), keyed by cache key.
///
/// A caller that misses becomes the key's *leader* and runs its loader; callers that miss while
/// it runs wait for its outcome instead of running their own. The registry is per process, and
/// each backend handle owns one ([`Cache::single_flight`]); processes sharing a Redis server do
/// not coordinate, so with N processes a key may be loaded up to N times at once.
///
/// * A loader error reaches the leader and every waiter; nothing is cached.
/// * A loader that panics gives its waiters a [`CacheError::Load`] ("the loader panicked"),
///   caches nothing, and the panic continues in the leader's task.
/// * A leader that is cancelled (its future dropped) hands over: one waiter becomes the new
///   leader and runs its own loader.
///
/// In every case the key's entry is removed, so a later call starts afresh.
#[derive(Default)]
pub struct SingleFlight {
    flights: Mutex<HashMap<Box<str>, watch::Receiver<Option<Landing>>>>,
}

impl SingleFlight {
    /// An empty registry.
    #[must_use]
    pub fn new() -> SingleFlight {
        SingleFlight::default()
    }

    /// How many keys are being loaded right now.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Box<str>, watch::Receiver<Option<Landing>>>> {
        // Nothing panics while the map is locked (plain inserts and removals), so a poisoned
        // lock still holds a consistent map.
        self.flights.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn join<'a>(&'a self, key: &'a str) -> Role<'a> {
        let mut flights = self.lock();
        if let Some(rx) = flights.get(key) {
            return Role::Waiter(rx.clone());
        }
        let (tx, rx) = watch::channel(None);
        flights.insert(key.into(), rx);
        Role::Leader(Leader {
            flights: self,
            key,
            tx,
        })
    }

    /// The value under `key`, loading and storing it with `loader` on a miss, one loader per
    /// key at a time; see [`CacheExt::get_or_set_with`](crate::CacheExt::get_or_set_with).
    pub(crate) async fn get_or_load<C, F, Fut>(
        &self,
        cache: &C,
        key: &str,
        expiry: Option<Duration>,
        loader: F,
    ) -> Result<Vec<u8>, CacheError>
    where
        C: Cache + ?Sized,
        F: FnOnce() -> Fut + Send,
        Fut: Future<Output = Result<Vec<u8>, LoadFailure>> + Send,
    {
        // Bad input fails before anything is loaded.
        to_ttl(expiry)?;
        if let Some(value) = cache.get(key).await? {
            return Ok(value);
        }
        let mut loader = Some(loader);
        loop {
            let leader = match self.join(key) {
                Role::Leader(leader) => leader,
                Role::Waiter(mut rx) => match rx.wait_for(Option::is_some).await {
                    Ok(landing) => return landed(landing.as_ref()),
                    // The leader was cancelled: try to lead.
                    Err(_) => continue,
                },
            };
            // Another leader may have stored the value between our miss and now.
            match cache.get(key).await {
                Ok(Some(value)) => {
                    leader.finish(Ok(Arc::from(value.as_slice())));
                    return Ok(value);
                }
                Ok(None) => {}
                Err(err) => {
                    leader.finish(Err(err.clone()));
                    return Err(err);
                }
            }
            // Invariant: a caller leads at most once, since leading always returns below.
            let Some(loader) = loader.take() else {
                unreachable!("a caller leads at most once")
            };
            let loaded = match AssertUnwindSafe(loader()).catch_unwind().await {
                Ok(loaded) => loaded,
                Err(panic) => {
                    leader.finish(Err(CacheError::Load {
                        key: key.to_owned(),
                        source: Arc::new(LoaderPanicked),
                    }));
                    std::panic::resume_unwind(panic);
                }
            };
            let result = match loaded {
                Ok(value) => cache.set(key, &value, expiry).await.map(|()| value),
                Err(LoadFailure::Cache(err)) => Err(err),
                Err(LoadFailure::Loader(source)) => Err(CacheError::Load {
                    key: key.to_owned(),
                    source: Arc::from(source),
                }),
            };
            leader.finish(match &result {
                Ok(value) => Ok(Arc::from(value.as_slice())),
                Err(err) => Err(err.clone()),
            });
            return result;
        }
    }
}

impl fmt::Debug for SingleFlight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SingleFlight")
            .field("in_flight", &self.in_flight())
            .finish()
    }
}

fn landed(landing: Option<&Landing>) -> Result<Vec<u8>, CacheError> {
    match landing {
        Some(Ok(value)) => Ok(value.to_vec()),
        Some(Err(err)) => Err(err.clone()),
        // Invariant: `wait_for(Option::is_some)` only returns a landed value.
        None => unreachable!("waited for a landed value"),
    }
}

/// Why a loader did not produce bytes: its own error, or a cache error on the way (e.g. the
/// value could not be encoded).
pub(crate) enum LoadFailure {
    Loader(Box<dyn StdError + Send + Sync>),
    Cache(CacheError),
}

enum Role<'a> {
    Leader(Leader<'a>),
    Waiter(watch::Receiver<Option<Landing>>),
}

/// The caller running the loader for `key`. Dropping it without [`Leader::finish`] (the caller
/// was cancelled) wakes the waiters with a closed channel, and one of them takes over.
struct Leader<'a> {
    flights: &'a SingleFlight,
    key: &'a str,
    tx: watch::Sender<Option<Landing>>,
}

impl Leader<'_> {
    fn finish(self, landing: Landing) {
        self.tx.send_replace(Some(landing));
        // Drop removes the entry; waiters that already hold the receiver see the landing.
    }
}

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        self.flights.lock().remove(self.key);
    }
}

/// The error waiters get when the leader's loader panicked.
#[derive(Debug)]
struct LoaderPanicked;

impl fmt::Display for LoaderPanicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the loader panicked")
    }
}

impl StdError for LoaderPanicked {}
