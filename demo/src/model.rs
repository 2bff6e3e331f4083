//! The chat's data: rooms, messages, and the parsed forms of what clients send.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Error;

/// A room's id: 1 to 32 characters of `a-z`, `0-9` and `-` (so it is safe in a URL and in a
/// cache key). Anything else names no room.
///
/// ```
/// use chatcache_demo::RoomId;
/// assert_eq!(RoomId::parse("general").unwrap().as_str(), "general");
/// assert_eq!(RoomId::parse("Général").unwrap_err().code(), "unknown_room");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RoomId(String);

impl RoomId {
    /// Most characters in an id.
    pub const MAX_CHARS: usize = 32;

    /// Parses an id.
    ///
    /// # Errors
    /// [`Error::UnknownRoom`] if `raw` cannot be a room's id.
    pub fn parse(raw: &str) -> Result<RoomId, Error> {
        let valid = !raw.is_empty()
            && raw.len() <= Self::MAX_CHARS
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(RoomId(raw.to_owned()))
        } else {
            Err(Error::UnknownRoom(raw.to_owned()))
        }
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RoomId {
    type Error = Error;
    fn try_from(raw: String) -> Result<RoomId, Error> {
        RoomId::parse(&raw)
    }
}

impl From<RoomId> for String {
    fn from(id: RoomId) -> String {
        id.0
    }
}

impl fmt::Display for RoomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who posts or is online: 1 to 32 characters, without surrounding spaces or control characters.
///
/// ```
/// use chatcache_demo::UserName;
/// assert_eq!(UserName::parse("  ana ").unwrap().as_str(), "ana");
/// assert_eq!(UserName::parse("   ").unwrap_err().code(), "empty_name");
/// assert_eq!(UserName::parse(&"a".repeat(33)).unwrap_err().code(), "name_too_long");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UserName(String);

impl UserName {
    /// Most characters in a name.
    pub const MAX_CHARS: usize = 32;

    /// Parses a name, trimming surrounding white space.
    ///
    /// # Errors
    /// [`Error::EmptyName`], [`Error::NameTooLong`] or [`Error::InvalidName`].
    pub fn parse(raw: &str) -> Result<UserName, Error> {
        let name = raw.trim();
        let chars = name.chars().count();
        if chars == 0 {
            Err(Error::EmptyName)
        } else if chars > Self::MAX_CHARS {
            Err(Error::NameTooLong {
                chars,
                max: Self::MAX_CHARS,
            })
        } else if name.chars().any(char::is_control) {
            Err(Error::InvalidName)
        } else {
            Ok(UserName(name.to_owned()))
        }
    }

    /// The name as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A message's text: 1 to 1,000 characters, not only white space. Line breaks are kept;
/// trailing white space is dropped.
///
/// ```
/// use chatcache_demo::MessageText;
/// assert_eq!(MessageText::parse("hi all \n").unwrap().as_str(), "hi all");
/// assert_eq!(MessageText::parse(" \n ").unwrap_err().code(), "empty_message");
/// assert_eq!(MessageText::parse(&"x".repeat(1001)).unwrap_err().code(), "message_too_long");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageText(String);

impl MessageText {
    /// Most characters in a message.
    pub const MAX_CHARS: usize = 1000;

    /// Parses a message's text.
    ///
    /// # Errors
    /// [`Error::EmptyMessage`] or [`Error::MessageTooLong`].
    pub fn parse(raw: &str) -> Result<MessageText, Error> {
        let text = raw.trim_end();
        let chars = text.chars().count();
        if text.trim_start().is_empty() {
            Err(Error::EmptyMessage)
        } else if chars > Self::MAX_CHARS {
            Err(Error::MessageTooLong {
                chars,
                max: Self::MAX_CHARS,
            })
        } else {
            Ok(MessageText(text.to_owned()))
        }
    }

    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A chat room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Room {
    /// Its id, as in URLs.
    pub id: RoomId,
    /// Its name.
    pub title: String,
    /// What it is about.
    pub topic: String,
}

/// A posted message. `seq` numbers a room's messages 1, 2, 3, … without gaps, in the order the
/// store committed them, whichever server took the post.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// The room it was posted to.
    pub room: RoomId,
    /// Its number in the room.
    pub seq: u64,
    /// Who posted it.
    pub author: String,
    /// What it says.
    pub text: String,
    /// When the store committed it, in ms since the Unix epoch (the server's clock).
    pub sent_at: i64,
}
