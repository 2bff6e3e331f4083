//! Reading and checking case files.
//!
//! Parsing goes through [`serde_json::Value`] by hand rather than derived `Deserialize`
//! impls: every mistake in a case file is then reported with its file, case, step and a
//! message saying exactly what is wrong, and the rules that tie fields together (an
//! expectation must fit its operation, limits need the `limits` capability, …) are checked
//! in the same pass.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::case::{
    Action, Capability, Case, CaseLimits, Entry, Expect, Op, ResultKind, Step, TtlExpect,
};

/// The error codes a case may expect: `chatcache_core::Error::code` values that backends
/// share.
pub const ERROR_CODES: &[&str] = &[
    "empty_key",
    "key_too_long",
    "entry_too_large",
    "zero_ttl",
    "ttl_too_long",
    "not_an_integer",
    "overflow",
    "wrong_type",
    "invalid_cap",
    "empty_member",
    "member_too_long",
];

/// Largest integer every runner represents exactly: 2^53 − 1 (JavaScript's
/// `Number.MAX_SAFE_INTEGER`).
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// Most milliseconds a case may advance in total unless it requires
/// [`Capability::SimulatedTime`], so that real-time backends can sleep through it.
pub const MAX_REAL_TIME_ADVANCE_MS: u64 = 1_000;

/// Why case files could not be loaded.
#[derive(Debug)]
pub struct LoadError {
    /// The file at fault.
    pub file: PathBuf,
    /// The case at fault, if the problem is inside one.
    pub case: Option<String>,
    /// The step at fault (0-based), if the problem is inside one.
    pub step: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(case) = &self.case {
            write!(f, ", case `{case}`")?;
        }
        if let Some(step) = self.step {
            write!(f, ", step {step}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for LoadError {}

/// The directory holding this crate's case files.
pub fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("cases")
}

/// Loads every case of this crate's `cases/*.json`.
pub fn load_cases() -> Result<Vec<Case>, LoadError> {
    load_dir(&cases_dir())
}

/// Loads every `*.json` file in `dir`, in file-name order, checking that case names are
/// unique across files.
pub fn load_dir(dir: &Path) -> Result<Vec<Case>, LoadError> {
    let io_error = |file: &Path, error: std::io::Error| LoadError {
        file: file.to_owned(),
        case: None,
        step: None,
        message: error.to_string(),
    };
    let mut paths = std::fs::read_dir(dir)
        .map_err(|e| io_error(dir, e))?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| io_error(dir, e))?;
    paths.retain(|path| path.extension().is_some_and(|ext| ext == "json"));
    paths.sort();
    if paths.is_empty() {
        return Err(LoadError {
            file: dir.to_owned(),
            case: None,
            step: None,
            message: "no case files (*.json) found".to_owned(),
        });
    }

    let mut cases = Vec::new();
    let mut names = HashSet::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(|e| io_error(&path, e))?;
        let file_name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let parsed = parse_file(&file_name, &text).map_err(|mut error| {
            error.file = path.clone();
            error
        })?;
        for case in parsed {
            if !names.insert(case.name.clone()) {
                return Err(LoadError {
                    file: path,
                    case: Some(case.name),
                    step: None,
                    message: "another file already has a case of this name".to_owned(),
                });
            }
            cases.push(case);
        }
    }
    Ok(cases)
}

