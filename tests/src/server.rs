//! A real `redis-server` process per test (or per test binary, see
//! [`shared`](crate::shared)).

use std::fmt::Write as _;
use std::fs::{self, OpenOptions};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use crate::binary::redis_server_binary;
use crate::ports::PortReservation;
use crate::resp::Connection;
use crate::spawn::spawn_tied;
use crate::wait::poll_until;

/// How long a started server has to answer `PING`.
const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// Timeout of one readiness probe (connect, and each read/write).
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);
/// Timeout for connecting and for each read/write of [`Server::cli`].
const CLI_TIMEOUT: Duration = Duration::from_secs(10);
/// How many fresh ports [`ServerBuilder::start`] tries when binding fails.
const PORT_ATTEMPTS: usize = 5;
/// How long [`Server::restart`] keeps retrying when its port is taken.
const RESTART_BIND_TIMEOUT: Duration = Duration::from_secs(10);

/// What redis-server logs once it listens and serves.
const READY_LOG_LINE: &str = "Ready to accept connections";

const CONF_FILE: &str = "redis.conf";
const LOG_FILE: &str = "redis.log";
/// stdout and stderr of the server: errors before the log file is opened
/// (such as config file errors) only appear here.
const OUTPUT_FILE: &str = "redis.out";
const ACL_FILE: &str = "users.acl";
const SOCKET_FILE: &str = "redis.sock";

/// Configures and starts a [`Server`]. Created by [`Server::builder`].
///
/// The generated `redis.conf` always contains `port`, `bind 127.0.0.1`,
/// `protected-mode no`, `daemonize no`, `dir` and `logfile` (in the temp
/// dir), `save ""`, `appendonly no` and `enable-debug-command local` (so
/// fault tests may use `DEBUG SLEEP`). Directives from [`config`] come after
/// them and win for single-valued options; do not override `port`, `bind`,
/// `dir`, `logfile` or `daemonize`, which the harness relies on.
///
/// [`config`]: ServerBuilder::config
///
/// # Example
///
/// ```no_run
/// use redtyped_tests::Server;
///
/// let server = Server::builder()
///     .config("maxmemory", "10mb")
///     .config("maxmemory-policy", "allkeys-lru")
///     .password("s3cret")
///     .unix_socket()
///     .start();
/// assert_eq!(server.cli_as("default", "s3cret", &["PING"]), "+PONG\r\n");
/// ```
#[derive(Debug, Clone, Default)]
pub struct ServerBuilder {
    directives: Vec<(String, String)>,
    password: Option<String>,
    acl_users: Vec<String>,
    unix_socket: bool,
}

impl ServerBuilder {
    /// Adds a config directive, written as `key value` to `redis.conf`
    /// (repeatable). `value` is written verbatim in redis.conf syntax, so it
    /// may hold several arguments or quotes, e.g. `.config("save", "\"\"")`
    /// or `.config("client-output-buffer-limit", "pubsub 1mb 1mb 0")`.
    ///
    /// ```no_run
    /// let server = redtyped_tests::Server::builder().config("databases", "4").start();
    /// assert_eq!(server.cli(&["SELECT", "3"]), "+OK\r\n");
    /// ```
    pub fn config(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.directives.push((key.into(), value.into()));
        self
    }

    /// Requires this password for the `default` user (`requirepass`).
    /// [`Server::url`] then carries it, and readiness checks send
    /// `AUTH password` first.
    ///
    /// ```no_run
    /// let server = redtyped_tests::Server::builder().password("pw").start();
    /// assert!(server.cli(&["PING"]).starts_with("-NOAUTH"));
    /// assert_eq!(server.cli_as("default", "pw", &["PING"]), "+PONG\r\n");
    /// ```
    pub fn password(mut self, pass: impl Into<String>) -> Self {
        self.password = Some(pass.into());
        self
    }

    /// Adds an ACL rule line, e.g. `user alice on >secret ~* &* +@all`, to an
    /// `aclfile` in the temp dir (repeatable; the leading `user ` may be
    /// omitted).
    ///
    /// Redis ignores `requirepass` once an aclfile is used, so with
    /// [`password`](Self::password) the harness also writes
    /// `user default on >PASSWORD ~* &* +@all` unless one of your lines
    /// defines `default` itself (that password must then have no whitespace,
    /// as aclfile rules cannot be quoted). Without a password, a line disabling the
    /// default user (`user default off`) is fine: readiness then accepts the
    /// server's `-NOAUTH` reply.
    ///
    /// ```no_run
    /// let server = redtyped_tests::Server::builder()
    ///     .acl_user("user alice on >secret ~* &* +@all")
    ///     .start();
    /// assert_eq!(server.cli_as("alice", "secret", &["ACL", "WHOAMI"]), "$5\r\nalice\r\n");
    /// ```
    pub fn acl_user(mut self, line: impl Into<String>) -> Self {
        let line = line.into();
        let line = line.trim();
        self.acl_users.push(if line.starts_with("user ") {
            line.to_owned()
        } else {
            format!("user {line}")
        });
        self
    }

