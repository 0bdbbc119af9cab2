//! The client handle.

use std::borrow::Cow;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::sync::oneshot;

use crate::command::{Command, CommandFlags, Placement};
use crate::config::{Addr, Config};
use crate::connection::{self, Resp, error_text};
use crate::error::{Error, ErrorKind, Outcome, Result};
use crate::pool::{Pool, PooledConnection};
use crate::queue::{Queue, Slot};
use crate::resp::{ArgWriter, Reader};
use crate::shape::Shape;

/// A connection to one Redis server, shared by every clone.
///
/// `Client` is cheap to clone and `Send + Sync`: clones share one multiplexed
/// connection whose driver task writes every queued command in one batch
/// (automatic pipelining) and matches replies in order. Every command of the
/// spec is a method (`client.get(key)`, `client.set(key, value).nx()`); build
/// it, then `.await` it. Dropping a command's future at any point is safe: its
/// reply is read and discarded, and no other reply shifts.
///
/// ```no_run
/// # async fn demo() -> redtyped::Result<()> {
/// let client = redtyped::Client::connect("redis://127.0.0.1:6379/0").await?;
/// client.set("greeting", "hello").await?;
/// let v: Option<String> = client.get("greeting").await?;
/// let first: bool = client.set("lock", "me").nx().ex(30).await?;
/// let n: i64 = client.incr("visits").await?;
/// # Ok(()) }
/// ```
///
/// When the connection is lost, commands in flight fail with an error whose
/// [`outcome`](Error::outcome) is [`Outcome::Unknown`] (they may have run and
/// are never re-sent), and the client reconnects by itself with exponential
/// back-off and jitter (10 ms up to 2 s), re-running AUTH, SELECT and SETNAME.
/// Commands queued but not yet written go out on the new connection; while a
/// reconnect attempt fails they fail with [`Outcome::NotSent`] (safe to retry).
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    queue: Arc<Queue>,
    config: Config,
    resp: Resp,
    /// Connections lent to blocking commands and `watching`, made on first use.
    pool: OnceLock<Pool>,
    /// This is a pooled connection: it runs commands the shared one refuses,
    /// and it does not reconnect.
    dedicated: bool,
    /// A command that changes connection state (or an unclassified raw
    /// command) ran on this pooled connection: it is not lent again.
    tainted: AtomicBool,
    /// Keys are WATCHed on this pooled connection.
    watching: AtomicBool,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.queue.release("the client was dropped");
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("addr", self.inner.config.addr())
            .field("db", &self.inner.config.db())
            .field("resp", &self.inner.resp)
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl Client {
    /// Connects to the server at `url` (see [`Config`] for the URL forms).
    pub async fn connect(url: &str) -> Result<Client> {
        Client::connect_with(Config::from_url(url)?).await
    }

    /// Connects with `config`: TCP_NODELAY, then `HELLO 3` with `AUTH` and
    /// `SETNAME` (falling back to RESP2 with `AUTH` and `CLIENT SETNAME`), then
    /// `SELECT`. Must be called within a tokio runtime, which runs the driver.
    pub async fn connect_with(config: Config) -> Result<Client> {
        let client = Client::open(config, false).await?;
        if client.inner.config.pool_settings().get_min_idle() > 0 {
            client.pool();
        }
        Ok(client)
    }

    /// A connection for a [`Pool`]: it runs every command and never reconnects.
    pub(crate) async fn open_pooled(config: Config) -> Result<Client> {
        Client::open(config, true).await
    }

    async fn open(config: Config, dedicated: bool) -> Result<Client> {
        // Only the shared connection caches (see `Config::client_cache`).
        let config = if dedicated {
            config.without_client_cache()
        } else {
            config
        };
        let connected = connection::connect(&config).await?;
        let connector = crate::sentinel::Connector::Direct(Box::new(config.clone()));
        Ok(Client::start(connected, connector, config, dedicated))
    }

    /// A client of the master a sentinel set names (see `connect_sentinel`).
    pub(crate) async fn open_sentinel(resolver: Arc<crate::sentinel::Resolver>) -> Result<Client> {
        let (connected, config) = resolver.connect().await?;
        let connector = crate::sentinel::Connector::Sentinel(resolver);
        Ok(Client::start(connected, connector, config, false))
    }

    fn start(
        connected: connection::Connected,
        connector: crate::sentinel::Connector,
        config: Config,
        dedicated: bool,
    ) -> Client {
        let queue = Arc::new(Queue::with_cache(config.get_client_cache()));
        let resp = connected.resp;
        tokio::spawn(crate::driver::run(
            connected,
            queue.clone(),
            connector,
            !dedicated,
        ));
        Client {
            inner: Arc::new(Inner {
                queue,
                config,
                resp,
                pool: OnceLock::new(),
                dedicated,
                tainted: AtomicBool::new(false),
                watching: AtomicBool::new(false),
            }),
        }
    }

    /// The pool this client lends connections from to blocking commands
    /// (BLPOP, WAIT, XREAD … BLOCK) and to [`watching`](Self::watching), sized
    /// by the config's [`PoolSettings`](crate::PoolSettings). Take a connection
    /// for your exclusive use with [`Pool::get`]. Made on first use (at
    /// connect when `min_idle` is set).
    ///
    /// ```no_run
    /// # async fn demo(client: redtyped::Client) -> redtyped::Result<()> {
    /// let conn = client.pool().get().await?;
    /// conn.send(redtyped::cmd::select(1)).await?;
    /// # Ok(()) }
    /// ```
    pub fn pool(&self) -> &Pool {
        self.inner
            .pool
            .get_or_init(|| Pool::new(self.inner.config.clone()))
    }

    /// True when no other handle shares this connection.
    pub(crate) fn is_sole_handle(&self) -> bool {
        Arc::strong_count(&self.inner) == 1
    }

    /// True when this pooled connection can be lent again as it is.
    pub(crate) fn is_reusable(&self) -> bool {
        self.is_sole_handle()
            && !self.is_closed()
            && !self.inner.tainted.load(Ordering::Acquire)
            && !self.inner.watching.load(Ordering::Acquire)
            && self.stats().in_flight == 0
    }

    /// Closes this connection now, failing what is in flight (see `Queue::abort`).
    pub(crate) fn abort(&self) {
        self.inner
            .queue
            .abort("the pooled connection was discarded");
    }

    pub(crate) fn set_watching(&self, watching: bool) {
        self.inner.watching.store(watching, Ordering::Release);
    }

    /// Marks a pooled connection as not to be lent again (see `tainted`).
    pub(crate) fn taint(&self) {
        if self.inner.dedicated {
            self.inner.tainted.store(true, Ordering::Release);
        }
    }

    /// Sends any command value (`redtyped::cmd::*`, or a [`Raw`](crate::Raw))
    /// and returns the future of its typed reply. The command is queued
    /// immediately; the future only waits for the reply.
    ///
    /// ```no_run
    /// # async fn demo(client: redtyped::Client) -> redtyped::Result<()> {
    /// use redtyped::cmd;
    /// let n: i64 = client.send(cmd::incr("n")).await?;
    /// # Ok(()) }
    /// ```
    pub fn send<C: Command>(&self, command: C) -> Response<C::Shape> {
        let name = command.name();
        let span = tracing::debug_span!(
            target: "redtyped",
            "redis.command",
            command = &*name,
            outcome = tracing::field::Empty
        );
        let placement = command.placement();
        if self.inner.dedicated {
            if placement == Placement::Dedicated || C::UNCLASSIFIED {
                self.taint();
            }
        } else {
            match placement {
                Placement::Shared => {}
                Placement::Pooled => return self.lend(command, name, span),
                Placement::Dedicated => {
                    let error = Error::new(
                        ErrorKind::Usage,
                        Outcome::NotSent,
                        "this command changes the state of its connection, so the shared client \
                         does not run it: take a connection of your own with client.pool().get()",
                    );
                    return Response::new(State::Failed(Some(error)), name, None, span);
                }
            }
        }
        let queued = match self.inner.queue.cache() {
            Some(cache) if C::META.flags.contains(CommandFlags::CACHEABLE) => {
                cache.send(&self.inner.queue, command)
            }
            _ => {
                let retry = !self.inner.dedicated && C::META.flags.contains(CommandFlags::READONLY);
                let (tx, rx) = oneshot::channel();
                let encode = |buf: &mut bytes::BytesMut| {
                    let mut w = ArgWriter::begin(buf);
                    command.write_args(&mut w);
                    w.finish();
                };
                self.inner
                    .queue
                    .push(encode, Slot::one(tx, retry))
                    .map(|()| rx)
                    .map_err(|(error, _)| error)
            }
        };
        let state = match queued {
            Ok(rx) => State::Waiting(rx),
            Err(error) => State::Failed(Some(error)),
        };
        let deadline = self
            .inner
            .config
            .get_response_timeout()
            .map(|t| Box::pin(tokio::time::sleep(t)));
        Response::new(state, name, deadline, span)
    }

    /// Runs a command that blocks its connection on a connection lent by the
    /// pool. The client's response timeout does not apply: a blocking command
    /// bounds its own wait (its timeout argument); `Response::timeout` still does.
    fn lend<C: Command>(
        &self,
        command: C,
        name: Cow<'static, str>,
        span: tracing::Span,
    ) -> Response<C::Shape> {
        let mut buf = bytes::BytesMut::new();
        let mut w = ArgWriter::begin(&mut buf);
        command.write_args(&mut w);
        w.finish();
        let pool = self.pool().clone();
        let run = async move {
            let connection: PooledConnection = pool.get().await?;
            let reply = connection.send_encoded(&buf).await;
            drop(connection);
            match reply {
                Ok(reply) => reply,
                Err(_) => Err(Error::closed(
                    Outcome::Unknown,
                    "the pooled connection's driver stopped before the reply arrived",
                )),
            }
        };
        Response::new(State::Boxed(Box::pin(run)), name, None, span)
    }

    /// Queues one pre-encoded command and returns the receiver of its reply.
    pub(crate) fn send_encoded(&self, bytes: &[u8]) -> oneshot::Receiver<Result<Bytes, Error>> {
        let (tx, rx) = oneshot::channel();
        if let Err((error, slot)) = self
            .inner
            .queue
            .push(|buf| buf.extend_from_slice(bytes), Slot::one(tx, false))
        {
            slot.fail(error);
        }
        rx
    }

    /// A pipeline: commands buffered and sent at once, replies as a typed tuple.
    /// Not atomic: other callers' commands may run between its commands.
    pub fn pipeline(&self) -> crate::Pipeline<'_, ()> {
        crate::Pipeline::new(self, false)
    }

    /// A pipeline whose commands hand back handles of their replies, gathered
    /// after it executes (see [`DeferredPipeline`](crate::DeferredPipeline)).
    pub fn deferred(&self) -> crate::DeferredPipeline<'_> {
        crate::DeferredPipeline::new(self)
    }

    /// A MULTI/EXEC transaction with the same typed chain as a pipeline. It is
    /// sent as one contiguous batch, so no other caller's command runs inside
    /// it. Redis does not roll back: a command that fails while EXEC runs
    /// (WRONGTYPE) leaves its error in place of its reply and the others take
    /// effect; a command refused when queued (a syntax error) aborts the whole
    /// transaction with EXECABORT.
    pub fn transaction(&self) -> crate::Pipeline<'_, ()> {
        crate::Pipeline::new(self, true)
    }

    /// Optimistic locking: runs `body` on a connection of its own with `keys`
    /// WATCHed, retrying the whole body when a watched key changed before its
    /// transaction ran (up to 16 attempts; see [`watching_with`](Self::watching_with)).
    ///
    /// The body gets a [`Watch`](crate::Watch) (a cheap handle to the watched
    /// connection) by value, so its future borrows nothing and can run in a
    /// spawned task. Inside, read with the connection's command methods and finish with
    /// `tx.multi()…execute()`, a transaction on the watched connection. The
    /// connection is always left clean: UNWATCH after a body that ends
    /// without EXEC, and a connection whose body panicked or whose future was
    /// dropped is closed rather than reused.
    ///
    /// ```no_run
    /// use redtyped::prelude::*;
    /// # async fn demo(client: redtyped::Client) -> redtyped::Result<()> {
    /// let next: i64 = client
    ///     .watching(["seq"], |tx| async move {
    ///         let current: i64 = tx.get::<i64>("seq").await?.unwrap_or(0);
    ///         tx.multi().set("seq", current + 1).execute().await?;
    ///         Ok(current + 1)
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn watching<'k, K, R, F, Fut>(
        &self,
        keys: K,
        body: F,
    ) -> impl std::future::Future<Output = Result<R>> + use<'_, R, F, Fut, K>
    where
        K: IntoIterator,
        K::Item: Into<crate::Arg<'k>>,
        F: FnMut(crate::Watch) -> Fut,
        Fut: std::future::Future<Output = Result<R>>,
    {
        self.watching_with(keys, 16, body)
    }

    fn watch_command<'k, K>(keys: K) -> crate::Raw<'static, ()>
    where
        K: IntoIterator,
        K::Item: Into<crate::Arg<'k>>,
    {
        // Owned, so the future holding it borrows nothing of the caller's keys.
        crate::Raw::new("WATCH").args(keys.into_iter().map(|k| k.into().into_owned()))
    }

    /// [`watching`](Self::watching) with a bound on the number of attempts; when
    /// every attempt conflicts the error is [`ErrorKind::WatchConflict`].
    pub fn watching_with<'k, K, R, F, Fut>(
        &self,
        keys: K,
        attempts: usize,
        body: F,
    ) -> impl std::future::Future<Output = Result<R>> + use<'_, R, F, Fut, K>
    where
        K: IntoIterator,
        K::Item: Into<crate::Arg<'k>>,
        F: FnMut(crate::Watch) -> Fut,
        Fut: std::future::Future<Output = Result<R>>,
    {
        let watch_keys = Self::watch_command(keys);
        self.watch_loop(watch_keys, attempts, body)
    }

    async fn watch_loop<R, F, Fut>(
        &self,
        keys: crate::Raw<'static, ()>,
        attempts: usize,
        mut body: F,
    ) -> Result<R>
    where
        F: FnMut(crate::Watch) -> Fut,
        Fut: std::future::Future<Output = Result<R>>,
    {
        let mut last = None;
        for _ in 0..attempts.max(1) {
            let connection = self.pool().get().await?;
            let watch = crate::Watch::new(Client::clone(&connection));
            let result = watch.run(keys.clone(), &mut body).await;
            // UNWATCH, then back to the pool if nothing else holds the
            // connection; a dropped future or a panic leaves the WATCH flag
            // set, so the connection is closed rather than reused.
            watch.unwatch().await;
            drop(connection);
            match result {
                Err(e) if e.is_watch_conflict() => last = Some(e),
                other => return other,
            }
        }
        Err(last.unwrap_or_else(|| {
            Error::new(ErrorKind::WatchConflict, Outcome::Completed, "no attempt")
        }))
    }

    /// The queue of this client's connection.
    pub(crate) fn queue(&self) -> &Arc<Queue> {
        &self.inner.queue
    }

    /// The server's address.
    pub fn addr(&self) -> &Addr {
        self.inner.config.addr()
    }

    /// The database selected at connect.
    pub fn db(&self) -> i64 {
        self.inner.config.db()
    }

    /// The protocol the connection speaks.
    pub fn resp(&self) -> Resp {
        self.inner.resp
    }

    /// The settings this client connected with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Queues pre-encoded commands (`bytes` holds `replies` whole commands) as one
    /// contiguous batch and returns the future of all their reply frames.
    pub(crate) fn send_batch(
        &self,
        bytes: &[u8],
        replies: usize,
    ) -> oneshot::Receiver<Result<Vec<Bytes>, Error>> {
        let (tx, rx) = oneshot::channel();
        let slot = Slot::Batch {
            len: 0,
            expected: replies,
            frames: Vec::with_capacity(replies),
            tx,
        };
        if let Err((error, slot)) = self
            .inner
            .queue
            .push(|buf| buf.extend_from_slice(bytes), slot)
        {
            slot.fail(error);
        }
        rx
    }

    /// True once the client was closed (or its last handle dropped): every new
    /// command fails at once. A lost connection does not close the client: it
    /// reconnects.
    pub fn is_closed(&self) -> bool {
        self.inner.queue.is_closed()
    }

    /// Closes the client gracefully: new commands fail at once with a closed
    /// error (`Outcome::NotSent`), commands already queued or in flight get
    /// their replies, then the connection ends. Returns when it has.
    ///
    /// ```no_run
    /// # async fn demo(client: redtyped::Client) -> redtyped::Result<()> {
    /// let pending = client.incr("n");
    /// client.close().await;
    /// assert!(client.ping().await.unwrap_err().is_closed());
    /// # Ok(()) }
    /// ```
    pub async fn close(&self) {
        let queue = &self.inner.queue;
        let finished = queue.finished_signal.notified();
        tokio::pin!(finished);
        finished.as_mut().enable();
        queue.release("the client was closed");
        if !queue.finished.load(std::sync::atomic::Ordering::Acquire) {
            finished.await;
        }
    }

    /// Counters of this client's connection.
    pub fn stats(&self) -> crate::Stats {
        use std::sync::atomic::Ordering::Relaxed;
        let s = self.inner.queue.stats();
        let commands = s.commands.load(Relaxed);
        let replies = s.replies.load(Relaxed);
        let failed = s.failed.load(Relaxed);
        crate::Stats {
            commands_sent: commands,
            replies_received: replies,
            push_frames: s.pushes.load(Relaxed),
            retried: s.retried.load(Relaxed),
            reconnects: s.reconnects.load(Relaxed),
            in_flight: commands.saturating_sub(replies).saturating_sub(failed),
        }
    }
}

