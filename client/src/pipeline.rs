//! Pipelines and MULTI/EXEC transactions whose replies keep their types.
//!
//! A [`Pipeline`] encodes each command as it is added and sends them all at
//! once, as one contiguous batch on the client's connection, then decodes the
//! replies into a tuple of the commands' own reply types. A transaction is
//! the same batch wrapped in `MULTI` … `EXEC`.

use std::borrow::Cow;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Bytes, BytesMut};
use tokio::sync::oneshot;

use crate::client::{Client, decode_frame};
use crate::command::Command;
use crate::connection::error_text;
use crate::error::{Error, ErrorKind, Outcome, Result};
use crate::resp::{ArgWriter, Item, Reader};
use crate::shape::Shape;

/// Commands buffered and sent at once; their replies come back as a tuple of
/// the commands' reply types (`L` is the list of reply shapes so far).
///
/// Build it with [`Client::pipeline`] (or [`Client::transaction`] for
/// MULTI/EXEC) and the command methods of [`PipelineCommands`](crate::PipelineCommands),
/// which every command of the spec has:
///
/// ```no_run
/// use redtyped::prelude::*;
/// # async fn demo(client: redtyped::Client) -> redtyped::Result<()> {
/// let (a, n, fresh): (Option<String>, i64, bool) =
///     client.pipeline().get("k").incr("n").set("lock", "me").nx().execute().await?;
/// # Ok(()) }
/// ```
///
/// A pipeline is not atomic: on the shared connection other callers' commands
/// may run between its commands (a transaction's never do). When a command's
/// option has the name of another command (SET's `.get()`), finish the command
/// with `.queue()` before adding that other command.
#[must_use = "a pipeline does nothing until it is executed"]
pub struct Pipeline<'c, L = ()> {
    target: Via<'c>,
    buf: BytesMut,
    /// For a cluster: where each command ends in `buf`, and its spec facts.
    routes: Vec<(usize, &'static crate::CommandMeta)>,
    names: Vec<Cow<'static, str>>,
    atomic: bool,
    refused: Option<Error>,
    list: PhantomData<fn() -> L>,
}

/// What a pipeline is sent through.
#[derive(Clone, Copy)]
pub(crate) enum Via<'c> {
    Client(&'c Client),
    Cluster(&'c crate::ClusterClient),
}

impl<'c> Pipeline<'c, ()> {
    pub(crate) fn new(client: &'c Client, atomic: bool) -> Self {
        Pipeline::via(Via::Client(client), atomic)
    }

    pub(crate) fn via(target: Via<'c>, atomic: bool) -> Self {
        let mut buf = BytesMut::with_capacity(256);
        if atomic {
            let mut w = ArgWriter::begin(&mut buf);
            w.arg(b"MULTI");
            w.finish();
        }
        Pipeline {
            target,
            buf,
            routes: Vec::new(),
            names: Vec::new(),
            atomic,
            refused: None,
            list: PhantomData,
        }
    }

    /// Adds any number of commands with one reply type; the pipeline then
    /// executes to a `Vec` of their replies, in order. Only an empty typed
    /// pipeline can become a dynamic one, so a typed chain and a dynamic tail
    /// cannot be mixed.
    ///
    /// ```no_run
    /// use redtyped::cmd;
    /// # async fn demo(client: redtyped::Client) -> redtyped::Result<()> {
    /// let keys = ["a", "b", "c"];
    /// let counts: Vec<i64> = client.pipeline().extend(keys.iter().map(|k| cmd::incr(*k))).execute().await?;
    /// # Ok(()) }
    /// ```
    pub fn extend<C: Command>(
        self,
        commands: impl IntoIterator<Item = C>,
    ) -> PipelineVec<'c, C::Shape> {
        PipelineVec {
            inner: self.retype(),
            shape: PhantomData,
        }
        .extend(commands)
    }
}