    /// Also listens on the unix socket `<dir>/redis.sock` (`unixsocketperm
    /// 700`); see [`Server::unix_path`].
    ///
    /// ```no_run
    /// let server = redtyped_tests::Server::builder().unix_socket().start();
    /// assert!(server.unix_path().unwrap().exists());
    /// ```
    pub fn unix_socket(mut self) -> Self {
        self.unix_socket = true;
        self
    }

    /// Starts the server on a free loopback port and waits (up to 10 s) until
    /// it answers `PING`.
    ///
    /// If the port was taken in the meantime, retries with a new port (a few
    /// times). Panics, with the server's log and exit status, if it exits or
    /// is not ready in time; panics with an install hint if there is no
    /// `redis-server` (see [`redis_server_binary`](crate::redis_server_binary)).
    ///
    /// ```no_run
    /// let server = redtyped_tests::Server::builder().start();
    /// assert_eq!(server.cli(&["PING"]), "+PONG\r\n");
    /// ```
    #[track_caller]
    pub fn start(self) -> Server {
        let bin = redis_server_binary();
        let dir = tempfile::Builder::new()
            .prefix("redtyped-redis-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temp dir for redis-server: {e}"));
        let unix_path = self.unix_socket.then(|| dir.path().join(SOCKET_FILE));
        let mut server = Server {
            bin,
            settings: self,
            unix_path,
            port: PortReservation::new(),
            pid: 0,
            child: None,
            dir,
        };
        server.write_acl_file();
        let mut failures = Vec::new();
        for attempt in 0..PORT_ATTEMPTS {
            if attempt > 0 {
                server.port = PortReservation::new();
            }
            server.write_config();
            match server.launch() {
                Ok(()) => return server,
                Err(failure) if failure.addr_in_use => failures.push(failure.report),
                Err(failure) => panic!("{}", failure.report),
            }
        }
        panic!(
            "redis-server could not bind a free port in {PORT_ATTEMPTS} attempts; last failure:\n{}",
            failures.last().map(String::as_str).unwrap_or("")
        )
    }
}

/// A `redis-server` process listening on `127.0.0.1` on a free port, in its
/// own temp dir (config, log, unix socket). Killed (SIGKILL) on drop, and by
/// the kernel if the test process dies first.
///
/// Tests that kill, pause, reconfigure or flush the server must start their
/// own; tests that only touch their own keys can use
/// [`shared()`](crate::shared).
///
/// # Example
///
/// ```no_run
/// use redtyped_tests::Server;
///
/// let mut server = Server::start();
/// assert_eq!(server.cli(&["SET", "k", "v"]), "+OK\r\n");
/// server.restart(); // same port and config, no persistence
/// assert_eq!(server.cli(&["GET", "k"]), "$-1\r\n");
/// ```
#[derive(Debug)]
pub struct Server {
    bin: PathBuf,
    settings: ServerBuilder,
    unix_path: Option<PathBuf>,
    /// Keeps the port from being handed to another server of this process,
    /// also while this one is killed.
    port: PortReservation,
    pid: u32,
    child: Option<Child>,
    /// Last field: removed after the process is killed in `Drop`.
    dir: TempDir,
}

/// Why one launch attempt failed.
struct LaunchFailure {
    /// The server exited because the port was taken: retry.
    addr_in_use: bool,
    /// Full diagnostic report for the panic message.
    report: String,
}

impl Server {
    /// A builder for a server with extra configuration.
    ///
    /// ```no_run
    /// let server = redtyped_tests::Server::builder().password("pw").start();
    /// ```
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    /// Starts a server with the default configuration; shorthand for
    /// `Server::builder().start()`.
    ///
    /// ```no_run
    /// let server = redtyped_tests::Server::start();
    /// assert_eq!(server.cli(&["PING"]), "+PONG\r\n");
    /// ```
    #[track_caller]
    pub fn start() -> Server {
        Server::builder().start()
    }

    /// The TCP port on `127.0.0.1`.
    ///
    /// ```no_run
    /// let server = redtyped_tests::Server::start();
    /// assert_eq!(server.addr(), format!("127.0.0.1:{}", server.port()));
    /// ```
    pub fn port(&self) -> u16 {
        self.port.port()
    }

