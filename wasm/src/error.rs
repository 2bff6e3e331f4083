//! Failures on their way to JavaScript: real `TypeError`/`RangeError` objects with a `code`.
//!
//! Everything that can go wrong in the adapter is described as a plain-Rust [`Failure`] (so
//! argument checking is testable on any target); JavaScript reads its class, code and message
//! (a flag and two strings) and builds the error object. The `code` property is stable: the core's
//! [`Error::code`](chatcache_core::Error::code) for refusals made by the core, and one of the
//! adapter codes below for JavaScript-level misuse.

use crate::prelude::*;

use chatcache_core::{Error, Message, Piece};

/// Adapter code: an argument (or option, or snapshot field) has the wrong JavaScript type.
pub(crate) const INVALID_TYPE: &str = "invalid_type";
/// Adapter code: a number is out of range (not an integer, not positive, too large).
pub(crate) const INVALID_NUMBER: &str = "invalid_number";
/// Adapter code: a TTL that is NaN or negative (zero and too-long TTLs use the core's codes).
pub(crate) const INVALID_TTL: &str = "invalid_ttl";
/// Adapter code: a value that cannot round-trip (not a string, `Uint8Array` or JSON value, or
/// a string with a lone surrogate).
pub(crate) const INVALID_VALUE: &str = "invalid_value";
/// Adapter code: a key string with a lone surrogate, which UTF-8 cannot hold.
pub(crate) const INVALID_KEY: &str = "invalid_key";
/// Adapter code: the `now` option returned something that is not a usable time.
pub(crate) const INVALID_CLOCK: &str = "invalid_clock";
/// Adapter code: a snapshot passed to `load` is malformed.
pub(crate) const INVALID_SNAPSHOT: &str = "invalid_snapshot";
/// Adapter code: the cache was used after `free()`.
pub(crate) const FREED: &str = "freed";

/// The adapter's own codes, by the names JavaScript uses for them.
const ADAPTER_CODES: [(&str, &str); 8] = [
    ("INVALID_TYPE", INVALID_TYPE),
    ("INVALID_NUMBER", INVALID_NUMBER),
    ("INVALID_TTL", INVALID_TTL),
    ("INVALID_VALUE", INVALID_VALUE),
    ("INVALID_KEY", INVALID_KEY),
    ("INVALID_CLOCK", INVALID_CLOCK),
    ("INVALID_SNAPSHOT", INVALID_SNAPSHOT),
    ("FREED", FREED),
];

/// One error of each kind the core refuses with, for the list of codes.
fn core_errors() -> [Error; 14] {
    use chatcache_core::{InvalidLimits, Kind};
    [
        Error::EmptyKey,
        Error::KeyTooLong { len: 0, max: 0 },
        Error::EntryTooLarge { weight: 0, max: 0 },
        Error::ZeroTtl,
        Error::TtlTooLong,
        Error::NotAnInteger,
        Error::Overflow,
        Error::InvalidLimits(InvalidLimits::NoEntries),
        Error::WrongType {
            expected: Kind::Bytes,
            found: None,
        },
        Error::InvalidCap { cap: 0, max: 0 },
        Error::EmptyMember,
        Error::MemberTooLong { len: 0, max: 0 },
        Error::InvalidSnapshot(""),
        Error::UnsupportedSnapshot { version: 0 },
    ]
}

/// Every `code` an error of the package can have, comma-separated (`empty_key,…,invalid_type,
/// …`): JavaScript takes its codes from here, each under its upper-case name
/// (`CODE.EMPTY_KEY`), so each is written once.
#[wasm_bindgen::prelude::wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> String {
    let mut codes: Vec<&str> = core_errors().iter().map(Error::code).collect();
    for (_, code) in ADAPTER_CODES {
        // `invalid_snapshot` is both the core's and the adapter's.
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    // Joined by hand: `join` adds a kilobyte of generic code to the `.wasm`.
    let mut text = Text::new();
    for (i, code) in codes.into_iter().enumerate() {
        text = if i == 0 { text } else { text.s(",") }.s(code);
    }
    text.into()
}

/// The built-in JavaScript error class a [`Failure`] is thrown as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// `TypeError`: a value of the wrong type.
    Type,
    /// `RangeError`: a value of the right type outside the accepted range.
    Range,
}

/// A refused call, described in Rust and converted to a JavaScript error at the boundary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    /// Which error class JavaScript sees.
    pub(crate) class: Class,
    /// The stable `code` property.
    pub(crate) code: &'static str,
    /// The message, which starts with the name of the offending argument.
    pub(crate) message: String,
}