impl<'c, L> Pipeline<'c, L> {
    fn retype<L2>(self) -> Pipeline<'c, L2> {
        Pipeline {
            target: self.target,
            buf: self.buf,
            routes: self.routes,
            names: self.names,
            atomic: self.atomic,
            refused: self.refused,
            list: PhantomData,
        }
    }

    fn encode<C: Command>(&mut self, command: C) {
        if let (true, Via::Client(client)) = (C::UNCLASSIFIED, self.target) {
            client.taint();
        }
        if command.placement() != crate::Placement::Shared && self.refused.is_none() {
            self.refused = Some(Error::new(
                ErrorKind::Usage,
                Outcome::NotSent,
                format!(
                    "{} blocks or changes its connection: it cannot be part of a pipeline",
                    command.name()
                ),
            ));
        }
        self.names.push(command.name());
        let mut w = ArgWriter::begin(&mut self.buf);
        command.write_args(&mut w);
        w.finish();
        if let Via::Cluster(_) = self.target {
            self.routes.push((self.buf.len(), C::META));
        }
    }

    /// Adds a command value (`redtyped::cmd::*`).
    pub fn push<C: Command>(mut self, command: C) -> Pipeline<'c, (L, C::Shape)> {
        self.encode(command);
        self.retype()
    }

    /// Adds a command without tracking its reply type (for deferred handles).
    pub(crate) fn push_untyped<C: Command>(mut self, command: C) -> Self {
        self.encode(command);
        self
    }

    /// Sends the batch and returns every command's reply frame, undecoded.
    pub(crate) async fn raw_frames(self) -> Result<Vec<Bytes>> {
        let mut sent = self.send();
        std::future::poll_fn(|cx| sent.poll_frames(cx)).await
    }

    /// The number of commands queued.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when no command was added.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Queues every command now, as one contiguous batch.
    fn send(mut self) -> Sent {
        if let Some(e) = self.refused.take() {
            return Sent {
                rx: None,
                error: Some(e),
                names: self.names,
                atomic: self.atomic,
            };
        }
        let commands = self.names.len();
        if commands == 0 {
            return Sent {
                rx: None,
                error: None,
                names: self.names,
                atomic: self.atomic,
            };
        }
        if self.atomic {
            let mut w = ArgWriter::begin(&mut self.buf);
            w.arg(b"EXEC");
            w.finish();
        }
        let replies = if self.atomic { commands + 2 } else { commands };
        let rx = match self.target {
            Via::Client(client) => client.send_batch(&self.buf, replies),
            Via::Cluster(cluster) => {
                let start = if self.atomic { MULTI_LEN } else { 0 };
                cluster.send_pipeline(self.buf.freeze(), start, self.routes, self.atomic)
            }
        };
        Sent {
            rx: Some(rx),
            error: None,
            names: self.names,
            atomic: self.atomic,
        }
    }
}

/// The length of an encoded `MULTI`.
const MULTI_LEN: usize = b"*1\r\n$5\r\nMULTI\r\n".len();

/// A batch on its way: what the execute futures wait on. It holds no borrow,
/// so the futures are `Send` whenever their reply types are.
struct Sent {
    rx: Option<oneshot::Receiver<Result<Vec<Bytes>>>>,
    error: Option<Error>,
    names: Vec<Cow<'static, str>>,
    atomic: bool,
}

impl Sent {
    fn poll_frames(&mut self, cx: &mut Context<'_>) -> Poll<Result<Vec<Bytes>>> {
        if let Some(e) = self.error.take() {
            return Poll::Ready(Err(e));
        }
        let Some(rx) = self.rx.as_mut() else {
            return Poll::Ready(Ok(Vec::new()));
        };
        match Pin::new(rx).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(result) => {
                self.rx = None;
                Poll::Ready(result.unwrap_or_else(|_| {
                    Err(Error::closed(
                        Outcome::Unknown,
                        "the connection's driver stopped before the replies arrived",
                    ))
                }))
            }
        }
    }
}

impl<'c, L: ShapeList> Pipeline<'c, L> {
    /// Sends every command and returns their replies as a tuple, or the first
    /// error (every reply is still read, so the connection stays in step).
    /// The commands are queued when this is called; the future waits for the replies.
    pub fn execute(self) -> Execute<L> {
        Execute {
            sent: self.send(),
            list: PhantomData,
        }
    }

    /// Sends every command and returns each reply or its error in place; only
    /// a failure of the whole batch (a lost connection, EXECABORT) is `Err`.
    pub fn execute_each(self) -> ExecuteEach<L> {
        ExecuteEach {
            sent: self.send(),
            list: PhantomData,
        }
    }
}

/// The future of [`Pipeline::execute`]: the replies as a tuple.
#[must_use = "the replies are lost unless the future is awaited"]
pub struct Execute<L> {
    sent: Sent,
    list: PhantomData<fn() -> L>,
}

impl<L: ShapeList> Future for Execute<L> {
    type Output = Result<L::Output>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let frames = ready!(this.sent.poll_frames(cx))?;
        let mut replies = Replies::open(&frames, &this.sent.names, this.sent.atomic)?;
        Poll::Ready(L::decode(&mut replies))
    }
}

/// The future of [`Pipeline::execute_each`]: each reply or its error.
#[must_use = "the replies are lost unless the future is awaited"]
pub struct ExecuteEach<L> {
    sent: Sent,
    list: PhantomData<fn() -> L>,
}

