//! Time sources for [`InMemoryCache`](crate::InMemoryCache).
//!
//! The core never reads a clock; the in-memory backend reads one in exactly one place, through
//! the [`Clock`] trait, so tests can drive time with [`ManualClock`] instead of sleeping.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chatcache_core::Timestamp;

/// A source of "now" for the cache, in milliseconds.
///
/// Implementations must be cheap and thread-safe. They may go backwards (e.g. a wall clock
/// adjusted by NTP): the core keeps a high-water mark, so an expired entry never comes back.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The wall clock as Unix-epoch milliseconds (the time base that snapshots and Redis share).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        // A clock set before 1970 reads as the epoch; the core's high-water mark keeps
        // expiry monotonic regardless.
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        Timestamp::from_millis(ms)
    }
}

/// A clock that only moves when told to. Clones share the same time, so a test keeps one
/// handle and gives another to the cache.
///
/// ```
/// use std::time::Duration;
/// use chatcache::{Clock, ManualClock};
/// let clock = ManualClock::new(1_000);
/// let cache_side = clock.clone();
/// clock.advance(Duration::from_millis(250));
/// assert_eq!(cache_side.now().as_millis(), 1_250);
/// ```
#[derive(Clone, Default)]
pub struct ManualClock {
    ms: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock standing at `start_ms`.
    #[must_use]
    pub fn new(start_ms: u64) -> ManualClock {
        ManualClock {
            ms: Arc::new(AtomicU64::new(start_ms)),
        }
    }

    /// Moves time forward by `by` (saturating; sub-millisecond parts are dropped).
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        // `fetch_update` only fails if the closure returns `None`, which it never does.
        let _ = self
            .ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |ms| {
                Some(ms.saturating_add(by))
            });
    }

    /// Sets the time to `ms`, possibly backwards.
    pub fn set(&self, ms: u64) {
        self.ms.store(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.ms.load(Ordering::SeqCst))
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ManualClock")
            .field(&self.ms.load(Ordering::SeqCst))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_is_unix_epoch_millis() {
        let now = SystemClock.now().as_millis();
        // 2020-01-01 .. 2200-01-01: catches seconds-vs-millis and epoch mix-ups.
        assert!(now > 1_577_836_800_000 && now < 7_258_118_400_000, "{now}");
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(5);
        assert_eq!(c.now().as_millis(), 5);
        c.advance(Duration::from_micros(1_999));
        assert_eq!(c.now().as_millis(), 6);
        c.set(2);
        assert_eq!(c.now().as_millis(), 2);
        c.set(u64::MAX - 1);
        c.advance(Duration::from_secs(10));
        assert_eq!(c.now().as_millis(), u64::MAX);
    }
}
