// The `Cache` class of the npm package: one hand-written class that owns a wasm-bindgen
// `Engine` (the core's policy) and keeps the keys and values itself.
//
// - A `Map` gives each key's slot number; `#keys` and `#values` hold the key and the kept value
//   of each slot. The engine decides everything else (eviction, expiry, limits, counters) and
//   tells this class which slots it removed after each call ("forgotten" slots).
// - A read that hits makes no call into WebAssembly: the slot's deadline code and access count
//   are read and raised through typed arrays over the engine's own per-slot vectors, whose
//   addresses the engine publishes in a header (see src/engine.rs). Anything the codes cannot
//   decide (a deadline that has passed, a far deadline, an epoch that is due to move) takes the
//   engine call.
// - Values are copied and frozen on the way in (values.js), so the value read back is the kept
//   value itself.
// - Every constant shared with Rust (status values, header positions, error codes) comes from
//   the engine's `constants()` and `errorCodes()`; none is written here.
//
// The module is target-agnostic: each entry point (Node, web, bundlers, workerd) binds it to
// its own wasm-bindgen glue with `bindCache(glue)`.

import {
  collect,
  decodeStored,
  describe,
  encodeStored,
  failure,
  fingerprint,
  keyLength,
  measured,
  snapshotBytes,
  storable,
  utf8Length,
} from './values.js';

/**
 * The system clock, read at most once per task: the reading is kept until the next microtask
 * checkpoint (as lru-cache keeps its reading for a millisecond), so a burst of calls in one
 * task reads `Date.now()` once.
 */
let taskNow = 0;
const forgetTaskNow = () => {
  taskNow = 0;
};
function systemNow() {
  if (taskNow === 0) {
    taskNow = Date.now();
    queueMicrotask(forgetTaskNow);
  }
  return taskNow;
}

/** The snapshot format version `dump()` writes (1, byte values only, still loads). */
const SNAPSHOT_VERSION = 2;

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/**
 * Any UTF-16 surrogate: a key without one is well-formed; one with a surrogate gets the full
 * check. Measured against `isWellFormed()` on the miss rows: faster in Chromium (0.69–0.85×
 * lru-cache against 0.46–0.49×), the same in Node 20 within the noise.
 */
const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * The `Cache` class over one wasm-bindgen build of `chatcache-wasm`.
 *
 * @param {any} glue the wasm-bindgen module (its `Engine`, `constants`, `errorCodes`, `memory`)
 */
