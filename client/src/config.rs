//! Where and how to connect: parsed from a URL or built in code.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::pool::PoolSettings;

/// The RESP version to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Protocol {
    /// RESP3 when the server supports it (Redis 6+), else RESP2. The default.
    #[default]
    Auto,
    /// RESP2 only: no `HELLO`; `AUTH`, `CLIENT SETNAME` and `SELECT` instead.
    Resp2,
    /// RESP3 only: fail to connect if the server cannot.
    Resp3,
}

/// The address of a server.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Addr {
    /// A TCP host and port.
    Tcp {
        /// Host name or IP address.
        host: String,
        /// Port.
        port: u16,
    },
    /// A unix domain socket path.
    Unix(PathBuf),
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Addr::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Addr::Tcp { host, port } => write!(f, "{host}:{port}"),
            Addr::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// Connection settings. Build from a URL with [`Config::from_url`] (or pass the
/// URL to [`Client::connect`](crate::Client::connect)), then adjust in code.
///
/// URLs: `redis://[user[:password]@]host[:port][/db][?option=value&…]`,
/// `rediss://…` (alias `redis+tls://`) for TLS, with `tls_ca=<pem file>`,
/// `tls_cert=<pem file>&tls_key=<pem file>` and `tls_server_name=<name>`,
/// `redis+unix:///path/to/socket[?db=N&…]` and `unix:///path/to/socket`.
/// Options: `protocol` (`2`, `3` or `auto`), `client_name`, `db`,
/// `connect_timeout` and `timeout` (seconds, or with a unit: `250ms`, `2s`),
/// and the pool's `pool_max`, `pool_min`, `pool_timeout`, `pool_idle_timeout`
/// (`none` keeps idle connections) and `pool_check_after` (see [`PoolSettings`]).
///
/// ```
/// use redtyped::{Config, Protocol};
/// use std::time::Duration;
///
/// let config = Config::from_url("redis://alice:s3cret@10.0.0.5:6380/2?protocol=2&client_name=worker")?
///     .connect_timeout(Duration::from_secs(2));
/// assert_eq!(config.addr().to_string(), "10.0.0.5:6380");
/// assert_eq!(config.db(), 2);
/// assert_eq!(config.protocol(), Protocol::Resp2);
/// assert!(!format!("{config:?}").contains("s3cret"));
/// # Ok::<(), redtyped::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    addr: Addr,
    username: Option<String>,
    password: Option<String>,
    db: i64,
    protocol: Protocol,
    client_name: Option<String>,
    connect_timeout: Duration,
    response_timeout: Option<Duration>,
    tls: Option<Tls>,
    pool: PoolSettings,
    /// Send READONLY at connect: a cluster client reading from replicas.
    pub(crate) replica_reads: bool,
    /// Check with ROLE at connect that the server is a master (sentinel).
    pub(crate) require_master: bool,
    client_cache: Option<usize>,
}

/// TLS settings (`rediss://`). The server's certificate is always verified:
/// against the system's roots, plus a CA of your own when given.
///
/// ```
/// use redtyped::{Config, Tls};
/// let config = Config::new("redis.internal", 6380)
///     .tls(Tls::new().ca_file("/etc/redis/ca.pem").client_cert("/etc/app/cert.pem", "/etc/app/key.pem"));
/// assert!(config.tls_settings().is_some());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tls {
    pub(crate) ca_file: Option<PathBuf>,
    pub(crate) client_cert: Option<(PathBuf, PathBuf)>,
    pub(crate) server_name: Option<String>,
}

impl Tls {
    /// Verify against the system's roots only, no client certificate.
    pub fn new() -> Tls {
        Tls::default()
    }

    /// Also trust the CA certificates in this PEM file.
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Tls {
        self.ca_file = Some(path.into());
        self
    }

    /// Present this client certificate chain and key (PEM files) when the server asks.
    pub fn client_cert(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Tls {
        self.client_cert = Some((cert.into(), key.into()));
        self
    }

    /// Verify the server's certificate for this name instead of the host connected to.
    pub fn server_name(mut self, name: impl Into<String>) -> Tls {
        self.server_name = Some(name.into());
        self
    }
}

/// The port Redis listens on by default.
pub const DEFAULT_PORT: u16 = 6379;

impl Config {
    /// Settings for a TCP server with every option at its default.
    pub fn new(host: impl Into<String>, port: u16) -> Config {
        Config::with_addr(Addr::Tcp {
            host: host.into(),
            port,
        })
    }

