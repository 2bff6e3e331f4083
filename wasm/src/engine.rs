//! `Engine`: the core's policy for the JavaScript `Cache`, which keeps the keys and values.
//!
//! JavaScript holds a `Map` from key to slot number and the values by slot. The engine holds
//! [`Policy`] (S3-FIFO queues and ghosts, the expiry heap, weights, limits, counters), each
//! slot's weight and key fingerprint, the item lengths of lists and the member sets. Calls take
//! and return numbers; nothing is copied across the boundary on the way in except member
//! names. A read that hits needs no call at all: JavaScript reads the slot's deadline code and
//! raises its access count through typed arrays over this module's memory (see [`Header`]).
//!
//! Every mutating call starts by clearing the list of *forgotten* slots; the policy adds the
//! slots it evicts or reclaims to it, and JavaScript drops their keys and values after the call.
//! A refused call returns [`FAILED`] (or throws, for the calls that return values) and changes
//! nothing; [`Engine::failure`] then gives the error to throw.

use crate::prelude::*;
use alloc::format;
use alloc::string::ToString;

use chatcache_core::policy::{Host, Now, Policy, Removal, Slot};
use chatcache_core::{
    CappedList, EntryWeight, Error, Kind, Limits, ListCap, MemberSet, Stats, Timestamp, Ttl,
    range_bounds,
};
use wasm_bindgen::prelude::*;

use crate::convert;
use crate::error::{Class, Failure, INVALID_NUMBER, INVALID_TYPE, Text};
use crate::names;
use crate::options::Options;

/// What a call that fails returns.
pub const FAILED: i32 = -1;
/// What `write` returns when `only_if_absent` found a live entry.
pub const PRESENT: i32 = -2;
/// What a call given an absolute deadline that has passed returns (nothing was stored).
pub const EXPIRED: i32 = -3;

/// `ttl_mode` of a write: the cache's default TTL.
pub const TTL_DEFAULT: u32 = 0;
/// `ttl_mode`: no expiry.
pub const TTL_NONE: u32 = 1;
/// `ttl_mode`: `ttl` ms from now.
pub const TTL_GIVEN: u32 = 2;
/// `ttl_mode`: keep the existing expiry (a new entry never expires).
pub const TTL_KEEP: u32 = 3;
/// `ttl_mode`: `ttl` is an absolute deadline in ms (for `load`).
pub const TTL_AT: u32 = 4;

/// Kinds as numbers, as JavaScript names them.
pub const KIND_BYTES: u32 = 0;
/// See [`KIND_BYTES`].
pub const KIND_LIST: u32 = 1;
/// See [`KIND_BYTES`].
pub const KIND_MEMBERS: u32 = 2;

/// Positions in the header: numbers JavaScript reads after a call (as `Float64Array`).
///
/// * `EPOCH`: the epoch deadline codes count from (see `chatcache_core::policy`).
/// * `LAYOUT`: bumped whenever the code or access-count arrays move; JavaScript then re-reads
///   `CODES`, `ACCESS` and `SLOTS` (their addresses and length) and rebuilds its views.
/// * `FORGOTTEN` and `FORGOTTEN_LEN`: where the last call's forgotten slots are (`u32`s).
/// * `OUT_A`, `OUT_B`: extra results of the last call (see each method).
#[derive(Clone, Copy)]
#[repr(usize)]
pub enum Header {
    /// See the type docs.
    Epoch,
    /// See the type docs.
    Layout,
    /// Address of the deadline codes (`u32` per slot).
    Codes,
    /// Address of the access counts (`u8` per slot).
    Access,
    /// Number of slots the views cover.
    Slots,
    /// Address of the forgotten slots.
    Forgotten,
    /// Number of forgotten slots.
    ForgottenLen,
    /// First extra result.
    OutA,
    /// Second extra result.
    OutB,
}

/// The number of header cells.
const HEADER_LEN: usize = Header::OutB as usize + 1;

/// The constants JavaScript needs, by name: a static table (data in the `.wasm`, not code that
/// builds it). Every cast widens or is exact.
const CONSTANTS: [(&str, i64); 25] = {
    use chatcache_core::policy::{DEADLINE_FAR, DEADLINE_NEVER, EPOCH_SPAN_MS, MAX_ACCESS_COUNT};
    [
        ("FAILED", FAILED as i64),
        ("PRESENT", PRESENT as i64),
        ("EXPIRED", EXPIRED as i64),
        ("TTL_DEFAULT", TTL_DEFAULT as i64),
        ("TTL_NONE", TTL_NONE as i64),
        ("TTL_GIVEN", TTL_GIVEN as i64),
        ("TTL_KEEP", TTL_KEEP as i64),
        ("TTL_AT", TTL_AT as i64),
        ("KIND_BYTES", KIND_BYTES as i64),
        ("KIND_LIST", KIND_LIST as i64),
        ("KIND_MEMBERS", KIND_MEMBERS as i64),
        ("H_EPOCH", Header::Epoch as i64),
        ("H_LAYOUT", Header::Layout as i64),
        ("H_CODES", Header::Codes as i64),
        ("H_ACCESS", Header::Access as i64),
        ("H_SLOTS", Header::Slots as i64),
        ("H_FORGOTTEN", Header::Forgotten as i64),
        ("H_FORGOTTEN_LEN", Header::ForgottenLen as i64),
        ("H_OUT_A", Header::OutA as i64),
        ("H_OUT_B", Header::OutB as i64),
        ("DEADLINE_FAR", DEADLINE_FAR as i64),
        // 2^31: exact as an i64.
        ("EPOCH_SPAN_MS", EPOCH_SPAN_MS as i64),
        ("DEADLINE_NEVER", DEADLINE_NEVER as i64),
        ("MAX_ACCESS_COUNT", MAX_ACCESS_COUNT as i64),
        ("HEADER_LEN", HEADER_LEN as i64),
    ]
};

/// The constants JavaScript needs, exported once so that no number is written on both sides:
/// `NAME=value` pairs, comma-separated (numbers and strings are all that cross the boundary).
#[wasm_bindgen(js_name = constants)]
pub fn constants() -> String {
    let mut text = Text::new();
    for (i, &(name, value)) in CONSTANTS.iter().enumerate() {
        if i > 0 {
            text = text.s(",");
        }
        text = text.s(name).s("=").i(value);
    }
    text.into()
}

/// The module's memory, for JavaScript's views of the header and the per-slot arrays.
#[wasm_bindgen(js_name = wasmMemory)]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

/// The engine's side of each slot, which the policy asks about.
#[derive(Default)]
struct Slots {
    /// Per slot, in one place (one cache line for the engine's side of a call).
    info: Vec<SlotInfo>,
    /// The item lengths of the lists (JavaScript holds the items) and the member sets, by
    /// slot.
    payloads: Payloads,
    /// Slots the policy removed during the current call.
    forgotten: Vec<u32>,
}

