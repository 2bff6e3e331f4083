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
    /// `redis_url` names a Redis Cluster: one or more seed nodes, from which the client learns
    /// every primary (`CHATCACHE_REDIS_CLUSTER`).
    pub redis_cluster: bool,
    /// Certificates for `rediss://` URLs (`CHATCACHE_TLS_CA_FILE`, `CHATCACHE_TLS_CERT_FILE`,
    /// `CHATCACHE_TLS_KEY_FILE`).
    pub tls: TlsConfig,
    /// After a start-up fallback to memory, how to probe Redis in the background until it
    /// answers; `None` stays on memory for good (`CHATCACHE_FALLBACK_RECOVERY`,
    /// `CHATCACHE_RECOVERY_INITIAL_MS`, `CHATCACHE_RECOVERY_MAX_MS`).
    pub fallback_recovery: Option<Backoff>,
    /// Redis: whether [`Cache::stats`](crate::Cache::stats) counts the keys under the namespace
    /// (`CHATCACHE_REDIS_COUNT_ENTRIES`). Counting scans every primary, O(keys in the
    /// database); without it `CacheStats::entries` is `None` on Redis.
    pub redis_count_entries: bool,
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
            redis_cluster: false,
            tls: TlsConfig::default(),
            fallback_recovery: Some(Backoff::default()),
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

        let mut tls = TlsConfig::default();
        if let Some(path) = get(vars::TLS_CA_FILE)? {
            let pem = read_pem_file(vars::TLS_CA_FILE, &path)?;
            tls = tls.root_ca(vars::TLS_CA_FILE, &path, pem)?;
        }
        let half_pair = |var: &'static str, path: String, missing: &str| ConfigError::InvalidTls {
            var,
            value: path,
            reason: format!("mutual TLS needs both files; {missing} is not set"),
        };
        match (get(vars::TLS_CERT_FILE)?, get(vars::TLS_KEY_FILE)?) {
            (None, None) => {}
            (Some(cert_path), Some(key_path)) => {
                let cert = read_pem_file(vars::TLS_CERT_FILE, &cert_path)?;
                let key = read_pem_file(vars::TLS_KEY_FILE, &key_path)?;
                tls = tls.client_identity(
                    (vars::TLS_CERT_FILE, &cert_path, cert),
                    (vars::TLS_KEY_FILE, &key_path, key),
                )?;
            }
            (Some(path), None) => {
                return Err(half_pair(vars::TLS_CERT_FILE, path, vars::TLS_KEY_FILE));
            }
            (None, Some(path)) => {
                return Err(half_pair(vars::TLS_KEY_FILE, path, vars::TLS_CERT_FILE));
            }
        }

        let fallback_recovery = match get(vars::FALLBACK_RECOVERY)? {
            Some(v) if !parse_bool(vars::FALLBACK_RECOVERY, &v)? => None,
            _ => {
                let mut backoff = Backoff::default();
                if let Some(v) = get(vars::RECOVERY_INITIAL_MS)? {
                    backoff.initial =
                        Duration::from_millis(parse_positive(vars::RECOVERY_INITIAL_MS, &v)?);
                }
                if let Some(v) = get(vars::RECOVERY_MAX_MS)? {
                    backoff.max = Duration::from_millis(parse_positive(vars::RECOVERY_MAX_MS, &v)?);
                }
                if backoff.max < backoff.initial {
                    return Err(ConfigError::InvalidNumber {
                        var: vars::RECOVERY_MAX_MS,
                        value: backoff.max.as_millis().to_string(),
                        reason: format!(
                            "must be at least {} ({}ms)",
                            vars::RECOVERY_INITIAL_MS,
                            backoff.initial.as_millis()
                        ),
                    });
                }
                Some(backoff)
            }
        };

        let config = CacheConfig {
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
            redis_cluster: match get(vars::REDIS_CLUSTER)? {
                Some(v) => parse_bool(vars::REDIS_CLUSTER, &v)?,
                None => defaults.redis_cluster,
            },
            tls,
            fallback_recovery,
            redis_count_entries: match get(vars::REDIS_COUNT_ENTRIES)? {
                Some(v) => parse_bool(vars::REDIS_COUNT_ENTRIES, &v)?,
                None => defaults.redis_count_entries,
            },
        };
        if config.use_redis {
            config.check_redis_settings()?;
        }
        Ok(config)
    }

    /// Checks that the Redis settings fit together: one URL unless `redis_cluster`, cluster
    /// seeds over TCP on database 0, and certificates only with `rediss://`. Called by
    /// [`CacheConfig::from_lookup`] when `use_redis` is on, and by
    /// [`RedisCache::connect`](crate::RedisCache::connect).
    ///
    /// # Errors
    /// The [`ConfigError`] naming the setting that does not fit.
    pub fn check_redis_settings(&self) -> Result<(), ConfigError> {
        let url = &self.redis_url;
        let invalid = |reason: String| ConfigError::InvalidUrl {
            var: vars::REDIS_URL,
            url: url.redacted().to_owned(),
            reason,
        };
        if self.redis_cluster {
            url.check_cluster_seeds()
                .map_err(|r| invalid(r.to_owned()))?;
        } else if url.node_count() > 1 {
            return Err(invalid(format!(
                "holds {} URLs; a list of seed nodes needs {}=true",
                url.node_count(),
                vars::REDIS_CLUSTER
            )));
        }
        if !url.is_tls()
            && let Some(var) = self.tls.first_var()
        {
            return Err(ConfigError::InvalidTls {
                var,
                value: self.tls.source_of(var).to_owned(),
                reason: format!(
                    "TLS certificates are set but {} is not a rediss:// URL",
                    vars::REDIS_URL
                ),
            });
        }
        Ok(())
    }
}