    /// Settings for `addr` with every option at its default.
    pub fn with_addr(addr: Addr) -> Config {
        Config {
            addr,
            username: None,
            password: None,
            db: 0,
            protocol: Protocol::Auto,
            client_name: None,
            connect_timeout: Duration::from_secs(10),
            response_timeout: None,
            tls: None,
            pool: PoolSettings::default(),
            replica_reads: false,
            require_master: false,
            client_cache: None,
        }
    }

    /// Parses a connection URL (see the type's docs for the forms).
    pub fn from_url(text: &str) -> Result<Config> {
        let url = url::Url::parse(text).map_err(|e| Error::config(format!("invalid URL: {e}")))?;
        let mut config = match url.scheme() {
            "redis" | "rediss" | "redis+tls" => {
                let host = match url.host() {
                    Some(url::Host::Ipv6(ip)) => ip.to_string(),
                    Some(host) => host.to_string(),
                    None => return Err(Error::config("invalid URL: no host")),
                };
                let mut config = Config::new(host, url.port().unwrap_or(DEFAULT_PORT));
                let path = url.path().trim_start_matches('/');
                if !path.is_empty() {
                    config.db = path.parse().map_err(|_| {
                        Error::config(format!("invalid URL: database `{path}` is not a number"))
                    })?;
                }
                config
            }
            "redis+unix" | "unix" => {
                let path = url.path();
                if path.is_empty() || path == "/" {
                    return Err(Error::config("invalid URL: no socket path"));
                }
                Config::with_addr(Addr::Unix(PathBuf::from(path)))
            }
            other => {
                return Err(Error::config(format!(
                    "invalid URL: unknown scheme `{other}`"
                )));
            }
        };
        if matches!(url.scheme(), "rediss" | "redis+tls") {
            if !cfg!(feature = "tls") {
                return Err(Error::config("rediss:// needs redtyped's `tls` feature"));
            }
            config.tls = Some(Tls::default());
        }
        if !url.username().is_empty() {
            config.username = Some(decode(url.username())?);
        }
        if let Some(password) = url.password() {
            config.password = Some(decode(password)?);
        }
        for (key, value) in url.query_pairs() {
            match &*key {
                "protocol" | "resp" => {
                    config.protocol = match &*value {
                        "2" | "resp2" => Protocol::Resp2,
                        "3" | "resp3" => Protocol::Resp3,
                        "auto" => Protocol::Auto,
                        _ => {
                            return Err(Error::config(format!(
                                "invalid URL: protocol `{value}` (2, 3 or auto)"
                            )));
                        }
                    }
                }
                "db" => {
                    config.db = value.parse().map_err(|_| {
                        Error::config(format!("invalid URL: database `{value}` is not a number"))
                    })?
                }
                "client_name" | "name" => config.client_name = Some(value.into_owned()),
                "connect_timeout" => config.connect_timeout = duration(&value)?,
                "timeout" | "response_timeout" => config.response_timeout = Some(duration(&value)?),
                "pool_max" => config.pool = config.pool.max_size(count(&key, &value)?),
                "pool_min" => config.pool = config.pool.min_idle(count(&key, &value)?),
                "pool_timeout" => config.pool = config.pool.acquire_timeout(duration(&value)?),
                "pool_idle_timeout" => {
                    let timeout = match &*value {
                        "none" | "0" => None,
                        _ => Some(duration(&value)?),
                    };
                    config.pool = config.pool.idle_timeout(timeout);
                }
                "pool_check_after" => config.pool = config.pool.check_after(duration(&value)?),
                "tls_ca" | "tls_cert" | "tls_key" | "tls_server_name" => {
                    let tls = config.tls.as_mut().ok_or_else(|| {
                        Error::config(format!("invalid URL: `{key}` needs rediss://"))
                    })?;
                    match &*key {
                        "tls_ca" => tls.ca_file = Some(PathBuf::from(&*value)),
                        "tls_server_name" => tls.server_name = Some(value.into_owned()),
                        "tls_cert" => {
                            let key_file =
                                tls.client_cert.take().map(|(_, k)| k).unwrap_or_default();
                            tls.client_cert = Some((PathBuf::from(&*value), key_file));
                        }
                        _ => {
                            let cert_file =
                                tls.client_cert.take().map(|(c, _)| c).unwrap_or_default();
                            tls.client_cert = Some((cert_file, PathBuf::from(&*value)));
                        }
                    }
                }
                other => {
                    return Err(Error::config(format!(
                        "invalid URL: unknown option `{other}`"
                    )));
                }
            }
        }
        if let Some((cert, key)) = config.tls.as_ref().and_then(|t| t.client_cert.as_ref()) {
            if cert.as_os_str().is_empty() || key.as_os_str().is_empty() {
                return Err(Error::config(
                    "invalid URL: tls_cert and tls_key go together",
                ));
            }
        }
        Ok(config)
    }

