//! Key hashing, done once per call: hosts that shard by key hash a key once and hand the
//! [`HashedKey`] to the store.

use core::hash::BuildHasher;

use foldhash::fast::FixedState;

/// The seeded hash function of a [`Store`](crate::Store)'s index (foldhash).
///
/// Hosts that spread keys over several stores (shards) build one `KeyHasher`, give each store a
/// copy ([`Store::with_hasher`](crate::Store::with_hasher)), pick the shard from
/// [`HashedKey::hash`] and pass the same [`HashedKey`] on, so a key is hashed once per call.
/// Pick the shard from the middle bits (say 24..56): the store's index uses the low bits for
/// buckets and the top seven as tags, so sharding on either would crowd a shard's index.
///
/// ```
/// use chatcache_core::{KeyHasher, Limits, Store, Timestamp};
///
/// let hasher = KeyHasher::new(0x5eed);
/// let mut shards: Vec<Store> =
///     (0..4).map(|_| Store::with_hasher(Limits::default(), hasher)).collect();
/// let key = hasher.hash("room:42:title");
/// // Middle bits choose the shard: the index uses the low bits (buckets) and the top 7 (tags).
/// let shard = ((key.hash() >> 24) & 0b11) as usize;
/// shards[shard].set(key, b"Rustaceans", None, Timestamp::ZERO)?;
/// assert_eq!(shards[shard].get(key, Timestamp::ZERO)?, Some(&b"Rustaceans"[..]));
/// # Ok::<(), chatcache_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyHasher {
    seed: u64,
}

impl KeyHasher {
    /// A hash function keyed with `seed`. Keys chosen by untrusted users call for a random
    /// seed, so that nobody can aim collisions at the index; the core has no entropy of its own.
    pub fn new(seed: u64) -> KeyHasher {
        KeyHasher { seed }
    }

    /// The seed this hasher was made with.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// `key` with its hash.
    #[inline]
    pub fn hash<'k>(&self, key: &'k str) -> HashedKey<'k> {
        HashedKey {
            key,
            hash: self.hash_bytes(key.as_bytes()),
        }
    }

    #[inline]
    pub(crate) fn hash_bytes(&self, key: &[u8]) -> u64 {
        FixedState::with_seed(self.seed).hash_one(key)
    }
}

/// A key with its hash, made by [`KeyHasher::hash`]. It must only be given to stores that use
/// the same [`KeyHasher`] (debug builds check).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HashedKey<'k> {
    key: &'k str,
    hash: u64,
}

impl<'k> HashedKey<'k> {
    /// The key.
    #[inline]
    pub fn key(&self) -> &'k str {
        self.key
    }

    /// Its hash, e.g. to pick a shard (prefer the top bits: the store's index uses the low
    /// ones).
    #[inline]
    pub fn hash(&self) -> u64 {
        self.hash
    }
}

/// What [`Store`](crate::Store) methods take as a key: a `&str` (hashed by the store) or a
/// [`HashedKey`] (hashed once by the caller).
pub trait AsKey<'k>: Copy {
    /// The key with its hash under `hasher`.
    fn hashed(self, hasher: &KeyHasher) -> HashedKey<'k>;
}

/// Any borrowed string: `&str`, `&String`, `&Box<str>`, …
impl<'k, T: AsRef<str> + ?Sized> AsKey<'k> for &'k T {
    #[inline]
    fn hashed(self, hasher: &KeyHasher) -> HashedKey<'k> {
        hasher.hash(self.as_ref())
    }
}

impl<'k> AsKey<'k> for HashedKey<'k> {
    #[inline]
    fn hashed(self, hasher: &KeyHasher) -> HashedKey<'k> {
        debug_assert_eq!(
            self.hash,
            hasher.hash_bytes(self.key.as_bytes()),
            "a HashedKey was given to a store with another KeyHasher"
        );
        self
    }
}
