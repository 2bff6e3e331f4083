//! Lists and member sets on Redis: one Lua script per operation, so each call is one atomic
//! round trip that touches one key (and so one cluster slot).
//!
//! * A **list** is a Redis `LIST`: `RPUSH`, then `LTRIM` to the cap and to the byte budget
//!   (the core's weight: key + items + [`ITEM_OVERHEAD`] per item + [`ENTRY_OVERHEAD`]), then
//!   `PEXPIRE` if asked.
//! * A **member set** is a sorted set scored by each member's deadline in Unix milliseconds.
//!   The scripts read the Redis server's own `TIME`, so app servers' clocks never decide expiry;
//!   expired members (score ≤ now) are removed before anything is read, and the key's
//!   `PEXPIREAT` follows the latest member deadline.
//!
//! Every script first checks the key's `TYPE` and answers `{-1, type}` for another kind
//! instead of touching it, so the caller learns what is there (`wrong_type`, data untouched).

use std::sync::LazyLock;

use chatcache_core::{ENTRY_OVERHEAD, Error, ITEM_OVERHEAD, Kind, ListCap, MemberSet, Ttl};
use redis::Value;

use super::transport::LuaScript;
use crate::error::CacheError;

/// Status of a script's answer: done.
const OK: i64 = 0;
/// Status of a script's answer: the key holds another type (the type follows).
const WRONG_TYPE: i64 = -1;
/// Status of a script's answer: the entry would be too heavy (its item bytes follow).
const TOO_LARGE: i64 = -2;

