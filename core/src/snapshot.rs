//! Export and import of live entries.

use crate::prelude::*;
use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// Every live entry of a store at one moment, for persistence or warm-up.
///
/// Deadlines are absolute, in the host's time base, so time that passes between
/// [`Store::export`](crate::Store::export) and [`Store::import`](crate::Store::import) counts
/// against each entry's TTL. Entries are ordered least valuable first, so importing into a
/// smaller store keeps the most valuable ones.
///
/// In JSON an entry is `{"key": …, "value": [bytes…], "expires_at": ms|null}` for a byte value
/// (as in format version 1, which this build still reads), `{"key": …, "list": [[bytes…], …],
/// …}` for a list (oldest item first) and `{"key": …, "members": [{"member": …, "expires_at":
/// ms}, …], …}` for a member set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Format version; this build writes [`Snapshot::VERSION`] and reads versions
    /// [`Snapshot::OLDEST_READABLE`] to [`Snapshot::VERSION`].
    pub version: u32,
    /// The entries, least valuable first.
    pub entries: Vec<SnapshotEntry>,
}

impl Snapshot {
    /// The format version written by this build: 2 (version 1 had byte values only).
    pub const VERSION: u32 = 2;
    /// The oldest format version this build reads.
    pub const OLDEST_READABLE: u32 = 1;
}

/// One entry of a [`Snapshot`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotEntry {
    /// The key.
    pub key: String,
    /// What the key holds.
    #[serde(flatten)]
    pub value: SnapshotValue,
    /// The entry's absolute deadline, or `None` for no expiry. A member set never outlives its
    /// members: on import it ends at the earlier of this and its latest member's deadline.
    pub expires_at: Option<Timestamp>,
}

/// What a [`SnapshotEntry`] holds, by kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SnapshotValue {
    /// A byte value.
    #[serde(rename = "value")]
    Bytes(Vec<u8>),
    /// A list, oldest item first.
    #[serde(rename = "list")]
    List(Vec<Vec<u8>>),
    /// A member set, in member order.
    #[serde(rename = "members")]
    Members(Vec<SnapshotMember>),
}

impl From<Vec<u8>> for SnapshotValue {
    fn from(bytes: Vec<u8>) -> Self {
        SnapshotValue::Bytes(bytes)
    }
}

/// One member of a member set in a [`Snapshot`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotMember {
    /// The member.
    pub member: String,
    /// Its absolute deadline.
    pub expires_at: Timestamp,
}

/// What [`Store::import`](crate::Store::import) did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSummary {
    /// Entries stored.
    pub imported: usize,
    /// Entries skipped because their deadline had passed (for member sets: every member's).
    pub expired: usize,
}
