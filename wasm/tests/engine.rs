//! The engine behind the JavaScript `Cache` class, through its Rust signatures, in real
//! JavaScript engines: Node by default, headless Chromium and Firefox through wasm-pack (see
//! `wasm/scripts/test.sh`). The JavaScript tests in `wasm/test/` cover the class itself.
#![cfg(target_arch = "wasm32")]

use chatcache_wasm::Engine;
use chatcache_wasm::engine::{
    EXPIRED, FAILED, Header, KIND_BYTES, KIND_LIST, KIND_MEMBERS, PRESENT, TTL_AT, TTL_DEFAULT,
    TTL_GIVEN, TTL_KEEP, TTL_NONE, wasm_memory,
};
use js_sys::{Float64Array, Uint32Array, WebAssembly};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

/// An engine configured with `fields` (by their JavaScript names), or the code it refused with.
fn engine_with(fields: &[(&str, f64)]) -> Result<Engine, String> {
    let names = [
        "maxEntries",
        "maxBytes",
        "maxEntryBytes",
        "maxKeyBytes",
        "defaultTtl",
    ];
    let value = |i: usize| {
        fields
            .iter()
            .find(|(name, _)| *name == names[i])
            .map(|&(_, v)| v)
    };
    let mut engine = Engine::new();
    match engine.configure(value(0), value(1), value(2), value(3), value(4), 5) {
        FAILED => Err(engine.failure_code()),
        _ => Ok(engine),
    }
}

fn buffer() -> JsValue {
    wasm_memory()
        .unchecked_into::<WebAssembly::Memory>()
        .buffer()
}

/// What a call left in the header, read the way the JavaScript class reads it.
fn header(engine: &Engine) -> Vec<f64> {
    let len = Header::OutB as u32 + 1;
    Float64Array::new_with_byte_offset_and_length(&buffer(), engine.header(), len).to_vec()
}

fn forgotten(engine: &Engine) -> Vec<u32> {
    let cells = header(engine);
    let at = cells[Header::Forgotten as usize] as u32;
    let len = cells[Header::ForgottenLen as usize] as u32;
    Uint32Array::new_with_byte_offset_and_length(&buffer(), at, len).to_vec()
}

fn out(engine: &Engine) -> (f64, f64) {
    let cells = header(engine);
    (cells[Header::OutA as usize], cells[Header::OutB as usize])
}

#[wasm_bindgen_test]
fn options_are_checked_with_codes() {
    for (fields, code) in [
        (vec![("maxEntries", 0.0)], "invalid_number"),
        (vec![("maxBytes", 10.0)], "invalid_limits"),
        (vec![("maxKeyBytes", 70_000.0)], "invalid_number"),
        (vec![("defaultTtl", -1.0)], "invalid_ttl"),
    ] {
        let error = engine_with(&fields).err();
        assert_eq!(error.as_deref(), Some(code), "{fields:?}");
    }
    assert!(engine_with(&[]).is_ok());
    let engine = engine_with(&[("maxKeyBytes", 10.0)]).ok();
    assert_eq!(engine.map(|e| e.max_key_bytes()), Some(10));
}

#[wasm_bindgen_test]
fn writes_evict_and_report_forgotten_slots() {
    let mut engine = engine_with(&[("maxEntries", 2.0)]).expect("valid");
    let a = engine.write(-1, 1, 1, 5.0, TTL_NONE, 0.0, 1_000.0, false);
    let b = engine.write(-1, 2, 1, 5.0, TTL_NONE, 0.0, 1_000.0, false);
    assert!(a >= 0 && b >= 0 && a != b);
    assert_eq!(
        engine.write(a, 1, 1, 5.0, TTL_NONE, 0.0, 1_000.0, true),
        PRESENT
    );
    let c = engine.write(-1, 3, 1, 5.0, TTL_NONE, 0.0, 1_000.0, false);
    assert_eq!(
        forgotten(&engine),
        [a as u32],
        "the oldest unread entry makes room"
    );
    assert_eq!(c, a, "its slot number is reused");
    assert_eq!(engine.size(), 2);
    assert_eq!(engine.bytes(), 2.0 * (1.0 + 5.0 + 48.0));
    assert!(engine.validate().is_none());
}