    /// `"127.0.0.1:PORT"`.
    ///
    /// ```no_run
    /// let server = redtyped_tests::Server::start();
    /// let stream = std::net::TcpStream::connect(server.addr()).unwrap();
    /// ```
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port())
    }

    /// `"redis://127.0.0.1:PORT"`, or `"redis://:PASSWORD@127.0.0.1:PORT"`
    /// when a password is set (percent-encoded as URL userinfo).
    ///
    /// ```no_run
    /// let server = redtyped_tests::Server::builder().password("pw").start();
    /// assert_eq!(server.url(), format!("redis://:pw@127.0.0.1:{}", server.port()));
    /// ```
    pub fn url(&self) -> String {
        match &self.settings.password {
            Some(pass) => format!("redis://:{}@{}", percent_encode_userinfo(pass), self.addr()),
            None => format!("redis://{}", self.addr()),
        }
    }

    /// The unix socket path, if built with
    /// [`unix_socket`](ServerBuilder::unix_socket).
    ///
    /// ```no_run
    /// let server = redtyped_tests::Server::builder().unix_socket().start();
    /// let stream = std::os::unix::net::UnixStream::connect(server.unix_path().unwrap()).unwrap();
    /// ```
    pub fn unix_path(&self) -> Option<&Path> {
        self.unix_path.as_deref()
    }

    /// The server's temp dir (its working dir; holds `redis.conf`,
    /// `redis.log`, `redis.out`, and the unix socket / aclfile if any).
    /// Removed when the `Server` is dropped.
    ///
    /// ```no_run
    /// let server = redtyped_tests::Server::start();
    /// assert!(server.dir().join("redis.conf").exists());
    /// ```
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The contents of the server's log file (all runs, if restarted);
    /// empty if there is none yet.
    ///
    /// ```no_run
    /// let server = redtyped_tests::Server::start();
    /// assert!(server.log().contains("Ready to accept connections"));
    /// ```
    pub fn log(&self) -> String {
        read_lossy(&self.dir().join(LOG_FILE))
    }

    /// The process id of the running server (of the last one after
    /// [`kill`](Self::kill)).
    ///
    /// ```no_run
    /// let server = redtyped_tests::Server::start();
    /// assert!(std::path::Path::new(&format!("/proc/{}", server.pid())).exists());
    /// ```
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Whether the server process has been started and not killed (it may
    /// still have exited on its own).
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Kills the server (SIGKILL) and waits for it to exit. Its port then
    /// refuses connections until [`restart`](Self::restart). Does nothing if
    /// it is not running.
    ///
    /// ```no_run
    /// let mut server = redtyped_tests::Server::start();
    /// server.kill();
    /// assert!(std::net::TcpStream::connect(server.addr()).is_err());
    /// ```
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the server (if running) and starts it again on the same port
    /// with the same config and dir, waiting until it is ready. Data is lost
    /// (no persistence). If the port is briefly taken by another process,
    /// keeps retrying for up to 10 s.
    ///
    /// ```no_run
    /// let mut server = redtyped_tests::Server::start();
    /// let (port, pid) = (server.port(), server.pid());
    /// server.restart();
    /// assert_eq!(server.port(), port);
    /// assert_ne!(server.pid(), pid);
    /// ```
    #[track_caller]
    pub fn restart(&mut self) {
        self.kill();
        let mut last = None;
        let started = poll_until(RESTART_BIND_TIMEOUT, || match self.launch() {
            Ok(()) => Some(Ok(())),
            Err(failure) if failure.addr_in_use => {
                last = Some(failure.report);
                None
            }
            Err(failure) => Some(Err(failure.report)),
        });
        match started {
            Some(Ok(())) => {}
            Some(Err(report)) => panic!("restart failed: {report}"),
            None => panic!(
                "restart failed: port {} stayed in use for {RESTART_BIND_TIMEOUT:?}; last failure:\n{}",
                self.port(),
                last.unwrap_or_default()
            ),
        }
    }

    /// Runs one command on a fresh, unauthenticated TCP connection and
    /// returns the raw RESP reply, e.g. `"+PONG\r\n"`, `"$-1\r\n"`,
    /// `":1\r\n"` or `"-ERR ...\r\n"` (non-UTF-8 bytes are replaced). Use it
    /// to check state independently of the client under test.
    ///
    /// Panics if the server cannot be reached or the connection fails (10 s
    /// timeout per read/write).
    ///
    /// ```no_run
    /// let server = redtyped_tests::Server::start();
    /// assert_eq!(server.cli(&["RPUSH", "l", "a", "b"]), ":2\r\n");
    /// assert_eq!(server.cli(&["LRANGE", "l", "0", "-1"]), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    /// ```
    #[track_caller]
    pub fn cli(&self, args: &[&str]) -> String {
        self.exchange(None, args)
    }

    /// Like [`cli`](Self::cli), but sends `AUTH user pass` first on the same
    /// connection (use user `"default"` for a
    /// [`password`](ServerBuilder::password) server). If `AUTH` fails, its
    /// error reply is returned and the command is not sent.
    ///
    /// ```no_run
    /// let server = redtyped_tests::Server::builder().password("pw").start();
    /// assert_eq!(server.cli_as("default", "pw", &["PING"]), "+PONG\r\n");
    /// assert!(server.cli_as("default", "nope", &["PING"]).starts_with("-WRONGPASS"));
    /// ```
    #[track_caller]
    pub fn cli_as(&self, user: &str, pass: &str, args: &[&str]) -> String {
        self.exchange(Some((user, pass)), args)
    }

    #[track_caller]
    fn exchange(&self, auth: Option<(&str, &str)>, args: &[&str]) -> String {
        let result = (|| {
            let mut conn = Connection::tcp(self.socket_addr(), CLI_TIMEOUT)?;
            if let Some((user, pass)) = auth {
                let reply = conn.request(&["AUTH", user, pass])?;
                if reply != b"+OK\r\n" {
                    return Ok(reply);
                }
            }
            conn.request(args)
        })();
        match result {
            Ok(reply) => String::from_utf8_lossy(&reply).into_owned(),
            Err(e) => panic!(
                "raw command {args:?} to redis-server at {} failed: {e}",
                self.addr()
            ),
        }
    }

    fn socket_addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port()))
    }
}

