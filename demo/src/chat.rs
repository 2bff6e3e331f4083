//! [`Chat`]: the chat's operations, with the cache in front of the [`Store`] (cache-aside).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chatcache::{BackendKind, Cache, CacheError, CacheExt, KeyTtl, SelectedCache};
use serde::{Deserialize, Serialize};
use tokio::runtime::Handle;

use crate::{Error, Message, MessageText, Room, RoomId, Store, UserName};

/// The chat's tunables. `Default` is what the demo server runs with.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ChatConfig {
    /// Messages per room that the cache holds and a page load shows.
    pub window: usize,
    /// How long a room's cached history lives after its last post (or fill).
    pub history_ttl: Duration,
    /// How long room metadata and the room list stay cached.
    pub rooms_ttl: Duration,
    /// Posts a user may make per `rate_window`.
    pub rate_limit: i64,
    /// The rate limit's window, which starts with a user's first post.
    pub rate_window: Duration,
    /// How long a user counts as online after a heartbeat.
    pub online_ttl: Duration,
    /// How long a user counts as typing after a keystroke.
    pub typing_ttl: Duration,
}

impl Default for ChatConfig {
    fn default() -> ChatConfig {
        ChatConfig {
            window: 100,
            history_ttl: Duration::from_secs(600),
            rooms_ttl: Duration::from_secs(60),
            rate_limit: 10,
            rate_window: Duration::from_secs(10),
            online_ttl: Duration::from_secs(15),
            typing_ttl: Duration::from_secs(4),
        }
    }
}

/// Most messages one history answer carries when it comes from the store (a client far behind).
const STORE_PAGE: usize = 500;

/// An item of a room's cached history list: a message, or the mark a fill leaves after the
/// messages it loaded (see [`Chat`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HistoryItem {
    /// A message.
    Message(Message),
    /// "The items before this one are the room's newest messages up to `through`, as the store
    /// had them": what makes a list shorter than the window trustworthy.
    Filled {
        /// The `seq` of the room's newest message at the fill (0: the room was empty).
        through: u64,
    },
}

/// Messages of a room as served to a client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct History {
    /// The store's id ([`Store::id`]): a client that cached another store's messages drops them.
    pub store: String,
    /// The `seq` of the room's newest message known (0: none).
    pub latest: u64,
    /// The messages asked for, oldest first, numbered without gaps.
    pub messages: Vec<Message>,
    /// Where they came from.
    pub source: Source,
}

/// Where an answer came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The cached list, as it was.
    Cache,
    /// The cached list, just filled from the store.
    Fill,
    /// The store directly (the client was further behind than the cache reaches, or the cache
    /// failed).
    Store,
}

/// Who is in a room.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Presence {
    /// Users with a heartbeat within [`ChatConfig::online_ttl`], in name order.
    pub online: Vec<String>,
    /// Users who typed within [`ChatConfig::typing_ttl`], in name order.
    pub typing: Vec<String>,
}

/// The server's figures, for the page.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    /// `memory` or `redis`.
    pub backend: BackendKind,
    /// Redis was wanted but is unreachable: the cache runs on its in-memory fallback.
    pub fallback: bool,
    /// [`chatcache::Selection`]'s line, e.g. `memory (USE_REDIS is off)`.
    pub selection: String,
    /// Cache lookups of this process that found an entry.
    pub hits: u64,
    /// Cache lookups of this process that found nothing.
    pub misses: u64,
    /// `hits / (hits + misses)`; `None` before the first lookup.
    pub hit_ratio: Option<f64>,
    /// History answers by source, since start-up.
    pub history: HistoryCounts,
    /// Why the cache's figures are missing, if they are.
    pub cache_error: Option<String>,
}

/// History answers of this process by [`Source`].
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryCounts {
    /// Served from the cached list.
    pub cache: u64,
    /// Served after filling the list from the store.
    pub fill: u64,
    /// Served from the store directly.
    pub store: u64,
}

/// What the store and the cache hold for a room, for tests and the curious.
#[derive(Clone, Debug, Serialize)]
pub struct Inspection {
    /// Every message of the room in the store, oldest first (at most 10,000).
    pub store: Vec<Message>,
    /// The cached history list as it is, item by item.
    pub cache: Vec<HistoryItem>,
}

