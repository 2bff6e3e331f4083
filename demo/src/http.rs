//! The HTTP side: the JSON API, the page, and the npm package under `/pkg/`.
//!
//! | request | answer |
//! | --- | --- |
//! | `GET /api/rooms` | `{store, rooms: [{id, title, topic}]}` |
//! | `GET /api/rooms/{room}` | `{id, title, topic}` |
//! | `GET /api/rooms/{room}/messages[?after=SEQ]` | [`History`]: the newest messages, or those after `SEQ` |
//! | `POST /api/rooms/{room}/messages` `{author, text}` | `201` and the [`Message`](crate::Message) |
//! | `GET /api/rooms/{room}/presence` | [`Presence`]: `{online, typing}` |
//! | `POST /api/rooms/{room}/presence` `{user, typing?}` | a heartbeat; [`Presence`] |
//! | `POST /api/rooms/{room}/leave` `{user}` | `204` |
//! | `GET /api/rooms/{room}/inspect` | [`Inspection`](crate::Inspection): the room in the store and in the cache |
//! | `GET /api/server` | [`Figures`](crate::Figures): backend, hit ratio |
//!
//! Errors are `{"error": {"code", "message"}}` with the status of [`Error::status`].

use std::path::Path;

use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tower_http::services::ServeDir;

use crate::chat::{History, Presence};
use crate::{Chat, Error, MessageText, Room, UserName};

/// The largest request body the server reads (a message is at most 1,000 characters).
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The page's files, built into the binary.
const ASSETS: [(&str, &str, &str); 3] = [
    (
        "/",
        "text/html; charset=utf-8",
        include_str!("../static/index.html"),
    ),
    (
        "/app.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/app.js"),
    ),
    (
        "/style.css",
        "text/css; charset=utf-8",
        include_str!("../static/style.css"),
    ),
];

/// The whole app: the API, the page, and the npm package's directory `pkg_dir` (`wasm/pkg`)
/// under `/pkg/`.
pub fn router(chat: Chat, pkg_dir: &Path) -> Router {
    let api = Router::new()
        .route("/rooms", get(rooms))
        .route("/rooms/{room}", get(room))
        .route("/rooms/{room}/messages", get(messages).post(post_message))
        .route("/rooms/{room}/presence", get(presence).post(heartbeat))
        .route("/rooms/{room}/leave", post(leave))
        .route("/rooms/{room}/inspect", get(inspect))
        .route("/server", get(server))
        .fallback(|| async { Error::NotFound })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(chat);
    let mut app = Router::new()
        .nest("/api", api)
        .nest_service("/pkg", ServeDir::new(pkg_dir));
    for (path, content_type, body) in ASSETS {
        app = app.route(path, get(move || async move { asset(content_type, body) }));
    }
    app
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ];
    (headers, body).into_response()
}

/// A JSON body, with errors as [`Error`]s.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(Error))]
struct Body<T>(T);

/// A path parameter, with errors as [`Error`]s.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Error))]
struct UrlPath<T>(T);

/// A query string, with errors as [`Error`]s.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Error))]
struct Query<T>(T);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryQuery {
    after: Option<u64>,
}

#[derive(Deserialize)]
struct NewMessage {
    author: String,
    text: String,
}

#[derive(Deserialize)]
struct Heartbeat {
    user: String,
    #[serde(default)]
    typing: bool,
}

#[derive(Deserialize)]
struct Leave {
    user: String,
}

async fn rooms(State(chat): State<Chat>) -> Result<Json<serde_json::Value>, Error> {
    let rooms = chat.rooms().await?;
    Ok(Json(json!({ "store": chat.store().id(), "rooms": rooms })))
}

async fn room(State(chat): State<Chat>, UrlPath(id): UrlPath<String>) -> Result<Json<Room>, Error> {
    Ok(Json(chat.room(&id).await?))
}

async fn messages(
    State(chat): State<Chat>,
    UrlPath(id): UrlPath<String>,
    Query(query): Query<HistoryQuery>,
) -> Result<Json<History>, Error> {
    let room = chat.room(&id).await?;
    Ok(Json(chat.history(&room, query.after).await?))
}

async fn post_message(
    State(chat): State<Chat>,
    UrlPath(id): UrlPath<String>,
    Body(body): Body<NewMessage>,
) -> Result<impl IntoResponse, Error> {
    // Parse everything before anything is counted or stored.
    let author = UserName::parse(&body.author)?;
    let text = MessageText::parse(&body.text)?;
    let room = chat.room(&id).await?;
    let message = chat.post(&room, &author, &text).await?;
    Ok((StatusCode::CREATED, Json(message)))
}

async fn presence(
    State(chat): State<Chat>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<Presence>, Error> {
    let room = chat.room(&id).await?;
    Ok(Json(chat.presence(&room).await?))
}

async fn heartbeat(
    State(chat): State<Chat>,
    UrlPath(id): UrlPath<String>,
    Body(body): Body<Heartbeat>,
) -> Result<Json<Presence>, Error> {
    let user = UserName::parse(&body.user)?;
    let room = chat.room(&id).await?;
    Ok(Json(chat.heartbeat(&room, &user, body.typing).await?))
}

async fn leave(
    State(chat): State<Chat>,
    UrlPath(id): UrlPath<String>,
    Body(body): Body<Leave>,
) -> Result<StatusCode, Error> {
    let user = UserName::parse(&body.user)?;
    let room = chat.room(&id).await?;
    chat.leave(&room, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn inspect(
    State(chat): State<Chat>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<crate::Inspection>, Error> {
    let room = chat.room(&id).await?;
    Ok(Json(chat.inspect(&room).await?))
}

async fn server(State(chat): State<Chat>) -> Json<crate::Figures> {
    Json(chat.figures().await)
}
