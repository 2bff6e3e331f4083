//! Configuration: [`CacheConfig`], read from the environment by [`CacheConfig::from_env`].
//!
//! Every knob, its variable and its default is listed in the crate README and in the
//! constants of [`vars`]. Parsing is strict: a value that is set but cannot be understood is a
//! [`ConfigError`] naming the variable, never a silent fallback to the default.

use std::fmt;
use std::time::Duration;

use chatcache_core::Limits;

use crate::error::ConfigError;

/// The Redis settings: URL, TLS, timeouts, recovery. Only with the `redis` feature.
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
pub use redis::{Backoff, RedisUrl, TlsConfig};

/// Names of the environment variables read by [`CacheConfig::from_env`].
///
/// Without the `redis` feature only `USE_REDIS`, `CHATCACHE_REQUIRE_REDIS`,
/// `CHATCACHE_NAMESPACE` and the `CHATCACHE_MAX_*` limits are read; the Redis-only variables
/// are not looked at (there is no Redis to apply them to).
pub mod vars {
    /// Use Redis (`true`/`false`/`1`/`0`/`yes`/`no`/`on`/`off`, case-insensitive). Default `false`.
    pub const USE_REDIS: &str = "USE_REDIS";
    /// Redis URL, `redis://[user][:password@]host[:port][/db]`. Default `redis://localhost:6379/0`.
    pub const REDIS_URL: &str = "REDIS_URL";
    /// Key namespace; keys live under `<namespace>:`. Default `chatcache`.
    pub const NAMESPACE: &str = "CHATCACHE_NAMESPACE";
    /// Budget in milliseconds for connecting to Redis at start-up (TCP, AUTH, PING). Default 1000.
    pub const CONNECT_TIMEOUT_MS: &str = "CHATCACHE_CONNECT_TIMEOUT_MS";
    /// Budget in milliseconds for each Redis operation. Default 500.
    pub const OP_TIMEOUT_MS: &str = "CHATCACHE_OP_TIMEOUT_MS";
    /// In-memory backend: maximum number of entries. Default 100000.
    pub const MAX_ENTRIES: &str = "CHATCACHE_MAX_ENTRIES";
    /// In-memory backend: maximum total bytes (key + value + 48 per entry). Default 67108864.
    pub const MAX_BYTES: &str = "CHATCACHE_MAX_BYTES";
    /// Both backends: maximum bytes of one entry (key + value + 48). Default 1048576.
    pub const MAX_ENTRY_BYTES: &str = "CHATCACHE_MAX_ENTRY_BYTES";
    /// Both backends: maximum key length in bytes. Default 1024.
    pub const MAX_KEY_BYTES: &str = "CHATCACHE_MAX_KEY_BYTES";
    /// Fail instead of falling back to memory when Redis is enabled but unreachable. Default `false`.
    pub const REQUIRE_REDIS: &str = "CHATCACHE_REQUIRE_REDIS";
    /// `REDIS_URL` names a Redis Cluster (one or more comma-separated seed nodes). Default `false`.
    pub const REDIS_CLUSTER: &str = "CHATCACHE_REDIS_CLUSTER";
    /// PEM file of the CA certificates that sign the server's certificate (`rediss://`).
    /// Default: the system's roots.
    pub const TLS_CA_FILE: &str = "CHATCACHE_TLS_CA_FILE";
    /// PEM file of the client certificate chain, for mutual TLS (with [`TLS_KEY_FILE`]).
    pub const TLS_CERT_FILE: &str = "CHATCACHE_TLS_CERT_FILE";
    /// PEM file of the client's private key, for mutual TLS (with [`TLS_CERT_FILE`]).
    pub const TLS_KEY_FILE: &str = "CHATCACHE_TLS_KEY_FILE";
    /// After a start-up fallback to memory, keep probing Redis and switch to it when it answers.
    /// Default `true`.
    pub const FALLBACK_RECOVERY: &str = "CHATCACHE_FALLBACK_RECOVERY";
    /// Delay in milliseconds before the first recovery probe; it doubles after each failed probe.
    /// Default 1000.
    pub const RECOVERY_INITIAL_MS: &str = "CHATCACHE_RECOVERY_INITIAL_MS";
    /// Longest delay in milliseconds between two recovery probes. Default 30000.
    pub const RECOVERY_MAX_MS: &str = "CHATCACHE_RECOVERY_MAX_MS";
    /// Redis: make `stats()` count the keys under the namespace (a `SCAN` of every primary, so
    /// O(keys in the database)). Default `false`.
    pub const REDIS_COUNT_ENTRIES: &str = "CHATCACHE_REDIS_COUNT_ENTRIES";
}