/// The payloads of the list and member-set slots, indexed by slot without a hash table: a
/// dense vector of `(slot, payload)` and, per slot, 1 + its position there (0: none). The
/// per-slot index only reaches the highest slot that ever held a collection, so a cache of
/// byte values pays nothing for it.
#[derive(Default)]
struct Payloads {
    at: Vec<u32>,
    held: Vec<(u32, Payload)>,
}

impl Payloads {
    fn position(&self, slot: u32) -> Option<usize> {
        match self.at.get(slot as usize) {
            Some(&at) if at > 0 => Some(at as usize - 1),
            _ => None,
        }
    }

    fn get(&self, slot: u32) -> Option<&Payload> {
        self.position(slot).map(|at| &self.held[at].1)
    }

    fn get_mut(&mut self, slot: u32) -> Option<&mut Payload> {
        self.position(slot).map(|at| &mut self.held[at].1)
    }

    /// Files `payload` under `slot`, replacing what was there.
    fn insert(&mut self, slot: u32, payload: Payload) {
        if let Some(at) = self.position(slot) {
            self.held[at].1 = payload;
            return;
        }
        let i = slot as usize;
        if i >= self.at.len() {
            self.at.resize(i + 1, 0);
        }
        self.held.push((slot, payload));
        // Slots are below 2^32 - 1, and so is the number of payloads.
        self.at[i] = u32::try_from(self.held.len()).unwrap_or(u32::MAX);
    }

    fn remove(&mut self, slot: u32) {
        let Some(at) = self.position(slot) else {
            return;
        };
        self.at[slot as usize] = 0;
        self.held.swap_remove(at);
        if let Some(&(moved, _)) = self.held.get(at) {
            // `at` is below the length, which fits in a u32 (see `insert`).
            self.at[moved as usize] = at as u32 + 1;
        }
    }

    fn iter(&self) -> impl Iterator<Item = (u32, &Payload)> {
        self.held.iter().map(|(slot, payload)| (*slot, payload))
    }
}

/// What a list or member-set slot holds beside its weight.
enum Payload {
    /// The item lengths of a list.
    List(CappedList<u32>),
    /// A member set.
    Members(MemberSet),
}

/// The engine's side of one slot: 12 bytes.
#[derive(Clone, Copy, Default)]
struct SlotInfo {
    weight: u32,
    fingerprint: u32,
    /// The key's UTF-8 length, so JavaScript need not measure a key it holds.
    key_len: u16,
}

impl Host for Slots {
    fn weight(&self, slot: Slot) -> u64 {
        u64::from(self.info[slot.index()].weight)
    }

    fn fingerprint(&self, slot: Slot) -> u64 {
        u64::from(self.info[slot.index()].fingerprint)
    }

    fn forget(&mut self, slot: Slot, _cause: Removal) {
        self.drop_payload(slot);
        self.forgotten.push(slot.as_u32());
    }
}

impl Slots {
    /// Files a new slot's weight, key fingerprint and key length.
    fn file(&mut self, slot: Slot, weight: EntryWeight, key: Key) {
        let i = slot.index();
        if i >= self.info.len() {
            self.info.resize(i + 1, SlotInfo::default());
        }
        self.info[i] = SlotInfo {
            weight: weight32(weight),
            fingerprint: key.fingerprint,
            // Keys are at most `Limits::KEY_BYTES_CEILING` (65,535) bytes.
            key_len: u16::try_from(key.len).unwrap_or(u16::MAX),
        };
    }

    fn drop_payload(&mut self, slot: Slot) {
        self.payloads.remove(slot.as_u32());
    }

    /// [`drop_payload`](Self::drop_payload) for a slot whose kind is known: byte values have
    /// nothing beside them.
    fn drop_payload_of(&mut self, slot: Slot, kind: u8) {
        match u32::from(kind) {
            KIND_BYTES => {}
            _ => self.payloads.remove(slot.as_u32()),
        }
    }
}

/// What the engine knows of a key: its UTF-8 length and fingerprint.
#[derive(Clone, Copy)]
struct Key {
    len: u32,
    fingerprint: u32,
}

/// Entry weights fit in 32 bits: `Limits` caps `max_entry_bytes` at `u32::MAX`.
fn weight32(weight: EntryWeight) -> u32 {
    u32::try_from(weight.get()).unwrap_or(u32::MAX)
}

/// The cache engine behind the JavaScript `Cache` class. Not for direct use: the class owns
/// one and keeps its keys and values.
#[wasm_bindgen]
pub struct Engine {
    policy: Policy,
    slots: Slots,
    default_ttl: Option<Ttl>,
    header: Box<[f64; HEADER_LEN]>,
    /// Addresses of the per-slot arrays as last published, to notice when they move.
    published: (usize, usize, usize),
    failure: Option<Failure>,
}

#[wasm_bindgen]
impl Engine {
    /// An engine with the default limits; [`configure`](Self::configure) sets the options.
    #[wasm_bindgen(constructor)]
    #[allow(clippy::new_without_default)] // a JavaScript constructor
    pub fn new() -> Engine {
        crate::panic::install_hook();
        let mut engine = Engine {
            policy: Policy::new(Limits::default()),
            slots: Slots::default(),
            default_ttl: None,
            header: Box::new([0.0; HEADER_LEN]),
            published: (0, 0, usize::MAX),
            failure: None,
        };
        engine.publish();
        engine
    }

    /// Sets the options of a new engine: `maxEntries`, `maxBytes`, `maxEntryBytes`,
    /// `maxKeyBytes` and `defaultTtl` (`undefined`: not given), of which JavaScript found the
    /// first `checked` to be numbers (or absent); only those are checked, so that a refusal of
    /// an earlier option comes before JavaScript's own of the next. 0, or [`FAILED`].
    #[allow(clippy::too_many_arguments)] // numbers in, numbers out: the boundary's shape
    pub fn configure(
        &mut self,
        max_entries: Option<f64>,
        max_bytes: Option<f64>,
        max_entry_bytes: Option<f64>,
        max_key_bytes: Option<f64>,
        default_ttl: Option<f64>,
        checked: u32,
    ) -> i32 {
        let values = [
            max_entries,
            max_bytes,
            max_entry_bytes,
            max_key_bytes,
            default_ttl,
        ];
        let result = Options::parse(values, checked as usize).map(|options| {
            self.policy = Policy::new(options.limits);
            self.default_ttl = options.default_ttl;
            0
        });
        self.finish(result)
    }

    /// The address of the header (see [`Header`]).
    pub fn header(&self) -> u32 {
        address(self.header.as_ptr() as usize)
    }

