//! Connections of their own, lent out one caller at a time.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::client::Client;
use crate::config::Config;
use crate::error::{Error, ErrorKind, Outcome, Result};

/// How a [`Pool`] sizes, checks and retires its connections. Set on a
/// [`Config`] with [`Config::pool`], or as URL options `pool_max`,
/// `pool_min`, `pool_timeout`, `pool_idle_timeout`, `pool_check_after`.
///
/// ```
/// use std::time::Duration;
/// use redtyped::{Config, PoolSettings};
///
/// let settings = PoolSettings::new()
///     .max_size(32)
///     .min_idle(2)
///     .acquire_timeout(Duration::from_millis(500))
///     .idle_timeout(Some(Duration::from_secs(60)));
/// let config = Config::new("127.0.0.1", 6379).pool(settings);
/// assert_eq!(config.pool_settings().get_max_size(), 32);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSettings {
    max_size: usize,
    min_idle: usize,
    acquire_timeout: Duration,
    idle_timeout: Option<Duration>,
    check_after: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_size: 16,
            min_idle: 0,
            acquire_timeout: Duration::from_secs(5),
            idle_timeout: Some(Duration::from_secs(300)),
            check_after: Duration::from_secs(1),
        }
    }
}

impl PoolSettings {
    /// The defaults: at most 16 connections, none kept open when unused, a
    /// 5-second acquire timeout, idle connections closed after 5 minutes, and a
    /// PING before handing out a connection that sat idle for a second or more.
    pub fn new() -> PoolSettings {
        PoolSettings::default()
    }

    /// The most connections open at once, lent or idle (at least 1).
    pub fn max_size(mut self, max: usize) -> PoolSettings {
        self.max_size = max.max(1);
        self
    }

    /// Connections kept open while unused (re-opened in the background when
    /// fewer remain), at most `max_size`.
    pub fn min_idle(mut self, min: usize) -> PoolSettings {
        self.min_idle = min;
        self
    }

    /// How long [`Pool::get`] waits for a connection before failing with
    /// [`ErrorKind::PoolTimeout`].
    pub fn acquire_timeout(mut self, timeout: Duration) -> PoolSettings {
        self.acquire_timeout = timeout;
        self
    }

    /// Close connections idle for longer than this (beyond `min_idle`); `None`
    /// keeps them.
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> PoolSettings {
        self.idle_timeout = timeout;
        self
    }

    /// PING a connection idle for at least this long before lending it, and
    /// replace it when the PING fails; `Duration::ZERO` checks every checkout.
    pub fn check_after(mut self, idle: Duration) -> PoolSettings {
        self.check_after = idle;
        self
    }

    /// See [`max_size`](Self::max_size).
    pub fn get_max_size(&self) -> usize {
        self.max_size
    }

    /// See [`min_idle`](Self::min_idle).
    pub fn get_min_idle(&self) -> usize {
        self.min_idle.min(self.max_size)
    }

    /// See [`acquire_timeout`](Self::acquire_timeout).
    pub fn get_acquire_timeout(&self) -> Duration {
        self.acquire_timeout
    }

    /// See [`idle_timeout`](Self::idle_timeout).
    pub fn get_idle_timeout(&self) -> Option<Duration> {
        self.idle_timeout
    }

    /// See [`check_after`](Self::check_after).
    pub fn get_check_after(&self) -> Duration {
        self.check_after
    }
}

/// A pool of connections each lent to one caller at a time, for commands
/// that block a connection or change its state, and for work that needs a
/// connection to itself.
///
/// Every [`Client`] has one ([`Client::pool`]), from which it lends
/// connections by itself to blocking commands (BLPOP, WAIT, XREAD … BLOCK)
/// and to [`Client::watching`]; a `Pool` can also stand alone. Pooled
/// connections never reconnect on their own (a new connection would silently
/// drop a WATCH or a blocked pop): a lost one fails what it was running and
/// is replaced.
///
/// A connection goes back to the pool when its [`PooledConnection`] is
/// dropped, and only when it is known clean: nothing in flight, no command
/// that changes connection state sent on it (SELECT, CLIENT REPLY, SUBSCRIBE,
/// any [`Raw`](crate::Raw) command), no WATCH left, no other handle to it
/// kept. Otherwise it is closed, so a connection is never lent in a state
/// its previous user left it in.
///
/// ```no_run
/// # async fn demo() -> redtyped::Result<()> {
/// use redtyped::{cmd, Pool};
/// let pool = Pool::connect("redis://127.0.0.1:6379?pool_max=4").await?;
/// let conn = pool.get().await?;                  // exclusive until dropped
/// conn.send(cmd::select(2)).await?;               // state changes are allowed here
/// let popped = conn.blpop::<String, _>(["jobs"], 0.5).await?;
/// drop(conn);                                     // closed, not reused: it ran SELECT
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Pool {
    shared: Arc<Shared>,
}