/// Default Redis URL, as in the seed behaviour.
pub const DEFAULT_REDIS_URL: &str = "redis://localhost:6379/0";
/// Default key namespace.
pub const DEFAULT_NAMESPACE: &str = "chatcache";
/// Default budget for connecting to Redis at start-up.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);
/// Default budget for one Redis operation.
pub const DEFAULT_OP_TIMEOUT: Duration = Duration::from_millis(500);
/// Default delay before the first recovery probe after a start-up fallback.
pub const DEFAULT_RECOVERY_INITIAL_DELAY: Duration = Duration::from_secs(1);
/// Default longest delay between two recovery probes.
pub const DEFAULT_RECOVERY_MAX_DELAY: Duration = Duration::from_secs(30);

/// Longest accepted namespace, in bytes.
pub const MAX_NAMESPACE_BYTES: usize = 256;

/// Everything needed to build a cache. Build it with [`CacheConfig::from_env`] or start from
/// [`CacheConfig::default`] and change fields.
///
/// `Debug` never shows the Redis password.
///
/// Without the `redis` feature the Redis fields (`redis_url`, `connect_timeout`, `op_timeout`,
/// `redis_cluster`, `tls`, `fallback_recovery`, `redis_count_entries`) do not exist.
///
/// ```
/// # #[cfg(feature = "redis")] {
/// use chatcache::{CacheConfig, RedisUrl};
/// let mut config = CacheConfig::default();
/// config.use_redis = true;
/// config.redis_url = RedisUrl::parse("redis://app:s3cret@cache.internal:6379/2")?;
/// assert!(!format!("{config:?}").contains("s3cret"));
/// # }
/// # Ok::<(), chatcache::ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheConfig {
    /// Whether Redis is wanted at all (`USE_REDIS`).
    pub use_redis: bool,
    /// Where Redis is (`REDIS_URL`).
    #[cfg(feature = "redis")]
    pub redis_url: RedisUrl,
    /// Key namespace (`CHATCACHE_NAMESPACE`).
    pub namespace: Namespace,
    /// Start-up connection budget, covering TCP connect, authentication and a first `PING`
    /// (`CHATCACHE_CONNECT_TIMEOUT_MS`). Also the budget of each reconnection attempt.
    #[cfg(feature = "redis")]
    pub connect_timeout: Duration,
    /// Per-operation budget for Redis (`CHATCACHE_OP_TIMEOUT_MS`).
    #[cfg(feature = "redis")]
    pub op_timeout: Duration,
    /// Size limits. `max_entries` and `max_bytes` bound the in-memory backend;
    /// `max_entry_bytes` and `max_key_bytes` are enforced by both backends so they reject the
    /// same inputs.
    pub limits: Limits,
    /// Return an error instead of falling back to memory when Redis is enabled but unreachable
    /// (`CHATCACHE_REQUIRE_REDIS`).
    pub require_redis: bool,
    /// `redis_url` names a Redis Cluster: one or more seed nodes, from which the client learns
    /// every primary (`CHATCACHE_REDIS_CLUSTER`).
    #[cfg(feature = "redis")]
    pub redis_cluster: bool,
    /// Certificates for `rediss://` URLs (`CHATCACHE_TLS_CA_FILE`, `CHATCACHE_TLS_CERT_FILE`,
    /// `CHATCACHE_TLS_KEY_FILE`).
    #[cfg(feature = "redis")]
    pub tls: TlsConfig,
    /// After a start-up fallback to memory, how to probe Redis in the background until it
    /// answers; `None` stays on memory for good (`CHATCACHE_FALLBACK_RECOVERY`,
    /// `CHATCACHE_RECOVERY_INITIAL_MS`, `CHATCACHE_RECOVERY_MAX_MS`).
    #[cfg(feature = "redis")]
    pub fallback_recovery: Option<Backoff>,
    /// Redis: whether [`Cache::stats`](crate::Cache::stats) counts the keys under the namespace
    /// (`CHATCACHE_REDIS_COUNT_ENTRIES`). Counting scans every primary, O(keys in the
    /// database); without it `CacheStats::entries` is `None` on Redis.
    #[cfg(feature = "redis")]
    pub redis_count_entries: bool,
}

