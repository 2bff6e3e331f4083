//! The options of `new Cache(options)`, checked once.

use chatcache_core::{Limits, Ttl};
use js_sys::Reflect;
use wasm_bindgen::JsValue;

use crate::convert;
use crate::error::{Failure, INVALID_TYPE, Text, describe};

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

/// The constructor's options, checked (all but `now`, which the JavaScript class reads).
pub(crate) struct Options {
    /// The limits.
    pub(crate) limits: Limits,
    /// The TTL of writes that do not give one.
    pub(crate) default_ttl: Option<Ttl>,
}

impl Options {
    /// Reads and checks the options object (`undefined` and `null` mean all defaults).
    pub(crate) fn parse(options: &JsValue) -> Result<Self, JsValue> {
        let mut parsed = Options {
            limits: Limits::default(),
            default_ttl: None,
        };
        if options.is_undefined() || options.is_null() {
            return Ok(parsed);
        }
        if !options.is_object() {
            return Err(Failure::type_error(
                INVALID_TYPE,
                Text::new()
                    .s("options must be an object, got ")
                    .s(&describe(options)),
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
        // `now` is the JavaScript class's to read: it calls the clock.
        Ok(parsed)
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
        } => Text::new()
            .s("options.maxEntryBytes (")
            .n(max_entry_bytes)
            .s(") must not exceed options.maxBytes (")
            .n(max_bytes)
            .s(")"),
        InvalidLimits::EntryTooSmall { max_entry_bytes } => Text::new()
            .s("options.maxEntryBytes and options.maxBytes must exceed the per-entry overhead of ")
            .n(chatcache_core::ENTRY_OVERHEAD)
            .s(" bytes, got ")
            .n(max_entry_bytes),
        other => Text::new()
            .s("options: invalid limits: ")
            .message(&other.message()),
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
                Text::new()
                    .s("options.")
                    .s(&name)
                    .s(" is not an option (expected ")
                    .s(&OPTION_NAMES.join(", "))
                    .s(")"),
            )
            .into());
        }
    }
    Ok(())
}

fn get(object: &JsValue, name: &str) -> Result<JsValue, JsValue> {
    Reflect::get(object, &JsValue::from_str(name))
}

fn optional_number(options: &JsValue, name: &str) -> Result<Option<f64>, JsValue> {
    let value = get(options, name)?;
    if value.is_undefined() {
        return Ok(None);
    }
    value.as_f64().map(Some).ok_or_else(|| {
        Failure::type_error(
            INVALID_TYPE,
            Text::new()
                .s("options.")
                .s(name)
                .s(" must be a number, got ")
                .s(&describe(&value)),
        )
        .into()
    })
}
