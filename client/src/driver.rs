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
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::error::{Error, ErrorKind, Outcome};
use crate::queue::{Queue, Slot, Taken};
use crate::resp::{FrameScanner, Limits, is_push};

/// Read in chunks of at least this much spare room.
const READ_CHUNK: usize = 64 * 1024;
/// Rounds of work before yielding to other tasks.
const ROUNDS_BEFORE_YIELD: usize = 32;

pub(crate) struct Driver<S> {
    stream: S,
    queue: Arc<Queue>,
    write_buf: BytesMut,
    read_buf: BytesMut,
    scanner: FrameScanner,
    in_flight: VecDeque<Slot>,
    /// The encodings of the read-only commands in flight, in order (see `Slot::One`).
    kept: BytesMut,
    /// Read-only commands in flight go back to the queue when the connection is lost.
    retry: bool,
    released: bool,
    deferred: bool,
    /// Callers handed their reply since the queue was last taken.
    woken: usize,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Driver<S> {
    pub fn new(stream: S, read_buf: BytesMut, queue: Arc<Queue>, retry: bool) -> Self {
        Driver {
            kept: BytesMut::new(),
            retry,
            stream,
            queue,
            write_buf: BytesMut::with_capacity(16 * 1024),
            read_buf,
            scanner: FrameScanner::new(Limits::default()),
            in_flight: VecDeque::new(),
            released: false,
            deferred: false,
            woken: 0,
        }
    }

    /// Fails the commands in flight (they may have run: `Outcome::Unknown`),
    /// except read-only ones sent for the first time, which go back to the
    /// front of the queue; commands still queued stay queued for the next
    /// connection.
    fn fail(&mut self, error: Error) -> Poll<Stop> {
        let in_flight = Error::new(error.kind(), Outcome::Unknown, error.message().to_string());
        let mut again = Vec::new();
        let mut again_bytes = BytesMut::new();
        let mut failed = Vec::new();
        for mut slot in self.in_flight.drain(..) {
            let kept = self.kept.split_to(slot.kept());
            if self.retry && slot.retryable() {
                if let Slot::One { retry, .. } = &mut slot {
                    *retry = false;
                }
                again_bytes.extend_from_slice(&kept);
                again.push(slot);
            } else {
                failed.push(slot);
            }
        }
        self.queue.fail_slots(failed, in_flight);
        self.queue.requeue_front(&again_bytes, again);
        Poll::Ready(Stop::Lost(error))
    }

    /// Keeps the encodings of the read-only commands just taken (from `first`
    /// on), so they can be sent again if the connection is lost.
    fn keep_retryable(&mut self, first: usize) {
        let mut offset = 0;
        for slot in self.in_flight.range(first..) {
            let len = slot.len();
            if slot.kept() > 0 {
                self.kept
                    .extend_from_slice(&self.write_buf[offset..offset + len]);
            }
            offset += len;
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
                // RESP3 push frames belong to no request; invalidations go to the cache.
                self.queue.stats().pushes.fetch_add(1, Ordering::Relaxed);
                if let Some(cache) = self.queue.cache() {
                    cache.on_push(&frame);
                }
                continue;
            }
            self.queue.stats().replies.fetch_add(1, Ordering::Relaxed);
            match self.in_flight.front_mut() {
                Some(Slot::Batch {
                    expected, frames, ..
                }) => {
                    frames.push(frame);
                    if frames.len() == *expected {
                        if let Some(Slot::Batch { frames, tx, .. }) = self.in_flight.pop_front() {
                            let _ = tx.send(Ok(frames));
                            self.woken += 1;
                        }
                    }
                }
                Some(Slot::One { .. }) => {
                    if let Some(slot @ Slot::One { .. }) = self.in_flight.pop_front() {
                        self.kept.advance(slot.kept());
                        if let Slot::One { tx, .. } = slot {
                            let _ = tx.send(Ok(frame));
                            self.woken += 1;
                        }
                    }
                }
                Some(Slot::Cached { .. }) => {
                    if let Some(Slot::Cached { command, tx, .. }) = self.in_flight.pop_front() {
                        // Cached here, in reply order, so a later invalidation removes it.
                        if let Some(cache) = self.queue.cache() {
                            cache.insert(command, &frame);
                        }
                        let _ = tx.send(Ok(frame));
                        self.woken += 1;
                    }
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

impl<S: AsyncRead + AsyncWrite + Unpin> Driver<S> {
    /// Reads until the socket has nothing more, handing out every complete frame.
    /// `Ok` means the read side is registered for wake-up.
    fn read_side(&mut self, cx: &mut Context<'_>) -> Result<(), Error> {
        loop {
            if self.read_buf.capacity() - self.read_buf.len() < READ_CHUNK / 4 {
                self.read_buf.reserve(READ_CHUNK);
            }
            match tokio_util::io::poll_read_buf(Pin::new(&mut self.stream), cx, &mut self.read_buf)
            {
                Poll::Ready(Ok(0)) if !self.read_buf.is_empty() => {
                    return Err(self.truncated("the server closed the connection"));
                }
                Poll::Ready(Ok(0)) => {
                    return Err(Error::new(
                        ErrorKind::Io,
                        Outcome::Unknown,
                        "the server closed the connection",
                    ));
                }
                Poll::Ready(Ok(_)) => self.dispatch_frames()?,
                Poll::Ready(Err(e)) if !self.read_buf.is_empty() => {
                    let error = self.truncated(&format!("reading failed ({e})"));
                    return Err(error.with_source(e));
                }
                Poll::Ready(Err(e)) => return Err(Error::io(Outcome::Unknown, e)),
                Poll::Pending => return Ok(()),
            }
        }
    }

    /// The connection ended with part of a frame read: complete frames were
    /// all dispatched, so bytes left in the buffer are a reply cut short.
    fn truncated(&self, why: &str) -> Error {
        Error::new(
            ErrorKind::Protocol,
            Outcome::Unknown,
            format!(
                "{why} in the middle of a reply: {} bytes of a truncated frame were read",
                self.read_buf.len()
            ),
        )
    }

    /// Writes what was taken. `Ok(true)` means everything is written (and flushed).
    fn write_side(&mut self, cx: &mut Context<'_>) -> Result<bool, Error> {
        while !self.write_buf.is_empty() {
            match Pin::new(&mut self.stream).poll_write(cx, &self.write_buf) {
                Poll::Ready(Ok(0)) => {
                    return Err(Error::new(
                        ErrorKind::Io,
                        Outcome::Unknown,
                        "the socket accepted no bytes",
                    ));
                }
                Poll::Ready(Ok(n)) => self.write_buf.advance(n),
                Poll::Ready(Err(e)) => return Err(Error::io(Outcome::Unknown, e)),
                Poll::Pending => return Ok(false),
            }
        }
        match Pin::new(&mut self.stream).poll_flush(cx) {
            Poll::Ready(Ok(())) => Ok(true),
            Poll::Ready(Err(e)) => Err(Error::io(Outcome::Unknown, e)),
            Poll::Pending => Ok(false),
        }
    }
}

/// Why a driver stopped.
pub(crate) enum Stop {
    /// Every handle is gone (or the client was closed) and nothing is in flight.
    Released,
    /// The connection failed; the reconnect loop takes over.
    Lost(Error),
}

impl<S: AsyncRead + AsyncWrite + Unpin> Future for Driver<S> {
    type Output = Stop;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Stop> {
        let this = self.get_mut();
        if this.queue.kicked.swap(false, Ordering::AcqRel) {
            return this.fail(Error::new(
                ErrorKind::Io,
                Outcome::Unknown,
                "the master moved (a sentinel announced +switch-master)",
            ));
        }
        if this.queue.aborted.load(Ordering::Acquire) {
            let error = Error::closed(
                Outcome::Unknown,
                "the connection was closed before the reply",
            );
            let failed = std::mem::take(&mut this.in_flight);
            this.queue.fail_slots(failed, error);
            return Poll::Ready(Stop::Released);
        }
        for _ in 0..ROUNDS_BEFORE_YIELD {
            if let Err(e) = this.read_side(cx) {
                return this.fail(e);
            }
            let mut queue_registered = this.released;
            if this.write_buf.is_empty() && !this.released {
                // Several callers were just handed their replies and will soon
                // queue their next commands: give them one scheduler turn first,
                // so one write carries them all. With one caller woken there is
                // nothing to gather: it runs next (tokio's LIFO slot) and its
                // push wakes this task, whereas the self-wake below would put
                // this task behind it in the run queue and wake an idle worker
                // thread (a futex call and often a thread hop per command).
                if !this.deferred && this.woken > 1 {
                    this.deferred = true;
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                this.deferred = false;
                let first = this.in_flight.len();
                this.woken = 0;
                match this
                    .queue
                    .take(cx, &mut this.write_buf, &mut this.in_flight)
                {
                    Taken::Work => this.keep_retryable(first),
                    Taken::Idle => queue_registered = true,
                    Taken::Released => {
                        this.released = true;
                        queue_registered = true;
                    }
                }
            }
            let written = match this.write_side(cx) {
                Ok(written) => written,
                Err(e) => {
                    return this.fail(e);
                }
            };
            if this.released && this.write_buf.is_empty() && this.in_flight.is_empty() {
                return Poll::Ready(Stop::Released);
            }
            // Everything is registered for wake-up (reads always; the write side when
            // it is blocked; the queue when it was found empty) unless a batch was
            // just written: then go round again to read its replies and take more.
            if !written || queue_registered {
                return Poll::Pending;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// The smallest and largest pause between reconnect attempts.
const BACKOFF_MIN: Duration = Duration::from_millis(10);
const BACKOFF_MAX: Duration = Duration::from_secs(2);

/// Exponential back-off with jitter: 50-100% of min(10 ms * 2^attempt, 2 s),
/// so many clients that lost one server do not reconnect in step.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let ceiling = BACKOFF_MIN
        .saturating_mul(1 << attempt.min(16))
        .min(BACKOFF_MAX);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    // A cheap spread from the clock's low bits; it needs to differ between clients, not be random.
    let fraction = 0.5 + f64::from(nanos.wrapping_mul(2_654_435_761) % 1000) / 2000.0;
    ceiling.mul_f64(fraction)
}

/// The life of a client's connection: drive it; when it fails, reconnect with
/// back-off (the handshake re-runs AUTH, SELECT and SETNAME from the config)
/// and go on with what callers queued meanwhile. Commands in flight when the
/// connection failed were failed with `Outcome::Unknown`, never re-sent;
/// commands queued but not written are sent on the new connection; while a
/// reconnect attempt fails, queued commands fail with `Outcome::NotSent`.
///
/// A connection that must not reconnect (a pooled connection, whose state a
/// new connection would silently lose: a WATCH, a blocked pop) is shut
/// instead: everything queued fails with `Outcome::NotSent` and the pool
/// discards it.
pub(crate) async fn run(
    first: crate::connection::Connected,
    queue: Arc<Queue>,
    connector: crate::sentinel::Connector,
    reconnect: bool,
) {
    let mut connected = first;
    loop {
        let driver = Driver::new(
            connected.stream,
            connected.read_buf,
            queue.clone(),
            reconnect,
        );
        let Stop::Lost(lost) = driver.await else {
            break;
        };
        if let Some(cache) = queue.cache() {
            // Invalidations may be missed until tracking is on again.
            cache.clear();
        }
        if !reconnect {
            queue.shut(Error::new(
                lost.kind(),
                Outcome::NotSent,
                format!(
                    "the connection to {} was lost ({})",
                    connector.describe(),
                    lost.message()
                ),
            ));
            break;
        }
        let mut attempt = 0;
        connected = loop {
            if queue.is_released() {
                queue.fail_queued(Error::closed(
                    Outcome::NotSent,
                    "the client was closed while reconnecting",
                ));
                queue.finished.store(true, Ordering::Release);
                queue.finished_signal.notify_waiters();
                return;
            }
            tokio::time::sleep(backoff(attempt)).await;
            attempt = attempt.saturating_add(1);
            match connector.connect().await {
                Ok(connected) => break connected,
                Err(e) => {
                    let context = format!(
                        "the connection to {} was lost ({}) and reconnecting failed",
                        connector.describe(),
                        lost.message()
                    );
                    // A server's refusal (WRONGPASS) keeps its text first, so
                    // `server_code()` still reads the server's code.
                    let message = match e.kind() {
                        ErrorKind::Server | ErrorKind::Auth => {
                            format!("{} ({context})", e.message())
                        }
                        _ => format!("{context}: {}", e.message()),
                    };
                    queue.fail_queued(Error::new(e.kind(), Outcome::NotSent, message));
                }
            }
        };
        queue.stats().reconnects.fetch_add(1, Ordering::Relaxed);
    }
    queue.finished.store(true, Ordering::Release);
    queue.finished_signal.notify_waiters();
}
