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
  const ancestors = new Set();
  function check(node, key) {
    // Only built on the way to an error: this runs for every node of every value stored.
    const where = () => (key === undefined ? arg : `${arg} at key ${JSON.stringify(key)}`);
    switch (typeof node) {
      case 'string':
      case 'boolean':
        return;
      case 'number':
        if (!Number.isFinite(node)) {
          throw refuse(RangeError, `${where()}: ${node} cannot be stored as JSON`);
        }
        return;
      case 'object': {
        if (node === null) return;
        if (ancestors.has(node)) {
          throw refuse(TypeError, `${where()}: a circular structure cannot be stored as JSON`);
        }
        ancestors.add(node);
        if (Array.isArray(node)) {
          for (let i = 0; i < node.length; i++) {
            if (!(i in node)) {
              throw refuse(TypeError, `${where()}: arrays with holes do not round-trip`);
            }
            check(node[i], String(i));
          }
        } else {
          const proto = Object.getPrototypeOf(node);
          if (proto !== Object.prototype && proto !== null) {
            throw refuse(
              TypeError,
              `${where()}: ${describe(node)} is not JSON-compatible (use plain objects, arrays, ` +
                'strings, finite numbers, booleans and null; Uint8Array only at the top level)',
            );
          }
          if (typeof node.toJSON === 'function') {
            throw refuse(TypeError, `${where()}: objects with a toJSON method do not round-trip`);
          }
          if (Object.getOwnPropertySymbols(node).length > 0) {
            throw refuse(TypeError, `${where()}: symbol-keyed properties cannot be stored`);
          }
          for (const name of Object.keys(node)) check(node[name], name);
        }
        ancestors.delete(node);
        return;
      }
      default:
        throw refuse(TypeError, `${where()}: ${typeof node} is not JSON-compatible`);
    }
  }
  check(value, undefined);
  // Anything JSON.stringify throws now comes from the caller's own code (a getter): let it
  // through unchanged.
  return JSON.stringify(value);
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
