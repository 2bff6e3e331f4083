//! Lists and member sets on Redis: one Lua script per operation, so each call is one atomic
//! round trip that touches one key (and so one cluster slot), and costs O(1) or O(log n + the
//! items it returns or removes) — never a scan of the whole list or set.
//!
//! # Storage layout
//!
//! The byte budget (the core's weight: key + items + [`ITEM_OVERHEAD`] per item +
//! [`ENTRY_OVERHEAD`] ≤ `max_entry_bytes`) needs the sum of the items' bytes on every push and
//! add. Redis cannot tell it without reading every item, so each key carries its own running
//! total, kept **inside the key**: a second key could not be guaranteed to share the slot, as
//! user keys may contain `{`/`}`. The total is the sum of the items' bytes (without the overhead
//! constants, which the scripts add per item), written in decimal after a marker:
//! `redis-cli` shows `"\xffchatcache:bytes=4312"`. The marker starts with byte `0xFF`, which
//! never occurs in UTF-8, so no member (a `&str`) and no text item can ever look like it.
//!
//! * A **list** is a Redis `LIST` whose element 0 is the header and whose elements 1.. are the
//!   items, oldest first. `list_push` does `RPUSH` of the item, `LPOP` of the header and of
//!   each dropped item (beyond the cap, then the oldest while over the byte budget), `LPUSH` of
//!   the new header, and `PEXPIRE` if asked: O(1 + dropped). The new item is pushed first, so
//!   the key never empties and keeps its expiry. `list_range` translates `LRANGE` indices
//!   (negative, clamped) past the header; `list_len` is `LLEN` − 1.
//! * A **member set** is a sorted set scored by each member's deadline in Unix milliseconds,
//!   plus one sentinel member scored `+inf` whose name is the header. The scripts read the
//!   Redis server's own `TIME`, so app servers' clocks never decide expiry; expired members
//!   (score ≤ now) are fetched, their bytes taken off the total, and removed before anything
//!   is read (`ZRANGEBYSCORE`/`ZREMRANGEBYSCORE` up to now never reach `+inf`), and the key's
//!   `PEXPIREAT` follows the latest member deadline (the score just below the sentinel). A set
//!   left with only its sentinel is deleted. `members` returns every member but the sentinel.
//!
//! A `LIST` or sorted set without the header (written by another program) is **adopted**: the
//! first push, add or change sums its items once (O(n)) and writes the header; reads find the
//! header missing and read it as it is. (A foreign list whose first item happens to be a header
//! would be misread; chatcache itself never writes one anywhere but element 0.)
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

/// The Lua that names `KEYS[1]` `key` and its type `kind`: a key of a type other than
/// `expected` answers `{-1, type}`; a missing key (`none`) answers `missing` if given, else the
/// script goes on.
macro_rules! check_type {
    ($expected:literal) => {
        concat!(
            "local key = KEYS[1]\n\
             local kind = redis.call('TYPE', key)['ok']\n\
             if kind ~= 'none' and kind ~= '",
            $expected,
            "' then return {-1, kind} end\n"
        )
    };
    ($expected:literal, $missing:literal) => {
        concat!(
            check_type!($expected),
            "if kind == 'none' then return ",
            $missing,
            " end\n"
        )
    };
}

/// The Lua that knows the header: `MARK` and `header_bytes(value)`, the item bytes a header
/// records (nil if `value` is not a header).
macro_rules! header {
    () => {
        "local MARK = '\\255chatcache:bytes='\n\
         local function header_bytes(value)\n\
           if type(value) ~= 'string' or string.sub(value, 1, #MARK) ~= MARK then return nil end\n\
           local digits = string.sub(value, #MARK + 1)\n\
           if not string.match(digits, '^%d+$') then return nil end\n\
           return tonumber(digits)\n\
         end\n\
         local function header(bytes) return MARK .. string.format('%d', bytes) end\n"
    };
}

/// The Lua that reads the server's clock in Unix milliseconds as `now` (and `now_arg`, the
/// same as a command argument).
macro_rules! server_now {
    () => {
        "local t = redis.call('TIME')\n\
         local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n\
         local now_arg = string.format('%d', now)\n"
    };
}