#[cfg_attr(
    not(feature = "redis"),
    expect(clippy::derivable_impls, reason = "one impl for both feature sets")
)]
impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            use_redis: false,
            #[cfg(feature = "redis")]
            redis_url: RedisUrl::default(),
            namespace: Namespace::default(),
            #[cfg(feature = "redis")]
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            #[cfg(feature = "redis")]
            op_timeout: DEFAULT_OP_TIMEOUT,
            limits: Limits::default(),
            require_redis: false,
            #[cfg(feature = "redis")]
            redis_cluster: false,
            #[cfg(feature = "redis")]
            tls: TlsConfig::default(),
            #[cfg(feature = "redis")]
            fallback_recovery: Some(Backoff::default()),
            #[cfg(feature = "redis")]
            redis_count_entries: false,
        }
    }
}

impl CacheConfig {
    /// Reads the configuration from the process environment (see [`vars`]).
    ///
    /// Unset variables take their defaults; a variable that is set but invalid (including set
    /// to the empty string) is an error naming it.
    ///
    /// # Errors
    /// [`ConfigError`] for the first invalid variable.
    pub fn from_env() -> Result<CacheConfig, ConfigError> {
        CacheConfig::from_lookup(|name| std::env::var_os(name))
    }

    /// Like [`CacheConfig::from_env`], reading variables through `lookup` instead of the process
    /// environment (handy in tests and for config files mapped to the same names).
    ///
    /// ```
    /// use chatcache::CacheConfig;
    /// let config = CacheConfig::from_lookup(|name| match name {
    ///     "USE_REDIS" => Some("Yes".into()),
    ///     "CHATCACHE_MAX_ENTRIES" => Some("250".into()),
    ///     _ => None,
    /// })?;
    /// assert!(config.use_redis);
    /// assert_eq!(config.limits.max_entries(), 250);
    ///
    /// let err = CacheConfig::from_lookup(|name| (name == "USE_REDIS").then(|| "treu".into()))
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("USE_REDIS=\"treu\""));
    /// # Ok::<(), chatcache::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError`] for the first invalid variable.
    pub fn from_lookup<F>(lookup: F) -> Result<CacheConfig, ConfigError>
    where
        F: Fn(&str) -> Option<std::ffi::OsString>,
    {
        let get = |var: &'static str| -> Result<Option<String>, ConfigError> {
            match lookup(var) {
                None => Ok(None),
                Some(os) => os
                    .into_string()
                    .map(Some)
                    .map_err(|_| ConfigError::NotUnicode { var }),
            }
        };
        let defaults = CacheConfig::default();
        let mut limits = defaults.limits.to_builder();
        if let Some(v) = get(vars::MAX_ENTRIES)? {
            limits = limits.max_entries(parse_positive(vars::MAX_ENTRIES, &v)?);
        }
        if let Some(v) = get(vars::MAX_BYTES)? {
            limits = limits.max_bytes(parse_positive(vars::MAX_BYTES, &v)?);
        }
        if let Some(v) = get(vars::MAX_ENTRY_BYTES)? {
            limits = limits.max_entry_bytes(parse_positive(vars::MAX_ENTRY_BYTES, &v)?);
        }
        if let Some(v) = get(vars::MAX_KEY_BYTES)? {
            limits = limits.max_key_bytes(parse_positive(vars::MAX_KEY_BYTES, &v)?);
        }
        let limits = limits.build().map_err(ConfigError::InvalidLimits)?;

        let config = CacheConfig {
            use_redis: match get(vars::USE_REDIS)? {
                Some(v) => parse_bool(vars::USE_REDIS, &v)?,
                None => defaults.use_redis,
            },
            namespace: match get(vars::NAMESPACE)? {
                Some(v) => Namespace::parse_var(vars::NAMESPACE, &v)?,
                None => defaults.namespace,
            },
            limits,
            require_redis: match get(vars::REQUIRE_REDIS)? {
                Some(v) => parse_bool(vars::REQUIRE_REDIS, &v)?,
                None => defaults.require_redis,
            },
            ..defaults
        };
        #[cfg(feature = "redis")]
        let config = config.with_redis_vars(&get)?;
        Ok(config)
    }
}

