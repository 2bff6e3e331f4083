//! Real Redis servers for tests: [`RedisServer`] (plain, TLS, mutual TLS), [`RedisCluster`] and
//! [`TestCertificates`]. Compiled only with the `redis` feature.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::free_port;

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

/// The `redis-cli` binary: `$CHATCACHE_REDIS_CLI`, else `redis-cli` next to `redis-server`,
/// else the first on `PATH`.
///
/// # Panics
/// With installation instructions if none is found.
#[must_use]
pub fn redis_cli_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("CHATCACHE_REDIS_CLI") {
        return PathBuf::from(path);
    }
    let beside_server = redis_server_binary().with_file_name("redis-cli");
    let found = std::iter::once(beside_server)
        .chain(
            std::env::var_os("PATH")
                .into_iter()
                .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
                .map(|dir| dir.join("redis-cli")),
        )
        .find(|p| p.is_file());
    match found {
        Some(path) => path,
        None => panic!(
            "redis-cli not found (needed to create a test Redis Cluster). Install it (Debian/Ubuntu: \
             `apt-get install -y redis-tools`) or set CHATCACHE_REDIS_CLI=/path/to/redis-cli"
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
    tls: Option<ServerTls>,
    bus_port_free: bool,
}

/// TLS settings of a test server: which certificate it shows and whether it requires clients
/// to present one.
#[derive(Clone, Debug)]
struct ServerTls {
    dir: PathBuf,
    cert: &'static str,
    key: &'static str,
    auth_clients: bool,
    /// PEM of the CA and of the client identity, for the admin connection.
    ca_pem: Vec<u8>,
    client: (Vec<u8>, Vec<u8>),
}

/// Which certificate a TLS test server presents (see [`RedisServerBuilder::tls`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerCertificate {
    /// Valid for `localhost` and `127.0.0.1`, signed by the test CA.
    Localhost,
    /// Signed by the test CA but valid only for `wrong-host.invalid`: a host-name mismatch.
    WrongHost,
}

