//! Counters: the integer format `incr`/`decr` read and write, as Redis does.

/// Parses a canonical decimal `i64` the way Redis's `string2ll` does: an optional `-`, no
/// leading zeros, no `+`, no spaces; `None` for anything else or a value outside `i64`.
///
/// ```
/// use chatcache_core::parse_integer;
/// assert_eq!(parse_integer(b"-42"), Some(-42));
/// assert_eq!(parse_integer(b"007"), None);
/// assert_eq!(parse_integer(b"9223372036854775808"), None);
/// ```
pub fn parse_integer(bytes: &[u8]) -> Option<i64> {
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    match digits {
        [] => return None,
        [b'0'] => return (!negative).then_some(0),
        [b'0', ..] => return None,
        _ => {}
    }
    let mut value: i64 = 0;
    for &byte in digits {
        let digit = i64::from(byte.checked_sub(b'0').filter(|d| *d <= 9)?);
        value = value.checked_mul(10)?;
        value = if negative {
            value.checked_sub(digit)?
        } else {
            value.checked_add(digit)?
        };
    }
    Some(value)
}
