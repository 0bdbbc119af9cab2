//! A TCP proxy for fault tests: it sits between a client and a server and
//! lets a test hold, slow, cut, corrupt, drop or refuse the traffic at any
//! moment, while counting connections and bytes.
//!
//! The proxy runs on a thread of its own with its own tokio runtime, so it
//! keeps forwarding while the test's thread blocks (a synchronous
//! [`Server::cli`](crate::Server::cli), a [`wait_until`](crate::wait_until)),
//! and its controls are plain synchronous methods callable from sync and
//! async tests alike.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::AbortHandle;

use crate::wait::poll_until;

/// How long [`Proxy::drop_all`] waits for the dropped connections to close.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(10);
/// The most bytes a connection reads in one go, per direction.
const CHUNK: usize = 16 * 1024;

/// Which way bytes flow through the [`Proxy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the client to the server (commands).
    ToServer,
    /// From the server to the client (replies).
    ToClient,
}

impl Direction {
    fn index(self) -> usize {
        match self {
            Direction::ToServer => 0,
            Direction::ToClient => 1,
        }
    }
}

/// An in-process TCP proxy on a free loopback port in front of an upstream
/// address, with controls for fault tests. Dropping it closes every
/// connection and the listener.
///
/// Every control applies at once, to traffic already on its way too:
///
/// * [`pause`](Self::pause) / [`resume`](Self::resume) a direction: bytes are
///   held (not read any further, so the sender sees back-pressure), never dropped;
/// * [`set_delay`](Self::set_delay): wait this long before forwarding each chunk;
/// * [`cut_after`](Self::cut_after): the connections open now forward exactly
///   N more bytes in a direction, then both their sides are closed;
///   [`pause_after`](Self::pause_after): the same, but the direction is then
///   paused instead;
/// * [`inject`](Self::inject): send bytes of the test's own to the client
///   (a malformed reply), ahead of anything held;
/// * [`drop_all`](Self::drop_all): close every connection open now;
/// * [`refuse`](Self::refuse) / [`allow`](Self::allow): accept new
///   connections and close them at once (an outage), or forward them again.
///
/// Counters: connections [`accepted`](Self::accepted) (refused ones
/// included, so a test can count a client's reconnect attempts), connections
/// [`open`](Self::open), and bytes [`forwarded`](Self::forwarded) per direction.
///
/// # Example
///
/// ```no_run
/// use redtyped_tests::{Direction, Proxy, Server};
///
/// let server = Server::start();
/// let proxy = Proxy::start(&server.addr());
/// // Point the client under test at `proxy.addr()` instead of `server.addr()`.
/// let url = format!("redis://{}", proxy.addr());
/// # let _ = url;
/// proxy.pause(Direction::ToClient); // replies are held ...
/// proxy.resume(Direction::ToClient); // ... and delivered
/// proxy.cut_after(Direction::ToClient, 10); // the next reply is cut after 10 bytes
/// proxy.refuse(); // an outage: new connections are closed at once ...
/// proxy.drop_all(); // ... and the open ones are dropped
/// assert_eq!(proxy.open(), 0);
/// proxy.allow();
/// ```
#[derive(Debug)]
pub struct Proxy {
    port: u16,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[derive(Debug)]
struct Shared {
    upstream: SocketAddr,
    controls: Mutex<Controls>,
    /// Bumped on every change of the controls, so connections waiting on a
    /// paused direction (or reading) re-check them.
    changed: watch::Sender<u64>,
    accepted: AtomicU64,
    forwarded: [AtomicU64; 2],
}

#[derive(Debug, Default)]
struct Controls {
    paused: [bool; 2],
    delay: [Duration; 2],
    refusing: bool,
    next_id: u64,
    connections: HashMap<u64, Connection>,
}

/// What the controls say about one open connection.
#[derive(Debug)]
struct Connection {
    abort: AbortHandle,
    /// Bytes each direction may still forward before `then` happens.
    limit: [Option<Limit>; 2],
    /// Bytes to write to the client before anything else.
    inject: Vec<u8>,
}

#[derive(Debug, Clone, Copy)]
struct Limit {
    bytes: u64,
    then: AtLimit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AtLimit {
    Cut,
    Pause,
}

impl Proxy {
    /// Starts a proxy on a free `127.0.0.1` port in front of `upstream`
    /// (`"127.0.0.1:6379"`). Each accepted connection opens its own upstream
    /// connection; when that fails (the server is down) the client's
    /// connection is closed at once.
    ///
    /// ```no_run
    /// let server = redtyped_tests::Server::start();
    /// let proxy = redtyped_tests::Proxy::start(&server.addr());
    /// assert_ne!(proxy.port(), server.port());
    /// ```
    #[track_caller]
    pub fn start(upstream: &str) -> Proxy {
        let upstream: SocketAddr = upstream
            .parse()
            .unwrap_or_else(|e| panic!("proxy upstream {upstream:?} is not an address: {e}"));
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .unwrap_or_else(|e| panic!("the proxy cannot bind a loopback port: {e}"));
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let port = listener
            .local_addr()
            .expect("the listener's address")
            .port();
        let shared = Arc::new(Shared {
            upstream,
            controls: Mutex::new(Controls::default()),
            changed: watch::Sender::new(0),
            accepted: AtomicU64::new(0),
            forwarded: [AtomicU64::new(0), AtomicU64::new(0)],
        });
        let (shutdown, stop) = tokio::sync::oneshot::channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("the proxy's runtime");
        let for_thread = shared.clone();
        let thread = std::thread::Builder::new()
            .name(format!("proxy-{port}"))
            .spawn(move || {
                runtime.block_on(async move {
                    let listener =
                        TcpListener::from_std(listener).expect("a tokio listener for the proxy");
                    tokio::select! {
                        _ = accept_loop(listener, for_thread) => {}
                        _ = stop => {}
                    }
                });
                // Dropping the runtime drops every connection task, closing their sockets.
            })
            .expect("the proxy's thread");
        Proxy {
            port,
            shared,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// The port the proxy listens on, on `127.0.0.1`.
    ///
    /// ```no_run
    /// # let proxy = redtyped_tests::Proxy::start("127.0.0.1:6379");
    /// let config = redtyped::Config::new("127.0.0.1", proxy.port());
    /// ```
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `"127.0.0.1:PORT"` of the proxy.
    ///
    /// ```no_run
    /// # let proxy = redtyped_tests::Proxy::start("127.0.0.1:6379");
    /// let url = format!("redis://{}/0", proxy.addr());
    /// ```
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Stops forwarding in `direction`: bytes stay where they are (in the
    /// proxy and in socket buffers) until [`resume`](Self::resume).
    ///
    /// ```no_run
    /// # let proxy = redtyped_tests::Proxy::start("127.0.0.1:6379");
    /// proxy.pause(redtyped_tests::Direction::ToClient);
    /// ```
    pub fn pause(&self, direction: Direction) {
        self.update(|c| c.paused[direction.index()] = true);
    }

    /// Forwards `direction` again, starting with what was held.
    ///
    /// ```no_run
    /// # let proxy = redtyped_tests::Proxy::start("127.0.0.1:6379");
    /// proxy.resume(redtyped_tests::Direction::ToClient);
    /// ```
    pub fn resume(&self, direction: Direction) {
        self.update(|c| c.paused[direction.index()] = false);
    }

    /// Waits `delay` before forwarding each chunk read in `direction`
    /// (`Duration::ZERO` to stop delaying).
    ///
    /// ```no_run
    /// # let proxy = redtyped_tests::Proxy::start("127.0.0.1:6379");
    /// proxy.set_delay(redtyped_tests::Direction::ToClient, std::time::Duration::from_millis(5));
    /// ```
    pub fn set_delay(&self, direction: Direction, delay: Duration) {
        self.update(|c| c.delay[direction.index()] = delay);
    }

    /// Each connection open now forwards exactly `bytes` more bytes in
    /// `direction`, then both its sides are closed (the client sees the
    /// connection end after a partial reply or request). Connections
    /// accepted later are not affected.
    ///
    /// ```no_run
    /// # let proxy = redtyped_tests::Proxy::start("127.0.0.1:6379");
    /// proxy.cut_after(redtyped_tests::Direction::ToClient, 100);
    /// ```
    pub fn cut_after(&self, direction: Direction, bytes: u64) {
        self.limit(direction, bytes, AtLimit::Cut);
    }

    /// Each connection open now forwards exactly `bytes` more bytes in
    /// `direction`; then `direction` is paused (for every connection, as by
    /// [`pause`](Self::pause)) until [`resume`](Self::resume).
    ///
    /// ```no_run
    /// # let proxy = redtyped_tests::Proxy::start("127.0.0.1:6379");
    /// // Let exactly one 14-byte command through, hold the rest.
    /// proxy.pause_after(redtyped_tests::Direction::ToServer, 14);
    /// ```
    pub fn pause_after(&self, direction: Direction, bytes: u64) {
        self.limit(direction, bytes, AtLimit::Pause);
    }

    fn limit(&self, direction: Direction, bytes: u64, then: AtLimit) {
        self.update(|c| {
            for connection in c.connections.values_mut() {
                connection.limit[direction.index()] = Some(Limit { bytes, then });
            }
        });
    }

    /// Sends `bytes` to the client of every connection open now, ahead of
    /// any reply bytes the proxy holds or reads later: a corrupted reply.
    /// Sent even while [`Direction::ToClient`] is paused.
    ///
    /// ```no_run
    /// # let proxy = redtyped_tests::Proxy::start("127.0.0.1:6379");
    /// proxy.inject(b"?not resp\r\n");
    /// ```
    pub fn inject(&self, bytes: &[u8]) {
        self.update(|c| {
            for connection in c.connections.values_mut() {
                connection.inject.extend_from_slice(bytes);
            }
        });
    }

    /// Closes every connection open now, both sides, without forwarding
    /// anything more, and returns once they are closed. New connections are
    /// accepted as before (see [`refuse`](Self::refuse)).
    ///
    /// ```no_run
    /// # let proxy = redtyped_tests::Proxy::start("127.0.0.1:6379");
    /// proxy.drop_all();
    /// ```
    #[track_caller]
    pub fn drop_all(&self) {
        let dropped: Vec<u64> = {
            let controls = self.controls();
            for connection in controls.connections.values() {
                connection.abort.abort();
            }
            controls.connections.keys().copied().collect()
        };
        let closed = poll_until(CLOSE_TIMEOUT, || {
            let controls = self.controls();
            dropped
                .iter()
                .all(|id| !controls.connections.contains_key(id))
                .then_some(())
        });
        assert!(
            closed.is_some(),
            "the proxy's connections did not close within {CLOSE_TIMEOUT:?}"
        );
    }

    /// Closes every new connection as soon as it is accepted (it still
    /// counts in [`accepted`](Self::accepted)), until [`allow`](Self::allow).
    /// Connections open now are not affected: combine with
    /// [`drop_all`](Self::drop_all) for a full outage.
    ///
    /// ```no_run
    /// # let proxy = redtyped_tests::Proxy::start("127.0.0.1:6379");
    /// proxy.refuse();
    /// proxy.drop_all();
    /// ```
    pub fn refuse(&self) {
        self.update(|c| c.refusing = true);
    }

    /// Forwards new connections again after [`refuse`](Self::refuse).
    ///
    /// ```no_run
    /// # let proxy = redtyped_tests::Proxy::start("127.0.0.1:6379");
    /// proxy.allow();
    /// ```
    pub fn allow(&self) {
        self.update(|c| c.refusing = false);
    }

    /// Connections accepted so far, refused ones included.
    ///
    /// ```no_run
    /// # let proxy = redtyped_tests::Proxy::start("127.0.0.1:6379");
    /// let before = proxy.accepted();
    /// ```
    pub fn accepted(&self) -> u64 {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Connections open now (accepted, forwarding, not yet closed).
    ///
    /// ```no_run
    /// # let proxy = redtyped_tests::Proxy::start("127.0.0.1:6379");
    /// assert_eq!(proxy.open(), 0);
    /// ```
    pub fn open(&self) -> usize {
        self.controls().connections.len()
    }

    /// Bytes forwarded so far in `direction`, over all connections
    /// ([`inject`](Self::inject)ed bytes not included).
    ///
    /// ```no_run
    /// # let proxy = redtyped_tests::Proxy::start("127.0.0.1:6379");
    /// let sent = proxy.forwarded(redtyped_tests::Direction::ToServer);
    /// ```
    pub fn forwarded(&self, direction: Direction) -> u64 {
        self.shared.forwarded[direction.index()].load(Ordering::SeqCst)
    }

    fn controls(&self) -> MutexGuard<'_, Controls> {
        self.shared.lock()
    }

    fn update(&self, change: impl FnOnce(&mut Controls)) {
        change(&mut self.controls());
        self.shared.changed.send_modify(|v| *v += 1);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Controls> {
        // A test that panicked while holding the lock leaves consistent controls.
        self.controls.lock().unwrap_or_else(|p| p.into_inner())
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        // Registered, spawned and given its abort handle under one lock, so
        // `drop_all` never sees a connection it cannot abort.
        let mut controls = shared.lock();
        if controls.refusing {
            drop(client);
            continue;
        }
        controls.next_id += 1;
        let id = controls.next_id;
        let guard = Registered {
            shared: shared.clone(),
            id,
        };
        let task = tokio::spawn(async move {
            let shared = guard.shared.clone();
            let _guard = guard;
            let Ok(server) = TcpStream::connect(shared.upstream).await else {
                return;
            };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let (client_read, client_write) = client.into_split();
            let (server_read, server_write) = server.into_split();
            // The connection ends when either direction ends (EOF, error or a cut).
            tokio::select! {
                _ = pump(&shared, id, Direction::ToServer, client_read, server_write) => {}
                _ = pump(&shared, id, Direction::ToClient, server_read, client_write) => {}
            }
        });
        controls.connections.insert(
            id,
            Connection {
                abort: task.abort_handle(),
                limit: [None, None],
                inject: Vec::new(),
            },
        );
    }
}

/// Removes a connection from the controls when its task ends or is aborted.
struct Registered {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.shared.lock().connections.remove(&self.id);
    }
}

/// What one direction of a connection may do now.
enum Step {
    /// Write these injected bytes first.
    Inject(Vec<u8>),
    /// Wait for the controls to change.
    Hold,
    /// Read and forward up to this many bytes.
    Forward(usize),
    /// Close the connection.
    Cut,
}

fn next_step(shared: &Shared, id: u64, direction: Direction) -> Step {
    let mut controls = shared.lock();
    let d = direction.index();
    let paused = controls.paused[d];
    let Some(connection) = controls.connections.get_mut(&id) else {
        return Step::Cut;
    };
    if direction == Direction::ToClient && !connection.inject.is_empty() {
        return Step::Inject(std::mem::take(&mut connection.inject));
    }
    if paused {
        return Step::Hold;
    }
    match connection.limit[d] {
        Some(Limit { bytes: 0, then }) => {
            connection.limit[d] = None;
            match then {
                AtLimit::Cut => Step::Cut,
                AtLimit::Pause => {
                    controls.paused[d] = true;
                    drop(controls);
                    shared.changed.send_modify(|v| *v += 1);
                    Step::Hold
                }
            }
        }
        Some(Limit { bytes, .. }) => Step::Forward(CHUNK.min(bytes.try_into().unwrap_or(CHUNK))),
        None => Step::Forward(CHUNK),
    }
}

/// Forwards one direction of a connection under the controls until EOF, an
/// error or a cut.
async fn pump(
    shared: &Shared,
    id: u64,
    direction: Direction,
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
) {
    let mut changed = shared.changed.subscribe();
    let mut buf = vec![0u8; CHUNK];
    loop {
        changed.mark_unchanged();
        let max = match next_step(shared, id, direction) {
            Step::Inject(bytes) => {
                if to.write_all(&bytes).await.is_err() {
                    return;
                }
                continue;
            }
            Step::Hold => {
                if changed.changed().await.is_err() {
                    return;
                }
                continue;
            }
            Step::Cut => {
                let _ = to.shutdown().await;
                return;
            }
            Step::Forward(max) => max,
        };
        let n = tokio::select! {
            // Controls first: a limit set before bytes arrive must bound their read.
            biased;
            _ = changed.changed() => continue,
            read = from.read(&mut buf[..max]) => match read {
                Ok(0) | Err(_) => {
                    let _ = to.shutdown().await;
                    return;
                }
                Ok(n) => n,
            },
        };
        // Bytes read before a pause are held here until it ends, not dropped.
        loop {
            changed.mark_unchanged();
            let (paused, delay, inject) = {
                let mut controls = shared.lock();
                let d = direction.index();
                let (paused, delay) = (controls.paused[d], controls.delay[d]);
                let Some(connection) = controls.connections.get_mut(&id) else {
                    return;
                };
                let inject = match direction {
                    Direction::ToClient => std::mem::take(&mut connection.inject),
                    Direction::ToServer => Vec::new(),
                };
                (paused, delay, inject)
            };
            if !inject.is_empty() {
                if to.write_all(&inject).await.is_err() {
                    return;
                }
                continue;
            }
            if !paused {
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                break;
            }
            if changed.changed().await.is_err() {
                return;
            }
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
        shared.forwarded[direction.index()].fetch_add(n as u64, Ordering::SeqCst);
        if let Some(connection) = shared.lock().connections.get_mut(&id) {
            if let Some(limit) = &mut connection.limit[direction.index()] {
                limit.bytes = limit.bytes.saturating_sub(n as u64);
            }
        }
    }
}

#[cfg(test)]
mod tests;
