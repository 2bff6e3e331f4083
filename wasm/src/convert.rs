//! JavaScript numbers to core types: TTLs, limits, counters and clock readings.
//!
//! JavaScript has one number type, `f64`. These functions decide, in plain Rust, which numbers
//! are acceptable for each purpose; the boundary code only checks that it was handed a number.

use crate::prelude::*;

use chatcache_core::{Timestamp, Ttl};

use crate::error::{Failure, INVALID_NUMBER, INVALID_TTL, Text};

/// `Number.MAX_SAFE_INTEGER`: the largest integer every JavaScript number above it cannot
/// represent exactly, and so the largest count, byte size or step accepted.
pub(crate) const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// A TTL in milliseconds. Fractions of a millisecond round up (so a tiny TTL never means "no
/// TTL"); NaN and negative numbers are `invalid_ttl`, zero is the core's `zero_ttl`, and
/// infinity or more than 2<sup>53</sup> ms is the core's `ttl_too_long`.
pub(crate) fn ttl(arg: &str, millis: f64) -> Result<Ttl, Failure> {
    if millis.is_nan() {
        return Err(Failure::range_error(
            INVALID_TTL,
            Text::new()
                .s(arg)
                .s(" must be a number of milliseconds, got NaN"),
        ));
    }
    if millis < 0.0 {
        return Err(Failure::range_error(
            INVALID_TTL,
            Text::new()
                .s(arg)
                .s(" must not be negative, got ")
                .s(&show(millis)),
        ));
    }
    if millis.is_infinite() {
        return Err(Failure::range_error(
            chatcache_core::Error::TtlTooLong.code(),
            Text::new()
                .s(arg)
                .s(" must be finite; leave it out (or pass null) for no expiry"),
        ));
    }
    // The cast is exact up to 2^53 and saturates above, so the core's own range check
    // refuses a zero TTL and one above `Ttl::MAX_MILLIS`.
    Ttl::from_millis(ceil(millis)).map_err(|error| Failure::core(arg, &error))
}

/// A positive whole number no larger than `max` (a count of entries or bytes).
pub(crate) fn positive_integer(arg: &str, value: f64, max: f64) -> Result<u64, Failure> {
    if !(is_whole(value) && value >= 1.0 && value <= max) {
        return Err(Failure::range_error(
            INVALID_NUMBER,
            Text::new()
                .s(arg)
                .s(" must be a whole number from 1 to ")
                .s(&show(max))
                .s(", got ")
                .s(&show(value)),
        ));
    }
    // Checked above: a whole number in 1..=max, and max is at most 2^53.
    Ok(value as u64)
}

/// An `incr`/`decr` step: a safe integer (so it means exactly what the caller wrote).
pub(crate) fn step(arg: &str, value: f64) -> Result<i64, Failure> {
    if !(is_whole(value) && value.abs() <= MAX_SAFE_INTEGER) {
        return Err(Failure::range_error(
            INVALID_NUMBER,
            Text::new()
                .s(arg)
                .s(" must be a safe integer, got ")
                .s(&show(value)),
        ));
    }
    // Checked above: a whole number of magnitude below 2^53, exact as an i64.
    Ok(value as i64)
}

/// A deadline read back from a snapshot: a whole, non-negative number of milliseconds.
pub(crate) fn deadline(arg: &str, millis: f64) -> Result<Timestamp, Failure> {
    if !(is_whole(millis) && (0.0..=MAX_SAFE_INTEGER).contains(&millis)) {
        return Err(Failure::type_error(
            crate::error::INVALID_SNAPSHOT,
            Text::new()
                .s(arg)
                .s(" must be null or a whole, non-negative number of milliseconds, got ")
                .s(&show(millis)),
        ));
    }
    // Checked above: a whole number in 0..=2^53.
    Ok(Timestamp::from_millis(millis as u64))
}

/// A number for an error message, as JavaScript would print it for the numbers that matter
/// here (integers, NaN, infinities, short fractions). Written by hand because Rust's float
/// formatting would add tens of kilobytes to the `.wasm`.
pub(crate) fn show(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let sign = if value < 0.0 { "-" } else { "" };
    let magnitude = value.abs();
    if magnitude >= 1e15 {
        // Beyond this, fractions cannot be shown exactly; whole numbers still can.
        return Text::new().s(sign).n(magnitude as u64).into();
    }
    // Six decimal places, rounded, with trailing zeros removed.
    // Rounded half up (the cast truncates a non-negative number).
    let micros = (magnitude * 1e6 + 0.5) as u64;
    let (whole, fraction) = (micros / 1_000_000, micros % 1_000_000);
    let text = Text::new().s(sign).n(whole);
    if fraction == 0 {
        return text.into();
    }
    // The fraction's six digits, leading zeros included, trailing zeros dropped.
    let mut digits = String::from(Text::new().n(1_000_000 + fraction));
    digits.remove(0);
    text.s(".").s(digits.trim_end_matches('0')).into()
}