export function bindCache(glue) {
  /** Constants and error codes, read on first use (a web build must be initialised first). */
  // The engine's constants, as plain bindings (read on every call; no property lookups).
  let DEADLINE_FAR, DEADLINE_NEVER, EPOCH_SPAN_MS, EXPIRED, FAILED, HEADER_LEN, H_ACCESS, H_CODES, H_EPOCH, H_FORGOTTEN, H_FORGOTTEN_LEN, H_LAYOUT, H_OUT_A, H_OUT_B, H_SLOTS, KIND_BYTES, KIND_LIST, KIND_MEMBERS, MAX_ACCESS_COUNT, PRESENT, TTL_AT, TTL_DEFAULT, TTL_GIVEN, TTL_KEEP, TTL_NONE;
  let CODE;
  function ready() {
    if (CODE) return;
    try {
      ({ DEADLINE_FAR, DEADLINE_NEVER, EPOCH_SPAN_MS, EXPIRED, FAILED, HEADER_LEN, H_ACCESS, H_CODES, H_EPOCH, H_FORGOTTEN, H_FORGOTTEN_LEN, H_LAYOUT, H_OUT_A, H_OUT_B, H_SLOTS, KIND_BYTES, KIND_LIST, KIND_MEMBERS, MAX_ACCESS_COUNT, PRESENT, TTL_AT, TTL_DEFAULT, TTL_GIVEN, TTL_KEEP, TTL_NONE } = pairs(glue.constants()));
      // Each code under its upper-case name: `CODE.EMPTY_KEY === 'empty_key'`.
      CODE = Object.fromEntries(glue.errorCodes().split(',').map((code) => [code.toUpperCase(), code]));
    } catch (error) {
      throw failure(
        Error,
        'not_initialized',
        'chatcache: the WebAssembly module is not initialised yet (call `await init()` from ' +
          `'chatcache/web' first, or use an entry that initialises itself): ${error}`,
      );
    }
  }

  /**
   * What `#values` holds for anything but a string or a frozen JSON value, so a read tells
   * them apart with one check: a copy of a `Uint8Array`, or a list's items or a member set's
   * marker.
   */
  class Held {}
  class Bytes extends Held {
    constructor(bytes) {
      super();
      this.bytes = bytes;
    }
  }
  class Collection extends Held {
    constructor(kind, items) {
      super();
      this.kind = kind;
      this.items = items;
    }
  }
  /** `#values` of a slot whose value is a `Held` (in `#specials`): a read compares once. */
  const SPECIAL = Symbol('held');
  /** The value to keep for a value `storable` returned. */
  const keep = (value) => (value instanceof Uint8Array ? new Bytes(value) : value);
  /** The stored value (what `storable` returned) of something kept in `#values`. */
  const unkeep = (kept) => (kept instanceof Bytes ? kept.bytes : kept);

  class Cache {
    /** @type {any} */
    #engine;
    /** @type {Map<string, number>} */
    #slots = new Map();
    /** @type {(string | undefined)[]} */
    #keys = [];
    /** The kept values by slot: strings and frozen JSON values, or `SPECIAL` for a `Held`. */
    #values = [];
    /** The `Held` of each slot whose value is `SPECIAL`. @type {Map<number, Held>} */
    #specials = new Map();
    #clock;
    #systemClock;
    #latest = 0;
    #hits = 0;
    #misses = 0;
    #seed = (Math.random() * 0x100000000) >>> 0;
    #memory;
    /** All of the module's memory as `u32`s, for the forgotten slots (no view per call). */
    #words;
    #header;
    #codes;
    #access;
    #layout = -1;
    #epoch = 0;
    #freed = false;
    /**
     * Counts the changes to what the cache holds (every engine call, `clear`, `free`). User code
     * that runs inside a call (the clock, a value's getters, an options object's getters) must
     * not change the cache: a call compares this before and after it, so that it never acts
     * on a slot it looked up before the change.
     */
    #changes = 0;
    /** The `ttl` the last `#ttlMode` that returned `TTL_GIVEN` read (read once: it may be a getter). */
    #givenTtl = 0;
    /**
     * Keys of 1 to this many UTF-16 units fit `maxKeyBytes` whatever they hold (a unit is at
     * most 3 UTF-8 bytes): a miss on one needs no engine call. 0 after `free()`, so that a miss
     * then takes the full check, which throws `freed`.
     */
    #shortKeyUnits = 0;

    /**
     * An empty cache; see the README for the options.
     *
     * @param {object} [options]
     */
    constructor(options) {
      ready();
      const numbers = readOptions(options, CODE);
      this.#engine = new glue.Engine();
      const status = this.#engine.configure(...numbers.values, numbers.checked);
      if (status === FAILED || numbers.refusal) {
        const error = status === FAILED ? this.#failure() : numbers.refusal;
        this.#engine.free();
        throw error;
      }
      const now = options == null ? undefined : options.now;
      if (now !== undefined && typeof now !== 'function') {
        this.#engine.free();
        throw failure(
          TypeError,
          CODE.INVALID_TYPE,
          `options.now must be a function returning milliseconds, got ${describe(now)}`,
        );
      }
      this.#systemClock = now === undefined;
      this.#clock = now;
      this.#memory = glue.wasmMemory();
      this.#shortKeyUnits = Math.floor(this.#engine.maxKeyBytes / 3);
      this.#refresh();
    }

    // --- reads -----------------------------------------------------------------------------

    /**
     * The value under `key`, or `undefined`. Counts a hit or a miss.
     *
     * @param {string} key
     */
    get(key) {
      const slot = this.#slots.get(key);
      if (slot !== undefined) {
        const code = this.#codes[slot];
        if (code !== DEADLINE_NEVER) {
          if (code === undefined) {
            // Another cache grew the shared memory: these views are stale.
            this.#refresh();
            return this.get(key);
          }
          const now = this.#time();
          const since = now - this.#epoch;
          if (code >= DEADLINE_FAR || since >= EPOCH_SPAN_MS || code <= since) {
            return this.#lookup(key, slot, now);
          }
          this.#latest = now;
        }
        const count = this.#access[slot];
        if (count < MAX_ACCESS_COUNT) this.#access[slot] = count + 1;
        this.#hits++;
        return this.#read(slot);
      }
      this.#checkMissing(key);
      this.#misses++;
      return undefined;
    }

    /**
     * The value under `key` without counting it or marking it as used.
     *
     * @param {string} key
     */
    peek(key) {
      const slot = this.#slots.get(key);
      if (slot === undefined) {
        this.#checkKey(key, 'key');
        return undefined;
      }
      if (!this.#isLive(slot)) return undefined;
      return this.#read(slot);
    }

    /**
     * Whether a live entry (of any kind) is under `key`. No counter or eviction effects.
     *
     * @param {string} key
     */
    has(key) {
      const slot = this.#slots.get(key);
      if (slot === undefined) {
        this.#checkKey(key, 'key');
        return false;
      }
      return this.#isLive(slot);
    }

    /**
     * Time to live of `key` in ms (at least 1), `Infinity` for no expiry, `undefined` if missing.
     *
     * @param {string} key
     */
    ttl(key) {
      const slot = this.#slot(key);
      if (slot < 0) return undefined;
      const now = this.#time();
      const left = this.#engine.remaining(slot, now);
      this.#latest = now;
      return left < 0 ? undefined : left;
    }

    /**
     * The values under `keys`, in order. All keys are checked first.
     *
     * @param {Iterable<string>} keys
     */
    getMany(keys) {
      const list = this.#checkKeys(keys);
      return list.map((key) => this.get(key));
    }

    // --- writes ----------------------------------------------------------------------------

    /**
     * Stores `value` under `key`, replacing whatever was there. Returns the cache.
     *
     * @param {string} key
     * @param {unknown} value
     * @param {{ ttl?: number | null }} [options]
     */
    set(key, value, options) {
      this.#write(key, value, options, false, 'value');
      return this;
    }

    /**
     * Stores `value` only if no live entry is under `key`. Returns whether it was stored.
     *
     * @param {string} key
     * @param {unknown} value
     * @param {{ ttl?: number | null }} [options]
     */
    add(key, value, options) {
      return this.#write(key, value, options, true, 'value');
    }

    /**
     * Stores every `[key, value]` pair; every entry is checked before any is stored.
     *
     * @param {Iterable<[string, unknown]>} entries
     * @param {{ ttl?: number | null }} [options]
     */
    setMany(entries, options) {
      this.#alive();
      const pairs = collect(entries, 'entries', 'an iterable of [key, value] pairs', CODE);
      const mode = this.#ttlMode(options);
      const ttl = mode === TTL_GIVEN ? this.#givenTtl : 0;
      const checked = pairs.map((pair, i) => {
        if (!Array.isArray(pair) || pair.length !== 2) {
          throw failure(TypeError, CODE.INVALID_TYPE, `entries[${i}] must be a [key, value] pair, got ${describe(pair)}`);
        }
        const keyLen = this.#keyLength(pair[0], `entries[${i}][0]`);
        const print = measured.print;
        const kept = storable(pair[1], `entries[${i}][1]`, CODE);
        this.#check(this.#engine.checkBytes(keyLen, measured.length));
        return [pair[0], kept, keyLen, measured.length, print];
      });
      // One time for the batch; no user code runs between the writes.
      const now = this.#time();
      for (const [key, kept, keyLen, length, print] of checked) {
        this.#writeKept(key, this.#slots.get(key), kept, mode, ttl, now, false, keyLen, length, print);
      }
    }

    /**
     * Removes the entry (of any kind) under `key`. Returns whether a live one was removed.
     *
     * @param {string} key
     */
    delete(key) {
      const slot = this.#slot(key);
      if (slot < 0) return false;
      const removed = this.#engine.remove(slot, this.#commitTime());
      this.#afterCall();
      return removed === 1;
    }

    /**
     * Removes the entries under `keys`; returns how many live ones were removed.
     *
     * @param {Iterable<string>} keys
     */
    deleteMany(keys) {
      const list = this.#checkKeys(keys);
      let removed = 0;
      for (const key of list) if (this.delete(key)) removed++;
      return removed;
    }

    /**
     * Replaces the expiry of the live entry under `key` (`ttl` ms, or `null` for none).
     *
     * @param {string} key
     * @param {number | null} ttl
     */
    touch(key, ttl) {
      const slot = this.#slot(key);
      let mode;
      if (ttl === null) mode = TTL_NONE;
      else if (typeof ttl === 'number') mode = TTL_GIVEN;
      else {
        throw failure(TypeError, CODE.INVALID_TYPE, `ttl must be a number of milliseconds or null, got ${describe(ttl)}`);
      }
      const now = this.#time();
      const done = this.#check(this.#engine.touch(slot, mode, ttl ?? 0, now));
      this.#latest = now;
      this.#afterCall();
      return done === 1;
    }

    /**
     * Adds `by` (default 1) to the decimal integer under `key`, like Redis `INCRBY`.
     *
     * @param {string} key
     * @param {number} [by]
     */
    incr(key, by = 1) {
      return this.#step(key, by, 1, 'by');
    }

    /**
     * Subtracts `by` (default 1) from the decimal integer under `key`.
     *
     * @param {string} key
     * @param {number} [by]
     */
    decr(key, by = 1) {
      return this.#step(key, by, -1, 'by');
    }

    /** Removes every entry; counters are kept. */
    clear() {
      this.#alive();
      this.#engine.clear();
      this.#slots.clear();
      this.#keys = [];
      this.#values = [];
      this.#specials.clear();
      this.#afterCall();
    }

    /** Reclaims every expired entry now; returns how many. */
    purgeExpired() {
      this.#alive();
      const removed = this.#engine.purgeExpired(this.#commitTime());
      this.#afterCall();
      return removed;
    }

    // --- lists -----------------------------------------------------------------------------

    /**
     * Appends `value` to the list under `key`, keeping the newest `cap` items; returns the new
     * length. `ttl` sets the key's expiry; left out, the expiry is kept.
     *
     * @param {string} key
     * @param {unknown} value
     * @param {{ cap: number, ttl?: number }} options
     */
    listPush(key, value, options) {
      const changes = this.#changes;
      const held = this.#slots.has(key);
      const keyLen = held ? 0 : this.#newKeyLength(key);
      const kept = storable(value, 'value', CODE);
      const itemLen = measured.length;
      if (options === null || typeof options !== 'object') {
        throw failure(TypeError, CODE.INVALID_TYPE, `options must be an object with a cap, got ${describe(options)}`);
      }
      this.#optionNames(options, LIST_OPTIONS);
      const { cap, ttl } = options;
      if (typeof cap !== 'number') {
        throw failure(TypeError, CODE.INVALID_TYPE, `options.cap must be a number of items, got ${describe(cap)}`);
      }
      let mode = TTL_KEEP;
      if (ttl !== undefined) {
        if (typeof ttl !== 'number') {
          throw failure(TypeError, CODE.INVALID_TYPE, `options.ttl must be a number of milliseconds, got ${describe(ttl)}`);
        }
        mode = TTL_GIVEN;
      }
      const old = this.#slots.get(key) ?? -1;
      const print = held ? 0 : fingerprint(key, this.#seed);
      const now = this.#time();
      this.#unchangedSince(changes);
      const slot = this.#check(this.#engine.listPush(old, print, keyLen, itemLen, cap, mode, ttl ?? 0, now));
      this.#latest = now;
      this.#afterCall();
      const header = this.#header;
      const length = header[H_OUT_A];
      const dropped = header[H_OUT_B];
      const list = this.#at(slot);
      if (slot === old && list instanceof Collection) {
        if (dropped > 0) list.items.splice(0, dropped);
        list.items.push(keep(kept));
      } else {
        this.#file(key, slot, new Collection(KIND_LIST, [keep(kept)]));
      }
      return length;
    }

    /**
     * The list's items from `start` to `stop` inclusive (Redis `LRANGE` indices: negative ones
     * count from the newest). Counts a hit or a miss.
     *
     * @param {string} key
     * @param {number} [start]
     * @param {number} [stop]
     */
    listRange(key, start = 0, stop = -1) {
      const slot = this.#slot(key);
      this.#number(start, 'start');
      this.#number(stop, 'stop');
      const now = this.#time();
      const found = this.#check(this.#engine.listRange(slot, start, stop, now));
      this.#latest = now;
      this.#afterCall();
      if (found !== 1) return [];
      const from = this.#header[H_OUT_A];
      const items = this.#at(slot).items.slice(from, from + this.#header[H_OUT_B]);
      for (let i = 0; i < items.length; i++) {
        if (items[i] instanceof Bytes) items[i] = items[i].bytes.slice();
      }
      return items;
    }

    /**
     * The number of items in the list under `key` (0 if there is none).
     *
     * @param {string} key
     */
    listLen(key) {
      const slot = this.#slot(key);
      const now = this.#time();
      const length = this.#check(this.#engine.listLen(slot, now));
      this.#latest = now;
      return length;
    }

    // --- member sets -----------------------------------------------------------------------

    /**
     * Adds or refreshes `member` of the member set under `key`, live for `ttl` ms; returns
     * whether it was not live before.
     *
     * @param {string} key
     * @param {string} member
     * @param {{ ttl: number }} options
     */
    memberAdd(key, member, options) {
      this.#alive();
      const keyLen = this.#keyLength(key, 'key');
      this.#member(member);
      if (options === null || typeof options !== 'object') {
        throw failure(TypeError, CODE.INVALID_TYPE, `options must be an object with a ttl, got ${describe(options)}`);
      }
      this.#optionNames(options, MEMBER_OPTIONS);
      const ttl = options.ttl;
      if (typeof ttl !== 'number') {
        throw failure(TypeError, CODE.INVALID_TYPE, `options.ttl must be a number of milliseconds, got ${describe(ttl)}`);
      }
      const old = this.#slots.get(key) ?? -1;
      const now = this.#time();
      const slot = this.#check(
        this.#engine.memberAdd(old, fingerprint(key, this.#seed), keyLen, member, ttl, now),
      );
      this.#latest = now;
      this.#afterCall();
      if (slot !== old || !(this.#at(slot) instanceof Collection)) {
        this.#file(key, slot, new Collection(KIND_MEMBERS, null));
      }
      return this.#header[H_OUT_A] === 1;
    }

    /**
     * The live members of the member set under `key`, in byte (code point) order.
     *
     * @param {string} key
     */
    members(key) {
      const slot = this.#slot(key);
      const now = this.#time();
      const members = this.#engine.membersOf(slot, now);
      if (members === undefined) throw this.#failure();
      this.#latest = now;
      this.#afterCall();
      return splitNames(members);
    }

    /**
     * Removes `member` from the member set under `key`; returns whether it was live.
     *
     * @param {string} key
     * @param {string} member
     */
    memberRemove(key, member) {
      const slot = this.#slot(key);
      this.#member(member);
      const now = this.#time();
      const removed = this.#check(this.#engine.memberRemove(slot, member, now));
      this.#latest = now;
      this.#afterCall();
      return removed === 1;
    }

    // --- iteration, size, stats ------------------------------------------------------------

    /** Keys of the live entries, in insertion order. No counter or eviction effects. */
    *keys() {
      for (const [key] of this.entries()) yield key;
    }

    /** Values of the live entries (lists as arrays of their items; member sets as arrays of their live members). */
    *values() {
      for (const [, value] of this.entries()) yield value;
    }

    /** `[key, value]` of the live entries, in insertion order. */
    *entries() {
      this.#alive();
      for (const [key, slot] of [...this.#slots]) {
        if (this.#slots.get(key) !== slot || !this.#isLive(slot)) continue;
        const value = this.#at(slot);
        if (value instanceof Collection) {
          yield [key, value.kind === KIND_LIST ? Object.freeze(value.items.map((item) => (item instanceof Bytes ? item.bytes.slice() : item))) : this.#liveMembers(slot)];
        } else {
          yield [key, value instanceof Bytes ? value.bytes.slice() : value];
        }
      }
    }

    /** Entries held (expired ones included until reclaimed). */
    get size() {
      this.#alive();
      return this.#engine.size();
    }

    /** Bytes held: per entry, key + stored value + 48 (see the README). */
    get bytes() {
      this.#alive();
      return this.#engine.bytes();
    }

    /** The counters since the cache was created. */
    stats() {
      this.#alive();
      const stats = pairs(this.#engine.stats(this.#hits, this.#misses));
      this.#hits = 0;
      this.#misses = 0;
      return stats;
    }

    // --- snapshots -------------------------------------------------------------------------

    /** Every live entry as plain data that survives `structuredClone` (format version 2). */
    dump() {
      this.#alive();
      const now = this.#commitTime();
      const order = this.#engine.export(now);
      const entries = [];
      for (let i = 0; i < order.length; i += 2) {
        const slot = order[i];
        const expiresAt = Number.isNaN(order[i + 1]) ? null : order[i + 1];
        const key = this.#keys[slot];
        const value = this.#at(slot);
        if (!(value instanceof Collection)) {
          entries.push({ key, value: encodeStored(unkeep(value)), expiresAt });
        } else if (value.kind === KIND_LIST) {
          entries.push({ key, list: value.items.map((item) => encodeStored(unkeep(item))), expiresAt });
        } else {
          const flat = splitNames(this.#engine.memberDeadlines(slot, now));
          const members = [];
          for (let j = 0; j < flat.length; j += 2) members.push({ member: flat[j], expiresAt: Number(flat[j + 1]) });
          if (members.length > 0) entries.push({ key, members, expiresAt });
        }
      }
      return { version: SNAPSHOT_VERSION, entries };
    }

    /**
     * Restores a snapshot (format 1 or 2, here or from a server) into this cache, keeping its
     * limits. The whole snapshot is checked first: if anything is wrong, nothing changes.
     *
     * @param {unknown} snapshot
     */
    load(snapshot) {
      this.#alive();
      const entries = this.#parseSnapshot(snapshot);
      const now = this.#time();
      let imported = 0;
      let expired = 0;
      for (const entry of entries) {
        const old = this.#slots.get(entry.key) ?? -1;
        const print = fingerprint(entry.key, this.#seed);
        const deadline = entry.expiresAt ?? NaN;
        let slot;
        if (entry.kind === KIND_BYTES) {
          slot = this.#engine.write(old, print, entry.keyLen, entry.length, TTL_AT, deadline, now, false);
        } else if (entry.kind === KIND_LIST) {
          slot = this.#engine.restoreList(old, print, entry.keyLen, entry.lengths, deadline, now);
        } else {
          slot = this.#engine.restoreMembers(old, print, entry.keyLen, entry.names, entry.deadlines, deadline, now);
        }
        this.#check(slot);
        this.#afterCall();
        if (slot === EXPIRED) {
          expired++;
          continue;
        }
        imported++;
        this.#file(entry.key, slot, entry.kept);
      }
      this.#latest = Math.max(this.#latest, now);
      return { imported, expired };
    }

    // --- lifetime --------------------------------------------------------------------------

    /** Releases the WebAssembly memory now; any later call throws (code `freed`). */
    free() {
      if (this.#freed) return;
      this.#freed = true;
      this.#changes++;
      this.#shortKeyUnits = 0;
      this.#engine.free();
      this.#engine = undefined;
      this.#slots.clear();
      this.#keys = [];
      this.#values = [];
      this.#specials.clear();
    }

    /** `using cache = new Cache()` frees it at the end of the scope. */
    [Symbol.dispose]() {
      this.free();
    }

    // --- internals -------------------------------------------------------------------------

    /** Throws `freed` after `free()`. */
    #alive() {
      if (this.#freed) {
        throw failure(Error, CODE.FREED, 'the cache was freed: create a new one');
      }
    }

    /** The kept value in `slot` as a read returns it. */
    #read(slot) {
      const value = this.#values[slot];
      if (value !== SPECIAL) return value;
      const held = this.#specials.get(slot);
      if (held instanceof Bytes) return held.bytes.slice();
      this.#engine.wrongType(KIND_BYTES, held.kind);
      throw this.#failure();
    }

    /** What `slot` holds: a string, a frozen JSON value, or a `Held`. */
    #at(slot) {
      const value = this.#values[slot];
      return value === SPECIAL ? this.#specials.get(slot) : value;
    }

    /** A counted read the deadline code could not decide. */
    #lookup(key, slot, now) {
      const value = this.#at(slot);
      if (value instanceof Collection) {
        this.#latest = now;
        this.#engine.wrongType(KIND_BYTES, value.kind);
        throw this.#failure();
      }
      const live = this.#engine.lookup(slot, now);
      this.#latest = now;
      this.#afterCall();
      if (live !== 1) return undefined;
      return this.#read(slot);
    }

    /** Whether `slot` is live now, from its code when that can tell. Records the time. */
    #isLive(slot) {
      const code = this.#codes[slot];
      if (code === DEADLINE_NEVER) return true;
      if (code === undefined) this.#refresh();
      const now = this.#time();
      this.#latest = now;
      const since = now - this.#epoch;
      const current = this.#codes[slot];
      if (current < DEADLINE_FAR && since < EPOCH_SPAN_MS) return current > since;
      return this.#engine.live(slot, now);
    }

    #liveMembers(slot) {
      const flat = splitNames(this.#engine.memberDeadlines(slot, this.#time()));
      const members = [];
      for (let i = 0; i < flat.length; i += 2) members.push(flat[i]);
      return members;
    }

    /** The time for this call: the clock, never earlier than the latest time seen. */
    #time() {
      let now;
      if (this.#systemClock) {
        now = systemNow();
      } else {
        const changes = this.#changes;
        now = this.#clock();
        if (this.#changes !== changes) {
          throw failure(TypeError, CODE.INVALID_CLOCK, 'now() must not change the cache it is the clock of');
        }
        if (typeof now !== 'number' || !(now >= 0 && now <= MAX_SAFE)) {
          throw failure(
            typeof now === 'number' ? RangeError : TypeError,
            CODE.INVALID_CLOCK,
            `now() must return a finite, non-negative number of milliseconds, got ${typeof now === 'number' ? now : describe(now)}`,
          );
        }
        now = Math.floor(now);
      }
      return now > this.#latest ? now : this.#latest;
    }

    /** [`#time`] for calls that cannot be refused once they start. */
    #commitTime() {
      const now = this.#time();
      this.#latest = now;
      return now;
    }

    /** The slot of `key` (checked), or -1 if it is not held. Throws after `free()`. */
    #slot(key) {
      this.#alive();
      const slot = this.#slots.get(key);
      if (slot !== undefined) return slot;
      this.#checkKey(key, 'key');
      return -1;
    }

    /** The UTF-8 length of a key the cache does not hold (throws after `free()`). */
    #newKeyLength(key) {
      this.#alive();
      return this.#keyLength(key, 'key');
    }

    /**
     * The UTF-8 length of a key, refusing non-strings and lone surrogates; its fingerprint is
     * left in `measured.print`.
     */
    #keyLength(key, arg) {
      if (typeof key !== 'string') {
        this.#alive();
        throw failure(TypeError, CODE.INVALID_TYPE, `${arg} must be a string, got ${describe(key)}`);
      }
      const length = keyLength(key, this.#seed);
      if (length < 0) {
        throw failure(
          RangeError,
          CODE.INVALID_KEY,
          `${arg} must be well-formed UTF-16 (it has a lone surrogate, which UTF-8 cannot hold)`,
        );
      }
      return length;
    }

    /** [`#checkKey`] without a call for the keys that are obviously fine. */
    #checkMissing(key) {
      // `length - 1` as unsigned: an empty key wraps to 2^32 - 1 and takes the full check.
      if (typeof key === 'string' && (key.length - 1) >>> 0 < this.#shortKeyUnits && !SURROGATE.test(key)) {
        return;
      }
      this.#checkKey(key, 'key');
    }

    /** Checks a key that is not held: type, surrogates and the limits. */
    #checkKey(key, arg) {
      this.#alive();
      this.#check(this.#engine.checkKey(this.#keyLength(key, arg)));
    }

    #checkKeys(keys) {
      this.#alive();
      const list = collect(keys, 'keys', 'an iterable of strings', CODE);
      list.forEach((key, i) => this.#checkKey(key, `keys[${i}]`));
      return list;
    }

    #member(member) {
      if (typeof member !== 'string') {
        throw failure(TypeError, CODE.INVALID_TYPE, `member must be a string, got ${describe(member)}`);
      }
    }

    #number(value, arg) {
      if (typeof value !== 'number') {
        throw failure(TypeError, CODE.INVALID_TYPE, `${arg} must be a number, got ${describe(value)}`);
      }
    }

    /** Refuses option names a call does not know (a typo must not silently mean a default). */
    #optionNames(options, known) {
      for (const name of Object.keys(options)) {
        if (!known.includes(name)) {
          throw failure(TypeError, CODE.INVALID_TYPE, `options.${name} is not an option (expected ${known.join(', ')})`);
        }
      }
    }

    /** Throws, changing nothing, if the cache changed since it had made `changes` changes. */
    #unchangedSince(changes) {
      if (this.#changes === changes) return;
      this.#alive();
      throw failure(
        TypeError,
        CODE.INVALID_VALUE,
        'the value or the options changed this cache while they were read (a getter or proxy called into it); nothing was stored',
      );
    }

    /** The TTL mode of a write's options (the TTL itself in `#givenTtl`). */
    #ttlMode(options) {
      if (options === undefined || options === null) return TTL_DEFAULT;
      if (typeof options !== 'object') {
        throw failure(TypeError, CODE.INVALID_TYPE, `options must be an object, got ${describe(options)}`);
      }
      this.#optionNames(options, WRITE_OPTIONS);
      const ttl = options.ttl;
      if (ttl === undefined) return TTL_DEFAULT;
      if (ttl === null) return TTL_NONE;
      if (typeof ttl !== 'number') {
        throw failure(TypeError, CODE.INVALID_TYPE, `options.ttl must be a number of milliseconds or null, got ${describe(ttl)}`);
      }
      this.#givenTtl = ttl;
      return TTL_GIVEN;
    }

    #write(key, value, options, onlyIfAbsent, arg) {
      // A key the cache holds was checked when it was stored; the engine knows its length.
      const changes = this.#changes;
      const old = this.#slots.get(key);
      const keyLen = old === undefined ? this.#newKeyLength(key) : 0;
      const print = measured.print;
      const kept = storable(value, arg, CODE);
      const length = measured.length;
      const mode = options === undefined ? TTL_DEFAULT : this.#ttlMode(options);
      const ttl = mode === TTL_GIVEN ? this.#givenTtl : 0;
      const now = this.#time();
      // `old` is still `key`'s slot unless the value's or the options' getters changed the cache.
      this.#unchangedSince(changes);
      return this.#writeKept(key, old, kept, mode, ttl, now, onlyIfAbsent, keyLen, length, print);
    }

    /**
     * Writes a checked value under `key`, whose slot is `old` (`undefined`: not held) with no
     * user code run since it was looked up; `keyLen` and `print` (the key's fingerprint) matter
     * for a key not held.
     */
    #writeKept(key, old, kept, mode, ttl, now, onlyIfAbsent, keyLen, length, print) {
      const slot =
        old === undefined
          ? this.#engine.write(-1, print, keyLen, length, mode, ttl, now, onlyIfAbsent)
          : this.#engine.write(old, 0, 0, length, mode, ttl, now, onlyIfAbsent);
      if (slot < 0) {
        if (slot === PRESENT) {
          this.#latest = now;
          this.#afterCall();
          return false;
        }
        throw this.#failure();
      }
      this.#latest = now;
      // `old` still holds `key` unless this call forgot slots (it may have reclaimed `old`).
      const forgot = this.#afterCall();
      this.#file(key, slot, kept, forgot === 0 ? old : undefined);
      return true;
    }

    #step(key, by, sign, arg) {
      this.#alive();
      const keyLen = this.#keyLength(key, 'key');
      if (by === undefined) by = 1;
      if (typeof by !== 'number') {
        throw failure(TypeError, CODE.INVALID_TYPE, `${arg} must be a number, got ${describe(by)}`);
      }
      const old = this.#slots.get(key) ?? -1;
      const value = old < 0 ? undefined : this.#at(old);
      const current = old < 0 ? undefined : typeof value === 'string' ? value : null;
      const now = this.#time();
      // A Collection is refused by the engine (wrong_type) before `current` matters.
      const text = this.#engine.incr(old, fingerprint(key, this.#seed), keyLen, current, sign * by, now);
      if (text === undefined) throw this.#failure();
      this.#latest = now;
      this.#afterCall();
      this.#file(key, this.#header[H_OUT_A], text);
      return Number(text);
    }

    /**
     * Files a value (as `storable` returned it, or a `Collection`) under the slot the engine
     * gave `key`; `old` is a slot known to hold `key` still (no engine call forgot it since).
     */
    #file(key, slot, value, old = undefined) {
      if (slot !== old) {
        this.#slots.set(key, slot);
        this.#keys[slot] = key;
      }
      const kept = keep(value);
      if (kept instanceof Held) {
        this.#values[slot] = SPECIAL;
        this.#specials.set(slot, kept);
      } else {
        if (this.#values[slot] === SPECIAL) this.#specials.delete(slot);
        this.#values[slot] = kept;
      }
    }

    /** A status from the engine: passed on, or the recorded error thrown. */
    #check(status) {
      if (status === FAILED) throw this.#failure();
      return status;
    }

    /** The error the engine recorded for the call that failed, as a `TypeError` or `RangeError` with its `code`. */
    #failure() {
      const engine = this.#engine;
      const Class = engine.failureIsType() ? TypeError : RangeError;
      const code = engine.failureCode();
      return failure(Class, code, engine.failure());
    }

    /**
     * After every engine call: follows moved memory and drops the slots the engine removed.
     * Returns how many it dropped.
     */
    #afterCall() {
      this.#changes++;
      let header = this.#header;
      if (header.length === 0 || header[H_LAYOUT] !== this.#layout) {
        this.#refresh();
        header = this.#header;
      }
      this.#epoch = header[H_EPOCH];
      const count = header[H_FORGOTTEN_LEN];
      if (count === 0) return 0;
      const words = this.#words;
      // The address of a `u32` vector: a multiple of 4.
      const first = header[H_FORGOTTEN] / 4;
      for (let i = 0; i < count; i++) {
        const slot = words[first + i];
        const key = this.#keys[slot];
        if (key !== undefined && this.#slots.get(key) === slot) this.#slots.delete(key);
        this.#keys[slot] = undefined;
        if (this.#values[slot] === SPECIAL) this.#specials.delete(slot);
        this.#values[slot] = undefined;
      }
      return count;
    }

    /** (Re)builds the views over the engine's header and per-slot arrays. */
    #refresh() {
      const buffer = this.#memory.buffer;
      this.#words = new Uint32Array(buffer);
      const header = new Float64Array(buffer, this.#engine.header(), HEADER_LEN);
      this.#header = header;
      this.#layout = header[H_LAYOUT];
      this.#epoch = header[H_EPOCH];
      const slots = header[H_SLOTS];
      this.#codes = new Uint32Array(buffer, header[H_CODES], slots);
      this.#access = new Uint8Array(buffer, header[H_ACCESS], slots);
    }

    /** A snapshot's entries, checked and decoded; throws (changing nothing) on any fault. */
    #parseSnapshot(snapshot) {
      const bad = (message) => failure(TypeError, CODE.INVALID_SNAPSHOT, message);
      if (snapshot === null || typeof snapshot !== 'object') {
        throw bad(`snapshot must be an object made by dump(), got ${describe(snapshot)}`);
      }
      const version = snapshot.version;
      if (version !== 1 && version !== 2) {
        if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) {
          throw bad(`snapshot.version must be a whole number, got ${describe(version)}`);
        }
        throw failure(RangeError, CODE.UNSUPPORTED_SNAPSHOT, `snapshot: unsupported snapshot version ${version}`);
      }
      const entries = snapshot.entries;
      if (!Array.isArray(entries)) throw bad(`snapshot.entries must be an array, got ${describe(entries)}`);
      const parsed = [];
      for (let i = 0; i < entries.length; i++) {
        const at = `snapshot.entries[${i}]`;
        if (!(i in entries)) throw bad(`${at} is missing (the array has a hole)`);
        const entry = entries[i];
        if (entry === null || typeof entry !== 'object') throw bad(`${at} must be an object, got ${describe(entry)}`);
        const { key, expiresAt } = entry;
        if (typeof key !== 'string') throw bad(`${at}.key must be a string, got ${describe(key)}`);
        const keyLen = utf8Length(key);
        if (keyLen < 0) throw bad(`${at}.key has a lone surrogate`);
        if (expiresAt !== null && expiresAt !== undefined && !(Number.isInteger(expiresAt) && expiresAt >= 0 && expiresAt <= MAX_SAFE)) {
          throw bad(`${at}.expiresAt must be null or a whole, non-negative number of milliseconds, got ${describe(expiresAt)}`);
        }
        const shapes = ['value', 'list', 'members'].filter((name) => entry[name] !== undefined);
        if (shapes.length !== 1 || (version === 1 && shapes[0] !== 'value')) {
          throw bad(`${at} must have exactly one of value, list (format 2) or members (format 2)`);
        }
        const base = { key, keyLen, expiresAt: expiresAt ?? null };
        if (shapes[0] === 'value') {
          const kept = decodeStored(snapshotBytes(entry.value, `${at}.value`, CODE), CODE);
          this.#check(this.#engine.checkBytes(keyLen, measured.length));
          parsed.push({ ...base, kind: KIND_BYTES, kept, length: measured.length });
        } else if (shapes[0] === 'list') {
          if (!Array.isArray(entry.list)) throw bad(`${at}.list must be an array, got ${describe(entry.list)}`);
          const items = [];
          const lengths = new Float64Array(entry.list.length);
          for (let j = 0; j < entry.list.length; j++) {
            if (!(j in entry.list)) throw bad(`${at}.list[${j}] is missing (the array has a hole)`);
            items.push(keep(decodeStored(snapshotBytes(entry.list[j], `${at}.list[${j}]`, CODE), CODE)));
            lengths[j] = measured.length;
          }
          this.#check(this.#engine.checkList(keyLen, lengths));
          parsed.push({ ...base, kind: KIND_LIST, kept: new Collection(KIND_LIST, items), lengths });
        } else {
          if (!Array.isArray(entry.members)) throw bad(`${at}.members must be an array, got ${describe(entry.members)}`);
          const names = [];
          const deadlines = new Float64Array(entry.members.length);
          for (let j = 0; j < entry.members.length; j++) {
            const member = entry.members[j];
            if (member === null || typeof member !== 'object' || typeof member.member !== 'string') {
              throw bad(`${at}.members[${j}] must be { member, expiresAt }`);
            }
            if (!(Number.isInteger(member.expiresAt) && member.expiresAt >= 0 && member.expiresAt <= MAX_SAFE)) {
              throw bad(`${at}.members[${j}].expiresAt must be a whole, non-negative number of milliseconds`);
            }
            names.push(member.member);
            deadlines[j] = member.expiresAt;
          }
          const joined = joinNames(names);
          this.#check(this.#engine.checkMembers(keyLen, joined));
          parsed.push({ ...base, kind: KIND_MEMBERS, kept: new Collection(KIND_MEMBERS, null), names: joined, deadlines });
        }
      }
      return parsed;
    }
  }

  return Cache;
}