/// Parses a boolean the way `USE_REDIS` is documented: true/false/1/0/yes/no/on/off,
/// case-insensitive, surrounding whitespace ignored. Anything else is an error naming `var`.
///
/// ```
/// use chatcache::parse_bool;
/// assert_eq!(parse_bool("USE_REDIS", " ON "), Ok(true));
/// assert_eq!(parse_bool("USE_REDIS", "0"), Ok(false));
/// assert!(parse_bool("USE_REDIS", "ture").is_err());
/// ```
///
/// # Errors
/// [`ConfigError::InvalidBool`] with the variable and value.
pub fn parse_bool(var: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::InvalidBool {
            var,
            value: value.to_owned(),
        }),
    }
}

pub(crate) fn parse_positive<T>(var: &'static str, value: &str) -> Result<T, ConfigError>
where
    T: std::str::FromStr + Default + PartialEq,
    T::Err: fmt::Display,
{
    let invalid = |reason: String| ConfigError::InvalidNumber {
        var,
        value: value.to_owned(),
        reason,
    };
    let n: T = value
        .trim()
        .parse()
        .map_err(|e: T::Err| invalid(format!("expected a positive integer ({e})")))?;
    if n == T::default() {
        return Err(invalid("must be greater than zero".to_owned()));
    }
    Ok(n)
}

/// A validated key namespace. Keys are stored in Redis as `<escaped namespace>:<key>`.
///
/// The namespace is escaped (`%` → `%25`, `:` → `%3A`) so the first `:` of a stored key always
/// ends the namespace: two different (namespace, key) pairs can never produce the same Redis
/// key, and `clear()` of namespace `a` can never touch the keys of namespace `a:b`. User keys are
/// stored verbatim after the prefix, so `redis-cli` shows them as written.
///
/// ```
/// use chatcache::Namespace;
/// assert_eq!(Namespace::new("chat")?.key_prefix(), "chat:");
/// assert_eq!(Namespace::new("chat:prod")?.key_prefix(), "chat%3Aprod:");
/// assert!(Namespace::new("").is_err());
/// # Ok::<(), chatcache::ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Namespace {
    name: String,
    prefix: String,
}

impl Namespace {
    /// Validates a namespace: non-empty, at most [`MAX_NAMESPACE_BYTES`] bytes, no control
    /// characters.
    ///
    /// # Errors
    /// [`ConfigError::InvalidNamespace`].
    pub fn new(name: &str) -> Result<Namespace, ConfigError> {
        Namespace::parse_var("namespace", name)
    }

    pub(crate) fn parse_var(var: &'static str, name: &str) -> Result<Namespace, ConfigError> {
        let invalid = |reason: &str| ConfigError::InvalidNamespace {
            var,
            value: name.to_owned(),
            reason: reason.to_owned(),
        };
        if name.is_empty() {
            return Err(invalid("must not be empty"));
        }
        if name.len() > MAX_NAMESPACE_BYTES {
            return Err(invalid(&format!("longer than {MAX_NAMESPACE_BYTES} bytes")));
        }
        if name.chars().any(char::is_control) {
            return Err(invalid("must not contain control characters"));
        }
        let mut prefix = String::with_capacity(name.len() + 1);
        for c in name.chars() {
            match c {
                '%' => prefix.push_str("%25"),
                ':' => prefix.push_str("%3A"),
                c => prefix.push(c),
            }
        }
        prefix.push(':');
        Ok(Namespace {
            name: name.to_owned(),
            prefix,
        })
    }

    /// The namespace as configured.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The escaped prefix every stored key starts with, ending in `:`.
    #[must_use]
    pub fn key_prefix(&self) -> &str {
        &self.prefix
    }

