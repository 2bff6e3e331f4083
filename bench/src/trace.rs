//! Seeded request traces for the hit-ratio simulator.
//!
//! A [`Trace`] is a sequence of key reads. Every trace is generated from a fixed seed, so the
//! same [`TraceKind`] and [`Mode`] give the same requests on every run and machine. Keys are
//! interned: the trace stores dense `u32` ids in request order and one string per distinct
//! key, so a replay costs no allocation and [`Trace::distinct_keys`] is exact.

use std::collections::HashMap;
use std::collections::VecDeque;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::rng::{Rng, Zipf};

/// How much work a run does: `Full` for published numbers, `Quick` for a tuning loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Traces of 2,000,000 requests.
    Full,
    /// Traces of 500,000 requests over the same key spaces (figures move by a few tenths of
    /// a point against full mode; use it to compare variants, not to publish).
    Quick,
}

impl Mode {
    /// Requests per trace.
    pub const fn requests(self) -> usize {
        match self {
            Mode::Full => 2_000_000,
            Mode::Quick => 500_000,
        }
    }
}

/// The six workloads of the hit-ratio table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TraceKind {
    /// Zipf with exponent 0.8 over 100,000 keys (a flat, hard-to-cache popularity).
    #[serde(rename = "zipf-0.8")]
    Zipf08,
    /// Zipf with exponent 1.0 over 100,000 keys.
    #[serde(rename = "zipf-1.0")]
    Zipf10,
    /// Zipf with exponent 1.2 over 100,000 keys (a few very hot keys).
    #[serde(rename = "zipf-1.2")]
    Zipf12,
    /// Zipf 1.0 traffic on 100,000 keys with scans of [`SHORT_SCAN`] never-repeated keys
    /// (one request in four), shorter than the smallest cache.
    #[serde(rename = "scan-short")]
    ScanShort,
    /// The same traffic with scans of [`LONG_SCAN`] keys, longer than the largest cache.
    #[serde(rename = "scan-long")]
    ScanLong,
    /// A chat server's reads: see [`chat`].
    #[serde(rename = "chat")]
    Chat,
}

/// Length of one scan in [`TraceKind::ScanShort`].
pub const SHORT_SCAN: usize = 200;
/// Length of one scan in [`TraceKind::ScanLong`].
pub const LONG_SCAN: usize = 100_000;

impl TraceKind {
    /// Every trace, in table order.
    pub const ALL: [TraceKind; 6] = [
        TraceKind::Zipf08,
        TraceKind::Zipf10,
        TraceKind::Zipf12,
        TraceKind::ScanShort,
        TraceKind::ScanLong,
        TraceKind::Chat,
    ];

    /// A short stable name (used in tables, CSV and plot file names).
    pub const fn name(self) -> &'static str {
        match self {
            TraceKind::Zipf08 => "zipf-0.8",
            TraceKind::Zipf10 => "zipf-1.0",
            TraceKind::Zipf12 => "zipf-1.2",
            TraceKind::ScanShort => "scan-short",
            TraceKind::ScanLong => "scan-long",
            TraceKind::Chat => "chat",
        }
    }

    /// A one-line description for tables and plots.
    pub const fn description(self) -> &'static str {
        match self {
            TraceKind::Zipf08 => "Zipf 0.8, 100k keys",
            TraceKind::Zipf10 => "Zipf 1.0, 100k keys",
            TraceKind::Zipf12 => "Zipf 1.2, 100k keys",
            TraceKind::ScanShort => "Zipf 1.0 + 25% scans of 200 keys (cache > scan)",
            TraceKind::ScanLong => "Zipf 1.0 + 25% scans of 100k keys (cache < scan)",
            TraceKind::Chat => "chat: rooms, history, typing, profiles",
        }
    }

    /// Parses [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// Generates the trace (deterministic: the seed is fixed per kind).
    pub fn generate(self, mode: Mode) -> Trace {
        let requests = mode.requests();
        match self {
            TraceKind::Zipf08 => zipf(self, 100_000, 0.8, requests, 0x0008),
            TraceKind::Zipf10 => zipf(self, 100_000, 1.0, requests, 0x0010),
            TraceKind::Zipf12 => zipf(self, 100_000, 1.2, requests, 0x0012),
            TraceKind::ScanShort => scan_mix(self, SHORT_SCAN, requests, 0x5ca0),
            TraceKind::ScanLong => scan_mix(self, LONG_SCAN, requests, 0x5ca1),
            TraceKind::Chat => chat(requests, 0xc4a7),
        }
    }
}