/// The chat: rooms, history, posts, presence. Cheap to clone; one per server process.
///
/// # Cache-aside
///
/// The [`Store`] (SQLite) is the record; the cache holds what page loads and polls read:
///
/// - **Room list and metadata**: `get_or_set_json_with`, so a burst of page loads runs one
///   query per process (unknown room ids are cached too, as `null`).
/// - **History**: one capped list per room (`list_push` / `list_range`) of its newest
///   [`ChatConfig::window`] messages.
/// - **Presence and typing**: one member set per room (`member_add` / `members`), members
///   `online:<name>` and `typing:<name>` with their own expiry. The cache is their only home.
/// - **Rate limit**: `add(counter, "0", window)` starts a user's window, `incr` counts.
///
/// # How the cached history stays exact
///
/// Several server processes may share the store and one Redis. Every write to a room's list
/// happens **inside a store write transaction**, which holds SQLite's write lock, so pushes
/// reach the list in commit order from every process:
///
/// - a post inserts the message (numbered one after the room's newest), pushes it to the list,
///   then commits;
/// - a fill (on a miss) re-checks the list under the lock, deletes it, pushes the newest
///   `window` messages and then a [`HistoryItem::Filled`] mark.
///
/// So a list is always a run of consecutive `seq`s in order, and every reader checks that
/// before trusting it: a list whose `seq`s are not consecutive (a push was lost, say while Redis
/// was unreachable), or that is shorter than the window without a fill's mark (a post pushed onto
/// an evicted list, or a fill died half-way), counts as a miss and is filled again. Nothing is
/// ever served twice or skipped, and a client that polls "after `seq` n" gets exactly the
/// messages after n. If a push fails the list is deleted; if a commit fails after its push, too.
///
/// What is left: a post whose push fails while its delete fails as well (Redis down for both)
/// leaves the list without that message until the next post to the room (which leaves a gap
/// that readers see) or the list's expiry; a crash between a push and its commit leaves a
/// message in the list that the store does not have, until the room's next post (a repeated
/// `seq`, which readers see) or expiry.
#[derive(Clone, Debug)]
pub struct Chat {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    cache: SelectedCache,
    store: Store,
    config: ChatConfig,
    served: Served,
}

#[derive(Debug, Default)]
struct Served {
    cache: AtomicU64,
    fill: AtomicU64,
    store: AtomicU64,
}

impl Chat {
    /// A chat over `store` with `cache` in front of it.
    #[must_use]
    pub fn new(cache: SelectedCache, store: Store, config: ChatConfig) -> Chat {
        Chat {
            inner: Arc::new(Inner {
                cache,
                store,
                config,
                served: Served::default(),
            }),
        }
    }