/// Launching and configuration internals.
impl Server {
    /// Writes the aclfile, if any ACL lines were given.
    fn write_acl_file(&self) {
        if self.settings.acl_users.is_empty() {
            return;
        }
        // No comment header: aclfiles do not allow comments.
        let mut text = String::new();
        if let Some(pass) = &self.settings.password {
            let defines_default = self
                .settings
                .acl_users
                .iter()
                .any(|line| line.split_whitespace().nth(1) == Some("default"));
            if !defines_default {
                // `requirepass` is ignored when an aclfile is in use. The
                // aclfile format has no quoting, hence no whitespace.
                assert!(
                    !pass.chars().any(char::is_whitespace),
                    "a password with whitespace ({pass:?}) cannot be combined with acl_user: \
                     aclfile rules cannot quote it"
                );
                let _ = writeln!(text, "user default on >{pass} ~* &* +@all");
            }
        }
        for line in &self.settings.acl_users {
            let _ = writeln!(text, "{line}");
        }
        let path = self.dir().join(ACL_FILE);
        fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    /// Writes `redis.conf` for the current port.
    fn write_config(&self) {
        let dir = self.dir();
        let path = |name: &str| quote_config(&dir.join(name).to_string_lossy());
        let mut conf = String::from("# Generated by redtyped-tests: one server per temp dir.\n");
        let _ = writeln!(conf, "port {}", self.port());
        conf.push_str("bind 127.0.0.1\nprotected-mode no\ndaemonize no\n");
        let _ = writeln!(conf, "dir {}", quote_config(&dir.to_string_lossy()));
        let _ = writeln!(conf, "logfile {}", path(LOG_FILE));
        conf.push_str("save \"\"\nappendonly no\nenable-debug-command local\n");
        if self.unix_path.is_some() {
            let _ = writeln!(conf, "unixsocket {}\nunixsocketperm 700", path(SOCKET_FILE));
        }
        if let Some(pass) = &self.settings.password {
            let _ = writeln!(conf, "requirepass {}", quote_config(pass));
        }
        if !self.settings.acl_users.is_empty() {
            let _ = writeln!(conf, "aclfile {}", path(ACL_FILE));
        }
        if !self.settings.directives.is_empty() {
            conf.push_str("# Extra directives from ServerBuilder::config.\n");
            for (key, value) in &self.settings.directives {
                let _ = writeln!(conf, "{key} {value}");
            }
        }
        let conf_path = dir.join(CONF_FILE);
        fs::write(&conf_path, conf)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", conf_path.display()));
    }

    /// Spawns the server on `self.port` and waits until it answers `PING`.
    fn launch(&mut self) -> Result<(), LaunchFailure> {
        let log_offset = fs::metadata(self.dir().join(LOG_FILE))
            .map(|m| m.len())
            .unwrap_or(0);
        let command = self.command().map_err(|e| {
            self.failure(
                false,
                &format!("cannot open {OUTPUT_FILE}: {e}"),
                "not started",
            )
        })?;
        let mut child = spawn_tied(command).map_err(|e| {
            self.failure(
                false,
                &format!("cannot spawn {}: {e}", self.bin.display()),
                "not started",
            )
        })?;

        let log = self.dir().join(LOG_FILE);
        let probe = Probe {
            port: self.port(),
            password: self.settings.password.as_deref(),
            unix_path: self.unix_path.as_deref(),
            pid: child.id(),
            log: &log,
            log_offset,
        };
        let mut last_probe = String::from("none");
        let outcome = poll_until(READY_TIMEOUT, || {
            match child.try_wait() {
                Ok(Some(status)) => return Some(Err(Some(status))),
                Ok(None) => {}
                Err(e) => {
                    last_probe = format!("waiting for the process failed: {e}");
                    return Some(Err(None));
                }
            }
            match probe.run() {
                Ok(()) => Some(Ok(())),
                Err(e) => {
                    last_probe = e;
                    None
                }
            }
        });

        match outcome {
            Some(Ok(())) => {
                self.pid = child.id();
                self.child = Some(child);
                Ok(())
            }
            Some(Err(status)) => {
                let new_log = log_since(&log, log_offset);
                let addr_in_use = new_log.contains("Address already in use");
                let reason = format!(
                    "the process (pid {}) exited during startup; last probe: {last_probe}",
                    child.id()
                );
                Err(self.failure(addr_in_use, &reason, &describe_status(status)))
            }
            None => {
                let _ = child.kill();
                let status = describe_status(child.wait().ok());
                let reason = format!(
                    "the process (pid {}) did not answer PING within {READY_TIMEOUT:?}; last probe: {last_probe}",
                    child.id()
                );
                Err(self.failure(
                    false,
                    &reason,
                    &format!("still running at the deadline, then killed ({status})"),
                ))
            }
        }
    }

    fn command(&self) -> std::io::Result<Command> {
        let dir = self.dir();
        let output = OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(OUTPUT_FILE))?;
        let mut command = Command::new(&self.bin);
        command
            .arg(dir.join(CONF_FILE))
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(output.try_clone()?)
            .stderr(output);
        Ok(command)
    }

