// Values on their way into the cache: checked, weighed, copied and frozen; and their stored
// form in snapshots.
//
// A value read back is the frozen copy made when it was stored, so reading costs nothing and a
// caller can change neither what the cache holds nor its accounting. `Uint8Array`s cannot be
// frozen, so they are copied in and copied out.
//
// Weights are the stored form's length, as on the server (see the README):
//
//   string       its UTF-8 length (stored untagged, so snapshots interoperate with servers)
//   Uint8Array   1 + byteLength   (stored as 0xFF then the bytes)
//   JSON value   1 + the UTF-8 length of JSON.stringify(value)   (0xFE then the text)
//
// The JSON length is computed while copying, without calling JSON.stringify; the tests check it
// against JSON.stringify on every kind of value.

/** Tag byte of a stored `Uint8Array`; it never occurs in UTF-8. */
export const TAG_BYTES = 0xff;
/** Tag byte of a stored JSON value; it never occurs in UTF-8. */
export const TAG_JSON = 0xfe;

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });
/** Room for `encodeInto`, which measures long strings' UTF-8 natively; grows as needed. */
let scratch = new Uint8Array(1024);
/** Strings this long or longer are measured natively; shorter ones by a loop. */
const NATIVE_FROM = 24;
/** A string JSON writes as it is: printable ASCII without `"` or `\`. */
const PLAIN_JSON = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
/** A character JSON escapes. */
const ESCAPED_IN_JSON = /["\\\x00-\x1f]/;

/**
 * Errors with a `code`, made the same way everywhere in the package.
 *
 * @param {ErrorConstructor} Class TypeError or RangeError
 * @param {string} code
 * @param {string} message
 */
export function failure(Class, code, message) {
  const error = new Class(message);
  error.code = code;
  return error;
}

/** The kind of `value` for messages: `typeof`, with `null`, arrays and class names told apart. */
export function describe(value) {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  if (Array.isArray(value)) return 'an array';
  const proto = Object.getPrototypeOf(value);
  const name = proto && proto.constructor && proto.constructor.name;
  return name ? `a ${name}` : 'an object';
}

/**
 * The UTF-8 length of `text`, or -1 if it has a lone surrogate (which UTF-8 cannot hold).
 *
 * @param {string} text
 */
export function utf8Length(text) {
  const units = text.length;
  if (units >= NATIVE_FROM) {
    if (!text.isWellFormed()) return -1;
    if (scratch.length < units * 3) scratch = new Uint8Array(units * 3);
    return encoder.encodeInto(text, scratch).written;
  }
  let bytes = units;
  for (let i = 0; i < units; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) {
      bytes += 1;
    } else if (unit < 0xd800 || unit > 0xdfff) {
      bytes += 2;
    } else if (unit <= 0xdbff && i + 1 < units) {
      const next = text.charCodeAt(i + 1);
      if (next < 0xdc00 || next > 0xdfff) return -1;
      // Two units, four bytes.
      bytes += 2;
      i++;
    } else {
      return -1;
    }
  }
  return bytes;
}

/**
 * A 32-bit fingerprint of a key (FNV-1a over its UTF-16 units, keyed with `seed`): what the
 * eviction policy remembers of keys it evicted.
 *
 * @param {string} key
 * @param {number} seed
 */