    /// The cache.
    #[must_use]
    pub fn cache(&self) -> &SelectedCache {
        &self.inner.cache
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &ChatConfig {
        &self.inner.config
    }

    /// Every room (cached for [`ChatConfig::rooms_ttl`]).
    ///
    /// # Errors
    /// [`Error::Store`] if the store fails (a cache failure falls back to the store).
    pub async fn rooms(&self) -> Result<Vec<Room>, Error> {
        let key = self.key("rooms");
        let store = self.store().clone();
        let cached = self
            .cache()
            .get_or_set_json_with(&key, Some(self.config().rooms_ttl), || {
                blocking(move || store.rooms())
            })
            .await;
        match cached {
            Ok(rooms) => Ok(rooms),
            Err(error) => self.ask_store_after(error, |store| store.rooms()).await,
        }
    }

    /// The room `id` (cached for [`ChatConfig::rooms_ttl`], unknown ids too).
    ///
    /// # Errors
    /// [`Error::UnknownRoom`] if there is no such room; [`Error::Store`] if the store fails.
    pub async fn room(&self, id: &str) -> Result<Room, Error> {
        let id = RoomId::parse(id)?;
        let key = self.key(&format!("room:{id}"));
        let store = self.store().clone();
        let load_id = id.clone();
        let cached = self
            .cache()
            .get_or_set_json_with(&key, Some(self.config().rooms_ttl), || {
                blocking(move || store.room(&load_id))
            })
            .await;
        let room = match cached {
            Ok(room) => room,
            Err(error) => {
                let id = id.clone();
                self.ask_store_after(error, move |store| store.room(&id))
                    .await?
            }
        };
        room.ok_or_else(|| Error::UnknownRoom(id.to_string()))
    }

    /// The room's newest [`ChatConfig::window`] messages, or with `after: Some(n)` every
    /// message after `seq` n (at most 500 at a time when they come from the store).
    ///
    /// # Errors
    /// [`Error::Store`] if the answer has to come from the store and the store fails.
    pub async fn history(&self, room: &Room, after: Option<u64>) -> Result<History, Error> {
        let key = self.history_key(&room.id);
        let window = match self.cached_window(&key).await {
            Ok(Some(window)) => Some((window, Source::Cache)),
            Ok(None) => match self.fill(room).await {
                Ok(filled) => Some(filled),
                Err(error) => {
                    tracing::warn!(room = %room.id, "filling the cached history failed: {error}");
                    None
                }
            },
            Err(error) => {
                tracing::debug!(room = %room.id, "reading the cached history failed: {error}");
                None
            }
        };
        if let Some((window, source)) = window
            && let Some(messages) = window.serve(after, self.config().window)
        {
            self.count(source);
            return Ok(History {
                store: self.store().id().to_owned(),
                latest: window.latest,
                messages,
                source,
            });
        }
        let store = self.store().clone();
        let id = room.id.clone();
        let window = self.config().window;
        let (messages, latest) = blocking(move || {
            let messages = match after {
                Some(after) => store.messages_after(&id, after, STORE_PAGE)?,
                None => store.latest(&id, window)?,
            };
            let latest = match messages.last() {
                Some(last) if after.is_none() || messages.len() < STORE_PAGE => last.seq,
                _ => store.latest_seq(&id)?,
            };
            Ok((messages, latest))
        })
        .await?;
        self.count(Source::Store);
        Ok(History {
            store: self.store().id().to_owned(),
            latest,
            messages,
            source: Source::Store,
        })
    }

    /// Posts `text` as `author` to `room`: stored first, then pushed to the cached history
    /// (both under the store's write lock; see [`Chat`]). The post completes even if the
    /// client goes away meanwhile.
    ///
    /// # Errors
    /// [`Error::RateLimited`] if `author` posted [`ChatConfig::rate_limit`] times within the
    /// window; [`Error::Store`] if the store fails (then nothing was posted).
    pub async fn post(
        &self,
        room: &Room,
        author: &UserName,
        text: &MessageText,
    ) -> Result<Message, Error> {
        self.check_rate(author).await?;
        let this = self.clone();
        let (id, name, body) = (room.id.clone(), author.clone(), text.clone());
        let rt = Handle::current();
        // A blocking task runs to completion even if this future is dropped, so a post never
        // stops between its push and its commit.
        let message =
            tokio::task::spawn_blocking(move || this.post_blocking(&rt, &id, &name, &body))
                .await??;
        let typing = format!("typing:{author}");
        if let Err(error) = self
            .cache()
            .member_remove(&self.presence_key(&room.id), &typing)
            .await
        {
            tracing::debug!("clearing {typing} failed: {error}");
        }
        Ok(message)
    }

    /// Who is online and typing in `room`.
    ///
    /// # Errors
    /// [`Error::Cache`] if the cache fails (presence lives only there).
    pub async fn presence(&self, room: &Room) -> Result<Presence, Error> {
        let members = self.cache().members(&self.presence_key(&room.id)).await?;
        let mut presence = Presence::default();
        for member in members {
            if let Some(name) = member.strip_prefix("online:") {
                presence.online.push(name.to_owned());
            } else if let Some(name) = member.strip_prefix("typing:") {
                presence.typing.push(name.to_owned());
            }
        }
        Ok(presence)
    }

    /// `user` is online in `room` (for [`ChatConfig::online_ttl`]), and typing if `typing`
    /// (for [`ChatConfig::typing_ttl`]). Returns who is there now.
    ///
    /// # Errors
    /// [`Error::Cache`] if the cache fails.
    pub async fn heartbeat(
        &self,
        room: &Room,
        user: &UserName,
        typing: bool,
    ) -> Result<Presence, Error> {
        let key = self.presence_key(&room.id);
        let config = self.config();
        self.cache()
            .member_add(&key, &format!("online:{user}"), config.online_ttl)
            .await?;
        if typing {
            self.cache()
                .member_add(&key, &format!("typing:{user}"), config.typing_ttl)
                .await?;
        }
        self.presence(room).await
    }

    /// `user` left `room`.
    ///
    /// # Errors
    /// [`Error::Cache`] if the cache fails.
    pub async fn leave(&self, room: &Room, user: &UserName) -> Result<(), Error> {
        let key = self.presence_key(&room.id);
        self.cache()
            .member_remove(&key, &format!("online:{user}"))
            .await?;
        self.cache()
            .member_remove(&key, &format!("typing:{user}"))
            .await?;
        Ok(())
    }

    /// The server's figures: its cache's backend and hit ratio, and history answers by source.
    pub async fn figures(&self) -> Figures {
        let selection = self.cache().selection();
        let served = &self.inner.served;
        let history = HistoryCounts {
            cache: served.cache.load(Ordering::Relaxed),
            fill: served.fill.load(Ordering::Relaxed),
            store: served.store.load(Ordering::Relaxed),
        };
        let (hits, misses, hit_ratio, cache_error) = match self.cache().stats().await {
            Ok(stats) => (stats.hits, stats.misses, stats.hit_ratio(), None),
            Err(error) => (0, 0, None, Some(error.to_string())),
        };
        Figures {
            backend: selection.backend(),
            fallback: selection.is_fallback(),
            selection: selection.to_string(),
            hits,
            misses,
            hit_ratio,
            history,
            cache_error,
        }
    }

    /// What the store and the cache hold for `room`.
    ///
    /// # Errors
    /// [`Error::Store`] or [`Error::Cache`].
    pub async fn inspect(&self, room: &Room) -> Result<Inspection, Error> {
        let store = self.store().clone();
        let id = room.id.clone();
        let stored = blocking(move || store.messages_after(&id, 0, 10_000)).await?;
        let cached = self
            .cache()
            .list_range_json(&self.history_key(&room.id), 0, -1)
            .await?;
        Ok(Inspection {
            store: stored,
            cache: cached,
        })
    }

    /// The cache key `name` of this store's data.
    fn key(&self, name: &str) -> String {
        format!("demo:{}:{name}", self.store().id())
    }

    fn history_key(&self, room: &RoomId) -> String {
        self.key(&format!("room:{room}:history"))
    }

    fn presence_key(&self, room: &RoomId) -> String {
        self.key(&format!("room:{room}:presence"))
    }

    fn count(&self, source: Source) {
        let served = &self.inner.served;
        match source {
            Source::Cache => &served.cache,
            Source::Fill => &served.fill,
            Source::Store => &served.store,
        }
        .fetch_add(1, Ordering::Relaxed);
    }

    /// After a failed `get_or_set_with`: the loader's own error is the store's; any other means
    /// the cache failed, and the store answers instead.
    async fn ask_store_after<T: Send + 'static>(
        &self,
        error: CacheError,
        query: impl FnOnce(&Store) -> Result<T, rusqlite::Error> + Send + 'static,
    ) -> Result<T, Error> {
        if let CacheError::Load { .. } = error {
            return Err(Error::Internal(error.to_string()));
        }
        tracing::debug!("cache failed, asking the store: {error}");
        let store = self.store().clone();
        blocking(move || query(&store)).await
    }