    /// A Redis `SCAN MATCH` pattern matching exactly the keys under this namespace: the prefix
    /// with glob metacharacters (`*?[]\`) escaped, followed by `*`.
    #[must_use]
    pub fn scan_pattern(&self) -> String {
        let mut pattern = String::with_capacity(self.prefix.len() + 2);
        for c in self.prefix.chars() {
            if matches!(c, '*' | '?' | '[' | ']' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('*');
        pattern
    }
}

impl Default for Namespace {
    fn default() -> Self {
        // Invariant: the default namespace is non-empty, short and has no control characters.
        Namespace::new(DEFAULT_NAMESPACE).expect("DEFAULT_NAMESPACE is valid")
    }
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<CacheConfig, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        CacheConfig::from_lookup(|name| map.get(name).map(Into::into))
    }

    #[test]
    fn no_variables_means_memory_with_defaults() {
        let c = config(&[]).expect("defaults are valid");
        assert!(!c.use_redis);
        assert!(!c.require_redis);
        assert_eq!(c.namespace.as_str(), "chatcache");
        assert_eq!(c.limits, Limits::default());
        #[cfg(feature = "redis")]
        {
            assert_eq!(c.redis_url.expose_secret(), DEFAULT_REDIS_URL);
            assert_eq!(c.connect_timeout, Duration::from_secs(1));
            assert_eq!(c.op_timeout, Duration::from_millis(500));
        }
    }

    #[test]
    fn use_redis_accepts_documented_spellings_only() {
        for (v, want) in [
            ("true", true),
            ("TRUE", true),
            ("True", true),
            ("1", true),
            ("yes", true),
            ("YeS", true),
            ("on", true),
            (" on\n", true),
            ("false", false),
            ("FALSE", false),
            ("0", false),
            ("no", false),
            ("No", false),
            ("off", false),
            ("OFF", false),
        ] {
            let c = config(&[("USE_REDIS", v)]).expect("documented spelling");
            assert_eq!(c.use_redis, want, "USE_REDIS={v:?}");
        }
        for bad in ["", "treu", "2", "y", "enable", "true1", "nope"] {
            let err = config(&[("USE_REDIS", bad)]).expect_err("typo must not mean memory");
            assert_eq!(
                err,
                ConfigError::InvalidBool {
                    var: "USE_REDIS",
                    value: bad.to_owned()
                }
            );
            let msg = err.to_string();
            assert!(msg.contains("USE_REDIS"), "{msg}");
            assert!(msg.contains(&format!("{bad:?}")), "{msg}");
        }
    }

    #[cfg(feature = "redis")]
    #[test]
    fn redis_url_is_validated_and_redacted() {
        let c = config(&[("REDIS_URL", "redis://bob:pa55@127.0.0.1:7000/3")]).expect("valid");
        assert_eq!(c.redis_url.redacted(), "redis://bob:***@127.0.0.1:7000/3");
        assert!(!format!("{c:?}").contains("pa55"));
        let c = config(&[("REDIS_URL", "redis://:onlypw@host/0")]).expect("valid");
        assert_eq!(c.redis_url.to_string(), "redis://:***@host/0");
        assert!(c.redis_url.has_password());

        for bad in [
            "not a url",
            "http://host:6379",
            "redis://",
            "redis://host/notadb",
            "rediss://host:6379/#insecure",
            "redis://a:1,unix:///tmp/r.sock",
            "redis://a:1,rediss://b:2",
            "",
        ] {
            let err = config(&[("REDIS_URL", bad)]).expect_err(bad);
            assert!(
                matches!(
                    err,
                    ConfigError::InvalidUrl {
                        var: "REDIS_URL",
                        ..
                    }
                ),
                "{bad}: {err:?}"
            );
        }
        let err = config(&[("REDIS_URL", "redis://u:topsecret@ho st:1/0")]).expect_err("space");
        let msg = err.to_string();
        assert!(!msg.contains("topsecret"), "{msg}");
        assert!(msg.contains("REDIS_URL"), "{msg}");
        let err = config(&[("REDIS_URL", "rediss://u:topsecret@host/0#insecure")])
            .expect_err("no way to skip certificate checks");
        assert!(!err.to_string().contains("topsecret"));
        assert!(err.to_string().contains("CHATCACHE_TLS_CA_FILE"), "{err}");
        let c = config(&[("REDIS_URL", "rediss://u:topsecret@host:6380/0")]).expect("TLS URL");
        assert!(c.redis_url.is_tls());
        assert_eq!(c.redis_url.to_string(), "rediss://u:***@host:6380/0");
    }

    #[cfg(feature = "redis")]
    #[test]
    fn seed_lists_need_cluster_mode_and_hide_every_password() {
        let seeds = "redis://:pw-one@10.0.0.1:7000, redis://:pw,two@10.0.0.2:7000";
        let c = config(&[
            ("REDIS_URL", seeds),
            ("CHATCACHE_REDIS_CLUSTER", "true"),
            ("USE_REDIS", "true"),
        ])
        .expect("valid seeds");
        assert!(c.redis_cluster);
        assert_eq!(
            c.redis_url.node_count(),
            2,
            "a comma in a password does not split"
        );
        assert_eq!(
            c.redis_url.to_string(),
            "redis://:***@10.0.0.1:7000,redis://:***@10.0.0.2:7000"
        );
        assert_eq!(c.redis_url.scrub("pw-one pw,two"), "*** ***");

        let err = config(&[("REDIS_URL", seeds), ("USE_REDIS", "true")]).expect_err("one node");
        assert!(
            err.to_string().contains("CHATCACHE_REDIS_CLUSTER=true"),
            "{err}"
        );
        assert!(!err.to_string().contains("pw-one"), "{err}");
        for (url, why) in [
            ("redis://h:1/2", "database 0"),
            ("unix:///tmp/redis.sock", "Unix socket"),
        ] {
            let err = config(&[
                ("REDIS_URL", url),
                ("CHATCACHE_REDIS_CLUSTER", "yes"),
                ("USE_REDIS", "yes"),
            ])
            .expect_err(url);
            assert!(err.to_string().contains(why), "{err}");
        }
    }

    #[cfg(feature = "redis")]
    #[test]
    fn tls_files_are_read_and_checked_at_start_up() {
        let dir = std::env::temp_dir().join(format!("chatcache-tls-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let junk = dir.join("junk.pem");
        std::fs::write(&junk, "not PEM").expect("write");
        let junk = junk.to_str().expect("UTF-8 path");
        let tls_url = ("REDIS_URL", "rediss://cache:6380/0");

        let err =
            config(&[tls_url, ("CHATCACHE_TLS_CA_FILE", "/no/such/ca.pem")]).expect_err("missing");
        assert!(
            matches!(&err, ConfigError::InvalidTls { var: "CHATCACHE_TLS_CA_FILE", value, .. } if value == "/no/such/ca.pem"),
            "{err:?}"
        );
        let err = config(&[tls_url, ("CHATCACHE_TLS_CA_FILE", junk)]).expect_err("not PEM");
        assert!(err.to_string().contains("no CERTIFICATE block"), "{err}");
        let err = config(&[tls_url, ("CHATCACHE_TLS_CERT_FILE", junk)]).expect_err("half a pair");
        assert!(
            err.to_string()
                .contains("CHATCACHE_TLS_KEY_FILE is not set"),
            "{err}"
        );
        let err = config(&[tls_url, ("CHATCACHE_TLS_KEY_FILE", junk)]).expect_err("half a pair");
        assert!(
            err.to_string()
                .contains("CHATCACHE_TLS_CERT_FILE is not set"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(feature = "redis")]
    #[test]
    fn recovery_backoff_is_configurable_and_can_be_turned_off() {
        let c = config(&[]).expect("defaults");
        assert_eq!(c.fallback_recovery, Some(Backoff::default()));
        assert_eq!(Backoff::default().initial, Duration::from_secs(1));
        assert_eq!(Backoff::default().max, Duration::from_secs(30));
        let c = config(&[("CHATCACHE_FALLBACK_RECOVERY", "off")]).expect("valid");
        assert_eq!(c.fallback_recovery, None);
        let c = config(&[
            ("CHATCACHE_RECOVERY_INITIAL_MS", "200"),
            ("CHATCACHE_RECOVERY_MAX_MS", "700"),
        ])
        .expect("valid");
        let backoff = c.fallback_recovery.expect("on by default");
        let delays: Vec<u128> =
            std::iter::successors(Some(backoff.initial), |d| Some(backoff.next(*d)))
                .take(4)
                .map(|d| d.as_millis())
                .collect();
        assert_eq!(delays, [200, 400, 700, 700]);
        let err = config(&[("CHATCACHE_RECOVERY_MAX_MS", "500")]).expect_err("max < initial");
        assert!(
            err.to_string().contains("CHATCACHE_RECOVERY_MAX_MS"),
            "{err}"
        );
    }

    #[cfg(feature = "redis")]
    #[test]
    fn unix_socket_password_in_query_is_redacted() {
        let url = RedisUrl::parse("redis+unix:///tmp/redis.sock?db=1&pass=qu3ry")
            .expect("valid unix URL");
        assert!(!url.to_string().contains("qu3ry"), "{url}");
        assert_eq!(url.scrub("auth qu3ry failed"), "auth *** failed");
    }

    #[cfg(feature = "redis")]
    #[test]
    fn percent_encoded_password_is_scrubbed_in_both_forms() {
        let url = RedisUrl::parse("redis://u:p%40ss@h/0").expect("valid");
        assert_eq!(url.scrub("x p@ss y p%40ss"), "x *** y ***");
        assert!(!url.to_string().contains("p%40ss"));
    }

    #[test]
    fn numbers_must_be_positive_integers() {
        let c = config(&[
            ("CHATCACHE_CONNECT_TIMEOUT_MS", "250"),
            ("CHATCACHE_OP_TIMEOUT_MS", "100"),
            ("CHATCACHE_MAX_ENTRIES", "10"),
            ("CHATCACHE_MAX_BYTES", "4096"),
            ("CHATCACHE_MAX_ENTRY_BYTES", "1024"),
            ("CHATCACHE_MAX_KEY_BYTES", "64"),
            ("CHATCACHE_REQUIRE_REDIS", "yes"),
        ])
        .expect("valid");
        #[cfg(feature = "redis")]
        {
            assert_eq!(c.connect_timeout, Duration::from_millis(250));
            assert_eq!(c.op_timeout, Duration::from_millis(100));
        }
        assert_eq!(c.limits.max_entries(), 10);
        assert_eq!(c.limits.max_bytes(), 4096);
        assert_eq!(c.limits.max_entry_bytes(), 1024);
        assert_eq!(c.limits.max_key_bytes(), 64);
        assert!(c.require_redis);

        let mut bad_values = vec![
            ("CHATCACHE_MAX_ENTRIES", "lots"),
            ("CHATCACHE_MAX_BYTES", "0"),
        ];
        if cfg!(feature = "redis") {
            bad_values.extend([
                ("CHATCACHE_OP_TIMEOUT_MS", "0"),
                ("CHATCACHE_OP_TIMEOUT_MS", "-5"),
                ("CHATCACHE_CONNECT_TIMEOUT_MS", "1s"),
            ]);
        }
        for (var, bad) in bad_values {
            let err = config(&[(var, bad)]).expect_err(bad);
            assert!(err.to_string().contains(var), "{err}");
        }
        let err = config(&[("CHATCACHE_MAX_ENTRY_BYTES", "1000000000")]).expect_err("> max_bytes");
        assert!(matches!(err, ConfigError::InvalidLimits(_)), "{err:?}");
    }

    /// Without the `redis` feature the Redis-only variables are not read: there is nothing to
    /// apply them to, and `USE_REDIS=true` is reported by `select_cache` instead.
    #[cfg(not(feature = "redis"))]
    #[test]
    fn redis_only_variables_are_not_read_without_the_feature() {
        let c = config(&[
            ("USE_REDIS", "true"),
            ("REDIS_URL", "not a url"),
            ("CHATCACHE_OP_TIMEOUT_MS", "0"),
            ("CHATCACHE_TLS_CA_FILE", "/no/such/ca.pem"),
        ])
        .expect("Redis variables are ignored");
        assert!(c.use_redis);
        // The variables every build reads are still checked.
        let err = config(&[("USE_REDIS", "treu")]).expect_err("typo");
        assert!(err.to_string().contains("USE_REDIS"), "{err}");
    }

    #[test]
    fn namespaces_are_escaped_injectively() {
        let a = Namespace::new("a").expect("valid");
        let ab = Namespace::new("a:b").expect("valid");
        // ("a", "b:c") and ("a:b", "c") must not collide.
        assert_ne!(
            format!("{}{}", a.key_prefix(), "b:c"),
            format!("{}{}", ab.key_prefix(), "c")
        );
        let pct = Namespace::new("a%3Ab").expect("valid");
        assert_ne!(pct.key_prefix(), ab.key_prefix());
        assert_eq!(
            Namespace::new("we*ird?[ns]\\")
                .expect("valid")
                .scan_pattern(),
            "we\\*ird\\?\\[ns\\]\\\\:*"
        );
        assert!(Namespace::new("bad\nns").is_err());
        assert!(Namespace::new(&"n".repeat(MAX_NAMESPACE_BYTES + 1)).is_err());
        let err = config(&[("CHATCACHE_NAMESPACE", "")]).expect_err("empty");
        assert!(err.to_string().contains("CHATCACHE_NAMESPACE"));
    }
}
