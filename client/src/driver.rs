//! The task that owns a connection's socket.
//!
//! One driver per connection: it takes everything callers queued (one buffer,
//! see [`Queue`]), writes it, reads replies, splits them into frames without
//! decoding them, and hands each frame to the oldest waiting slot. A slot
//! whose caller went away still gets its frame, which is then dropped, so a
//! cancelled caller can never shift anyone else's reply.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::error::{Error, ErrorKind, Outcome};
use crate::queue::{Queue, Slot, Taken};
use crate::resp::{FrameScanner, Limits, is_push};

/// Read in chunks of at least this much spare room.
const READ_CHUNK: usize = 64 * 1024;
/// Rounds of work before yielding to other tasks.
const ROUNDS_BEFORE_YIELD: usize = 32;

pub(crate) struct Driver<R, W> {
    reader: R,
    writer: W,
    queue: Arc<Queue>,
    write_buf: BytesMut,
    read_buf: BytesMut,
    scanner: FrameScanner,
    in_flight: VecDeque<Slot>,
    released: bool,
}

impl<R: AsyncRead + Unpin, W: AsyncWrite + Unpin> Driver<R, W> {
    pub fn new(reader: R, writer: W, read_buf: BytesMut, queue: Arc<Queue>) -> Self {
        Driver {
            reader,
            writer,
            queue,
            write_buf: BytesMut::with_capacity(16 * 1024),
            read_buf,
            scanner: FrameScanner::new(Limits::default()),
            in_flight: VecDeque::new(),
            released: false,
        }
    }

    /// Fails everything: queued commands were not sent; commands in flight may have run.
    fn fail(&mut self, error: Error) {
        self.queue.close(Error::closed(
            Outcome::NotSent,
            format!("the connection was lost ({})", error.message()),
        ));
        let in_flight = Error::new(error.kind(), Outcome::Unknown, error.message().to_string());
        for slot in self.in_flight.drain(..) {
            let _ = slot.send(Err(in_flight.clone()));
        }
    }

    /// Splits complete frames off the read buffer and hands them out.
    fn dispatch_frames(&mut self) -> Result<(), Error> {
        while !self.read_buf.is_empty() {
            let n = match self.scanner.scan(&self.read_buf) {
                Ok(Some(n)) => n,
                Ok(None) => return Ok(()),
                Err(e) => return Err(Error::protocol(Outcome::Unknown, e)),
            };
            let frame = self.read_buf.split_to(n).freeze();
            if is_push(&frame) {
                // RESP3 push frames (pub/sub, invalidation) belong to no request.
                continue;
            }
            match self.in_flight.pop_front() {
                Some(slot) => {
                    let _ = slot.send(Ok(frame));
                }
                None => {
                    return Err(Error::new(
                        ErrorKind::Protocol,
                        Outcome::Unknown,
                        "a reply arrived that no command was waiting for",
                    ));
                }
            }
        }
        Ok(())
    }
}

impl<R: AsyncRead + Unpin, W: AsyncWrite + Unpin> Future for Driver<R, W> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        for _ in 0..ROUNDS_BEFORE_YIELD {
            // Take what callers queued, unless the last batch is still being written.
            let mut queue_registered = this.released;
            if this.write_buf.is_empty() && !this.released {
                match this
                    .queue
                    .take(cx, &mut this.write_buf, &mut this.in_flight)
                {
                    Taken::Work => {}
                    Taken::Idle => queue_registered = true,
                    Taken::Released => {
                        this.released = true;
                        queue_registered = true;
                    }
                }
            }

            let mut write_pending = false;
            while !this.write_buf.is_empty() {
                match Pin::new(&mut this.writer).poll_write(cx, &this.write_buf) {
                    Poll::Ready(Ok(0)) => {
                        this.fail(Error::new(
                            ErrorKind::Io,
                            Outcome::Unknown,
                            "the socket accepted no bytes",
                        ));
                        return Poll::Ready(());
                    }
                    Poll::Ready(Ok(n)) => this.write_buf.advance(n),
                    Poll::Ready(Err(e)) => {
                        this.fail(Error::io(Outcome::Unknown, e));
                        return Poll::Ready(());
                    }
                    Poll::Pending => {
                        write_pending = true;
                        break;
                    }
                }
            }
            if !write_pending {
                if let Poll::Ready(Err(e)) = Pin::new(&mut this.writer).poll_flush(cx) {
                    this.fail(Error::io(Outcome::Unknown, e));
                    return Poll::Ready(());
                }
            }

            loop {
                if this.read_buf.capacity() - this.read_buf.len() < READ_CHUNK / 4 {
                    this.read_buf.reserve(READ_CHUNK);
                }
                match tokio_util::io::poll_read_buf(
                    Pin::new(&mut this.reader),
                    cx,
                    &mut this.read_buf,
                ) {
                    Poll::Ready(Ok(0)) => {
                        this.fail(Error::new(
                            ErrorKind::Io,
                            Outcome::Unknown,
                            "the server closed the connection",
                        ));
                        return Poll::Ready(());
                    }
                    Poll::Ready(Ok(_)) => {
                        if let Err(e) = this.dispatch_frames() {
                            this.fail(e);
                            return Poll::Ready(());
                        }
                    }
                    Poll::Ready(Err(e)) => {
                        this.fail(Error::io(Outcome::Unknown, e));
                        return Poll::Ready(());
                    }
                    Poll::Pending => break,
                }
            }

            if this.released && this.write_buf.is_empty() && this.in_flight.is_empty() {
                return Poll::Ready(());
            }
            // Everything is registered for wake-up unless the write buffer emptied without
            // the queue being asked: then more may be queued already, so go round again.
            if !this.write_buf.is_empty() || queue_registered {
                return Poll::Pending;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