/// Parses and checks the text of one case file; `file_name` is recorded in each case.
pub fn parse_file(file_name: &str, text: &str) -> Result<Vec<Case>, LoadError> {
    let fail = |case: Option<&str>, step: Option<usize>, message: String| LoadError {
        file: PathBuf::from(file_name),
        case: case.map(str::to_owned),
        step,
        message,
    };
    let root: Value = serde_json::from_str(text).map_err(|e| fail(None, None, e.to_string()))?;
    let mut root = Fields::new(&root, "the file").map_err(|m| fail(None, None, m))?;
    root.string("description")
        .map_err(|m| fail(None, None, m))?;
    let raw_cases = root.array("cases").map_err(|m| fail(None, None, m))?;
    root.finish().map_err(|m| fail(None, None, m))?;

    let mut cases = Vec::with_capacity(raw_cases.len());
    let mut names = HashSet::new();
    for (i, raw) in raw_cases.iter().enumerate() {
        let name = raw
            .get("name")
            .and_then(Value::as_str)
            .map_or_else(|| format!("#{i}"), str::to_owned);
        let case = parse_case(file_name, raw).map_err(|(step, m)| fail(Some(&name), step, m))?;
        if !names.insert(case.name.clone()) {
            return Err(fail(Some(&name), None, "duplicate case name".to_owned()));
        }
        cases.push(case);
    }
    Ok(cases)
}

type CaseResult<T> = Result<T, (Option<usize>, String)>;

fn parse_case(file_name: &str, raw: &Value) -> CaseResult<Case> {
    let whole = |message: String| (None, message);
    let mut fields = Fields::new(raw, "a case").map_err(whole)?;
    let name = fields.string("name").map_err(whole)?.to_owned();
    let valid_name = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !valid_name {
        return Err(whole(format!("name {name:?} is not snake_case")));
    }
    let description = fields.string("description").map_err(whole)?.to_owned();
    if description.trim().is_empty() {
        return Err(whole("description is empty".to_owned()));
    }
    let requires = match fields.optional("requires") {
        None => BTreeSet::new(),
        Some(value) => serde_json::from_value::<BTreeSet<Capability>>(value.clone())
            .map_err(|e| whole(format!("requires: {e}")))?,
    };
    let limits = match fields.optional("limits") {
        None => None,
        Some(value) => Some(
            serde_json::from_value::<CaseLimits>(value.clone())
                .map_err(|e| whole(format!("limits: {e}")))?,
        ),
    };
    let raw_steps = fields.array("steps").map_err(whole)?;
    fields.finish().map_err(whole)?;

    if let Some(limits) = limits {
        if !requires.contains(&Capability::Limits) {
            return Err(whole(
                "a case with `limits` must require the `limits` capability".to_owned(),
            ));
        }
        limits
            .to_core()
            .map_err(|e| whole(format!("limits: {e}")))?;
    }

    let mut steps = Vec::with_capacity(raw_steps.len());
    let mut advanced: u64 = 0;
    for (index, raw) in raw_steps.iter().enumerate() {
        let at = |message: String| (Some(index), message);
        let action = parse_step(raw).map_err(at)?;
        let needs = |capability: Capability, why: &str| {
            if requires.contains(&capability) {
                Ok(())
            } else {
                Err(at(format!("{why}: the case must require `{capability}`")))
            }
        };
        match &action {
            Action::Advance(ms) => advanced = advanced.saturating_add(*ms),
            Action::Apply { op, expect } => {
                if matches!(op, Op::Len) {
                    needs(Capability::Len, "uses `len`")?;
                }
                if matches!(op, Op::RoundTrip) {
                    needs(Capability::Snapshots, "uses `round_trip`")?;
                }
                if matches!(
                    op,
                    Op::ListPush { .. }
                        | Op::ListRange { .. }
                        | Op::ListLen { .. }
                        | Op::MemberAdd { .. }
                        | Op::Members { .. }
                        | Op::MemberRemove { .. }
                ) {
                    needs(
                        Capability::Collections,
                        "uses a list or member-set operation",
                    )?;
                }
                if uses_big_integers(op, expect) {
                    needs(
                        Capability::BigIntegers,
                        "uses an integer outside ±(2^53 − 1)",
                    )?;
                }
            }
        }
        steps.push(Step {
            action,
            source: show_step(raw),
        });
    }
    if advanced > MAX_REAL_TIME_ADVANCE_MS && !requires.contains(&Capability::SimulatedTime) {
        return Err(whole(format!(
            "advances {advanced} ms in total; more than {MAX_REAL_TIME_ADVANCE_MS} ms needs \
             `simulated_time`"
        )));
    }
    Ok(Case {
        name,
        description,
        file: file_name.to_owned(),
        requires,
        limits,
        steps,
    })
}

