//! A fuzz-style loop: random calls with random good and bad arguments, checking after every
//! call that nothing trapped (a panic aborts the test), that every refusal is a real `Error`,
//! and that the store's invariants and limits hold.

use js_sys::{Array, Function, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

use crate::Cache;

/// xorshift64*: a fixed-seed generator, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn eval(source: &str) -> JsValue {
    Function::new_no_args(&format!("return ({source});"))
        .call0(&JsValue::UNDEFINED)
        .expect("test fixture evaluates")
}

/// Arguments of every kind: valid keys and values, wrong types, bad numbers, hostile objects.
fn argument_pool() -> Vec<JsValue> {
    let mut pool: Vec<JsValue> = ["a", "b", "c", "ключ", "🦀", "", "0", "12", "-5"]
        .iter()
        .map(|text| JsValue::from_str(text))
        .collect();
    pool.push(JsValue::from_str(&"x".repeat(1_100)));
    pool.push(JsValue::from_str(&"y".repeat(300)));
    for number in [
        0.0,
        -0.0,
        1.0,
        -1.0,
        1.5,
        100.0,
        9e15,
        1e300,
        f64::NAN,
        f64::INFINITY,
    ] {
        pool.push(JsValue::from_f64(number));
    }
    pool.extend([JsValue::UNDEFINED, JsValue::NULL, JsValue::TRUE]);
    pool.push(Uint8Array::from(&[1_u8, 2, 3][..]).into());
    pool.push(Uint8Array::new_with_length(400).into());
    for source in [
        "{ ttl: 5 }",
        "{ ttl: null }",
        "{ ttl: 0 }",
        "{ ttl: -3 }",
        "{ ttl: 'soon' }",
        "[['a', 'x'], ['b', { n: 1 }]]",
        "[['', 'x']]",
        "['a', 'b', 'c']",
        "[1, 2]",
        "new Map([['c', 'v']])",
        "{ a: [1, 2, { b: null }] }",
        "{ d: new Date(0) }",
        "[1, , 3]",
        "(() => { const o = {}; o.self = o; return o; })()",
        "Symbol('s')",
        "10n",
        "() => 1",
        "new Proxy({}, { get() { throw new Error('trap'); } })",
        "{ get ttl() { throw new Error('getter'); } }",
        "{ version: 1, entries: [{ key: 'a', value: new Uint8Array([104]), expiresAt: null }] }",
        "{ version: 1, entries: [{ key: 'a', value: [104, 300], expiresAt: null }] }",
        "{ version: 2, entries: [] }",
        "{ version: 1, entries: 'no' }",
        "new ArrayBuffer(4)",
        "new Float64Array(2)",
    ] {
        pool.push(eval(source));
    }
    pool
}

/// Calls `method` with `args` as JavaScript would: missing arguments are `undefined`.
fn call(cache: &Cache, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let arg = |i: usize| args.get(i).cloned().unwrap_or(JsValue::UNDEFINED);
    // Options parameters are `Option<Object>`: wasm-bindgen maps undefined/null to None and
    // passes anything else through unchecked, as done here.
    let options = |i: usize| {
        let value = arg(i);
        (!value.is_undefined() && !value.is_null()).then(|| value.unchecked_into::<Object>())
    };
    let undefined = |()| JsValue::UNDEFINED;
    match method {
        "get" => cache.get(arg(0)),
        "set" => cache.set(arg(0), arg(1), options(2)).map(undefined),
        "add" => cache.add(arg(0), arg(1), options(2)).map(JsValue::from),
        "delete" => cache.delete(arg(0)).map(JsValue::from),
        "has" => cache.has(arg(0)).map(JsValue::from),
        "touch" => cache.touch(arg(0), arg(1)).map(JsValue::from),
        "ttl" => cache.ttl(arg(0)),
        "incr" => cache.incr(arg(0), arg(1)).map(JsValue::from),
        "decr" => cache.decr(arg(0), arg(1)).map(JsValue::from),
        "getMany" => cache.get_many(arg(0)).map(JsValue::from),
        "setMany" => cache.set_many(arg(0), options(1)).map(undefined),
        "deleteMany" => cache.delete_many(arg(0)).map(JsValue::from),
        "purgeExpired" => cache.purge_expired().map(JsValue::from),
        "dump" => cache.dump().map(JsValue::from),
        "load" => cache.load(arg(0)).map(JsValue::from),
        "clear" => cache.clear().map(undefined),
        "stats" => cache.stats().map(JsValue::from),
        other => panic!("no method {other}"),
    }
}

#[wasm_bindgen_test]
fn random_calls_never_trap_and_keep_the_invariants() {
    let clock = Array::of1(&JsValue::from_f64(0.0));
    let now = Function::new_with_args("", "return this[0];").bind0(&clock);
    let options = Object::new();
    for (name, value) in [
        ("maxEntries", JsValue::from_f64(8.0)),
        ("maxBytes", JsValue::from_f64(1_500.0)),
        ("maxEntryBytes", JsValue::from_f64(600.0)),
        ("now", now.into()),
    ] {
        Reflect::set(&options, &JsValue::from_str(name), &value).expect("plain object");
    }
    let cache = Cache::new(Some(options)).expect("valid options");
    let methods: [(&str, usize); 17] = [
        ("get", 1),
        ("set", 3),
        ("add", 3),
        ("delete", 1),
        ("has", 1),
        ("touch", 2),
        ("ttl", 1),
        ("incr", 2),
        ("decr", 2),
        ("getMany", 1),
        ("setMany", 2),
        ("deleteMany", 1),
        ("purgeExpired", 0),
        ("dump", 0),
        ("load", 1),
        ("clear", 0),
        ("stats", 0),
    ];
    let pool = argument_pool();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut ok, mut refused) = (0, 0);
    for step in 0..4_000 {
        if rng.below(10) == 0 {
            let now = clock.get(0).as_f64().expect("a number");
            clock.set(0, JsValue::from_f64(now + rng.below(20) as f64));
        }
        let (method, arity) = *rng.pick(&methods);
        let count = rng.below(arity + 1);
        let args: Vec<JsValue> = (0..count).map(|_| rng.pick(&pool).clone()).collect();
        match call(&cache, method, &args) {
            Ok(_) => ok += 1,
            Err(error) => {
                refused += 1;
                assert!(
                    error.is_instance_of::<js_sys::Error>(),
                    "step {step}: {method} threw a non-Error: {error:?}"
                );
            }
        }
        if let Err(violation) = cache.check_invariants() {
            panic!("step {step}: {method} broke an invariant: {violation}");
        }
    }
    assert!(
        ok > 500 && refused > 500,
        "both paths exercised: {ok} ok, {refused} refused"
    );
}

#[wasm_bindgen_test]
fn invariants_hold_after_a_random_workload() {
    let cache = Cache::new(None).expect("defaults are valid");
    let pool = argument_pool();
    let mut rng = Rng(7);
    for _ in 0..2_000 {
        let key = rng.pick(&pool).clone();
        let value = rng.pick(&pool).clone();
        let result = match rng.below(4) {
            0 => cache.set(key, value, None).map(|()| JsValue::UNDEFINED),
            1 => cache.get(key),
            2 => cache.delete(key).map(JsValue::from),
            _ => cache.incr(key, value).map(JsValue::from),
        };
        if let Err(error) = result {
            assert!(error.is_instance_of::<js_sys::Error>());
        }
        cache.check_invariants().expect("store invariants");
    }
}
