//! Turning redis-rs errors into [`CacheError`]s with causes a person can act on.

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

use redis::{ErrorKind, RedisError, ServerErrorKind};
use rustls::{AlertDescription, CertificateError};

use crate::cache::BackendKind;
use crate::config::{RedisUrl, vars};
use crate::error::{CacheError, ConfigError};

/// What an error is about: the cache operation.
#[derive(Clone, Copy)]
pub(super) struct Context {
    pub(super) op: &'static str,
}

/// Turns a redis-rs error into a [`CacheError`], scrubbing the password from any text.
pub(super) fn map_error(
    cx: Context,
    e: &RedisError,
    url: &RedisUrl,
    budget: Duration,
) -> CacheError {
    let op = cx.op;
    let unavailable = |reason: String| CacheError::Unavailable {
        backend: BackendKind::Redis,
        reason,
    };
    if let Some(reason) = tls_failure(e) {
        return unavailable(reason);
    }
    if e.is_timeout() {
        return CacheError::Timeout { op, after: budget };
    }
    if e.is_connection_refusal() {
        return unavailable("connection refused".to_owned());
    }
    let message = url.scrub(&e.to_string());
    if e.code() == Some("WRONGTYPE") {
        // A command on a key of another type: the in-memory backend's refusal, with its code.
        return CacheError::InvalidInput(chatcache_core::Error::WrongType {
            expected: kind_of_op(op),
            found: None,
        });
    }
    match e.kind() {
        ErrorKind::Parse => unavailable("not a Redis server (protocol error)".to_owned()),
        ErrorKind::Io if e.is_connection_dropped() => {
            unavailable(format!("connection lost ({message})"))
        }
        ErrorKind::Io => unavailable(message),
        ErrorKind::ClusterConnectionNotFound => unavailable(format!(
            "cluster node {} is not reachable",
            e.detail().unwrap_or("(unknown)")
        )),
        ErrorKind::AuthenticationFailed => {
            unavailable(format!("authentication failed ({message})"))
        }
        ErrorKind::InvalidClientConfig => CacheError::Config(ConfigError::InvalidUrl {
            var: vars::REDIS_URL,
            url: url.redacted().to_owned(),
            reason: message,
        }),
        ErrorKind::Server(
            ServerErrorKind::BusyLoading
            | ServerErrorKind::MasterDown
            | ServerErrorKind::TryAgain
            | ServerErrorKind::ClusterDown,
        ) => unavailable(message),
        _ if message.contains("WRONGPASS") || message.contains("NOAUTH") => {
            unavailable(format!("authentication failed ({message})"))
        }
        _ => CacheError::Backend {
            backend: BackendKind::Redis,
            op,
            message,
        },
    }
}

/// The kind of entry a cache operation works on.
pub(super) fn kind_of_op(op: &str) -> chatcache_core::Kind {
    match op {
        "list_push" | "list_range" | "list_len" => chatcache_core::Kind::List,
        "member_add" | "members" | "member_remove" => chatcache_core::Kind::Members,
        _ => chatcache_core::Kind::Bytes,
    }
}

/// `INCRBY`/`DECRBY` report bad values as server errors; map them to the core's error kinds so
/// both backends fail identically.
pub(super) fn map_counter_error(err: CacheError) -> CacheError {
    match err {
        CacheError::Backend { message, .. } if message.contains("not an integer") => {
            CacheError::InvalidInput(chatcache_core::Error::NotAnInteger)
        }
        CacheError::Backend { message, .. } if message.contains("overflow") => {
            CacheError::InvalidInput(chatcache_core::Error::Overflow)
        }
        other => other,
    }
}

/// Why a TLS connection failed, if it did: the certificate is not trusted or not for this host,
/// the server is not speaking TLS, or it wants (or refused) our client certificate.
fn tls_failure(e: &RedisError) -> Option<String> {
    let tls = rustls_error(e)?;
    let ca_hint = format!("set {} to the CA that signs it", vars::TLS_CA_FILE);
    Some(match tls {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                format!("TLS: the server's certificate is not trusted (unknown issuer); {ca_hint}")
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                format!(
                    "TLS: the server's certificate is not valid for the host name in the URL \
                     ({tls})"
                )
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                format!("TLS: the server's certificate has expired ({tls})")
            }
            _ => format!("TLS: the server's certificate was rejected ({tls})"),
        },
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            "TLS: the server does not speak TLS (is a plain redis:// port behind this rediss:// \
             URL?)"
                .to_owned()
        }
        rustls::Error::AlertReceived(AlertDescription::CertificateRequired) => format!(
            "TLS: the server requires a client certificate; set {} and {}",
            vars::TLS_CERT_FILE,
            vars::TLS_KEY_FILE
        ),
        rustls::Error::AlertReceived(
            alert @ (AlertDescription::BadCertificate
            | AlertDescription::UnknownCA
            | AlertDescription::CertificateUnknown
            | AlertDescription::UnsupportedCertificate),
        ) => format!("TLS: the server rejected the client certificate ({alert:?})"),
        other => format!("TLS handshake failed ({other})"),
    })
}

/// The rustls error behind a redis-rs I/O error. redis-rs keeps the `io::Error` from the TLS
/// stream as an `Arc<dyn Error>` source, and the `io::Error` holds the rustls error.
fn rustls_error(e: &RedisError) -> Option<&rustls::Error> {
    let mut source: Option<&(dyn StdError + 'static)> = e.source();
    while let Some(err) = source {
        let err = match err.downcast_ref::<Arc<dyn StdError + Send + Sync>>() {
            Some(shared) => &**shared as &(dyn StdError + 'static),
            None => err,
        };
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(tls) = inner.downcast_ref::<rustls::Error>()
        {
            return Some(tls);
        }
        source = err.source();
    }
    None
}
