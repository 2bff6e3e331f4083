//! [`Error`]: every way a request can fail, with a stable [`code`](Error::code), the HTTP status
//! it maps to, and the JSON body clients get.

use std::time::Duration;

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chatcache::CacheError;
use serde_json::json;

/// Why a request failed. Clients get `{"error": {"code": …, "message": …}}` with the status of
/// [`Error::status`]; the codes are stable, the messages are for people.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A user name that is empty or only spaces.
    #[error("the name is empty")]
    EmptyName,
    /// A user name longer than [`UserName::MAX_CHARS`](crate::UserName::MAX_CHARS).
    #[error("the name is {chars} characters long; at most {max} are allowed")]
    NameTooLong {
        /// Its length in characters.
        chars: usize,
        /// The most allowed.
        max: usize,
    },
    /// A user name with a control character (a line break, a tab, …).
    #[error("the name contains a control character")]
    InvalidName,
    /// A message that is empty or only white space.
    #[error("the message is empty")]
    EmptyMessage,
    /// A message longer than [`MessageText::MAX_CHARS`](crate::MessageText::MAX_CHARS).
    #[error("the message is {chars} characters long; at most {max} are allowed")]
    MessageTooLong {
        /// Its length in characters.
        chars: usize,
        /// The most allowed.
        max: usize,
    },
    /// No room has this id.
    #[error("there is no room {0:?}")]
    UnknownRoom(String),
    /// The user posted too often; they may post again after `retry_after`.
    #[error("{user} posted {limit} messages within {window_secs} s; try again in {} s", retry_after.as_secs().max(1))]
    RateLimited {
        /// Who.
        user: String,
        /// Posts allowed per window.
        limit: i64,
        /// The window's length in seconds.
        window_secs: u64,
        /// Until the window ends.
        retry_after: Duration,
    },
    /// A body that is not the JSON the endpoint takes.
    #[error("invalid JSON body: {0}")]
    InvalidJson(String),
    /// A body larger than the server reads.
    #[error("the request body is larger than {max} bytes")]
    PayloadTooLarge {
        /// The most the server reads.
        max: usize,
    },
    /// A body without `content-type: application/json`.
    #[error("expected a JSON body (content-type: application/json)")]
    UnsupportedMediaType,
    /// A query string the endpoint cannot read.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// An API path that does not exist.
    #[error("no such API endpoint")]
    NotFound,
    /// The cache failed where the server cannot do without it (presence lives only there).
    #[error("the cache is unavailable: {0}")]
    Cache(#[from] CacheError),
    /// The database failed.
    #[error("the store failed: {0}")]
    Store(#[from] rusqlite::Error),
    /// A task of the server itself failed (it panicked, or the runtime is shutting down).
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The stable identifier of this error, as in the JSON body.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Error::EmptyName => "empty_name",
            Error::NameTooLong { .. } => "name_too_long",
            Error::InvalidName => "invalid_name",
            Error::EmptyMessage => "empty_message",
            Error::MessageTooLong { .. } => "message_too_long",
            Error::UnknownRoom(_) => "unknown_room",
            Error::RateLimited { .. } => "rate_limited",
            Error::InvalidJson(_) => "invalid_json",
            Error::PayloadTooLarge { .. } => "payload_too_large",
            Error::UnsupportedMediaType => "unsupported_media_type",
            Error::InvalidQuery(_) => "invalid_query",
            Error::NotFound => "not_found",
            Error::Cache(_) => "cache_unavailable",
            Error::Store(_) => "store_failed",
            Error::Internal(_) => "internal",
        }
    }

    /// The HTTP status this error is answered with.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Error::EmptyName
            | Error::NameTooLong { .. }
            | Error::InvalidName
            | Error::EmptyMessage
            | Error::InvalidJson(_)
            | Error::InvalidQuery(_) => StatusCode::BAD_REQUEST,
            Error::MessageTooLong { .. } | Error::PayloadTooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            Error::UnknownRoom(_) | Error::NotFound => StatusCode::NOT_FOUND,
            Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::Cache(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Store(_) | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!(code = self.code(), "{self}");
        }
        let body = Json(json!({ "error": { "code": self.code(), "message": self.to_string() } }));
        let mut response = (status, body).into_response();
        if let Error::RateLimited { retry_after, .. } = &self {
            let seconds = retry_after.as_secs().max(1);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<JsonRejection> for Error {
    fn from(rejection: JsonRejection) -> Error {
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => Error::PayloadTooLarge {
                max: crate::http::MAX_BODY_BYTES,
            },
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Error::UnsupportedMediaType,
            _ => Error::InvalidJson(rejection.body_text()),
        }
    }
}

impl From<QueryRejection> for Error {
    fn from(rejection: QueryRejection) -> Error {
        Error::InvalidQuery(rejection.body_text())
    }
}

impl From<PathRejection> for Error {
    fn from(_: PathRejection) -> Error {
        Error::NotFound
    }
}

impl From<tokio::task::JoinError> for Error {
    fn from(error: tokio::task::JoinError) -> Error {
        Error::Internal(error.to_string())
    }
}