/// How often to probe Redis after a start-up fallback: the first probe after `initial`, then
/// doubling after each failure up to `max` between probes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// Delay before the first probe (`CHATCACHE_RECOVERY_INITIAL_MS`, default 1 s).
    pub initial: Duration,
    /// Longest delay between probes (`CHATCACHE_RECOVERY_MAX_MS`, default 30 s).
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: DEFAULT_RECOVERY_INITIAL_DELAY,
            max: DEFAULT_RECOVERY_MAX_DELAY,
        }
    }
}

impl Backoff {
    /// The delay after `delay`: doubled, at most `max`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use chatcache::config::Backoff;
    /// let backoff = Backoff { initial: Duration::from_secs(1), max: Duration::from_secs(3) };
    /// assert_eq!(backoff.next(backoff.initial), Duration::from_secs(2));
    /// assert_eq!(backoff.next(Duration::from_secs(2)), Duration::from_secs(3));
    /// ```
    #[must_use]
    pub fn next(&self, delay: Duration) -> Duration {
        delay.saturating_mul(2).min(self.max)
    }
}

/// Certificates for TLS connections (`rediss://`): the CA roots that sign the server's
/// certificate (default: the system's roots) and, for mutual TLS, a client certificate and key.
///
/// PEM data is checked when it is set, so a wrong file is found at start-up. `Debug` shows
/// where the PEM came from, never the key.
///
/// ```
/// use chatcache::TlsConfig;
/// let tls = TlsConfig::default();
/// assert!(tls.uses_system_roots());
/// assert!(TlsConfig::default().with_root_ca_pem(b"not a certificate".to_vec()).is_err());
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TlsConfig {
    root_ca: Option<PemSource>,
    client_cert: Option<PemSource>,
    client_key: Option<PemSource>,
}

/// PEM bytes and where they came from (a variable and a path, or code).
#[derive(Clone, PartialEq, Eq)]
struct PemSource {
    var: &'static str,
    origin: String,
    pem: Vec<u8>,
}

impl TlsConfig {
    /// Trusts the CA certificates in `pem` (one or more `CERTIFICATE` blocks) instead of the
    /// system's roots.
    ///
    /// # Errors
    /// [`ConfigError::InvalidTls`] if `pem` holds no certificate.
    pub fn with_root_ca_pem(self, pem: Vec<u8>) -> Result<TlsConfig, ConfigError> {
        self.root_ca("tls_root_ca", "<in memory>", pem)
    }

