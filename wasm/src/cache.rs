//! The `Cache` class.

use core::cell::{RefCell, RefMut};

use chatcache_core::{KeyTtl, Limits, Store, Timestamp, Ttl};
use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::codec;
use crate::convert;
use crate::error::{Failure, INVALID_KEY, INVALID_TYPE, REENTRANT_CALL, describe};
use crate::scratch;
use crate::snapshot;

/// What a fast path (`Cache::fast_get`, …) returns to ask for the general path.
const FAST_SLOW: i32 = -1;
/// What `Cache::fast_get` returns for a miss.
const FAST_MISS: i32 = 0;

/// Writes the location of `bytes` (the stored value or the part of it to decode) into the
/// direct area's header and returns how JavaScript decodes them: 1, a string; 2, a
/// `Uint8Array` (a copy); 3, JSON text (or, if it does not parse, the whole stored value as
/// a `Uint8Array`: the byte before them is the tag). See `codec::decode`, which this mirrors.
fn locate(header: &mut [u8], stored: &[u8]) -> i32 {
    let (kind, part) = match codec::classify(stored) {
        codec::Stored::Text(text) => (1, text.as_bytes()),
        codec::Stored::Bytes(bytes) => (2, bytes),
        codec::Stored::Json(text) => (3, text.as_bytes()),
    };
    let addr = u32::try_from(part.as_ptr() as usize).unwrap_or(0);
    let len = u32::try_from(part.len()).unwrap_or(0);
    if let Some(header) = header.get_mut(..8) {
        header[..4].copy_from_slice(&addr.to_le_bytes());
        header[4..].copy_from_slice(&len.to_le_bytes());
    }
    kind
}

/// The longest key (in bytes) the fast path takes; longer ones take the general path.
const FAST_KEY_BYTES: usize = 1024;

/// Names accepted in the constructor's options object.
const OPTION_NAMES: [&str; 6] = [
    "maxEntries",
    "maxBytes",
    "maxEntryBytes",
    "maxKeyBytes",
    "defaultTtl",
    "now",
];

/// The largest `maxBytes` (and `maxEntryBytes`) accepted: 2 GiB. A wasm32 module has at most
/// 4 GiB of memory; keeping the cache within half of it leaves room for bookkeeping, the
/// allocator and values on their way in and out, so that filling a cache to its limit cannot
/// run out of memory (which would abort the module).
const MAX_BYTES_CEILING: f64 = 2_147_483_648.0;

/// An in-memory cache of strings, bytes and JSON values with entry and byte limits, per-entry
/// expiry and scan-resistant S3-FIFO eviction: the same engine as the chatcache server.
///
/// Time is `Date.now()` unless the `now` option supplies a clock. Every refused call throws a
/// `TypeError` or `RangeError` whose `code` property says why, and leaves the cache unchanged.
/// Call `free()` when done (or use `using`); a `FinalizationRegistry` also frees a cache that
/// is garbage-collected without it.
///
/// @example
/// ```js
/// const cache = new Cache({ maxBytes: 8 << 20, defaultTtl: 60_000 });
/// cache.set('room:42:title', 'Rustaceans');
/// cache.set('user:7', { name: 'Ada', status: 'online' }, { ttl: 30_000 });
/// cache.get('user:7'); // { name: 'Ada', status: 'online' }
/// ```
#[wasm_bindgen]
pub struct Cache {
    /// The core store. Borrowed only for pure Rust work (see the crate docs).
    store: RefCell<Store>,
    /// A copy of the store's limits, for checking arguments before borrowing the store.
    limits: Limits,
    /// The TTL of writes that do not give one.
    default_ttl: Option<Ttl>,
    /// The `now` option, or `None` for `Date.now()`. A clock that steps back needs no care
    /// here: the store keeps the latest time it has seen, reads included.
    clock: Option<Function>,
}