/// A step as compact JSON with `op` first, as people write it (`serde_json` sorts keys).
fn show_step(raw: &Value) -> String {
    match (raw.as_object(), raw.get("op")) {
        (Some(map), Some(op)) => {
            let rest: Vec<String> = map
                .iter()
                .filter(|(name, _)| name.as_str() != "op")
                .map(|(name, value)| format!("{}:{value}", Value::from(name.as_str())))
                .collect();
            format!("{{\"op\":{op},{}}}", rest.join(","))
        }
        _ => raw.to_string(),
    }
}

fn uses_big_integers(op: &Op, expect: &Expect) -> bool {
    let big = |n: i64| !(-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&n);
    let big_ttl = |ttl: &Option<u64>| ttl.is_some_and(|ms| ms > MAX_SAFE_INTEGER as u64);
    let in_op = match op {
        Op::Incr { by, .. } | Op::Decr { by, .. } => big(*by),
        Op::Set { ttl, .. } | Op::Add { ttl, .. } | Op::Touch { ttl, .. } => big_ttl(ttl),
        Op::SetMany { ttl, .. } => big_ttl(ttl),
        Op::ListPush { ttl, cap, .. } => big_ttl(ttl) || *cap > MAX_SAFE_INTEGER as u64,
        Op::MemberAdd { ttl, .. } => big_ttl(&Some(*ttl)),
        Op::ListRange { start, stop, .. } => big(*start) || big(*stop),
        _ => false,
    };
    in_op || matches!(expect, Expect::Integer(n) if big(*n))
}

fn parse_step(raw: &Value) -> Result<Action, String> {
    let mut fields = Fields::new(raw, "a step")?;
    if let Some(ms) = fields.optional("advance") {
        let ms = ms
            .as_u64()
            .ok_or("`advance` must be a non-negative integer (milliseconds)")?;
        fields.finish()?;
        return Ok(Action::Advance(ms));
    }
    let name = fields.string("op")?;
    let op = match name {
        "get" => Op::Get {
            key: fields.key("key")?,
        },
        "set" | "add" => {
            let key = fields.key("key")?;
            let value = fields.value("value")?;
            let ttl = fields.ttl()?;
            if name == "set" {
                Op::Set { key, value, ttl }
            } else {
                Op::Add { key, value, ttl }
            }
        }
        "delete" => Op::Delete {
            key: fields.key("key")?,
        },
        "contains" => Op::Contains {
            key: fields.key("key")?,
        },
        "touch" => Op::Touch {
            key: fields.key("key")?,
            ttl: fields.ttl()?,
        },
        "ttl" => Op::Ttl {
            key: fields.key("key")?,
        },
        "incr" => Op::Incr {
            key: fields.key("key")?,
            by: fields.by()?,
        },
        "decr" => Op::Decr {
            key: fields.key("key")?,
            by: fields.by()?,
        },
        "clear" => Op::Clear,
        "len" => Op::Len,
        "get_many" => Op::GetMany {
            keys: fields.keys("keys")?,
        },
        "set_many" => {
            let entries = fields
                .array("entries")?
                .iter()
                .map(|raw| {
                    let mut entry = Fields::new(raw, "an entry")?;
                    let key = entry.key("key")?;
                    let value = entry.value("value")?;
                    entry.finish()?;
                    Ok(Entry { key, value })
                })
                .collect::<Result<Vec<_>, String>>()?;
            Op::SetMany {
                entries,
                ttl: fields.ttl()?,
            }
        }
        "delete_many" => Op::DeleteMany {
            keys: fields.keys("keys")?,
        },
        "list_push" => Op::ListPush {
            key: fields.key("key")?,
            value: fields.value("value")?,
            cap: fields
                .required("cap")?
                .as_u64()
                .ok_or("`cap` must be a non-negative integer")?,
            ttl: fields.ttl()?,
        },
        "list_range" => Op::ListRange {
            key: fields.key("key")?,
            start: fields.index("start", 0)?,
            stop: fields.index("stop", -1)?,
        },
        "list_len" => Op::ListLen {
            key: fields.key("key")?,
        },
        "member_add" => Op::MemberAdd {
            key: fields.key("key")?,
            member: fields.member()?,
            ttl: fields.ttl()?.ok_or("`member_add` needs the field `ttl`")?,
        },
        "members" => Op::Members {
            key: fields.key("key")?,
        },
        "member_remove" => Op::MemberRemove {
            key: fields.key("key")?,
            member: fields.member()?,
        },
        "round_trip" => Op::RoundTrip,
        other => return Err(format!("unknown op {other:?}")),
    };
    let expect = parse_expect(fields.required("expect")?)?;
    fields.finish()?;
    check_kind(&op, &expect)?;
    Ok(Action::Apply { op, expect })
}

