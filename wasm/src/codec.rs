//! How JavaScript values are stored as bytes in the core.
//!
//! The core stores bytes. To give back exactly the kind of value that was stored, the adapter
//! marks non-string values with a leading tag byte chosen from bytes that never occur in UTF-8:
//!
//! | JavaScript value            | stored bytes                         | counted against `maxBytes` |
//! |-----------------------------|--------------------------------------|----------------------------|
//! | string                      | its UTF-8 bytes, untagged            | UTF-8 length               |
//! | `Uint8Array`                | `0xFF` then the bytes                | 1 + `byteLength`           |
//! | JSON value (object, array, number, boolean, null) | `0xFE` then `JSON.stringify(value)` as UTF-8 | 1 + JSON length |
//!
//! Strings stay untagged so that they are byte-for-byte what every other chatcache backend
//! stores: `incr`/`decr` work on them (Redis semantics: counters are decimal strings), and
//! snapshots exchanged with a server read back as strings. Reading never fails: bytes written
//! by another backend that are not UTF-8 and carry no tag come back as a `Uint8Array`, and so
//! do tagged-JSON bytes that do not parse.

use chatcache_core::{ENTRY_OVERHEAD, Limits};
use js_sys::{Array, JsString, Uint8Array};
use wasm_bindgen::{JsCast, JsValue, prelude::wasm_bindgen};

use crate::error::Failure;

/// Tag of a value stored from a `Uint8Array`.
pub(crate) const TAG_BYTES: u8 = 0xFF;
/// Tag of a value stored as JSON text.
pub(crate) const TAG_JSON: u8 = 0xFE;