/// What a command method's future sends its command through: a [`Client`]
/// or a [`ClusterClient`](crate::ClusterClient). Sealed.
pub trait Target: sealed::Sealed {
    /// Sends `command` and returns the future of its typed reply.
    fn send<C: Command>(&self, command: C) -> Response<C::Shape>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::Client {}
    impl Sealed for crate::ClusterClient {}
}

impl Target for Client {
    fn send<C: Command>(&self, command: C) -> Response<C::Shape> {
        Client::send(self, command)
    }
}

enum State {
    Waiting(oneshot::Receiver<Result<Bytes, Error>>),
    /// A reply produced by more than one step: a blocking command on a
    /// connection lent by the pool, a command routed through a cluster.
    Boxed(Pin<Box<dyn Future<Output = Result<Bytes>> + Send>>),
    Failed(Option<Error>),
}

/// The future of one command's reply, decoded by its shape `S`.
///
/// Dropping it before it completes is safe: the reply is still read from the
/// connection and discarded.
///
/// With the `tracing` crate's subscriber on, each command is a span
/// `redis.command` (target `redtyped`, level DEBUG) with the fields `command`
/// (its name, never its arguments) and `outcome` (`ok`, or the error kind).
#[must_use = "the reply is lost unless the response is awaited"]
pub struct Response<S> {
    state: State,
    name: Cow<'static, str>,
    /// Set only when the client has a response timeout.
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
    span: tracing::Span,
    shape: PhantomData<fn() -> S>,
}