    /// `maxKeyBytes`.
    #[wasm_bindgen(getter, js_name = maxKeyBytes)]
    pub fn max_key_bytes(&self) -> u32 {
        u32::try_from(self.policy.limits().max_key_bytes()).unwrap_or(u32::MAX)
    }

    /// Whether the error of the last call that failed is a `TypeError` (else a `RangeError`).
    #[wasm_bindgen(js_name = failureIsType)]
    pub fn failure_is_type(&self) -> bool {
        self.failure
            .as_ref()
            .is_none_or(|failure| failure.class == Class::Type)
    }

    /// The `code` of the error of the last call that failed.
    #[wasm_bindgen(js_name = failureCode)]
    pub fn failure_code(&self) -> String {
        self.failure
            .as_ref()
            .map_or(INVALID_TYPE, |failure| failure.code)
            .to_owned()
    }

    /// The message of the error of the last call that failed (read last: it is cleared).
    pub fn failure(&mut self) -> String {
        self.failure.take().map_or_else(
            || "no failure recorded".to_owned(),
            |failure| failure.message,
        )
    }

    /// Records a `wrong_type` error, naming `key`, for an operation on `expected` that found
    /// `found`.
    #[wasm_bindgen(js_name = wrongType)]
    pub fn wrong_type(&mut self, expected: u32, found: u32) {
        let error = Error::WrongType {
            expected: kind_of(expected),
            found: Some(kind_of(found)),
        };
        self.failure = Some(Failure::core("key", &error));
    }

    /// Checks a key's UTF-8 length against the limits: 0, or [`FAILED`] (for batch calls,
    /// which check every key before doing anything).
    #[wasm_bindgen(js_name = checkKey)]
    pub fn check_key(&mut self, key_len: u32) -> i32 {
        let result = self.check_key_len(key_len).map(|()| 0);
        self.finish_pure(result)
    }

    /// The kind of the held `slot`.
    pub fn kind(&self, slot: u32) -> u32 {
        match self.held(slot) {
            Some(slot) => u32::from(self.policy.tag(slot)),
            None => KIND_BYTES,
        }
    }

    /// Whether the held `slot` is live at `now` (recorded as seen). No counter or policy
    /// effects: for `has`, `peek` and iteration when a deadline code alone cannot tell.
    pub fn live(&self, slot: u32, now: f64) -> bool {
        let Some(slot) = self.held(slot) else {
            return false;
        };
        let now = self.policy.observe(timestamp(now));
        self.policy.is_live(slot, now)
    }

    /// A lookup of the held `slot` (or -1 for a key JavaScript does not hold) at `now` that
    /// counts: 1 if it is live (a hit; the entry is marked as used), 0 if not (a miss; an
    /// expired entry is reclaimed and forgotten).
    pub fn lookup(&mut self, slot: i32, now: f64) -> i32 {
        let now = self.begin(now);
        let live = match self.found(slot, now) {
            Found::Live(slot) => {
                self.policy.record_hit(slot);
                1
            }
            Found::Absent => {
                self.policy.record_miss();
                0
            }
        };
        self.publish();
        live
    }

    /// Stores a byte value (its stored form `value_len` bytes) in `slot` (-1: the key is not
    /// held; then its UTF-8 length is `key_len` and its fingerprint `fingerprint`, which are
    /// otherwise the held slot's, as in every call below), with the expiry `ttl_mode`/`ttl`. Returns
    /// the slot now holding it, [`PRESENT`] if `only_if_absent` and a live entry is there, or
    /// [`FAILED`].
    #[allow(clippy::too_many_arguments)] // numbers in, numbers out: the boundary's shape
    pub fn write(
        &mut self,
        slot: i32,
        fingerprint: u32,
        key_len: u32,
        value_len: f64,
        ttl_mode: u32,
        ttl: f64,
        now: f64,
        only_if_absent: bool,
    ) -> i32 {
        let key = self.key(slot, fingerprint, key_len);
        let result = (|| {
            let expiry = self.expiry(ttl_mode, ttl, "options.ttl")?;
            let weight = self.bytes_weight(key.len, value_len)?;
            let now = self.begin(now);
            let found = self.found(slot, now);
            if only_if_absent && let Found::Live(_) = found {
                return Ok(PRESENT);
            }
            let Ok(deadline) = self.deadline(expiry, found, now) else {
                return Ok(EXPIRED);
            };
            let slot = self.store(found, key, weight, deadline, KIND_BYTES, now);
            Ok(slot_number(slot))
        })();
        self.finish(result)
    }

    /// Adds `by` (a safe integer) to the decimal integer `current` (`undefined`: the key is
    /// missing or expired, or its value is not a string) under `slot` and stores the result as
    /// the value, keeping any expiry; Redis `INCRBY` semantics. Returns the result as a decimal
    /// string (the slot holding it is in `OUT_A`), or `undefined` if refused.
    pub fn incr(
        &mut self,
        slot: i32,
        fingerprint: u32,
        key_len: u32,
        current: Option<String>,
        by: f64,
        now: f64,
    ) -> Option<String> {
        let result = self.incr_inner(slot, fingerprint, key_len, current, by, now);
        self.finish_value(result)
    }

    /// Removes the entry in `slot` (any kind); 1 if it was live, 0 if not.
    pub fn remove(&mut self, slot: i32, now: f64) -> i32 {
        let now = self.begin(now);
        let result = match self.found(slot, now) {
            Found::Live(held) => {
                self.policy.remove(&self.slots, held, Removal::Deleted);
                self.slots.drop_payload(held);
                self.slots.forgotten.push(held.as_u32());
                1
            }
            Found::Absent => 0,
        };
        self.publish();
        result
    }

    /// Replaces the expiry of the live entry in `slot` (`ttl_mode` [`TTL_NONE`] or
    /// [`TTL_GIVEN`]); 1 if there was one, 0 if not, or [`FAILED`].
    pub fn touch(&mut self, slot: i32, ttl_mode: u32, ttl: f64, now: f64) -> i32 {
        let result = (|| {
            let expiry = self.expiry(ttl_mode, ttl, "ttl")?;
            let now = self.begin(now);
            Ok(match self.found(slot, now) {
                Found::Live(held) => {
                    let Ok(mut deadline) = self.deadline(expiry, Found::Live(held), now) else {
                        return Ok(0);
                    };
                    if u32::from(self.policy.tag(held)) == KIND_MEMBERS {
                        // A member set never outlives its members.
                        deadline = self.members(held).entry_deadline(deadline);
                    }
                    self.policy.set_deadline(held, deadline);
                    1
                }
                Found::Absent => 0,
            })
        })();
        self.finish(result)
    }

