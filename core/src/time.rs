//! Time as data: the store never reads a clock, hosts pass a [`Timestamp`] in.

use core::num::NonZeroU64;
use core::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Error;

/// A point in time, in milliseconds since the host's epoch.
///
/// The store never reads a clock: every call whose result depends on time takes a `Timestamp`.
/// Hosts that persist snapshots should use Unix-epoch milliseconds so that deadlines stay
/// meaningful across restarts; tests can start at [`Timestamp::ZERO`] and step time by hand.
///
/// ```
/// use chatcache_core::{Timestamp, Ttl};
///
/// let now = Timestamp::from_millis(1_000);
/// let later = now.saturating_add(Ttl::from_secs(2)?);
/// assert_eq!(later.as_millis(), 3_000);
/// # Ok::<(), chatcache_core::Error>(())
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(u64);

impl Timestamp {
    /// The host epoch itself.
    pub const ZERO: Self = Self(0);

    /// A timestamp `millis` milliseconds after the host's epoch.
    pub const fn from_millis(millis: u64) -> Self {
        Self(millis)
    }

    /// Milliseconds since the host's epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// The timestamp `ttl` later, saturating at the largest representable deadline.
    pub const fn saturating_add(self, ttl: Ttl) -> Self {
        let deadline = self.0.saturating_add(ttl.as_millis());
        // `u64::MAX` is reserved internally for "no deadline".
        if deadline == u64::MAX {
            Self(u64::MAX - 1)
        } else {
            Self(deadline)
        }
    }

    /// Milliseconds from `earlier` to `self`, or zero if `earlier` is not earlier.
    pub const fn millis_since(self, earlier: Timestamp) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

/// A relative expiry: how long an entry lives, in whole milliseconds, never zero.
///
/// Zero is rejected rather than meaning "expire now" or "never", because both readings exist
/// in the wild (Redis rejects `PX 0`); say `None` for "no expiry" and delete for "gone now".
///
/// ```
/// use chatcache_core::{Error, Ttl};
/// use std::time::Duration;
///
/// assert_eq!(Ttl::from_secs(90)?.as_millis(), 90_000);
/// assert_eq!(Ttl::from_millis(0), Err(Error::ZeroTtl));
/// // Sub-millisecond durations round up, so a tiny TTL never means "no TTL".
/// assert_eq!(Ttl::try_from(Duration::from_micros(1))?.as_millis(), 1);
/// # Ok::<(), Error>(())
/// ```
///
/// It serializes as its number of milliseconds and converts to a [`Duration`] with `From`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct Ttl(NonZeroU64);

impl Ttl {
    /// The longest TTL accepted: 2<sup>53</sup> ms (about 285,000 years), the largest integer
    /// JavaScript represents exactly, so every backend agrees on the bound.
    pub const MAX_MILLIS: u64 = 1 << 53;

    /// A TTL of `millis` milliseconds; zero is [`Error::ZeroTtl`], above
    /// [`Ttl::MAX_MILLIS`] is [`Error::TtlTooLong`].
    pub const fn from_millis(millis: u64) -> Result<Self, Error> {
        if millis > Self::MAX_MILLIS {
            return Err(Error::TtlTooLong);
        }
        match NonZeroU64::new(millis) {
            Some(millis) => Ok(Self(millis)),
            None => Err(Error::ZeroTtl),
        }
    }

    /// A TTL of `secs` seconds.
    pub const fn from_secs(secs: u64) -> Result<Self, Error> {
        match secs.checked_mul(1_000) {
            Some(millis) => Self::from_millis(millis),
            None => Err(Error::TtlTooLong),
        }
    }

    /// The TTL in milliseconds (at least 1).
    pub const fn as_millis(self) -> u64 {
        self.0.get()
    }

    /// The TTL as a [`Duration`].
    pub const fn as_duration(self) -> Duration {
        Duration::from_millis(self.0.get())
    }
}

impl TryFrom<Duration> for Ttl {
    type Error = Error;

    /// Converts a duration, rounding sub-millisecond parts up.
    fn try_from(duration: Duration) -> Result<Self, Error> {
        if duration.is_zero() {
            return Err(Error::ZeroTtl);
        }
        let nanos = duration.as_nanos();
        let millis = nanos.div_ceil(1_000_000);
        let millis = u64::try_from(millis).map_err(|_| Error::TtlTooLong)?;
        Self::from_millis(millis)
    }
}

impl TryFrom<u64> for Ttl {
    type Error = Error;

    /// Milliseconds, as [`Ttl::from_millis`].
    fn try_from(millis: u64) -> Result<Self, Error> {
        Self::from_millis(millis)
    }
}

impl From<Ttl> for u64 {
    /// The TTL in milliseconds.
    fn from(ttl: Ttl) -> u64 {
        ttl.as_millis()
    }
}

impl From<Ttl> for Duration {
    fn from(ttl: Ttl) -> Duration {
        ttl.as_duration()
    }
}

/// The expiry state of a key that exists; see [`Store::ttl`](crate::Store::ttl).
///
/// It serializes as `"persistent"` or `{"remaining": <milliseconds>}`;
/// [`KeyTtl::remaining`] gives the time left as a [`Duration`].
///
/// ```
/// use chatcache_core::{KeyTtl, Ttl};
/// use std::time::Duration;
///
/// let left = KeyTtl::Remaining(Ttl::from_secs(90)?);
/// assert_eq!(left.remaining(), Some(Duration::from_secs(90)));
/// assert_eq!(KeyTtl::Persistent.remaining(), None);
/// assert_eq!(serde_json::to_string(&left).unwrap(), r#"{"remaining":90000}"#);
/// # Ok::<(), chatcache_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyTtl {
    /// The key never expires.
    Persistent,
    /// The key expires after this much more time.
    Remaining(Ttl),
}

impl KeyTtl {
    /// The time left, or `None` for a key that never expires.
    pub const fn remaining(self) -> Option<Duration> {
        match self {
            KeyTtl::Persistent => None,
            KeyTtl::Remaining(ttl) => Some(ttl.as_duration()),
        }
    }
}
