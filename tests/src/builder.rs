//! Configuring a server: [`ServerBuilder`], and the config files it
//! renders into the server's temp dir.

use std::fmt::Write as _;
use std::path::Path;

use crate::Server;

/// The generated config file.
pub(crate) const CONF_FILE: &str = "redis.conf";
/// The server's log file.
pub(crate) const LOG_FILE: &str = "redis.log";
/// The generated aclfile (only with [`ServerBuilder::acl_user`]).
pub(crate) const ACL_FILE: &str = "users.acl";
/// The unix socket (only with [`ServerBuilder::unix_socket`]).
pub(crate) const SOCKET_FILE: &str = "redis.sock";

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
    pub(crate) password: Option<String>,
    acl_users: Vec<String>,
    pub(crate) unix_socket: bool,
    pub(crate) tls_port: Option<u16>,
    pub(crate) sentinel: bool,
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

    /// Runs the server as a Redis Sentinel (`--sentinel`); give it a master
    /// to watch with `.config("sentinel", "monitor mymaster 127.0.0.1 <port> 1")`.
    ///
    /// ```no_run
    /// let master = redtyped_tests::Server::start();
    /// let sentinel = redtyped_tests::Server::builder()
    ///     .sentinel()
    ///     .config("sentinel", format!("monitor mymaster 127.0.0.1 {} 1", master.port()))
    ///     .start();
    /// ```
    pub fn sentinel(mut self) -> Self {
        self.sentinel = true;
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
        Server::start_with(self)
    }

    /// Also listens for TLS on a free port ([`Server::tls_port`]) with `files`'
    /// server certificate, trusting `files`' CA for client certificates, which
    /// are optional (see [`require_client_cert`](Self::require_client_cert)).
    /// The plain port stays open for the harness's own checks.
    pub fn tls(mut self, files: &crate::TlsFiles) -> Self {
        let port = crate::free_port();
        let (cert, key) = files.server();
        self.tls_port = Some(port);
        self.config("tls-port", port.to_string())
            .config("tls-cert-file", quote_config(&cert.to_string_lossy()))
            .config("tls-key-file", quote_config(&key.to_string_lossy()))
            .config(
                "tls-ca-cert-file",
                quote_config(&files.ca().to_string_lossy()),
            )
            .config("tls-auth-clients", "optional")
    }

    /// With [`tls`](Self::tls): clients must present a certificate signed by the CA.
    pub fn require_client_cert(self) -> Self {
        self.config("tls-auth-clients", "yes")
    }
}

/// Rendering of the config files.
impl ServerBuilder {
    /// The aclfile's contents, if any ACL lines were given.
    pub(crate) fn render_acl_file(&self) -> Option<String> {
        if self.acl_users.is_empty() {
            return None;
        }
        // No comment header: aclfiles do not allow comments.
        let mut text = String::new();
        if let Some(pass) = &self.password {
            let defines_default = self
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
        for line in &self.acl_users {
            let _ = writeln!(text, "{line}");
        }
        Some(text)
    }

    /// The contents of `redis.conf` for a server in `dir` on `port`.
    pub(crate) fn render_config(&self, dir: &Path, port: u16) -> String {
        let path = |name: &str| quote_config(&dir.join(name).to_string_lossy());
        let mut conf = String::from("# Generated by redtyped-tests: one server per temp dir.\n");
        let _ = writeln!(conf, "port {port}");
        conf.push_str("bind 127.0.0.1\nprotected-mode no\ndaemonize no\n");
        let _ = writeln!(conf, "dir {}", quote_config(&dir.to_string_lossy()));
        let _ = writeln!(conf, "logfile {}", path(LOG_FILE));
        conf.push_str("save \"\"\nappendonly no\nenable-debug-command local\n");
        if self.unix_socket {
            let _ = writeln!(conf, "unixsocket {}\nunixsocketperm 700", path(SOCKET_FILE));
        }
        if let Some(pass) = &self.password {
            let _ = writeln!(conf, "requirepass {}", quote_config(pass));
        }
        if !self.acl_users.is_empty() {
            let _ = writeln!(conf, "aclfile {}", path(ACL_FILE));
        }
        if !self.directives.is_empty() {
            conf.push_str("# Extra directives from ServerBuilder::config.\n");
            for (key, value) in &self.directives {
                let _ = writeln!(conf, "{key} {value}");
            }
        }
        conf
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_values_are_quoted() {
        assert_eq!(quote_config("a b"), "\"a b\"");
        assert_eq!(quote_config("q\"\\\n\x01"), "\"q\\\"\\\\\\n\\x01\"");
    }

    #[test]
    fn rendered_config_has_the_fixed_directives_then_the_extra_ones() {
        let conf = ServerBuilder::default()
            .config("maxmemory", "10mb")
            .password("pw")
            .unix_socket()
            .render_config(Path::new("/tmp/x y"), 1234);
        let lines: Vec<_> = conf.lines().collect();
        for expected in [
            "port 1234",
            "bind 127.0.0.1",
            "protected-mode no",
            "daemonize no",
            "dir \"/tmp/x y\"",
            "logfile \"/tmp/x y/redis.log\"",
            "save \"\"",
            "appendonly no",
            "unixsocket \"/tmp/x y/redis.sock\"",
            "unixsocketperm 700",
            "requirepass \"pw\"",
        ] {
            assert!(
                lines.contains(&expected),
                "missing {expected:?} in:\n{conf}"
            );
        }
        assert_eq!(lines.last(), Some(&"maxmemory 10mb"));
        assert!(!conf.contains("aclfile"));
    }

    #[test]
    fn acl_file_gets_a_default_user_with_the_password() {
        let plain = ServerBuilder::default().acl_user("alice on >a ~* +@all");
        assert_eq!(
            plain.render_acl_file().unwrap(),
            "user alice on >a ~* +@all\n"
        );
        assert_eq!(
            plain.clone().password("pw").render_acl_file().unwrap(),
            "user default on >pw ~* &* +@all\nuser alice on >a ~* +@all\n"
        );
        let own_default = plain
            .password("pw")
            .acl_user("user default on >other +@all");
        assert!(!own_default.render_acl_file().unwrap().contains(">pw"));
        assert_eq!(ServerBuilder::default().render_acl_file(), None);
    }
}