    /// The remaining time to live of `slot` in ms (at least 1), `Infinity` for no expiry, or -1
    /// if it holds no live entry. No counter or policy effects.
    pub fn remaining(&self, slot: i32, now: f64) -> f64 {
        let now = self.policy.observe(timestamp(now));
        match self.found_preview(slot, now) {
            Found::Live(held) => match self.policy.deadline(held) {
                None => f64::INFINITY,
                Some(deadline) => {
                    let left = deadline.millis_since(now.timestamp()).min(Ttl::MAX_MILLIS);
                    convert::number(left.max(1))
                }
            },
            Found::Absent => -1.0,
        }
    }

    /// Appends an item whose stored form is `item_len` bytes to the list in `slot` (-1: none)
    /// under a key of `key_len` bytes, keeping the newest `cap` items; `ttl_mode` [`TTL_KEEP`]
    /// keeps the expiry. Returns the slot (or [`FAILED`]); `OUT_A` is the new length and `OUT_B`
    /// how many of the oldest items JavaScript must drop.
    #[allow(clippy::too_many_arguments)] // numbers in, numbers out: the boundary's shape
    #[wasm_bindgen(js_name = listPush)]
    pub fn list_push(
        &mut self,
        slot: i32,
        fingerprint: u32,
        key_len: u32,
        item_len: f64,
        cap: f64,
        ttl_mode: u32,
        ttl: f64,
        now: f64,
    ) -> i32 {
        let key = self.key(slot, fingerprint, key_len);
        let result = (|| {
            let expiry = self.expiry(ttl_mode, ttl, "options.ttl")?;
            self.check_key_len(key.len)?;
            let cap = list_cap(cap)?;
            let at = self.policy.preview(timestamp(now));
            let found = self.found_preview(slot, at);
            let limits = *self.policy.limits();
            let item = length(item_len);
            let plan = match found {
                Found::Live(held) => {
                    self.expect(held, Kind::List)?;
                    self.list(held)
                        .plan_push(key.len as usize, item, cap, &limits)
                }
                Found::Absent => {
                    CappedList::<u32>::new().plan_push(key.len as usize, item, cap, &limits)
                }
            }
            .map_err(|error| Failure::core("value", &error))?;
            let now = self.begin(now);
            let found = self.found(slot, now);
            let item = u32::try_from(item).unwrap_or(u32::MAX);
            let held = match found {
                Found::Live(held) => {
                    self.policy.reweigh(&mut self.slots, held, plan.weight, now);
                    self.slots.info[held.index()].weight = weight32(plan.weight);
                    self.list_mut(held).push(item, plan).for_each(drop);
                    if let Expiry::After(ttl) = expiry {
                        self.policy.set_deadline(held, Some(now.after(ttl)));
                    }
                    self.policy.record_write(held);
                    held
                }
                Found::Absent => {
                    let deadline = match expiry {
                        Expiry::After(ttl) => Some(now.after(ttl)),
                        _ => None,
                    };
                    let held = self.insert(key, plan.weight, deadline, KIND_LIST, now);
                    let mut list = CappedList::new();
                    list.push(item, plan).for_each(drop);
                    self.slots
                        .payloads
                        .insert(held.as_u32(), Payload::List(list));
                    held
                }
            };
            self.header[Header::OutA as usize] = plan.len as f64;
            self.header[Header::OutB as usize] = plan.dropped as f64;
            Ok(slot_number(held))
        })();
        self.finish(result)
    }

    /// A counted read of the list in `slot` from `start` to `stop` (Redis `LRANGE` indices,
    /// whole numbers): 1 with the first position in `OUT_A` and the count in `OUT_B`, 0 for no
    /// list (a miss), or [`FAILED`].
    #[wasm_bindgen(js_name = listRange)]
    pub fn list_range(&mut self, slot: i32, start: f64, stop: f64, now: f64) -> i32 {
        let result = (|| {
            let start = index("start", start)?;
            let stop = index("stop", stop)?;
            self.check_kind_at(slot, now, Kind::List)?;
            let now = self.begin(now);
            Ok(match self.found(slot, now) {
                Found::Live(held) => {
                    self.policy.record_hit(held);
                    let range = range_bounds(self.list(held).len(), start, stop);
                    self.header[Header::OutA as usize] = range.start as f64;
                    self.header[Header::OutB as usize] = range.len() as f64;
                    1
                }
                Found::Absent => {
                    self.policy.record_miss();
                    0
                }
            })
        })();
        self.finish(result)
    }

    /// The number of items of the list in `slot` (0 for none), or [`FAILED`].
    #[wasm_bindgen(js_name = listLen)]
    pub fn list_len(&mut self, slot: i32, now: f64) -> f64 {
        let result = (|| {
            self.check_kind_at(slot, now, Kind::List)?;
            let now = self.policy.observe(timestamp(now));
            Ok(match self.found_preview(slot, now) {
                Found::Live(held) => self.list(held).len() as i32,
                Found::Absent => 0,
            })
        })();
        f64::from(self.finish(result))
    }

    /// Adds or refreshes `member` of the member set in `slot` (-1: none) with its own `ttl`
    /// (ms). Returns the slot (or [`FAILED`]); `OUT_A` is 1 if the member was not live before.
    #[allow(clippy::too_many_arguments)] // numbers in, numbers out: the boundary's shape
    #[wasm_bindgen(js_name = memberAdd)]
    pub fn member_add(
        &mut self,
        slot: i32,
        fingerprint: u32,
        key_len: u32,
        member: &str,
        ttl: f64,
        now: f64,
    ) -> i32 {
        let key = self.key(slot, fingerprint, key_len);
        let result = (|| {
            let ttl = convert::ttl("options.ttl", ttl)?;
            self.check_key_len(key.len)?;
            let limits = *self.policy.limits();
            MemberSet::check_member(member, &limits)
                .map_err(|error| Failure::core("member", &error))?;
            let at = self.policy.preview(timestamp(now));
            let found = self.found_preview(slot, at);
            let weight = match found {
                Found::Live(held) => {
                    self.expect(held, Kind::Members)?;
                    self.members(held)
                        .plan_add(key.len as usize, member, &limits, at)
                }
                Found::Absent => MemberSet::new().plan_add(key.len as usize, member, &limits, at),
            }
            .map_err(|error| Failure::core("member", &error))?;
            let now = self.begin(now);
            let deadline = now.after(ttl);
            let (held, added) = match self.found(slot, now) {
                Found::Live(held) => {
                    self.policy.reweigh(&mut self.slots, held, weight, now);
                    self.slots.info[held.index()].weight = weight32(weight);
                    let set = self.members_mut(held);
                    set.prune(now);
                    let added = set.add(member, deadline, now);
                    let latest = set.latest_deadline();
                    self.policy.set_deadline(held, latest);
                    self.policy.record_write(held);
                    (held, added)
                }
                Found::Absent => {
                    let held = self.insert(key, weight, Some(deadline), KIND_MEMBERS, now);
                    let mut set = MemberSet::new();
                    set.add(member, deadline, now);
                    self.slots
                        .payloads
                        .insert(held.as_u32(), Payload::Members(set));
                    (held, true)
                }
            };
            self.header[Header::OutA as usize] = f64::from(u8::from(added));
            Ok(slot_number(held))
        })();
        self.finish(result)
    }