#[wasm_bindgen_test]
fn refusals_change_nothing_and_give_typed_errors() {
    let mut engine = engine_with(&[("maxEntryBytes", 100.0)]).expect("valid");
    let slot = engine.write(-1, 1, 1, 5.0, TTL_DEFAULT, 0.0, 0.0, false);
    let refused = |status: i32, code: &str, engine: &mut Engine| {
        assert_eq!(status, FAILED, "{code}");
        assert_eq!(engine.failure_code(), code);
        let is_type = engine.failure_is_type();
        assert_eq!(is_type, code == "invalid_type" || code == "not_an_integer");
        assert!(!engine.failure().is_empty());
    };
    let status = engine.write(slot, 1, 1, 60.0, TTL_NONE, 0.0, 0.0, false);
    refused(status, "entry_too_large", &mut engine);
    let status = engine.write(-1, 1, 0, 1.0, TTL_NONE, 0.0, 0.0, false);
    refused(status, "empty_key", &mut engine);
    let status = engine.write(slot, 1, 1, 1.0, TTL_GIVEN, 0.0, 0.0, false);
    refused(status, "zero_ttl", &mut engine);
    let status = engine.write(slot, 1, 1, 1.0, TTL_GIVEN, f64::NAN, 0.0, false);
    refused(status, "invalid_ttl", &mut engine);
    let status = engine.list_push(slot, 1, 1, 1.0, 5.0, TTL_KEEP, 0.0, 0.0);
    refused(status, "wrong_type", &mut engine);
    let status = engine.list_push(-1, 9, 1, 1.0, 0.0, TTL_KEEP, 0.0, 0.0);
    refused(status, "invalid_cap", &mut engine);
    let status = engine.list_push(-1, 9, 1, 1.0, 1.5, TTL_KEEP, 0.0, 0.0);
    refused(status, "invalid_number", &mut engine);
    let status = engine.member_add(-1, 9, 1, "", 10.0, 0.0);
    refused(status, "empty_member", &mut engine);
    let status = engine.list_range(-1, 0.5, 1.0, 0.0);
    refused(status, "invalid_number", &mut engine);
    assert_eq!(engine.size(), 1);
    assert_eq!(engine.bytes(), 1.0 + 5.0 + 48.0);
    assert_eq!(engine.remaining(slot, 0.0), f64::INFINITY);
    assert!(engine.validate().is_none());
}

#[wasm_bindgen_test]
fn expiry_is_decided_at_the_given_time() {
    let mut engine = Engine::new();
    let slot = engine.write(-1, 1, 1, 1.0, TTL_GIVEN, 100.0, 1_000.0, false);
    assert_eq!(engine.remaining(slot, 1_099.0), 1.0);
    assert!(engine.live(slot as u32, 1_099.0));
    assert_eq!(engine.lookup(slot, 1_100.0), 0, "the deadline is exclusive");
    assert_eq!(forgotten(&engine), [slot as u32]);
    assert!(!engine.live(slot as u32, 1_100.0));
    // An absolute deadline that has passed is not stored.
    assert_eq!(
        engine.write(-1, 2, 1, 1.0, TTL_AT, 500.0, 1_100.0, false),
        EXPIRED
    );
    assert_eq!(engine.size(), 0);
}

