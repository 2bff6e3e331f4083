//! The options of `new Cache(options)`, checked once.
//!
//! JavaScript reads the options object (its names and the type of each value: reading runs the
//! caller's getters, which must not run inside a call) and passes the numbers here, in the order
//! of [`Options::NAMES`]; this module checks their ranges and the limits they make.

use chatcache_core::{Limits, Ttl};

use crate::convert;
use crate::error::{Failure, Text};

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
    /// Checks the numeric options in order (`None`: not given). Only the first `checked` are
    /// looked at: JavaScript found the next one not to be a number, and a refusal of an earlier
    /// one comes first (`Ok` then means "no refusal before it").
    pub(crate) fn parse(values: [Option<f64>; 5], checked: usize) -> Result<Self, Failure> {
        let [
            max_entries,
            max_bytes,
            max_entry_bytes,
            max_key_bytes,
            default_ttl,
        ] = values;
        let given = |i: usize, value: Option<f64>| value.filter(|_| i < checked);
        let mut parsed = Options {
            limits: Limits::default(),
            default_ttl: None,
        };
        let mut limits = Limits::builder();
        if let Some(value) = given(0, max_entries) {
            let max = Limits::ENTRIES_CEILING as f64;
            // Bounded by ENTRIES_CEILING (2^32 - 2), so the cast is exact on every target.
            limits = limits
                .max_entries(convert::positive_integer("options.maxEntries", value, max)? as usize);
        }
        if let Some(value) = given(1, max_bytes) {
            // A small budget lowers the default per-entry limit rather than failing.
            limits = limits.max_bytes(convert::positive_integer(
                "options.maxBytes",
                value,
                MAX_BYTES_CEILING,
            )?);
        }
        if let Some(value) = given(2, max_entry_bytes) {
            limits = limits.max_entry_bytes(convert::positive_integer(
                "options.maxEntryBytes",
                value,
                MAX_BYTES_CEILING,
            )?);
        }
        if let Some(value) = given(3, max_key_bytes) {
            // Bounded by KEY_BYTES_CEILING (65,535), so the cast is exact.
            limits = limits.max_key_bytes(convert::positive_integer(
                "options.maxKeyBytes",
                value,
                Limits::KEY_BYTES_CEILING as f64,
            )? as usize);
        }
        if checked < 4 {
            return Ok(parsed);
        }
        parsed.limits = limits.build().map_err(limits_failure)?;
        if let Some(value) = given(4, default_ttl) {
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

#[cfg(test)]
mod tests {
    use std::prelude::rust_2024::*;

    use super::*;

    #[test]
    fn ranges_are_checked_in_order_up_to_the_first_non_number() {
        let none = [None; 5];
        assert!(Options::parse(none, 5).is_ok());
        let bad_entries = [Some(0.0), None, None, None, Some(-1.0)];
        let failure = Options::parse(bad_entries, 5).err().map(|f| f.code);
        assert_eq!(failure, Some("invalid_number"));
        // Only the first `checked` count: a later option's refusal waits for JavaScript's.
        assert!(Options::parse([None, None, None, None, Some(-1.0)], 4).is_ok());
        let failure = Options::parse([None, None, None, None, Some(-1.0)], 5).err();
        assert_eq!(failure.map(|f| f.code), Some("invalid_ttl"));
        let inconsistent = [None, Some(100.0), Some(200.0), None, None];
        assert_eq!(
            Options::parse(inconsistent, 4).err().map(|f| f.code),
            Some("invalid_limits")
        );
        let parsed = Options::parse([Some(5.0), None, None, None, Some(10.0)], 5).ok();
        assert_eq!(parsed.as_ref().map(|o| o.limits.max_entries()), Some(5));
        assert_eq!(
            parsed.and_then(|o| o.default_ttl).map(Ttl::as_millis),
            Some(10)
        );
    }
}
