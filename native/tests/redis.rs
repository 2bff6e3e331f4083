//! RedisCache against a real `redis-server`: commands used, key layout, namespaces, `clear`,
//! stats, and identical validation with the in-memory backend.

#![cfg(feature = "redis")]

mod common;

use std::time::Duration;

use chatcache::testing::RedisServer;
use chatcache::{BackendKind, Cache, CacheError, CacheExt, InMemoryCache, KeyTtl, Limits};
use common::{admin, calls, connect};

#[tokio::test]
async fn operations_use_the_documented_commands_and_key_layout() {
    let server = RedisServer::start();
    let cache = connect(&server, "chat").await;
    assert_eq!(cache.backend(), BackendKind::Redis);

    cache
        .set("room:1:topic", b"rust", Some(Duration::from_secs(60)))
        .await
        .expect("set");
    // Stored under the namespace prefix, verbatim, with a PX expiry.
    let raw: Option<String> = admin(&server, &["GET", "chat:room:1:topic"]);
    assert_eq!(raw.as_deref(), Some("rust"));
    let pttl: i64 = admin(&server, &["PTTL", "chat:room:1:topic"]);
    assert!((59_000..=60_000).contains(&pttl), "{pttl}");
    match cache.ttl("room:1:topic").await.expect("ttl") {
        Some(KeyTtl::Remaining(t)) => assert!((59_000..=60_000).contains(&t.as_millis())),
        other => panic!("expected a remaining ttl, got {other:?}"),
    }
    assert_eq!(
        cache.get("room:1:topic").await.expect("get").as_deref(),
        Some(&b"rust"[..])
    );

    // JSON values are readable by redis-cli and browser clients.
    cache
        .set_json("user:7", &serde_json::json!({"name": "ana"}), None)
        .await
        .expect("set_json");
    let raw: String = admin(&server, &["GET", "chat:user:7"]);
    assert_eq!(raw, r#"{"name":"ana"}"#);
    assert_eq!(
        cache.ttl("user:7").await.expect("ttl"),
        Some(KeyTtl::Persistent)
    );

    // get_many is one script call (GETs in Lua, so a key of another type is an error, as for
    // `get`); set_many is one MULTI/EXEC pipeline.
    // The first call sends the script (EVALSHA answers NOSCRIPT, then EVAL); later calls are
    // one EVALSHA each.
    let values = cache
        .get_many(&["room:1:topic", "missing", "user:7"])
        .await
        .expect("get_many");
    assert_eq!(values[0].as_deref(), Some(&b"rust"[..]));
    assert_eq!(values[1], None);
    assert_eq!(calls(&server, "eval"), 1);
    let evalsha = calls(&server, "evalsha");
    let again = cache
        .get_many(&["room:1:topic", "missing", "user:7"])
        .await
        .expect("get_many");
    assert_eq!(again, values);
    assert_eq!(calls(&server, "evalsha"), evalsha + 1);
    assert_eq!(calls(&server, "eval"), 1);
    assert_eq!(calls(&server, "mget"), 0);
    let (multi, exec, set) = (
        calls(&server, "multi"),
        calls(&server, "exec"),
        calls(&server, "set"),
    );
    cache
        .set_many(
            &[("a", b"1"), ("b", b"2"), ("c", b"3")],
            Some(Duration::from_secs(30)),
        )
        .await
        .expect("set_many");
    assert_eq!(calls(&server, "multi"), multi + 1);
    assert_eq!(calls(&server, "exec"), exec + 1);
    assert_eq!(calls(&server, "set"), set + 3);
    let pttl: i64 = admin(&server, &["PTTL", "chat:b"]);
    assert!(pttl > 29_000, "{pttl}");

    // incr is INCRBY and keeps the expiry.
    let incrby = calls(&server, "incrby");
    assert_eq!(cache.incr("a", 41).await.expect("incr"), 42);
    assert_eq!(calls(&server, "incrby"), incrby + 1);
    assert_eq!(cache.decr("a", 2).await.expect("decr"), 40);
    assert!(matches!(
        cache.ttl("a").await.expect("ttl"),
        Some(KeyTtl::Remaining(_))
    ));
    assert_eq!(cache.incr("fresh", -3).await.expect("incr"), -3);
    assert_eq!(
        cache.ttl("fresh").await.expect("ttl"),
        Some(KeyTtl::Persistent)
    );

    // add, touch, exists, delete, delete_many.
    assert!(!cache.add("a", b"x", None).await.expect("add on live key"));
    assert!(
        cache
            .add("d", b"4", Some(Duration::from_secs(5)))
            .await
            .expect("add")
    );
    assert!(cache.touch("d", None).await.expect("persist"));
    assert!(
        cache
            .touch("d", None)
            .await
            .expect("persist again: still exists")
    );
    assert_eq!(cache.ttl("d").await.expect("ttl"), Some(KeyTtl::Persistent));
    assert!(
        cache
            .touch("d", Some(Duration::from_secs(9)))
            .await
            .expect("touch")
    );
    let pttl: i64 = admin(&server, &["PTTL", "chat:d"]);
    assert!((8_000..=9_000).contains(&pttl), "{pttl}");
    assert!(!cache.touch("nope", None).await.expect("touch missing"));
    assert!(cache.exists("d").await.expect("exists"));
    assert!(cache.delete("d").await.expect("delete"));
    assert!(!cache.delete("d").await.expect("delete again"));
    assert_eq!(cache.ttl("d").await.expect("ttl"), None);
    assert_eq!(
        cache
            .delete_many(&["a", "b", "b", "zzz"])
            .await
            .expect("delete_many"),
        2
    );
    assert_eq!(calls(&server, "flushdb") + calls(&server, "flushall"), 0);
}

#[tokio::test]
async fn expiry_happens_in_redis() {
    let server = RedisServer::start();
    let cache = connect(&server, "exp").await;
    cache
        .set("short", b"v", Some(Duration::from_millis(150)))
        .await
        .expect("set");
    assert!(cache.exists("short").await.expect("exists"));
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(cache.get("short").await.expect("get"), None);
    assert_eq!(cache.ttl("short").await.expect("ttl"), None);
}

/// Keys with glob characters and colons stay apart; `clear` removes exactly this namespace.
#[tokio::test]
async fn clear_removes_only_this_namespace() {
    let server = RedisServer::start();
    let a = connect(&server, "a").await;
    let ab = connect(&server, "a:b").await;
    let star = connect(&server, "a*").await;

    // ("a", "b:c") and ("a:b", "c") must be different Redis keys.
    a.set("b:c", b"from a", None).await.expect("set");
    ab.set("c", b"from a:b", None).await.expect("set");
    assert_eq!(
        a.get("b:c").await.expect("get").as_deref(),
        Some(&b"from a"[..])
    );
    assert_eq!(
        ab.get("c").await.expect("get").as_deref(),
        Some(&b"from a:b"[..])
    );
    star.set("x", b"star", None).await.expect("set");

    // Many keys (several SCAN pages), including glob metacharacters.
    let keys: Vec<String> = (0..1_200)
        .map(|i| format!("k{i}*?[x]\\{}", if i % 2 == 0 { ":" } else { "" }))
        .collect();
    for chunk in keys.chunks(200) {
        let entries: Vec<(&str, &[u8])> = chunk.iter().map(|k| (k.as_str(), &b"v"[..])).collect();
        a.set_many(&entries, None).await.expect("set_many");
    }
    // Foreign keys: another app, a key that merely starts with the namespace text, the bare
    // namespace, and a hash.
    for key in ["other:1", "a", "ab:1", "a-b:1", "A:1"] {
        let _: () = admin(&server, &["SET", key, "foreign"]);
    }
    let _: () = admin(&server, &["HSET", "a%3Ab-lookalike", "f", "v"]);

    assert_eq!(a.count_entries().await.expect("count"), 1_201);
    let unlink = calls(&server, "unlink");
    assert_eq!(a.clear().await.expect("clear"), 1_201);
    assert!(
        calls(&server, "unlink") >= unlink + 3,
        "UNLINK in batches of at most 500"
    );
    assert_eq!(calls(&server, "flushdb") + calls(&server, "flushall"), 0);
    assert_eq!(a.count_entries().await.expect("count"), 0);
    assert_eq!(a.get("b:c").await.expect("get"), None);

    // Everything else survived.
    assert_eq!(
        ab.get("c").await.expect("get").as_deref(),
        Some(&b"from a:b"[..])
    );
    assert_eq!(
        star.get("x").await.expect("get").as_deref(),
        Some(&b"star"[..])
    );
    for key in ["other:1", "a", "ab:1", "a-b:1", "A:1"] {
        let v: Option<String> = admin(&server, &["GET", key]);
        assert_eq!(v.as_deref(), Some("foreign"), "{key}");
    }
    let dbsize: u64 = admin(&server, &["DBSIZE"]);
    assert_eq!(dbsize, 2 + 5 + 1);
}

#[tokio::test]
async fn stats_report_hits_server_figures_and_namespace_size() {
    let server = RedisServer::builder()
        .args(["--maxmemory", "3mb", "--maxmemory-policy", "allkeys-random"])
        .start();
    let cache = connect(&server, "st").await;
    cache.set("a", b"1", None).await.expect("set");
    let _: () = admin(&server, &["SET", "foreign", "x"]);
    cache.get("a").await.expect("hit");
    cache.get("b").await.expect("miss");
    cache
        .get_many(&["a", "b", "c"])
        .await
        .expect("1 hit, 2 misses");
    let scans = calls(&server, "scan");
    let stats = cache.stats().await.expect("stats");
    assert_eq!((stats.hits, stats.misses), (2, 3));
    assert_eq!(stats.entries, None, "not counted unless asked for");
    assert_eq!(calls(&server, "scan"), scans, "stats alone does not scan");
    let mut config = common::redis_config(&server.url());
    config.namespace = chatcache::Namespace::new("st").expect("valid");
    config.redis_count_entries = true;
    let counting = chatcache::RedisCache::connect(&config)
        .await
        .expect("connects");
    let counted = counting.stats().await.expect("stats");
    assert_eq!(counted.entries, Some(1), "only keys under the namespace");
    assert!(calls(&server, "scan") > scans);
    let redis = stats.redis.expect("server figures");
    assert!(redis.used_memory > 0);
    assert_eq!(redis.maxmemory, 3 * 1024 * 1024);
    assert_eq!(redis.maxmemory_policy, "allkeys-random");
    assert!(
        redis.version.starts_with(|c: char| c.is_ascii_digit()),
        "{}",
        redis.version
    );
    assert_eq!(redis.evicted_keys, 0);

    // Fill past maxmemory: Redis evicts, and stats show it.
    let value = vec![b'x'; 16 * 1024];
    for i in 0..400 {
        cache
            .set(&format!("fill:{i}"), &value, None)
            .await
            .expect("set");
    }
    let redis = cache
        .stats()
        .await
        .expect("stats")
        .redis
        .expect("server figures");
    assert!(redis.evicted_keys > 0, "{redis:?}");
    println!(
        "redis stats after filling: used_memory={} maxmemory={} evicted_keys={}",
        redis.used_memory, redis.maxmemory, redis.evicted_keys
    );

    let health = cache.health().await.expect("health");
    assert_eq!(health.backend, BackendKind::Redis);
    assert!(health.latency < Duration::from_secs(1));
    println!("PING latency: {:?}", health.latency);
}

/// Both backends reject the same bad inputs with the same error code and change nothing.
#[tokio::test]
async fn bad_input_is_rejected_identically_by_both_backends() {
    // Stored before the bad calls and checked unchanged after them.
    const SEEDED: [(&str, &[u8]); 5] = [
        ("keep", b"old"),
        ("big", b"old"),
        ("text", b"abc"),
        ("max", b"9223372036854775807"),
        ("min", b"-9223372036854775808"),
    ];
    let server = RedisServer::start();
    let redis = connect(&server, "bad").await;
    let memory = InMemoryCache::new(Limits::default()).expect("valid");
    let long_key = "k".repeat(1025);
    let max_value = 1024 * 1024 - 48 - "big".len();
    let too_big = vec![0u8; max_value + 1];
    let just_fits = vec![0u8; max_value];

    for cache in [&redis as &dyn Cache, &memory as &dyn Cache] {
        let name = cache.backend();
        for (key, value) in SEEDED {
            cache.set(key, value, None).await.expect("set");
        }
        for bad in ["+1", " 1", "01", "-0", "1.0", ""] {
            cache
                .set(&format!("n{bad}"), bad.as_bytes(), None)
                .await
                .expect("set");
        }

        let code = |r: Result<(), CacheError>| r.expect_err("must fail").code();
        assert_eq!(code(cache.set("", b"v", None).await), "empty_key", "{name}");
        assert_eq!(code(cache.get("").await.map(drop)), "empty_key", "{name}");
        assert_eq!(
            code(cache.set(&long_key, b"v", None).await),
            "key_too_long",
            "{name}"
        );
        assert_eq!(
            code(cache.exists(&long_key).await.map(drop)),
            "key_too_long"
        );
        assert_eq!(
            code(cache.set("big", &too_big, None).await),
            "entry_too_large"
        );
        assert_eq!(
            code(cache.add("new", &too_big, None).await.map(drop)),
            "entry_too_large"
        );
        assert_eq!(
            code(cache.set("keep", b"v", Some(Duration::ZERO)).await),
            "zero_ttl",
            "{name}"
        );
        assert_eq!(
            code(cache.touch("keep", Some(Duration::ZERO)).await.map(drop)),
            "zero_ttl"
        );
        assert_eq!(
            code(cache.incr("text", 1).await.map(drop)),
            "not_an_integer",
            "{name}"
        );
        for bad in ["+1", " 1", "01", "-0", "1.0", ""] {
            assert_eq!(
                code(cache.incr(&format!("n{bad}"), 1).await.map(drop)),
                "not_an_integer",
                "{name}: {bad:?}"
            );
        }
        assert_eq!(
            code(cache.incr("max", 1).await.map(drop)),
            "overflow",
            "{name}"
        );
        assert_eq!(
            code(cache.decr("min", 1).await.map(drop)),
            "overflow",
            "{name}"
        );
        assert_eq!(
            code(cache.set_many(&[("ok", b"1"), ("", b"2")], None).await),
            "empty_key"
        );

        // Nothing changed.
        for (key, value) in SEEDED {
            assert_eq!(
                cache.get(key).await.expect("get").as_deref(),
                Some(value),
                "{name}: {key}"
            );
        }
        assert!(
            !cache.exists("ok").await.expect("exists"),
            "{name}: set_many is all or nothing"
        );
        assert!(!cache.exists("new").await.expect("exists"));
        assert_eq!(
            cache.ttl("keep").await.expect("ttl"),
            Some(KeyTtl::Persistent)
        );

        // The largest allowed entry is accepted by both.
        cache
            .set("big", &just_fits, None)
            .await
            .expect("exactly max_entry_bytes");
    }
}

/// Data of another type under the namespace is the typed `wrong_type` error of every backend
/// (Redis `WRONGTYPE`), never a panic, and is left as it is.
#[tokio::test]
async fn foreign_types_and_undecodable_bytes_are_typed_errors() {
    let server = RedisServer::start();
    let cache = connect(&server, "ns").await;
    let _: () = admin(&server, &["RPUSH", "ns:list", "a"]);
    let _: () = admin(&server, &["SET", "ns:text", "t"]);
    let err = cache.get("list").await.expect_err("WRONGTYPE");
    assert_eq!(err.code(), "wrong_type", "{err:?}");
    // get_many agrees with get.
    let err = cache
        .get_many(&["text", "missing", "list"])
        .await
        .expect_err("WRONGTYPE");
    assert_eq!(err.code(), "wrong_type", "{err:?}");
    assert_eq!(
        cache.incr("list", 1).await.expect_err("WRONGTYPE").code(),
        "wrong_type"
    );
    // A list written by another program is a list to chatcache too.
    assert_eq!(
        cache.list_range("list", 0, -1).await.expect("a list"),
        [b"a".to_vec()]
    );

    // A Redis type chatcache never makes: refused by every list and member-set operation,
    // naming no kind, and untouched.
    let _: () = admin(&server, &["HSET", "ns:hash", "field", "value"]);
    let err = cache
        .list_push("hash", b"x", 10, None)
        .await
        .expect_err("a hash");
    assert!(
        matches!(
            err.as_core(),
            Some(chatcache::core::Error::WrongType { found: None, .. })
        ),
        "{err:?}"
    );
    assert_eq!(err.code(), "wrong_type");
    let ttl = Duration::from_secs(5);
    assert_eq!(
        cache
            .member_add("hash", "ada", ttl)
            .await
            .expect_err("hash")
            .code(),
        "wrong_type"
    );
    assert_eq!(
        cache.members("hash").await.expect_err("hash").code(),
        "wrong_type"
    );
    assert_eq!(
        cache.get_many(&["hash"]).await.expect_err("hash").code(),
        "wrong_type"
    );
    let field: String = admin(&server, &["HGET", "ns:hash", "field"]);
    assert_eq!(field, "value");
    assert_eq!(
        cache
            .get_many(&["text", "missing"])
            .await
            .expect("strings only"),
        vec![Some(b"t".to_vec()), None]
    );
    let len: u64 = admin(&server, &["LLEN", "ns:list"]);
    assert_eq!(len, 1, "nothing changed");

    let _: () = admin(&server, &["SET", "ns:bytes", "\u{1}not json"]);
    let err = cache
        .get_json::<Vec<u32>>("bytes")
        .await
        .expect_err("decode");
    assert_eq!(err.code(), "decode");
    let mut con = server.connection();
    let _: () = chatcache::testing::redis::cmd("SET")
        .arg("ns:latin1")
        .arg(&[0xe9u8, 0x74, 0xe9][..])
        .query(&mut con)
        .expect("set raw bytes");
    let err = cache.get_string("latin1").await.expect_err("not UTF-8");
    assert_eq!(err.code(), "decode");
    let still: Vec<u8> = admin(&server, &["GET", "ns:latin1"]);
    assert_eq!(
        still,
        vec![0xe9, 0x74, 0xe9],
        "a failed decode changes nothing"
    );
}

/// Under `maxmemory` with `noeviction`, Redis refuses writes: a typed backend error, reads
/// still work, nothing panics.
#[tokio::test]
async fn out_of_memory_is_a_backend_error() {
    let server = RedisServer::builder()
        .args(["--maxmemory", "2mb", "--maxmemory-policy", "noeviction"])
        .start();
    let cache = connect(&server, "oom").await;
    let value = vec![b'x'; 64 * 1024];
    let mut refused = None;
    for i in 0..200 {
        if let Err(err) = cache.set(&format!("fill:{i}"), &value, None).await {
            refused = Some(err);
            break;
        }
    }
    let err = refused.expect("Redis refuses writes past maxmemory");
    assert_eq!(err.code(), "backend", "{err:?}");
    assert!(err.to_string().contains("OOM"), "{err}");
    assert!(!err.is_transient());
    assert_eq!(
        cache
            .get("fill:0")
            .await
            .expect("reads still work")
            .map(|v| v.len()),
        Some(value.len())
    );
    assert!(cache.clear().await.expect("UNLINK frees memory") > 0);
    cache
        .set("after", b"ok", None)
        .await
        .expect("writes work again");
}

/// `unix://` and `redis+unix://` URLs reach a server on a Unix socket.
#[tokio::test]
async fn unix_socket_urls_work() {
    let dir = std::env::temp_dir().join(format!("chatcache-sock-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let socket = dir.join("redis.sock");
    let server = RedisServer::builder()
        .args([
            "--unixsocket",
            socket.to_str().expect("UTF-8 path"),
            "--unixsocketperm",
            "700",
        ])
        .start();
    for url in [
        format!("unix://{}", socket.display()),
        format!("redis+unix://{}?db=2", socket.display()),
    ] {
        let mut config = common::redis_config(&url);
        config.namespace = chatcache::Namespace::new("sock").expect("valid");
        let cache = chatcache::RedisCache::connect(&config)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        cache.set("k", url.as_bytes(), None).await.expect("set");
        assert_eq!(
            cache.get("k").await.expect("get").as_deref(),
            Some(url.as_bytes())
        );
    }
    let db0: Option<String> = admin(&server, &["GET", "sock:k"]);
    assert!(
        db0.is_some_and(|v| v.starts_with("unix://")),
        "db 0 holds the first write"
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Decided: `max_entry_bytes` bounds what this cache writes, not what it reads. A value another
/// process stored under a larger limit (e.g. during a rollout that raises it) comes back whole;
/// Redis bounds values itself (`proto-max-bulk-len`).
#[tokio::test]
async fn reads_larger_than_max_entry_bytes_are_returned_as_stored() {
    let server = RedisServer::start();
    let mut config = common::redis_config(&server.url());
    config.namespace = chatcache::Namespace::new("small").expect("valid");
    config.limits = Limits::builder()
        .max_entry_bytes(1024)
        .build()
        .expect("valid limits");
    let cache = chatcache::RedisCache::connect(&config)
        .await
        .expect("connects");
    let big = "x".repeat(2048);
    let _: () = admin(&server, &["SET", "small:big", &big]);
    assert_eq!(
        cache
            .get("big")
            .await
            .expect("read as stored")
            .map(|v| v.len()),
        Some(2048)
    );
    assert_eq!(
        cache.get_many(&["big"]).await.expect("read as stored")[0]
            .as_ref()
            .map(Vec::len),
        Some(2048)
    );
    let err = cache
        .set("big", big.as_bytes(), None)
        .await
        .expect_err("writes are bounded");
    assert_eq!(err.code(), "entry_too_large");
}
