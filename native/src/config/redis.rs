//! The Redis settings of [`CacheConfig`]: [`RedisUrl`], [`TlsConfig`], [`Backoff`], and reading
//! their variables. Compiled only with the `redis` feature.

use std::fmt;
use std::time::Duration;

use super::{
    CacheConfig, DEFAULT_RECOVERY_INITIAL_DELAY, DEFAULT_RECOVERY_MAX_DELAY, DEFAULT_REDIS_URL,
    parse_bool, parse_positive, vars,
};
use crate::error::ConfigError;

impl CacheConfig {
    /// Reads the Redis variables through `get` over `self`'s defaults, then checks that they
    /// fit together when `use_redis` is on.
    pub(super) fn with_redis_vars(
        mut self,
        get: &dyn Fn(&'static str) -> Result<Option<String>, ConfigError>,
    ) -> Result<CacheConfig, ConfigError> {
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

        if let Some(v) = get(vars::REDIS_URL)? {
            self.redis_url = RedisUrl::parse_var(vars::REDIS_URL, &v)?;
        }
        if let Some(v) = get(vars::CONNECT_TIMEOUT_MS)? {
            self.connect_timeout =
                Duration::from_millis(parse_positive(vars::CONNECT_TIMEOUT_MS, &v)?);
        }
        if let Some(v) = get(vars::OP_TIMEOUT_MS)? {
            self.op_timeout = Duration::from_millis(parse_positive(vars::OP_TIMEOUT_MS, &v)?);
        }
        if let Some(v) = get(vars::REDIS_CLUSTER)? {
            self.redis_cluster = parse_bool(vars::REDIS_CLUSTER, &v)?;
        }
        self.tls = tls;
        self.fallback_recovery = fallback_recovery;
        if let Some(v) = get(vars::REDIS_COUNT_ENTRIES)? {
            self.redis_count_entries = parse_bool(vars::REDIS_COUNT_ENTRIES, &v)?;
        }
        if self.use_redis {
            self.check_redis_settings()?;
        }
        Ok(self)
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