/// The Lua that reads the server's clock in Unix milliseconds as `now`.
macro_rules! server_now {
    () => {
        "local t = redis.call('TIME')\n\
         local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    };
}

/// Sets the key's `PEXPIREAT` to its latest member deadline (the highest score).
macro_rules! expire_at_latest_member {
    () => {
        "local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')\n\
         if top[2] then redis.call('PEXPIREAT', KEYS[1], top[2]) end\n"
    };
}

/// KEYS[1]: the list. ARGV: item, cap, ttl in ms (0: keep the expiry), bytes available for
/// items (max_entry_bytes − key − ENTRY_OVERHEAD), ITEM_OVERHEAD.
static LIST_PUSH: LazyLock<LuaScript> = LazyLock::new(|| {
    LuaScript::new(
        "local kind = redis.call('TYPE', KEYS[1])['ok']
         if kind ~= 'none' and kind ~= 'list' then return {-1, kind} end
         local len = redis.call('RPUSH', KEYS[1], ARGV[1])
         local drop = math.max(len - tonumber(ARGV[2]), 0)
         local budget, overhead = tonumber(ARGV[4]), tonumber(ARGV[5])
         local items = redis.call('LRANGE', KEYS[1], drop, -1)
         local total = 0
         for i = 1, #items do total = total + #items[i] + overhead end
         local i = 1
         while total > budget do
           total = total - #items[i] - overhead
           i = i + 1
           drop = drop + 1
         end
         if drop > 0 then redis.call('LTRIM', KEYS[1], drop, -1) end
         if tonumber(ARGV[3]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
         return {0, len - drop}",
    )
});

/// KEYS[1]: the list. ARGV: start, stop. Answers `{0, found, items}`.
static LIST_RANGE: LazyLock<LuaScript> = LazyLock::new(|| {
    LuaScript::new(
        "local kind = redis.call('TYPE', KEYS[1])['ok']
         if kind == 'none' then return {0, 0, {}} end
         if kind ~= 'list' then return {-1, kind} end
         return {0, 1, redis.call('LRANGE', KEYS[1], ARGV[1], ARGV[2])}",
    )
});

/// KEYS[1]: the list. Answers `{0, length}`.
static LIST_LEN: LazyLock<LuaScript> = LazyLock::new(|| {
    LuaScript::new(
        "local kind = redis.call('TYPE', KEYS[1])['ok']
         if kind ~= 'none' and kind ~= 'list' then return {-1, kind} end
         return {0, redis.call('LLEN', KEYS[1])}",
    )
});

/// KEYS[1]: the set. ARGV: member, ttl in ms, bytes available for members, ITEM_OVERHEAD.
/// Answers `{0, 1}` if the member is new, `{0, 0}` if it was live, `{-2, member bytes}` if the
/// set would be too heavy (then nothing changes).
static MEMBER_ADD: LazyLock<LuaScript> = LazyLock::new(|| {
    LuaScript::new(concat!(
        "local kind = redis.call('TYPE', KEYS[1])['ok']
         if kind ~= 'none' and kind ~= 'zset' then return {-1, kind} end\n",
        server_now!(),
        "local overhead = tonumber(ARGV[4])
         local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. string.format('%d', now), '+inf')
         local total, present = 0, false
         for i = 1, #live do
           total = total + #live[i] + overhead
           if live[i] == ARGV[1] then present = true end
         end
         if not present then total = total + #ARGV[1] + overhead end
         if total > tonumber(ARGV[3]) then return {-2, total} end
         redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', now))
         redis.call('ZADD', KEYS[1], string.format('%d', now + tonumber(ARGV[2])), ARGV[1])\n",
        expire_at_latest_member!(),
        "if present then return {0, 0} end
         return {0, 1}",
    ))
});

/// KEYS[1]: the set. Prunes expired members; answers `{0, members}` (in score order).
static MEMBERS: LazyLock<LuaScript> = LazyLock::new(|| {
    LuaScript::new(concat!(
        "local kind = redis.call('TYPE', KEYS[1])['ok']
         if kind == 'none' then return {0, {}} end
         if kind ~= 'zset' then return {-1, kind} end\n",
        server_now!(),
        "local pruned = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', now))
         local members = redis.call('ZRANGE', KEYS[1], 0, -1)
         if pruned > 0 and #members > 0 then\n",
        expire_at_latest_member!(),
        "end
         return {0, members}",
    ))
});

/// KEYS[1]: the set. ARGV: member. Answers `{0, 1}` if a live member was removed, else
/// `{0, 0}` (and then changes nothing).
static MEMBER_REMOVE: LazyLock<LuaScript> = LazyLock::new(|| {
    LuaScript::new(concat!(
        "local kind = redis.call('TYPE', KEYS[1])['ok']
         if kind == 'none' then return {0, 0} end
         if kind ~= 'zset' then return {-1, kind} end\n",
        server_now!(),
        "local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
         if not score or tonumber(score) <= now then return {0, 0} end
         redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', now))
         redis.call('ZREM', KEYS[1], ARGV[1])
         if redis.call('EXISTS', KEYS[1]) == 1 then\n",
        expire_at_latest_member!(),
        "end
         return {0, 1}",
    ))
});

/// Which script to run, with its key and arguments.
pub(super) enum Call<'a> {
    ListPush {
        item: &'a [u8],
        cap: ListCap,
        ttl: Option<Ttl>,
        budget: u64,
    },
    ListRange {
        start: i64,
        stop: i64,
    },
    ListLen,
    MemberAdd {
        member: &'a str,
        ttl: Ttl,
        budget: u64,
    },
    Members,
    MemberRemove {
        member: &'a str,
    },
}

impl Call<'_> {
    /// The operation's name, for errors and logs.
    pub(super) fn op(&self) -> &'static str {
        match self {
            Call::ListPush { .. } => "list_push",
            Call::ListRange { .. } => "list_range",
            Call::ListLen => "list_len",
            Call::MemberAdd { .. } => "member_add",
            Call::Members => "members",
            Call::MemberRemove { .. } => "member_remove",
        }
    }

    /// The kind of entry the operation works on.
    pub(super) fn kind(&self) -> Kind {
        match self {
            Call::ListPush { .. } | Call::ListRange { .. } | Call::ListLen => Kind::List,
            Call::MemberAdd { .. } | Call::Members | Call::MemberRemove { .. } => Kind::Members,
        }
    }

    /// The script to run.
    pub(super) fn script(&self) -> &'static LuaScript {
        match self {
            Call::ListPush { .. } => &LIST_PUSH,
            Call::ListRange { .. } => &LIST_RANGE,
            Call::ListLen => &LIST_LEN,
            Call::MemberAdd { .. } => &MEMBER_ADD,
            Call::Members => &MEMBERS,
            Call::MemberRemove { .. } => &MEMBER_REMOVE,
        }
    }

    /// The script's `ARGV`.
    pub(super) fn args(&self) -> Vec<Vec<u8>> {
        let number = |n: u64| n.to_string().into_bytes();
        match *self {
            Call::ListPush {
                item,
                cap,
                ttl,
                budget,
            } => vec![
                item.to_vec(),
                number(cap.get() as u64),
                number(ttl.map_or(0, Ttl::as_millis)),
                number(budget),
                number(ITEM_OVERHEAD),
            ],
            Call::ListRange { start, stop } => {
                vec![
                    start.to_string().into_bytes(),
                    stop.to_string().into_bytes(),
                ]
            }
            Call::MemberAdd {
                member,
                ttl,
                budget,
            } => vec![
                member.as_bytes().to_vec(),
                number(ttl.as_millis()),
                number(budget),
                number(ITEM_OVERHEAD),
            ],
            Call::MemberRemove { member } => vec![member.as_bytes().to_vec()],
            Call::ListLen | Call::Members => Vec::new(),
        }
    }
}

