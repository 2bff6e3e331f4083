//! Configuration: [`CacheConfig`], read from the environment by [`CacheConfig::from_env`].
//!
//! Every knob, its variable and its default is listed in the crate README and in the
//! constants of [`vars`]. Parsing is strict: a value that is set but cannot be understood is a
//! [`ConfigError`] naming the variable, never a silent fallback to the default.

use std::fmt;
use std::time::Duration;

use chatcache_core::Limits;

use crate::error::ConfigError;

/// Names of the environment variables read by [`CacheConfig::from_env`].
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
}

/// Default Redis URL, as in the seed behaviour.
pub const DEFAULT_REDIS_URL: &str = "redis://localhost:6379/0";
/// Default key namespace.
pub const DEFAULT_NAMESPACE: &str = "chatcache";
/// Default budget for connecting to Redis at start-up.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);
/// Default budget for one Redis operation.
pub const DEFAULT_OP_TIMEOUT: Duration = Duration::from_millis(500);

/// Longest accepted namespace, in bytes.
pub const MAX_NAMESPACE_BYTES: usize = 256;

/// Everything needed to build a cache. Build it with [`CacheConfig::from_env`] or start from
/// [`CacheConfig::default`] and change fields.
///
/// `Debug` never shows the Redis password.
///
/// ```
/// use chatcache::{CacheConfig, RedisUrl};
/// let mut config = CacheConfig::default();
/// config.use_redis = true;
/// config.redis_url = RedisUrl::parse("redis://app:s3cret@cache.internal:6379/2")?;
/// assert!(!format!("{config:?}").contains("s3cret"));
/// # Ok::<(), chatcache::ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheConfig {
    /// Whether Redis is wanted at all (`USE_REDIS`).
    pub use_redis: bool,
    /// Where Redis is (`REDIS_URL`).
    pub redis_url: RedisUrl,
    /// Key namespace (`CHATCACHE_NAMESPACE`).
    pub namespace: Namespace,
    /// Start-up connection budget, covering TCP connect, authentication and a first `PING`
    /// (`CHATCACHE_CONNECT_TIMEOUT_MS`). Also the budget of each reconnection attempt.
    pub connect_timeout: Duration,
    /// Per-operation budget for Redis (`CHATCACHE_OP_TIMEOUT_MS`).
    pub op_timeout: Duration,
    /// Size limits. `max_entries` and `max_bytes` bound the in-memory backend;
    /// `max_entry_bytes` and `max_key_bytes` are enforced by both backends so they reject the
    /// same inputs.
    pub limits: Limits,
    /// Return an error instead of falling back to memory when Redis is enabled but unreachable
    /// (`CHATCACHE_REQUIRE_REDIS`).
    pub require_redis: bool,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            use_redis: false,
            redis_url: RedisUrl::default(),
            namespace: Namespace::default(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            op_timeout: DEFAULT_OP_TIMEOUT,
            limits: Limits::default(),
            require_redis: false,
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
    ///     "CHATCACHE_OP_TIMEOUT_MS" => Some("250".into()),
    ///     _ => None,
    /// })?;
    /// assert!(config.use_redis);
    /// assert_eq!(config.op_timeout.as_millis(), 250);
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

        Ok(CacheConfig {
            use_redis: match get(vars::USE_REDIS)? {
                Some(v) => parse_bool(vars::USE_REDIS, &v)?,
                None => defaults.use_redis,
            },
            redis_url: match get(vars::REDIS_URL)? {
                Some(v) => RedisUrl::parse_var(vars::REDIS_URL, &v)?,
                None => defaults.redis_url,
            },
            namespace: match get(vars::NAMESPACE)? {
                Some(v) => Namespace::parse_var(vars::NAMESPACE, &v)?,
                None => defaults.namespace,
            },
            connect_timeout: match get(vars::CONNECT_TIMEOUT_MS)? {
                Some(v) => Duration::from_millis(parse_positive(vars::CONNECT_TIMEOUT_MS, &v)?),
                None => defaults.connect_timeout,
            },
            op_timeout: match get(vars::OP_TIMEOUT_MS)? {
                Some(v) => Duration::from_millis(parse_positive(vars::OP_TIMEOUT_MS, &v)?),
                None => defaults.op_timeout,
            },
            limits,
            require_redis: match get(vars::REQUIRE_REDIS)? {
                Some(v) => parse_bool(vars::REQUIRE_REDIS, &v)?,
                None => defaults.require_redis,
            },
        })
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

fn parse_positive<T>(var: &'static str, value: &str) -> Result<T, ConfigError>
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

/// A validated Redis URL whose `Debug` and `Display` hide the password.
///
/// Accepted schemes: `redis://`, `unix://` and `redis+unix://`. `rediss://` (TLS) is rejected
/// with a clear message until TLS support lands.
///
/// ```
/// use chatcache::RedisUrl;
/// let url = RedisUrl::parse("redis://app:hunter2@10.0.0.5:6380/1")?;
/// assert_eq!(url.to_string(), "redis://app:***@10.0.0.5:6380/1");
/// assert_eq!(url.expose_secret(), "redis://app:hunter2@10.0.0.5:6380/1");
/// assert!(RedisUrl::parse("http://example").is_err());
/// # Ok::<(), chatcache::ConfigError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl {
    raw: String,
    redacted: String,
    password: Option<String>,
}

impl RedisUrl {
    /// Parses and validates a Redis URL.
    ///
    /// # Errors
    /// [`ConfigError::InvalidUrl`] (with the password redacted) if it does not parse, has an
    /// unsupported scheme, or names no host.
    pub fn parse(url: &str) -> Result<RedisUrl, ConfigError> {
        RedisUrl::parse_var("redis_url", url)
    }

    fn parse_var(var: &'static str, raw: &str) -> Result<RedisUrl, ConfigError> {
        let raw = raw.trim();
        let invalid = |reason: &str| ConfigError::InvalidUrl {
            var,
            url: redact_unparsed(raw),
            reason: reason.to_owned(),
        };
        let parsed = url::Url::parse(raw).map_err(|e| invalid(&e.to_string()))?;
        match parsed.scheme() {
            "redis" | "unix" | "redis+unix" => {}
            "rediss" => {
                return Err(invalid(
                    "TLS (rediss://) is not supported yet; use redis:// on a trusted network",
                ));
            }
            other => {
                return Err(invalid(&format!(
                    "unsupported scheme {other:?} (expected redis://, unix:// or redis+unix://)"
                )));
            }
        }
        // Let redis-rs check the rest (host, database number, protocol). Its messages never
        // include the URL.
        redis::IntoConnectionInfo::into_connection_info(raw)
            .map_err(|e| invalid(&e.to_string()))?;
        let mut password = parsed.password().map(|p| {
            percent_encoding::percent_decode_str(p)
                .decode_utf8_lossy()
                .into_owned()
        });
        if password.is_none() {
            // `unix://` URLs carry credentials in the query string.
            password = parsed
                .query_pairs()
                .find(|(k, _)| k == "pass")
                .map(|(_, v)| v.into_owned());
        }
        let password = password.filter(|p| !p.is_empty());
        Ok(RedisUrl {
            raw: raw.to_owned(),
            redacted: redact_parsed(&parsed),
            password,
        })
    }

    /// The URL with the password in clear, for handing to the Redis client. Never log this.
    #[must_use]
    pub fn expose_secret(&self) -> &str {
        &self.raw
    }

    /// The URL with the password replaced by `***` (same as `Display`).
    #[must_use]
    pub fn redacted(&self) -> &str {
        &self.redacted
    }

    /// Whether the URL carries a password.
    #[must_use]
    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }

    /// Replaces every occurrence of this URL's password (raw and percent-decoded) in `text`
    /// with `***`. Used on every message that crosses from the Redis client into an error or a
    /// log line, as a second line of defence.
    #[must_use]
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        if let Some(pw) = &self.password {
            out = out.replace(pw.as_str(), "***");
        }
        if let Ok(parsed) = url::Url::parse(&self.raw)
            && let Some(pw) = parsed.password()
            && !pw.is_empty()
        {
            out = out.replace(pw, "***");
        }
        out
    }
}