impl Failure {
    /// A `TypeError` with the given code and message.
    pub(crate) fn type_error(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            class: Class::Type,
            code,
            message: message.into(),
        }
    }

    /// A `RangeError` with the given code and message.
    pub(crate) fn range_error(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            class: Class::Range,
            code,
            message: message.into(),
        }
    }

    /// A refusal by the core, reported against the argument `arg`.
    ///
    /// `not_an_integer` (an `incr` on a value that is not a decimal integer) is a `TypeError`:
    /// the stored value has the wrong type for the operation. Every other core refusal is about
    /// a size or a range and is a `RangeError`.
    pub(crate) fn core(arg: &str, error: &Error) -> Self {
        let class = match error {
            Error::NotAnInteger => Class::Type,
            _ => Class::Range,
        };
        Self {
            class,
            code: error.code(),
            message: Text::new().s(arg).s(": ").message(&error.message()).into(),
        }
    }
}

/// A message built by hand: `core::fmt` (`format!`, `to_string`) would add kilobytes of
/// formatting machinery to the `.wasm`, so no call the module exports reaches it.
#[derive(Default)]
pub(crate) struct Text(String);

impl Text {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Appends `text`.
    #[inline(never)]
    pub(crate) fn s(mut self, text: &str) -> Self {
        self.0.push_str(text);
        self
    }

    /// Appends `n` in decimal.
    #[inline(never)]
    pub(crate) fn n(mut self, n: u64) -> Self {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut n = n;
        loop {
            at -= 1;
            // A remainder of 10 is one digit.
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for &digit in &digits[at..] {
            self.0.push(char::from(digit));
        }
        self
    }

    /// Appends `n` in decimal, with a `-` if negative.
    #[inline(never)]
    pub(crate) fn i(self, n: i64) -> Self {
        let text = if n < 0 { self.s("-") } else { self };
        text.n(n.unsigned_abs())
    }

    /// Appends a core error message.
    #[inline(never)]
    pub(crate) fn message(self, message: &Message) -> Self {
        message
            .pieces()
            .iter()
            .fold(self, |text, piece| match *piece {
                Piece::Text(piece) => text.s(piece),
                Piece::Number(n) => text.n(n),
            })
    }
}

impl From<Text> for String {
    fn from(text: Text) -> String {
        text.0
    }
}

#[cfg(test)]
mod tests {
    use std::format;
    use std::string::{String, ToString};
    use std::vec::Vec;

    use super::*;

    #[test]
    fn text_prints_numbers_as_display_does() {
        for n in [0u64, 7, 10, 99, 1_000_000, u64::MAX] {
            assert_eq!(String::from(Text::new().n(n)), n.to_string());
        }
        for n in [0i64, -1, 42, i64::MIN, i64::MAX] {
            assert_eq!(String::from(Text::new().i(n)), n.to_string());
        }
        let error = Error::EntryTooLarge {
            weight: 70,
            max: 64,
        };
        assert_eq!(
            Failure::core("value", &error).message,
            format!("value: {error}")
        );
    }

    #[test]
    fn core_refusals_keep_the_core_code_and_name_the_argument() {
        let failure = Failure::core("key", &Error::EmptyKey);
        assert_eq!(failure.class, Class::Range);
        assert_eq!(failure.code, "empty_key");
        assert!(failure.message.starts_with("key: "), "{}", failure.message);

        let failure = Failure::core("key", &Error::NotAnInteger);
        assert_eq!(failure.class, Class::Type);
        assert_eq!(failure.code, "not_an_integer");
    }

    /// JavaScript names each code by its upper-case form, which is the adapter's name for it.
    #[test]
    fn codes_are_named_by_their_upper_case() {
        for (name, code) in ADAPTER_CODES {
            assert_eq!(name, code.to_ascii_uppercase());
        }
        let listed = error_codes();
        let codes: Vec<&str> = listed.split(',').collect();
        assert_eq!(codes[..2], ["empty_key", "key_too_long"]);
        for code in &codes {
            assert_eq!(
                codes.iter().filter(|c| *c == code).count(),
                1,
                "{code} twice"
            );
        }
        for (_, code) in ADAPTER_CODES {
            assert!(codes.contains(&code), "{code}");
        }
    }

    /// Every core error has its code in the list JavaScript reads (a new variant that is left
    /// out fails here: the match below has no wildcard).
    #[test]
    fn the_code_list_covers_every_core_error() {
        let listed: Vec<&str> = core_errors().iter().map(Error::code).collect();
        let every = |error: &Error| match error {
            Error::EmptyKey
            | Error::KeyTooLong { .. }
            | Error::EntryTooLarge { .. }
            | Error::ZeroTtl
            | Error::TtlTooLong
            | Error::NotAnInteger
            | Error::Overflow
            | Error::InvalidLimits(_)
            | Error::WrongType { .. }
            | Error::InvalidCap { .. }
            | Error::EmptyMember
            | Error::MemberTooLong { .. }
            | Error::InvalidSnapshot(_)
            | Error::UnsupportedSnapshot { .. } => error.code(),
            _ => panic!("a core error this package does not list: {error:?}"),
        };
        for error in core_errors() {
            assert!(listed.contains(&every(&error)));
        }
    }
}