#[wasm_bindgen]
impl Cache {
    /// Creates an empty cache.
    ///
    /// Options (all optional): `maxEntries` (default 100,000), `maxBytes` (default 64 MiB),
    /// `maxEntryBytes` (default 1 MiB, or `maxBytes` if smaller), `maxKeyBytes` (default 1,024,
    /// at most 65,535), `defaultTtl` in ms (default: no expiry), and `now`, a function
    /// returning the time in ms (default `Date.now`).
    /// Unknown option names are refused, to catch typos.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "CacheOptions")] options: Option<Object>,
    ) -> Result<Cache, JsValue> {
        crate::panic::install_hook();
        codec::init_fast_paths(
            &wasm_bindgen::memory(),
            scratch::direct_addr(),
            scratch::DIRECT_SIZE as u32,
        );
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        let Options {
            limits,
            default_ttl,
            clock,
        } = Options::parse(&options)?;
        let store = Store::with_hash_seed(limits, hash_seed());
        Ok(Cache {
            store: RefCell::new(store),
            limits,
            default_ttl,
            clock,
        })
    }

    /// The value under `key`, or `undefined` if there is none (or it has expired). Counts a
    /// hit or a miss.
    #[wasm_bindgen(unchecked_return_type = "Value | undefined")]
    pub fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
    ) -> Result<JsValue, JsValue> {
        self.with_key(&key, "key", |key, now| {
            let mut store = self.store()?;
            let found = store
                .get(key, now)
                .map_err(|error| Failure::core("key", &error))?;
            Ok(found.map_or(JsValue::UNDEFINED, codec::decode))
        })
    }

    /// Stores `value` under `key`, replacing any previous value.
    ///
    /// `options.ttl` is the time to live in ms; leave it out for the cache's `defaultTtl`, or
    /// pass `null` for no expiry. If the entry is refused (too large, bad key or TTL), the
    /// previous value is kept.
    #[wasm_bindgen(skip_typescript)] // declared generically in types.rs
    pub fn set(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        value: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "SetOptions")] options: Option<Object>,
    ) -> Result<(), JsValue> {
        self.with_entry(&key, &value, options, |key, value, ttl, now| {
            let mut store = self.store()?;
            store
                .set(key, value, ttl, now)
                .map_err(|error| Failure::core("value", &error))?;
            Ok(())
        })
    }

    /// Stores `value` under `key` only if no live entry is there. Returns `true` if stored.
    /// Options as for `set`.
    #[wasm_bindgen(skip_typescript)] // declared generically in types.rs
    pub fn add(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        value: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "SetOptions")] options: Option<Object>,
    ) -> Result<bool, JsValue> {
        self.with_entry(&key, &value, options, |key, value, ttl, now| {
            let mut store = self.store()?;
            Ok(store
                .add(key, value, ttl, now)
                .map_err(|error| Failure::core("value", &error))?)
        })
    }

    /// Removes the entry under `key`. Returns `true` if a live entry was removed.
    pub fn delete(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
    ) -> Result<bool, JsValue> {
        self.with_key(&key, "key", |key, now| {
            let mut store = self.store()?;
            Ok(store
                .delete(key, now)
                .map_err(|error| Failure::core("key", &error))?)
        })
    }

    /// Whether a live entry is under `key`. Does not count as a hit or a use.
    pub fn has(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
    ) -> Result<bool, JsValue> {
        self.with_key(&key, "key", |key, now| {
            let store = self.store()?;
            Ok(store
                .contains(key, now)
                .map_err(|error| Failure::core("key", &error))?)
        })
    }

    /// Replaces the expiry of the entry under `key`: `ttl` ms from now, or `null` for none.
    /// Returns `false` if there is no live entry.
    pub fn touch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number | null")] ttl: JsValue,
    ) -> Result<bool, JsValue> {
        let key = self.key(&key, "key")?;
        let ttl = if ttl.is_null() {
            None
        } else {
            let millis = ttl.as_f64().ok_or_else(|| {
                Failure::type_error(
                    INVALID_TYPE,
                    format!(
                        "ttl must be a number of milliseconds or null, got {}",
                        describe(&ttl)
                    ),
                )
            })?;
            Some(convert::ttl("ttl", millis)?)
        };
        let now = self.now()?;
        let mut store = self.store()?;
        Ok(store
            .touch(&key, ttl, now)
            .map_err(|error| Failure::core("ttl", &error))?)
    }

    /// The remaining time to live of the entry under `key` in ms (at least 1), `Infinity` if
    /// it never expires, or `undefined` if there is no live entry.
    #[wasm_bindgen(unchecked_return_type = "number | undefined")]
    pub fn ttl(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
    ) -> Result<JsValue, JsValue> {
        let key = self.key(&key, "key")?;
        let now = self.now()?;
        let store = self.store()?;
        let ttl = store
            .ttl(&key, now)
            .map_err(|error| Failure::core("key", &error))?;
        Ok(match ttl {
            None => JsValue::UNDEFINED,
            Some(KeyTtl::Persistent) => JsValue::from_f64(f64::INFINITY),
            Some(KeyTtl::Remaining(ttl)) => JsValue::from_f64(convert::number(ttl.as_millis())),
        })
    }

    /// Adds `by` (default 1, a safe integer) to the decimal integer stored under `key` and
    /// returns the result, like Redis `INCRBY`.
    ///
    /// A missing key counts as `"0"` and becomes a persistent entry; an existing entry keeps
    /// its expiry. The stored value is a decimal string (`get` returns `"6"`, not `6`); any
    /// other value throws a `TypeError` with code `not_an_integer`, and a result outside the
    /// signed 64-bit range a `RangeError` with code `overflow`. Results beyond
    /// `Number.MAX_SAFE_INTEGER` are exact in the cache but rounded in the returned number.
    pub fn incr(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number")] by: JsValue,
    ) -> Result<f64, JsValue> {
        self.step(key, by, Step::Incr)
    }

    /// Subtracts `by` (default 1) from the decimal integer under `key`: `incr` with the
    /// opposite sign, like Redis `DECRBY`.
    pub fn decr(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number")] by: JsValue,
    ) -> Result<f64, JsValue> {
        self.step(key, by, Step::Decr)
    }

    /// The values under `keys`, in order, with `undefined` where there is none. Counts a hit
    /// or a miss per key. All keys are checked before any is read.
    #[wasm_bindgen(js_name = getMany, unchecked_return_type = "Array<Value | undefined>")]
    pub fn get_many(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Iterable<string>")] keys: JsValue,
    ) -> Result<Array, JsValue> {
        let keys = self.keys(&keys)?;
        let now = self.now()?;
        let mut store = self.store()?;
        let values = keys
            .iter()
            .map(|key| {
                let found = store
                    .get(key, now)
                    .map_err(|error| Failure::core("keys", &error))?;
                Ok(found.map_or(JsValue::UNDEFINED, codec::decode))
            })
            .collect::<Result<Vec<_>, Failure>>()?;
        drop(store);
        Ok(values.into_iter().collect())
    }

    /// Stores every `[key, value]` pair of `entries` (an array of pairs, a `Map`, any
    /// iterable), with the same `options` as `set`. Every entry is checked before any is
    /// stored, so a bad entry leaves the cache unchanged.
    #[wasm_bindgen(js_name = setMany, skip_typescript)] // declared generically in types.rs
    pub fn set_many(
        &self,
        entries: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "SetOptions")] options: Option<Object>,
    ) -> Result<(), JsValue> {
        let entries = self.entries(&entries)?;
        let ttl = self.ttl_option(options)?;
        let now = self.now()?;
        let mut store = self.store()?;
        for (key, value) in &entries {
            store
                .set(key, value, ttl, now)
                .map_err(|error| Failure::core("entries", &error))?;
        }
        Ok(())
    }

    /// Removes the entries under `keys` and returns how many live entries were removed. All
    /// keys are checked before any is removed.
    #[wasm_bindgen(js_name = deleteMany)]
    pub fn delete_many(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Iterable<string>")] keys: JsValue,
    ) -> Result<u32, JsValue> {
        let keys = self.keys(&keys)?;
        let now = self.now()?;
        let mut store = self.store()?;
        let mut removed = 0_u32;
        for key in &keys {
            if store
                .delete(key, now)
                .map_err(|error| Failure::core("keys", &error))?
            {
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Fast path of `get` for the JavaScript wrapper (`installFastPaths` in `js/values.js`,
    /// which removes this method from the prototype): the key is the `key_len` bytes after
    /// the direct area's header, `now` is `Date.now()`. Returns `FAST_MISS` (0), the value's kind
    /// tag with its location written to the header, or `FAST_SLOW` (-1) for the general path (a
    /// `now` option, a key the limits refuse, a busy store), having changed nothing.
    #[wasm_bindgen(js_name = __fastGet, skip_typescript)]
    pub fn fast_get(&self, key_len: u32, now: f64) -> i32 {
        self.fast(key_len, now, |key, now, header, _| {
            let mut store = self.store.try_borrow_mut().ok()?;
            let found = store.get(key, now).ok()?;
            Some(found.map_or(FAST_MISS, |bytes| locate(header, bytes)))
        })
    }

    /// Fast path of `has`, as [`Cache::fast_get`]: 0 or 1, or `FAST_SLOW`.
    #[wasm_bindgen(js_name = __fastHas, skip_typescript)]
    pub fn fast_has(&self, key_len: u32, now: f64) -> i32 {
        self.fast(key_len, now, |key, now, _, _| {
            let store = self.store.try_borrow().ok()?;
            store.contains(key, now).ok().map(i32::from)
        })
    }

    /// Fast path of `delete`, as [`Cache::fast_get`]: 0 or 1, or `FAST_SLOW`.
    #[wasm_bindgen(js_name = __fastDelete, skip_typescript)]
    pub fn fast_delete(&self, key_len: u32, now: f64) -> i32 {
        self.fast(key_len, now, |key, now, _, _| {
            let mut store = self.store.try_borrow_mut().ok()?;
            store.delete(key, now).ok().map(i32::from)
        })
    }

    /// Fast path of `set` without options, as [`Cache::fast_get`]: the stored bytes of the
    /// value (`value_len` of them) follow the key. 0, or `FAST_SLOW`.
    #[wasm_bindgen(js_name = __fastSet, skip_typescript)]
    pub fn fast_set(&self, key_len: u32, value_len: u32, now: f64) -> i32 {
        self.fast_write(key_len, value_len, now, |store, key, value, ttl, now| {
            store.set(key, value, ttl, now).ok().map(|()| 0)
        })
    }

    /// Fast path of `add` without options, as [`Cache::fast_set`]: 0 or 1, or `FAST_SLOW`.
    #[wasm_bindgen(js_name = __fastAdd, skip_typescript)]
    pub fn fast_add(&self, key_len: u32, value_len: u32, now: f64) -> i32 {
        self.fast_write(key_len, value_len, now, |store, key, value, ttl, now| {
            store.add(key, value, ttl, now).ok().map(i32::from)
        })
    }

    /// Removes every entry. Counters in `stats()` are kept.
    pub fn clear(&self) -> Result<(), JsValue> {
        self.store()?.clear();
        Ok(())
    }

    /// Removes every expired entry now (they are otherwise reclaimed a few at a time, and
    /// always before a live entry is evicted) and returns how many were removed.
    #[wasm_bindgen(js_name = purgeExpired)]
    pub fn purge_expired(&self) -> Result<u32, JsValue> {
        let now = self.now()?;
        let removed = self.store()?.purge_expired(now);
        Ok(u32::try_from(removed).unwrap_or(u32::MAX))
    }

    /// Entries held, including expired ones not yet reclaimed (call `purgeExpired()` first
    /// for an exact count of live entries).
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> Result<u32, JsValue> {
        let len = self.store()?.len();
        Ok(u32::try_from(len).unwrap_or(u32::MAX))
    }

    /// Bytes held: per entry, the key's UTF-8 length + the stored value's length + 48
    /// (see the README for how each kind of value is counted).
    #[wasm_bindgen(getter)]
    pub fn bytes(&self) -> Result<f64, JsValue> {
        Ok(convert::number(self.store()?.weight()))
    }

    /// The counters since the cache was created, as a plain object: `hits`, `misses`,
    /// `inserts`, `updates`, `deletes`, `evictionsCapacity`, `evictionsExpired`, `entries`
    /// and `bytes`.
    #[wasm_bindgen(unchecked_return_type = "CacheStats")]
    pub fn stats(&self) -> Result<Object, JsValue> {
        let stats = self.store()?.stats();
        let object = Object::new();
        for (name, value) in [
            ("hits", stats.hits),
            ("misses", stats.misses),
            ("inserts", stats.inserts),
            ("updates", stats.updates),
            ("deletes", stats.deletes),
            ("evictionsCapacity", stats.evictions_capacity),
            ("evictionsExpired", stats.evictions_expired),
            ("entries", stats.entries),
            ("bytes", stats.bytes),
        ] {
            Reflect::set(
                &object,
                &JsValue::from_str(name),
                &JsValue::from_f64(convert::number(value)),
            )?;
        }
        Ok(object)
    }

    /// A snapshot of every live entry: a plain object that survives `structuredClone` (so it
    /// can be stored in IndexedDB or posted to a worker). Each entry keeps its expiry as an
    /// absolute deadline on this cache's clock, so time that passes before `load` counts.
    #[wasm_bindgen(unchecked_return_type = "Snapshot")]
    pub fn dump(&self) -> Result<Object, JsValue> {
        let now = self.now()?;
        let exported = self.store()?.export(now);
        snapshot::to_js(&exported)
    }

    /// Restores a snapshot made by `dump()` (here or in another cache), into an empty or
    /// existing cache, keeping this cache's limits. Entries whose deadline has passed are
    /// skipped. The whole snapshot is checked first: if anything is wrong, nothing changes.
    #[wasm_bindgen(unchecked_return_type = "LoadSummary")]
    pub fn load(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Snapshot")] snapshot: JsValue,
    ) -> Result<Object, JsValue> {
        let parsed = snapshot::from_js(&snapshot, &self.limits)?;
        let now = self.now()?;
        let summary = self
            .store()?
            .import(&parsed, now)
            .map_err(|error| Failure::core("snapshot", &error))?;
        let object = Object::new();
        Reflect::set(
            &object,
            &JsValue::from_str("imported"),
            &JsValue::from_f64(summary.imported as f64),
        )?;
        Reflect::set(
            &object,
            &JsValue::from_str("expired"),
            &JsValue::from_f64(summary.expired as f64),
        )?;
        Ok(object)
    }
}

/// The constructor's options, checked.
struct Options {
    limits: Limits,
    default_ttl: Option<Ttl>,
    clock: Option<Function>,
}

impl Options {
    /// Reads and checks the options object (`undefined` and `null` mean all defaults).
    fn parse(options: &JsValue) -> Result<Self, JsValue> {
        let mut parsed = Options {
            limits: Limits::default(),
            default_ttl: None,
            clock: None,
        };
        if options.is_undefined() || options.is_null() {
            return Ok(parsed);
        }
        if !options.is_object() {
            return Err(Failure::type_error(
                INVALID_TYPE,
                format!("options must be an object, got {}", describe(options)),
            )
            .into());
        }
        check_option_names(options)?;
        let mut limits = Limits::builder();
        if let Some(value) = optional_number(options, "maxEntries")? {
            let max = Limits::ENTRIES_CEILING as f64;
            // Bounded by ENTRIES_CEILING (2^32 - 2), so the cast is exact on every target.
            limits = limits
                .max_entries(convert::positive_integer("options.maxEntries", value, max)? as usize);
        }
        if let Some(value) = optional_number(options, "maxBytes")? {
            // A small budget lowers the default per-entry limit rather than failing.
            limits = limits.max_bytes(convert::positive_integer(
                "options.maxBytes",
                value,
                MAX_BYTES_CEILING,
            )?);
        }
        if let Some(value) = optional_number(options, "maxEntryBytes")? {
            limits = limits.max_entry_bytes(convert::positive_integer(
                "options.maxEntryBytes",
                value,
                MAX_BYTES_CEILING,
            )?);
        }
        if let Some(value) = optional_number(options, "maxKeyBytes")? {
            // Bounded by KEY_BYTES_CEILING (65,535), so the cast is exact.
            limits = limits.max_key_bytes(convert::positive_integer(
                "options.maxKeyBytes",
                value,
                Limits::KEY_BYTES_CEILING as f64,
            )? as usize);
        }
        parsed.limits = limits.build().map_err(limits_failure)?;
        if let Some(value) = optional_number(options, "defaultTtl")? {
            parsed.default_ttl = Some(convert::ttl("options.defaultTtl", value)?);
        }
        let now = get(options, "now")?;
        if !now.is_undefined() {
            if !now.is_function() {
                return Err(Failure::type_error(
                    INVALID_TYPE,
                    format!(
                        "options.now must be a function returning milliseconds, got {}",
                        describe(&now)
                    ),
                )
                .into());
            }
            parsed.clock = Some(Function::from(now));
        }
        Ok(parsed)
    }
}

/// Which way `incr`/`decr` counts.
#[derive(Clone, Copy)]
enum Step {
    Incr,
    Decr,
}

impl Cache {
    /// Checks the store's internal invariants and that the limits hold (tests only).
    #[cfg(all(test, target_arch = "wasm32"))]
    pub(crate) fn check_invariants(&self) -> Result<(), String> {
        let store = self.store.try_borrow().map_err(|error| error.to_string())?;
        store.validate().map_err(|error| error.to_string())?;
        if store.len() > self.limits.max_entries() || store.weight() > self.limits.max_bytes() {
            return Err(format!(
                "limits exceeded: {} entries, {} bytes",
                store.len(),
                store.weight()
            ));
        }
        Ok(())
    }

    /// The store, for pure Rust work. Borrowing never fails, because no JavaScript runs while
    /// it is borrowed; if that were ever broken, the caller gets an error, not a trap.
    fn store(&self) -> Result<RefMut<'_, Store>, Failure> {
        self.store.try_borrow_mut().map_err(|_| {
            Failure::type_error(
                REENTRANT_CALL,
                "the cache was called while it was busy with another call",
            )
        })
    }

    /// The common part of the fast paths: the key from the direct area and the time. The
    /// store checks the key (and a write's entry) itself, and a call it refuses changes
    /// nothing, so a refusal simply becomes `FAST_SLOW` and the general path reports it.
    fn fast(
        &self,
        key_len: u32,
        now: f64,
        run: impl FnOnce(&str, Timestamp, &mut [u8], &[u8]) -> Option<i32>,
    ) -> i32 {
        if self.clock.is_some() {
            return FAST_SLOW;
        }
        let Ok(now) = convert::timestamp(now) else {
            return FAST_SLOW;
        };
        scratch::with_direct(FAST_SLOW, |header, rest| {
            if rest.len() < key_len as usize {
                return FAST_SLOW;
            }
            let (key, after) = rest.split_at(key_len as usize);
            core::str::from_utf8(key)
                .ok()
                .and_then(|key| run(key, now, header, after))
                .unwrap_or(FAST_SLOW)
        })
    }

    /// The common part of `fast_set` and `fast_add`: key and value from the direct area, the
    /// default TTL and the time.
    fn fast_write(
        &self,
        key_len: u32,
        value_len: u32,
        now: f64,
        run: impl FnOnce(&mut Store, &str, &[u8], Option<Ttl>, Timestamp) -> Option<i32>,
    ) -> i32 {
        self.fast(key_len, now, |key, now, _, after| {
            let value = after.get(..value_len as usize)?;
            let mut store = self.store.try_borrow_mut().ok()?;
            run(&mut store, key, value, self.default_ttl, now)
        })
    }

    /// Runs `run` with the key argument `key` (checked as by [`key_of`]; `arg` names it) and
    /// the time now, read in that order.
    ///
    /// A short ASCII key (the common case) is written straight into scratch memory, together
    /// with `Date.now()` when there is no `now` option; any other key, and any bad one, takes
    /// the general path, which reports errors.
    fn with_key<R>(
        &self,
        key: &JsValue,
        arg: &str,
        run: impl FnOnce(&str, Timestamp) -> Result<R, JsValue>,
    ) -> Result<R, JsValue> {
        let cap = self.limits.max_key_bytes().min(FAST_KEY_BYTES);
        let mut run = Some(run);
        if let Some(region) = scratch::reserve(8 + cap, false) {
            let default_clock = self.clock.is_none();
            // `cap` is at most FAST_KEY_BYTES, so the cast is exact.
            let len = codec::load_key(key, region.addr(), cap as u32, default_clock);
            if let Ok(len) = usize::try_from(len) {
                // With the `now` option, the clock runs now: after the key, before the store.
                let clock = if default_clock {
                    None
                } else {
                    Some(self.now()?)
                };
                let done = region.read(|bytes| {
                    let millis = f64::from_le_bytes(bytes.get(..8)?.try_into().ok()?);
                    let key = core::str::from_utf8(bytes.get(8..8 + len)?).ok()?;
                    let now = match clock {
                        Some(now) => Ok(now),
                        None => convert::timestamp(millis).map_err(JsValue::from),
                    };
                    let run = run.take()?;
                    Some(now.and_then(|now| run(key, now)))
                });
                if let Some(done) = done {
                    return done;
                }
            }
        }
        let key = self.key(key, arg)?;
        let now = self.now()?;
        match run.take() {
            Some(run) => run(&key, now),
            None => Err(Failure::type_error(REENTRANT_CALL, "internal error").into()),
        }
    }

    /// Runs `run` with the checked and encoded key and value of a write, its TTL (from
    /// `options`) and the time now, read in that order, as `set` and `add` need.
    ///
    /// A short ASCII key and a string or JSON value that fit the scratch area are written
    /// there directly; anything else takes the general path.
    fn with_entry<R>(
        &self,
        key: &JsValue,
        value: &JsValue,
        options: Option<Object>,
        run: impl FnOnce(&str, &[u8], Option<Ttl>, Timestamp) -> Result<R, JsValue>,
    ) -> Result<R, JsValue> {
        let cap = self.limits.max_key_bytes().min(FAST_KEY_BYTES);
        let fast = scratch::reserve(8 + cap, true).and_then(|region| {
            // `cap` is at most FAST_KEY_BYTES, so the cast is exact.
            let len = codec::load_key(key, region.addr(), cap as u32, false);
            usize::try_from(len).ok().map(|len| (region, len))
        });
        let Some((mut region, key_len)) = fast else {
            let (key, value) = self.entry(key, value, "key", "value")?;
            let ttl = self.ttl_option(options)?;
            let now = self.now()?;
            return run(&key, &value, ttl, now);
        };
        let value_at = 8 + key_len;
        let room = codec::room(key_len, &self.limits);
        let free = region.len() - value_at;
        // Without a `ttl` option to read and with `Date.now()` as the clock, JavaScript reads
        // the time right after the value, into the region's first 8 bytes.
        let clock_in_region = options.is_none() && self.clock.is_none();
        let loaded = codec::load_value(
            value,
            region.addr() + value_at as u32,
            u32::try_from(free).unwrap_or(u32::MAX),
            u32::try_from(room).unwrap_or(u32::MAX),
            if clock_in_region { region.addr() } else { 0 },
        )?;
        // Either the value's bytes follow the key in the region, or they are in `owned`.
        let (value_len, owned) = match usize::try_from(loaded) {
            Ok(value_len) => (value_len, None),
            Err(_) => {
                let prepared = codec::take_pending();
                let bytes =
                    codec::encode_prepared(value, &prepared, "value", key_len, &self.limits)?;
                (0, Some(bytes))
            }
        };
        region.shrink(value_at + value_len);
        let (checked, millis) = region.read(|bytes| {
            let key = core::str::from_utf8(bytes.get(8..value_at).unwrap_or(&[])).unwrap_or("");
            let value_len = owned.as_ref().map_or(value_len, Vec::len);
            let millis = bytes
                .get(..8)
                .and_then(|head| head.try_into().ok())
                .map(f64::from_le_bytes);
            (self.limits.check_entry(key, value_len), millis)
        });
        checked.map_err(|error| Failure::core("value", &error))?;
        // The caller's code may run from here (a `ttl` getter, the clock), and may re-enter.
        let ttl = self.ttl_option(options)?;
        let now = match millis {
            Some(millis) if clock_in_region && owned.is_none() => convert::timestamp(millis)?,
            _ => self.now()?,
        };
        region.read(|bytes| {
            let key = core::str::from_utf8(bytes.get(8..value_at).unwrap_or(&[])).unwrap_or("");
            let value = match &owned {
                Some(owned) => owned.as_slice(),
                None => bytes.get(value_at..value_at + value_len).unwrap_or(&[]),
            };
            run(key, value, ttl, now)
        })
    }

    /// The time now, from the `now` option or `Date.now()` (the store never lets it run
    /// backwards).
    fn now(&self) -> Result<Timestamp, JsValue> {
        let millis = match &self.clock {
            None => js_sys::Date::now(),
            Some(clock) => {
                let reading = clock.call0(&JsValue::UNDEFINED)?;
                reading.as_f64().ok_or_else(|| {
                    Failure::type_error(
                        crate::error::INVALID_CLOCK,
                        format!(
                            "now() must return a number of milliseconds, got {}",
                            describe(&reading)
                        ),
                    )
                })?
            }
        };
        Ok(convert::timestamp(millis)?)
    }

    /// A key argument: a string the limits accept.
    fn key(&self, key: &JsValue, arg: &str) -> Result<String, JsValue> {
        key_of(key, arg, &self.limits)
    }

    /// A key and an encoded value that together fit the per-entry limit.
    fn entry(
        &self,
        key: &JsValue,
        value: &JsValue,
        key_arg: &str,
        value_arg: &str,
    ) -> Result<(String, Vec<u8>), JsValue> {
        let key = self.key(key, key_arg)?;
        let value = codec::encode(value, value_arg, key.len(), &self.limits)?;
        self.limits
            .check_entry(&key, value.len())
            .map_err(|error| Failure::core(value_arg, &error))?;
        Ok((key, value))
    }

    /// A list of keys: any iterable of strings (but not a string itself).
    fn keys(&self, keys: &JsValue) -> Result<Vec<String>, JsValue> {
        let keys = codec::collect(keys, "keys", "an iterable of strings (e.g. an array)")?;
        (0..keys.length())
            .map(|index| self.key(&keys.get(index), &format!("keys[{index}]")))
            .collect()
    }

    /// A list of `[key, value]` pairs, checked and encoded.
    fn entries(&self, entries: &JsValue) -> Result<Vec<(String, Vec<u8>)>, JsValue> {
        let entries = codec::collect(
            entries,
            "entries",
            "an iterable of [key, value] pairs (e.g. an array or a Map)",
        )?;
        let mut parsed = Vec::with_capacity(entries.length() as usize);
        for (index, entry) in entries.iter().enumerate() {
            if !entry.is_object() {
                return Err(Failure::type_error(
                    INVALID_TYPE,
                    format!(
                        "entries[{index}] must be a [key, value] pair, got {}",
                        describe(&entry)
                    ),
                )
                .into());
            }
            let key = Reflect::get_u32(&entry, 0)?;
            let value = Reflect::get_u32(&entry, 1)?;
            parsed.push(self.entry(
                &key,
                &value,
                &format!("entries[{index}][0]"),
                &format!("entries[{index}][1]"),
            )?);
        }
        Ok(parsed)
    }

    /// The TTL of a write: `options.ttl`, else the default.
    fn ttl_option(&self, options: Option<Object>) -> Result<Option<Ttl>, JsValue> {
        let Some(options) = options else {
            return Ok(self.default_ttl);
        };
        let options: JsValue = options.into();
        if !options.is_object() {
            return Err(Failure::type_error(
                INVALID_TYPE,
                format!("options must be an object, got {}", describe(&options)),
            )
            .into());
        }
        let ttl = get(&options, "ttl")?;
        if ttl.is_undefined() {
            return Ok(self.default_ttl);
        }
        if ttl.is_null() {
            return Ok(None);
        }
        let millis = ttl.as_f64().ok_or_else(|| {
            Failure::type_error(
                INVALID_TYPE,
                format!(
                    "options.ttl must be a number of milliseconds or null, got {}",
                    describe(&ttl)
                ),
            )
        })?;
        Ok(Some(convert::ttl("options.ttl", millis)?))
    }

    /// `incr` and `decr`.
    fn step(&self, key: JsValue, by: JsValue, direction: Step) -> Result<f64, JsValue> {
        let key = self.key(&key, "key")?;
        let by = if by.is_undefined() {
            1
        } else {
            let by = by.as_f64().ok_or_else(|| {
                Failure::type_error(
                    INVALID_TYPE,
                    format!("by must be a number, got {}", describe(&by)),
                )
            })?;
            convert::step("by", by)?
        };
        let now = self.now()?;
        let mut store = self.store()?;
        let result = match direction {
            Step::Incr => store.incr(&key, by, now),
            Step::Decr => store.decr(&key, by, now),
        };
        let result = result.map_err(|error| Failure::core("key", &error))?;
        Ok(result as f64)
    }
}

/// A refusal of the limits, naming the JavaScript options.
fn limits_failure(invalid: chatcache_core::InvalidLimits) -> Failure {
    use chatcache_core::InvalidLimits;
    let code = chatcache_core::Error::from(invalid).code();
    let message = match invalid {
        InvalidLimits::EntryLargerThanTotal {
            max_entry_bytes,
            max_bytes,
        } => format!(
            "options.maxEntryBytes ({max_entry_bytes}) must not exceed options.maxBytes ({max_bytes})"
        ),
        InvalidLimits::EntryTooSmall { max_entry_bytes } => format!(
            "options.maxEntryBytes and options.maxBytes must exceed the per-entry overhead of {} \
             bytes, got {max_entry_bytes}",
            chatcache_core::ENTRY_OVERHEAD
        ),
        other => format!("options: invalid limits: {other}"),
    };
    Failure::range_error(code, message)
}

/// Refuses option names the constructor does not know.
fn check_option_names(options: &JsValue) -> Result<(), JsValue> {
    let keys = Reflect::own_keys(options)?;
    for key in keys.iter() {
        if let Some(name) = key.as_string()
            && !OPTION_NAMES.contains(&name.as_str())
        {
            return Err(Failure::type_error(
                INVALID_TYPE,
                format!(
                    "options.{name} is not an option (expected {})",
                    OPTION_NAMES.join(", ")
                ),
            )
            .into());
        }
    }
    Ok(())
}

/// `object[name]`, letting anything the caller's getter throws through as an error.
fn get(object: &JsValue, name: &str) -> Result<JsValue, JsValue> {
    Reflect::get(object, &JsValue::from_str(name))
}

/// `options[name]` if it is present: a number, or a `TypeError` naming the option.
fn optional_number(options: &JsValue, name: &str) -> Result<Option<f64>, JsValue> {
    let value = get(options, name)?;
    if value.is_undefined() {
        return Ok(None);
    }
    value.as_f64().map(Some).ok_or_else(|| {
        Failure::type_error(
            INVALID_TYPE,
            format!("options.{name} must be a number, got {}", describe(&value)),
        )
        .into()
    })
}

/// A key: a well-formed string the limits accept; `arg` names it in messages.
pub(crate) fn key_of(key: &JsValue, arg: &str, limits: &Limits) -> Result<String, JsValue> {
    let max = limits.max_key_bytes();
    let too_long = |units: usize| {
        Failure::range_error(
            chatcache_core::Error::KeyTooLong { len: units, max }.code(),
            format!(
                "{arg}: invalid key: {units} UTF-16 code units is longer than the maximum of \
                 {max} bytes"
            ),
        )
    };
    let malformed = || {
        Failure::range_error(
            INVALID_KEY,
            format!("{arg} must be well-formed UTF-16 (it has a lone surrogate)"),
        )
    };
    let text = codec::string(key, max, too_long, malformed)?.ok_or_else(|| {
        Failure::type_error(
            INVALID_TYPE,
            format!("{arg} must be a string, got {}", describe(key)),
        )
    })?;
    limits
        .check_key(&text)
        .map_err(|error| Failure::core(arg, &error))?;
    Ok(text)
}

/// A random seed for key hashing, so that nobody can aim hash collisions at a cache whose
/// keys come from other users: `crypto.getRandomValues` where available (browsers, Node,
/// Deno, workers), else `Math.random`.
fn hash_seed() -> u64 {
    let words = js_sys::Uint32Array::new_with_length(2);
    let filled = get(&js_sys::global(), "crypto").and_then(|crypto| {
        let fill = get(&crypto, "getRandomValues")?;
        let fill: Function = fill
            .dyn_into()
            .map_err(|_| JsValue::from_str("no getRandomValues"))?;
        fill.call1(&crypto, &words)
    });
    if filled.is_ok() {
        (u64::from(words.get_index(0)) << 32) | u64::from(words.get_index(1))
    } else {
        // 2^53 distinct values from each call; good enough for a hash seed.
        let high = (js_sys::Math::random() * 4_294_967_296.0) as u64;
        let low = (js_sys::Math::random() * 4_294_967_296.0) as u64;
        (high << 32) | low
    }
}