impl Default for RedisUrl {
    fn default() -> Self {
        // Invariant: the default URL is a valid `redis://` URL without credentials.
        RedisUrl::parse(DEFAULT_REDIS_URL).expect("DEFAULT_REDIS_URL is valid")
    }
}

impl fmt::Display for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted)
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RedisUrl").field(&self.redacted).finish()
    }
}

fn redact_parsed(parsed: &url::Url) -> String {
    let mut shown = parsed.clone();
    if parsed.password().is_some() {
        // Setting a password only fails for URLs that cannot carry credentials, and this one
        // already carries one.
        let _ = shown.set_password(Some("***"));
    }
    if parsed.query_pairs().any(|(k, _)| k == "pass") {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "pass" {
                    "***".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    // `url` percent-encodes the asterisks; show them plainly.
    shown.to_string().replace("%2A%2A%2A", "***")
}

/// Best-effort redaction for a string that did not even parse as a URL: hide everything
/// between the scheme and the last `@`, and any `pass=` query value.
fn redact_unparsed(raw: &str) -> String {
    let mut out = match raw.rfind('@') {
        Some(at) => {
            let start = raw.find("://").map_or(0, |i| i + 3).min(at);
            format!("{}***{}", &raw[..start], &raw[at..])
        }
        None => raw.to_owned(),
    };
    if let Some(i) = out.find("pass=") {
        let end = out[i..].find('&').map_or(out.len(), |j| i + j);
        out.replace_range(i + 5..end, "***");
    }
    out
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

    fn parse_var(var: &'static str, name: &str) -> Result<Namespace, ConfigError> {
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
        assert_eq!(c.redis_url.expose_secret(), DEFAULT_REDIS_URL);
        assert_eq!(c.namespace.as_str(), "chatcache");
        assert_eq!(c.connect_timeout, Duration::from_secs(1));
        assert_eq!(c.op_timeout, Duration::from_millis(500));
        assert_eq!(c.limits, Limits::default());
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
            "rediss://host:6379",
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
        let err = config(&[("REDIS_URL", "rediss://u:topsecret@host/0")]).expect_err("tls");
        assert!(!err.to_string().contains("topsecret"));
        assert!(err.to_string().contains("TLS"));
    }

    #[test]
    fn unix_socket_password_in_query_is_redacted() {
        let url = RedisUrl::parse("redis+unix:///tmp/redis.sock?db=1&pass=qu3ry")
            .expect("valid unix URL");
        assert!(!url.to_string().contains("qu3ry"), "{url}");
        assert_eq!(url.scrub("auth qu3ry failed"), "auth *** failed");
    }

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
        assert_eq!(c.connect_timeout, Duration::from_millis(250));
        assert_eq!(c.op_timeout, Duration::from_millis(100));
        assert_eq!(c.limits.max_entries(), 10);
        assert_eq!(c.limits.max_bytes(), 4096);
        assert_eq!(c.limits.max_entry_bytes(), 1024);
        assert_eq!(c.limits.max_key_bytes(), 64);
        assert!(c.require_redis);

        for (var, bad) in [
            ("CHATCACHE_OP_TIMEOUT_MS", "0"),
            ("CHATCACHE_OP_TIMEOUT_MS", "-5"),
            ("CHATCACHE_CONNECT_TIMEOUT_MS", "1s"),
            ("CHATCACHE_MAX_ENTRIES", "lots"),
        ] {
            let err = config(&[(var, bad)]).expect_err(bad);
            assert!(err.to_string().contains(var), "{err}");
        }
        let err = config(&[("CHATCACHE_MAX_ENTRY_BYTES", "1000000000")]).expect_err("> max_bytes");
        assert!(matches!(err, ConfigError::InvalidLimits(_)), "{err:?}");
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
