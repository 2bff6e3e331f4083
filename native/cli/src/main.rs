//! `chatcache`: operate the cache a chat server uses, with the server's own configuration
//! (`USE_REDIS`, `REDIS_URL`, `CHATCACHE_*`; see `native/README.md`).
//!
//! ```text
//! chatcache status [--json]              which backend and why, health, stats, Redis memory
//! chatcache get KEY                      print the value (raw bytes and a newline)
//! chatcache set KEY VALUE [--ttl SECS]   store a value, optionally expiring
//! chatcache del KEY                      delete a key
//! ```
//!
//! Exit codes: 0 success, 1 key not found, 2 usage error, 3 configuration error,
//! 4 cache unavailable (including "fell back to memory"), 5 invalid input.
//! Warnings and errors go to stderr (`RUST_LOG` sets the level, default `warn`); no secret is
//! ever printed.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use chatcache::{
    BackendKind, Cache, CacheConfig, CacheError, SelectedCache, SelectionReason, select_cache,
};

const USAGE: &str = "\
usage: chatcache <command>

commands:
  status [--json]              which backend is used and why, health, stats, Redis memory
                               (--json: one JSON object, for monitoring)
  get KEY                      print the value stored under KEY
  set KEY VALUE [--ttl SECS]   store VALUE under KEY, expiring after SECS seconds if given
  del KEY                      delete KEY

Configuration comes from the environment, as for the server: USE_REDIS, REDIS_URL,
CHATCACHE_NAMESPACE, CHATCACHE_CONNECT_TIMEOUT_MS, CHATCACHE_OP_TIMEOUT_MS, ...
Exit codes: 0 ok, 1 not found, 2 usage, 3 configuration, 4 unavailable, 5 invalid input.";

/// Exit codes, documented in the usage text and the README.
mod exit {
    pub(crate) const NOT_FOUND: u8 = 1;
    pub(crate) const USAGE: u8 = 2;
    pub(crate) const CONFIG: u8 = 3;
    pub(crate) const UNAVAILABLE: u8 = 4;
    pub(crate) const INVALID_INPUT: u8 = 5;
}

#[derive(Debug, PartialEq, Eq)]
enum Command {
    Help,
    Version,
    Status {
        json: bool,
    },
    Get {
        key: String,
    },
    Set {
        key: String,
        value: String,
        ttl: Option<Duration>,
    },
    Del {
        key: String,
    },
}

/// A failure to report on stderr with an exit code.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Failure {
        Failure {
            code: exit::USAGE,
            message: format!("{}\n\n{USAGE}", message.into()),
        }
    }
}

impl From<CacheError> for Failure {
    fn from(err: CacheError) -> Failure {
        let code = match &err {
            CacheError::Config(_) => exit::CONFIG,
            CacheError::InvalidInput(_) | CacheError::Decode { .. } | CacheError::Encode { .. } => {
                exit::INVALID_INPUT
            }
            _ => exit::UNAVAILABLE,
        };
        Failure {
            code,
            message: err.to_string(),
        }
    }
}

fn parse_args(args: &[String]) -> Result<Command, Failure> {
    let Some((command, rest)) = args.split_first() else {
        return Err(Failure::usage("missing command"));
    };
    let exactly = |n: usize| -> Result<(), Failure> {
        if rest.len() == n {
            Ok(())
        } else {
            Err(Failure::usage(format!(
                "`{command}` takes {n} argument(s), got {}",
                rest.len()
            )))
        }
    };
    match command.as_str() {
        "-h" | "--help" | "help" => Ok(Command::Help),
        "-V" | "--version" => Ok(Command::Version),
        "status" => match rest {
            [] => Ok(Command::Status { json: false }),
            [flag] if flag == "--json" => Ok(Command::Status { json: true }),
            _ => Err(Failure::usage(
                "`status` takes only the optional flag --json",
            )),
        },
        "get" => exactly(1).map(|()| Command::Get {
            key: rest[0].clone(),
        }),
        "del" => exactly(1).map(|()| Command::Del {
            key: rest[0].clone(),
        }),
        "set" => {
            let mut positional = Vec::new();
            let mut ttl = None;
            let mut it = rest.iter();
            while let Some(arg) = it.next() {
                let value = if arg == "--ttl" {
                    Some(
                        it.next()
                            .ok_or_else(|| Failure::usage("--ttl needs a number of seconds"))?
                            .as_str(),
                    )
                } else {
                    arg.strip_prefix("--ttl=")
                };
                match value {
                    Some(secs) => ttl = Some(parse_ttl(secs)?),
                    None => positional.push(arg.clone()),
                }
            }
            match <[String; 2]>::try_from(positional) {
                Ok([key, value]) => Ok(Command::Set { key, value, ttl }),
                Err(p) => Err(Failure::usage(format!(
                    "`set` takes KEY VALUE, got {} argument(s)",
                    p.len()
                ))),
            }
        }
        other => Err(Failure::usage(format!("unknown command `{other}`"))),
    }
}

