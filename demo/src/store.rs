//! [`Store`]: the chat's database, the store of record the cache sits in front of. One SQLite
//! file in WAL mode, which several server processes may share.
//!
//! Every call blocks (it is SQLite); async callers run them on tokio's blocking pool.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use crate::{Message, Room, RoomId};

/// How long a statement waits for another connection's lock (another server process's post)
/// before failing with `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The pause before [`Store::open`] starts over after an immediate `SQLITE_BUSY`.
const OPEN_RETRY: Duration = Duration::from_millis(20);

/// The rooms a new database starts with.
const SEED_ROOMS: [(&str, &str, &str); 3] = [
    ("general", "General", "Anything goes"),
    ("rust", "Rust", "Ownership, lifetimes and crates"),
    (
        "caching",
        "Caching",
        "Hit ratios, eviction and invalidation",
    ),
];

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (key, value) VALUES ('store_id', lower(hex(randomblob(8))));
CREATE TABLE IF NOT EXISTS rooms (
    id       TEXT PRIMARY KEY,
    title    TEXT NOT NULL,
    topic    TEXT NOT NULL,
    position INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
    room    TEXT NOT NULL REFERENCES rooms (id),
    seq     INTEGER NOT NULL CHECK (seq > 0),
    author  TEXT NOT NULL,
    text    TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    PRIMARY KEY (room, seq)
) WITHOUT ROWID;
";

/// The chat's database: rooms and every message ever posted. Cheap to clone.
///
/// Each `Store` holds two connections: one for writes, whose transactions
/// ([`Store::write`]) take SQLite's write lock (`BEGIN IMMEDIATE`) and so are serialized with
/// every other process's writes to the same file, and one for reads, which WAL mode lets run
/// beside a write.
#[derive(Clone, Debug)]
pub struct Store {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    id: String,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, with its schema and starting rooms.
    ///
    /// # Errors
    /// If the file cannot be opened or is not a database of this schema.
    pub fn open(path: &Path) -> Result<Store, rusqlite::Error> {
        // SQLite answers `SQLITE_BUSY` at once, without waiting, where waiting could deadlock:
        // two processes opening a new file together may both want the exclusive lock that
        // switching to WAL takes. One of them then starts over, until `BUSY_TIMEOUT`.
        let started = Instant::now();
        loop {
            match Self::open_once(path) {
                Err(error) if is_busy(&error) && started.elapsed() < BUSY_TIMEOUT => {
                    std::thread::sleep(OPEN_RETRY);
                }
                result => return result,
            }
        }
    }

    fn open_once(path: &Path) -> Result<Store, rusqlite::Error> {
        let writer = connect(path)?;
        // Two processes may start at once: the schema is created under the write lock.
        writer.execute_batch("BEGIN IMMEDIATE")?;
        let created = (|| {
            writer.execute_batch(SCHEMA)?;
            for (position, (id, title, topic)) in SEED_ROOMS.iter().enumerate() {
                writer.execute(
                    "INSERT OR IGNORE INTO rooms (id, title, topic, position) VALUES (?1, ?2, ?3, ?4)",
                    params![id, title, topic, i64::try_from(position).unwrap_or(i64::MAX)],
                )?;
            }
            writer.query_row("SELECT value FROM meta WHERE key = 'store_id'", [], |row| {
                row.get::<_, String>(0)
            })
        })();
        let id = match created {
            Ok(id) => {
                writer.execute_batch("COMMIT")?;
                id
            }
            Err(error) => {
                writer.execute_batch("ROLLBACK")?;
                return Err(error);
            }
        };
        let reader = connect(path)?;
        Ok(Store {
            inner: Arc::new(Inner {
                writer: Mutex::new(writer),
                reader: Mutex::new(reader),
                id,
                path: path.to_owned(),
            }),
        })
    }

    /// A random id made when the database was created. Cache keys carry it, so a cache shared
    /// with (or left over from) another database never serves that database's data.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// Where the database is.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Every room, in their display order.
    ///
    /// # Errors
    /// If the query fails.
    pub fn rooms(&self) -> Result<Vec<Room>, rusqlite::Error> {
        let conn = self.reader();
        let mut statement =
            conn.prepare_cached("SELECT id, title, topic FROM rooms ORDER BY position, id")?;
        statement.query_map([], room_from_row)?.collect()
    }

    /// The room `id`, if there is one.
    ///
    /// # Errors
    /// If the query fails.
    pub fn room(&self, id: &RoomId) -> Result<Option<Room>, rusqlite::Error> {
        self.reader()
            .prepare_cached("SELECT id, title, topic FROM rooms WHERE id = ?1")?
            .query_row([id.as_str()], room_from_row)
            .optional()
    }