    /// The cached history under `key`, if it is there and checks out (see [`Window::check`]).
    async fn cached_window(&self, key: &str) -> Result<Option<Window>, CacheError> {
        let items: Vec<HistoryItem> = match self.cache().list_range_json(key, 0, -1).await {
            Ok(items) => items,
            // Not ours (another version's items): as good as missing; a fill replaces it.
            Err(CacheError::Decode { .. }) => return Ok(None),
            Err(error) => return Err(error),
        };
        Ok(Window::check(&items, self.config().window))
    }

    /// Fills the room's cached history from the store, under the store's write lock.
    async fn fill(&self, room: &Room) -> Result<(Window, Source), Error> {
        let this = self.clone();
        let id = room.id.clone();
        let rt = Handle::current();
        // Not cancelled with the request: a fill stopped half-way would leave work for the
        // next reader.
        tokio::task::spawn_blocking(move || this.fill_blocking(&rt, &id)).await?
    }

    fn fill_blocking(&self, rt: &Handle, room: &RoomId) -> Result<(Window, Source), Error> {
        let key = self.history_key(room);
        let config = self.config();
        self.store().write(|w| {
            // Another request, here or in another process, may have filled it while this one
            // waited for the lock.
            if let Ok(Some(window)) = rt.block_on(self.cached_window(&key)) {
                return Ok((window, Source::Cache));
            }
            let messages = w.latest(room, config.window)?;
            let cache = self.cache();
            rt.block_on(async {
                cache.delete(&key).await?;
                let cap = config.window + 1;
                for message in &messages {
                    let item = HistoryItem::Message(message.clone());
                    cache
                        .list_push_json(&key, &item, cap, Some(config.history_ttl))
                        .await?;
                }
                let through = messages.last().map_or(0, |m| m.seq);
                let mark = HistoryItem::Filled { through };
                cache
                    .list_push_json(&key, &mark, cap, Some(config.history_ttl))
                    .await
            })?;
            tracing::debug!(%room, messages = messages.len(), "filled the cached history");
            Ok((Window::filled(messages), Source::Fill))
        })
    }