impl<S> Response<S> {
    /// The response of a command whose reply frame `run` produces (a cluster
    /// routes, redirects and merges before there is one).
    pub(crate) fn from_future(
        name: Cow<'static, str>,
        run: impl Future<Output = Result<Bytes>> + Send + 'static,
        deadline: Option<std::time::Duration>,
    ) -> Self {
        let span = tracing::debug_span!(
            target: "redtyped",
            "redis.command",
            command = &*name,
            outcome = tracing::field::Empty
        );
        let deadline = deadline.map(|t| Box::pin(tokio::time::sleep(t)));
        Response::new(State::Boxed(Box::pin(run)), name, deadline, span)
    }

    /// A response that fails at once with `error`.
    pub(crate) fn failed(name: Cow<'static, str>, error: Error) -> Self {
        Response::new(
            State::Failed(Some(error)),
            name,
            None,
            tracing::Span::none(),
        )
    }

    fn new(
        state: State,
        name: Cow<'static, str>,
        deadline: Option<Pin<Box<tokio::time::Sleep>>>,
        span: tracing::Span,
    ) -> Self {
        Response {
            state,
            name,
            deadline,
            span,
            shape: PhantomData,
        }
    }

    /// Bounds the wait for this reply, overriding the client's response
    /// timeout. On expiry the error is [`ErrorKind::Timeout`] with
    /// [`Outcome::Unknown`]; the late reply is read and discarded.
    ///
    /// ```no_run
    /// # async fn demo(client: redtyped::Client) -> redtyped::Result<()> {
    /// use std::future::IntoFuture;
    /// use std::time::Duration;
    /// let v: Option<String> = client.get("k").into_future().timeout(Duration::from_millis(50)).await?;
    /// # Ok(()) }
    /// ```
    pub fn timeout(mut self, limit: std::time::Duration) -> Self {
        self.deadline = Some(Box::pin(tokio::time::sleep(limit)));
        self
    }
}