#[wasm_bindgen_test]
fn lists_report_lengths_and_drops_and_member_sets_their_order() {
    let mut engine = Engine::new();
    let list = engine.list_push(-1, 1, 4, 2.0, 2.0, TTL_KEEP, 0.0, 0.0);
    assert_eq!(out(&engine), (1.0, 0.0));
    assert_eq!(
        engine.list_push(list, 1, 4, 2.0, 2.0, TTL_KEEP, 0.0, 0.0),
        list
    );
    assert_eq!(
        engine.list_push(list, 1, 4, 2.0, 2.0, TTL_GIVEN, 50.0, 0.0),
        list
    );
    assert_eq!(out(&engine), (2.0, 1.0), "two kept, the oldest dropped");
    assert_eq!(engine.kind(list as u32), KIND_LIST);
    assert_eq!(engine.list_range(list, -1.0, -1.0, 0.0), 1);
    assert_eq!(out(&engine), (1.0, 1.0));
    assert_eq!(engine.list_len(list, 0.0), 2.0);
    assert_eq!(engine.remaining(list, 0.0), 50.0);

    let set = engine.member_add(-1, 2, 6, "bob", 100.0, 0.0);
    assert_eq!(out(&engine).0, 1.0);
    engine.member_add(set, 2, 6, "ada", 200.0, 0.0);
    assert_eq!(engine.kind(set as u32), KIND_MEMBERS);
    // A list of names: each prefixed by its UTF-16 length and a colon.
    assert_eq!(engine.members_of(set, 0.0).as_deref(), Some("3:ada3:bob"));
    assert_eq!(engine.members_of(set, 150.0).as_deref(), Some("3:ada"));
    assert_eq!(engine.member_remove(set, "ada", 150.0), 1);
    assert_eq!(
        forgotten(&engine),
        [set as u32],
        "the set went with its last member"
    );
    assert!(engine.validate().is_none());
}

#[wasm_bindgen_test]
fn incr_keeps_the_expiry_and_refuses_what_is_not_an_integer() {
    let mut engine = Engine::new();
    let text = engine
        .incr(-1, 1, 1, None, 5.0, 0.0)
        .expect("a new counter");
    assert_eq!(text, "5");
    let slot = out(&engine).0 as i32;
    engine.touch(slot, TTL_GIVEN, 1_000.0, 0.0);
    let text = engine
        .incr(slot, 1, 1, Some("5".to_owned()), -7.0, 10.0)
        .expect("a counter");
    assert_eq!(text, "-2");
    assert_eq!(engine.remaining(slot, 10.0), 990.0);
    assert!(engine.incr(slot, 1, 1, None, 1.0, 10.0).is_none());
    assert_eq!(engine.failure_code(), "not_an_integer");
    let max = Some("9223372036854775807".to_owned());
    assert!(engine.incr(slot, 1, 1, max, 1.0, 10.0).is_none());
    assert_eq!(engine.failure_code(), "overflow");
    assert_eq!(engine.kind(slot as u32), KIND_BYTES);
}

/// Random operations on a small engine, with every invariant checked after each, and the
/// forgotten slots followed as the JavaScript class follows them.
#[wasm_bindgen_test]
fn random_operations_keep_every_invariant() {
    let mut engine = engine_with(&[("maxEntries", 8.0), ("maxBytes", 2_000.0)]).expect("valid");
    let mut held: Vec<i32> = Vec::new();
    let mut state = 0x9e37_79b9_u32;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    let mut now = 0.0;
    for _ in 0..3_000 {
        let pick = next();
        let slot = if held.is_empty() || pick % 3 == 0 {
            -1
        } else {
            held[(pick as usize / 3) % held.len()]
        };
        let len = f64::from(next() % 300);
        let print = next();
        let ttl = f64::from(next() % 50 + 1);
        let status = match pick % 7 {
            0 => engine.write(slot, print, 3, len, TTL_GIVEN, ttl, now, false),
            1 => engine.list_push(
                slot,
                print,
                3,
                len,
                f64::from(pick % 4 + 1),
                TTL_KEEP,
                0.0,
                now,
            ),
            2 => engine.member_add(
                slot,
                print,
                3,
                ["a", "b", "c"][(pick % 3) as usize],
                ttl,
                now,
            ),
            3 => engine.remove(slot, now),
            4 => engine.lookup(slot, now),
            5 => engine.write(slot, print, 3, len, TTL_NONE, 0.0, now, true),
            _ => {
                now += f64::from(pick % 30);
                0
            }
        };
        if status == FAILED {
            drop(engine.failure());
        } else if pick % 7 != 6 {
            for gone in forgotten(&engine) {
                held.retain(|&s| s != gone as i32);
            }
            if status >= 0 && pick % 7 <= 2 && !held.contains(&status) {
                held.push(status);
            }
        }
        if let Some(violation) = engine.validate() {
            panic!("{violation}");
        }
    }
    assert!(engine.size() <= 8 && engine.bytes() <= 2_000.0);
}
