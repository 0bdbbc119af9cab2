//! A real `redis-server` process per test (or per test binary, see
//! [`shared`](crate::shared)).

use std::fmt::Write as _;
use std::fs::{self, OpenOptions};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use crate::ServerBuilder;
use crate::binary::redis_server_binary;
use crate::builder::{ACL_FILE, CONF_FILE, LOG_FILE, SOCKET_FILE};
use crate::ports::PortReservation;
use crate::ready::{Probe, log_since};
use crate::resp::Connection;
use crate::spawn::spawn_tied;
use crate::wait::poll_until;

/// How long a started server has to answer `PING`.
const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// Timeout for connecting and for each read/write of [`Server::cli`].
const CLI_TIMEOUT: Duration = Duration::from_secs(10);
/// How many fresh ports [`ServerBuilder::start`] tries when binding fails.
const PORT_ATTEMPTS: usize = 5;
/// How long [`Server::restart`] keeps retrying when its port is taken.
const RESTART_BIND_TIMEOUT: Duration = Duration::from_secs(10);

/// stdout and stderr of the server: errors before the log file is opened
/// (such as config file errors) only appear here.
const OUTPUT_FILE: &str = "redis.out";

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

    /// The TLS port, when started with [`ServerBuilder::tls`](crate::ServerBuilder::tls).
    pub fn tls_port(&self) -> Option<u16> {
        self.settings.tls_port
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

/// Launching internals.
impl Server {
    /// Implements [`ServerBuilder::start`].
    #[track_caller]
    pub(crate) fn start_with(settings: ServerBuilder) -> Server {
        let bin = redis_server_binary();
        let dir = tempfile::Builder::new()
            .prefix("redtyped-redis-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temp dir for redis-server: {e}"));
        let unix_path = settings.unix_socket.then(|| dir.path().join(SOCKET_FILE));
        let mut server = Server {
            bin,
            settings,
            unix_path,
            port: PortReservation::new(),
            pid: 0,
            child: None,
            dir,
        };
        if let Some(acl) = server.settings.render_acl_file() {
            server.write_file(ACL_FILE, &acl);
        }
        let mut failures = Vec::new();
        for attempt in 0..PORT_ATTEMPTS {
            if attempt > 0 {
                server.port = PortReservation::new();
            }
            let conf = server.settings.render_config(server.dir(), server.port());
            server.write_file(CONF_FILE, &conf);
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

    #[track_caller]
    fn write_file(&self, name: &str, contents: &str) {
        let path = self.dir().join(name);
        fs::write(&path, contents)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
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
        command.arg(dir.join(CONF_FILE));
        if self.settings.sentinel {
            command.arg("--sentinel");
        }
        command
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
mod tests;