/// The Lua that keeps a member set's sentinel, after [`header!`]:
/// * `sentinel()`: the sentinel's name and the bytes it records, or nil;
/// * `tally()`: the bytes of every member, summed (adopting a set without a sentinel);
/// * `expired()`: how many members are expired at `now`, and their bytes; `prune()` removes
///   them;
/// * `settle(name, bytes)`: deletes the set if only the sentinel is left, else writes the
///   sentinel for `bytes` (replacing `name`) and sets `PEXPIREAT` to the latest deadline.
macro_rules! sentinel {
    () => {
        "local function sentinel()\n\
           local top = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')\n\
           if top[2] ~= 'inf' then return nil end\n\
           local bytes = header_bytes(top[1])\n\
           if bytes then return top[1], bytes end\n\
           return nil\n\
         end\n\
         local function tally()\n\
           local bytes = 0\n\
           for _, member in ipairs(redis.call('ZRANGE', key, 0, -1)) do bytes = bytes + #member end\n\
           return bytes\n\
         end\n\
         local function expired()\n\
           local gone = redis.call('ZRANGEBYSCORE', key, '-inf', now_arg)\n\
           local bytes = 0\n\
           for _, member in ipairs(gone) do bytes = bytes + #member end\n\
           return #gone, bytes\n\
         end\n\
         local function prune() redis.call('ZREMRANGEBYSCORE', key, '-inf', now_arg) end\n\
         local function settle(name, bytes)\n\
           local count = redis.call('ZCARD', key)\n\
           if name then count = count - 1 end\n\
           if count == 0 then\n\
             redis.call('DEL', key)\n\
             return\n\
           end\n\
           local new = header(bytes)\n\
           if new ~= name then\n\
             if name then redis.call('ZREM', key, name) end\n\
             redis.call('ZADD', key, '+inf', new)\n\
           end\n\
           local latest = tonumber(redis.call('ZRANGE', key, -2, -2, 'WITHSCORES')[2])\n\
           if latest and latest < math.huge then\n\
             redis.call('PEXPIREAT', key, string.format('%d', math.ceil(latest)))\n\
           else\n\
             redis.call('PERSIST', key)\n\
           end\n\
         end\n"
    };
}

/// `KEYS[1]`: the list. ARGV: item, cap, ttl in ms (0: keep the expiry), bytes available for
/// items (max_entry_bytes − key − ENTRY_OVERHEAD), ITEM_OVERHEAD. The caller has checked that
/// the item fits alone. Answers `{0, length}`.
static LIST_PUSH: LazyLock<LuaScript> = LazyLock::new(|| {
    LuaScript::new(concat!(
        check_type!("list"),
        header!(),
        "local item, cap, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
         local budget, overhead = tonumber(ARGV[4]), tonumber(ARGV[5])
         local bytes, headed = 0, false
         if kind == 'list' then
           bytes = header_bytes(redis.call('LINDEX', key, 0))
           headed = bytes ~= nil
           if not headed then
             -- Written by another program: adopted, with one sum of its items.
             bytes = 0
             for _, old in ipairs(redis.call('LRANGE', key, 0, -1)) do bytes = bytes + #old end
           end
         end
         -- The item goes in first, so the key never empties and keeps its expiry.
         local len = redis.call('RPUSH', key, item)
         if headed then
           redis.call('LPOP', key)
           len = len - 1
         end
         bytes = bytes + #item
         -- The oldest items go beyond the cap, then while the list is too heavy; the new item
         -- fits alone, so it always stays.
         local drop = math.max(len - cap, 0)
         while len > 1 and (drop > 0 or bytes + len * overhead > budget) do
           bytes = bytes - #redis.call('LPOP', key)
           len = len - 1
           drop = drop - 1
         end
         -- Only the new item left: its bytes are the total, whatever the header said.
         if len == 1 then bytes = #item end
         redis.call('LPUSH', key, header(bytes))
         if ttl > 0 then redis.call('PEXPIRE', key, ARGV[3]) end
         return {0, len}",
    ))
});

/// `KEYS[1]`: the list. ARGV: start, stop (Redis `LRANGE` indices over the items). Answers
/// `{0, found, items}`.
static LIST_RANGE: LazyLock<LuaScript> = LazyLock::new(|| {
    LuaScript::new(concat!(
        check_type!("list", "{0, 0, {}}"),
        header!(),
        "local first = 0
         if header_bytes(redis.call('LINDEX', key, 0)) then first = 1 end
         local len = redis.call('LLEN', key) - first
         local start, stop = tonumber(ARGV[1]), tonumber(ARGV[2])
         if start < 0 then start = len + start end
         if stop < 0 then stop = len + stop end
         start, stop = math.max(start, 0), math.min(stop, len - 1)
         if start > stop then return {0, 1, {}} end
         return {0, 1, redis.call('LRANGE', key, string.format('%d', start + first),
           string.format('%d', stop + first))}",
    ))
});

/// `KEYS[1]`: the list. Answers `{0, length}`.
static LIST_LEN: LazyLock<LuaScript> = LazyLock::new(|| {
    LuaScript::new(concat!(
        check_type!("list", "{0, 0}"),
        header!(),
        "local len = redis.call('LLEN', key)
         if header_bytes(redis.call('LINDEX', key, 0)) then len = len - 1 end
         return {0, len}",
    ))
});