    /// Presents this client certificate chain and private key (PEM) to servers that require
    /// mutual TLS.
    ///
    /// # Errors
    /// [`ConfigError::InvalidTls`] if `cert_pem` holds no certificate or `key_pem` no private
    /// key.
    pub fn with_client_identity_pem(
        self,
        cert_pem: Vec<u8>,
        key_pem: Vec<u8>,
    ) -> Result<TlsConfig, ConfigError> {
        self.client_identity(
            ("tls_client_cert", "<in memory>", cert_pem),
            ("tls_client_key", "<in memory>", key_pem),
        )
    }

    /// Whether the server's certificate is checked against the system's roots (no CA set).
    #[must_use]
    pub fn uses_system_roots(&self) -> bool {
        self.root_ca.is_none()
    }

    /// Whether a client certificate is presented (mutual TLS).
    #[must_use]
    pub fn has_client_identity(&self) -> bool {
        self.client_cert.is_some()
    }

    fn root_ca(
        mut self,
        var: &'static str,
        origin: &str,
        pem: Vec<u8>,
    ) -> Result<TlsConfig, ConfigError> {
        check_certificates(var, origin, &pem)?;
        self.root_ca = Some(PemSource {
            var,
            origin: origin.to_owned(),
            pem,
        });
        Ok(self)
    }

    fn client_identity(
        mut self,
        (cert_var, cert_origin, cert): (&'static str, &str, Vec<u8>),
        (key_var, key_origin, key): (&'static str, &str, Vec<u8>),
    ) -> Result<TlsConfig, ConfigError> {
        use rustls::pki_types::PrivateKeyDer;
        use rustls::pki_types::pem::PemObject;
        check_certificates(cert_var, cert_origin, &cert)?;
        PrivateKeyDer::from_pem_slice(&key).map_err(|e| ConfigError::InvalidTls {
            var: key_var,
            value: key_origin.to_owned(),
            reason: format!("no private key in PEM ({e})"),
        })?;
        self.client_cert = Some(PemSource {
            var: cert_var,
            origin: cert_origin.to_owned(),
            pem: cert,
        });
        self.client_key = Some(PemSource {
            var: key_var,
            origin: key_origin.to_owned(),
            pem: key,
        });
        Ok(self)
    }

    /// The first setting that is not a default, for error messages.
    fn first_var(&self) -> Option<&'static str> {
        [&self.root_ca, &self.client_cert]
            .into_iter()
            .flatten()
            .map(|s| s.var)
            .next()
    }

    fn source_of(&self, var: &str) -> &str {
        [&self.root_ca, &self.client_cert, &self.client_key]
            .into_iter()
            .flatten()
            .find(|s| s.var == var)
            .map_or("", |s| s.origin.as_str())
    }

    /// The certificates in the form redis-rs takes them.
    pub(crate) fn certificates(&self) -> redis::TlsCertificates {
        redis::TlsCertificates {
            client_tls: match (&self.client_cert, &self.client_key) {
                (Some(cert), Some(key)) => Some(redis::ClientTlsConfig {
                    client_cert: cert.pem.clone(),
                    client_key: key.pem.clone(),
                }),
                _ => None,
            },
            root_cert: self.root_ca.as_ref().map(|ca| ca.pem.clone()),
        }
    }
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let origin = |s: &Option<PemSource>| s.as_ref().map(|s| s.origin.clone());
        f.debug_struct("TlsConfig")
            .field(
                "root_ca",
                &origin(&self.root_ca).unwrap_or_else(|| "system roots".into()),
            )
            .field("client_cert", &origin(&self.client_cert))
            .field(
                "client_key",
                &origin(&self.client_key).map(|_| "<redacted>"),
            )
            .finish()
    }
}

