//! The core on its own: a host that owns the clock caches chat data with TTLs and a byte
//! budget, then persists a snapshot and restores it later.
//!
//! `cargo run -p chatcache-core --example room_history`

use chatcache_core::{KeyTtl, Limits, Store, Timestamp, Ttl};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The host's clock; a real host reads it once per call (e.g. Unix-epoch ms).
    let mut now = Timestamp::from_millis(1_700_000_000_000);
    let limits = Limits::builder()
        .max_entries(1_000)
        .max_bytes(256 * 1024)
        .max_entry_bytes(64 * 1024)
        .build()
        .expect("valid limits");
    let mut cache = Store::new(limits);

    cache.set("room:rust:title", b"Rustaceans", None, now)?;
    cache.set("presence:alice", b"online", Some(Ttl::from_secs(30)?), now)?;
    let unread = cache.incr("unread:bob:rust", 3, now)?;
    println!("bob has {unread} unread messages");

    // Adding only if absent: the first writer of a message id wins.
    let first = cache.add("msg:123", b"hello", Some(Ttl::from_secs(3_600)?), now)?;
    let second = cache.add("msg:123", b"duplicate", Some(Ttl::from_secs(3_600)?), now)?;
    println!("first add stored: {first}, second add stored: {second}");

    // Bad input is refused with a typed error and changes nothing.
    let too_big = vec![0u8; 2 << 20];
    match cache.set("room:rust:title", &too_big, None, now) {
        Err(error) => println!("refused ({}): {error}", error.code()),
        Ok(()) => unreachable!("a 2 MiB value exceeds the 64 KiB per-entry limit"),
    }
    let title = cache
        .get("room:rust:title", now)?
        .map(String::from_utf8_lossy);
    println!("title is still {title:?}");

    // Time passes: presence expires, the host learns when to reclaim memory.
    now = Timestamp::from_millis(now.as_millis() + 31_000);
    println!(
        "presence after 31 s: {:?}",
        cache.ttl("presence:alice", now)?
    );
    assert_eq!(cache.ttl("room:rust:title", now)?, Some(KeyTtl::Persistent));
    println!("reclaimed {} expired entries", cache.purge_expired(now));

    // Persist, then restore into a fresh cache an hour later.
    let snapshot = cache.export(now);
    let json = serde_json::to_string(&snapshot)?;
    now = Timestamp::from_millis(now.as_millis() + 3_600_000);
    let mut restored = Store::new(limits);
    let summary = restored.import(&serde_json::from_str(&json)?, now)?;
    println!(
        "restored {} entries ({} had expired meanwhile); stats: {:?}",
        summary.imported,
        summary.expired,
        cache.stats()
    );
    Ok(())
}
