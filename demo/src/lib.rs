//! A chat app in the browser on chatcache: what the cache is for, end to end.
//!
//! The server (axum on tokio, `src/main.rs`) keeps rooms and messages in SQLite ([`Store`], the
//! store of record, shareable by several server processes) and puts chatcache in front of it,
//! cache-aside ([`Chat`]): each room's recent history in a capped list, presence and typing in a
//! member set, a per-user rate limit in a counter, room metadata through single-flight loading.
//! The cache comes from [`chatcache::get_cache`]: memory by default, Redis with
//! `USE_REDIS=true` (then several server processes share it), memory again if Redis is down at
//! start-up. The page (`static/`) uses the npm package to keep each room's history in the
//! browser, across reloads through IndexedDB.
//!
//! [`Chat`] explains how the cached history stays exact when several servers share one Redis.

mod chat;
mod error;
pub mod http;
mod model;
mod store;

pub use chat::{
    Chat, ChatConfig, Figures, History, HistoryCounts, HistoryItem, Inspection, Presence, Source,
};
pub use error::Error;
pub use model::{Message, MessageText, Room, RoomId, UserName};
pub use store::{Store, Write};
