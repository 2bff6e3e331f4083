//! Export and import of live entries.

use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// Every live entry of a store at one moment, for persistence or warm-up.
///
/// Deadlines are absolute, in the host's time base, so time that passes between
/// [`Store::export`](crate::Store::export) and [`Store::import`](crate::Store::import) counts
/// against each entry's TTL. Entries are ordered least valuable first, so importing into a
/// smaller store keeps the most valuable ones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Format version; this build writes and reads [`Snapshot::VERSION`].
    pub version: u32,
    /// The entries, least valuable first.
    pub entries: Vec<SnapshotEntry>,
}

impl Snapshot {
    /// The format version written by this build.
    pub const VERSION: u32 = 1;
}

/// One entry of a [`Snapshot`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotEntry {
    /// The key.
    pub key: String,
    /// The value bytes.
    pub value: Vec<u8>,
    /// The absolute deadline, or `None` for no expiry.
    pub expires_at: Option<Timestamp>,
}

/// What [`Store::import`](crate::Store::import) did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSummary {
    /// Entries stored.
    pub imported: usize,
    /// Entries skipped because their deadline had passed.
    pub expired: usize,
}