pub(crate) struct Shared {
    config: Config,
    settings: PoolSettings,
    /// One permit per connection lent out or being opened.
    permits: Arc<Semaphore>,
    idle: Mutex<VecDeque<Idle>>,
}

struct Idle {
    connection: Client,
    since: Instant,
}

/// How many connections a pool has (see [`Pool::status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolStatus {
    /// Connections lent out (or being opened for a caller).
    pub in_use: usize,
    /// Connections open and waiting in the pool.
    pub idle: usize,
    /// The most connections the pool opens at once.
    pub max_size: usize,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("addr", self.shared.config.addr())
            .field("status", &self.status())
            .finish()
    }
}

impl Pool {
    /// A pool for the server at `url` (see [`Config`]), opening `min_idle`
    /// connections before it returns.
    pub async fn connect(url: &str) -> Result<Pool> {
        Pool::connect_with(Config::from_url(url)?).await
    }

    /// A pool with `config` (its [`PoolSettings`] included), opening
    /// `min_idle` connections before it returns.
    pub async fn connect_with(config: Config) -> Result<Pool> {
        let pool = Pool::new(config);
        for _ in 0..pool.shared.settings.get_min_idle() {
            let connection = Client::open_pooled(pool.shared.config.clone()).await?;
            pool.shared.put_idle(connection);
        }
        Ok(pool)
    }

    /// A pool that opens connections only when they are asked for (plus
    /// `min_idle` in the background). Must be called within a tokio runtime.
    pub fn new(config: Config) -> Pool {
        let settings = config.pool_settings().clone();
        let shared = Arc::new(Shared {
            permits: Arc::new(Semaphore::new(settings.max_size)),
            idle: Mutex::new(VecDeque::new()),
            settings,
            config,
        });
        if shared.settings.get_min_idle() > 0 || shared.settings.idle_timeout.is_some() {
            tokio::spawn(keep(Arc::downgrade(&shared)));
        }
        Pool { shared }
    }

    /// Takes a connection for the caller's exclusive use until the returned
    /// handle is dropped: an idle one (PINGed first when it sat idle for
    /// [`check_after`](PoolSettings::check_after)), else a new one. Waits at
    /// most the acquire timeout, then fails with [`ErrorKind::PoolTimeout`].
    /// Dropping this future at any point leaves the pool consistent.
    pub async fn get(&self) -> Result<PooledConnection> {
        let limit = self.shared.settings.acquire_timeout;
        match tokio::time::timeout(limit, self.checkout()).await {
            Ok(result) => result,
            Err(_) => Err(Error::new(
                ErrorKind::PoolTimeout,
                Outcome::NotSent,
                format!(
                    "no pooled connection to {} within {limit:?} ({} of {} in use)",
                    self.shared.config.addr(),
                    self.status().in_use,
                    self.shared.settings.max_size
                ),
            )),
        }
    }

    async fn checkout(&self) -> Result<PooledConnection> {
        let permit = self
            .shared
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::closed(Outcome::NotSent, "the pool was closed"))?;
        let check_after = self.shared.settings.check_after;
        while let Some(idle) = self.shared.take_idle() {
            if idle.since.elapsed() < check_after || healthy(&idle.connection).await {
                return Ok(PooledConnection::new(idle.connection, permit, &self.shared));
            }
        }
        let connection = Client::open_pooled(self.shared.config.clone()).await?;
        Ok(PooledConnection::new(connection, permit, &self.shared))
    }

    /// How many connections are lent out and idle.
    pub fn status(&self) -> PoolStatus {
        let max_size = self.shared.settings.max_size;
        PoolStatus {
            in_use: max_size - self.shared.permits.available_permits(),
            idle: self.shared.lock().len(),
            max_size,
        }
    }

    /// The settings every connection of the pool is opened with.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Closes the idle connections and refuses new checkouts (they fail with
    /// a closed error); connections lent out are closed when they come back.
    pub fn close(&self) {
        self.shared.permits.close();
        self.shared.lock().clear();
    }
}

