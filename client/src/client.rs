//! The client handle.

use std::borrow::Cow;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::sync::oneshot;

use crate::command::{Command, CommandFlags};
use crate::config::{Addr, Config};
use crate::connection::{self, Resp, error_text};
use crate::error::{Error, ErrorKind, Outcome, Result};
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
    /// Idle dedicated connections (for WATCH), returned only when left clean.
    idle: std::sync::Mutex<Vec<Client>>,
    /// This is a dedicated connection: it runs commands the shared one refuses.
    dedicated: bool,
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
        Client::open(config, false).await
    }

    async fn open(config: Config, dedicated: bool) -> Result<Client> {
        // Only the shared connection caches (see `Config::client_cache`).
        let config = if dedicated {
            config.without_client_cache()
        } else {
            config
        };
        let connected = connection::connect(&config).await?;
        let queue = Arc::new(Queue::with_cache(config.get_client_cache()));
        let resp = connected.resp;
        tokio::spawn(crate::driver::run(connected, queue.clone(), config.clone()));
        Ok(Client {
            inner: Arc::new(Inner {
                queue,
                config,
                resp,
                idle: std::sync::Mutex::new(Vec::new()),
                dedicated,
            }),
        })
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
        if command.dedicated() && !self.inner.dedicated {
            let error = Error::new(
                ErrorKind::Usage,
                Outcome::NotSent,
                "this command blocks or changes its connection, so the shared client does not run it; \
                 it needs a dedicated connection",
            );
            return Response {
                state: State::Failed(Some(error)),
                name,
                deadline: None,
                shape: PhantomData,
            };
        }
        let queued = match self.inner.queue.cache() {
            Some(cache) if C::META.flags.contains(CommandFlags::CACHEABLE) => {
                cache.send(&self.inner.queue, command)
            }
            _ => {
                let (tx, rx) = oneshot::channel();
                let encode = |buf: &mut bytes::BytesMut| {
                    let mut w = ArgWriter::begin(buf);
                    command.write_args(&mut w);
                    w.finish();
                };
                self.inner
                    .queue
                    .push(encode, Slot::One(tx))
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
        Response {
            state,
            name,
            deadline,
            shape: PhantomData,
        }
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

    /// A connection of this client's own for commands that need one: an idle
    /// one when there is one, else a new one with the same settings.
    pub(crate) async fn dedicated(&self) -> Result<Client> {
        let idle = self
            .inner
            .idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop();
        match idle {
            Some(connection) if !connection.is_closed() => Ok(connection),
            _ => Client::open(self.inner.config.clone(), true).await,
        }
    }

    /// Gives back a dedicated connection known to be clean.
    pub(crate) fn give_back(&self, connection: Client) {
        const MAX_IDLE: usize = 8;
        let mut idle = self.inner.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE && !connection.is_closed() {
            idle.push(connection);
        }
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
            let connection = self.dedicated().await?;
            let watch = crate::Watch::new(connection);
            let result = watch.run(keys.clone(), &mut body).await;
            if let Some(clean) = watch.into_clean().await {
                self.give_back(clean);
            }
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
    pub(crate) fn queue(&self) -> &Queue {
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
            reconnects: s.reconnects.load(Relaxed),
            in_flight: commands.saturating_sub(replies).saturating_sub(failed),
        }
    }
}

enum State {
    Waiting(oneshot::Receiver<Result<Bytes, Error>>),
    Failed(Option<Error>),
}

/// The future of one command's reply, decoded by its shape `S`.
///
/// Dropping it before it completes is safe: the reply is still read from the
/// connection and discarded.
#[must_use = "the reply is lost unless the response is awaited"]
pub struct Response<S> {
    state: State,
    name: Cow<'static, str>,
    /// Set only when the client has a response timeout.
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
    shape: PhantomData<fn() -> S>,
}

impl<S> Response<S> {
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
        match &mut this.state {
            State::Failed(error) => {
                let e = error.take().unwrap_or_else(|| {
                    Error::closed(Outcome::NotSent, "response polled after completion")
                });
                Poll::Ready(Err(e.with_command(std::mem::take(&mut this.name))))
            }
            State::Waiting(rx) => match Pin::new(rx).poll(cx) {
                Poll::Pending => {
                    let expired = this
                        .deadline
                        .as_mut()
                        .is_some_and(|d| d.as_mut().poll(cx).is_ready());
                    if !expired {
                        return Poll::Pending;
                    }
                    this.state = State::Failed(None);
                    Poll::Ready(Err(Error::new(
                        ErrorKind::Timeout,
                        Outcome::Unknown,
                        "no reply within the response timeout",
                    )
                    .with_command(std::mem::take(&mut this.name))))
                }
                Poll::Ready(Ok(Ok(frame))) => {
                    Poll::Ready(decode_frame::<S>(&frame, std::mem::take(&mut this.name)))
                }
                Poll::Ready(Ok(Err(e))) => {
                    Poll::Ready(Err(e.with_command(std::mem::take(&mut this.name))))
                }
                Poll::Ready(Err(_)) => Poll::Ready(Err(Error::closed(
                    Outcome::Unknown,
                    "the connection's driver stopped before the reply arrived",
                )
                .with_command(std::mem::take(&mut this.name)))),
            },
        }
    }
}