fn check_kind(op: &Op, expect: &Expect) -> Result<(), String> {
    let fits = match expect {
        Expect::Error(_) => true,
        Expect::Ok => op.result_kind() == ResultKind::Ok,
        Expect::Value(_) => op.result_kind() == ResultKind::Value,
        Expect::Values(_) => op.result_kind() == ResultKind::Values,
        Expect::Bool(_) => op.result_kind() == ResultKind::Bool,
        Expect::Integer(_) => op.result_kind() == ResultKind::Integer,
        Expect::Ttl(_) => op.result_kind() == ResultKind::Ttl,
        Expect::Items(_) => op.result_kind() == ResultKind::Items,
        Expect::Members(_) => op.result_kind() == ResultKind::Members,
    };
    if fits {
        Ok(())
    } else {
        Err(format!(
            "`{}` returns {:?}, but the step expects {expect}",
            op.name(),
            op.result_kind()
        ))
    }
}

fn parse_expect(raw: &Value) -> Result<Expect, String> {
    match raw {
        Value::String(word) => match word.as_str() {
            "ok" => Ok(Expect::Ok),
            "missing" => Ok(Expect::Ttl(TtlExpect::Missing)),
            "persistent" => Ok(Expect::Ttl(TtlExpect::Persistent)),
            other => Err(format!(
                "expect {other:?}: a bare string expectation is \"ok\", \"missing\" or \
                 \"persistent\" (values are written {{\"value\": …}})"
            )),
        },
        Value::Bool(value) => Ok(Expect::Bool(*value)),
        Value::Number(number) => number
            .as_i64()
            .map(Expect::Integer)
            .ok_or_else(|| format!("expect {number}: integers must fit in i64")),
        Value::Object(map) => {
            let mut fields = map.iter();
            let (Some((tag, inner)), None) = (fields.next(), fields.next()) else {
                return Err(format!("expectation {raw} must have exactly one field"));
            };
            match tag.as_str() {
                "value" => Ok(Expect::Value(nullable_bytes(inner)?)),
                "values" => inner
                    .as_array()
                    .ok_or("`values` must be an array")?
                    .iter()
                    .map(nullable_bytes)
                    .collect::<Result<_, _>>()
                    .map(Expect::Values),
                "items" => inner
                    .as_array()
                    .ok_or("`items` must be an array")?
                    .iter()
                    .map(bytes)
                    .collect::<Result<_, _>>()
                    .map(Expect::Items),
                "members" => inner
                    .as_array()
                    .ok_or("`members` must be an array")?
                    .iter()
                    .map(|raw| text(raw, "a member"))
                    .collect::<Result<_, _>>()
                    .map(Expect::Members),
                "remaining_ms" => {
                    let bounds = inner
                        .as_array()
                        .filter(|pair| pair.len() == 2)
                        .and_then(|pair| Some((pair[0].as_u64()?, pair[1].as_u64()?)))
                        .ok_or("`remaining_ms` must be [LO, HI] with non-negative integers")?;
                    let (min_ms, max_ms) = bounds;
                    if min_ms < 1 || min_ms > max_ms {
                        return Err(format!(
                            "`remaining_ms` [{min_ms}, {max_ms}] must have 1 <= LO <= HI"
                        ));
                    }
                    Ok(Expect::Ttl(TtlExpect::Remaining { min_ms, max_ms }))
                }
                "error" => {
                    let code = inner.as_str().ok_or("`error` must be a string code")?;
                    if ERROR_CODES.contains(&code) {
                        Ok(Expect::Error(code.to_owned()))
                    } else {
                        Err(format!(
                            "unknown error code {code:?}; known: {}",
                            ERROR_CODES.join(", ")
                        ))
                    }
                }
                other => Err(format!("unknown expectation {{{other:?}: …}}")),
            }
        }
        other => Err(format!("cannot read expectation {other}")),
    }
}