impl fmt::Display for TraceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A sequence of key reads with its interned keys.
#[derive(Clone, Debug)]
pub struct Trace {
    kind: TraceKind,
    keys: Vec<String>,
    requests: Vec<u32>,
}

impl Trace {
    /// Which workload this is.
    pub fn kind(&self) -> TraceKind {
        self.kind
    }

    /// One string per distinct key; `requests()` index into it.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// Key ids in request order.
    pub fn requests(&self) -> &[u32] {
        &self.requests
    }

    /// Number of distinct keys requested (cache sizes are fractions of it).
    pub fn distinct_keys(&self) -> usize {
        self.keys.len()
    }

    /// The requested keys, in order.
    pub fn iter(&self) -> impl Iterator<Item = &String> + '_ {
        self.requests.iter().map(|&id| &self.keys[id as usize])
    }
}

/// Builds a trace from logical key ids, interning them in order of first request.
struct Builder<F> {
    kind: TraceKind,
    name: F,
    ids: HashMap<u64, u32>,
    keys: Vec<String>,
    requests: Vec<u32>,
}

impl<F: Fn(u64) -> String> Builder<F> {
    fn new(kind: TraceKind, capacity: usize, name: F) -> Self {
        Self {
            kind,
            name,
            ids: HashMap::new(),
            keys: Vec::new(),
            requests: Vec::with_capacity(capacity),
        }
    }

    fn push(&mut self, logical: u64) {
        let next = u32::try_from(self.keys.len()).expect("traces have fewer than 2^32 keys");
        let id = *self.ids.entry(logical).or_insert(next);
        if id == next {
            self.keys.push((self.name)(logical));
        }
        self.requests.push(id);
    }

    fn finish(self) -> Trace {
        Trace {
            kind: self.kind,
            keys: self.keys,
            requests: self.requests,
        }
    }
}

/// `requests` draws from Zipf(`s`) over `keys` keys. Ranks are mapped to key names through a
/// fixed permutation-free naming, so hot keys are not the first ones inserted by any cache.
pub(crate) fn zipf(kind: TraceKind, keys: usize, s: f64, requests: usize, seed: u64) -> Trace {
    let dist = Zipf::new(keys, s);
    let mut rng = Rng::new(seed);
    let mut trace = Builder::new(kind, requests, |rank| format!("item:{rank}"));
    for _ in 0..requests {
        trace.push(dist.sample(&mut rng) as u64);
    }
    trace.finish()
}

/// Zipf 1.0 over 100,000 hot keys, with scans: a scan reads `scan_len` consecutive keys that
/// no request ever repeats (a history backfill, an export, a crawler) while the normal traffic
/// goes on, one scan key for every hot request; after it, as many requests again are hot only.
/// So a cycle is `4 * scan_len` requests, one in four of them a scan key.
fn scan_mix(kind: TraceKind, scan_len: usize, requests: usize, seed: u64) -> Trace {
    const SCAN_TAG: u64 = 1 << 40;
    let hot = Zipf::new(100_000, 1.0);
    let mut rng = Rng::new(seed);
    let mut trace = Builder::new(kind, requests, |id| {
        if id & SCAN_TAG == 0 {
            format!("item:{id}")
        } else {
            format!("scan:{}", id & !SCAN_TAG)
        }
    });
    let mut next_scan_key = 0u64;
    for n in 0..requests {
        let in_scan = n % (4 * scan_len) < 2 * scan_len;
        if in_scan && n % 2 == 1 {
            trace.push(SCAN_TAG | next_scan_key);
            next_scan_key += 1;
        } else {
            trace.push(hot.sample(&mut rng) as u64);
        }
    }
    trace.finish()
}

/// Key families of the chat trace, packed into the top bits of a logical id.
#[derive(Clone, Copy)]
enum ChatKey {
    History { room: u32, page: u32 },
    Members { room: u32 },
    Typing { event: u64 },
    Profile { user: u64 },
}

