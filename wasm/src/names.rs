//! Lists of strings across the boundary as one string, without JavaScript arrays.
//!
//! Member names go in and out as a single string in which each name is preceded by its length
//! in UTF-16 code units (JavaScript's `length`) and a colon: `["ada", "bo:b"]` is
//! `3:ada4:bo:b`. Any character may appear in a name; the lengths say where each ends. This
//! keeps `js-sys` arrays and wasm-bindgen's vector-of-strings conversion out of the `.wasm`.
//! JavaScript's side is `joinNames` and `splitNames` in `js/cache.js`.

use crate::prelude::*;

use crate::error::Text;

/// Appends `name` to a list being built.
pub(crate) fn push(text: Text, name: &str) -> Text {
    let units = name.chars().map(char::len_utf16).sum::<usize>();
    text.n(units as u64).s(":").s(name)
}

/// The names of a list JavaScript joined, or `None` if it is malformed.
///
/// Only `str::get` slices here (no indexing, which could panic and would bring the panic
/// message's formatting into the `.wasm`).
pub(crate) fn split(text: &str) -> Option<Vec<&str>> {
    let mut names = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut units = 0usize;
        let mut digits = 0;
        for byte in rest.bytes().take_while(u8::is_ascii_digit) {
            units = units
                .checked_mul(10)?
                .checked_add(usize::from(byte - b'0'))?;
            digits += 1;
        }
        if digits == 0 || rest.as_bytes().get(digits) != Some(&b':') {
            return None;
        }
        rest = rest.get(digits + 1..)?;
        let mut end = 0;
        let mut chars = rest.chars();
        while units > 0 {
            let c = chars.next()?;
            units = units.checked_sub(c.len_utf16())?;
            end += c.len_utf8();
        }
        names.push(rest.get(..end)?);
        rest = rest.get(end..)?;
    }
    Some(names)
}

#[cfg(test)]
mod tests {
    use std::prelude::rust_2024::*;
    use std::vec;

    use super::*;

    #[test]
    fn names_round_trip_whatever_they_contain() {
        let names = ["ada", "", "bo:b", "12:x", "é", "😀", "a😀b"];
        let text: String = names.iter().fold(Text::new(), |t, n| push(t, n)).into();
        assert_eq!(&text[..11], "3:ada0:4:bo");
        assert_eq!(split(&text), Some(names.to_vec()));
        assert_eq!(split(""), Some(vec![]));
    }

    #[test]
    fn malformed_lists_are_refused() {
        for bad in [
            "3:ab",
            "x:a",
            ":a",
            "3ada",
            "1:😀",
            "99999999999999999999999:a",
        ] {
            assert_eq!(split(bad), None, "{bad}");
        }
    }
}