fn parse_ttl(secs: &str) -> Result<Duration, Failure> {
    match secs.parse::<u64>() {
        Ok(n) if n > 0 => Ok(Duration::from_secs(n)),
        _ => Err(Failure::usage(format!(
            "--ttl expects a whole number of seconds greater than 0, got {secs:?}"
        ))),
    }
}

fn main() -> ExitCode {
    let stderr_is_tty = std::io::stderr().is_terminal();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(stderr_is_tty)
        .with_target(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();

    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("chatcache: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

fn run(args: &[String]) -> Result<(), Failure> {
    let command = parse_args(args)?;
    match command {
        Command::Help => {
            println!("{USAGE}");
            return Ok(());
        }
        Command::Version => {
            println!("chatcache {}", env!("CARGO_PKG_VERSION"));
            return Ok(());
        }
        _ => {}
    }
    let config = CacheConfig::from_env().map_err(CacheError::from)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure {
            code: exit::UNAVAILABLE,
            message: format!("cannot start the async runtime: {e}"),
        })?;
    runtime.block_on(execute(command, &config))
}

async fn execute(command: Command, config: &CacheConfig) -> Result<(), Failure> {
    let cache = select_cache(config).await?;
    if let Command::Status { json } = command {
        return if json {
            status_json(&cache, config).await
        } else {
            status(&cache, config).await
        };
    }
    match cache.selection().reason() {
        SelectionReason::RedisUnreachable { .. } => {
            return Err(Failure {
                code: exit::UNAVAILABLE,
                message: format!(
                    "cache unavailable: {}; not touching a throwaway in-memory cache",
                    cache.selection()
                ),
            });
        }
        SelectionReason::RedisDisabled => eprintln!(
            "chatcache: note: USE_REDIS is off, so this command uses an in-memory cache that \
             lives only as long as the command"
        ),
        _ => {}
    }
    let mut out = std::io::stdout().lock();
    let written = match command {
        Command::Get { key } => match cache.get(&key).await? {
            Some(value) => out.write_all(&value).and_then(|()| out.write_all(b"\n")),
            None => {
                return Err(Failure {
                    code: exit::NOT_FOUND,
                    message: format!("key {key:?} not found"),
                });
            }
        },
        Command::Set { key, value, ttl } => {
            cache.set(&key, value.as_bytes(), ttl).await?;
            writeln!(out, "OK")
        }
        Command::Del { key } => {
            if cache.delete(&key).await? {
                writeln!(out, "deleted")
            } else {
                return Err(Failure {
                    code: exit::NOT_FOUND,
                    message: format!("key {key:?} not found"),
                });
            }
        }
        Command::Help | Command::Version | Command::Status { .. } => Ok(()),
    };
    written.map_err(|e| Failure {
        code: exit::UNAVAILABLE,
        message: format!("cannot write to stdout: {e}"),
    })
}

async fn status(cache: &SelectedCache, config: &CacheConfig) -> Result<(), Failure> {
    let selection = cache.selection();
    println!("backend:   {selection}");
    println!(
        "decided:   in {:.1} ms",
        selection.decided_in().as_secs_f64() * 1000.0
    );
    println!("namespace: {}", config.namespace);
    let health = cache.health().await;
    match &health {
        Ok(h) => println!(
            "health:    ok ({} answered in {:.2} ms)",
            h.backend,
            h.latency.as_secs_f64() * 1000.0
        ),
        Err(CacheError::Degraded { .. }) => println!(
            "health:    DEGRADED (Redis is wanted; running on the in-memory fallback{})",
            if selection.is_recovering() {
                ", probing Redis in the background"
            } else {
                ""
            }
        ),
        Err(e) => println!("health:    FAILED ({e})"),
    }
    let stats = cache.stats().await?;
    match stats.entries {
        Some(entries) => println!("entries:   {entries}"),
        None => println!(
            "entries:   not counted (set {}=true to count them; it scans the database)",
            chatcache::config::vars::REDIS_COUNT_ENTRIES
        ),
    }
    let ratio = stats
        .hit_ratio()
        .map_or_else(|| "n/a".to_owned(), |r| format!("{:.1}%", r * 100.0));
    println!(
        "lookups:   {} hits, {} misses (hit ratio {ratio}; this process only)",
        stats.hits, stats.misses
    );
    if let Some(memory) = &stats.memory {
        println!(
            "memory:    {} of {} bytes, limit {} entries, {} shard(s)",
            memory.core.bytes, memory.max_bytes, memory.max_entries, memory.shards
        );
    }
    if let Some(redis) = &stats.redis {
        let max = if redis.maxmemory == 0 {
            "no limit".to_owned()
        } else {
            format!("{} bytes", redis.maxmemory)
        };
        println!(
            "redis:     version {}, used_memory {} bytes, maxmemory {max} ({}), evicted_keys {}, \
             expired_keys {}",
            redis.version,
            redis.used_memory,
            redis.maxmemory_policy,
            redis.evicted_keys,
            redis.expired_keys
        );
    }
    if selection.is_fallback() {
        return Err(Failure {
            code: exit::UNAVAILABLE,
            message: format!("degraded: {selection}"),
        });
    }
    if health.is_err() && selection.backend() == BackendKind::Redis {
        return Err(Failure {
            code: exit::UNAVAILABLE,
            message: "Redis does not answer".to_owned(),
        });
    }
    Ok(())
}

/// `status --json`: the same facts as one JSON object (no secrets), exit codes as `status`.
async fn status_json(cache: &SelectedCache, config: &CacheConfig) -> Result<(), Failure> {
    let selection = cache.selection();
    let health = cache.health().await;
    let stats = cache.stats().await?;
    let report = serde_json::json!({
        "backend": selection.backend(),
        "selection": selection.to_string(),
        "fallback": selection.is_fallback(),
        "recovering": selection.is_recovering(),
        "decided_ms": selection.decided_in().as_secs_f64() * 1000.0,
        "namespace": config.namespace.as_str(),
        "healthy": health.is_ok(),
        "health_latency_ms": health.as_ref().ok().map(|h| h.latency.as_secs_f64() * 1000.0),
        "health_error": health.as_ref().err().map(ToString::to_string),
        "stats": stats,
    });
    println!("{report}");
    if selection.is_fallback() || (health.is_err() && selection.backend() == BackendKind::Redis) {
        return Err(Failure {
            code: exit::UNAVAILABLE,
            message: format!("degraded: {selection}"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn parses_commands_and_ttl_forms() {
        assert_eq!(
            parse_args(&args(&["status"])).ok(),
            Some(Command::Status { json: false })
        );
        assert_eq!(
            parse_args(&args(&["status", "--json"])).ok(),
            Some(Command::Status { json: true })
        );
        assert_eq!(
            parse_args(&args(&["set", "k", "v", "--ttl", "30"])).ok(),
            Some(Command::Set {
                key: "k".into(),
                value: "v".into(),
                ttl: Some(Duration::from_secs(30))
            })
        );
        assert_eq!(
            parse_args(&args(&["set", "--ttl=5", "k", "v"])).ok(),
            Some(Command::Set {
                key: "k".into(),
                value: "v".into(),
                ttl: Some(Duration::from_secs(5))
            })
        );
        for bad in [
            &["set", "k"][..],
            &["set", "k", "v", "--ttl"],
            &["set", "k", "v", "--ttl", "0"],
            &["set", "k", "v", "--ttl", "1.5"],
            &["get"],
            &["status", "--yaml"],
            &["get", "a", "b"],
            &["frobnicate"],
            &[],
        ] {
            let err = parse_args(&args(bad)).err().map(|f| f.code);
            assert_eq!(err, Some(exit::USAGE), "{bad:?}");
        }
    }
}
