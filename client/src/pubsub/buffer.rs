//! The bounded buffer between a subscriber's connection task and one stream
//! of events, and that stream.
//!
//! The policy: a stream holds at most `capacity` events. When a new message
//! arrives at a full buffer, the oldest event is dropped and counted, and the
//! reader gets [`Event::Lagged`] with the count before the events it still
//! has (and [`Event::Reconnected`] first, if a dropped event was one). So
//! the connection task never waits for a reader, a slow reader never holds
//! up other streams or the client's commands, memory stays bounded, and loss
//! is always reported. Dropping the oldest keeps the freshest data, which is
//! what most pub/sub readers (prices, presence, invalidations) want.
//! Each message is copied out of the connection's read buffer into an
//! allocation of its own size, so a stream holds at most `capacity` times
//! the largest message, whatever the reader does.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use tokio::sync::mpsc::UnboundedSender;

use super::message::Event;
use super::task::Request;

/// The default number of events a stream buffers.
pub const DEFAULT_CAPACITY: usize = 1024;

pub(crate) struct Sink {
    state: Mutex<SinkState>,
    capacity: usize,
}

struct SinkState {
    events: VecDeque<Event>,
    /// Messages dropped from the front since the reader last took events.
    missed: u64,
    /// A `Reconnected` event was among the dropped.
    reconnect_dropped: bool,
    waker: Option<Waker>,
    /// The reader went away: nothing more is kept.
    reader_gone: bool,
    /// The connection task ended: the stream ends once drained.
    ended: bool,
}