export function fingerprint(key, seed) {
  let hash = seed ^ 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * The UTF-8 length of a key, or -1 if it has a lone surrogate, as [`utf8Length`]; its
 * [`fingerprint`] is left in `measured.print`.
 *
 * @param {string} key
 * @param {number} seed
 */
export function keyLength(key, seed) {
  measured.print = fingerprint(key, seed);
  return utf8Length(key);
}

/**
 * `length`: the stored length of the last value `storable` (or `decodeStored`) returned;
 * `print`: the fingerprint of the last key `keyLength` measured.
 */
export const measured = { length: 0, print: 0 };
/** The JSON length accumulated by the walk below. */
let jsonLength = 0;

/**
 * The value to keep for `value` — a string as it is, a copy of a `Uint8Array`, or a frozen deep
 * copy of a JSON value — with its stored length in `measured.length`. Anything that would not read
 * back deep-equal is refused with a `TypeError`/`RangeError` whose code is `codes.INVALID_VALUE`
 * and whose message names `arg`.
 *
 * @param {unknown} value
 * @param {string} arg
 * @param {Record<string, string>} codes the package's error codes
 */
export function storable(value, arg, codes) {
  if (typeof value === 'string') {
    const length = utf8Length(value);
    if (length < 0) {
      throw failure(
        RangeError,
        codes.INVALID_VALUE,
        `${arg} must be well-formed UTF-16 (it has a lone surrogate, which UTF-8 cannot hold)`,
      );
    }
    measured.length = length;
    return value;
  }
  if (value instanceof Uint8Array) {
    measured.length = value.byteLength + 1;
    // A detached array reads as empty (and cannot be copied from).
    return value.byteLength === 0 ? new Uint8Array(0) : new Uint8Array(value);
  }
  if (
    value === undefined ||
    typeof value === 'function' ||
    typeof value === 'symbol' ||
    typeof value === 'bigint' ||
    value instanceof ArrayBuffer ||
    ArrayBuffer.isView(value)
  ) {
    throw failure(
      TypeError,
      codes.INVALID_VALUE,
      `${arg} must be a string, a Uint8Array or a JSON-compatible value, got ${describe(value)}`,
    );
  }
  jsonLength = 0;
  const copy = copyJson(value, undefined, arg, [], codes);
  measured.length = jsonLength + 1;
  return copy;
}

/**
 * Where a node is (`key`: a property name, or an array index), for messages (only computed on
 * the way to an error).
 */
function where(arg, key) {
  if (key === undefined) return arg;
  return `${arg} at key ${JSON.stringify(typeof key === 'number' ? String(key) : key)}`;
}

/**
 * The length of `String(number)`, which JSON writes for a finite number: counted without
 * making the string for a safe integer (below 2^53, so written in plain digits).
 */
function numberLength(number) {
  if (!Number.isSafeInteger(number)) return String(number).length;
  let length = 1;
  let magnitude = number;
  if (number < 0) {
    length = 2;
    magnitude = -number;
  }
  // Powers of ten up to 10^16 are exact doubles.
  for (let power = 10; magnitude >= power; power *= 10) length++;
  return length;
}

/** The length JSON.stringify gives `text` (quotes and escapes included), in UTF-8 bytes. */
function jsonStringLength(text) {
  const units = text.length;
  if (units >= NATIVE_FROM) {
    if (PLAIN_JSON.test(text)) return units + 2;
    if (!ESCAPED_IN_JSON.test(text)) {
      const bytes = utf8Length(text);
      if (bytes >= 0) return bytes + 2;
    }
  }
  let bytes = units + 2;
  for (let i = 0; i < units; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0x20 && unit < 0x80) {
      if (unit === 0x22 || unit === 0x5c) bytes += 1; // \" and \\
    } else if (unit < 0x20) {
      // \b \t \n \f \r take two bytes; other control characters \u00XX six.
      bytes += unit === 8 || unit === 9 || unit === 10 || unit === 12 || unit === 13 ? 1 : 5;
    } else if (unit < 0x800) {
      bytes += 1;
    } else if (unit < 0xd800 || unit > 0xdfff) {
      bytes += 2;
    } else if (
      unit <= 0xdbff &&
      i + 1 < units &&
      text.charCodeAt(i + 1) >= 0xdc00 &&
      text.charCodeAt(i + 1) <= 0xdfff
    ) {
      bytes += 2;
      i++;
    } else {
      // A lone surrogate: JSON.stringify writes \udXXX, which JSON.parse reads back exactly.
      bytes += 5;
    }
  }
  return bytes;
}

/**
 * A frozen copy of the JSON value `node` (under `key`, a property name or an array index, in
 * the value named `arg`), adding its JSON length to `jsonLength`. `ancestors` are the objects
 * on the path to it, to find cycles.
 */