/// A PING with a short bound: a connection that cannot answer it is not lent.
async fn healthy(connection: &Client) -> bool {
    use std::future::IntoFuture;
    let ping = connection
        .ping()
        .into_future()
        .timeout(Duration::from_secs(1));
    matches!(ping.await, Ok(pong) if pong == "PONG")
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, VecDeque<Idle>> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The most recently returned usable connection; expired and closed ones are dropped.
    fn take_idle(&self) -> Option<Idle> {
        let mut idle = self.lock();
        while let Some(candidate) = idle.pop_back() {
            let expired = self
                .settings
                .idle_timeout
                .is_some_and(|limit| candidate.since.elapsed() > limit);
            if !candidate.connection.is_closed() && !expired {
                return Some(candidate);
            }
        }
        None
    }

    fn put_idle(&self, connection: Client) {
        if self.permits.is_closed() {
            return;
        }
        let mut idle = self.lock();
        if idle.len() < self.settings.max_size {
            idle.push_back(Idle {
                connection,
                since: Instant::now(),
            });
        }
    }

    /// Closes idle connections past the idle timeout (keeping `min_idle`), and
    /// opens connections until `min_idle` are idle.
    async fn maintain(self: &Arc<Self>) {
        let min = self.settings.get_min_idle();
        let retired: Vec<Idle> = {
            let mut idle = self.lock();
            idle.retain(|i| !i.connection.is_closed());
            let mut retired = Vec::new();
            if let Some(limit) = self.settings.idle_timeout {
                // Oldest first: the front of the queue was returned longest ago.
                while idle.len() > min && idle.front().is_some_and(|i| i.since.elapsed() > limit) {
                    retired.extend(idle.pop_front());
                }
            }
            retired
        };
        drop(retired);
        while self.lock().len() < min {
            let Ok(permit) = self.permits.clone().try_acquire_owned() else {
                return;
            };
            match Client::open_pooled(self.config.clone()).await {
                Ok(connection) => self.put_idle(connection),
                Err(_) => return,
            }
            drop(permit);
        }
    }
}

/// The pool's upkeep: idle expiry and `min_idle`, until the pool is dropped.
async fn keep(shared: Weak<Shared>) {
    let period = match shared.upgrade() {
        Some(s) => s
            .settings
            .idle_timeout
            .map_or(Duration::from_secs(1), |t| t / 4)
            .clamp(Duration::from_millis(10), Duration::from_secs(5)),
        None => return,
    };
    loop {
        tokio::time::sleep(period).await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        if shared.permits.is_closed() {
            return;
        }
        shared.maintain().await;
    }
}

/// A connection lent by a [`Pool`] for the holder's exclusive use: every
/// command runs on it, including the ones the shared client refuses
/// (SELECT, CLIENT REPLY, MULTI … EXEC by hand). It goes back to the pool
/// when dropped, if it is clean (see [`Pool`]); else it is closed.
///
/// ```no_run
/// # async fn demo(client: redtyped::Client) -> redtyped::Result<()> {
/// use redtyped::cmd;
/// let conn = client.pool().get().await?;
/// conn.send(cmd::client_reply(cmd::ClientReplyOnOffSkip::On)).await?;
/// let n: i64 = conn.incr("n").await?;
/// # Ok(()) }
/// ```
pub struct PooledConnection {
    connection: Option<Client>,
    _permit: OwnedSemaphorePermit,
    pool: Arc<Shared>,
}

impl PooledConnection {
    fn new(connection: Client, permit: OwnedSemaphorePermit, pool: &Arc<Shared>) -> Self {
        PooledConnection {
            connection: Some(connection),
            _permit: permit,
            pool: pool.clone(),
        }
    }

    /// Closes the connection instead of returning it to the pool.
    pub fn discard(mut self) {
        self.connection.take();
    }
}

impl std::ops::Deref for PooledConnection {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.connection
            .as_ref()
            .expect("a pooled connection is present until dropped")
    }
}

impl std::fmt::Debug for PooledConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PooledConnection")
            .field(&self.connection)
            .finish()
    }
}

impl Drop for PooledConnection {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            if connection.is_reusable() {
                self.pool.put_idle(connection);
            } else if connection.is_sole_handle() && connection.stats().in_flight > 0 {
                // A blocking command still waits on it: close the socket now
                // rather than hold it until the server gives up.
                connection.abort();
            }
        }
    }
}
