// The JavaScript half of value encoding (see src/codec.rs for the stored format).
//
// Everything that inspects a caller's object lives here, inside try/catch-able JavaScript,
// because inspecting objects can run the caller's code (getters, proxies, toJSON) and an
// exception must never unwind through Rust frames. Rust calls these functions through
// `catch` imports and turns anything thrown into a returned error.
//
// A JSON value is accepted only if `JSON.parse(JSON.stringify(value))` gives back a deep-equal
// value: plain objects (prototype `Object.prototype` or `null`), arrays without holes,
// strings, finite numbers, booleans and null. Everything JSON.stringify would silently drop or
// change (undefined, functions, symbols, NaN, Infinity, Dates, Maps, typed arrays nested in
// objects, objects with `toJSON`, symbol keys) is refused with an error that names the
// argument, instead of being stored as something else.

function refuse(ErrorClass, message) {
  const error = new ErrorClass(message);
  error.code = 'invalid_value';
  return error;
}

function describe(value) {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  if (Array.isArray(value)) return 'array';
  const proto = Object.getPrototypeOf(value);
  const name = proto && proto.constructor && proto.constructor.name;
  return name ? `a ${name}` : 'an object';
}

/**
 * Prepares a value that is not a string for storage.
 *
 * @param {unknown} value the value to store
 * @param {string} arg the argument name, for messages
 * @returns {Uint8Array | string} the value itself if it is a Uint8Array (stored as bytes),
 *   else its JSON text
 */
export function encodeValue(value, arg) {
  if (value instanceof Uint8Array) return value;
  if (
    value === undefined ||
    typeof value === 'function' ||
    typeof value === 'symbol' ||
    typeof value === 'bigint' ||
    value instanceof ArrayBuffer ||
    ArrayBuffer.isView(value)
  ) {
    throw refuse(
      TypeError,
      `${arg} must be a string, a Uint8Array or a JSON-compatible value, got ${describe(value)}`,
    );
  }
  return encodeJson(value, arg);
}

function encodeJson(value, arg) {
  // Check the whole value first, then let the native JSON.stringify do the writing: far
  // faster than a replacer function, which would be called back for every node.
  checkJson(value, undefined, arg, []);
  // Anything JSON.stringify throws now comes from the caller's own code (a getter): let it
  // through unchanged.
  return JSON.stringify(value);
}

/** Where a node is, for messages: only computed on the way to an error. */
function where(arg, key) {
  return key === undefined ? arg : `${arg} at key ${JSON.stringify(key)}`;
}

/**
 * Throws if `node` (under `key`, in the value named `arg`) would not round-trip through JSON.
 * `ancestors` are the objects on the path to it, to find cycles. Runs for every node of every
 * value stored, so it allocates nothing but the array of keys per object.
 */
function checkJson(node, key, arg, ancestors) {
  switch (typeof node) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(node)) {
        throw refuse(RangeError, `${where(arg, key)}: ${node} cannot be stored as JSON`);
      }
      return;
    case 'object': {
      if (node === null) return;
      if (ancestors.includes(node)) {
        throw refuse(TypeError, `${where(arg, key)}: a circular structure cannot be stored as JSON`);
      }
      ancestors.push(node);
      if (Array.isArray(node)) {
        for (let i = 0; i < node.length; i++) {
          if (!(i in node)) {
            throw refuse(TypeError, `${where(arg, key)}: arrays with holes do not round-trip`);
          }
          checkJson(node[i], String(i), arg, ancestors);
        }
      } else {
        const proto = Object.getPrototypeOf(node);
        if (proto !== Object.prototype && proto !== null) {
          throw refuse(
            TypeError,
            `${where(arg, key)}: ${describe(node)} is not JSON-compatible (use plain objects, ` +
              'arrays, strings, finite numbers, booleans and null; Uint8Array only at the top level)',
          );
        }
        if (typeof node.toJSON === 'function') {
          throw refuse(TypeError, `${where(arg, key)}: objects with a toJSON method do not round-trip`);
        }
        if (Object.getOwnPropertySymbols(node).length > 0) {
          throw refuse(TypeError, `${where(arg, key)}: symbol-keyed properties cannot be stored`);
        }
        const names = Object.keys(node);
        for (let i = 0; i < names.length; i++) checkJson(node[names[i]], names[i], arg, ancestors);
      }
      ancestors.pop();
      return;
    }
    default:
      throw refuse(TypeError, `${where(arg, key)}: ${typeof node} is not JSON-compatible`);
  }
}