function copyJson(node, key, arg, ancestors, codes) {
  switch (typeof node) {
    case 'string':
      jsonLength += jsonStringLength(node);
      return node;
    case 'boolean':
      jsonLength += node ? 4 : 5;
      return node;
    case 'number': {
      if (!Number.isFinite(node)) {
        throw failure(RangeError, codes.INVALID_VALUE, `${where(arg, key)}: ${node} cannot be stored as JSON`);
      }
      // -0 is written (and read back) as 0; JSON writes numbers as String(number) does.
      const number = node === 0 ? 0 : node;
      jsonLength += numberLength(number);
      return number;
    }
    case 'object': {
      if (node === null) {
        jsonLength += 4;
        return null;
      }
      if (ancestors.includes(node)) {
        throw failure(TypeError, codes.INVALID_VALUE, `${where(arg, key)}: a circular structure cannot be stored as JSON`);
      }
      ancestors.push(node);
      let copy;
      if (Array.isArray(node)) {
        const length = node.length;
        copy = new Array(length);
        jsonLength += length > 0 ? length + 1 : 2; // brackets and commas
        for (let i = 0; i < length; i++) {
          if (!(i in node)) {
            throw failure(TypeError, codes.INVALID_VALUE, `${where(arg, key)}: arrays with holes do not round-trip`);
          }
          copy[i] = copyJson(node[i], i, arg, ancestors, codes);
        }
      } else {
        const proto = Object.getPrototypeOf(node);
        if (proto !== Object.prototype && proto !== null) {
          throw failure(
            TypeError,
            codes.INVALID_VALUE,
            `${where(arg, key)}: ${describe(node)} is not JSON-compatible (use plain objects, ` +
              'arrays, strings, finite numbers, booleans and null; Uint8Array only at the top level)',
          );
        }
        if (typeof node.toJSON === 'function') {
          throw failure(TypeError, codes.INVALID_VALUE, `${where(arg, key)}: objects with a toJSON method do not round-trip`);
        }
        if (Object.getOwnPropertySymbols(node).length > 0) {
          throw failure(TypeError, codes.INVALID_VALUE, `${where(arg, key)}: symbol-keyed properties cannot be stored`);
        }
        const names = Object.keys(node);
        copy = {};
        jsonLength += names.length > 0 ? names.length + 1 : 2; // braces and commas
        for (let i = 0; i < names.length; i++) {
          const name = names[i];
          jsonLength += jsonStringLength(name) + 1; // the name and its colon
          const value = copyJson(node[name], name, arg, ancestors, codes);
          if (name === '__proto__') {
            Object.defineProperty(copy, name, { value, enumerable: true, writable: true, configurable: true });
          } else {
            copy[name] = value;
          }
        }
      }
      ancestors.pop();
      return Object.freeze(copy);
    }
    default:
      throw failure(TypeError, codes.INVALID_VALUE, `${where(arg, key)}: ${typeof node} is not JSON-compatible`);
  }
}

/**
 * The stored form of a kept value, for snapshots: a string's UTF-8, or a tag byte and the bytes
 * or JSON text.
 *
 * @param {unknown} value a value `storable` returned
 * @returns {Uint8Array}
 */
export function encodeStored(value) {
  if (typeof value === 'string') return encoder.encode(value);
  if (value instanceof Uint8Array) {
    const bytes = new Uint8Array(value.byteLength + 1);
    bytes[0] = TAG_BYTES;
    bytes.set(value, 1);
    return bytes;
  }
  const text = encoder.encode(JSON.stringify(value));
  const bytes = new Uint8Array(text.byteLength + 1);
  bytes[0] = TAG_JSON;
  bytes.set(text, 1);
  return bytes;
}

/**
 * The value stored bytes stand for (never fails: untagged bytes that are not UTF-8, and tagged
 * JSON that does not parse, come back as a `Uint8Array` of all the bytes), kept as `storable`
 * keeps values, with its stored length in `measured.length`.
 *
 * @param {Uint8Array} bytes
 * @param {Record<string, string>} codes
 */
export function decodeStored(bytes, codes) {
  if (bytes[0] === TAG_BYTES) {
    measured.length = bytes.byteLength;
    return bytes.slice(1);
  }
  if (bytes[0] === TAG_JSON) {
    let parsed;
    try {
      parsed = JSON.parse(strictDecoder.decode(bytes.subarray(1)));
    } catch {
      return storable(bytes, 'value', codes);
    }
    // Re-weighed as this cache writes it (a server may have spaced its JSON differently).
    return storable(parsed, 'value', codes);
  }
  let text;
  try {
    text = strictDecoder.decode(bytes);
  } catch {
    return storable(bytes, 'value', codes);
  }
  measured.length = bytes.byteLength;
  return text;
}

/**
 * The elements of an iterable as an array, or a `TypeError` naming `arg`.
 *
 * @param {unknown} value
 * @param {string} arg
 * @param {string} expected what the argument should be, for the message
 * @param {Record<string, string>} codes
 */
export function collect(value, arg, expected, codes) {
  if (Array.isArray(value)) return value;
  if (value === null || typeof value !== 'object' || typeof value[Symbol.iterator] !== 'function') {
    throw failure(TypeError, codes.INVALID_TYPE, `${arg} must be ${expected}, got ${describe(value)}`);
  }
  return Array.from(value);
}

/**
 * The bytes of a snapshot value: a `Uint8Array` as it is, or an array of byte numbers (a
 * snapshot that went through JSON).
 */
export function snapshotBytes(value, arg, codes) {
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) {
    const bytes = new Uint8Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const byte = value[i];
      if (!Number.isInteger(byte) || byte < 0 || byte > 255) {
        throw failure(TypeError, codes.INVALID_SNAPSHOT, `${arg}[${i}] must be a byte (an integer from 0 to 255)`);
      }
      bytes[i] = byte;
    }
    return bytes;
  }
  throw failure(TypeError, codes.INVALID_SNAPSHOT, `${arg} must be a Uint8Array or an array of bytes, got ${describe(value)}`);
}
