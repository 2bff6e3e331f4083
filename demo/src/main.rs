//! `chatcache-demo`: the chat server. `scripts/run.sh` builds what it needs and starts it.
//!
//! ```sh
//! cargo run -p chatcache-demo                                  # http://127.0.0.1:8080/
//! cargo run -p chatcache-demo -- --port 0                      # any free port
//! USE_REDIS=true REDIS_URL=redis://127.0.0.1:6379/0 \
//!     cargo run -p chatcache-demo -- --port 8081               # a second server, shared cache
//! ```

use std::io::IsTerminal;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use chatcache::get_cache;
use chatcache_demo::{Chat, ChatConfig, Store, http};
use clap::Parser;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// A chat app on chatcache: rooms, messages and who is online, in the browser.
///
/// The cache is chatcache's `get_cache()`: memory unless USE_REDIS=true (REDIS_URL, and the
/// CHATCACHE_* variables of the chatcache crate).
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, env = "PORT", default_value_t = 8080)]
    port: u16,
    /// The SQLite database (created if missing); servers that share it share the chat.
    #[arg(
        long,
        env = "CHATCACHE_DEMO_DB",
        default_value = "chatcache-demo.sqlite3"
    )]
    db: PathBuf,
    /// The built npm package, served under /pkg/ (`cd wasm && npm ci && npm run build`).
    #[arg(long, env = "CHATCACHE_DEMO_PKG", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../wasm/pkg"))]
    pkg: PathBuf,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("warn,chatcache=info,chatcache_demo=info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();

    let page_module = args.pkg.join("web").join("index.js");
    if !page_module.is_file() {
        return Err(format!(
            "{} is missing: build the npm package first (cd wasm && npm ci && npm run build, \
             or scripts/run.sh)",
            page_module.display()
        )
        .into());
    }
    let store = Store::open(&args.db)
        .map_err(|error| format!("cannot open the database {}: {error}", args.db.display()))?;
    let cache = get_cache().await?;
    let selection = cache.selection();
    let chat = Chat::new(cache, store, ChatConfig::default());

    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, args.port)))
        .await
        .map_err(|error| {
            format!(
                "cannot listen on 127.0.0.1:{}: {error} (--port 0 picks a free port)",
                args.port
            )
        })?;
    let address = listener.local_addr()?;
    println!("chatcache demo: http://{address}/");
    println!("  cache: {selection}");
    println!("  store: {}", args.db.display());
    println!("  Ctrl-C stops it");

    axum::serve(listener, http::router(chat, &args.pkg))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    println!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!("SIGTERM cannot be handled: {error}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        result = interrupt => {
            if let Err(error) = result {
                tracing::warn!("Ctrl-C cannot be handled: {error}");
                std::future::pending::<()>().await;
            }
        }
        () = terminate => {}
    }
    println!("stopping: finishing the requests in flight");
}
