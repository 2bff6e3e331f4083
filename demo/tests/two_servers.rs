//! Two servers (two `Chat`s with their own store connections and their own Redis clients, as two
//! processes have) on one SQLite file and one real `redis-server`: concurrent posts to both,
//! while the cached history is evicted and refilled under them, are all kept, each exactly once
//! and in order, in the store and in the cache.

use std::time::Duration;

use chatcache::testing::RedisServer;
use chatcache::{Cache, CacheConfig, CacheExt, RedisUrl, select_cache};
use chatcache_demo::{Chat, ChatConfig, HistoryItem, MessageText, Store, UserName};

const WRITERS: usize = 4;
const POSTS_PER_WRITER: usize = 25;

async fn server(redis: &RedisServer, db: &std::path::Path) -> Chat {
    let mut config = CacheConfig::default();
    config.use_redis = true;
    config.redis_url = RedisUrl::parse(&redis.url()).expect("valid");
    let cache = select_cache(&config).await.expect("redis");
    assert!(!cache.selection().is_fallback(), "{}", cache.selection());
    let mut chat = ChatConfig::default();
    chat.rate_limit = 1_000;
    chat.window = 30; // smaller than the number of posts: the list is trimmed as it grows
    Chat::new(cache, Store::open(db).expect("store"), chat)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_posts_on_two_servers_are_kept_exactly_once() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("chat.sqlite3");
    let servers = [server(&redis, &db).await, server(&redis, &db).await];
    let room = servers[0].room("general").await.expect("room");
    let key = format!("demo:{}:room:general:history", servers[0].store().id());

    let mut tasks = tokio::task::JoinSet::new();
    for writer in 0..WRITERS {
        let chat = servers[writer % 2].clone();
        let room = room.clone();
        tasks.spawn(async move {
            let author = UserName::parse(&format!("writer{writer}")).expect("valid");
            for i in 0..POSTS_PER_WRITER {
                let text = MessageText::parse(&format!("{writer}-{i}")).expect("valid");
                chat.post(&room, &author, &text).await.expect("posted");
            }
        });
    }
    // Readers on both servers poll as pages do, checking every answer as they go.
    for chat in &servers {
        let chat = chat.clone();
        let room = room.clone();
        tasks.spawn(async move {
            let mut last = 0;
            while last < (WRITERS * POSTS_PER_WRITER) as u64 {
                let history = chat.history(&room, Some(last)).await.expect("history");
                for message in &history.messages {
                    assert_eq!(message.seq, last + 1, "{:?}", history.source);
                    last = message.seq;
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        });
    }
    // The design's invariant, watched as it runs: the list, whenever it is there, holds
    // consecutive messages (pushes reach it in commit order, whichever server made them).
    let watcher = {
        let cache = servers[0].cache().clone();
        let key = key.clone();
        let chat = servers[0].clone();
        let room = room.clone();
        tokio::spawn(async move {
            let mut looks = 0;
            loop {
                let items: Vec<HistoryItem> =
                    cache.list_range_json(&key, 0, -1).await.expect("list");
                let seqs = message_seqs(&items);
                assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
                looks += 1;
                let latest = chat.store().latest_seq(&room.id).expect("latest");
                if latest == (WRITERS * POSTS_PER_WRITER) as u64 {
                    return looks;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
    };
    // Meanwhile the list is evicted now and then, so fills race the posts.
    let cache = servers[1].cache().clone();
    let evict_key = key.clone();
    let evictor = tokio::spawn(async move {
        for _ in 0..20 {
            tokio::time::sleep(Duration::from_millis(15)).await;
            cache.delete(&evict_key).await.expect("deleted");
        }
    });
    while let Some(done) = tasks.join_next().await {
        done.expect("task");
    }
    evictor.await.expect("evictor");
    assert!(watcher.await.expect("watcher") > 1);

    let total = WRITERS * POSTS_PER_WRITER;
    let stored = servers[0]
        .store()
        .messages_after(&room.id, 0, total + 1)
        .expect("read");
    assert_eq!(
        stored.iter().map(|m| m.seq).collect::<Vec<_>>(),
        (1..=total as u64).collect::<Vec<_>>()
    );
    let mut texts: Vec<_> = stored.iter().map(|m| m.text.clone()).collect();
    texts.sort();
    let mut expected: Vec<_> = (0..WRITERS)
        .flat_map(|w| (0..POSTS_PER_WRITER).map(move |i| format!("{w}-{i}")))
        .collect();
    expected.sort();
    assert_eq!(texts, expected, "every post once in the store");

    for chat in &servers {
        let history = chat.history(&room, None).await.expect("history");
        assert_eq!(
            history.messages,
            stored[total - 30..],
            "{:?}",
            history.source
        );
    }
    // The list itself, as it is in Redis: consecutive messages, none twice, ending at the last.
    let items: Vec<HistoryItem> = servers[0]
        .cache()
        .list_range_json(&key, 0, -1)
        .await
        .expect("list");
    let seqs = message_seqs(&items);
    assert_eq!(seqs.last(), Some(&(total as u64)));
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
}

fn message_seqs(items: &[HistoryItem]) -> Vec<u64> {
    items
        .iter()
        .filter_map(|item| match item {
            HistoryItem::Message(m) => Some(m.seq),
            HistoryItem::Filled { .. } => None,
        })
        .collect()
}