impl<L: ShapeList> Future for ExecuteEach<L> {
    type Output = Result<L::Results>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let frames = ready!(this.sent.poll_frames(cx))?;
        let mut replies = Replies::open(&frames, &this.sent.names, this.sent.atomic)?;
        Poll::Ready(Ok(L::decode_each(&mut replies)))
    }
}

/// A pipeline of commands that share one reply type, executing to a `Vec`.
#[must_use = "a pipeline does nothing until it is executed"]
pub struct PipelineVec<'c, S> {
    inner: Pipeline<'c, ()>,
    shape: PhantomData<fn() -> S>,
}

impl<'c, S: Shape> PipelineVec<'c, S> {
    /// Adds more commands of the same reply type.
    pub fn extend<C: Command<Shape = S>>(mut self, commands: impl IntoIterator<Item = C>) -> Self {
        for command in commands {
            self.inner.encode(command);
        }
        self
    }

    /// Sends every command; their replies in order, or the first error.
    pub async fn execute(self) -> Result<Vec<S::Output>> {
        self.execute_each().await?.into_iter().collect()
    }

    /// Sends every command; each reply or its error in place.
    pub async fn execute_each(self) -> Result<Vec<Result<S::Output>>> {
        let mut sent = self.inner.send();
        let frames = std::future::poll_fn(|cx| sent.poll_frames(cx)).await?;
        let mut replies = Replies::open(&frames, &sent.names, sent.atomic)?;
        Ok((0..sent.names.len())
            .map(|_| replies.next_reply::<S>())
            .collect())
    }
}

/// The replies of a batch, one per command, from separate frames (a pipeline)
/// or from the elements of EXEC's array (a transaction).
pub struct Replies<'f> {
    names: &'f [Cow<'static, str>],
    index: usize,
    source: Source<'f>,
}

enum Source<'f> {
    Frames(&'f [Bytes]),
    Exec(Reader<'f>),
}

impl<'f> Replies<'f> {
    fn open(
        frames: &'f [Bytes],
        names: &'f [Cow<'static, str>],
        atomic: bool,
    ) -> Result<Replies<'f>> {
        if !atomic {
            return Ok(Replies {
                names,
                index: 0,
                source: Source::Frames(frames),
            });
        }
        // MULTI's OK, one QUEUED per command, then EXEC's reply.
        let exec = frames
            .last()
            .ok_or_else(|| Error::closed(Outcome::Unknown, "no EXEC reply"))?;
        if matches!(exec.first(), Some(b'-' | b'!')) {
            // EXECABORT: say which command was refused when it was queued.
            let refused = frames[1..frames.len() - 1]
                .iter()
                .zip(names)
                .find(|(f, _)| matches!(f.first(), Some(b'-' | b'!')))
                .map(|(f, name)| format!(" ({name}: {})", String::from_utf8_lossy(error_text(f))))
                .unwrap_or_default();
            let message = format!("{}{refused}", String::from_utf8_lossy(error_text(exec)));
            return Err(Error::server(message.as_bytes()).with_command("EXEC"));
        }
        let mut reader = Reader::new(exec);
        match reader
            .next()
            .map_err(|e| Error::protocol(Outcome::Completed, e))?
        {
            Item::Array(n) if n == names.len() => Ok(Replies {
                names,
                index: 0,
                source: Source::Exec(reader),
            }),
            Item::Null => Err(Error::new(
                ErrorKind::WatchConflict,
                Outcome::Completed,
                "the transaction was not run: a watched key changed",
            )
            .with_command("EXEC")),
            other => Err(
                Error::decode(crate::value::mismatch("EXEC's array of replies", &other))
                    .with_command("EXEC"),
            ),
        }
    }

    /// The next command's reply, decoded with `S`, or its error.
    pub fn next_reply<S: Shape>(&mut self) -> Result<S::Output> {
        let name = self
            .names
            .get(self.index)
            .cloned()
            .unwrap_or(Cow::Borrowed("?"));
        self.index += 1;
        match &mut self.source {
            Source::Frames(frames) => {
                let frame = &frames[self.index - 1];
                decode_frame::<S>(frame, name)
            }
            Source::Exec(reader) => {
                // Find where this element ends first, so a decode error cannot
                // leave the next element misread.
                let mut end = reader.clone();
                end.skip()
                    .map_err(|e| Error::protocol(Outcome::Completed, e))?;
                let mut element = reader.clone();
                *reader = end;
                let item = element
                    .next()
                    .map_err(|e| Error::protocol(Outcome::Completed, e))?;
                if let Item::Error(text) = item {
                    return Err(Error::server(text).with_command(name));
                }
                S::decode(item, &mut element).map_err(|e| Error::decode(e).with_command(name))
            }
        }
    }
}