    /// Up to `limit` messages of `room` after `after` (by `seq`), oldest first.
    ///
    /// # Errors
    /// If the query fails.
    pub fn messages_after(
        &self,
        room: &RoomId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Message>, rusqlite::Error> {
        messages_after(&self.reader(), room, after, limit)
    }

    /// The newest `limit` messages of `room`, oldest first.
    ///
    /// # Errors
    /// If the query fails.
    pub fn latest(&self, room: &RoomId, limit: usize) -> Result<Vec<Message>, rusqlite::Error> {
        latest(&self.reader(), room, limit)
    }

    /// The `seq` of the newest message of `room` (0: it has none).
    ///
    /// # Errors
    /// If the query fails.
    pub fn latest_seq(&self, room: &RoomId) -> Result<u64, rusqlite::Error> {
        self.reader()
            .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM messages WHERE room = ?1")?
            .query_row([room.as_str()], |row| seq_at(row, 0))
    }

    /// Runs `f` in a write transaction, committed if `f` returns `Ok` (a failed commit is an
    /// error too) and rolled back otherwise. The transaction holds SQLite's write lock from its
    /// start (`BEGIN IMMEDIATE`), so the writes of every process that shares the file run one
    /// at a time: whatever `f` does besides the database (the demo pushes to the cache) happens
    /// in commit order, too.
    ///
    /// # Errors
    /// `f`'s error, or the database's: the lock not granted within the busy timeout, a failed
    /// commit.
    pub fn write<T, E>(&self, f: impl FnOnce(&Write<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<rusqlite::Error>,
    {
        let mut conn = self
            .inner
            .writer
            .lock()
            // A panic inside `f` rolled its transaction back as it unwound (Transaction's
            // drop), so the connection is fine to use again.
            .unwrap_or_else(PoisonError::into_inner);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&Write { tx: &tx })?;
        tx.commit()?;
        Ok(value)
    }

    fn reader(&self) -> MutexGuard<'_, Connection> {
        // Reads leave no state behind, so a poisoned reader is fine to use.
        self.inner
            .reader
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// A write transaction (see [`Store::write`]).
#[derive(Debug)]
pub struct Write<'a> {
    tx: &'a Transaction<'a>,
}

impl Write<'_> {
    /// Adds a message to `room`, numbered one after the room's newest, and returns it.
    ///
    /// # Errors
    /// If the insert fails (an unknown room breaks the foreign key).
    pub fn insert(
        &self,
        room: &RoomId,
        author: &str,
        text: &str,
        sent_at: i64,
    ) -> Result<Message, rusqlite::Error> {
        // The write lock is held, so no other writer can take the same number.
        let seq: u64 = self.tx.prepare_cached(
            "INSERT INTO messages (room, seq, author, text, sent_at)
             VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE room = ?1), ?2, ?3, ?4)
             RETURNING seq",
        )?
        .query_row(params![room.as_str(), author, text, sent_at], |row| seq_at(row, 0))?;
        Ok(Message {
            room: room.clone(),
            seq,
            author: author.to_owned(),
            text: text.to_owned(),
            sent_at,
        })
    }

    /// The newest `limit` messages of `room`, oldest first, as of this transaction (which no
    /// other writer can change while it runs).
    ///
    /// # Errors
    /// If the query fails.
    pub fn latest(&self, room: &RoomId, limit: usize) -> Result<Vec<Message>, rusqlite::Error> {
        latest(self.tx, room, limit)
    }
}

/// Whether `error` is SQLite's "database is locked" (`SQLITE_BUSY`, any extended code).
fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(error, rusqlite::Error::SqliteFailure(failure, _)
        if failure.code == rusqlite::ErrorCode::DatabaseBusy)
}

fn connect(path: &Path) -> Result<Connection, rusqlite::Error> {
    let conn = Connection::open(path)?;
    // Before anything else: switching to WAL needs a moment of exclusive access.
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
            Some(format!(
                "{}: WAL mode is not available here (journal_mode is {mode})",
                path.display()
            )),
        ));
    }
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(conn)
}

fn room_from_row(row: &rusqlite::Row<'_>) -> Result<Room, rusqlite::Error> {
    let id: String = row.get(0)?;
    Ok(Room {
        id: RoomId::parse(&id).map_err(|error| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, error.into())
        })?,
        title: row.get(1)?,
        topic: row.get(2)?,
    })
}