    /// A failure carrying the full diagnostic report.
    fn failure(&self, addr_in_use: bool, reason: &str, status: &str) -> LaunchFailure {
        let dir = self.dir();
        let report = format!(
            "redis-server failed to start: {reason}\n\
             status: {status}\n\
             command: {} {}\n\
             port: {}, dir: {}\n\
             --- {CONF_FILE} ---\n{}\n\
             --- {LOG_FILE} (full) ---\n{}\n\
             --- stdout/stderr ({OUTPUT_FILE}) ---\n{}\n\
             --- end of redis-server diagnostics ---",
            self.bin.display(),
            dir.join(CONF_FILE).display(),
            self.port(),
            dir.display(),
            read_lossy(&dir.join(CONF_FILE)).trim_end(),
            read_lossy(&dir.join(LOG_FILE)).trim_end(),
            read_lossy(&dir.join(OUTPUT_FILE)).trim_end(),
        );
        LaunchFailure {
            addr_in_use,
            report,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One readiness check of a freshly spawned server.
struct Probe<'a> {
    port: u16,
    password: Option<&'a str>,
    unix_path: Option<&'a Path>,
    /// The process that must be the one answering.
    pid: u32,
    /// The log file, and its length before this process started.
    log: &'a Path,
    log_offset: u64,
}

impl Probe<'_> {
    /// `AUTH` (if a password is set), then `PING`, then a check that the
    /// answering server is our process: while ours is still failing to bind
    /// a taken port, another server may be answering on it.
    ///
    /// `-NOAUTH` also counts as an answer when the harness has no password
    /// to send (the default user was disabled by ACL lines).
    fn run(&self) -> Result<(), String> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let mut conn =
            Connection::tcp(addr, PROBE_TIMEOUT).map_err(|e| format!("connect to {addr}: {e}"))?;
        let mut request = |args: &[&str]| {
            conn.request(args)
                .map(|reply| String::from_utf8_lossy(&reply).into_owned())
                .map_err(|e| format!("{}: {e}", args[0]))
        };
        if let Some(pass) = self.password {
            let reply = request(&["AUTH", pass])?;
            if reply != "+OK\r\n" {
                return Err(format!("AUTH replied {reply:?}"));
            }
        }
        let reply = request(&["PING"])?;
        let identified = if reply == "+PONG\r\n" {
            let info = request(&["INFO", "server"])?;
            let pid = info
                .lines()
                .find_map(|line| line.strip_prefix("process_id:"))
                .and_then(|pid| pid.trim().parse::<u32>().ok());
            match pid {
                Some(pid) if pid == self.pid => true,
                Some(pid) => {
                    return Err(format!(
                        "port {} is served by another process (pid {pid}), not ours",
                        self.port
                    ));
                }
                // INFO not allowed for this user: fall back to the log.
                None => false,
            }
        } else if self.password.is_none() && reply.starts_with("-NOAUTH") {
            false
        } else {
            return Err(format!("PING replied {reply:?}"));
        };
        if !identified && !log_since(self.log, self.log_offset).contains(READY_LOG_LINE) {
            return Err(format!(
                "the server answered {reply:?}, but our log does not say {READY_LOG_LINE:?} yet"
            ));
        }
        if let Some(path) = self.unix_path {
            if !path.exists() {
                return Err(format!("unix socket {} does not exist", path.display()));
            }
        }
        Ok(())
    }
}

/// The part of the file at `path` after its first `offset` bytes.
fn log_since(path: &Path, offset: u64) -> String {
    fs::read(path)
        .map(|log| {
            let new = log
                .get(usize::try_from(offset).unwrap_or(usize::MAX)..)
                .unwrap_or(&[]);
            String::from_utf8_lossy(new).into_owned()
        })
        .unwrap_or_default()
}

fn describe_status(status: Option<ExitStatus>) -> String {
    match status {
        Some(status) => status.to_string(),
        None => "unknown".to_owned(),
    }
}