impl<S> std::fmt::Debug for Response<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("command", &self.name)
            .finish()
    }
}

/// Decodes a whole reply frame with shape `S`; an error reply becomes a server error.
pub(crate) fn decode_frame<S: Shape>(frame: &Bytes, name: Cow<'static, str>) -> Result<S::Output> {
    if matches!(frame.first(), Some(b'-' | b'!')) {
        return Err(Error::server(error_text(frame)).with_command(name));
    }
    let mut reader = Reader::new(frame);
    S::read(&mut reader).map_err(|e| Error::decode(e).with_command(name))
}

impl<S: Shape> Future for Response<S> {
    type Output = Result<S::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let frame = match &mut this.state {
            State::Failed(error) => Err(error.take().unwrap_or_else(|| {
                Error::closed(Outcome::NotSent, "response polled after completion")
            })),
            State::Waiting(rx) => match Pin::new(rx).poll(cx) {
                Poll::Pending => return this.poll_deadline(cx),
                Poll::Ready(Ok(reply)) => reply,
                Poll::Ready(Err(_)) => Err(Error::closed(
                    Outcome::Unknown,
                    "the connection's driver stopped before the reply arrived",
                )),
            },
            State::Boxed(run) => match run.as_mut().poll(cx) {
                Poll::Pending => return this.poll_deadline(cx),
                Poll::Ready(reply) => reply,
            },
        };
        this.state = State::Failed(None);
        let name = std::mem::take(&mut this.name);
        let result = match frame {
            Ok(frame) => decode_frame::<S>(&frame, name),
            Err(e) => Err(e.with_command(name)),
        };
        this.finish(&result);
        Poll::Ready(result)
    }
}

impl<S> Response<S> {
    /// Pending, unless the deadline passed: then a timeout error.
    fn poll_deadline<T>(&mut self, cx: &mut Context<'_>) -> Poll<Result<T>> {
        let expired = self
            .deadline
            .as_mut()
            .is_some_and(|d| d.as_mut().poll(cx).is_ready());
        if !expired {
            return Poll::Pending;
        }
        // Dropping the state drops the receiver (the late reply is discarded)
        // or the lent connection's run (the pool closes that connection).
        self.state = State::Failed(None);
        let result = Err(Error::new(
            ErrorKind::Timeout,
            Outcome::Unknown,
            "no reply within the response timeout",
        )
        .with_command(std::mem::take(&mut self.name)));
        self.finish(&result);
        Poll::Ready(result)
    }

    fn finish<T>(&self, result: &Result<T>) {
        if !self.span.is_disabled() {
            let outcome = match result {
                Ok(_) => "ok",
                Err(e) => e.kind().name(),
            };
            self.span.record("outcome", outcome);
        }
    }
}