    /// The live members of the member set in `slot`, in byte order, as a list of names (see
    /// `src/names.rs`; a counted read; expired members are pruned, and a set left empty is
    /// forgotten), or `undefined` if refused.
    #[wasm_bindgen(js_name = membersOf)]
    pub fn members_of(&mut self, slot: i32, now: f64) -> Option<String> {
        let checked = self.check_kind_at(slot, now, Kind::Members);
        self.finish_value(checked)?;
        let now = self.begin(now);
        let names = match self.found(slot, now) {
            Found::Live(held) if self.prune(held, now, None) => {
                self.policy.record_hit(held);
                self.members(held).live(now).fold(Text::new(), names::push)
            }
            _ => {
                self.policy.record_miss();
                Text::new()
            }
        };
        self.publish();
        Some(names.into())
    }

    /// Removes `member` from the member set in `slot`; 1 if it was live, 0 if not, or
    /// [`FAILED`]. A set left empty is forgotten.
    #[wasm_bindgen(js_name = memberRemove)]
    pub fn member_remove(&mut self, slot: i32, member: &str, now: f64) -> i32 {
        let result = (|| {
            MemberSet::check_member(member, self.policy.limits())
                .map_err(|error| Failure::core("member", &error))?;
            self.check_kind_at(slot, now, Kind::Members)?;
            let now = self.begin(now);
            let Found::Live(held) = self.found(slot, now) else {
                return Ok(0);
            };
            let live = self.members(held).live(now).any(|name| name == member);
            if live {
                self.prune(held, now, Some(member));
            }
            Ok(i32::from(live))
        })();
        self.finish(result)
    }

    /// Removes every entry (JavaScript forgets its own); counters stay.
    pub fn clear(&mut self) {
        self.policy.clear();
        self.slots = Slots::default();
        self.publish();
    }

    /// Reclaims every expired entry now; returns how many (they are in the forgotten list).
    #[wasm_bindgen(js_name = purgeExpired)]
    pub fn purge_expired(&mut self, now: f64) -> u32 {
        self.slots.forgotten.clear();
        let removed = self.policy.purge_expired(&mut self.slots, timestamp(now));
        self.publish();
        u32::try_from(removed).unwrap_or(u32::MAX)
    }

    /// Entries held (expired ones included until reclaimed).
    pub fn size(&self) -> u32 {
        u32::try_from(self.policy.len()).unwrap_or(u32::MAX)
    }

    /// Bytes held.
    pub fn bytes(&self) -> f64 {
        convert::number(self.policy.weight())
    }

    /// The counters as `name=value` pairs, comma-separated, after adding the hits and misses
    /// JavaScript counted itself since the last call.
    pub fn stats(&mut self, hits: f64, misses: f64) -> String {
        // Counts of lookups are whole numbers below 2^53.
        self.policy.add_lookups(hits as u64, misses as u64);
        stats_text(&self.policy.stats())
    }

    /// The live slots, least valuable first, each followed by its absolute deadline (`NaN`: no
    /// expiry): the order and deadlines of a snapshot.
    pub fn export(&self, now: f64) -> Vec<f64> {
        let now = self.policy.observe(timestamp(now));
        let mut out = Vec::new();
        for slot in self.policy.oldest_first() {
            if !self.policy.is_live(slot, now) {
                continue;
            }
            out.push(f64::from(slot.as_u32()));
            out.push(
                self.policy
                    .deadline(slot)
                    .map_or(f64::NAN, |at| convert::number(at.as_millis())),
            );
        }
        out
    }

    /// The live members of the member set in `slot` with their deadlines, as a list of names
    /// (see `src/names.rs`) `[member, ms, …]`, each deadline in decimal, for a snapshot (no
    /// counter effects).
    #[wasm_bindgen(js_name = memberDeadlines)]
    pub fn member_deadlines(&self, slot: u32, now: f64) -> String {
        let now = self.policy.observe(timestamp(now));
        let mut out = Text::new();
        if let Some(Payload::Members(set)) = self.slots.payloads.get(slot) {
            for (member, deadline) in set.iter().filter(|&(_, at)| at > now.timestamp()) {
                out = names::push(out, member);
                let ms = String::from(Text::new().n(deadline.as_millis()));
                out = names::push(out, &ms);
            }
        }
        out.into()
    }

    /// Checks a snapshot's byte entry before anything is stored: 0, or [`FAILED`].
    #[wasm_bindgen(js_name = checkBytes)]
    pub fn check_bytes(&mut self, key_len: u32, value_len: f64) -> i32 {
        let result = self.bytes_weight(key_len, value_len).map(|_| 0);
        self.finish_pure(result)
    }

    /// Checks a snapshot's list entry (its items' stored lengths) before anything is stored.
    #[wasm_bindgen(js_name = checkList)]
    pub fn check_list(&mut self, key_len: u32, item_lens: &[f64]) -> i32 {
        let result = self.list_weight(key_len, item_lens).map(|_| 0);
        self.finish_pure(result)
    }

    /// Checks a snapshot's member-set entry (its `members`, a list of names: see
    /// `src/names.rs`) before anything is stored.
    #[wasm_bindgen(js_name = checkMembers)]
    pub fn check_members(&mut self, key_len: u32, members: &str) -> i32 {
        let result = split_members(members)
            .and_then(|members| self.members_weight(key_len, &members))
            .map(|_| 0);
        self.finish_pure(result)
    }

    /// Stores a snapshot's list (checked with `checkList`) with the absolute `deadline` (`NaN`:
    /// none) in `slot` (-1: none): the slot, or [`EXPIRED`].
    #[wasm_bindgen(js_name = restoreList)]
    pub fn restore_list(
        &mut self,
        slot: i32,
        fingerprint: u32,
        key_len: u32,
        item_lens: &[f64],
        deadline: f64,
        now: f64,
    ) -> i32 {
        let key = self.key(slot, fingerprint, key_len);
        let result = (|| {
            let weight = self.list_weight(key.len, item_lens)?;
            let expiry = self.expiry(TTL_AT, deadline, "snapshot expiresAt")?;
            let now = self.begin(now);
            let found = self.found(slot, now);
            let Ok(deadline) = self.deadline(expiry, found, now) else {
                return Ok(EXPIRED);
            };
            let held = self.store(found, key, weight, deadline, KIND_LIST, now);
            let mut list = CappedList::new();
            for &len in item_lens {
                list.append(u32::try_from(length(len)).unwrap_or(u32::MAX));
            }
            self.slots
                .payloads
                .insert(held.as_u32(), Payload::List(list));
            Ok(slot_number(held))
        })();
        self.finish(result)
    }