/**
 * The bytes of a snapshot entry's value: a Uint8Array as it is, or an array of byte numbers
 * (what a snapshot looks like after a trip through JSON with the README's replacer).
 *
 * @param {unknown} value
 * @param {string} arg the field name, for messages
 * @returns {Uint8Array}
 */
export function snapshotBytes(value, arg) {
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) {
    const bytes = new Uint8Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const byte = value[i];
      if (!Number.isInteger(byte) || byte < 0 || byte > 255) {
        throw snapshotError(`${arg}[${i}] must be a byte (an integer from 0 to 255)`);
      }
      bytes[i] = byte;
    }
    return bytes;
  }
  throw snapshotError(`${arg} must be a Uint8Array or an array of bytes, got ${describe(value)}`);
}

function snapshotError(message) {
  const error = new TypeError(message);
  error.code = 'invalid_snapshot';
  return error;
}

/**
 * The elements of an iterable (an array, a Map's entries, a Set, a generator…) as a plain
 * array, so that Rust reads them without running any more of the caller's code.
 *
 * @param {unknown} value
 * @param {string} arg the argument name, for messages
 * @param {string} expected what the argument should be, for messages
 * @returns {unknown[]}
 */
export function collect(value, arg, expected) {
  if (
    value === null ||
    (typeof value !== 'object' && typeof value !== 'function') ||
    typeof value[Symbol.iterator] !== 'function'
  ) {
    const error = new TypeError(`${arg} must be ${expected}, got ${describe(value)}`);
    error.code = 'invalid_type';
    throw error;
  }
  return Array.from(value);
}

/**
 * Whether a string is well-formed UTF-16 (no lone surrogates), so that it survives the trip
 * to UTF-8 and back unchanged. Engines without `isWellFormed` (before 2023) check by hand.
 *
 * @param {string} text
 * @returns {boolean}
 */
export function isWellFormed(text) {
  return typeof text.isWellFormed === 'function'
    ? text.isWellFormed()
    : !/\p{Surrogate}/u.test(text);
}

// ---------------------------------------------------------------------------------------------
// Fast paths for the hot calls (get, set, has, delete, add): keys and values are written
// straight into a scratch region of WebAssembly memory that Rust reserved (src/scratch.rs),
// instead of going through wasm-bindgen's generic string transfer (type check, length, copy
// into a fresh allocation, a second copy in Rust).
//
// Every function here either does the whole job or returns -1 so that Rust takes its general
// path, which re-examines the same argument and reports any error exactly as before. None of
// them runs the caller's code, except `loadValue`, which prepares JSON with `encodeValue`
// (above) before it writes anything.

let memory = null;
/** The direct area's address and size (see src/scratch.rs), as `init` gave them. */
let direct = 0;
let directSize = 0;
/** The longest key (in UTF-16 code units) the wrappers write to the direct area. */
const DIRECT_KEY = 1024;
let bytes = new Uint8Array(0);
let view = new DataView(new ArrayBuffer(0));
/** A value `loadValue` prepared but could not place, for Rust to take with `takePending`. */
let pending;

const encoder = new TextEncoder();
// Built-ins the fast paths call, taken now, so that a later patch of them cannot run code
// between filling the direct area and the module reading it (see `installFastPaths`).
const stringIsWellFormed = String.prototype.isWellFormed;
const apply = Reflect.apply;
/** Strings up to this many code units are copied by hand, longer ones with `encodeInto`
 * (measured in Node 20: the loop is faster up to about 30 ASCII characters). */
const SHORT = 32;

