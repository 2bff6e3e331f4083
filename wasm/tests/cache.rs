//! The `Cache` class through its Rust signatures, in a real JavaScript engine: Node by default,
//! headless Chromium with `WASM_BINDGEN_USE_BROWSER=1` (see `wasm/scripts/test.sh`).
//!
//! The JavaScript-level tests in `wasm/test/` cover the same API from JavaScript against the
//! built package; these run without a build and close to the code.
#![cfg(target_arch = "wasm32")]

use chatcache_wasm::Cache;
use js_sys::{Array, Function, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

/// `{ name: value, ... }`
fn object(fields: &[(&str, JsValue)]) -> Object {
    let object = Object::new();
    for (name, value) in fields {
        Reflect::set(&object, &JsValue::from_str(name), value).expect("set on a plain object");
    }
    object
}

/// A cache whose clock reads the number in `clock[0]` (an array, so tests can move it).
fn cache_with_clock(extra: &[(&str, JsValue)]) -> (Cache, Array) {
    let clock = Array::of1(&JsValue::from_f64(1_000.0));
    let now = Function::new_with_args("", "return this[0];").bind0(&clock);
    let mut fields = vec![("now", JsValue::from(now))];
    fields.extend(extra.iter().cloned());
    let cache = Cache::new(Some(object(&fields))).expect("valid options");
    (cache, clock)
}

fn advance(clock: &Array, ms: f64) {
    let now = clock.get(0).as_f64().expect("clock holds a number");
    clock.set(0, JsValue::from_f64(now + ms));
}

fn s(text: &str) -> JsValue {
    JsValue::from_str(text)
}

/// The class and `code` of a thrown error.
fn error_of(error: JsValue) -> (String, String) {
    let class = if error.is_instance_of::<js_sys::RangeError>() {
        "RangeError"
    } else if error.is_instance_of::<js_sys::TypeError>() {
        "TypeError"
    } else if error.is_instance_of::<js_sys::Error>() {
        "Error"
    } else {
        "not an Error"
    };
    let code = Reflect::get(&error, &s("code"))
        .ok()
        .and_then(|code| code.as_string())
        .unwrap_or_default();
    (class.to_owned(), code)
}

#[wasm_bindgen_test]
fn values_round_trip_by_kind() {
    let cache = Cache::new(None).expect("defaults are valid");
    cache
        .set(s("text"), s("héllo"), None)
        .expect("set a string");
    let bytes = Uint8Array::from(&[0_u8, 255, 7][..]);
    cache
        .set(s("bytes"), bytes.into(), None)
        .expect("set bytes");
    let json = js_sys::JSON::parse(r#"{"a":[1,2.5,null,true],"b":{"c":"d"}}"#).expect("json");
    cache.set(s("json"), json, None).expect("set json");

    assert_eq!(
        cache.get(s("text")).expect("get").as_string().as_deref(),
        Some("héllo")
    );
    let bytes = cache.get(s("bytes")).expect("get");
    assert_eq!(
        bytes
            .dyn_into::<Uint8Array>()
            .expect("a Uint8Array")
            .to_vec(),
        [0, 255, 7]
    );
    let json = cache.get(s("json")).expect("get");
    assert_eq!(
        js_sys::JSON::stringify(&json)
            .expect("stringify")
            .as_string()
            .as_deref(),
        Some(r#"{"a":[1,2.5,null,true],"b":{"c":"d"}}"#)
    );
    assert!(cache.get(s("missing")).expect("get").is_undefined());
}

#[wasm_bindgen_test]
fn bytes_count_key_value_and_overhead() {
    let cache = Cache::new(None).expect("defaults are valid");
    cache.set(s("k"), s("abc"), None).expect("set");
    assert_eq!(cache.bytes().expect("bytes"), (1 + 3 + 48) as f64);
    cache
        .set(s("k"), Uint8Array::from(&[1_u8, 2, 3][..]).into(), None)
        .expect("set");
    assert_eq!(
        cache.bytes().expect("bytes"),
        (1 + 4 + 48) as f64,
        "tag byte counted"
    );
    assert_eq!(cache.size().expect("size"), 1);
}

#[wasm_bindgen_test]
fn expiry_follows_the_now_option() {
    let (cache, clock) = cache_with_clock(&[("defaultTtl", JsValue::from_f64(100.0))]);
    cache
        .set(s("a"), s("1"), None)
        .expect("set with the default ttl");
    let forever = object(&[("ttl", JsValue::NULL)]);
    cache
        .set(s("b"), s("2"), Some(forever))
        .expect("set without expiry");
    assert_eq!(cache.ttl(s("a")).expect("ttl").as_f64(), Some(100.0));
    assert_eq!(
        cache.ttl(s("b")).expect("ttl").as_f64(),
        Some(f64::INFINITY)
    );
    advance(&clock, 99.0);
    assert!(cache.has(s("a")).expect("has"));
    advance(&clock, 1.0);
    assert!(
        !cache.has(s("a")).expect("has"),
        "the deadline is exclusive"
    );
    assert!(cache.ttl(s("a")).expect("ttl").is_undefined());
    assert!(cache.has(s("b")).expect("has"));
}

#[wasm_bindgen_test]
fn incr_uses_decimal_strings() {
    let cache = Cache::new(None).expect("defaults are valid");
    assert_eq!(cache.incr(s("n"), JsValue::UNDEFINED).expect("incr"), 1.0);
    assert_eq!(
        cache.incr(s("n"), JsValue::from_f64(41.0)).expect("incr"),
        42.0
    );
    assert_eq!(
        cache.decr(s("n"), JsValue::from_f64(2.0)).expect("decr"),
        40.0
    );
    assert_eq!(
        cache.get(s("n")).expect("get").as_string().as_deref(),
        Some("40")
    );
    cache.set(s("n"), s("x"), None).expect("set");
    let (class, code) = error_of(
        cache
            .incr(s("n"), JsValue::UNDEFINED)
            .expect_err("not a number"),
    );
    assert_eq!(
        (class.as_str(), code.as_str()),
        ("TypeError", "not_an_integer")
    );
}

#[wasm_bindgen_test]
fn bad_input_throws_typed_errors_and_changes_nothing() {
    let cache = Cache::new(Some(object(&[("maxEntryBytes", JsValue::from_f64(100.0))])))
        .expect("valid options");
    cache.set(s("k"), s("old"), None).expect("set");

    let cases: Vec<(JsValue, &str, &str)> = vec![
        (
            cache
                .set(JsValue::from_f64(1.0), s("v"), None)
                .expect_err("number key"),
            "TypeError",
            "invalid_type",
        ),
        (
            cache.set(s(""), s("v"), None).expect_err("empty key"),
            "RangeError",
            "empty_key",
        ),
        (
            cache
                .set(s(&"k".repeat(1025)), s("v"), None)
                .expect_err("long key"),
            "RangeError",
            "key_too_long",
        ),
        (
            cache
                .set(s("k"), s(&"v".repeat(100)), None)
                .expect_err("large value"),
            "RangeError",
            "entry_too_large",
        ),
        (
            cache
                .set(s("k"), JsValue::UNDEFINED, None)
                .expect_err("undefined"),
            "TypeError",
            "invalid_value",
        ),
        (
            cache
                .set(s("k"), JsValue::from_f64(f64::NAN), None)
                .expect_err("NaN"),
            "RangeError",
            "invalid_value",
        ),
        (
            cache
                .set(
                    s("k"),
                    s("v"),
                    Some(object(&[("ttl", JsValue::from_f64(0.0))])),
                )
                .expect_err("zero ttl"),
            "RangeError",
            "zero_ttl",
        ),
        (
            cache
                .set(
                    s("k"),
                    s("v"),
                    Some(object(&[("ttl", JsValue::from_f64(-1.0))])),
                )
                .expect_err("negative ttl"),
            "RangeError",
            "invalid_ttl",
        ),
        (
            cache
                .set(
                    s("k"),
                    s("v"),
                    Some(object(&[("ttl", JsValue::from_f64(f64::NAN))])),
                )
                .expect_err("NaN ttl"),
            "RangeError",
            "invalid_ttl",
        ),
        (
            cache
                .set(
                    s("k"),
                    s("v"),
                    Some(object(&[("ttl", JsValue::from_f64(f64::INFINITY))])),
                )
                .expect_err("infinite ttl"),
            "RangeError",
            "ttl_too_long",
        ),
        (
            cache
                .set(s("k"), s("v"), Some(object(&[("ttl", s("5"))])))
                .expect_err("string ttl"),
            "TypeError",
            "invalid_type",
        ),
        (
            cache
                .touch(s("k"), JsValue::UNDEFINED)
                .expect_err("missing ttl"),
            "TypeError",
            "invalid_type",
        ),
        (
            cache
                .incr(s("k"), JsValue::from_f64(0.5))
                .expect_err("fractional step"),
            "RangeError",
            "invalid_number",
        ),
        (
            cache
                .get_many(s("k"))
                .expect_err("a string is not a key list"),
            "TypeError",
            "invalid_type",
        ),
        (
            cache
                .load(JsValue::from_f64(3.0))
                .expect_err("not a snapshot"),
            "TypeError",
            "invalid_snapshot",
        ),
    ];
    for (error, class, code) in cases {
        assert_eq!(error_of(error), (class.to_owned(), code.to_owned()));
    }
    assert_eq!(
        cache.get(s("k")).expect("get").as_string().as_deref(),
        Some("old")
    );
    assert_eq!(cache.size().expect("size"), 1);
}

#[wasm_bindgen_test]
fn dump_and_load_keep_deadlines_on_the_clock() {
    let (source, clock) = cache_with_clock(&[]);
    let ttl = |ms: f64| Some(object(&[("ttl", JsValue::from_f64(ms))]));
    source.set(s("short"), s("1"), ttl(50.0)).expect("set");
    source.set(s("long"), s("2"), ttl(500.0)).expect("set");
    source.set(s("forever"), s("3"), None).expect("set");
    let snapshot = source.dump().expect("dump");

    // The target's clock is 100 ms later: "short" has expired in between.
    let (target, target_clock) = cache_with_clock(&[]);
    advance(&target_clock, 100.0);
    let summary = target.load(snapshot.into()).expect("load");
    assert_eq!(
        Reflect::get(&summary, &s("imported"))
            .expect("field")
            .as_f64(),
        Some(2.0)
    );
    assert_eq!(
        Reflect::get(&summary, &s("expired"))
            .expect("field")
            .as_f64(),
        Some(1.0)
    );
    assert_eq!(target.ttl(s("long")).expect("ttl").as_f64(), Some(400.0));
    assert_eq!(
        target
            .get(s("forever"))
            .expect("get")
            .as_string()
            .as_deref(),
        Some("3")
    );
    advance(&clock, 0.0);
}

#[wasm_bindgen_test]
fn a_clock_that_reenters_the_cache_is_safe() {
    // The clock calls back into a cache; no borrow is held while it runs.
    let holder = Array::new();
    let now = Function::new_with_args(
        "",
        "const c = this[0]; \
         if (c && !this.inside) { this.inside = true; try { c.has('x'); } finally { this.inside = false; } } \
         return 5;",
    ).bind0(&holder);
    let cache = Cache::new(Some(object(&[("now", now.into())]))).expect("valid options");
    let cache = JsValue::from(cache);
    holder.push(&cache);
    let set = Reflect::get(&cache, &s("set"))
        .expect("method")
        .dyn_into::<Function>()
        .expect("a function");
    set.call2(&cache, &s("x"), &s("y"))
        .expect("set works while the clock re-enters");
    let has = Reflect::get(&cache, &s("has"))
        .expect("method")
        .dyn_into::<Function>()
        .expect("a function");
    assert_eq!(
        has.call1(&cache, &s("x")).expect("has").as_bool(),
        Some(true)
    );
}
