//! Errors returned by every backend and by configuration parsing.

use std::sync::Arc;
use std::time::Duration;

use crate::cache::BackendKind;

/// Everything a cache operation, the factory or the configuration parser can fail with.
///
/// The variants are coarse on purpose: callers usually decide between "my input was wrong"
/// ([`CacheError::InvalidInput`], [`CacheError::Decode`], [`CacheError::Encode`]), "the backend
/// is not there right now" ([`CacheError::Unavailable`], [`CacheError::Timeout`]: retry later or
/// degrade) and "the deployment is misconfigured" ([`CacheError::Config`]). [`CacheError::code`]
/// gives a stable snake_case string for logs and metrics.
///
/// No variant ever carries a password: Redis URLs are redacted before they reach a message.
///
/// Errors are `Clone`, so one outcome can be handed to many callers (single-flight loading).
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// The input breaks the shared rules of the core: empty or oversized key, oversized entry,
    /// zero TTL, `incr` on a value that is not a canonical decimal `i64`, overflow. Nothing
    /// changed. The same inputs are rejected with the same [`chatcache_core::Error`] by every
    /// backend.
    #[error("invalid input: {0}")]
    InvalidInput(#[from] chatcache_core::Error),

    /// The backend cannot be reached (connection refused or dropped, authentication failed,
    /// server loading). The operation may or may not have been applied if the connection dropped
    /// mid-flight.
    #[error("{backend} unavailable: {reason}")]
    Unavailable {
        /// Which backend failed.
        backend: BackendKind,
        /// Human-readable cause (never contains a password).
        reason: String,
    },

    /// The operation did not complete within its time budget.
    #[error("{op} timed out after {}ms", after.as_millis())]
    Timeout {
        /// The cache operation, e.g. `"get"`.
        op: &'static str,
        /// The budget that ran out.
        after: Duration,
    },

    /// The stored bytes do not decode as the requested type (not UTF-8, not the expected JSON).
    /// The stored value is left as it is.
    #[error("value of key {key:?} does not decode as {expected}: {reason}")]
    Decode {
        /// The key whose value failed to decode.
        key: String,
        /// What the caller asked for, e.g. `"UTF-8 string"` or a Rust type name.
        expected: String,
        /// Why decoding failed.
        reason: String,
    },

    /// A typed value could not be encoded (e.g. a JSON map with non-string keys). Nothing changed.
    #[error("value for key {key:?} cannot be encoded as JSON: {reason}")]
    Encode {
        /// The key that was being written.
        key: String,
        /// Why encoding failed.
        reason: String,
    },

    /// The loader of [`CacheExt::get_or_set_with`](crate::CacheExt::get_or_set_with) failed (or
    /// panicked); every caller waiting for the same key gets this error, and nothing was cached.
    #[error("loading key {key:?} failed: {source}")]
    Load {
        /// The key that was being loaded.
        key: String,
        /// The loader's error, shared by every waiting caller; downcast it to your own type.
        source: Arc<dyn std::error::Error + Send + Sync>,
    },

    /// Redis was wanted, but the cache runs on its in-memory fallback (returned by
    /// [`Cache::health`](crate::Cache::health) of a [`SelectedCache`](crate::SelectedCache)).
    #[error("degraded: {reason}")]
    Degraded {
        /// The current selection, e.g. `memory (fallback: Redis at ... unreachable: ...)`.
        reason: String,
    },

    /// The server answered with an error that is neither bad input nor unavailability
    /// (e.g. `OOM` under `maxmemory`, `NOPERM`).
    #[error("{backend} rejected {op}: {message}")]
    Backend {
        /// Which backend answered.
        backend: BackendKind,
        /// The cache operation, e.g. `"set"`.
        op: &'static str,
        /// The server's message (never contains a password).
        message: String,
    },

    /// The configuration is invalid; see [`ConfigError`].
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// Limits refused by [`LimitsBuilder::build`](chatcache_core::LimitsBuilder::build) are bad
/// input, with the shared code `invalid_limits`.
impl From<chatcache_core::InvalidLimits> for CacheError {
    fn from(invalid: chatcache_core::InvalidLimits) -> Self {
        CacheError::InvalidInput(invalid.into())
    }
}

impl CacheError {
    /// A stable snake_case code for logs, metrics and the CLI.
    ///
    /// For [`CacheError::InvalidInput`] this is the core's code (`"empty_key"`,
    /// `"not_an_integer"`, ...), so both backends report bad input identically.
    ///
    /// ```
    /// use chatcache::CacheError;
    /// let err = CacheError::from(chatcache_core::Error::EmptyKey);
    /// assert_eq!(err.code(), "empty_key");
    /// ```
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            CacheError::InvalidInput(e) => e.code(),
            CacheError::Unavailable { .. } => "unavailable",
            CacheError::Timeout { .. } => "timeout",
            CacheError::Decode { .. } => "decode",
            CacheError::Encode { .. } => "encode",
            CacheError::Load { .. } => "load",
            CacheError::Degraded { .. } => "degraded",
            CacheError::Backend { .. } => "backend",
            CacheError::Config(_) => "config",
        }
    }

    /// `true` for errors that may go away by themselves (unavailable backend, timeout, running
    /// on the fallback): retrying later, or serving without the cache, is reasonable.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            CacheError::Unavailable { .. }
                | CacheError::Timeout { .. }
                | CacheError::Degraded { .. }
        )
    }

    /// The core error behind an [`CacheError::InvalidInput`], if this is one.
    #[must_use]
    pub fn as_core(&self) -> Option<&chatcache_core::Error> {
        match self {
            CacheError::InvalidInput(e) => Some(e),
            _ => None,
        }
    }
}