    /// Stores a snapshot's member set (checked with `checkMembers`), each member with its
    /// absolute deadline; members expired by `now` are left out, and a set with none left is not
    /// stored ([`EXPIRED`]). The set ends at the earlier of `deadline` (the entry's) and its
    /// latest member's deadline: a set never outlives its members.
    #[allow(clippy::too_many_arguments)] // numbers in, numbers out: the boundary's shape
    #[wasm_bindgen(js_name = restoreMembers)]
    pub fn restore_members(
        &mut self,
        slot: i32,
        fingerprint: u32,
        key_len: u32,
        members: &str,
        deadlines: &[f64],
        deadline: f64,
        now: f64,
    ) -> i32 {
        let key = self.key(slot, fingerprint, key_len);
        let result = (|| {
            let members = split_members(members)?;
            let expiry = self.expiry(TTL_AT, deadline, "snapshot expiresAt")?;
            let now = self.begin(now);
            let mut set = MemberSet::new();
            for (member, &at) in members.iter().zip(deadlines) {
                set.restore(member, timestamp(at));
            }
            set.prune(now);
            if set.is_empty() {
                return Ok(EXPIRED);
            }
            let weight = self
                .policy
                .limits()
                .check_weight(set.weight(key.len as usize))
                .map_err(|error| Failure::core("snapshot", &error))?;
            let found = self.found(slot, now);
            let Ok(deadline) = self.deadline(expiry, found, now) else {
                return Ok(EXPIRED);
            };
            let deadline = set.entry_deadline(deadline);
            let held = self.store(found, key, weight, deadline, KIND_MEMBERS, now);
            self.slots
                .payloads
                .insert(held.as_u32(), Payload::Members(set));
            Ok(slot_number(held))
        })();
        self.finish(result)
    }
}

/// For the Rust tests only: not exported, since the messages use `core::fmt`, which the
/// `.wasm` does without.
impl Engine {
    /// Checks every internal invariant: a message, or `None`.
    pub fn validate(&self) -> Option<String> {
        if let Err(violation) = self.policy.validate(&self.slots) {
            return Some(violation.to_string());
        }
        let indexed = self.slots.payloads.at.iter().filter(|&&at| at > 0).count();
        if indexed != self.slots.payloads.held.len() {
            return Some(format!(
                "{indexed} slots index a payload, {} payloads are held",
                self.slots.payloads.held.len()
            ));
        }
        for (slot, payload) in self.slots.payloads.iter() {
            if self
                .slots
                .payloads
                .get(slot)
                .map(|found| found as *const Payload)
                != Some(payload as *const Payload)
            {
                return Some(format!(
                    "the payload of slot {slot} is not indexed under it"
                ));
            }
            let held = Slot::from_u32(slot);
            let tag = self.policy.is_held(held).then(|| self.policy.tag(held));
            match payload {
                Payload::List(list) => {
                    if tag != Some(KIND_LIST as u8) {
                        return Some(format!("list filed under slot {slot}, which is not a list"));
                    }
                    if list.is_empty() {
                        return Some(format!("the list in slot {slot} is empty"));
                    }
                }
                Payload::Members(_) => {
                    if tag != Some(KIND_MEMBERS as u8) {
                        return Some(format!(
                            "member set filed under slot {slot}, which is not one"
                        ));
                    }
                }
            }
        }
        None
    }
}

/// The expiry a call asks for, from its `ttl_mode` and `ttl`.
#[derive(Clone, Copy)]
enum Expiry {
    /// No expiry.
    Never,
    /// This long from now.
    After(Ttl),
    /// At this absolute deadline (from a snapshot).
    At(Timestamp),
    /// The entry's existing expiry (a new entry never expires).
    Keep,
}

/// An absolute deadline that has already passed: the entry is not stored.
struct AlreadyExpired;

/// What JavaScript's slot number stands for at this call's time.
#[derive(Clone, Copy)]
enum Found {
    Live(Slot),
    Absent,
}

// Internals.
impl Engine {
    /// The key of a call: the held slot's own (JavaScript need not measure or hash a key it
    /// holds), or the length and fingerprint JavaScript gave for a key it does not hold.
    fn key(&self, slot: i32, fingerprint: u32, len: u32) -> Key {
        match u32::try_from(slot).ok().and_then(|slot| self.held(slot)) {
            Some(held) => Key {
                len: u32::from(self.slots.info[held.index()].key_len),
                fingerprint: self.slots.info[held.index()].fingerprint,
            },
            None => Key { len, fingerprint },
        }
    }

    fn held(&self, slot: u32) -> Option<Slot> {
        let slot = Slot::from_u32(slot);
        self.policy.is_held(slot).then_some(slot)
    }

    /// Starts a mutating call: clears the forgotten list and lets the policy record the time
    /// and reclaim a few expired entries.
    fn begin(&mut self, now: f64) -> Now {
        self.slots.forgotten.clear();
        self.policy.begin(&mut self.slots, timestamp(now))
    }

    /// What `slot` holds at `now`, after [`begin`](Self::begin): an expired entry is reclaimed
    /// (and forgotten) here.
    fn found(&mut self, slot: i32, now: Now) -> Found {
        let Some(held) = u32::try_from(slot).ok().and_then(|slot| self.held(slot)) else {
            return Found::Absent;
        };
        if self.policy.is_live(held, now) {
            return Found::Live(held);
        }
        self.policy.remove(&self.slots, held, Removal::Expired);
        self.slots.drop_payload(held);
        self.slots.forgotten.push(held.as_u32());
        Found::Absent
    }

    /// [`found`](Self::found) without reclaiming, for a call that may still be refused.
    fn found_preview(&self, slot: i32, now: Now) -> Found {
        match u32::try_from(slot).ok().and_then(|slot| self.held(slot)) {
            Some(held) if self.policy.is_live(held, now) => Found::Live(held),
            _ => Found::Absent,
        }
    }

    fn expect(&self, slot: Slot, kind: Kind) -> Result<(), Failure> {
        let found = kind_of(u32::from(self.policy.tag(slot)));
        if found == kind {
            return Ok(());
        }
        let error = Error::WrongType {
            expected: kind,
            found: Some(found),
        };
        Err(Failure::core("key", &error))
    }

    /// `wrong_type` if `slot` holds a live entry of another kind than `kind`.
    fn check_kind_at(&self, slot: i32, now: f64, kind: Kind) -> Result<(), Failure> {
        let at = self.policy.preview(timestamp(now));
        match self.found_preview(slot, at) {
            Found::Live(held) => self.expect(held, kind),
            Found::Absent => Ok(()),
        }
    }