/// `KEYS[1]`: the set. ARGV: member, ttl in ms, bytes available for members, ITEM_OVERHEAD.
/// Answers `{0, 1}` if the member is new, `{0, 0}` if it was live, `{-2, member bytes}` if the
/// set would be too heavy (then nothing changes).
static MEMBER_ADD: LazyLock<LuaScript> = LazyLock::new(|| {
    LuaScript::new(concat!(
        check_type!("zset"),
        header!(),
        server_now!(),
        sentinel!(),
        "local member, ttl = ARGV[1], tonumber(ARGV[2])
         local budget, overhead = tonumber(ARGV[3]), tonumber(ARGV[4])
         local name, bytes, count = nil, 0, 0
         if kind == 'zset' then
           name, bytes = sentinel()
           if not name then bytes = tally() end
           count = redis.call('ZCARD', key)
           if name then count = count - 1 end
         end
         -- The weight after pruning and adding, worked out before anything changes.
         local gone, gone_bytes = expired()
         bytes, count = bytes - gone_bytes, count - gone
         local score = redis.call('ZSCORE', key, member)
         local live = score and tonumber(score) > now
         if not live then bytes, count = bytes + #member, count + 1 end
         local weight = bytes + count * overhead
         if weight > budget then return {-2, weight} end
         if gone > 0 then prune() end
         redis.call('ZADD', key, string.format('%d', now + ttl), member)
         settle(name, bytes)
         if live then return {0, 0} end
         return {0, 1}",
    ))
});

/// `KEYS[1]`: the set. Prunes expired members; answers `{0, members}` (in score order).
static MEMBERS: LazyLock<LuaScript> = LazyLock::new(|| {
    LuaScript::new(concat!(
        check_type!("zset", "{0, {}}"),
        header!(),
        server_now!(),
        sentinel!(),
        "local name, bytes = sentinel()
         local gone, gone_bytes = expired()
         if gone > 0 then
           if not name then bytes = tally() end
           prune()
           settle(name, bytes - gone_bytes)
           if redis.call('EXISTS', key) == 0 then return {0, {}} end
           return {0, redis.call('ZRANGE', key, 0, -2)}
         end
         if name then return {0, redis.call('ZRANGE', key, 0, -2)} end
         return {0, redis.call('ZRANGE', key, 0, -1)}",
    ))
});

/// `KEYS[1]`: the set. ARGV: member. Answers `{0, 1}` if a live member was removed, else
/// `{0, 0}` (and then changes nothing).
static MEMBER_REMOVE: LazyLock<LuaScript> = LazyLock::new(|| {
    LuaScript::new(concat!(
        check_type!("zset", "{0, 0}"),
        header!(),
        server_now!(),
        sentinel!(),
        "local member = ARGV[1]
         local score = redis.call('ZSCORE', key, member)
         if not score or tonumber(score) <= now then return {0, 0} end
         local name, bytes = sentinel()
         if not name then bytes = tally() end
         local _, gone_bytes = expired()
         prune()
         redis.call('ZREM', key, member)
         settle(name, bytes - gone_bytes - #member)
         return {0, 1}",
    ))
});

/// `touch` on any kind. `KEYS[1]`: the key. ARGV: ttl in ms (0: no expiry). Answers 1 if a
/// live entry was touched, else 0. A member set never outlives its members: its expiry becomes
/// the earlier of the ttl and its latest member's deadline (as in the core), and a set with no
/// live member is not touched.
pub(super) static TOUCH: LazyLock<LuaScript> = LazyLock::new(|| {
    LuaScript::new(concat!(
        "local key = KEYS[1]
         local kind = redis.call('TYPE', key)['ok']
         if kind == 'none' then return 0 end
         local ttl = tonumber(ARGV[1])
         if kind ~= 'zset' then
           if ttl > 0 then redis.call('PEXPIRE', key, ARGV[1]) else redis.call('PERSIST', key) end
           return 1
         end\n",
        header!(),
        server_now!(),
        sentinel!(),
        "local at = sentinel() and -2 or -1
         local latest = tonumber(redis.call('ZRANGE', key, at, at, 'WITHSCORES')[2])
         if not latest or latest <= now then return 0 end
         if ttl > 0 and now + ttl < latest then
           redis.call('PEXPIREAT', key, string.format('%d', now + ttl))
         elseif latest < math.huge then
           redis.call('PEXPIREAT', key, string.format('%d', math.ceil(latest)))
         elseif ttl > 0 then
           redis.call('PEXPIRE', key, ARGV[1])
         else
           redis.call('PERSIST', key)
         end
         return 1",
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

#[cfg(test)]
mod tests {
    /// How a list's header and a member set's sentinel begin (the module docs).
    const MARKER: &[u8] = b"\xffchatcache:bytes=";

    #[test]
    fn the_lua_spells_the_documented_marker() {
        let lua: String = MARKER
            .iter()
            .map(|&b| {
                if b.is_ascii_graphic() {
                    char::from(b).to_string()
                } else {
                    format!("\\{b}")
                }
            })
            .collect();
        assert!(header!().contains(&format!("'{lua}'")), "{lua}");
    }
}
