//! `CHATCACHE_REDIS_CLUSTER=true` against a real 3-primary Redis Cluster on loopback: every
//! operation behaves as on one node, batch calls span slots, `clear` and the entry count cover
//! every primary, `stats` sums them; and a dead primary fails only its own slots.

#![cfg(feature = "redis")]

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chatcache::testing::RedisCluster;
use chatcache::{Cache, CacheConfig, KeyTtl, RedisCache};
use common::ms;

fn cluster_config(cluster: &RedisCluster, namespace: &str) -> CacheConfig {
    let vars: HashMap<&str, String> = [
        ("USE_REDIS", "true".to_owned()),
        ("CHATCACHE_REDIS_CLUSTER", "true".to_owned()),
        ("REDIS_URL", cluster.url()),
        ("CHATCACHE_NAMESPACE", namespace.to_owned()),
        ("CHATCACHE_REDIS_COUNT_ENTRIES", "true".to_owned()),
    ]
    .into();
    CacheConfig::from_lookup(|name| vars.get(name).map(Into::into)).expect("valid variables")
}

/// Keys under `ns` per node, counted on each node itself.
fn keys_per_node(cluster: &RedisCluster, ns: &str) -> Vec<usize> {
    cluster
        .nodes()
        .iter()
        .map(|node| {
            let keys: Vec<String> = chatcache::testing::redis::cmd("KEYS")
                .arg(format!("{ns}:*"))
                .query(&mut node.connection())
                .expect("KEYS on a node");
            keys.len()
        })
        .collect()
}

#[tokio::test]
async fn every_operation_behaves_as_on_one_node() {
    let cluster = RedisCluster::start();
    let cache = RedisCache::connect(&cluster_config(&cluster, "cl"))
        .await
        .expect("connects through the seeds");
    assert!(cache.is_cluster());

    // Batches across slots.
    let keys: Vec<String> = (0..60).map(|i| format!("user:{i}")).collect();
    let values: Vec<Vec<u8>> = (0..60).map(|i| format!("v{i}").into_bytes()).collect();
    let entries: Vec<(&str, &[u8])> = keys
        .iter()
        .zip(&values)
        .map(|(k, v)| (k.as_str(), v.as_slice()))
        .collect();
    cache
        .set_many(&entries, Some(Duration::from_secs(60)))
        .await
        .expect("set_many across slots");
    let per_node = keys_per_node(&cluster, "cl");
    assert!(
        per_node.iter().all(|&n| n > 0),
        "keys on every primary: {per_node:?}"
    );
    let mut asked: Vec<&str> = keys.iter().map(String::as_str).collect();
    asked.insert(7, "missing");
    let got = cache.get_many(&asked).await.expect("get_many across slots");
    assert_eq!(got.len(), 61);
    assert_eq!(got[7], None);
    assert_eq!(got[0].as_deref(), Some(&b"v0"[..]));
    assert_eq!(got[60].as_deref(), Some(&b"v59"[..]), "order is kept");
    assert_eq!(cache.count_entries().await.expect("count"), 60);
    assert_eq!(
        cache
            .delete_many(&["user:1", "user:2", "user:2", "nope"])
            .await
            .expect("delete_many"),
        2
    );

    // Single-key operations, counters, expiry, touch.
    assert!(cache.add("fresh", b"1", None).await.expect("add"));
    assert_eq!(cache.incr("fresh", 41).await.expect("incr"), 42);
    assert!(
        cache
            .touch("fresh", Some(Duration::from_secs(9)))
            .await
            .expect("touch")
    );
    assert!(matches!(
        cache.ttl("fresh").await.expect("ttl"),
        Some(KeyTtl::Remaining(_))
    ));
    assert!(cache.touch("fresh", None).await.expect("persist"));
    assert_eq!(
        cache.ttl("fresh").await.expect("ttl"),
        Some(KeyTtl::Persistent)
    );
    assert!(cache.exists("fresh").await.expect("exists"));

    // Hash tags keep a room's keys on one slot (and node).
    let room = ["{room:42}:topic", "{room:42}:members", "{room:42}:history"];
    let node = cluster.node_for_key(&format!("cl:{}", room[0]));
    for key in room {
        assert_eq!(cluster.node_for_key(&format!("cl:{key}")), node, "{key}");
    }
    let room_entries: Vec<(&str, &[u8])> = room.iter().map(|k| (*k, &b"x"[..])).collect();
    cache
        .set_many(&room_entries, None)
        .await
        .expect("one slot, one transaction");

    // A key of another type is the same typed error as on one node.
    let _: () = chatcache::testing::redis::cmd("RPUSH")
        .arg("cl:list")
        .arg("a")
        .query(&mut cluster.nodes()[cluster.node_for_key("cl:list")].connection())
        .expect("RPUSH");
    let err = cache
        .get_many(&["user:3", "list"])
        .await
        .expect_err("WRONGTYPE");
    assert!(err.code() == "wrong_type", "{err:?}");

    // stats sums the primaries; clear scans every primary.
    let stats = cache.stats().await.expect("stats");
    let redis = stats.redis.expect("server figures");
    assert_eq!(redis.primaries, 3);
    assert!(redis.used_memory > 0);
    assert_eq!(stats.entries, Some(58 + 1 + 3 + 1));
    cache.health().await.expect("every primary answers");
    let removed = cache.clear().await.expect("clear");
    assert_eq!(removed, 58 + 1 + 3 + 1);
    assert_eq!(keys_per_node(&cluster, "cl"), vec![0, 0, 0]);
}