/// The bytes a list or member set under a key of `key_len` bytes may give its items.
pub(super) fn item_budget(max_entry_bytes: u64, key_len: usize) -> u64 {
    max_entry_bytes.saturating_sub(key_len as u64 + ENTRY_OVERHEAD)
}

/// Checks that one `item` fits a list under a key of `key_len` bytes on its own.
pub(super) fn check_item(max_entry_bytes: u64, key_len: usize, item: &[u8]) -> Result<(), Error> {
    let weight = (key_len + item.len()) as u64 + ITEM_OVERHEAD + ENTRY_OVERHEAD;
    if weight > max_entry_bytes {
        return Err(Error::EntryTooLarge {
            weight,
            max: max_entry_bytes,
        });
    }
    Ok(())
}

/// Checks a member against the shared rules.
pub(super) fn check_member(member: &str, limits: &chatcache_core::Limits) -> Result<(), Error> {
    MemberSet::check_member(member, limits)
}

/// A script's answer, its status checked: the values after the status, or the error it
/// stands for.
pub(super) fn answer(
    value: Value,
    expected: Kind,
    key_len: usize,
    max_entry_bytes: u64,
) -> Result<Vec<Value>, CacheError> {
    let Value::Array(mut parts) = value else {
        return Err(malformed(&value));
    };
    if parts.is_empty() {
        return Err(malformed(&Value::Array(parts)));
    }
    let status = parts.remove(0);
    match status {
        Value::Int(OK) => Ok(parts),
        Value::Int(WRONG_TYPE) => {
            let found = match parts.first() {
                Some(Value::BulkString(kind)) => kind_of_redis_type(kind),
                Some(Value::SimpleString(kind)) => kind_of_redis_type(kind.as_bytes()),
                _ => None,
            };
            Err(Error::WrongType { expected, found }.into())
        }
        Value::Int(TOO_LARGE) => {
            let items = match parts.first() {
                Some(Value::Int(bytes)) => u64::try_from(*bytes).unwrap_or(u64::MAX),
                _ => u64::MAX,
            };
            Err(Error::EntryTooLarge {
                weight: items.saturating_add(key_len as u64 + ENTRY_OVERHEAD),
                max: max_entry_bytes,
            }
            .into())
        }
        other => Err(malformed(&other)),
    }
}

/// The core kind a Redis `TYPE` answer stands for, if it is one of chatcache's.
pub(super) fn kind_of_redis_type(kind: &[u8]) -> Option<Kind> {
    match kind {
        b"string" => Some(Kind::Bytes),
        b"list" => Some(Kind::List),
        b"zset" => Some(Kind::Members),
        _ => None,
    }
}

/// An integer part of an answer.
pub(super) fn integer(value: Option<&Value>) -> Result<i64, CacheError> {
    match value {
        Some(Value::Int(n)) => Ok(*n),
        other => Err(malformed(other.unwrap_or(&Value::Nil))),
    }
}

/// An array-of-bulk-strings part of an answer.
pub(super) fn byte_strings(value: Option<Value>) -> Result<Vec<Vec<u8>>, CacheError> {
    match value {
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::BulkString(bytes) => Ok(bytes),
                other => Err(malformed(&other)),
            })
            .collect(),
        other => Err(malformed(&other.unwrap_or(Value::Nil))),
    }
}

fn malformed(value: &Value) -> CacheError {
    CacheError::Backend {
        backend: crate::cache::BackendKind::Redis,
        op: "script",
        message: format!("unexpected answer from a chatcache script: {value:?}"),
    }
}
