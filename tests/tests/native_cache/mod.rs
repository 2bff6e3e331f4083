//! Applies conformance operations to any `chatcache::Cache` (the native in-memory and Redis
//! backends share this mapping; `memory.rs` and `redis.rs` differ only in how they open a
//! backend and let time pass).

use std::time::Duration;

use chatcache::{Cache, CacheError, KeyTtl};
use chatcache_conformance::{Op, Outcome, TtlState};

fn expiry(ttl: Option<u64>) -> Option<Duration> {
    ttl.map(Duration::from_millis)
}

/// Bad input maps to the core's code; anything else (a dropped connection, a timeout) to a
/// code the suite does not know, so it shows up as a failure with its message.
fn outcome_of_error(err: CacheError) -> Outcome {
    match err.as_core() {
        Some(core) => Outcome::error(core.code()),
        None => Outcome::error(format!("{}: {err}", err.code())),
    }
}

/// Runs `op` against `cache` and reports what happened.
pub(crate) async fn apply(cache: &dyn Cache, op: &Op) -> Outcome {
    let result: Result<Outcome, CacheError> = async {
        Ok(match op {
            Op::Get { key } => Outcome::Value(cache.get(key).await?),
            Op::Set { key, value, ttl } => {
                cache.set(key, value, expiry(*ttl)).await?;
                Outcome::Ok
            }
            Op::Add { key, value, ttl } => {
                Outcome::Bool(cache.add(key, value, expiry(*ttl)).await?)
            }
            Op::Delete { key } => Outcome::Bool(cache.delete(key).await?),
            Op::Contains { key } => Outcome::Bool(cache.exists(key).await?),
            Op::Touch { key, ttl } => Outcome::Bool(cache.touch(key, expiry(*ttl)).await?),
            Op::Ttl { key } => Outcome::Ttl(match cache.ttl(key).await? {
                None => TtlState::Missing,
                Some(KeyTtl::Persistent) => TtlState::Persistent,
                Some(KeyTtl::Remaining(ttl)) => TtlState::Remaining(ttl.as_millis()),
            }),
            Op::Incr { key, by } => Outcome::Integer(cache.incr(key, *by).await?),
            Op::Decr { key, by } => Outcome::Integer(cache.decr(key, *by).await?),
            Op::Clear => {
                cache.clear().await?;
                Outcome::Ok
            }
            Op::Len => match cache.stats().await?.entries {
                Some(entries) => {
                    Outcome::Integer(i64::try_from(entries).expect("entry counts fit in i64"))
                }
                None => Outcome::error("stats: entries not counted"),
            },
            Op::GetMany { keys } => {
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                Outcome::Values(cache.get_many(&keys).await?)
            }
            Op::SetMany { entries, ttl } => {
                let entries: Vec<(&str, &[u8])> = entries
                    .iter()
                    .map(|e| (e.key.as_str(), e.value.as_slice()))
                    .collect();
                cache.set_many(&entries, expiry(*ttl)).await?;
                Outcome::Ok
            }
            Op::DeleteMany { keys } => {
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                let removed = cache.delete_many(&keys).await?;
                Outcome::Integer(i64::try_from(removed).expect("counts fit in i64"))
            }
            Op::ListPush {
                key,
                value,
                cap,
                ttl,
            } => {
                let cap = usize::try_from(*cap).unwrap_or(usize::MAX);
                let len = cache.list_push(key, value, cap, expiry(*ttl)).await?;
                Outcome::Integer(i64::try_from(len).expect("lengths fit in i64"))
            }
            Op::ListRange { key, start, stop } => {
                Outcome::Items(cache.list_range(key, *start, *stop).await?)
            }
            Op::ListLen { key } => Outcome::Integer(
                i64::try_from(cache.list_len(key).await?).expect("lengths fit in i64"),
            ),
            Op::MemberAdd { key, member, ttl } => Outcome::Bool(
                cache
                    .member_add(key, member, Duration::from_millis(*ttl))
                    .await?,
            ),
            Op::Members { key } => Outcome::Members(cache.members(key).await?),
            Op::MemberRemove { key, member } => {
                Outcome::Bool(cache.member_remove(key, member).await?)
            }
            // Snapshots are not part of the `Cache` trait; runners that have them intercept
            // this step.
            Op::RoundTrip => Outcome::error("round_trip is not a Cache operation"),
        })
    }
    .await;
    result.unwrap_or_else(outcome_of_error)
}