    /// Stores an entry where `found` says: replaces a live one in place (any kind becomes
    /// `kind`; the old payload is dropped), or inserts after making room. Counts an update or
    /// an insert.
    fn store(
        &mut self,
        found: Found,
        key: Key,
        weight: EntryWeight,
        deadline: Option<Timestamp>,
        kind: u32,
        now: Now,
    ) -> Slot {
        match found {
            Found::Live(held) => {
                self.policy.reweigh(&mut self.slots, held, weight, now);
                self.slots.info[held.index()].weight = weight32(weight);
                self.slots.drop_payload_of(held, self.policy.tag(held));
                // Kinds are 0..=2, within the policy's two tag bits.
                self.policy.set_tag(held, kind as u8);
                self.policy.set_deadline(held, deadline);
                self.policy.record_write(held);
                held
            }
            Found::Absent => self.insert(key, weight, deadline, kind, now),
        }
    }

    fn insert(
        &mut self,
        key: Key,
        weight: EntryWeight,
        deadline: Option<Timestamp>,
        kind: u32,
        now: Now,
    ) -> Slot {
        // Kinds are 0..=2, within the policy's two tag bits.
        let slot = self.policy.insert(
            &mut self.slots,
            u64::from(key.fingerprint),
            weight,
            deadline,
            kind as u8,
            now,
        );
        self.slots.file(slot, weight, key);
        slot
    }

    /// The expiry a call asks for; `arg` names the TTL in messages.
    fn expiry(&self, mode: u32, ttl: f64, arg: &str) -> Result<Expiry, Failure> {
        Ok(match mode {
            TTL_DEFAULT => self.default_ttl.map_or(Expiry::Never, Expiry::After),
            TTL_GIVEN => Expiry::After(convert::ttl(arg, ttl)?),
            TTL_KEEP => Expiry::Keep,
            TTL_AT if !ttl.is_nan() => Expiry::At(convert::deadline(arg, ttl)?),
            _ => Expiry::Never,
        })
    }

    /// The deadline an entry stored where `found` says gets.
    fn deadline(
        &self,
        expiry: Expiry,
        found: Found,
        now: Now,
    ) -> Result<Option<Timestamp>, AlreadyExpired> {
        match expiry {
            Expiry::Never => Ok(None),
            Expiry::After(ttl) => Ok(Some(now.after(ttl))),
            Expiry::At(at) if at <= now.timestamp() => Err(AlreadyExpired),
            Expiry::At(at) => Ok(Some(at)),
            Expiry::Keep => Ok(match found {
                Found::Live(held) => self.policy.deadline(held),
                Found::Absent => None,
            }),
        }
    }

    fn check_key_len(&self, key_len: u32) -> Result<(), Failure> {
        self.policy
            .limits()
            .check_key_len(key_len as usize)
            .map_err(|error| Failure::core("key", &error))
    }

    fn bytes_weight(&self, key_len: u32, value_len: f64) -> Result<EntryWeight, Failure> {
        self.check_key_len(key_len)?;
        let weight = Limits::entry_weight(key_len as usize, length(value_len));
        self.policy
            .limits()
            .check_weight(weight)
            .map_err(|error| Failure::core("value", &error))
    }

    fn list_weight(&self, key_len: u32, item_lens: &[f64]) -> Result<EntryWeight, Failure> {
        self.check_key_len(key_len)?;
        if item_lens.is_empty() {
            return Err(Failure::core(
                "snapshot",
                &Error::InvalidSnapshot("a list entry has no items"),
            ));
        }
        let mut list = CappedList::<u32>::new();
        for &len in item_lens {
            list.append(u32::try_from(length(len)).unwrap_or(u32::MAX));
        }
        self.policy
            .limits()
            .check_weight(list.weight(key_len as usize))
            .map_err(|error| Failure::core("snapshot", &error))
    }

    fn members_weight(&self, key_len: u32, members: &[&str]) -> Result<EntryWeight, Failure> {
        self.check_key_len(key_len)?;
        if members.is_empty() {
            return Err(Failure::core(
                "snapshot",
                &Error::InvalidSnapshot("a member-set entry has no members"),
            ));
        }
        let mut set = MemberSet::new();
        for member in members {
            MemberSet::check_member(member, self.policy.limits())
                .map_err(|error| Failure::core("snapshot", &error))?;
            set.restore(member, Timestamp::ZERO);
        }
        self.policy
            .limits()
            .check_weight(set.weight(key_len as usize))
            .map_err(|error| Failure::core("snapshot", &error))
    }

    // Invariant: slots tagged as lists have their item lengths filed, and slots tagged as
    // member sets their set (`validate` checks).
    fn list(&self, slot: Slot) -> &CappedList<u32> {
        match self.slots.payloads.get(slot.as_u32()) {
            Some(Payload::List(list)) => list,
            _ => unreachable!("slots tagged as lists have their item lengths filed"),
        }
    }

    fn list_mut(&mut self, slot: Slot) -> &mut CappedList<u32> {
        match self.slots.payloads.get_mut(slot.as_u32()) {
            Some(Payload::List(list)) => list,
            _ => unreachable!("slots tagged as lists have their item lengths filed"),
        }
    }

    fn members(&self, slot: Slot) -> &MemberSet {
        match self.slots.payloads.get(slot.as_u32()) {
            Some(Payload::Members(set)) => set,
            _ => unreachable!("slots tagged as member sets have their set filed"),
        }
    }

    fn members_mut(&mut self, slot: Slot) -> &mut MemberSet {
        match self.slots.payloads.get_mut(slot.as_u32()) {
            Some(Payload::Members(set)) => set,
            _ => unreachable!("slots tagged as member sets have their set filed"),
        }
    }

    /// Prunes expired members of the set in `slot` (and `also`); a set left empty is removed
    /// and forgotten (false), else its deadline follows its latest member.
    fn prune(&mut self, slot: Slot, now: Now, also: Option<&str>) -> bool {
        let set = self.members(slot);
        let held = u64::from(self.slots.info[slot.index()].weight);
        let key_len = usize::from(self.slots.info[slot.index()].key_len);
        let weight = set.weight_after_prune(key_len, now, also);
        if weight == held {
            return true;
        }
        if weight == Limits::entry_weight(key_len, 0) {
            self.policy.remove(&self.slots, slot, Removal::Dropped);
            self.slots.drop_payload(slot);
            self.slots.forgotten.push(slot.as_u32());
            return false;
        }
        // Invariant: the set only shrinks, so its weight still fits. (No `expect`: it would
        // print the error with `Debug`, which the `.wasm` does without.)
        let Ok(weight) = self.policy.limits().check_weight(weight) else {
            unreachable!("a set that shrank still fits the entry limit");
        };
        self.policy.reweigh(&mut self.slots, slot, weight, now);
        self.slots.info[slot.index()].weight = weight32(weight);
        let set = self.members_mut(slot);
        set.prune(now);
        if let Some(member) = also {
            set.remove(member, now);
        }
        let latest = set.latest_deadline();
        self.policy.set_deadline(slot, latest);
        true
    }