/** `NAME=value` pairs, comma-separated, as the engine exports them, to an object of numbers. */
function pairs(text) {
  const object = {};
  for (const pair of text.split(',')) {
    const at = pair.indexOf('=');
    object[pair.slice(0, at)] = Number(pair.slice(at + 1));
  }
  return object;
}

/**
 * A list of strings as the engine takes and returns it (`src/names.rs`): each preceded by its
 * `length` and a colon, so `['ada', 'bo:b']` is `'3:ada4:bo:b'`; no JavaScript array crosses
 * the boundary.
 *
 * @param {string[]} names
 */
function joinNames(names) {
  let text = '';
  for (const name of names) text += `${name.length}:${name}`;
  return text;
}

/** The strings of a list the engine joined (see {@link joinNames}). */
function splitNames(text) {
  const names = [];
  let at = 0;
  while (at < text.length) {
    const colon = text.indexOf(':', at);
    const end = colon + 1 + Number(text.slice(at, colon));
    names.push(text.slice(colon + 1, end));
    at = end;
  }
  return names;
}

/** The names `new Cache(options)` accepts; the numeric ones in the order the engine takes them. */
const OPTION_NAMES = ['maxEntries', 'maxBytes', 'maxEntryBytes', 'maxKeyBytes', 'defaultTtl', 'now'];
const NUMERIC_OPTIONS = 5;