fn check_certificates(var: &'static str, origin: &str, pem: &[u8]) -> Result<(), ConfigError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let invalid = |reason: String| ConfigError::InvalidTls {
        var,
        value: origin.to_owned(),
        reason,
    };
    let mut count = 0;
    for cert in CertificateDer::pem_slice_iter(pem) {
        cert.map_err(|e| invalid(format!("unreadable certificate in PEM ({e})")))?;
        count += 1;
    }
    if count == 0 {
        return Err(invalid("no CERTIFICATE block in PEM".to_owned()));
    }
    Ok(())
}

fn read_pem_file(var: &'static str, path: &str) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|e| ConfigError::InvalidTls {
        var,
        value: path.to_owned(),
        reason: format!("cannot read the file ({e})"),
    })
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

/// A validated Redis URL — or, for a Redis Cluster, a comma-separated list of seed-node URLs —
/// whose `Debug` and `Display` hide every password.
///
/// Accepted schemes: `redis://`, `rediss://` (TLS, see [`TlsConfig`]), `unix://` and
/// `redis+unix://`. A list holds only `redis://` or only `rediss://` URLs and is used with
/// [`CacheConfig::redis_cluster`]. Turning certificate checks off (`rediss://…#insecure`) is
/// refused: trust a private CA with [`TlsConfig::with_root_ca_pem`] instead.
///
/// ```
/// use chatcache::RedisUrl;
/// let url = RedisUrl::parse("redis://app:hunter2@10.0.0.5:6380/1")?;
/// assert_eq!(url.to_string(), "redis://app:***@10.0.0.5:6380/1");
/// assert_eq!(url.expose_secret(), "redis://app:hunter2@10.0.0.5:6380/1");
/// assert!(RedisUrl::parse("http://example").is_err());
///
/// let seeds = RedisUrl::parse("rediss://:pw@10.0.0.1:7000,rediss://:pw@10.0.0.2:7000")?;
/// assert_eq!(seeds.node_count(), 2);
/// assert!(seeds.is_tls());
/// assert_eq!(seeds.to_string(), "rediss://:***@10.0.0.1:7000,rediss://:***@10.0.0.2:7000");
/// # Ok::<(), chatcache::ConfigError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl {
    raw: String,
    redacted: String,
    nodes: Vec<NodeUrl>,
}

/// One URL of a [`RedisUrl`].
#[derive(Clone, PartialEq, Eq)]
struct NodeUrl {
    raw: String,
    scheme: Scheme,
    db: i64,
    /// The password as written (possibly percent-encoded) and decoded, for scrubbing.
    passwords: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scheme {
    Tcp,
    Tls,
    Unix,
}

impl RedisUrl {
    /// Parses and validates a Redis URL, or a comma-separated list of them (cluster seeds).
    ///
    /// # Errors
    /// [`ConfigError::InvalidUrl`] (with the password redacted) if it does not parse, has an
    /// unsupported scheme, names no host, asks to skip certificate checks, or mixes schemes in a
    /// list.
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
        let nodes = split_url_list(raw)
            .into_iter()
            .map(|part| NodeUrl::parse(part).map_err(|reason| invalid(&reason)))
            .collect::<Result<Vec<_>, _>>()?;
        if nodes.len() > 1 {
            if nodes.iter().any(|n| n.scheme == Scheme::Unix) {
                return Err(invalid(
                    "a list of cluster seed nodes may hold only redis:// or rediss:// URLs",
                ));
            }
            if nodes.iter().any(|n| n.scheme != nodes[0].scheme) {
                return Err(invalid(
                    "the seed nodes mix redis:// and rediss://; use one scheme for all",
                ));
            }
        }
        let redacted = nodes
            .iter()
            .map(|n| {
                // Invariant: `NodeUrl::parse` accepted this text as a URL.
                url::Url::parse(&n.raw)
                    .map_or_else(|_| redact_unparsed(&n.raw), |u| redact_parsed(&u))
            })
            .collect::<Vec<_>>()
            .join(",");
        Ok(RedisUrl {
            raw: raw.to_owned(),
            redacted,
            nodes,
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
        self.nodes.iter().any(|n| !n.passwords.is_empty())
    }

    /// How many URLs the list holds (1 unless it lists cluster seed nodes).
    #[must_use]
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the connection uses TLS (`rediss://`).
    #[must_use]
    pub fn is_tls(&self) -> bool {
        self.nodes.iter().all(|n| n.scheme == Scheme::Tls)
    }

    /// Each URL of the list with its password in clear. Never log these.
    pub(crate) fn node_secrets(&self) -> impl Iterator<Item = &str> {
        self.nodes.iter().map(|n| n.raw.as_str())
    }

    /// Whether this URL can address a Redis Cluster: TCP (not a Unix socket) and database 0,
    /// the only one a cluster has. Returns why not.
    pub(crate) fn check_cluster_seeds(&self) -> Result<(), &'static str> {
        if self.nodes.iter().any(|n| n.scheme == Scheme::Unix) {
            return Err("a Redis Cluster is reached over TCP, not a Unix socket");
        }
        if self.nodes.iter().any(|n| n.db != 0) {
            return Err("a Redis Cluster has only database 0; drop the /N path");
        }
        Ok(())
    }