fn read_lossy(path: &Path) -> String {
    fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// Quotes `value` as one redis.conf argument (double quotes, with the
/// escapes Redis's config parser understands).
fn quote_config(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode_userinfo(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::{resp, shared, unique_key, wait_until};
    use std::net::{TcpListener, TcpStream};
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    use std::os::unix::net::UnixStream;
    use std::sync::OnceLock;

    /// Whether process `pid` is gone: no `/proc/<pid>`, or a zombie (killed
    /// but not yet reaped by whoever adopted it).
    pub(crate) fn process_gone(pid: u32) -> bool {
        match fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => true,
            // Format: "pid (comm) state ..."; comm may contain spaces/parens.
            Ok(stat) => matches!(
                stat.rsplit_once(')')
                    .and_then(|(_, rest)| rest.trim_start().chars().next()),
                Some('Z' | 'X')
            ),
        }
    }

    fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
        match payload.downcast::<String>() {
            Ok(message) => *message,
            Err(payload) => payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .unwrap_or_default(),
        }
    }

    #[test]
    fn start_and_talk_raw_resp() {
        let server = Server::start();
        assert_eq!(server.cli(&["PING"]), "+PONG\r\n");
        assert_eq!(server.addr(), format!("127.0.0.1:{}", server.port()));
        assert_eq!(server.url(), format!("redis://127.0.0.1:{}", server.port()));
        assert_eq!(server.unix_path(), None);
        assert!(server.is_running());

        assert_eq!(server.cli(&["GET", "missing"]), "$-1\r\n");
        assert_eq!(server.cli(&["SET", "k", "hello"]), "+OK\r\n");
        assert_eq!(server.cli(&["GET", "k"]), "$5\r\nhello\r\n");
        assert_eq!(server.cli(&["RPUSH", "l", "a", "b"]), ":2\r\n");
        assert_eq!(
            server.cli(&["LRANGE", "l", "0", "-1"]),
            "*2\r\n$1\r\na\r\n$1\r\nb\r\n"
        );
        assert!(
            server
                .cli(&["NOSUCHCOMMAND"])
                .starts_with("-ERR unknown command")
        );

        // The generated config is in force.
        assert_eq!(
            server.cli(&["CONFIG", "GET", "save"]),
            "*2\r\n$4\r\nsave\r\n$0\r\n\r\n"
        );
        assert_eq!(
            server.cli(&["CONFIG", "GET", "appendonly"]),
            "*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n"
        );
        let dir = server.dir().to_string_lossy().into_owned();
        assert_eq!(
            server.cli(&["CONFIG", "GET", "dir"]),
            format!("*2\r\n$3\r\ndir\r\n${}\r\n{dir}\r\n", dir.len())
        );
        assert!(server.dir().join("redis.conf").is_file());
        assert!(
            server.log().contains("Ready to accept connections"),
            "{}",
            server.log()
        );
    }

    #[test]
    fn extra_config_directives_are_applied() {
        let server = Server::builder()
            .config("databases", "4")
            .config("maxmemory", "10mb")
            .start();
        assert_eq!(server.cli(&["SELECT", "3"]), "+OK\r\n");
        assert!(server.cli(&["SELECT", "4"]).starts_with("-ERR"));
        assert_eq!(
            server.cli(&["CONFIG", "GET", "maxmemory"]),
            "*2\r\n$9\r\nmaxmemory\r\n$8\r\n10485760\r\n"
        );
    }

    #[test]
    fn password_server_requires_auth() {
        let server = Server::builder().password("pw").start();
        assert!(
            server.cli(&["PING"]).starts_with("-NOAUTH"),
            "{}",
            server.cli(&["PING"])
        );
        assert_eq!(server.cli_as("default", "pw", &["PING"]), "+PONG\r\n");
        assert!(
            server
                .cli_as("default", "wrong", &["PING"])
                .starts_with("-WRONGPASS")
        );
        assert_eq!(
            server.url(),
            format!("redis://:pw@127.0.0.1:{}", server.port())
        );
    }

    #[test]
    fn awkward_passwords_are_quoted_and_url_encoded() {
        let pass = "s p\"a\\ss@/:#%";
        let server = Server::builder().password(pass).start();
        assert_eq!(server.cli_as("default", pass, &["PING"]), "+PONG\r\n");
        assert_eq!(
            server.url(),
            format!(
                "redis://:s%20p%22a%5Css%40%2F%3A%23%25@127.0.0.1:{}",
                server.port()
            )
        );
    }

    #[test]
    fn acl_users_are_loaded() {
        let server = Server::builder()
            .acl_user("user alice on >secret ~* &* +@all")
            .acl_user("bob on >b ~bob:* +get")
            .start();
        assert_eq!(
            server.cli_as("alice", "secret", &["ACL", "WHOAMI"]),
            "$5\r\nalice\r\n"
        );
        assert!(
            server
                .cli_as("bob", "b", &["SET", "bob:1", "x"])
                .starts_with("-NOPERM")
        );
        assert!(
            server
                .cli_as("alice", "wrong", &["PING"])
                .starts_with("-WRONGPASS")
        );
        // The default user is untouched without a password.
        assert_eq!(server.cli(&["PING"]), "+PONG\r\n");
        assert!(server.dir().join("users.acl").is_file());
    }

    #[test]
    fn acl_users_with_a_password() {
        // requirepass alone would be ignored once an aclfile is used.
        let server = Server::builder()
            .password("pw")
            .acl_user("user alice on >secret ~* &* +@all")
            .start();
        assert!(server.cli(&["PING"]).starts_with("-NOAUTH"));
        assert_eq!(server.cli_as("default", "pw", &["PING"]), "+PONG\r\n");
        assert_eq!(server.cli_as("alice", "secret", &["PING"]), "+PONG\r\n");
    }

    #[test]
    #[should_panic(expected = "cannot be combined with acl_user")]
    fn whitespace_password_with_acl_users_is_a_clear_error() {
        Server::builder()
            .password("p w")
            .acl_user("user alice on >a ~* +@all")
            .start();
    }

    #[test]
    fn disabled_default_user_is_still_ready() {
        let server = Server::builder()
            .acl_user("user default off")
            .acl_user("user alice on >secret ~* &* +@all")
            .start();
        assert!(server.cli(&["PING"]).starts_with("-NOAUTH"));
        assert_eq!(server.cli_as("alice", "secret", &["PING"]), "+PONG\r\n");
    }

    #[test]
    fn unix_socket_is_listening() {
        let server = Server::builder().unix_socket().start();
        let path = server.unix_path().expect("unix socket path");
        assert_eq!(path, server.dir().join("redis.sock"));
        let meta = fs::metadata(path).unwrap();
        assert!(meta.file_type().is_socket());
        assert_eq!(meta.permissions().mode() & 0o777, 0o700);
        let mut stream = UnixStream::connect(path).unwrap();
        assert_eq!(resp::request(&mut stream, &["PING"]).unwrap(), b"+PONG\r\n");
        // TCP works too.
        assert_eq!(server.cli(&["PING"]), "+PONG\r\n");
    }

    #[test]
    fn kill_then_restart() {
        let mut server = Server::builder().unix_socket().start();
        let (port, pid) = (server.port(), server.pid());
        assert_eq!(server.cli(&["SET", "k", "v"]), "+OK\r\n");

        server.kill();
        assert!(!server.is_running());
        assert!(process_gone(pid));
        assert!(
            TcpStream::connect(server.addr()).is_err(),
            "port still accepts after kill"
        );
        server.kill(); // idempotent

        server.restart();
        assert!(server.is_running());
        assert_eq!(server.port(), port);
        assert_ne!(server.pid(), pid);
        assert_eq!(server.cli(&["PING"]), "+PONG\r\n");
        assert_eq!(
            server.cli(&["GET", "k"]),
            "$-1\r\n",
            "no persistence across restarts"
        );
        let mut stream = UnixStream::connect(server.unix_path().unwrap()).unwrap();
        assert_eq!(resp::request(&mut stream, &["PING"]).unwrap(), b"+PONG\r\n");

        // restart() also works on a running server.
        let pid = server.pid();
        server.restart();
        assert_ne!(server.pid(), pid);
        assert!(process_gone(pid));
        assert_eq!(server.cli(&["PING"]), "+PONG\r\n");
    }

    #[test]
    fn kill_then_restart_with_password() {
        let mut server = Server::builder().password("pw").start();
        server.kill();
        server.restart();
        assert_eq!(server.cli_as("default", "pw", &["PING"]), "+PONG\r\n");
    }

    #[test]
    fn taken_port_is_detected_and_restart_retries() {
        let mut server = Server::start();
        server.kill();
        let blocker = TcpListener::bind(server.addr()).unwrap();
        let failure = server
            .launch()
            .expect_err("launch on a taken port must fail");
        assert!(failure.addr_in_use, "{}", failure.report);
        drop(blocker);
        server.restart();
        assert_eq!(server.cli(&["PING"]), "+PONG\r\n");
    }

    #[test]
    fn probe_checks_which_process_answers() {
        let server = Server::start();
        let log = server.dir().join(LOG_FILE);
        let mut probe = Probe {
            port: server.port(),
            password: None,
            unix_path: None,
            pid: server.pid(),
            log: &log,
            log_offset: 0,
        };
        assert_eq!(probe.run(), Ok(()));
        probe.pid = server.pid() + 1;
        let err = probe.run().unwrap_err();
        assert!(err.contains("served by another process"), "{err}");

        // Without INFO (default user disabled), our own log decides.
        let server = Server::builder().acl_user("user default off").start();
        let log = server.dir().join(LOG_FILE);
        let len = fs::metadata(&log).unwrap().len();
        let mut probe = Probe {
            port: server.port(),
            password: None,
            unix_path: None,
            pid: server.pid() + 1,
            log: &log,
            log_offset: 0,
        };
        assert_eq!(probe.run(), Ok(()));
        probe.log_offset = len;
        let err = probe.run().unwrap_err();
        assert!(err.contains("our log does not say"), "{err}");
    }

    #[test]
    fn dropping_a_server_kills_it_and_removes_its_dir() {
        let server = Server::start();
        let (pid, dir) = (server.pid(), server.dir().to_owned());
        assert!(!process_gone(pid));
        drop(server);
        wait_until(
            Duration::from_secs(5),
            "the dropped server's process to be gone",
            || process_gone(pid),
        );
        // SAFETY: signal 0 only checks whether the pid exists.
        let alive = unsafe { libc::kill(pid as libc::pid_t, 0) } == 0;
        assert!(!alive, "pid {pid} still exists after drop");
        assert!(!dir.exists());
    }

    #[test]
    fn server_started_on_a_finished_thread_survives() {
        // Each test runs on its own thread; a server forked from such a
        // thread with PDEATHSIG would die with it. The spawner thread
        // prevents that.
        let server = std::thread::spawn(Server::start).join().unwrap();
        let pid = server.pid();
        // Without the spawner the kill would be immediate; give it a moment.
        std::thread::sleep(Duration::from_millis(50));
        assert!(!process_gone(pid));
        assert_eq!(server.cli(&["PING"]), "+PONG\r\n");
    }

    #[test]
    fn startup_failure_reports_log_and_exit_status() {
        let payload = std::panic::catch_unwind(|| {
            Server::builder()
                .config("unixsocket", "/nonexistent-dir/redis.sock")
                .start()
        })
        .expect_err("start must panic");
        let message = panic_message(payload);
        assert!(message.contains("exited during startup"), "{message}");
        assert!(message.contains("status: exit status: 1"), "{message}");
        assert!(message.contains("--- redis.log (full) ---"), "{message}");
        assert!(message.contains("Failed opening Unix socket"), "{message}");
    }

    #[test]
    fn config_errors_are_reported_from_stderr() {
        let payload =
            std::panic::catch_unwind(|| Server::builder().config("bogus-directive", "1").start())
                .expect_err("start must panic");
        let message = panic_message(payload);
        assert!(message.contains("status: exit status: 1"), "{message}");
        assert!(
            message.contains("Bad directive or wrong number of arguments"),
            "{message}"
        );
    }

    #[test]
    fn config_values_are_quoted() {
        assert_eq!(quote_config("a b"), "\"a b\"");
        assert_eq!(quote_config("q\"\\\n\x01"), "\"q\\\"\\\\\\n\\x01\"");
        assert_eq!(percent_encode_userinfo("aZ9-._~ :@"), "aZ9-._~%20%3A%40");
    }

    const LEAK_ENV: &str = "REDTYPED_TESTS_LEAK_SERVERS";

    /// Run only as a subprocess by `servers_die_with_the_test_process`: leaks
    /// a server in a static and starts the shared one, then lets the test
    /// binary exit without dropping either.
    #[test]
    #[ignore = "helper run as a subprocess by servers_die_with_the_test_process"]
    fn leak_servers_then_exit() {
        if std::env::var_os(LEAK_ENV).is_none() {
            return;
        }
        static LEAKED: OnceLock<Server> = OnceLock::new();
        let leaked = LEAKED.get_or_init(Server::start);
        let shared = shared();
        println!("LEAKED {} {}", leaked.pid(), leaked.dir().display());
        println!("SHARED {} {}", shared.pid(), shared.dir().display());
    }

    #[test]
    fn servers_die_with_the_test_process() {
        let output = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "server::tests::leak_servers_then_exit",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(LEAK_ENV, "1")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{}\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        let find = |tag: &str| {
            let line = stdout
                .lines()
                .find_map(|l| l.split_once(tag).map(|(_, rest)| rest))
                .unwrap_or_else(|| panic!("no {tag} line in:\n{stdout}"));
            let (pid, dir) = line.trim().split_once(' ').unwrap();
            (pid.parse::<u32>().unwrap(), PathBuf::from(dir))
        };
        let (leaked_pid, leaked_dir) = find("LEAKED ");
        let (shared_pid, shared_dir) = find("SHARED ");

        // PDEATHSIG: the kernel kills a server nobody dropped.
        wait_until(
            Duration::from_secs(5),
            "the leaked server to die with its process",
            || process_gone(leaked_pid),
        );
        // atexit: the shared server is killed and its dir removed at exit.
        wait_until(Duration::from_secs(5), "the shared server to die", || {
            process_gone(shared_pid)
        });
        assert!(
            !shared_dir.exists(),
            "shared server dir {} left behind",
            shared_dir.display()
        );
        // The leaked server's dir is expected to stay: clean it up.
        assert!(leaked_dir.exists());
        fs::remove_dir_all(leaked_dir).unwrap();
    }

    #[test]
    fn unique_keys_keep_tests_apart_on_the_shared_server() {
        let server = shared();
        let (a, b) = (unique_key("t"), unique_key("t"));
        assert_eq!(server.cli(&["SET", &a, "1"]), "+OK\r\n");
        assert_eq!(server.cli(&["GET", &b]), "$-1\r\n");
        assert_eq!(server.cli(&["DEL", &a]), ":1\r\n");
    }
}