/**
 * Reads the constructor's options: refuses a non-object and unknown names, and returns the
 * numeric options in order (`undefined` when not given) with how many of them are numbers
 * before the first that is not; the engine checks their ranges (an earlier refusal first),
 * then `refusal` is the error for the first non-number, if any.
 */
function readOptions(options, CODE) {
  const values = [undefined, undefined, undefined, undefined, undefined];
  if (options === undefined || options === null) return { values, checked: NUMERIC_OPTIONS, refusal: null };
  if (typeof options !== 'object') {
    throw failure(TypeError, CODE.INVALID_TYPE, `options must be an object, got ${typeName(options)}`);
  }
  for (const name of Reflect.ownKeys(options)) {
    if (typeof name === 'string' && !OPTION_NAMES.includes(name)) {
      throw failure(
        TypeError,
        CODE.INVALID_TYPE,
        `options.${name} is not an option (expected ${OPTION_NAMES.join(', ')})`,
      );
    }
  }
  for (let i = 0; i < NUMERIC_OPTIONS; i++) {
    const name = OPTION_NAMES[i];
    const value = options[name];
    if (value === undefined) continue;
    if (typeof value !== 'number') {
      const refusal = failure(TypeError, CODE.INVALID_TYPE, `options.${name} must be a number, got ${typeName(value)}`);
      return { values, checked: i, refusal };
    }
    values[i] = value;
  }
  return { values, checked: NUMERIC_OPTIONS, refusal: null };
}

/** `typeof`, except that `null` is `"null"` (the one inspection that never runs the caller's code). */
function typeName(value) {
  return value === null ? 'null' : typeof value;
}

const WRITE_OPTIONS = ['ttl'];
const LIST_OPTIONS = ['cap', 'ttl'];
const MEMBER_OPTIONS = ['ttl'];