/// Whether `value` is a whole number (`f64::fract` needs `std`): false for NaN and the
/// infinities. Every finite float of magnitude 2<sup>52</sup> or more is whole.
pub(crate) fn is_whole(value: f64) -> bool {
    value.is_finite() && (value.abs() >= 4_503_599_627_370_496.0 || value as i64 as f64 == value)
}

/// `millis.ceil()` as a `u64` for a non-negative number (`f64::ceil` needs `std`), saturating
/// as the cast does.
fn ceil(millis: f64) -> u64 {
    let whole = millis as u64;
    if (whole as f64) < millis {
        whole.saturating_add(1)
    } else {
        whole
    }
}

/// A count or size from the core as a JavaScript number. Counts stay far below 2<sup>53</sup>
/// in practice; larger ones lose precision rather than wrap.
pub(crate) fn number(value: u64) -> f64 {
    value as f64
}

#[cfg(test)]
mod tests {
    use std::prelude::rust_2024::*;

    use super::*;
    use crate::error::Class;

    #[test]
    fn ttls_round_up_and_reject_what_javascript_can_express_but_the_core_cannot() {
        assert_eq!(ttl("ttl", 1.0).map(Ttl::as_millis), Ok(1));
        assert_eq!(ttl("ttl", 0.25).map(Ttl::as_millis), Ok(1));
        assert_eq!(ttl("ttl", 1500.5).map(Ttl::as_millis), Ok(1501));
        assert_eq!(
            ttl("ttl", 2f64.powi(53)).map(Ttl::as_millis),
            Ok(Ttl::MAX_MILLIS)
        );

        let code = |ms: f64| ttl("ttl", ms).map_err(|f| (f.class, f.code));
        assert_eq!(code(f64::NAN), Err((Class::Range, "invalid_ttl")));
        assert_eq!(code(-1.0), Err((Class::Range, "invalid_ttl")));
        assert_eq!(code(f64::NEG_INFINITY), Err((Class::Range, "invalid_ttl")));
        assert_eq!(code(0.0), Err((Class::Range, "zero_ttl")));
        assert_eq!(code(-0.0), Err((Class::Range, "zero_ttl")));
        assert_eq!(code(f64::INFINITY), Err((Class::Range, "ttl_too_long")));
        assert_eq!(
            code(2f64.powi(53) + 2.0),
            Err((Class::Range, "ttl_too_long"))
        );
        assert_eq!(code(1e300), Err((Class::Range, "ttl_too_long")));
    }

    #[test]
    fn messages_name_the_argument() {
        let failure = ttl("options.ttl", -5.0).err();
        assert!(failure.is_some_and(|f| f.message.starts_with("options.ttl ")));
    }

    #[test]
    fn positive_integers_are_whole_and_bounded() {
        assert_eq!(positive_integer("n", 1.0, 10.0), Ok(1));
        assert_eq!(positive_integer("n", 10.0, 10.0), Ok(10));
        for bad in [0.0, -1.0, 1.5, 11.0, f64::NAN, f64::INFINITY] {
            assert!(positive_integer("n", bad, 10.0).is_err(), "{bad}");
        }
    }

    #[test]
    fn steps_are_safe_integers() {
        assert_eq!(step("by", -3.0), Ok(-3));
        assert_eq!(step("by", MAX_SAFE_INTEGER), Ok(9_007_199_254_740_991));
        for bad in [0.5, f64::NAN, f64::INFINITY, MAX_SAFE_INTEGER + 2.0] {
            assert!(step("by", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn numbers_in_messages_print_like_javascript() {
        assert_eq!(show(f64::NAN), "NaN");
        assert_eq!(show(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(show(0.0), "0");
        assert_eq!(show(-0.0), "0");
        assert_eq!(show(42.0), "42");
        assert_eq!(show(-1.5), "-1.5");
        assert_eq!(show(0.125), "0.125");
        assert_eq!(show(9_007_199_254_740_991.0), "9007199254740991");
    }

    #[test]
    fn whole_numbers_and_ceilings_match_std() {
        for v in [
            0.0,
            -0.0,
            1.0,
            -3.0,
            0.5,
            -0.5,
            1e-300,
            2.5,
            4503599627370495.5,
            2f64.powi(52),
            2f64.powi(53) + 2.0,
            1e300,
            -1e300,
        ] {
            assert_eq!(is_whole(v), v.fract() == 0.0, "{v}");
        }
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(!is_whole(v));
        }
        for v in [
            0.0,
            0.25,
            1.0,
            1500.5,
            4503599627370495.5,
            2f64.powi(53),
            1e19,
            1e300,
        ] {
            assert_eq!(ceil(v), v.ceil() as u64, "{v}");
        }
    }

    #[test]
    fn snapshot_deadlines_are_whole_milliseconds() {
        assert_eq!(deadline("d", 5.0), Ok(Timestamp::from_millis(5)));
        for bad in [-1.0, 0.5, f64::NAN, f64::INFINITY] {
            assert!(deadline("d", bad).is_err(), "{bad}");
        }
    }
}
