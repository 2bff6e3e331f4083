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
  function replacer(key, replaced) {
    // `this[key]` is the value before any `toJSON` call; check that one.
    const original = this[key];
    const where = key === '' ? arg : `${arg} at key ${JSON.stringify(key)}`;
    switch (typeof original) {
      case 'string':
      case 'boolean':
        return replaced;
      case 'number':
        if (!Number.isFinite(original)) {
          throw refuse(RangeError, `${where}: ${original} cannot be stored as JSON`);
        }
        return replaced;
      case 'object': {
        if (original === null) return replaced;
        if (Array.isArray(original)) return replaced;
        const proto = Object.getPrototypeOf(original);
        if (proto !== Object.prototype && proto !== null) {
          throw refuse(
            TypeError,
            `${where}: ${describe(original)} is not JSON-compatible (use plain objects, ` +
              'arrays, strings, finite numbers, booleans and null; Uint8Array only at the top level)',
          );
        }
        if (typeof original.toJSON === 'function') {
          throw refuse(TypeError, `${where}: objects with a toJSON method do not round-trip`);
        }
        if (Object.getOwnPropertySymbols(original).length > 0) {
          throw refuse(TypeError, `${where}: symbol-keyed properties cannot be stored`);
        }
        return replaced;
      }
      default:
        throw refuse(
          TypeError,
          `${where}: ${typeof original} is not JSON-compatible` +
            (original === undefined ? ' (arrays must not have holes or undefined)' : ''),
        );
    }
  }
  try {
    return JSON.stringify(value, replacer);
  } catch (error) {
    if (error && error.code === 'invalid_value') throw error;
    // JSON.stringify's own TypeErrors: circular structures and BigInts met through getters.
    if (error instanceof TypeError) {
      throw refuse(TypeError, `${arg}: ${error.message}`);
    }
    // Anything else was thrown by the caller's own getters: let it through unchanged.
    throw error;
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