/// A configuration value that cannot be used. Each variant names the environment variable (or
/// setting) and, except for secrets, the offending value, so a typo is found at start-up instead
/// of silently meaning "default".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A boolean setting holds something other than true/false/1/0/yes/no/on/off.
    #[error(
        "configuration error: {var}={value:?} is not a boolean (expected one of \
         true/false/1/0/yes/no/on/off, case-insensitive)"
    )]
    InvalidBool {
        /// The variable, e.g. `USE_REDIS`.
        var: &'static str,
        /// The value found.
        value: String,
    },

    /// A numeric setting is not a positive integer in range.
    #[error("configuration error: {var}={value:?} is not valid: {reason}")]
    InvalidNumber {
        /// The variable.
        var: &'static str,
        /// The value found.
        value: String,
        /// What is expected.
        reason: String,
    },

    /// The Redis URL does not parse or uses an unsupported scheme.
    #[error("configuration error: {var}={url:?} is not a usable Redis URL: {reason}")]
    InvalidUrl {
        /// The variable (or `"redis_url"` when set in code).
        var: &'static str,
        /// The URL with any password replaced by `***`.
        url: String,
        /// Why it was rejected.
        reason: String,
    },

    /// The key namespace is empty or too long.
    #[error("configuration error: {var}={value:?} is not a valid namespace: {reason}")]
    InvalidNamespace {
        /// The variable (or `"namespace"` when set in code).
        var: &'static str,
        /// The value found.
        value: String,
        /// Why it was rejected.
        reason: String,
    },

    /// The memory limits are inconsistent (e.g. zero, or a per-entry cap above the total).
    #[error("configuration error: invalid memory limits: {0}")]
    InvalidLimits(chatcache_core::InvalidLimits),

    /// A TLS certificate or key cannot be used: unreadable file, no PEM block, half of a
    /// client certificate pair, or certificates with a plain `redis://` URL.
    #[error("configuration error: {var}={value:?} cannot be used for TLS: {reason}")]
    InvalidTls {
        /// The variable (or `"tls_root_ca"`, `"tls_client_cert"`, `"tls_client_key"` when set
        /// in code).
        var: &'static str,
        /// The file path (never the file's contents).
        value: String,
        /// Why it was rejected.
        reason: String,
    },

    /// `USE_REDIS` and `CHATCACHE_REQUIRE_REDIS` ask for Redis, but this build of chatcache has
    /// no Redis backend: the `redis` cargo feature (on by default) is off. Returned by
    /// [`select_cache`](crate::select_cache); without `require_redis` such a build warns and
    /// uses memory instead ([`SelectionReason::RedisNotBuilt`](crate::SelectionReason)).
    #[error(
        "configuration error: USE_REDIS and CHATCACHE_REQUIRE_REDIS ask for Redis, but chatcache \
         was built without its `redis` cargo feature"
    )]
    RedisNotBuilt,

    /// A variable is set but is not valid Unicode.
    #[error("configuration error: {var} is not valid Unicode")]
    NotUnicode {
        /// The variable.
        var: &'static str,
    },
}