    /// Replaces every occurrence of this URL's passwords (raw and percent-decoded) in `text`
    /// with `***`. Used on every message that crosses from the Redis client into an error or a
    /// log line, as a second line of defence.
    #[must_use]
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for pw in self.nodes.iter().flat_map(|n| &n.passwords) {
            out = out.replace(pw.as_str(), "***");
        }
        out
    }
}

impl NodeUrl {
    /// Parses one URL; the error is the reason, without the URL.
    fn parse(raw: &str) -> Result<NodeUrl, String> {
        let parsed = url::Url::parse(raw).map_err(|e| e.to_string())?;
        let scheme = match parsed.scheme() {
            "redis" => Scheme::Tcp,
            "rediss" => Scheme::Tls,
            "unix" | "redis+unix" => Scheme::Unix,
            other => {
                return Err(format!(
                    "unsupported scheme {other:?} (expected redis://, rediss://, unix:// or \
                     redis+unix://)"
                ));
            }
        };
        if scheme == Scheme::Tls && parsed.fragment() == Some("insecure") {
            return Err(
                "certificate checks cannot be turned off (#insecure); trust a private \
                        CA with CHATCACHE_TLS_CA_FILE instead"
                    .to_owned(),
            );
        }
        // Let redis-rs check the rest (host, database number, protocol). Its messages never
        // include the URL.
        let info =
            redis::IntoConnectionInfo::into_connection_info(raw).map_err(|e| e.to_string())?;
        let mut passwords = Vec::new();
        if let Some(pw) = parsed.password().filter(|p| !p.is_empty()) {
            passwords.push(pw.to_owned());
            let decoded = percent_encoding::percent_decode_str(pw)
                .decode_utf8_lossy()
                .into_owned();
            if decoded != pw {
                passwords.push(decoded);
            }
        }
        // `unix://` URLs carry credentials in the query string.
        if let Some((_, pw)) = parsed.query_pairs().find(|(k, _)| k == "pass")
            && !pw.is_empty()
        {
            passwords.push(pw.into_owned());
        }
        Ok(NodeUrl {
            raw: raw.to_owned(),
            scheme,
            db: info.redis_settings().db(),
            passwords,
        })
    }
}

/// Splits a comma-separated list of URLs. A comma starts a new URL only when a scheme follows
/// it, so a comma inside a password does not split the list.
fn split_url_list(raw: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, _) in raw.match_indices(',') {
        let rest = raw[i + 1..].trim_start();
        let starts_url = ["redis://", "rediss://", "unix://", "redis+unix://"]
            .iter()
            .any(|scheme| {
                rest.len() >= scheme.len() && rest[..scheme.len()].eq_ignore_ascii_case(scheme)
            });
        if starts_url {
            parts.push(raw[start..i].trim());
            start = i + 1;
        }
    }
    parts.push(raw[start..].trim());
    parts
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
