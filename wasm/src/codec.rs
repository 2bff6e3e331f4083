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

use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue, prelude::wasm_bindgen};

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
}

/// Encodes a JavaScript value for storage; `arg` names it in error messages.
pub(crate) fn encode(value: &JsValue, arg: &str) -> Result<Vec<u8>, JsValue> {
    if let Some(text) = value.as_string() {
        return Ok(text.into_bytes());
    }
    let prepared = encode_value(value, arg)?;
    if let Some(json) = prepared.as_string() {
        let json = json.as_bytes();
        return Ok(tagged(TAG_JSON, json.len(), |payload| {
            payload.copy_from_slice(json);
        }));
    }
    // `encodeValue` returns either a string (handled above) or the Uint8Array it was given.
    let array: Uint8Array = prepared.unchecked_into();
    let len = array.length() as usize;
    Ok(tagged(TAG_BYTES, len, |payload| array.copy_to(payload)))
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