impl Sink {
    pub fn new(capacity: usize) -> Sink {
        Sink {
            state: Mutex::new(SinkState {
                events: VecDeque::new(),
                missed: 0,
                reconnect_dropped: false,
                waker: None,
                reader_gone: false,
                ended: false,
            }),
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, SinkState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds `event`, dropping the oldest event if the buffer is full. False
    /// when the reader went away (the caller forgets this sink).
    pub fn push(&self, event: Event) -> bool {
        let waker = {
            let mut state = self.lock();
            if state.reader_gone {
                return false;
            }
            if state.events.len() >= self.capacity {
                match state.events.pop_front() {
                    Some(Event::Message(_)) => state.missed += 1,
                    Some(Event::Reconnected) => state.reconnect_dropped = true,
                    Some(Event::Lagged { missed }) => state.missed += missed,
                    _ => {}
                }
            }
            state.events.push_back(event);
            state.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        true
    }

    /// Ends the stream after what it holds.
    pub fn end(&self) {
        let waker = {
            let mut state = self.lock();
            state.ended = true;
            state.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// How many events are buffered (for tests of the bound).
    pub fn len(&self) -> usize {
        self.lock().events.len()
    }

    fn poll_next(&self, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        let mut state = self.lock();
        if state.reconnect_dropped {
            state.reconnect_dropped = false;
            return Poll::Ready(Some(Event::Reconnected));
        }
        if state.missed > 0 {
            let missed = std::mem::take(&mut state.missed);
            return Poll::Ready(Some(Event::Lagged { missed }));
        }
        if let Some(event) = state.events.pop_front() {
            return Poll::Ready(Some(event));
        }
        if state.ended {
            return Poll::Ready(None);
        }
        if !state
            .waker
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()))
        {
            state.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }

    fn reader_gone(&self) {
        let mut state = self.lock();
        state.reader_gone = true;
        state.events.clear();
    }
}

/// A stream of a subscriber's [`Event`]s: every message of the subscriber
/// (the stream [`Client::subscriber`](crate::Client::subscriber) returns)
/// or those of one subscription ([`Subscriber::channel`](super::Subscriber::channel)).
///
/// Read it with [`next`](Self::next), or as a [`futures_core::Stream`].
/// It buffers up to a bound (1024 events unless set with
/// [`Client::subscriber_with_capacity`](crate::Client::subscriber_with_capacity)); a reader
/// too slow for the publishers loses the oldest messages and is told how
/// many with [`Event::Lagged`], so neither the connection nor memory waits
/// for it. The stream ends (`None`) after [`Subscriber::close`](super::Subscriber::close).
///
/// ```no_run
/// # async fn demo(client: redtyped::Client) -> redtyped::Result<()> {
/// use redtyped::pubsub::Event;
/// let (subscriber, mut messages) = client.subscriber().await?;
/// subscriber.subscribe(["news", "weather"]).await?;
/// while let Some(event) = messages.next().await {
///     match event {
///         Event::Message(m) => println!("{:?}: {}", m.channel(), m.decode::<String>()?),
///         other => println!("{other:?}"),
///     }
/// }
/// # Ok(()) }
/// ```
pub struct Messages {
    sink: Arc<Sink>,
    /// Keeps the connection task alive while the stream is read, even when
    /// every [`Subscriber`](super::Subscriber) handle is gone.
    _task: UnboundedSender<Request>,
}

impl Messages {
    pub(crate) fn new(sink: Arc<Sink>, task: UnboundedSender<Request>) -> Messages {
        Messages { sink, _task: task }
    }

    /// The next event; `None` once the subscriber was closed and every
    /// buffered event was read.
    pub async fn next(&mut self) -> Option<Event> {
        std::future::poll_fn(|cx| self.sink.poll_next(cx)).await
    }

    /// How many events wait in the buffer.
    pub fn buffered(&self) -> usize {
        self.sink.len()
    }
}

impl futures_core::Stream for Messages {
    type Item = Event;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.sink.poll_next(cx)
    }
}

impl Drop for Messages {
    fn drop(&mut self) {
        self.sink.reader_gone();
    }
}

impl std::fmt::Debug for Messages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Messages")
            .field("buffered", &self.sink.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pubsub::message::{Kind, Message};
    use bytes::Bytes;

    fn message(n: u32) -> Event {
        Event::Message(Message {
            kind: Kind::Channel,
            channel: Bytes::from_static(b"c"),
            pattern: None,
            payload: Bytes::from(n.to_string()),
        })
    }

    fn drain(sink: &Sink) -> Vec<String> {
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut out = Vec::new();
        while let Poll::Ready(Some(event)) = sink.poll_next(&mut cx) {
            out.push(match event {
                Event::Message(m) => String::from_utf8(m.payload.to_vec()).unwrap(),
                Event::Lagged { missed } => format!("lagged {missed}"),
                Event::Reconnected => "reconnected".into(),
                Event::Error(e) => e.to_string(),
            });
        }
        out
    }

    #[test]
    fn a_full_buffer_drops_the_oldest_and_says_how_many() {
        let sink = Sink::new(3);
        for n in 0..10 {
            assert!(sink.push(message(n)));
            assert!(sink.len() <= 3);
        }
        assert_eq!(drain(&sink), ["lagged 7", "7", "8", "9"]);
        // Counting starts again after the reader was told.
        for n in 10..15 {
            sink.push(message(n));
        }
        assert_eq!(drain(&sink), ["lagged 2", "12", "13", "14"]);
    }

    #[test]
    fn a_dropped_reconnect_is_still_reported() {
        let sink = Sink::new(2);
        sink.push(message(0));
        sink.push(Event::Reconnected);
        for n in 1..4 {
            sink.push(message(n));
        }
        assert_eq!(drain(&sink), ["reconnected", "lagged 2", "2", "3"]);
    }

    #[test]
    fn an_ended_sink_ends_the_stream_after_its_events() {
        let sink = Sink::new(4);
        sink.push(message(1));
        sink.end();
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(sink.poll_next(&mut cx), Poll::Ready(Some(_))));
        assert!(matches!(sink.poll_next(&mut cx), Poll::Ready(None)));
    }

    #[test]
    fn a_gone_reader_keeps_nothing() {
        let sink = Sink::new(4);
        sink.push(message(1));
        sink.reader_gone();
        assert!(!sink.push(message(2)));
        assert_eq!(sink.len(), 0);
    }
}