/// A `seq` column: stored as SQLite's signed integer, always positive (a `CHECK` says so).
fn seq_at(row: &rusqlite::Row<'_>, column: usize) -> Result<u64, rusqlite::Error> {
    let seq: i64 = row.get(column)?;
    u64::try_from(seq).map_err(|error| {
        rusqlite::Error::FromSqlConversionFailure(
            column,
            rusqlite::types::Type::Integer,
            error.into(),
        )
    })
}

/// A `seq` bound as SQLite's signed integer (none is larger than `i64::MAX`).
fn as_sql(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

fn message_from_row(room: &RoomId, row: &rusqlite::Row<'_>) -> Result<Message, rusqlite::Error> {
    Ok(Message {
        room: room.clone(),
        seq: seq_at(row, 0)?,
        author: row.get(1)?,
        text: row.get(2)?,
        sent_at: row.get(3)?,
    })
}

fn messages_after(
    conn: &Connection,
    room: &RoomId,
    after: u64,
    limit: usize,
) -> Result<Vec<Message>, rusqlite::Error> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut statement = conn.prepare_cached(
        "SELECT seq, author, text, sent_at FROM messages
         WHERE room = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    statement
        .query_map(params![room.as_str(), as_sql(after), limit], |row| {
            message_from_row(room, row)
        })?
        .collect()
}

fn latest(conn: &Connection, room: &RoomId, limit: usize) -> Result<Vec<Message>, rusqlite::Error> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut statement = conn.prepare_cached(
        "SELECT seq, author, text, sent_at FROM messages
         WHERE room = ?1 ORDER BY seq DESC LIMIT ?2",
    )?;
    let mut messages = statement
        .query_map(params![room.as_str(), limit], |row| {
            message_from_row(room, row)
        })?
        .collect::<Result<Vec<_>, _>>()?;
    messages.reverse();
    Ok(messages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn general() -> RoomId {
        RoomId::parse("general").expect("valid")
    }

    #[test]
    fn many_connections_open_a_new_file_at_once() {
        // As two server processes starting together do: one of them may get an immediate
        // SQLITE_BUSY while the other switches the new file to WAL.
        for _ in 0..10 {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("chat.sqlite3");
            let barrier = std::sync::Barrier::new(6);
            let ids: Vec<String> = std::thread::scope(|scope| {
                let openers: Vec<_> = (0..6)
                    .map(|_| {
                        scope.spawn(|| {
                            barrier.wait();
                            Store::open(&path).map(|store| store.id().to_owned())
                        })
                    })
                    .collect();
                openers
                    .into_iter()
                    .map(|opener| opener.join().expect("no panic").expect("opens"))
                    .collect()
            });
            assert!(ids.iter().all(|id| *id == ids[0]), "one database: {ids:?}");
        }
    }

    #[test]
    fn numbers_messages_per_room_without_gaps() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("chat.sqlite3")).expect("opens");
        let rust = RoomId::parse("rust").expect("valid");
        for (room, text) in [(&general(), "a"), (&rust, "b"), (&general(), "c")] {
            store
                .write(|w| w.insert(room, "ana", text, 0))
                .expect("inserted");
        }
        let seqs = |room: &RoomId| {
            store
                .messages_after(room, 0, 10)
                .expect("read")
                .iter()
                .map(|m| (m.seq, m.text.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(seqs(&general()), [(1, "a".into()), (2, "c".into())]);
        assert_eq!(seqs(&rust), [(1, "b".into())]);
        assert_eq!(store.latest(&general(), 1).expect("read")[0].seq, 2);
    }

    #[test]
    fn a_failed_transaction_leaves_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("chat.sqlite3")).expect("opens");
        let result: Result<(), rusqlite::Error> = store.write(|w| {
            w.insert(&general(), "ana", "never", 0)?;
            Err(rusqlite::Error::QueryReturnedNoRows)
        });
        assert!(result.is_err());
        assert!(store.latest(&general(), 10).expect("read").is_empty());
        // An unknown room breaks the foreign key.
        let unknown = RoomId::parse("nope").expect("valid id");
        assert!(store.write(|w| w.insert(&unknown, "ana", "x", 0)).is_err());
    }

    #[test]
    fn two_handles_share_one_file_and_its_id() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("chat.sqlite3");
        let a = Store::open(&path).expect("opens");
        let b = Store::open(&path).expect("opens again");
        assert_eq!(a.id(), b.id());
        assert_eq!(a.id().len(), 16);
        a.write(|w| w.insert(&general(), "ana", "from a", 0))
            .expect("a writes");
        let m = b
            .write(|w| w.insert(&general(), "ben", "from b", 0))
            .expect("b writes");
        assert_eq!(m.seq, 2);
        assert_eq!(a.rooms().expect("rooms").len(), SEED_ROOMS.len());
    }
}