    /// Connects over TLS with these settings.
    pub fn tls(mut self, tls: Tls) -> Config {
        self.tls = Some(tls);
        self
    }

    /// The TLS settings, when the connection uses TLS.
    pub fn tls_settings(&self) -> Option<&Tls> {
        self.tls.as_ref()
    }

    /// The server's address.
    pub fn addr(&self) -> &Addr {
        &self.addr
    }

    /// The database selected at connect.
    pub fn db(&self) -> i64 {
        self.db
    }

    /// The protocol setting.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The ACL user name, if any.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// True when a password is set (the password itself is never shown).
    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }

    pub(crate) fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// The name set with `CLIENT SETNAME` at connect.
    pub fn client_name(&self) -> Option<&str> {
        self.client_name.as_deref()
    }

    /// How long a command may wait for its reply, if bounded.
    pub fn get_response_timeout(&self) -> Option<Duration> {
        self.response_timeout
    }

    /// How long connecting (including the handshake) may take.
    pub fn get_connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// Uses ACL user `username` with `password`.
    pub fn user(mut self, username: impl Into<String>, password: impl Into<String>) -> Config {
        self.username = Some(username.into());
        self.password = Some(password.into());
        self
    }

    /// Authenticates as the default user with `password` (`requirepass`).
    pub fn password_only(mut self, password: impl Into<String>) -> Config {
        self.username = None;
        self.password = Some(password.into());
        self
    }

    /// Selects database `db` at connect.
    pub fn database(mut self, db: i64) -> Config {
        self.db = db;
        self
    }

    /// Chooses the protocol.
    pub fn resp(mut self, protocol: Protocol) -> Config {
        self.protocol = protocol;
        self
    }

    /// Sets the connection's name (`CLIENT SETNAME`) at connect.
    pub fn name(mut self, name: impl Into<String>) -> Config {
        self.client_name = Some(name.into());
        self
    }

    /// Bounds connecting, including the handshake.
    pub fn connect_timeout(mut self, timeout: Duration) -> Config {
        self.connect_timeout = timeout;
        self
    }

    /// Sizes and checks the connections the client lends to blocking commands
    /// and `watching`, and those of a [`Pool`](crate::Pool) made with this config.
    pub fn pool(mut self, settings: PoolSettings) -> Config {
        self.pool = settings;
        self
    }

    /// These settings for another server of the same deployment (a cluster node).
    pub(crate) fn for_node(&self, host: &str, port: u16) -> Config {
        let mut config = self.clone();
        config.addr = Addr::Tcp {
            host: host.to_string(),
            port,
        };
        config
    }

    /// The pool settings.
    pub fn pool_settings(&self) -> &PoolSettings {
        &self.pool
    }

    /// Bounds how long each command waits for its reply. A command that times
    /// out fails with [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) and
    /// [`Outcome::Unknown`](crate::Outcome::Unknown) (it may still run); its
    /// reply, when it comes, is read and discarded. Unbounded by default.
    pub fn response_timeout(mut self, timeout: Duration) -> Config {
        self.response_timeout = Some(timeout);
        self
    }
}