    /// [`Engine::incr`], or why it is refused.
    fn incr_inner(
        &mut self,
        slot: i32,
        fingerprint: u32,
        key_len: u32,
        current: Option<String>,
        by: f64,
        now: f64,
    ) -> Result<String, Failure> {
        let key = self.key(slot, fingerprint, key_len);
        let by = convert::step("by", by)?;
        self.check_key_len(key.len)?;
        let at = self.policy.preview(timestamp(now));
        let found = self.found_preview(slot, at);
        if let Found::Live(held) = found {
            self.expect(held, Kind::Bytes)?;
        }
        let current = match (found, current) {
            (Found::Absent, _) => 0,
            (Found::Live(_), Some(text)) => chatcache_core::parse_integer(text.as_bytes())
                .ok_or_else(|| Failure::core("key", &Error::NotAnInteger))?,
            (Found::Live(_), None) => return Err(Failure::core("key", &Error::NotAnInteger)),
        };
        let result = current
            .checked_add(by)
            .ok_or_else(|| Failure::core("by", &Error::Overflow))?;
        let text = String::from(Text::new().i(result));
        let weight = self.bytes_weight(key.len, text.len() as f64)?;
        let now = self.begin(now);
        let found = self.found(slot, now);
        let deadline = match found {
            Found::Live(held) => self.policy.deadline(held),
            Found::Absent => None,
        };
        let slot = self.store(found, key, weight, deadline, KIND_BYTES, now);
        self.header[Header::OutA as usize] = f64::from(slot_number(slot));
        self.publish();
        Ok(text)
    }

    /// Records a failure for [`Engine::failure`] (`None`), or passes a value on.
    fn finish_value<T>(&mut self, result: Result<T, Failure>) -> Option<T> {
        result.map_err(|failure| self.failure = Some(failure)).ok()
    }

    /// Records a failure for [`Engine::failure`] or passes a result on; publishes the header.
    fn finish(&mut self, result: Result<i32, Failure>) -> i32 {
        self.publish();
        self.finish_pure(result)
    }

    fn finish_pure(&mut self, result: Result<i32, Failure>) -> i32 {
        match result {
            Ok(value) => value,
            Err(failure) => {
                self.failure = Some(failure);
                FAILED
            }
        }
    }

    /// Writes the header: the epoch, the forgotten slots, and (when they moved) the per-slot
    /// arrays' addresses.
    fn publish(&mut self) {
        let codes = self.policy.deadline_codes();
        let (codes_at, len) = (codes.as_ptr() as usize, codes.len());
        let access_at = self.policy.access_counts_mut().as_ptr() as usize;
        if (codes_at, access_at, len) != self.published {
            self.published = (codes_at, access_at, len);
            let header = &mut self.header;
            header[Header::Layout as usize] += 1.0;
            header[Header::Codes as usize] = f64::from(address(codes_at));
            header[Header::Access as usize] = f64::from(address(access_at));
            header[Header::Slots as usize] = len as f64;
        }
        let header = &mut self.header;
        header[Header::Epoch as usize] = convert::number(self.policy.epoch().as_millis());
        header[Header::Forgotten as usize] =
            f64::from(address(self.slots.forgotten.as_ptr() as usize));
        header[Header::ForgottenLen as usize] = self.slots.forgotten.len() as f64;
    }
}

/// An address in the module's memory (32-bit on wasm32; other targets are only for tests).
fn address(at: usize) -> u32 {
    u32::try_from(at).unwrap_or(0)
}

/// A slot as the number JavaScript keeps (slots are below 2^32 − 1).
fn slot_number(slot: Slot) -> i32 {
    i32::try_from(slot.as_u32()).unwrap_or(i32::MAX)
}

/// A clock reading JavaScript has checked: a whole, non-negative number of ms.
fn timestamp(now: f64) -> Timestamp {
    if now.is_finite() && now >= 0.0 {
        // Checked by the caller to be at most 2^53, so the cast is exact.
        Timestamp::from_millis(now as u64)
    } else {
        Timestamp::ZERO
    }
}

/// A length JavaScript measured (a whole number below 2^53); lengths beyond `usize` saturate
/// and so are refused as too large.
fn length(len: f64) -> usize {
    if len.is_finite() && len >= 0.0 {
        len as usize
    } else {
        usize::MAX
    }
}

fn kind_of(kind: u32) -> Kind {
    match kind {
        KIND_LIST => Kind::List,
        KIND_MEMBERS => Kind::Members,
        _ => Kind::Bytes,
    }
}

/// The names of a member list JavaScript joined (see `src/names.rs`).
fn split_members(members: &str) -> Result<Vec<&str>, Failure> {
    names::split(members).ok_or_else(|| {
        Failure::type_error(
            INVALID_TYPE,
            "members: not a list of names joined by joinNames",
        )
    })
}

fn list_cap(cap: f64) -> Result<ListCap, Failure> {
    if !convert::is_whole(cap) {
        return Err(Failure::range_error(
            INVALID_NUMBER,
            Text::new()
                .s("options.cap must be a whole number, got ")
                .s(&convert::show(cap)),
        ));
    }
    let cap = if cap < 0.0 { 0 } else { cap as u64 };
    ListCap::new(cap).map_err(|error| Failure::core("options.cap", &error))
}

fn index(arg: &str, value: f64) -> Result<i64, Failure> {
    if !(convert::is_whole(value) && value.abs() <= convert::MAX_SAFE_INTEGER) {
        return Err(Failure::range_error(
            INVALID_NUMBER,
            Text::new()
                .s(arg)
                .s(" must be a safe integer, got ")
                .s(&convert::show(value)),
        ));
    }
    // Checked above: a whole number of magnitude at most 2^53.
    Ok(value as i64)
}

fn stats_text(stats: &Stats) -> String {
    let mut text = Text::new();
    for (i, (name, value)) in [
        ("hits", stats.hits),
        ("misses", stats.misses),
        ("inserts", stats.inserts),
        ("updates", stats.updates),
        ("deletes", stats.deletes),
        ("evictionsCapacity", stats.evictions_capacity),
        ("evictionsExpired", stats.evictions_expired),
        ("entries", stats.entries),
        ("bytes", stats.bytes),
    ]
    .into_iter()
    .enumerate()
    {
        if i > 0 {
            text = text.s(",");
        }
        text = text.s(name).s("=").n(value);
    }
    text.into()
}
