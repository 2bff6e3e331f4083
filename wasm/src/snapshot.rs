//! Snapshots as plain JavaScript objects, for `dump()` and `load()`.
//!
//! ```text
//! { version: 1, entries: [{ key: string, value: Uint8Array, expiresAt: number | null }, ...] }
//! ```
//!
//! `value` holds the stored bytes exactly (see `codec.rs`), so a snapshot is also what other
//! chatcache backends export. `expiresAt` is an absolute deadline in ms on the dumping cache's
//! clock. Only plain objects, arrays, numbers, strings, `null` and `Uint8Array` appear, so a
//! snapshot survives `structuredClone`.

use chatcache_core::{Error, Limits, Snapshot, SnapshotEntry, SnapshotValue};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::JsValue;

use crate::codec;
use crate::convert;
use crate::error::{Failure, INVALID_SNAPSHOT, describe};

/// The version of the JavaScript snapshot format this build writes and reads.
const JS_VERSION: u32 = 1;

/// The JavaScript form of `snapshot`.
pub(crate) fn to_js(snapshot: &Snapshot) -> Result<Object, JsValue> {
    let entries = Array::new_with_length(0);
    for entry in &snapshot.entries {
        // This package stores byte values only, so its snapshots hold nothing else.
        let SnapshotValue::Bytes(value) = &entry.value else {
            continue;
        };
        let object = Object::new();
        set(&object, "key", &JsValue::from_str(&entry.key))?;
        set(&object, "value", &Uint8Array::from(value.as_slice()))?;
        let expires_at = entry.expires_at.map_or(JsValue::NULL, |deadline| {
            JsValue::from_f64(convert::number(deadline.as_millis()))
        });
        set(&object, "expiresAt", &expires_at)?;
        entries.push(&object);
    }
    let object = Object::new();
    set(
        &object,
        "version",
        &JsValue::from_f64(f64::from(JS_VERSION)),
    )?;
    set(&object, "entries", &entries)?;
    Ok(object)
}

/// Reads a snapshot given to `load`, checking every field and every entry against `limits`
/// before anything is imported.
pub(crate) fn from_js(value: &JsValue, limits: &Limits) -> Result<Snapshot, JsValue> {
    if !value.is_object() {
        return Err(malformed(format!(
            "snapshot must be an object made by dump(), got {}",
            describe(value)
        )));
    }
    let version = get(value, "version")?;
    let version = version
        .as_f64()
        .filter(|v| v.fract() == 0.0 && *v >= 0.0 && *v <= f64::from(u32::MAX))
        .ok_or_else(|| {
            malformed(format!(
                "snapshot.version must be a whole number, got {}",
                describe(&version)
            ))
        })?;
    if version != f64::from(JS_VERSION) {
        // Checked above: a whole number within u32.
        let version = version as u32;
        let error = Error::UnsupportedSnapshot { version };
        return Err(Failure::core("snapshot", &error).into());
    }
    let entries_value = get(value, "entries")?;
    if !entries_value.is_object() {
        return Err(malformed(format!(
            "snapshot.entries must be an array, got {}",
            describe(&entries_value)
        )));
    }
    let listed = codec::collect(&entries_value, "snapshot.entries", "an array")?;
    let mut entries = Vec::with_capacity(listed.length() as usize);
    for (index, entry) in listed.iter().enumerate() {
        let at = format!("snapshot.entries[{index}]");
        if !entry.is_object() {
            return Err(malformed(format!(
                "{at} must be an object, got {}",
                describe(&entry)
            )));
        }
        let key = get(&entry, "key")?;
        if !key.is_string() {
            return Err(malformed(format!(
                "{at}.key must be a string, got {}",
                describe(&key)
            )));
        }
        let key = crate::cache::key_of(&key, &format!("{at}.key"), limits)?;
        let bytes = codec::snapshot_bytes(&get(&entry, "value")?, &format!("{at}.value"))?;
        // Refused before the bytes are copied into WebAssembly memory.
        limits
            .check_entry(&key, bytes.length() as usize)
            .map_err(|error| Failure::core(&at, &error))?;
        let value = bytes.to_vec();
        let expires_at = get(&entry, "expiresAt")?;
        let expires_at = if expires_at.is_null() || expires_at.is_undefined() {
            None
        } else {
            let millis = expires_at.as_f64().ok_or_else(|| {
                malformed(format!(
                    "{at}.expiresAt must be null or a number, got {}",
                    describe(&expires_at)
                ))
            })?;
            Some(convert::deadline(&format!("{at}.expiresAt"), millis)?)
        };
        entries.push(SnapshotEntry {
            key,
            value: SnapshotValue::Bytes(value),
            expires_at,
        });
    }
    Ok(Snapshot {
        version: JS_VERSION,
        entries,
    })
}

/// A `TypeError` with code `invalid_snapshot`.
fn malformed(message: String) -> JsValue {
    Failure::type_error(INVALID_SNAPSHOT, message).into()
}

/// `object[name]`, letting anything the caller's getter throws through as an error.
fn get(object: &JsValue, name: &str) -> Result<JsValue, JsValue> {
    Reflect::get(object, &JsValue::from_str(name))
}

/// Defines `object[name]` on an object this module just made.
fn set(object: &Object, name: &str, value: &JsValue) -> Result<(), JsValue> {
    Reflect::set(object, &JsValue::from_str(name), value).map(|_| ())
}
