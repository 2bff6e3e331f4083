//! Lists and member sets under concurrency: many writers posting to one room at once keep
//! every message, exactly once, on both backends — and on Redis from several processes.
//! (Their single-writer behaviour is in the conformance suite.)

mod common;

use std::collections::BTreeSet;
#[cfg(feature = "redis")]
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

#[cfg(feature = "redis")]
use chatcache::testing::RedisServer;
use chatcache::{Cache, CacheExt, InMemoryCache, Limits};
#[cfg(feature = "redis")]
use common::connect;

/// Posters and the room's cap (at least as many items as posts, so nothing is trimmed).
const POSTERS: usize = 64;
const CAP: usize = 2 * POSTERS;

/// Environment of the helper process of [`two_processes_post_to_one_redis_room`].
#[cfg(feature = "redis")]
const CHILD_URL: &str = "CHATCACHE_TEST_CHILD_REDIS_URL";
#[cfg(feature = "redis")]
const CHILD_NAMESPACE: &str = "CHATCACHE_TEST_CHILD_NAMESPACE";
#[cfg(feature = "redis")]
const CHILD_PREFIX: &str = "CHATCACHE_TEST_CHILD_PREFIX";

#[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Message {
    from: String,
    n: usize,
}

/// `POSTERS` tasks on a multi-threaded runtime each push one message to `room` at once.
async fn post_concurrently(cache: Arc<dyn Cache>, room: &str, from: &str) {
    let barrier = Arc::new(tokio::sync::Barrier::new(POSTERS));
    let tasks: Vec<_> = (0..POSTERS)
        .map(|n| {
            let (cache, barrier, room) = (cache.clone(), barrier.clone(), room.to_owned());
            let message = Message {
                from: from.to_owned(),
                n,
            };
            tokio::spawn(async move {
                barrier.wait().await;
                cache
                    .list_push_json(&room, &message, CAP, Some(Duration::from_secs(60)))
                    .await
                    .expect("push")
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("the task ran");
    }
}

/// The room holds exactly the messages of `senders` × `POSTERS`, each once.
async fn assert_every_message_kept_once(cache: &dyn Cache, room: &str, senders: &[&str]) {
    let kept: Vec<Message> = cache.list_range_json(room, 0, -1).await.expect("range");
    let expected: BTreeSet<Message> = senders
        .iter()
        .flat_map(|from| {
            (0..POSTERS).map(|n| Message {
                from: (*from).to_owned(),
                n,
            })
        })
        .collect();
    assert_eq!(kept.len(), expected.len(), "messages kept");
    let unique: BTreeSet<Message> = kept.into_iter().collect();
    assert_eq!(unique, expected, "every message exactly once");
    assert_eq!(
        cache.list_len(room).await.expect("len"),
        POSTERS * senders.len()
    );
    println!(
        "{}: {} of {} concurrent posts kept",
        cache.backend(),
        unique.len(),
        POSTERS * senders.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_posts_are_all_kept_in_memory() {
    // Several shards, as a real server has: the room's key lives in one of them.
    let limits = Limits::builder()
        .max_entries(100_000)
        .build()
        .expect("valid");
    let cache: Arc<dyn Cache> = Arc::new(InMemoryCache::new(limits).expect("cache"));
    post_concurrently(cache.clone(), "room:1:history", "memory").await;
    assert_every_message_kept_once(&*cache, "room:1:history", &["memory"]).await;
}

#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_posts_are_all_kept_on_redis() {
    let server = RedisServer::start();
    let cache: Arc<dyn Cache> = Arc::new(connect(&server, "concurrent").await);
    post_concurrently(cache.clone(), "room:1:history", "redis").await;
    assert_every_message_kept_once(&*cache, "room:1:history", &["redis"]).await;
}

#[cfg(feature = "redis")]
/// Two server processes post to one room on one Redis at the same time: every message of
/// both is kept once. The second process is this test binary again, running
/// [`helper_posts_from_a_second_process`].
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_post_to_one_redis_room() {
    let server = RedisServer::start();
    let namespace = "two-processes";
    let cache: Arc<dyn Cache> = Arc::new(connect(&server, namespace).await);
    let mut child = Command::new(std::env::current_exe().expect("the test binary"))
        .args([
            "--exact",
            "helper_posts_from_a_second_process",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_URL, server.url())
        .env(CHILD_NAMESPACE, namespace)
        .env(CHILD_PREFIX, "second")
        .spawn()
        .expect("start the second process");
    post_concurrently(cache.clone(), "room:1:history", "first").await;
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("joined")
        .expect("the second process ran");
    assert!(status.success(), "the second process failed: {status}");
    assert_every_message_kept_once(&*cache, "room:1:history", &["first", "second"]).await;
}

#[cfg(feature = "redis")]
/// The second process of [`two_processes_post_to_one_redis_room`]; it only runs when that
/// test starts it (it is ignored otherwise, and refuses to run without its environment).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "started by two_processes_post_to_one_redis_room"]
async fn helper_posts_from_a_second_process() {
    let url = std::env::var(CHILD_URL).expect("run by two_processes_post_to_one_redis_room");
    let namespace = std::env::var(CHILD_NAMESPACE).expect("with a namespace");
    let from = std::env::var(CHILD_PREFIX).expect("and a sender name");
    let mut config = common::redis_config(&url);
    config.namespace = chatcache::Namespace::new(&namespace).expect("valid namespace");
    let cache: Arc<dyn Cache> = Arc::new(
        chatcache::RedisCache::connect(&config)
            .await
            .expect("redis"),
    );
    post_concurrently(cache, "room:1:history", &from).await;
}

#[cfg(feature = "redis")]
/// Many users join and leave one room's member set at once: the set ends with exactly the
/// users who stayed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_joins_and_leaves_settle_on_both_backends() {
    let server = RedisServer::start();
    let backends: [Arc<dyn Cache>; 2] = [
        Arc::new(InMemoryCache::new(Limits::default()).expect("cache")),
        Arc::new(connect(&server, "presence").await),
    ];
    for cache in backends {
        let tasks: Vec<_> = (0..POSTERS)
            .map(|n| {
                let cache = cache.clone();
                tokio::spawn(async move {
                    let user = format!("user{n:02}");
                    let ttl = Duration::from_secs(60);
                    cache
                        .member_add("room:1:online", &user, ttl)
                        .await
                        .expect("add");
                    if n % 2 == 1 {
                        assert!(
                            cache
                                .member_remove("room:1:online", &user)
                                .await
                                .expect("rm")
                        );
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("the task ran");
        }
        let online = cache.members("room:1:online").await.expect("members");
        let expected: Vec<String> = (0..POSTERS)
            .step_by(2)
            .map(|n| format!("user{n:02}"))
            .collect();
        assert_eq!(online, expected, "{}", cache.backend());
    }
}