/// A list of reply shapes, built up as `((((), S1), S2), S3)` while a
/// pipeline grows, decoding to the flat tuple `(S1::Output, S2::Output, S3::Output)`.
pub trait ShapeList {
    /// The tuple of replies.
    type Output;
    /// The tuple of each reply or its error.
    type Results;
    /// Decodes every reply; the first error wins (later replies are still consumed).
    fn decode(replies: &mut Replies<'_>) -> Result<Self::Output>;
    /// Decodes every reply, each in place.
    fn decode_each(replies: &mut Replies<'_>) -> Self::Results;
}

impl ShapeList for () {
    type Output = ();
    type Results = ();
    fn decode(_: &mut Replies<'_>) -> Result<()> {
        Ok(())
    }
    fn decode_each(_: &mut Replies<'_>) {}
}

macro_rules! nested {
    ($acc:ty ;) => { $acc };
    ($acc:ty ; $head:ident $($rest:ident)*) => { nested!(($acc, $head) ; $($rest)*) };
}

macro_rules! shape_list {
    ($($s:ident)+) => {
        impl<$($s: Shape),+> ShapeList for nested!(() ; $($s)+) {
            type Output = ($($s::Output,)+);
            type Results = ($(Result<$s::Output>,)+);
            #[allow(non_snake_case)]
            fn decode(replies: &mut Replies<'_>) -> Result<Self::Output> {
                let ($($s,)+) = Self::decode_each(replies);
                Ok(($($s?,)+))
            }
            fn decode_each(replies: &mut Replies<'_>) -> Self::Results {
                ($(replies.next_reply::<$s>(),)+)
            }
        }
    };
}

shape_list!(A1);
shape_list!(A1 A2);
shape_list!(A1 A2 A3);
shape_list!(A1 A2 A3 A4);
shape_list!(A1 A2 A3 A4 A5);
shape_list!(A1 A2 A3 A4 A5 A6);
shape_list!(A1 A2 A3 A4 A5 A6 A7);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23 A24);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23 A24 A25);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23 A24 A25 A26);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23 A24 A25 A26 A27);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23 A24 A25 A26 A27 A28);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23 A24 A25 A26 A27 A28 A29);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23 A24 A25 A26 A27 A28 A29 A30);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23 A24 A25 A26 A27 A28 A29 A30 A31);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23 A24 A25 A26 A27 A28 A29 A30 A31 A32);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23 A24 A25 A26 A27 A28 A29 A30 A31 A32 A33);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23 A24 A25 A26 A27 A28 A29 A30 A31 A32 A33 A34);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23 A24 A25 A26 A27 A28 A29 A30 A31 A32 A33 A34 A35);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23 A24 A25 A26 A27 A28 A29 A30 A31 A32 A33 A34 A35 A36);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23 A24 A25 A26 A27 A28 A29 A30 A31 A32 A33 A34 A35 A36 A37);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23 A24 A25 A26 A27 A28 A29 A30 A31 A32 A33 A34 A35 A36 A37 A38);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23 A24 A25 A26 A27 A28 A29 A30 A31 A32 A33 A34 A35 A36 A37 A38 A39);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23 A24 A25 A26 A27 A28 A29 A30 A31 A32 A33 A34 A35 A36 A37 A38 A39 A40);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23 A24 A25 A26 A27 A28 A29 A30 A31 A32 A33 A34 A35 A36 A37 A38 A39 A40 A41);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23 A24 A25 A26 A27 A28 A29 A30 A31 A32 A33 A34 A35 A36 A37 A38 A39 A40 A41 A42);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23 A24 A25 A26 A27 A28 A29 A30 A31 A32 A33 A34 A35 A36 A37 A38 A39 A40 A41 A42 A43);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23 A24 A25 A26 A27 A28 A29 A30 A31 A32 A33 A34 A35 A36 A37 A38 A39 A40 A41 A42 A43 A44);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23 A24 A25 A26 A27 A28 A29 A30 A31 A32 A33 A34 A35 A36 A37 A38 A39 A40 A41 A42 A43 A44 A45);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23 A24 A25 A26 A27 A28 A29 A30 A31 A32 A33 A34 A35 A36 A37 A38 A39 A40 A41 A42 A43 A44 A45 A46);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23 A24 A25 A26 A27 A28 A29 A30 A31 A32 A33 A34 A35 A36 A37 A38 A39 A40 A41 A42 A43 A44 A45 A46 A47);
shape_list!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23 A24 A25 A26 A27 A28 A29 A30 A31 A32 A33 A34 A35 A36 A37 A38 A39 A40 A41 A42 A43 A44 A45 A46 A47 A48);
