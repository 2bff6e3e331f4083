//! Fixed hash seeds for the peers, so that the hit-ratio simulator is deterministic (their
//! default hashers are randomly seeded per process).

/// The hash seed every cache in the simulator uses.
pub const FIXED_SEED: u64 = 0x00c0_ffee_5eed;

/// A fixed-seed [`BuildHasher`](std::hash::BuildHasher) (foldhash, the hash quick_cache and
/// chatcache use by default).
pub type FixedHasher = foldhash::fast::FixedState;

/// The fixed-seed hasher.
pub const fn fixed_hasher() -> FixedHasher {
    foldhash::fast::FixedState::with_seed(FIXED_SEED)
}
