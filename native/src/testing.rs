//! Test support (feature `test-support`): a real `redis-server` per test, listeners that refuse
//! or never answer, and log capture. Used by this crate's tests and by the conformance suite.
//!
//! [`RedisServer`] starts `redis-server` on a free loopback port with no persistence, in its own
//! temporary directory, waits until it answers, and kills it by PID when dropped (also when the
//! test panics). Set `CHATCACHE_REDIS_SERVER` to use a binary that is not on `PATH`.
//!
//! ```no_run
//! use chatcache::testing::RedisServer;
//! let server = RedisServer::start();
//! println!("test Redis at {}", server.url());
//! // ... the server is killed when `server` goes out of scope.
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use redis;

/// How long [`RedisServer::start`] waits for the server to accept connections.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

static NEXT_DIR: AtomicU64 = AtomicU64::new(0);

/// The `redis-server` binary: `$CHATCACHE_REDIS_SERVER`, else the first on `PATH`, else the
/// Debian location.
///
/// # Panics
/// With installation instructions if none is found.
#[must_use]
pub fn redis_server_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("CHATCACHE_REDIS_SERVER") {
        return PathBuf::from(path);
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("redis-server"))
        .chain([
            PathBuf::from("/usr/bin/redis-server"),
            PathBuf::from("/usr/local/bin/redis-server"),
        ])
        .find(|p| p.is_file());
    match on_path {
        Some(path) => path,
        None => panic!(
            "redis-server not found on PATH (nor in /usr/bin, /usr/local/bin): chatcache's tests \
             run against a real Redis. Install it (Debian/Ubuntu: `apt-get install -y \
             redis-server`) or set CHATCACHE_REDIS_SERVER=/path/to/redis-server"
        ),
    }
}

/// Options for [`RedisServer`].
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct RedisServerBuilder {
    requirepass: Option<String>,
    users: Vec<(String, String)>,
    args: Vec<String>,
}

impl RedisServerBuilder {
    /// Requires this password for the `default` user (`--requirepass`).
    pub fn requirepass(mut self, password: &str) -> Self {
        self.requirepass = Some(password.to_owned());
        self
    }

    /// Adds an ACL user with full access (`--user NAME on >PASSWORD ~* &* +@all`).
    pub fn acl_user(mut self, name: &str, password: &str) -> Self {
        self.users.push((name.to_owned(), password.to_owned()));
        self
    }

    /// Adds raw `redis-server` arguments, e.g. `["--maxmemory", "1mb"]`.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Starts the server and waits until it accepts connections.
    ///
    /// # Panics
    /// If `redis-server` is missing or does not come up within 10 s (with its log).
    pub fn start(self) -> RedisServer {
        let dir = std::env::temp_dir().join(format!(
            "chatcache-redis-{}-{}",
            std::process::id(),
            NEXT_DIR.fetch_add(1, Ordering::Relaxed)
        ));
        if let Err(e) = std::fs::create_dir_all(&dir) {
            panic!("cannot create {}: {e}", dir.display());
        }
        let mut last_error = String::new();
        // A port found free can be taken by someone else before redis-server binds it; retry
        // with a fresh one.
        for _ in 0..5 {
            let mut server = RedisServer {
                child: None,
                port: free_port(),
                dir: dir.clone(),
                options: self.clone(),
                owns_dir: true,
            };
            match server.spawn_and_wait() {
                Ok(()) => return server,
                Err(e) => {
                    last_error = e;
                    server.owns_dir = false;
                }
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        panic!("redis-server did not start: {last_error}");
    }
}

/// A `redis-server` child process owned by a test. Killed (by PID) on drop.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    options: RedisServerBuilder,
    owns_dir: bool,
}

impl RedisServer {
    /// Starts a server with no password.
    ///
    /// # Panics
    /// See [`RedisServerBuilder::start`].
    #[must_use]
    pub fn start() -> RedisServer {
        RedisServer::builder().start()
    }

    /// Options for a server with passwords, ACL users or extra arguments.
    pub fn builder() -> RedisServerBuilder {
        RedisServerBuilder::default()
    }

    /// The TCP port on 127.0.0.1.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:PORT/0` (no credentials).
    #[must_use]
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// `redis://USER:PASSWORD@127.0.0.1:PORT/0` (`user` may be empty for the default user).
    #[must_use]
    pub fn url_with_auth(&self, user: &str, password: &str) -> String {
        format!("redis://{user}:{password}@127.0.0.1:{}/0", self.port)
    }

    /// The process id, while running.
    #[must_use]
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// A synchronous admin connection (authenticated as the `default` user when a password is
    /// set), for arranging and inspecting data behind the cache's back.
    ///
    /// # Panics
    /// If the server does not accept the connection.
    #[must_use]
    pub fn connection(&self) -> redis::Connection {
        let url = match &self.options.requirepass {
            Some(pw) => self.url_with_auth("", pw),
            None => self.url(),
        };
        let client = match redis::Client::open(url) {
            Ok(client) => client,
            Err(e) => panic!("bad test URL: {e}"),
        };
        match client.get_connection_with_timeout(Duration::from_secs(5)) {
            Ok(con) => con,
            Err(e) => panic!("cannot connect to test redis-server on {}: {e}", self.port),
        }
    }

    /// Kills the server (SIGKILL to its PID) and waits for it to exit. Clients see their
    /// connections drop and new connections refused.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and waits until it accepts connections.
    /// Returns the instant it did.
    ///
    /// # Panics
    /// If it does not come back within 10 s.
    pub fn restart(&mut self) -> Instant {
        self.stop();
        if let Err(e) = self.spawn_and_wait() {
            panic!("redis-server did not restart: {e}");
        }
        Instant::now()
    }

    fn spawn_and_wait(&mut self) -> Result<(), String> {
        let log = self.dir.join(format!("redis-{}.log", self.port));
        let mut cmd = Command::new(redis_server_binary());
        cmd.args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", ""])
            .args(["--appendonly", "no"])
            .args(["--daemonize", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .arg("--logfile")
            .arg(&log);
        if let Some(pw) = &self.options.requirepass {
            cmd.args(["--requirepass", pw]);
        }
        for (name, pw) in &self.options.users {
            cmd.args(["--user", name, "on", &format!(">{pw}"), "~*", "&*", "+@all"]);
        }
        cmd.args(&self.options.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", redis_server_binary().display()))?;
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let mut stderr = String::new();
                if let Some(mut pipe) = child.stderr.take() {
                    let _ = pipe.read_to_string(&mut stderr);
                }
                return Err(format!(
                    "redis-server exited with {status} on port {}: {stderr}{}",
                    self.port,
                    read_log(&log)
                ));
            }
            if answers_ping(self.port) {
                self.child = Some(child);
                return Ok(());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "redis-server on port {} not ready after {READY_TIMEOUT:?}{}",
                    self.port,
                    read_log(&log)
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        if self.owns_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn read_log(path: &Path) -> String {
    std::fs::read_to_string(path)
        .map(|log| format!("\n--- redis log ---\n{log}"))
        .unwrap_or_default()
}

/// Whether something on 127.0.0.1:`port` answers `PING` like Redis (`+PONG` or an auth error).
fn answers_ping(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(100)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).is_ok()
        && (line.starts_with("+PONG") || line.starts_with("-NOAUTH"))
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