    fn post_blocking(
        &self,
        rt: &Handle,
        room: &RoomId,
        author: &UserName,
        text: &MessageText,
    ) -> Result<Message, Error> {
        let key = self.history_key(room);
        let config = self.config();
        let mut pushed = false;
        let posted = self.store().write(|w| {
            let message = w.insert(room, author.as_str(), text.as_str(), now_millis())?;
            let item = HistoryItem::Message(message.clone());
            let push = self.cache().list_push_json(
                &key,
                &item,
                config.window + 1,
                Some(config.history_ttl),
            );
            match rt.block_on(push) {
                Ok(_) => pushed = true,
                Err(error) => {
                    tracing::warn!(%room, seq = message.seq, "pushing to the cached history failed: {error}");
                    self.invalidate(rt, &key);
                }
            }
            Ok::<_, Error>(message)
        });
        if posted.is_err() && pushed {
            // The commit failed after the push: the list holds a message the store does not.
            self.invalidate(rt, &key);
        }
        posted
    }

    fn invalidate(&self, rt: &Handle, key: &str) {
        if let Err(error) = rt.block_on(self.cache().delete(key)) {
            tracing::warn!("deleting {key} failed: {error}");
        }
    }

    async fn check_rate(&self, user: &UserName) -> Result<(), Error> {
        let config = self.config();
        let key = self.key(&format!("rate:{user}"));
        let cache = self.cache();
        // `add` starts the window with the first post (only if no counter is there); `incr`
        // keeps its expiry.
        let counted = async {
            cache.add(&key, b"0", Some(config.rate_window)).await?;
            cache.incr(&key, 1).await
        };
        match counted.await {
            Ok(count) if count > config.rate_limit => {
                let retry_after = match cache.ttl(&key).await {
                    Ok(Some(KeyTtl::Remaining(ttl))) => ttl.as_duration(),
                    _ => config.rate_window,
                };
                Err(Error::RateLimited {
                    user: user.to_string(),
                    limit: config.rate_limit,
                    window_secs: config.rate_window.as_secs(),
                    retry_after,
                })
            }
            Ok(_) => Ok(()),
            Err(error) => {
                // A chat that cannot count keeps working: the limit fails open.
                tracing::warn!("rate limit not checked, the cache failed: {error}");
                Ok(())
            }
        }
    }
}

/// A room's cached history that checked out: messages numbered without gaps, and from `base`
/// on complete (every message after `seq` `base` up to `latest` is there).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Window {
    messages: Vec<Message>,
    base: u64,
    latest: u64,
}

impl Window {
    /// The window that a fill of `messages` (the room's newest, oldest first) leaves.
    fn filled(messages: Vec<Message>) -> Window {
        let latest = messages.last().map_or(0, |m| m.seq);
        let base = messages.first().map_or(latest, |m| m.seq - 1);
        Window {
            messages,
            base,
            latest,
        }
    }

    /// Checks a cached list: `None` (a miss) unless its messages are numbered one after
    /// another, every fill mark agrees with its neighbours, and the list either carries a mark
    /// or holds at least `window` messages.
    fn check(items: &[HistoryItem], window: usize) -> Option<Window> {
        let mut messages = Vec::with_capacity(items.len());
        let mut latest: Option<u64> = None;
        let mut base = 0;
        let mut marked = false;
        for item in items {
            match item {
                HistoryItem::Message(message) => {
                    match latest {
                        Some(previous) if message.seq != previous + 1 => return None,
                        Some(_) => {}
                        None => base = message.seq.checked_sub(1)?,
                    }
                    latest = Some(message.seq);
                    messages.push(message.clone());
                }
                HistoryItem::Filled { through } => {
                    match latest {
                        Some(previous) if previous != *through => return None,
                        Some(_) => {}
                        None => {
                            base = *through;
                            latest = Some(*through);
                        }
                    }
                    marked = true;
                }
            }
        }
        let latest = latest?;
        (marked || messages.len() >= window).then_some(Window {
            messages,
            base,
            latest,
        })
    }