/// One primary is killed: operations on its slots fail within the operation timeout, the rest
/// keep working; after it restarts, its slots work again.
#[tokio::test]
async fn a_dead_primary_fails_only_its_own_slots() {
    let mut cluster = RedisCluster::start();
    let config = cluster_config(&cluster, "fault");
    let cache = RedisCache::connect(&config).await.expect("connects");
    let keys: Vec<String> = (0..30).map(|i| format!("k{i}")).collect();
    let node_of: Vec<usize> = keys
        .iter()
        .map(|k| cluster.node_for_key(&format!("fault:{k}")))
        .collect();
    for key in &keys {
        cache.set(key, b"before", None).await.expect("set");
    }
    // Warm the script cache on every node, as a running server would have.
    let all: Vec<&str> = keys.iter().map(String::as_str).collect();
    cache.get_many(&all).await.expect("get_many");

    let dead = node_of[0];
    cluster.nodes_mut()[dead].stop();
    let budget = config.op_timeout + Duration::from_millis(400);
    let (mut failed, mut worked, mut slowest_failure) = (0, 0, Duration::ZERO);
    for (key, &node) in keys.iter().zip(&node_of) {
        let started = Instant::now();
        let result = cache.set(key, b"after", None).await;
        let elapsed = started.elapsed();
        if node == dead {
            let err = result.expect_err("its primary is down");
            assert!(err.is_transient(), "{key}: {err:?}");
            assert!(elapsed <= budget, "{key}: failed after {}", ms(elapsed));
            slowest_failure = slowest_failure.max(elapsed);
            failed += 1;
        } else {
            result.unwrap_or_else(|e| panic!("{key} lives on a live primary: {e}"));
            assert_eq!(
                cache.get(key).await.expect("get").as_deref(),
                Some(&b"after"[..])
            );
            worked += 1;
        }
    }
    let live: Vec<&str> = keys
        .iter()
        .zip(&node_of)
        .filter(|(_, n)| **n != dead)
        .map(|(k, _)| k.as_str())
        .collect();
    assert!(
        cache
            .get_many(&live)
            .await
            .expect("live slots")
            .iter()
            .all(Option::is_some)
    );
    // Work that must reach every primary fails, naming the node, instead of skipping it.
    let health = cache
        .health()
        .await
        .expect_err("health covers every primary");
    let stats = cache.stats().await.expect_err("stats sums every primary");
    let clear = cache
        .clear()
        .await
        .expect_err("clear must reach every primary");
    for err in [&health, &stats, &clear] {
        assert!(err.is_transient(), "{err:?}");
        assert!(err.to_string().contains("is not reachable"), "{err}");
    }
    println!("with a primary down, health says: {health}");
    println!(
        "one primary down: {failed} operations on its slots failed (slowest {}), {worked} on the \
         others worked",
        ms(slowest_failure)
    );
    assert!(failed > 0 && worked > 0);

    let restarted = cluster.nodes_mut()[dead].restart();
    let key = &keys[0];
    loop {
        if cache.set(key, b"back", None).await.is_ok() {
            break;
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(10),
            "its slots never came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "its slots work again {} after the restart",
        ms(restarted.elapsed())
    );
}
