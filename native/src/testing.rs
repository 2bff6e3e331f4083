//! Test support (feature `test-support`): a real `redis-server` per test (plain, TLS or mutual
//! TLS), a real 3-primary Redis Cluster, listeners that refuse, never answer or do not speak
//! Redis, test certificates, and log capture. The Redis servers, the cluster and the
//! certificates need the `redis` feature as well; log capture and the listeners do not. Used by this crate's tests, its benchmark and the
//! conformance suite.
//!
//! [`RedisServer`] starts `redis-server` on a free loopback port with no persistence, in its own
//! temporary directory, waits until it answers, and kills it by PID when dropped (also when the
//! test panics). Set `CHATCACHE_REDIS_SERVER` to use a binary that is not on `PATH`
//! (`CHATCACHE_REDIS_CLI` likewise for `redis-cli`, which [`RedisCluster`] uses to create the
//! cluster). [`TestCertificates`] generates a CA and certificates for
//! [`RedisServerBuilder::tls`].
//!
//! ```no_run
//! # #[cfg(feature = "redis")] {
//! use chatcache::testing::RedisServer;
//! let server = RedisServer::start();
//! println!("test Redis at {}", server.url());
//! // ... the server is killed when `server` goes out of scope.
//! # }
//! ```

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// The Redis client, for raw commands in tests (`redis::cmd`).
#[cfg(feature = "redis")]
pub use redis;

#[cfg(feature = "redis")]
mod redis_server;
#[cfg(feature = "redis")]
pub use redis_server::{
    ClientAuth, RedisCluster, RedisServer, RedisServerBuilder, ServerCertificate, TestCertificates,
    redis_cli_binary, redis_server_binary,
};

/// A TCP listener that answers every connection with an HTTP error and closes it: something
/// that is listening but is not Redis. Stops when dropped.
#[derive(Debug)]
pub struct NotRedisListener {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl NotRedisListener {
    /// Starts listening on a free loopback port.
    ///
    /// # Panics
    /// If no port can be bound.
    #[must_use]
    pub fn start() -> NotRedisListener {
        let listener = match TcpListener::bind("127.0.0.1:0") {
            Ok(l) => l,
            Err(e) => panic!("cannot bind a loopback port: {e}"),
        };
        let port = match listener.local_addr() {
            Ok(addr) => addr.port(),
            Err(e) => panic!("listener has no address: {e}"),
        };
        if let Err(e) = listener.set_nonblocking(true) {
            panic!("cannot make the listener non-blocking: {e}");
        }
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::spawn({
            let stop = stop.clone();
            move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            let _ = stream.set_nonblocking(false);
                            let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
                            let mut request = [0u8; 512];
                            let _ = stream.read(&mut request);
                            let _ = stream.write_all(
                                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
                            );
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            }
        });
        NotRedisListener {
            port,
            stop,
            thread: Some(thread),
        }
    }

    /// `redis://127.0.0.1:PORT/0`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }
}

impl Drop for NotRedisListener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A loopback port that was free a moment ago.
///
/// # Panics
/// If no port can be bound on 127.0.0.1.
#[must_use]
pub fn free_port() -> u16 {
    match TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
        Ok(addr) => addr.port(),
        Err(e) => panic!("cannot bind a loopback port: {e}"),
    }
}

/// A port on which nothing listens, so connections are refused.
#[must_use]
pub fn refused_port() -> u16 {
    free_port()
}

/// A TCP listener that accepts connections and never answers: the hardest case for a
/// connect timeout. Stops accepting (and closes every connection) when dropped.
#[derive(Debug)]
pub struct BlackHoleListener {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl BlackHoleListener {
    /// Starts listening on a free loopback port.
    ///
    /// # Panics
    /// If no port can be bound.
    #[must_use]
    pub fn start() -> BlackHoleListener {
        BlackHoleListener::start_on(0)
    }

    /// Starts listening on 127.0.0.1:`port` (0 = any free port), e.g. on the port of a
    /// [`RedisServer`] that was just stopped, to turn "Redis is down" into "Redis hangs".
    ///
    /// # Panics
    /// If the port cannot be bound.
    #[must_use]
    pub fn start_on(port: u16) -> BlackHoleListener {
        let listener = match TcpListener::bind(("127.0.0.1", port)) {
            Ok(l) => l,
            Err(e) => panic!("cannot bind 127.0.0.1:{port}: {e}"),
        };
        let port = match listener.local_addr() {
            Ok(addr) => addr.port(),
            Err(e) => panic!("listener has no address: {e}"),
        };
        if let Err(e) = listener.set_nonblocking(true) {
            panic!("cannot make the listener non-blocking: {e}");
        }
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::spawn({
            let stop = stop.clone();
            move || {
                let mut held = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => held.push(stream),
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            }
        });
        BlackHoleListener {
            port,
            stop,
            thread: Some(thread),
        }
    }

    /// The port it listens on.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:PORT/0`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }
}

impl Drop for BlackHoleListener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Captures everything logged through `tracing` on the current thread (all levels, no colour)
/// until dropped. Use with a current-thread runtime (`#[tokio::test]`).
#[derive(Debug)]
pub struct CapturedLogs {
    buffer: Arc<Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

/// Starts capturing `tracing` output on this thread; see [`CapturedLogs`].
#[must_use]
pub fn capture_logs() -> CapturedLogs {
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let writer = SharedBuffer(buffer.clone());
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    CapturedLogs {
        buffer,
        _guard: tracing::subscriber::set_default(subscriber),
    }
}

impl CapturedLogs {
    /// Everything captured so far.
    #[must_use]
    pub fn contents(&self) -> String {
        let bytes = self.buffer.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

#[derive(Clone)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
