//! Time sources for [`InMemoryCache`](crate::InMemoryCache).
//!
//! The core never reads a clock; the in-memory backend reads one in exactly one place, through
//! the [`Clock`] trait, so tests can drive time with [`ManualClock`] instead of sleeping.
//!
//! | clock | reads | precision | cost per read |
//! |---|---|---|---|
//! | [`CoarseClock`] (the in-memory default) | the kernel's coarse monotonic clock, anchored to the wall clock once | the kernel tick: 1–4 ms on Linux (up to 10 ms with `HZ=100`) | a few ns, no syscall, no TSC read |
//! | [`SystemClock`] | the wall clock | 1 ms | one `SystemTime::now` (≈ 20–25 ns) |
//! | [`ManualClock`] | a number tests set | exact | an atomic load |

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

/// A fast clock for the hot path: Unix-epoch milliseconds from the kernel's *coarse* monotonic
/// clock (`CLOCK_MONOTONIC_COARSE` on Linux, through the `coarsetime` crate), the default of
/// [`InMemoryCache`](crate::InMemoryCache) and [`MemoryCache`](crate::MemoryCache).
///
/// * **Precision:** the coarse clock advances once per kernel tick, so readings lag real time by
///   up to one tick: 1–4 ms on common Linux kernels (`HZ=1000`/`250`), 10 ms with `HZ=100`.
///   An entry with a TTL of `t` therefore expires between `t` and `t` + one tick after it was
///   set, and [`Cache::ttl`](crate::Cache::ttl) may report up to one tick more than is left.
///   TTLs of a second or more are unaffected in practice; use [`SystemClock`] when
///   millisecond-exact expiry matters more than the ≈ 20 ns of a wall-clock read per call.
/// * **Time base:** the wall clock is read once, when the clock is made; later readings add the
///   monotonic time elapsed since. So TTLs are immune to wall-clock steps (NTP, a user changing
///   the time), and deadlines in snapshots are Unix-epoch milliseconds as with [`SystemClock`],
///   but they do not follow wall-clock adjustments made after the cache was built (NTP slewing
///   is typically well under a second per day).
///
/// ```
/// use chatcache::{Clock, CoarseClock, SystemClock};
/// let coarse = CoarseClock::new();
/// let wall = SystemClock.now().as_millis();
/// // Anchored to the wall clock: the two agree to within a few kernel ticks.
/// assert!(coarse.now().as_millis().abs_diff(wall) < 1_000);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct CoarseClock {
    /// Unix-epoch milliseconds at `anchor`.
    epoch_ms: u64,
    anchor: coarsetime::Instant,
}

impl CoarseClock {
    /// A clock anchored to the wall clock now.
    #[must_use]
    pub fn new() -> CoarseClock {
        let anchor = coarsetime::Instant::now_without_cache_update();
        CoarseClock {
            epoch_ms: SystemClock.now().as_millis(),
            anchor,
        }
    }
}

impl Default for CoarseClock {
    fn default() -> Self {
        CoarseClock::new()
    }
}

impl Clock for CoarseClock {
    #[inline]
    fn now(&self) -> Timestamp {
        // `now_without_cache_update`: `coarsetime::Instant::now` would also store the reading
        // in a process-wide atomic, one contended cache line written by every thread.
        let now = coarsetime::Instant::now_without_cache_update();
        // Ticks are 32.32 fixed-point seconds; the monotonic clock never goes back, and a
        // saturating difference keeps a (theoretical) step back at the anchor.
        let ticks = now.as_ticks().saturating_sub(self.anchor.as_ticks());
        let elapsed_ms = (ticks >> 32) * 1_000 + (((ticks & 0xffff_ffff) * 1_000) >> 32);
        Timestamp::from_millis(self.epoch_ms.saturating_add(elapsed_ms))
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
    fn coarse_clock_follows_the_wall_clock_and_never_goes_back() {
        let coarse = CoarseClock::new();
        let mut last = coarse.now();
        let start = SystemClock.now().as_millis();
        assert!(
            last.as_millis().abs_diff(start) < 1_000,
            "{last:?} vs {start}"
        );
        for _ in 0..10 {
            std::thread::sleep(Duration::from_millis(3));
            let now = coarse.now();
            assert!(now >= last, "{now:?} < {last:?}");
            last = now;
        }
        // 30 ms slept: the coarse clock moved (by at least 30 ms minus one tick of lag).
        assert!(last.as_millis() >= start + 15, "{last:?} vs {start}");
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