fn nullable_bytes(raw: &Value) -> Result<Option<Vec<u8>>, String> {
    if raw.is_null() {
        Ok(None)
    } else {
        bytes(raw).map(Some)
    }
}

/// A value: a string (its UTF-8), `{"hex": …}` or `{"repeat": …, "times": …}`.
fn bytes(raw: &Value) -> Result<Vec<u8>, String> {
    if let Some(text) = raw.as_str() {
        return Ok(text.as_bytes().to_vec());
    }
    if let Some(hex) = raw.as_object().and_then(|map| map.get("hex")) {
        let mut fields = Fields::new(raw, "a hex value")?;
        fields.required("hex")?;
        fields.finish()?;
        return decode_hex(hex.as_str().ok_or("`hex` must be a string")?);
    }
    text(raw, "a value").map(String::into_bytes)
}

/// A key: a string or `{"repeat": …, "times": …}`.
fn text(raw: &Value, what: &str) -> Result<String, String> {
    if let Some(text) = raw.as_str() {
        return Ok(text.to_owned());
    }
    let mut fields = Fields::new(raw, what)
        .map_err(|_| format!("{what} must be a string or {{\"repeat\": …, \"times\": N}}"))?;
    let unit = fields.string("repeat")?.to_owned();
    let times = fields
        .required("times")?
        .as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or("`times` must be a non-negative integer")?;
    fields.finish()?;
    Ok(unit.repeat(times))
}

fn decode_hex(hex: &str) -> Result<Vec<u8>, String> {
    if !hex.len().is_multiple_of(2) {
        return Err(format!("hex {hex:?} has an odd number of digits"));
    }
    hex.as_bytes()
        .chunks_exact(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|digits| u8::from_str_radix(digits, 16).ok())
                .ok_or_else(|| format!("hex {hex:?} has a non-hex digit"))
        })
        .collect()
}

/// The fields of a JSON object, taken one by one; [`Fields::finish`] rejects any left over,
/// so a misspelt field is an error rather than silently ignored.
struct Fields<'a> {
    map: &'a Map<String, Value>,
    taken: BTreeSet<&'a str>,
    what: &'a str,
}

impl<'a> Fields<'a> {
    fn new(raw: &'a Value, what: &'a str) -> Result<Self, String> {
        let map = raw
            .as_object()
            .ok_or_else(|| format!("{what} must be a JSON object"))?;
        Ok(Self {
            map,
            taken: BTreeSet::new(),
            what,
        })
    }

