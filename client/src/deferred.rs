//! Deferred replies: queue commands, execute the batch, then gather each
//! command's typed reply from its handle.

use std::borrow::Cow;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::sync::oneshot;

use crate::client::{Client, decode_frame};
use crate::command::Command;
use crate::error::{Error, ErrorKind, Outcome, Result};
use crate::pipeline::Pipeline;
use crate::shape::Shape;

/// A pipeline whose commands hand back [`Deferred`] handles, in the style
/// "queue, then gather": add commands, [`execute`](Self::execute) once, then
/// await each handle for its own typed reply (or error).
///
/// ```no_run
/// use redtyped::cmd;
/// # async fn demo(client: redtyped::Client) -> redtyped::Result<()> {
/// let mut batch = client.deferred();
/// let name = batch.add(cmd::get::<String>("user:1:name"));
/// let visits = batch.add(cmd::incr("user:1:visits"));
/// batch.execute().await?;
/// let name: Option<String> = name.await?;
/// let visits: i64 = visits.await?;
/// # Ok(()) }
/// ```
///
/// Awaiting a handle before its batch executed is an error at once
/// ([`ErrorKind::Usage`]), never a wait that cannot end.
#[must_use = "the commands are not sent until the batch is executed"]
pub struct DeferredPipeline<'c> {
    pipeline: Option<Pipeline<'c, ()>>,
    slots: Vec<oneshot::Sender<Result<Bytes>>>,
    executed: Arc<AtomicBool>,
}

impl<'c> DeferredPipeline<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        DeferredPipeline {
            pipeline: Some(client.pipeline()),
            slots: Vec::new(),
            executed: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Queues `command` and returns the handle of its reply.
    pub fn add<C: Command>(&mut self, command: C) -> Deferred<C::Shape> {
        let name = command.name();
        let pipeline = self.pipeline.take().expect("present until executed");
        self.pipeline = Some(pipeline.push_untyped(command));
        let (tx, rx) = oneshot::channel();
        self.slots.push(tx);
        Deferred {
            rx,
            executed: self.executed.clone(),
            name,
            shape: PhantomData,
        }
    }

    /// Sends every queued command and hands each reply to its handle. Fails
    /// only when the batch as a whole failed (then every handle fails too).
    pub async fn execute(mut self) -> Result<()> {
        self.executed.store(true, Ordering::Release);
        let pipeline = self.pipeline.take().expect("present until executed");
        match pipeline.raw_frames().await {
            Ok(frames) => {
                for (slot, frame) in self.slots.drain(..).zip(frames) {
                    let _ = slot.send(Ok(frame));
                }
                Ok(())
            }
            Err(e) => {
                for slot in self.slots.drain(..) {
                    let _ = slot.send(Err(e.clone()));
                }
                Err(e)
            }
        }
    }
}

/// The future of one deferred command's reply, decoded by its shape `S`.
#[must_use = "the reply is lost unless the handle is awaited"]
pub struct Deferred<S> {
    rx: oneshot::Receiver<Result<Bytes>>,
    executed: Arc<AtomicBool>,
    name: Cow<'static, str>,
    shape: PhantomData<fn() -> S>,
}

impl<S: Shape> Future for Deferred<S> {
    type Output = Result<S::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if !this.executed.load(Ordering::Acquire) {
            return Poll::Ready(Err(Error::new(
                ErrorKind::Usage,
                Outcome::NotSent,
                "a deferred reply was awaited before its batch was executed",
            )
            .with_command(this.name.clone())));
        }
        match Pin::new(&mut this.rx).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(Ok(frame))) => Poll::Ready(decode_frame::<S>(&frame, this.name.clone())),
            Poll::Ready(Ok(Err(e))) => Poll::Ready(Err(e.with_command(this.name.clone()))),
            Poll::Ready(Err(_)) => Poll::Ready(Err(Error::new(
                ErrorKind::Usage,
                Outcome::NotSent,
                "the batch of this deferred reply was dropped without being executed",
            )
            .with_command(this.name.clone()))),
        }
    }
}
