//! Selection when Redis is wanted: connect, or fall back to memory with one warning and probe
//! Redis in the background. Compiled only with the `redis` feature.

use std::sync::{Arc, Weak};
use std::time::Instant;

use super::{AnyCache, Current, SelectedCache, Selection, SelectionReason, Shared};
use crate::cache::BackendKind;
use crate::config::{Backoff, CacheConfig};
use crate::error::CacheError;
use crate::memory::InMemoryCache;
use crate::redis_cache::RedisCache;

/// [`select_cache`](super::select_cache) with `use_redis` on.
pub(super) async fn select(
    config: &CacheConfig,
    started: Instant,
) -> Result<SelectedCache, CacheError> {
    let url = config.redis_url.redacted().to_owned();
    match RedisCache::connect(config).await {
        Ok(cache) => Ok(SelectedCache::new(
            AnyCache::Redis(cache),
            Selection {
                backend: BackendKind::Redis,
                reason: SelectionReason::RedisConnected { url },
                decided_in: started.elapsed(),
                recovering: false,
            },
        )),
        Err(err @ CacheError::Config(_)) => Err(err),
        Err(err) if config.require_redis => {
            tracing::error!(
                url = %url,
                error = %err,
                "Redis is required (CHATCACHE_REQUIRE_REDIS) but unreachable"
            );
            Err(err)
        }
        Err(err) => {
            let error = short_reason(&err);
            tracing::warn!(
                url = %url,
                error = %error,
                recovery = config.fallback_recovery.is_some(),
                "Redis unreachable; falling back to the in-memory cache (data is not shared \
                 between instances and does not survive restarts)"
            );
            let cache = InMemoryCache::new(config.limits)?;
            let selected = SelectedCache::new(
                AnyCache::Memory(cache),
                Selection {
                    backend: BackendKind::Memory,
                    reason: SelectionReason::RedisUnreachable { url, error },
                    decided_in: started.elapsed(),
                    recovering: config.fallback_recovery.is_some(),
                },
            );
            if let Some(backoff) = config.fallback_recovery {
                let shared = Arc::downgrade(&selected.shared);
                tokio::spawn(recover(shared, config.clone(), backoff, started));
            }
            Ok(selected)
        }
    }
}

/// Probes Redis with `backoff` until it answers, then makes it the cache's backend. Stops when
/// every handle of the cache is gone. Callers are never blocked: they keep using memory until
/// the switch, which is one pointer swap.
async fn recover(shared: Weak<Shared>, config: CacheConfig, backoff: Backoff, since: Instant) {
    let mut delay = backoff.initial;
    let mut probes: u32 = 0;
    loop {
        tokio::time::sleep(delay).await;
        if shared.strong_count() == 0 {
            return;
        }
        probes += 1;
        match RedisCache::connect(&config).await {
            Ok(redis) => {
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                let url = config.redis_url.redacted().to_owned();
                let on_fallback = since.elapsed();
                let previous = shared.current.swap(Arc::new(Current {
                    cache: AnyCache::Redis(redis),
                    selection: Selection {
                        backend: BackendKind::Redis,
                        reason: SelectionReason::RedisRecovered {
                            url: url.clone(),
                            after: on_fallback,
                        },
                        decided_in: shared.current.load().selection.decided_in,
                        recovering: false,
                    },
                }));
                let dropped = match &previous.cache {
                    AnyCache::Memory(memory) => memory.held_entries(),
                    AnyCache::Redis(_) => 0,
                };
                tracing::info!(
                    url = %url,
                    probes,
                    on_fallback_ms = on_fallback.as_millis(),
                    dropped_entries = dropped,
                    "Redis answers; switched from the in-memory fallback to Redis (entries \
                     cached in memory meanwhile are dropped)"
                );
                return;
            }
            Err(err) => {
                tracing::debug!(
                    error = %short_reason(&err),
                    next_probe_ms = backoff.next(delay).as_millis(),
                    "Redis still unreachable"
                );
                delay = backoff.next(delay);
            }
        }
    }
}

fn short_reason(err: &CacheError) -> String {
    match err {
        CacheError::Unavailable { reason, .. } => reason.clone(),
        CacheError::Timeout { after, .. } => {
            format!("no answer within {}ms", after.as_millis())
        }
        other => other.to_string(),
    }
}