    fn optional(&mut self, name: &'static str) -> Option<&'a Value> {
        self.taken.insert(name);
        self.map.get(name).filter(|value| !value.is_null())
    }

    fn required(&mut self, name: &'static str) -> Result<&'a Value, String> {
        self.optional(name)
            .ok_or_else(|| format!("{} needs the field `{name}`", self.what))
    }

    fn string(&mut self, name: &'static str) -> Result<&'a str, String> {
        self.required(name)?
            .as_str()
            .ok_or_else(|| format!("`{name}` must be a string"))
    }

    fn array(&mut self, name: &'static str) -> Result<&'a Vec<Value>, String> {
        self.required(name)?
            .as_array()
            .ok_or_else(|| format!("`{name}` must be an array"))
    }

    fn key(&mut self, name: &'static str) -> Result<String, String> {
        text(self.required(name)?, "a key")
    }

    fn keys(&mut self, name: &'static str) -> Result<Vec<String>, String> {
        self.array(name)?
            .iter()
            .map(|raw| text(raw, "a key"))
            .collect()
    }

    fn value(&mut self, name: &'static str) -> Result<Vec<u8>, String> {
        bytes(self.required(name)?)
    }

    fn ttl(&mut self) -> Result<Option<u64>, String> {
        self.optional("ttl")
            .map(|raw| {
                raw.as_u64()
                    .ok_or_else(|| "`ttl` must be a non-negative integer (ms)".to_owned())
            })
            .transpose()
    }

    fn index(&mut self, name: &'static str, default: i64) -> Result<i64, String> {
        self.optional(name).map_or(Ok(default), |raw| {
            raw.as_i64()
                .ok_or_else(|| format!("`{name}` must be an integer that fits in i64"))
        })
    }

    fn member(&mut self) -> Result<String, String> {
        text(self.required("member")?, "a member")
    }

    fn by(&mut self) -> Result<i64, String> {
        self.optional("by").map_or(Ok(1), |raw| {
            raw.as_i64()
                .ok_or_else(|| "`by` must be an integer that fits in i64".to_owned())
        })
    }

    fn finish(self) -> Result<(), String> {
        match self
            .map
            .keys()
            .find(|key| !self.taken.contains(key.as_str()))
        {
            Some(unknown) => Err(format!("{} has an unknown field `{unknown}`", self.what)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_case(case: &str) -> Result<Case, LoadError> {
        let text = format!(r#"{{"description": "test", "cases": [{case}]}}"#);
        parse_file("test.json", &text).map(|mut cases| cases.remove(0))
    }

    fn error_of(case: &str) -> String {
        match one_case(case) {
            Ok(case) => panic!("expected a load error, got {case:?}"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn parses_every_spelling_of_keys_and_values() {
        let case = one_case(
            r#"{"name": "n", "description": "d", "steps": [
                {"op": "set", "key": {"repeat": "ab", "times": 2}, "value": {"hex": "00Ff"}, "ttl": 5, "expect": "ok"},
                {"advance": 3},
                {"op": "get_many", "keys": ["x", {"repeat": "é", "times": 1}],
                 "expect": {"values": [null, {"repeat": "z", "times": 3}]}}
            ]}"#,
        )
        .expect("valid case");
        assert_eq!(
            case.steps[0].action,
            Action::Apply {
                op: Op::Set {
                    key: "abab".into(),
                    value: vec![0x00, 0xff],
                    ttl: Some(5)
                },
                expect: Expect::Ok
            }
        );
        assert_eq!(case.steps[1].action, Action::Advance(3));
        assert_eq!(
            case.steps[2].action,
            Action::Apply {
                op: Op::GetMany {
                    keys: vec!["x".into(), "é".into()]
                },
                expect: Expect::Values(vec![None, Some(b"zzz".to_vec())])
            }
        );
    }

    #[test]
    fn defaults_by_to_one_and_ttl_to_none() {
        let case = one_case(
            r#"{"name": "n", "description": "d", "steps": [
                {"op": "incr", "key": "k", "expect": 1},
                {"op": "touch", "key": "k", "expect": true}
            ]}"#,
        )
        .expect("valid case");
        assert!(matches!(
            &case.steps[0].action,
            Action::Apply {
                op: Op::Incr { by: 1, .. },
                ..
            }
        ));
        assert!(matches!(
            &case.steps[1].action,
            Action::Apply {
                op: Op::Touch { ttl: None, .. },
                ..
            }
        ));
    }

    #[test]
    fn rejects_mistakes_with_their_location() {
        let cases = [
            (
                r#"{"name": "n", "description": "d", "steps": [{"op": "get", "key": "k", "expect": {"value": null}, "tll": 1}]}"#,
                "step 0: a step has an unknown field `tll`",
            ),
            (
                r#"{"name": "n", "description": "d", "steps": [{"op": "get", "key": "k", "expect": true}]}"#,
                "`get` returns Value, but the step expects true",
            ),
            (
                r#"{"name": "n", "description": "d", "steps": [{"op": "incr", "key": "k", "expect": {"error": "nan"}}]}"#,
                "unknown error code \"nan\"",
            ),
            (
                r#"{"name": "n", "description": "d", "steps": [{"op": "frobnicate", "expect": "ok"}]}"#,
                "unknown op \"frobnicate\"",
            ),
            (
                r#"{"name": "n", "description": "d", "steps": [{"op": "get", "key": "k", "expect": "hello"}]}"#,
                "a bare string expectation",
            ),
            (
                r#"{"name": "n", "description": "d", "limits": {"max_entries": 2}, "steps": []}"#,
                "must require the `limits` capability",
            ),
            (
                r#"{"name": "n", "description": "d", "requires": ["limits"], "limits": {"max_entires": 2}, "steps": []}"#,
                "unknown field `max_entires`",
            ),
            (
                r#"{"name": "n", "description": "d", "requires": ["telepathy"], "steps": []}"#,
                "unknown variant `telepathy`",
            ),
            (
                r#"{"name": "n", "description": "d", "steps": [{"advance": 600}, {"advance": 600}]}"#,
                "advances 1200 ms in total",
            ),
            (
                r#"{"name": "n", "description": "d", "steps": [{"op": "len", "expect": 0}]}"#,
                "the case must require `len`",
            ),
            (
                r#"{"name": "n", "description": "d", "steps": [{"op": "incr", "key": "k", "by": 9007199254740992, "expect": 9007199254740992}]}"#,
                "the case must require `big_integers`",
            ),
            (
                r#"{"name": "n", "description": "d", "steps": [{"op": "ttl", "key": "k", "expect": {"remaining_ms": [5, 4]}}]}"#,
                "must have 1 <= LO <= HI",
            ),
            (
                r#"{"name": "n", "description": "d", "steps": [{"op": "set", "key": "k", "value": {"hex": "abc"}, "expect": "ok"}]}"#,
                "odd number of digits",
            ),
            (
                r#"{"name": "Not Snake", "description": "d", "steps": []}"#,
                "is not snake_case",
            ),
        ];
        for (case, message) in cases {
            let error = error_of(case);
            assert!(
                error.contains(message),
                "loading {case}\nfailed with {error:?}\nwhich does not mention {message:?}"
            );
        }
    }

    #[test]
    fn rejects_duplicate_names_within_a_file() {
        let text = r#"{"description": "d", "cases": [
            {"name": "twice", "description": "d", "steps": []},
            {"name": "twice", "description": "d", "steps": []}
        ]}"#;
        let error = parse_file("dup.json", text).expect_err("duplicate names");
        assert!(error.to_string().contains("duplicate case name"), "{error}");
    }

    #[test]
    fn shipped_cases_load() {
        let cases = load_cases().expect("the shipped case files are valid");
        assert!(cases.len() >= 30, "only {} cases", cases.len());
    }
}
