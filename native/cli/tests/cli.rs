//! The `chatcache` binary, run as a process with the server's environment variables.

use std::process::{Command, Output};

use chatcache::testing::{RedisServer, refused_port};

/// Runs a raw command on the server's admin connection.
fn admin<T: chatcache::testing::redis::FromRedisValue>(server: &RedisServer, args: &[&str]) -> T {
    let mut con = server.connection();
    let mut cmd = chatcache::testing::redis::cmd(args[0]);
    for arg in &args[1..] {
        cmd.arg(*arg);
    }
    cmd.query(&mut con).expect("admin command succeeds")
}

const PW: &str = "Cli-Secret-55d0";

fn chatcache(env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chatcache"));
    cmd.env_clear().args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = cmd.output().expect("the binary runs");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!all.contains(PW), "output leaks the password:\n{all}");
    output
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn set_get_del_status_against_redis() {
    let server = RedisServer::builder().requirepass(PW).start();
    let url = server.url_with_auth("", PW);
    let env = [("USE_REDIS", "true"), ("REDIS_URL", url.as_str())];

    let out = chatcache(&env, &["set", "greeting", "hello world", "--ttl", "100"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "OK\n");
    let pttl: i64 = admin(&server, &["PTTL", "chatcache:greeting"]);
    assert!((99_000..=100_000).contains(&pttl), "{pttl}");

    let out = chatcache(&env, &["get", "greeting"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "hello world\n");

    // Counting the namespace's keys is opt-in: it scans the database.
    let out = chatcache(&env, &["status"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("entries:   not counted"),
        "{}",
        stdout(&out)
    );
    let counting = [
        ("USE_REDIS", "true"),
        ("REDIS_URL", url.as_str()),
        ("CHATCACHE_REDIS_COUNT_ENTRIES", "true"),
    ];
    let out = chatcache(&counting, &["status"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "redis at redis://:***@127.0.0.1:{}/0",
            server.port()
        )),
        "{text}"
    );
    assert!(text.contains("health:    ok"), "{text}");
    assert!(text.contains("entries:   1"), "{text}");
    assert!(text.contains("used_memory"), "{text}");

    let out = chatcache(&env, &["status", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("one JSON object");
    assert_eq!(json["backend"], "redis");
    assert_eq!(json["fallback"], false);
    assert_eq!(json["recovering"], false);
    assert_eq!(json["healthy"], true);
    assert_eq!(json["namespace"], "chatcache");
    assert_eq!(json["stats"]["entries"], serde_json::Value::Null);
    let out = chatcache(&counting, &["status", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("one JSON object");
    assert_eq!(json["stats"]["entries"], 1);
    assert!(
        json["stats"]["redis"]["used_memory"]
            .as_u64()
            .is_some_and(|m| m > 0),
        "{json}"
    );

    let out = chatcache(&env, &["del", "greeting"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = chatcache(&env, &["del", "greeting"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not found"), "{}", stderr(&out));
    let out = chatcache(&env, &["get", "greeting"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");

    // Namespace from the environment.
    let env_ns = [
        ("USE_REDIS", "yes"),
        ("REDIS_URL", url.as_str()),
        ("CHATCACHE_NAMESPACE", "ops"),
    ];
    let out = chatcache(&env_ns, &["set", "k", "v"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let raw: Option<String> = admin(&server, &["GET", "ops:k"]);
    assert_eq!(raw.as_deref(), Some("v"));

    // Bad input is exit code 5 with the core's message.
    let out = chatcache(&env, &["get", ""]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains("invalid input"), "{}", stderr(&out));
}

#[test]
fn errors_have_clear_messages_and_exit_codes() {
    let port = refused_port();
    let down = format!("redis://app:{PW}@127.0.0.1:{port}/0");

    // Unreachable Redis: a warning on stderr, exit 4, nothing done in memory.
    let out = chatcache(
        &[("USE_REDIS", "true"), ("REDIS_URL", &down)],
        &["get", "k"],
    );
    assert_eq!(out.status.code(), Some(4));
    let err = stderr(&out);
    assert!(err.contains("WARN"), "{err}");
    assert!(err.contains("connection refused"), "{err}");
    assert!(err.contains("redis://app:***@127.0.0.1"), "{err}");
    let out = chatcache(&[("USE_REDIS", "true"), ("REDIS_URL", &down)], &["status"]);
    assert_eq!(out.status.code(), Some(4));
    let text = stdout(&out);
    assert!(
        text.contains("memory (fallback: Redis at") && text.contains("retrying in the background"),
        "{text}"
    );
    assert!(text.contains("health:    DEGRADED"), "{text}");
    let out = chatcache(
        &[("USE_REDIS", "true"), ("REDIS_URL", &down)],
        &["status", "--json"],
    );
    assert_eq!(out.status.code(), Some(4));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("one JSON object");
    assert_eq!(json["backend"], "memory");
    assert_eq!(json["fallback"], true);
    assert_eq!(json["recovering"], true);
    assert_eq!(json["healthy"], false);

    // A typo in USE_REDIS is a configuration error naming the variable and value.
    let out = chatcache(&[("USE_REDIS", "treu")], &["status"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("USE_REDIS=\"treu\""),
        "{}",
        stderr(&out)
    );
    let bad_url = format!("redis://app:{PW}@host:port/0");
    let out = chatcache(
        &[("USE_REDIS", "true"), ("REDIS_URL", &bad_url)],
        &["status"],
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("REDIS_URL"), "{}", stderr(&out));

    // Usage errors.
    for args in [
        &[][..],
        &["set", "k"],
        &["frob"],
        &["set", "k", "v", "--ttl", "soon"],
    ] {
        let out = chatcache(&[], args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&out).contains("usage: chatcache"),
            "{}",
            stderr(&out)
        );
    }
    let out = chatcache(&[], &["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("status"));

    // Memory backend (no variables): works, says so, and warns the value will not persist.
    let out = chatcache(&[], &["status"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("memory (USE_REDIS is off)"),
        "{}",
        stdout(&out)
    );
    let out = chatcache(&[], &["set", "k", "v"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("in-memory"), "{}", stderr(&out));
}