    /// The newest `window` messages, or those after `seq` `after` if the window reaches back
    /// that far (`None`: it does not, ask the store).
    fn serve(&self, after: Option<u64>, window: usize) -> Option<Vec<Message>> {
        match after {
            None => {
                let skip = self.messages.len().saturating_sub(window);
                Some(self.messages[skip..].to_vec())
            }
            Some(after) if after >= self.base => Some(
                self.messages
                    .iter()
                    .filter(|m| m.seq > after)
                    .cloned()
                    .collect(),
            ),
            Some(_) => None,
        }
    }
}

/// Runs a store query on the blocking pool.
async fn blocking<T: Send + 'static>(
    query: impl FnOnce() -> Result<T, rusqlite::Error> + Send + 'static,
) -> Result<T, Error> {
    Ok(tokio::task::spawn_blocking(query).await??)
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(seq: u64) -> HistoryItem {
        HistoryItem::Message(Message {
            room: RoomId::parse("general").expect("valid"),
            seq,
            author: "ana".into(),
            text: format!("#{seq}"),
            sent_at: 0,
        })
    }

    fn seqs(window: &Window) -> Vec<u64> {
        window.messages.iter().map(|m| m.seq).collect()
    }

    #[test]
    fn a_filled_list_is_trusted_however_short() {
        let items = [message(1), message(2), HistoryItem::Filled { through: 2 }];
        let window = Window::check(&items, 100).expect("valid");
        assert_eq!(
            (seqs(&window), window.base, window.latest),
            (vec![1, 2], 0, 2)
        );
        // An empty room's fill: nothing but the mark.
        let empty = Window::check(&[HistoryItem::Filled { through: 0 }], 100).expect("valid");
        assert_eq!((empty.base, empty.latest), (0, 0));
        // Posts after the fill extend it; the mark may have been trimmed away once it is full.
        let items = [HistoryItem::Filled { through: 7 }, message(8), message(9)];
        let window = Window::check(&items, 100).expect("valid");
        assert_eq!(
            (seqs(&window), window.base, window.latest),
            (vec![8, 9], 7, 9)
        );
        assert_eq!(
            Window::check(&[message(5), message(6)], 2).map(|w| w.base),
            Some(4)
        );
    }

    #[test]
    fn gaps_repeats_and_unmarked_short_lists_are_misses() {
        assert_eq!(Window::check(&[], 100), None, "missing");
        let gap = [message(1), message(3), HistoryItem::Filled { through: 3 }];
        assert_eq!(Window::check(&gap, 100), None, "a lost push");
        let repeat = [message(1), message(1), HistoryItem::Filled { through: 1 }];
        assert_eq!(Window::check(&repeat, 100), None, "a repeated seq");
        assert_eq!(
            Window::check(&[message(8)], 100),
            None,
            "pushed onto an evicted list"
        );
        let half = [message(1), message(2)];
        assert_eq!(
            Window::check(&half, 100),
            None,
            "a fill that stopped half-way"
        );
        let wrong_mark = [message(1), HistoryItem::Filled { through: 2 }];
        assert_eq!(Window::check(&wrong_mark, 100), None);
        assert_eq!(
            Window::check(&[message(0)], 1),
            None,
            "seq 0 is never stored"
        );
    }

    #[test]
    fn serves_after_a_seq_only_as_far_back_as_the_window_reaches() {
        let items = [
            HistoryItem::Filled { through: 4 },
            message(5),
            message(6),
            message(7),
        ];
        let window = Window::check(&items, 100).expect("valid");
        let served = |after| {
            window
                .serve(after, 2)
                .map(|ms| ms.iter().map(|m| m.seq).collect::<Vec<_>>())
        };
        assert_eq!(served(None), Some(vec![6, 7]), "the newest `window`");
        assert_eq!(served(Some(4)), Some(vec![5, 6, 7]));
        assert_eq!(served(Some(6)), Some(vec![7]));
        assert_eq!(served(Some(7)), Some(vec![]));
        assert_eq!(served(Some(9)), Some(vec![]), "a client ahead of the store");
        assert_eq!(served(Some(3)), None, "seq 4 is not cached: ask the store");
    }
}