impl Config {
    /// Keeps the replies of cacheable reads (GET, HGETALL, ZRANGE…: commands
    /// flagged [`CommandFlags::CACHEABLE`](crate::CommandFlags::CACHEABLE),
    /// derived from the spec) in a local cache of up to `entries` replies,
    /// kept fresh by the server: the connection turns on `CLIENT TRACKING`
    /// and the server pushes an invalidation whenever a key read through it
    /// changes (by any client), which drops that key's replies. A repeated
    /// read of an unchanged key costs no round trip.
    ///
    /// Needs RESP3, where invalidations arrive on the connection itself:
    /// connecting with RESP2 fails with a [`Config`](crate::ErrorKind::Config)
    /// error rather than cache without invalidation. The cache is emptied
    /// whenever the connection is lost (invalidations may have been missed)
    /// and tracking is turned on again on the new connection. Only the shared
    /// client caches: pipelines, transactions and dedicated connections
    /// always ask the server. When full, the oldest reply is evicted.
    ///
    /// Freshness: a read answered from the cache returns the value as of the
    /// last invalidation this client received; a write by another client is
    /// seen once its invalidation arrived, normally well under a
    /// millisecond later on a local network. A reply is cached by the
    /// connection's task in the order the server sent it, so an invalidation
    /// sent after a read's reply always removes it: a read in flight never
    /// caches a value older than an invalidation already processed.
    ///
    /// ```no_run
    /// # async fn demo() -> redtyped::Result<()> {
    /// use redtyped::{Client, Config};
    /// let config = Config::from_url("redis://127.0.0.1:6379")?.client_cache(10_000);
    /// let client = Client::connect_with(config).await?;
    /// let a: Option<String> = client.get("config:flag").await?; // from the server
    /// let b: Option<String> = client.get("config:flag").await?; // from the cache
    /// # Ok(()) }
    /// ```
    pub fn client_cache(mut self, entries: usize) -> Config {
        self.client_cache = Some(entries.max(1));
        self
    }

    /// The client-side cache's size in replies, when it is on.
    pub fn get_client_cache(&self) -> Option<usize> {
        self.client_cache
    }

    /// The same settings without the client-side cache, for connections that
    /// do not cache (a subscriber, a dedicated connection).
    pub(crate) fn without_client_cache(&self) -> Config {
        Config {
            client_cache: None,
            ..self.clone()
        }
    }
}

fn decode(text: &str) -> Result<String> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| Error::config("invalid URL: user or password is not UTF-8"))
}

fn count(key: &str, text: &str) -> Result<usize> {
    text.parse()
        .map_err(|_| Error::config(format!("invalid URL: {key} `{text}` is not a count")))
}

fn duration(text: &str) -> Result<Duration> {
    let bad = || {
        Error::config(format!(
            "invalid URL: duration `{text}` (e.g. 2, 1.5s, 250ms)"
        ))
    };
    let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 0.001)
    } else if let Some(s) = text.strip_suffix('s') {
        (s, 1.0)
    } else {
        (text, 1.0)
    };
    let value: f64 = number.parse().map_err(|_| bad())?;
    Duration::try_from_secs_f64(value * scale).map_err(|_| bad())
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("db", &self.db)
            .field("protocol", &self.protocol)
            .field("client_name", &self.client_name)
            .field("connect_timeout", &self.connect_timeout)
            .field("response_timeout", &self.response_timeout)
            .field("tls", &self.tls)
            .field("pool", &self.pool)
            .field("client_cache", &self.client_cache)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let c = Config::from_url("redis://127.0.0.1").unwrap();
        assert_eq!(
            c.addr(),
            &Addr::Tcp {
                host: "127.0.0.1".into(),
                port: 6379
            }
        );
        assert_eq!(c.db(), 0);
        let c =
            Config::from_url("redis://:p%40ss@localhost:7000/3?protocol=3&timeout=250ms").unwrap();
        assert_eq!(c.password(), Some("p@ss"));
        assert_eq!(c.username(), None);
        assert_eq!(c.db(), 3);
        assert_eq!(c.protocol(), Protocol::Resp3);
        assert_eq!(c.response_timeout, Some(Duration::from_millis(250)));
        let c = Config::from_url("redis+unix:///tmp/r.sock?db=4").unwrap();
        assert_eq!(c.addr(), &Addr::Unix("/tmp/r.sock".into()));
        assert_eq!(c.db(), 4);
        let c = Config::from_url("unix:///tmp/r.sock").unwrap();
        assert_eq!(c.addr().to_string(), "unix:/tmp/r.sock");
        let c = Config::from_url("redis://[::1]:7001").unwrap();
        assert_eq!(c.addr().to_string(), "[::1]:7001");
    }

    #[test]
    fn rejects_bad_urls_readably() {
        for (url, says) in [
            ("not a url", "invalid URL"),
            ("http://x", "unknown scheme `http`"),
            ("redis://h/notadb", "database `notadb`"),
            ("redis://h?protocol=9", "protocol `9`"),
            ("redis://h?bogus=1", "unknown option `bogus`"),
            ("redis://h?timeout=soon", "duration `soon`"),
            ("unix://", "no socket path"),
        ] {
            let e = Config::from_url(url).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Config, "{url}");
            assert!(e.to_string().contains(says), "{url}: {e}");
        }
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let c = Config::from_url("redis://bob:hunter2@h").unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