/// What a stored value decodes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stored<'a> {
    /// Untagged UTF-8: a string.
    Text(&'a str),
    /// Tagged bytes, or untagged bytes that are not UTF-8: a `Uint8Array`.
    Bytes(&'a [u8]),
    /// Tagged JSON text, to be parsed.
    Json(&'a str),
}

/// Reads the kind of a stored value. Never fails: see the module docs.
pub(crate) fn classify(bytes: &[u8]) -> Stored<'_> {
    match bytes.split_first() {
        Some((&TAG_BYTES, payload)) => Stored::Bytes(payload),
        Some((&TAG_JSON, payload)) => match core::str::from_utf8(payload) {
            Ok(text) => Stored::Json(text),
            Err(_) => Stored::Bytes(bytes),
        },
        _ => match core::str::from_utf8(bytes) {
            Ok(text) => Stored::Text(text),
            Err(_) => Stored::Bytes(bytes),
        },
    }
}

/// `tag` followed by `payload`, in one allocation.
pub(crate) fn tagged(tag: u8, payload_len: usize, fill: impl FnOnce(&mut [u8])) -> Vec<u8> {
    let mut bytes = vec![0; payload_len + 1];
    bytes[0] = tag;
    fill(&mut bytes[1..]);
    bytes
}

#[wasm_bindgen(module = "/js/values.js")]
extern "C" {
    /// The value itself if it is a `Uint8Array`, else its strict JSON text; throws a
    /// `TypeError`/`RangeError` with code `invalid_value` for anything that cannot round-trip.
    #[wasm_bindgen(catch, js_name = encodeValue)]
    fn encode_value(value: &JsValue, arg: &str) -> Result<JsValue, JsValue>;

    /// The bytes of a snapshot entry's value (a `Uint8Array` or an array of byte numbers).
    #[wasm_bindgen(catch, js_name = snapshotBytes)]
    pub(crate) fn snapshot_bytes(value: &JsValue, arg: &str) -> Result<Uint8Array, JsValue>;

    /// The elements of an iterable as a plain array; a `TypeError` (`invalid_type`) naming
    /// `arg` if `value` is not an iterable object.
    #[wasm_bindgen(catch, js_name = collect)]
    pub(crate) fn collect(value: &JsValue, arg: &str, expected: &str) -> Result<Array, JsValue>;

    /// Whether a string has no lone surrogates.
    #[wasm_bindgen(catch, js_name = isWellFormed)]
    fn is_well_formed(text: &JsValue) -> Result<bool, JsValue>;

    /// Gives `js/values.js` the module's memory and the direct area's address and size, for
    /// the fast paths below.
    #[wasm_bindgen(js_name = init)]
    pub(crate) fn init_fast_paths(memory: &JsValue, direct: u32, direct_size: u32);

    /// Writes a short ASCII key at `ptr + 8` and returns its length, or -1 for any other key
    /// (to be read by the general path). With `now`, writes `Date.now()` as an f64 at `ptr`.
    #[wasm_bindgen(js_name = loadKey)]
    pub(crate) fn load_key(key: &JsValue, ptr: u32, cap: u32, now: bool) -> i32;

    /// Writes the stored form of the argument `value` at `ptr` (at most `cap` and `room`
    /// bytes) and returns its length, or -1 if Rust must finish the job with what
    /// `take_pending` returns. Then, if `now` is not 0, writes `Date.now()` as an f64 there.
    /// Throws what `encode_value` throws.
    #[wasm_bindgen(catch, js_name = loadValue)]
    pub(crate) fn load_value(
        value: &JsValue,
        ptr: u32,
        cap: u32,
        room: u32,
        now: u32,
    ) -> Result<i32, JsValue>;

    /// The value, or its prepared form, that the last `load_value` returning -1 left.
    #[wasm_bindgen(js_name = takePending)]
    pub(crate) fn take_pending() -> JsValue;
}

/// The UTF-8 of a JavaScript string, or `None` if `value` is not a string.
///
/// A string whose UTF-16 length alone exceeds `max_bytes` is refused with `too_long(length)`
/// before it is copied (every UTF-16 code unit takes at least one byte of UTF-8), so a huge
/// string never has to fit in WebAssembly memory. A string with a lone surrogate is refused
/// with `malformed`: UTF-8 cannot hold it, and replacing it would make distinct strings equal.
pub(crate) fn string(
    value: &JsValue,
    max_bytes: usize,
    too_long: impl FnOnce(usize) -> Failure,
    malformed: impl FnOnce() -> Failure,
) -> Result<Option<String>, JsValue> {
    if !value.is_string() {
        return Ok(None);
    }
    let units = value.unchecked_ref::<JsString>().length() as usize;
    if units > max_bytes {
        return Err(too_long(units).into());
    }
    let Some(text) = value.as_string() else {
        return Ok(None);
    };
    // The conversion turns lone surrogates into U+FFFD; only then is the slower check needed.
    if text.contains('\u{FFFD}') && !is_well_formed(value)? {
        return Err(malformed().into());
    }
    Ok(Some(text))
}

/// Encodes a JavaScript value for storage under a key of `key_len` bytes; `arg` names it in
/// error messages. Values that cannot fit `limits.max_entry_bytes()` are refused before they are
/// copied into WebAssembly memory.
pub(crate) fn encode(
    value: &JsValue,
    arg: &str,
    key_len: usize,
    limits: &Limits,
) -> Result<Vec<u8>, JsValue> {
    if value.is_string() {
        return encode_prepared(value, value, arg, key_len, limits);
    }
    let prepared = encode_value(value, arg)?;
    encode_prepared(value, &prepared, arg, key_len, limits)
}

/// The most value bytes an entry with a key of `key_len` bytes may have.
pub(crate) fn room(key_len: usize, limits: &Limits) -> usize {
    usize::try_from(
        limits
            .max_entry_bytes()
            .saturating_sub(ENTRY_OVERHEAD + key_len as u64),
    )
    .unwrap_or(usize::MAX)
}

/// [`encode`] of `value` once `encodeValue` has made `prepared` of it (for a string, the
/// string itself).
pub(crate) fn encode_prepared(
    value: &JsValue,
    prepared: &JsValue,
    arg: &str,
    key_len: usize,
    limits: &Limits,
) -> Result<Vec<u8>, JsValue> {
    let max = limits.max_entry_bytes();
    let room = room(key_len, limits);
    let too_large = |value_len: usize| {
        let weight = Limits::entry_weight(key_len, value_len);
        Failure::range_error(
            chatcache_core::Error::EntryTooLarge { weight, max }.code(),
            format!(
                "{arg}: entry too large: at least {weight} bytes exceeds the per-entry maximum of {max}"
            ),
        )
    };
    let malformed = || {
        Failure::range_error(
            crate::error::INVALID_VALUE,
            format!(
                "{arg} must be well-formed UTF-16 (it has a lone surrogate, which UTF-8 cannot hold)"
            ),
        )
    };
    if let Some(text) = string(value, room, too_large, malformed)? {
        return Ok(text.into_bytes());
    }
    if prepared.is_string() {
        // JSON.stringify escapes lone surrogates, so JSON text is always well-formed.
        let units = prepared.unchecked_ref::<JsString>().length() as usize;
        if units.saturating_add(1) > room {
            return Err(too_large(units.saturating_add(1)).into());
        }
        let json = prepared.as_string().unwrap_or_default();
        let json = json.as_bytes();
        return Ok(tagged(TAG_JSON, json.len(), |payload| {
            payload.copy_from_slice(json);
        }));
    }
    // `encodeValue` returns either a string (handled above) or the Uint8Array it was given.
    let array: &Uint8Array = prepared.unchecked_ref();
    let len = array.length() as usize;
    if len.saturating_add(1) > room {
        return Err(too_large(len.saturating_add(1)).into());
    }
    Ok(tagged(TAG_BYTES, len, |payload| {
        // A detached buffer reads as empty, and copying from it would throw: skip the copy.
        if !payload.is_empty() {
            array.copy_to(payload);
        }
    }))
}

/// Decodes stored bytes into the JavaScript value they were stored from.
pub(crate) fn decode(bytes: &[u8]) -> JsValue {
    match classify(bytes) {
        Stored::Text(text) => JsValue::from_str(text),
        Stored::Bytes(payload) => Uint8Array::from(payload).into(),
        // Only bytes that do not parse (written by another backend, not by this adapter)
        // fall back to the raw bytes.
        Stored::Json(text) => {
            js_sys::JSON::parse(text).unwrap_or_else(|_| Uint8Array::from(bytes).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_stored_untagged() {
        assert_eq!(classify(b"hello"), Stored::Text("hello"));
        assert_eq!(classify(b""), Stored::Text(""));
        assert_eq!(classify(b"42"), Stored::Text("42"));
    }

    #[test]
    fn tags_never_collide_with_utf8() {
        for tag in [TAG_BYTES, TAG_JSON] {
            assert!(core::str::from_utf8(&[tag]).is_err());
            assert!(core::str::from_utf8(&[b'a', tag]).is_err());
        }
    }

    #[test]
    fn tagged_values_classify_by_tag() {
        let bytes = tagged(TAG_BYTES, 2, |p| p.copy_from_slice(&[1, 2]));
        assert_eq!(bytes, [TAG_BYTES, 1, 2]);
        assert_eq!(classify(&bytes), Stored::Bytes(&[1, 2]));
        assert_eq!(classify(&[TAG_BYTES]), Stored::Bytes(&[]));

        let json = tagged(TAG_JSON, 4, |p| p.copy_from_slice(b"null"));
        assert_eq!(classify(&json), Stored::Json("null"));
    }

    #[test]
    fn foreign_bytes_read_back_as_bytes() {
        assert_eq!(classify(&[0x80, 0x00]), Stored::Bytes(&[0x80, 0x00]));
        // A JSON tag followed by bytes that are not UTF-8 keeps the whole value.
        assert_eq!(
            classify(&[TAG_JSON, 0xC0]),
            Stored::Bytes(&[TAG_JSON, 0xC0])
        );
    }
}