impl ChatKey {
    fn pack(self) -> u64 {
        match self {
            ChatKey::History { room, page } => {
                (1 << 60) | (u64::from(room) << 32) | u64::from(page)
            }
            ChatKey::Members { room } => (2 << 60) | u64::from(room),
            ChatKey::Typing { event } => (3 << 60) | event,
            ChatKey::Profile { user } => (4 << 60) | user,
        }
    }

    fn name(id: u64) -> String {
        let low = id & ((1 << 60) - 1);
        match id >> 60 {
            1 => format!("room:{}:history:{}", low >> 32, low & 0xffff_ffff),
            2 => format!("room:{low}:members"),
            3 => format!("typing:{low}"),
            _ => format!("user:{low}:profile"),
        }
    }
}

/// Rooms in the chat trace.
const ROOMS: usize = 20_000;
/// Users with a profile that is read repeatedly.
const ACTIVE_USERS: usize = 50_000;
/// The population one-off profile lookups draw from (uniformly: nearly every one is new).
const ALL_USERS: u64 = 50_000_000;
/// Messages per history page: a room's newest page key changes after this many posts.
const PAGE_MESSAGES: u32 = 50;
/// Typing/presence keys still being read; older ones are never requested again.
const LIVE_TYPING: usize = 32;

/// A chat server's cache reads, modelled on rooms with Zipf-skewed activity:
///
/// - **40 %** recent history: `room:{r}:history:{page}` for a room drawn from Zipf 1.0 over
///   20,000 rooms; the newest page with probability 0.7, else one of the ten before it.
///   Posts (one per ten requests, in rooms drawn from the same Zipf) advance a room's newest
///   page every 50 messages, so the hot history keys of active rooms churn.
/// - **15 %** member lists `room:{r}:members`, Zipf 1.0 over the rooms.
/// - **20 %** typing/presence keys with short lifetimes: a new `typing:{n}` key one time in
///   four, else a read of one of the 32 most recent ones; older ones are never read again.
/// - **15 %** profiles of active users, Zipf 0.9 over 50,000 users.
/// - **10 %** one-off profile lookups, uniform over 50 M users (nearly all one-hit wonders).
pub fn chat(requests: usize, seed: u64) -> Trace {
    let rooms = Zipf::new(ROOMS, 1.0);
    let users = Zipf::new(ACTIVE_USERS, 0.9);
    let mut rng = Rng::new(seed);
    let mut posts = vec![0u32; ROOMS];
    let mut typing: VecDeque<u64> = VecDeque::with_capacity(LIVE_TYPING);
    let mut next_typing = 0u64;
    let mut trace = Builder::new(TraceKind::Chat, requests, ChatKey::name);
    for _ in 0..requests {
        if rng.chance(0.1) {
            posts[rooms.sample(&mut rng)] += 1;
        }
        let roll = rng.unit();
        let key = if roll < 0.40 {
            let room = rooms.sample(&mut rng);
            let newest = posts[room] / PAGE_MESSAGES;
            let back = if rng.chance(0.7) {
                0
            } else {
                1 + rng.below(10) as u32
            };
            ChatKey::History {
                room: room as u32,
                page: newest.saturating_sub(back),
            }
        } else if roll < 0.55 {
            ChatKey::Members {
                room: rooms.sample(&mut rng) as u32,
            }
        } else if roll < 0.75 {
            if typing.is_empty() || rng.chance(0.25) {
                if typing.len() == LIVE_TYPING {
                    typing.pop_front();
                }
                typing.push_back(next_typing);
                next_typing += 1;
                ChatKey::Typing {
                    event: next_typing - 1,
                }
            } else {
                let pick = rng.below(typing.len() as u64) as usize;
                ChatKey::Typing {
                    event: typing[pick],
                }
            }
        } else if roll < 0.90 {
            ChatKey::Profile {
                user: users.sample(&mut rng) as u64,
            }
        } else {
            ChatKey::Profile {
                user: ACTIVE_USERS as u64 + rng.below(ALL_USERS),
            }
        };
        trace.push(key.pack());
    }
    trace.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_kind_and_mode_give_the_same_trace() {
        for kind in TraceKind::ALL {
            let a = kind.generate(Mode::Quick);
            let b = kind.generate(Mode::Quick);
            assert_eq!(a.requests(), b.requests(), "{kind}");
            assert_eq!(a.keys(), b.keys(), "{kind}");
            assert_eq!(a.requests().len(), Mode::Quick.requests());
        }
    }

    #[test]
    fn keys_are_interned_exactly() {
        let trace = TraceKind::Chat.generate(Mode::Quick);
        let distinct: std::collections::HashSet<&String> = trace.iter().collect();
        assert_eq!(distinct.len(), trace.distinct_keys());
        let max_id = trace.requests().iter().copied().max().unwrap_or(0) as usize;
        assert_eq!(max_id + 1, trace.distinct_keys());
    }

    /// Share of requests that go to the 1 % most requested keys.
    fn top_percent_share(trace: &Trace) -> f64 {
        let mut counts = vec![0u64; trace.distinct_keys()];
        for &id in trace.requests() {
            counts[id as usize] += 1;
        }
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let top: u64 = counts[..counts.len() / 100].iter().sum();
        top as f64 / trace.requests().len() as f64
    }

    #[test]
    fn zipf_skew_grows_with_the_exponent() {
        let shares: Vec<f64> = [TraceKind::Zipf08, TraceKind::Zipf10, TraceKind::Zipf12]
            .into_iter()
            .map(|kind| top_percent_share(&kind.generate(Mode::Quick)))
            .collect();
        assert!(shares[0] < shares[1] && shares[1] < shares[2], "{shares:?}");
        assert!(shares[0] > 0.1, "even Zipf 0.8 is skewed: {shares:?}");
    }

    #[test]
    fn scans_are_shorter_and_longer_than_every_cache() {
        // The long scan must outgrow the largest cache in both modes; the short scan is far
        // below the smallest one either way, so one mode suffices for it (debug builds are slow).
        for mode in [Mode::Quick, Mode::Full] {
            let long = TraceKind::ScanLong.generate(mode);
            let largest = crate::hit_ratio::cache_size(long.distinct_keys(), 10);
            assert!(LONG_SCAN > largest, "{mode:?}: {LONG_SCAN} vs {largest}");
        }
        let short = TraceKind::ScanShort.generate(Mode::Quick);
        let smallest = crate::hit_ratio::cache_size(short.distinct_keys(), 1);
        assert!(SHORT_SCAN < smallest, "{SHORT_SCAN} vs {smallest}");
        // One request in four is a scan key, and no scan key is requested twice.
        let scan_requests = short.iter().filter(|k| k.starts_with("scan:")).count();
        let scan_keys = short
            .keys()
            .iter()
            .filter(|k| k.starts_with("scan:"))
            .count();
        assert_eq!(scan_requests, scan_keys);
        let share = scan_requests as f64 / Mode::Quick.requests() as f64;
        assert!((0.24..0.26).contains(&share), "{share}");
    }

    #[test]
    fn chat_trace_has_its_key_families_in_proportion() {
        let trace = TraceKind::Chat.generate(Mode::Quick);
        let share = |prefix: &str, suffix: &str| {
            trace
                .iter()
                .filter(|k| k.starts_with(prefix) && k.ends_with(suffix))
                .count() as f64
                / trace.requests().len() as f64
        };
        let near = |x: f64, want: f64| (x - want).abs() < 0.01;
        assert!(near(share("room:", ""), 0.55));
        assert!(near(share("room:", ":members"), 0.15));
        assert!(near(share("typing:", ""), 0.20));
        assert!(near(share("user:", ":profile"), 0.25));
        // Typing keys die young: each is read a handful of times, within a short window.
        let typing_keys = trace
            .keys()
            .iter()
            .filter(|k| k.starts_with("typing:"))
            .count() as f64;
        let reads_per_typing_key =
            share("typing:", "") * trace.requests().len() as f64 / typing_keys;
        assert!(
            (2.0..8.0).contains(&reads_per_typing_key),
            "{reads_per_typing_key}"
        );
        // Most requests go to active rooms: the 1 % hottest keys take a large share.
        assert!(top_percent_share(&trace) > 0.3);
    }
}