/** Gives this module the WebAssembly memory and the direct area (once per cache; cheap). */
export function init(wasmMemory, directArea, directAreaSize) {
  memory = wasmMemory;
  direct = directArea;
  directSize = directAreaSize;
}

/** The memory as bytes, refreshed after the memory grew (which detaches the old buffer). */
function mem() {
  if (bytes.byteLength === 0) {
    bytes = new Uint8Array(memory.buffer);
    view = new DataView(memory.buffer);
  }
  return bytes;
}

/**
 * Writes a short ASCII key at `ptr + 8` and returns its length, or -1 if the key is anything
 * else (not a string, empty, longer than `cap`, or not ASCII). With `now` set, writes
 * `Date.now()` as a little-endian f64 at `ptr`, after the key was found good.
 */
export function loadKey(key, ptr, cap, now) {
  const n = writeKey(key, ptr + 8, cap);
  if (n > 0 && now) view.setFloat64(ptr, Date.now(), true);
  return n;
}

/** Writes a non-empty ASCII key of at most `cap` characters at `at`; its length, or -1. */
function writeKey(key, at, cap) {
  if (typeof key !== 'string') return -1;
  const n = key.length;
  if (n === 0 || n > cap) return -1;
  const m = mem();
  if (n <= SHORT) {
    for (let i = 0; i < n; i++) {
      const c = key.charCodeAt(i);
      if (c > 0x7f) return -1;
      m[at + i] = c;
    }
  } else {
    // All of it read into as many bytes: ASCII.
    const { read, written } = encoder.encodeInto(key, m.subarray(at, at + n));
    if (read !== n || written !== n) return -1;
  }
  return n;
}

/**
 * Writes the UTF-8 of `text` at `at`, with at most `cap` bytes there, and returns the length,
 * or -1 if it may not fit. With `check`, a string with lone surrogates is also -1 (JSON text
 * never has them).
 */
function writeText(text, at, cap, check) {
  const n = text.length;
  if (n > cap) return -1;
  let m = mem();
  if (n <= SHORT) {
    let i = 0;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7f) break;
      m[at + i] = c;
    }
    if (i === n) return n;
  }
  if (n * 3 > cap) return -1;
  if (check && (stringIsWellFormed === undefined || !apply(stringIsWellFormed, text, []))) {
    return -1;
  }
  const { read, written } = encoder.encodeInto(text, m.subarray(at, at + cap));
  return read === n ? written : -1;
}

/**
 * Stores the bytes of `value` (the argument `value` of set or add) at `ptr`, at most `cap` of
 * them and at most `room` (the most an entry with this key may hold), and returns their
 * length; see src/codec.rs for the format. With `now` set, then writes `Date.now()` as a
 * little-endian f64 at `now`. Returns -1 for a value that Rust must handle itself: a
 * Uint8Array, a string with lone surrogates, or anything too large here, leaving what
 * `encodeValue` made of it for `takePending`.
 */
export function loadValue(value, ptr, cap, room, now) {
  let n;
  if (typeof value === 'string') {
    pending = value;
    n = writeText(value, ptr, Math.min(cap, room), true);
    if (n < 0) return -1;
  } else {
    const prepared = encodeValue(value, 'value');
    pending = prepared;
    if (typeof prepared !== 'string') return -1;
    const limit = Math.min(cap, room) - 1;
    if (limit < 0) return -1;
    n = writeText(prepared, ptr + 1, limit, false);
    if (n < 0) return -1;
    mem()[ptr] = 0xfe;
    n += 1;
  }
  pending = undefined;
  if (now !== 0) view.setFloat64(now, Date.now(), true);
  return n;
}

/** What the last `loadValue` that returned -1 left: the value, or its prepared form. */
export function takePending() {
  const value = pending;
  pending = undefined;
  return value;
}

