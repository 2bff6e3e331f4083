//! The HTTP API on the in-memory cache: answers, errors with their codes, and the cached
//! history's fills and repairs.

use std::path::Path;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chatcache::{Cache, CacheConfig, CacheExt, select_cache};
use chatcache_demo::{Chat, ChatConfig, HistoryItem, Message, RoomId, Store, http};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

struct App {
    chat: Chat,
    router: Router,
    _dir: tempfile::TempDir,
}

async fn app(config: ChatConfig) -> App {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("chat.sqlite3")).expect("store");
    let cache = select_cache(&CacheConfig::default()).await.expect("memory");
    let chat = Chat::new(cache, store, config);
    let router = http::router(chat.clone(), Path::new("no-pkg-here"));
    App {
        chat,
        router,
        _dir: dir,
    }
}

impl App {
    async fn call(&self, request: Request<Body>) -> (StatusCode, Value, Option<String>) {
        let response = self.router.clone().oneshot(request).await.expect("answers");
        let status = response.status();
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .map(|v| v.to_str().expect("ascii").to_owned());
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("a JSON body")
        };
        (status, body, retry_after)
    }

    async fn get(&self, uri: &str) -> (StatusCode, Value) {
        let (status, body, _) = self
            .call(Request::get(uri).body(Body::empty()).expect("request"))
            .await;
        (status, body)
    }

    async fn post(&self, uri: &str, body: &Value) -> (StatusCode, Value, Option<String>) {
        self.post_raw(uri, "application/json", body.to_string())
            .await
    }

    async fn post_raw(
        &self,
        uri: &str,
        content_type: &str,
        body: String,
    ) -> (StatusCode, Value, Option<String>) {
        let request = Request::post(uri)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .expect("request");
        self.call(request).await
    }

    async fn say(&self, room: &str, author: &str, text: &str) -> Value {
        let (status, body, _) = self
            .post(
                &format!("/api/rooms/{room}/messages"),
                &json!({ "author": author, "text": text }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    fn history_key(&self, room: &str) -> String {
        format!("demo:{}:room:{room}:history", self.chat.store().id())
    }
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().expect("an error code")
}

fn seqs(history: &Value) -> Vec<u64> {
    history["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["seq"].as_u64().expect("seq"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_and_reads_messages() {
    let app = app(ChatConfig::default()).await;
    let (status, rooms) = app.get("/api/rooms").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rooms["store"], app.chat.store().id());
    assert_eq!(rooms["rooms"][0]["id"], "general");
    let (status, room) = app.get("/api/rooms/rust").await;
    assert_eq!(
        (status, room["title"].as_str()),
        (StatusCode::OK, Some("Rust"))
    );

    let first = app.say("general", " ana ", "hi all\n").await;
    assert_eq!(
        (&first["seq"], &first["author"], &first["text"]),
        (&json!(1), &json!("ana"), &json!("hi all"))
    );
    app.say("general", "ben", "hey").await;
    app.say("rust", "ben", "numbered per room").await;

    let (status, history) = app.get("/api/rooms/general/messages").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(seqs(&history), [1, 2]);
    assert_eq!(history["latest"], 2);
    assert_eq!(history["store"], app.chat.store().id());
    let (_, newer) = app.get("/api/rooms/general/messages?after=1").await;
    assert_eq!(seqs(&newer), [2]);
    let (_, none) = app.get("/api/rooms/general/messages?after=2").await;
    assert_eq!(seqs(&none), Vec::<u64>::new());

    let (status, presence, _) = app
        .post(
            "/api/rooms/general/presence",
            &json!({ "user": "ana", "typing": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(presence, json!({ "online": ["ana"], "typing": ["ana"] }));
    app.say("general", "ana", "posting ends typing").await;
    let (_, presence) = app.get("/api/rooms/general/presence").await;
    assert_eq!(presence, json!({ "online": ["ana"], "typing": [] }));
    let (status, _, _) = app
        .post("/api/rooms/general/leave", &json!({ "user": "ana" }))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, presence) = app.get("/api/rooms/general/presence").await;
    assert_eq!(presence, json!({ "online": [], "typing": [] }));

    let (status, figures) = app.get("/api/server").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (&figures["backend"], &figures["fallback"]),
        (&json!("memory"), &json!(false))
    );
    assert!(figures["hits"].as_u64().expect("hits") > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_errors_and_change_nothing() {
    let app = app(ChatConfig::default()).await;
    let post = "/api/rooms/general/messages";
    let cases = [
        (
            json!({ "author": "", "text": "x" }),
            StatusCode::BAD_REQUEST,
            "empty_name",
        ),
        (
            json!({ "author": "  ", "text": "x" }),
            StatusCode::BAD_REQUEST,
            "empty_name",
        ),
        (
            json!({ "author": "a".repeat(33), "text": "x" }),
            StatusCode::BAD_REQUEST,
            "name_too_long",
        ),
        (
            json!({ "author": "a\nb", "text": "x" }),
            StatusCode::BAD_REQUEST,
            "invalid_name",
        ),
        (
            json!({ "author": "ana", "text": " \n " }),
            StatusCode::BAD_REQUEST,
            "empty_message",
        ),
        (
            json!({ "author": "ana", "text": "é".repeat(1001) }),
            StatusCode::PAYLOAD_TOO_LARGE,
            "message_too_long",
        ),
        (
            json!({ "author": "ana" }),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            json!({ "author": 7, "text": "x" }),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
    ];
    for (body, status, expected) in cases {
        let (got, answer, _) = app.post(post, &body).await;
        assert_eq!((got, code(&answer)), (status, expected), "{body}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    // A message of exactly 1,000 characters is fine, even in multi-byte ones.
    app.say("general", "ana", &"é".repeat(1000)).await;

    let (status, answer, _) = app.post_raw(post, "application/json", "{".into()).await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::BAD_REQUEST, "invalid_json")
    );
    let (status, answer, _) = app.post_raw(post, "text/plain", "{}".into()).await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    );
    let huge = json!({ "author": "ana", "text": "x".repeat(20_000) }).to_string();
    let (status, answer, _) = app.post_raw(post, "application/json", huge).await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );

    for uri in [
        "/api/rooms/nope",
        "/api/rooms/nope/messages",
        "/api/rooms/Not%20A%20Room/presence",
    ] {
        let (status, answer) = app.get(uri).await;
        assert_eq!(
            (status, code(&answer)),
            (StatusCode::NOT_FOUND, "unknown_room"),
            "{uri}"
        );
    }
    let (status, answer, _) = app
        .post(
            "/api/rooms/nope/messages",
            &json!({ "author": "ana", "text": "x" }),
        )
        .await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::NOT_FOUND, "unknown_room")
    );
    let (status, answer) = app.get("/api/rooms/general/messages?after=-1").await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::BAD_REQUEST, "invalid_query")
    );
    let (status, answer) = app.get("/api/nothing/here").await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let (status, answer, _) = app
        .post("/api/rooms/general/presence", &json!({ "user": "" }))
        .await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::BAD_REQUEST, "empty_name")
    );

    // Only the one valid post was stored; nobody became online.
    let general = RoomId::parse("general").expect("valid");
    assert_eq!(
        app.chat.store().latest(&general, 10).expect("read").len(),
        1
    );
    let (_, presence) = app.get("/api/rooms/general/presence").await;
    assert_eq!(presence["online"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_posting_too_often_is_told_when_to_retry() {
    let mut config = ChatConfig::default();
    config.rate_limit = 3;
    let app = app(config).await;
    for i in 0..3 {
        app.say("general", "ana", &format!("#{i}")).await;
    }
    let (status, answer, retry_after) = app
        .post(
            "/api/rooms/general/messages",
            &json!({ "author": "ana", "text": "one too many" }),
        )
        .await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    let seconds: u64 = retry_after.expect("Retry-After").parse().expect("seconds");
    assert!((1..=10).contains(&seconds), "{seconds}");
    // Per user: ben may post, in any room.
    app.say("rust", "ben", "fine").await;
    let general = RoomId::parse("general").expect("valid");
    assert_eq!(
        app.chat.store().latest(&general, 10).expect("read").len(),
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_is_filled_once_then_served_from_the_cache() {
    let app = app(ChatConfig::default()).await;
    let (_, empty) = app.get("/api/rooms/caching/messages").await;
    assert_eq!(
        (empty["source"].as_str(), seqs(&empty).len()),
        (Some("fill"), 0)
    );
    let (_, again) = app.get("/api/rooms/caching/messages").await;
    assert_eq!(again["source"], "cache", "an empty room is cached too");

    for i in 0..5 {
        app.say("caching", "ana", &format!("#{i}")).await;
    }
    let (_, history) = app.get("/api/rooms/caching/messages?after=2").await;
    assert_eq!(
        (history["source"].as_str(), seqs(&history)),
        (Some("cache"), vec![3, 4, 5])
    );

    let key = app.history_key("caching");
    let items: Vec<HistoryItem> = app
        .chat
        .cache()
        .list_range_json(&key, 0, -1)
        .await
        .expect("list");
    assert_eq!(items[0], HistoryItem::Filled { through: 0 });
    assert_eq!(items.len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_cached_history_is_seen_and_refilled() {
    let app = app(ChatConfig::default()).await;
    for i in 0..3 {
        app.say("general", "ana", &format!("#{i}")).await;
    }
    app.get("/api/rooms/general/messages").await; // filled
    let key = app.history_key("general");
    let cache = app.chat.cache();

    // A lost push: message 4 is in the store but not in the list, message 5 is in both.
    let room = RoomId::parse("general").expect("valid");
    let lost = app
        .chat
        .store()
        .write(|w| w.insert(&room, "ben", "lost", 0))
        .expect("stored");
    assert_eq!(lost.seq, 4);
    app.say("general", "ana", "after the lost one").await;
    let (_, history) = app.get("/api/rooms/general/messages?after=3").await;
    assert_eq!(
        (history["source"].as_str(), seqs(&history)),
        (Some("fill"), vec![4, 5])
    );

    // A message pushed twice (a crash between push and commit, then the same seq again).
    let mut duplicate: Message =
        serde_json::from_value(history["messages"][1].clone()).expect("message");
    duplicate.text = "a phantom".into();
    cache
        .list_push_json(&key, &HistoryItem::Message(duplicate), 101, None)
        .await
        .expect("pushed");
    let (_, history) = app.get("/api/rooms/general/messages").await;
    assert_eq!(
        (history["source"].as_str(), seqs(&history)),
        (Some("fill"), vec![1, 2, 3, 4, 5])
    );
    assert!(
        history["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .all(|m| m["text"] != "a phantom")
    );

    // Evicted, then a post creates a list of one: not trusted.
    cache.delete(&key).await.expect("deleted");
    app.say("general", "ana", "onto an empty list").await;
    let (_, history) = app.get("/api/rooms/general/messages").await;
    assert_eq!(
        (history["source"].as_str(), seqs(&history)),
        (Some("fill"), vec![1, 2, 3, 4, 5, 6])
    );

    // Something that is not a history at all.
    cache.delete(&key).await.expect("deleted");
    cache
        .list_push(&key, b"not json", 10, None)
        .await
        .expect("pushed");
    let (_, history) = app.get("/api/rooms/general/messages").await;
    assert_eq!(
        (history["source"].as_str(), seqs(&history).len()),
        (Some("fill"), 6)
    );

    let (_, inspection) = app.get("/api/rooms/general/inspect").await;
    assert_eq!(inspection["store"].as_array().map(Vec::len), Some(6));
    assert_eq!(
        inspection["cache"].as_array().map(Vec::len),
        Some(7),
        "6 messages and the mark"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_further_behind_than_the_cache_is_served_from_the_store() {
    let mut config = ChatConfig::default();
    config.window = 5;
    let app = app(config).await;
    for i in 0..12 {
        app.say("general", &format!("user{}", i % 3), &format!("#{i}"))
            .await;
    }
    let (_, newest) = app.get("/api/rooms/general/messages").await;
    assert_eq!(seqs(&newest), [8, 9, 10, 11, 12]);
    let (_, behind) = app.get("/api/rooms/general/messages?after=2").await;
    assert_eq!(behind["source"], "store");
    assert_eq!(seqs(&behind), (3..=12).collect::<Vec<_>>());
    assert_eq!(behind["latest"], 12);
    let (_, near) = app.get("/api/rooms/general/messages?after=7").await;
    assert_eq!(
        (near["source"].as_str(), seqs(&near)),
        (Some("cache"), vec![8, 9, 10, 11, 12])
    );
    let (_, ahead) = app.get("/api/rooms/general/messages?after=40").await;
    assert_eq!(
        (seqs(&ahead).len(), &ahead["latest"]),
        (0, &json!(12)),
        "a client ahead learns the latest"
    );
}