/// Whether a TLS test server asks clients for a certificate (see [`RedisServerBuilder::tls`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// Any client may connect (`--tls-auth-clients no`).
    Optional,
    /// Clients must present a certificate signed by the test CA (`--tls-auth-clients yes`):
    /// mutual TLS.
    Required,
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

    /// Picks a port whose cluster bus port (port + 10000) is free too.
    pub fn with_bus_port_free(mut self) -> Self {
        self.bus_port_free = true;
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

    /// Serves TLS only (`--port 0 --tls-port PORT`) with a certificate from `certs`, trusting
    /// `certs`' CA for client certificates. [`RedisServer::url`] becomes `rediss://`.
    pub fn tls(
        mut self,
        certs: &TestCertificates,
        cert: ServerCertificate,
        client_auth: ClientAuth,
    ) -> Self {
        let (cert, key) = match cert {
            ServerCertificate::Localhost => {
                (TestCertificates::SERVER_CERT, TestCertificates::SERVER_KEY)
            }
            ServerCertificate::WrongHost => (
                TestCertificates::WRONG_HOST_CERT,
                TestCertificates::WRONG_HOST_KEY,
            ),
        };
        self.tls = Some(ServerTls {
            dir: certs.dir.clone(),
            cert,
            key,
            auth_clients: client_auth == ClientAuth::Required,
            ca_pem: certs.ca_pem(),
            client: (certs.client_cert_pem(), certs.client_key_pem()),
        });
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
            let port = if self.bus_port_free {
                free_port_with_bus()
            } else {
                free_port()
            };
            let mut server = RedisServer {
                child: None,
                port,
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

    /// `redis://127.0.0.1:PORT/0` (no credentials); `rediss://` for a TLS server.
    #[must_use]
    pub fn url(&self) -> String {
        format!("{}://127.0.0.1:{}/0", self.scheme(), self.port)
    }

    /// `redis://USER:PASSWORD@127.0.0.1:PORT/0` (`user` may be empty for the default user);
    /// `rediss://` for a TLS server.
    #[must_use]
    pub fn url_with_auth(&self, user: &str, password: &str) -> String {
        format!(
            "{}://{user}:{password}@127.0.0.1:{}/0",
            self.scheme(),
            self.port
        )
    }

    fn scheme(&self) -> &'static str {
        if self.options.tls.is_some() {
            "rediss"
        } else {
            "redis"
        }
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
        let client = match &self.options.tls {
            Some(tls) => redis::Client::build_with_tls(url, tls.certificates()),
            None => redis::Client::open(url),
        };
        let client = match client {
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
        match &self.options.tls {
            None => {
                cmd.args(["--port", &self.port.to_string()]);
            }
            Some(tls) => {
                cmd.args(["--port", "0", "--tls-port", &self.port.to_string()])
                    .arg("--tls-cert-file")
                    .arg(tls.dir.join(tls.cert))
                    .arg("--tls-key-file")
                    .arg(tls.dir.join(tls.key))
                    .arg("--tls-ca-cert-file")
                    .arg(tls.dir.join(TestCertificates::CA_CERT))
                    .args([
                        "--tls-auth-clients",
                        if tls.auth_clients { "yes" } else { "no" },
                    ]);
            }
        }
        cmd.args(["--bind", "127.0.0.1"])
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
            let ready = match &self.options.tls {
                None => answers_ping(self.port),
                Some(_) => tls_server_ready(self.port, &log),
            };
            if ready {
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

/// Whether the TLS server on 127.0.0.1:`port` is ready: it listens and has logged that it
/// accepts connections. (A handshake would not do: the wrong-host certificate fails it on
/// purpose.)
fn tls_server_ready(port: u16, log: &Path) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok()
        && std::fs::read_to_string(log).is_ok_and(|l| l.contains("Ready to accept connections"))
}

impl ServerTls {
    /// The test CA and client identity, as redis-rs takes them.
    fn certificates(&self) -> redis::TlsCertificates {
        redis::TlsCertificates {
            client_tls: Some(redis::ClientTlsConfig {
                client_cert: self.client.0.clone(),
                client_key: self.client.1.clone(),
            }),
            root_cert: Some(self.ca_pem.clone()),
        }
    }
}

/// Certificates for TLS tests, generated fresh (rcgen, ECDSA P-256) and written as PEM files
/// into a temporary directory that is removed on drop:
///
/// * a CA, which signs all of the following and which servers trust for client certificates;
/// * a server certificate for `localhost` and `127.0.0.1`;
/// * a server certificate for `wrong-host.invalid` only (a host-name mismatch on loopback);
/// * a client certificate (for mutual TLS);
/// * a second, unrelated CA (to show an untrusted server certificate).
#[derive(Debug)]
pub struct TestCertificates {
    dir: PathBuf,
}

impl TestCertificates {
    const CA_CERT: &'static str = "ca.pem";
    const OTHER_CA_CERT: &'static str = "other-ca.pem";
    const SERVER_CERT: &'static str = "server.pem";
    const SERVER_KEY: &'static str = "server-key.pem";
    const WRONG_HOST_CERT: &'static str = "wrong-host.pem";
    const WRONG_HOST_KEY: &'static str = "wrong-host-key.pem";
    const CLIENT_CERT: &'static str = "client.pem";
    const CLIENT_KEY: &'static str = "client-key.pem";

    /// Generates the certificates.
    ///
    /// # Panics
    /// If generating or writing them fails.
    #[must_use]
    pub fn generate() -> TestCertificates {
        match TestCertificates::try_generate() {
            Ok(certs) => certs,
            Err(e) => panic!("cannot generate test certificates: {e}"),
        }
    }

    fn try_generate() -> Result<TestCertificates, Box<dyn std::error::Error>> {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
            KeyPair, KeyUsagePurpose,
        };
        let dir = std::env::temp_dir().join(format!(
            "chatcache-certs-{}-{}",
            std::process::id(),
            NEXT_DIR.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)?;
        let certs = TestCertificates { dir };
        let write = |name: &str, pem: &str| std::fs::write(certs.dir.join(name), pem);

        let ca_params = |name: &str| -> Result<CertificateParams, rcgen::Error> {
            let mut params = CertificateParams::new(Vec::<String>::new())?;
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
            params.distinguished_name.push(DnType::CommonName, name);
            Ok(params)
        };
        let ca_key = KeyPair::generate()?;
        let ca = ca_params("chatcache test CA")?;
        write(Self::CA_CERT, &ca.self_signed(&ca_key)?.pem())?;
        let other_key = KeyPair::generate()?;
        write(
            Self::OTHER_CA_CERT,
            &ca_params("unrelated test CA")?
                .self_signed(&other_key)?
                .pem(),
        )?;
        let issuer = Issuer::new(ca, ca_key);

        let leaf = |names: &[&str], usage: ExtendedKeyUsagePurpose, cert: &str, key: &str| {
            let key_pair = KeyPair::generate()?;
            let mut params =
                CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())?;
            params.distinguished_name.push(DnType::CommonName, names[0]);
            params.extended_key_usages = vec![usage];
            let signed = params.signed_by(&key_pair, &issuer)?;
            write(cert, &signed.pem())?;
            write(key, &key_pair.serialize_pem())?;
            Ok::<_, Box<dyn std::error::Error>>(())
        };
        leaf(
            &["localhost", "127.0.0.1"],
            ExtendedKeyUsagePurpose::ServerAuth,
            Self::SERVER_CERT,
            Self::SERVER_KEY,
        )?;
        leaf(
            &["wrong-host.invalid"],
            ExtendedKeyUsagePurpose::ServerAuth,
            Self::WRONG_HOST_CERT,
            Self::WRONG_HOST_KEY,
        )?;
        leaf(
            &["chatcache-test-client"],
            ExtendedKeyUsagePurpose::ClientAuth,
            Self::CLIENT_CERT,
            Self::CLIENT_KEY,
        )?;
        Ok(certs)
    }

    /// The CA certificate file (what `CHATCACHE_TLS_CA_FILE` should name).
    #[must_use]
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join(Self::CA_CERT)
    }

    /// An unrelated CA's certificate file: trusting it, the server's certificate is untrusted.
    #[must_use]
    pub fn other_ca_file(&self) -> PathBuf {
        self.dir.join(Self::OTHER_CA_CERT)
    }

    /// The client certificate file (`CHATCACHE_TLS_CERT_FILE`).
    #[must_use]
    pub fn client_cert_file(&self) -> PathBuf {
        self.dir.join(Self::CLIENT_CERT)
    }

    /// The client key file (`CHATCACHE_TLS_KEY_FILE`).
    #[must_use]
    pub fn client_key_file(&self) -> PathBuf {
        self.dir.join(Self::CLIENT_KEY)
    }

    /// The CA certificate as PEM.
    #[must_use]
    pub fn ca_pem(&self) -> Vec<u8> {
        self.read(Self::CA_CERT)
    }

    /// The unrelated CA's certificate as PEM.
    #[must_use]
    pub fn other_ca_pem(&self) -> Vec<u8> {
        self.read(Self::OTHER_CA_CERT)
    }

    /// The client certificate as PEM.
    #[must_use]
    pub fn client_cert_pem(&self) -> Vec<u8> {
        self.read(Self::CLIENT_CERT)
    }

    /// The client key as PEM.
    #[must_use]
    pub fn client_key_pem(&self) -> Vec<u8> {
        self.read(Self::CLIENT_KEY)
    }

    fn read(&self, name: &str) -> Vec<u8> {
        match std::fs::read(self.dir.join(name)) {
            Ok(pem) => pem,
            Err(e) => panic!("cannot read test certificate {name}: {e}"),
        }
    }
}

impl Drop for TestCertificates {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A real Redis Cluster on loopback: three primaries without replicas
/// (`--cluster-enabled yes`, joined with `redis-cli --cluster create`), each a [`RedisServer`]
/// killed by PID on drop. Nodes keep serving their slots when another primary is down
/// (`cluster-require-full-coverage no`), so a test can kill one.
#[derive(Debug)]
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// Starts three primaries, creates the cluster and waits until every node reports
    /// `cluster_state:ok`.
    ///
    /// # Panics
    /// If a node does not start, `redis-cli` is missing or the cluster does not form within
    /// 20 s.
    #[must_use]
    pub fn start() -> RedisCluster {
        let nodes: Vec<RedisServer> = (0..3)
            .map(|_| {
                RedisServer::builder()
                    .args([
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        "nodes.conf",
                        "--cluster-node-timeout",
                        "5000",
                        "--cluster-require-full-coverage",
                        "no",
                    ])
                    .with_bus_port_free()
                    .start()
            })
            .collect();
        let addresses: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port()))
            .collect();
        let output = Command::new(redis_cli_binary())
            .args(["--cluster", "create"])
            .args(&addresses)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdin(Stdio::null())
            .output();
        match output {
            Ok(out) if out.status.success() => {}
            Ok(out) => panic!(
                "redis-cli --cluster create failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => panic!("cannot run {}: {e}", redis_cli_binary().display()),
        }
        let cluster = RedisCluster { nodes };
        cluster.wait_until_ok();
        cluster
    }

    fn wait_until_ok(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        for node in &self.nodes {
            loop {
                let info: Option<String> = redis::cmd("CLUSTER")
                    .arg("INFO")
                    .query(&mut node.connection())
                    .ok();
                if info.is_some_and(|i| {
                    i.contains("cluster_state:ok") && i.contains("cluster_known_nodes:3")
                }) {
                    break;
                }
                if Instant::now() > deadline {
                    panic!("the test cluster did not reach cluster_state:ok within 20 s");
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// The seed URLs of every node, comma-separated, for `REDIS_URL` with
    /// `CHATCACHE_REDIS_CLUSTER=true`.
    #[must_use]
    pub fn url(&self) -> String {
        self.nodes
            .iter()
            .map(|n| format!("redis://127.0.0.1:{}", n.port()))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The nodes (primaries), e.g. to query one or to kill one with [`RedisServer::stop`].
    #[must_use]
    pub fn nodes(&self) -> &[RedisServer] {
        &self.nodes
    }

    /// Mutable access to the nodes, to stop or restart one.
    pub fn nodes_mut(&mut self) -> &mut [RedisServer] {
        &mut self.nodes
    }

    /// The node that serves `key`'s hash slot (ask any node with `CLUSTER KEYSLOT` and
    /// `CLUSTER SLOTS`).
    ///
    /// # Panics
    /// If the cluster does not answer.
    #[must_use]
    pub fn node_for_key(&self, key: &str) -> usize {
        let Some(live) = self.nodes.iter().find(|n| n.pid().is_some()) else {
            panic!("no node of the test cluster is running");
        };
        let mut con = live.connection();
        let slot: u16 = match redis::cmd("CLUSTER")
            .arg("KEYSLOT")
            .arg(key)
            .query(&mut con)
        {
            Ok(slot) => slot,
            Err(e) => panic!("CLUSTER KEYSLOT failed: {e}"),
        };
        let ranges: Vec<(u16, u16, (String, u16))> = match redis::cmd("CLUSTER")
            .arg("SLOTS")
            .query::<Vec<redis::Value>>(&mut con)
        {
            Ok(values) => values
                .into_iter()
                .filter_map(|range| {
                    let parts: Vec<redis::Value> = redis::from_redis_value(range).ok()?;
                    let mut parts = parts.into_iter();
                    let start: u16 = redis::from_redis_value(parts.next()?).ok()?;
                    let end: u16 = redis::from_redis_value(parts.next()?).ok()?;
                    let primary: Vec<redis::Value> = redis::from_redis_value(parts.next()?).ok()?;
                    let mut primary = primary.into_iter();
                    let host: String = redis::from_redis_value(primary.next()?).ok()?;
                    let port: u16 = redis::from_redis_value(primary.next()?).ok()?;
                    Some((start, end, (host, port)))
                })
                .collect(),
            Err(e) => panic!("CLUSTER SLOTS failed: {e}"),
        };
        let port = ranges
            .iter()
            .find(|(start, end, _)| (*start..=*end).contains(&slot))
            .map(|(_, _, (_, port))| *port);
        match port.and_then(|p| self.nodes.iter().position(|n| n.port() == p)) {
            Some(index) => index,
            None => panic!("no node serves slot {slot} of {key:?}"),
        }
    }
}

/// A free loopback port whose cluster bus port (port + 10000) is free as well.
fn free_port_with_bus() -> u16 {
    loop {
        let port = free_port();
        if port <= u16::MAX - 10_000 && TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok() {
            return port;
        }
    }
}