const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** The value a fast path located in the direct area's header; `kind` as in src/cache.rs. */
function located(kind) {
  const m = mem();
  const at = view.getUint32(direct, true);
  const len = view.getUint32(direct + 4, true);
  if (kind === 1) return decoder.decode(m.subarray(at, at + len));
  if (kind === 2) return m.slice(at, at + len);
  try {
    return JSON.parse(decoder.decode(m.subarray(at, at + len)));
  } catch {
    // Not written by this package: the whole stored value, tag included, as bytes.
    return m.slice(at - 1, at + len);
  }
}

/**
 * Replaces `get`, `has`, `delete`, `set` and `add` of the generated class with wrappers that,
 * for a short ASCII key (and, for writes without options, a string value), fill the direct
 * area and call the module's fast path (`__fastGet`, …, removed from the prototype here),
 * passing `Date.now()`. The module answers -1 when the general path must run instead (a
 * `now` option, a key or entry the limits refuse, …), having changed nothing; the general
 * path then does the whole call, and reports any error, as before. No caller code runs
 * between filling the area and the module reading it.
 */
export function installFastPaths(Cache) {
  const proto = Cache.prototype;
  const take = (name) => {
    const method = proto[name];
    delete proto[name];
    return method;
  };
  const fastGet = take('__fastGet');
  const fastHas = take('__fastHas');
  const fastDelete = take('__fastDelete');
  const fastSet = take('__fastSet');
  const fastAdd = take('__fastAdd');
  const general = {
    get: proto.get,
    has: proto.has,
    delete: proto.delete,
    set: proto.set,
    add: proto.add,
  };
  /** Writes key and string value for a write; the value's length, or -1. */
  const entry = (key, value) => {
    const n = writeKey(key, direct + 8, DIRECT_KEY);
    if (n < 0) return -1;
    return writeText(value, direct + 8 + n, directSize - 8 - n, true);
  };
  // Each wrapper reads the clock first, then fills the direct area, then calls the module.
  // Should anything in between re-enter a wrapper after all (a patched built-in), `epoch`
  // has moved on, the area may hold the inner call's key, and the general path runs.
  let epoch = 0;
  const wrappers = {
    get(key) {
      if (direct !== 0) {
        const now = Date.now();
        const mine = ++epoch;
        const n = writeKey(key, direct + 8, DIRECT_KEY);
        if (n > 0 && epoch === mine) {
          const kind = apply(fastGet, this, [n, now]);
          if (kind === 0) return undefined;
          if (kind > 0) return located(kind);
        }
      }
      return apply(general.get, this, [key]);
    },
    has(key) {
      if (direct !== 0) {
        const now = Date.now();
        const mine = ++epoch;
        const n = writeKey(key, direct + 8, DIRECT_KEY);
        if (n > 0 && epoch === mine) {
          const found = apply(fastHas, this, [n, now]);
          if (found >= 0) return found === 1;
        }
      }
      return apply(general.has, this, [key]);
    },
    delete(key) {
      if (direct !== 0) {
        const now = Date.now();
        const mine = ++epoch;
        const n = writeKey(key, direct + 8, DIRECT_KEY);
        if (n > 0 && epoch === mine) {
          const removed = apply(fastDelete, this, [n, now]);
          if (removed >= 0) return removed === 1;
        }
      }
      return apply(general.delete, this, [key]);
    },
    set(key, value, options) {
      if (direct !== 0 && options === undefined && typeof value === 'string') {
        const now = Date.now();
        const mine = ++epoch;
        const m = entry(key, value);
        if (m >= 0 && epoch === mine && apply(fastSet, this, [key.length, m, now]) === 0) {
          return undefined;
        }
      }
      return apply(general.set, this, [key, value, options]);
    },
    add(key, value, options) {
      if (direct !== 0 && options === undefined && typeof value === 'string') {
        const now = Date.now();
        const mine = ++epoch;
        const m = entry(key, value);
        if (m >= 0 && epoch === mine) {
          const added = apply(fastAdd, this, [key.length, m, now]);
          if (added >= 0) return added === 1;
        }
      }
      return apply(general.add, this, [key, value, options]);
    },
  };
  for (const name of Object.keys(wrappers)) proto[name] = wrappers[name];
}
