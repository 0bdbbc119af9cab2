//! The handle that subscribes and unsubscribes.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use super::buffer::{DEFAULT_CAPACITY, Messages, Sink};
use super::message::Kind;
use super::task::{Request, Task};
use crate::Client;
use crate::arg::Arg;
use crate::config::Config;
use crate::connection::Resp;
use crate::error::{Error, ErrorKind, Outcome, Result};
use crate::resp::ArgWriter;

/// Subscribes and unsubscribes a connection of its own to channels, patterns
/// and shard channels, while its [`Messages`] stream is read elsewhere.
///
/// Made with [`Client::subscriber`] (the client's settings) or
/// [`Subscriber::connect`]. A subscriber always has its own connection, in
/// RESP2 and RESP3 alike: sharing the client's connection through RESP3
/// pushes would let a reader that falls behind hold up every command
/// behind it, and would tie the client's reconnects to the subscriptions'.
/// With a connection of its own, a slow reader costs only its own buffered
/// messages (see [`Messages`] for the bound and what happens when it is
/// full).
///
/// Every method may be called at any time, also while messages flow, from
/// any clone of the handle. Each resolves when the server confirmed every
/// name given. Redis pub/sub keeps nothing, so when the connection is lost
/// messages published until a new one is subscribed again are lost; the
/// subscriber reconnects with back-off by itself, subscribes to the whole set
/// again (requests in flight included) and puts
/// [`Event::Reconnected`](super::Event::Reconnected) in every stream, so the
/// loss is never silent. A request made while the connection is down
/// resolves once the new connection confirmed it; bound it with
/// `tokio::time::timeout` if that may be too long. A request is made when
/// its method is called, not when its future is polled, so dropping the
/// future (a timeout) does not undo it.
///
/// A subscriber runs only pub/sub commands, so it has no `publish` (publish
/// with the [`Client`]):
///
/// ```compile_fail
/// # async fn demo(subscriber: redtyped::pubsub::Subscriber) {
/// subscriber.publish("news", "hello").await;
/// # }
/// ```
///
/// ```no_run
/// # async fn demo(client: redtyped::Client) -> redtyped::Result<()> {
/// use redtyped::pubsub::Event;
/// let (subscriber, mut messages) = client.subscriber().await?;
/// subscriber.subscribe(["news"]).await?;
/// subscriber.psubscribe(["user:*:login"]).await?;
/// client.publish("news", "hello").await?;
/// if let Some(Event::Message(m)) = messages.next().await {
///     assert_eq!(m.decode::<String>()?, "hello");
/// }
/// subscriber.unsubscribe(["news"]).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Subscriber {
    requests: mpsc::UnboundedSender<Request>,
    resp: Resp,
    capacity: usize,
}

impl std::fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriber")
            .field("resp", &self.resp)
            .field("closed", &self.requests.is_closed())
            .finish()
    }
}

impl Client {
    /// A [`Subscriber`] with this client's settings (address, AUTH, TLS,
    /// protocol) on a connection of its own, and the stream of its messages.
    ///
    /// ```no_run
    /// # async fn demo(client: redtyped::Client) -> redtyped::Result<()> {
    /// let (subscriber, mut messages) = client.subscriber().await?;
    /// subscriber.subscribe(["news"]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn subscriber(&self) -> Result<(Subscriber, Messages)> {
        Subscriber::connect(self.config().clone()).await
    }

    /// [`subscriber`](Self::subscriber) whose streams each buffer up to
    /// `capacity` events (at least 1) instead of 1024.
    ///
    /// ```no_run
    /// # async fn demo(client: redtyped::Client) -> redtyped::Result<()> {
    /// let (subscriber, messages) = client.subscriber_with_capacity(64).await?;
    /// # Ok(()) }
    /// ```
    pub async fn subscriber_with_capacity(
        &self,
        capacity: usize,
    ) -> Result<(Subscriber, Messages)> {
        Subscriber::connect_with_capacity(self.config().clone(), capacity).await
    }
}

impl Subscriber {
    /// Connects a subscriber with `config` (the handshake of
    /// [`Client::connect_with`]), returning it and the stream of every
    /// message no [`channel`](Self::channel) stream takes.
    ///
    /// ```no_run
    /// # async fn demo() -> redtyped::Result<()> {
    /// use redtyped::{Config, pubsub::Subscriber};
    /// let config = Config::from_url("redis://127.0.0.1:6379")?;
    /// let (subscriber, messages) = Subscriber::connect(config).await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect(config: Config) -> Result<(Subscriber, Messages)> {
        Subscriber::connect_with_capacity(config, DEFAULT_CAPACITY).await
    }

    /// [`connect`](Self::connect) with streams that each buffer up to
    /// `capacity` events (at least 1).
    pub async fn connect_with_capacity(
        config: Config,
        capacity: usize,
    ) -> Result<(Subscriber, Messages)> {
        // A subscriber reads no keys: it needs no invalidations.
        let config = config.without_client_cache();
        let connected = crate::connection::connect(&config).await?;
        let resp = connected.resp;
        let (requests, rx) = mpsc::unbounded_channel();
        let main = Arc::new(Sink::new(capacity));
        tokio::spawn(Task::new(config, rx, main.clone()).run(connected));
        let messages = Messages::new(main, requests.clone());
        Ok((
            Subscriber {
                requests,
                resp,
                capacity,
            },
            messages,
        ))
    }

    /// Subscribes to `channels` (`SUBSCRIBE`); resolves when the server
    /// confirmed them all. At least one channel, else a
    /// [`Usage`](ErrorKind::Usage) error with nothing sent.
    ///
    /// ```no_run
    /// # async fn demo(subscriber: redtyped::pubsub::Subscriber) -> redtyped::Result<()> {
    /// subscriber.subscribe(["news", "weather"]).await?;
    /// let none: [&str; 0] = [];
    /// assert!(subscriber.subscribe(none).await.is_err());
    /// # Ok(()) }
    /// ```
    pub fn subscribe<'a, I>(&self, channels: I) -> Confirmation
    where
        I: IntoIterator,
        I::Item: Into<Arg<'a>>,
    {
        self.change(Kind::Channel, true, names(channels))
    }

    /// Subscribes to channels matching each glob-style pattern (`PSUBSCRIBE`).
    ///
    /// ```no_run
    /// # async fn demo(subscriber: redtyped::pubsub::Subscriber) -> redtyped::Result<()> {
    /// subscriber.psubscribe(["news.*", "alerts.[a-c]"]).await?;
    /// # Ok(()) }
    /// ```
    pub fn psubscribe<'a, I>(&self, patterns: I) -> Confirmation
    where
        I: IntoIterator,
        I::Item: Into<Arg<'a>>,
    {
        self.change(Kind::Pattern, true, names(patterns))
    }

    /// Subscribes to shard channels (`SSUBSCRIBE`, Redis 7; in a cluster all
    /// of one call must hash to one slot).
    ///
    /// ```no_run
    /// # async fn demo(subscriber: redtyped::pubsub::Subscriber) -> redtyped::Result<()> {
    /// subscriber.ssubscribe(["orders:{eu}", "refunds:{eu}"]).await?;
    /// # Ok(()) }
    /// ```
    pub fn ssubscribe<'a, I>(&self, channels: I) -> Confirmation
    where
        I: IntoIterator,
        I::Item: Into<Arg<'a>>,
    {
        self.change(Kind::Shard, true, names(channels))
    }

    /// Unsubscribes from `channels` (`UNSUBSCRIBE`); at least one.
    ///
    /// ```no_run
    /// # async fn demo(subscriber: redtyped::pubsub::Subscriber) -> redtyped::Result<()> {
    /// subscriber.unsubscribe(["news"]).await?;
    /// # Ok(()) }
    /// ```
    pub fn unsubscribe<'a, I>(&self, channels: I) -> Confirmation
    where
        I: IntoIterator,
        I::Item: Into<Arg<'a>>,
    {
        self.change(Kind::Channel, false, names(channels))
    }

    /// Unsubscribes from `patterns` (`PUNSUBSCRIBE`); at least one.
    ///
    /// ```no_run
    /// # async fn demo(subscriber: redtyped::pubsub::Subscriber) -> redtyped::Result<()> {
    /// subscriber.punsubscribe(["news.*"]).await?;
    /// # Ok(()) }
    /// ```
    pub fn punsubscribe<'a, I>(&self, patterns: I) -> Confirmation
    where
        I: IntoIterator,
        I::Item: Into<Arg<'a>>,
    {
        self.change(Kind::Pattern, false, names(patterns))
    }

    /// Unsubscribes from shard channels (`SUNSUBSCRIBE`); at least one.
    ///
    /// ```no_run
    /// # async fn demo(subscriber: redtyped::pubsub::Subscriber) -> redtyped::Result<()> {
    /// subscriber.sunsubscribe(["orders:{eu}"]).await?;
    /// # Ok(()) }
    /// ```
    pub fn sunsubscribe<'a, I>(&self, channels: I) -> Confirmation
    where
        I: IntoIterator,
        I::Item: Into<Arg<'a>>,
    {
        self.change(Kind::Shard, false, names(channels))
    }

    /// Subscribes to `channel` and returns a stream of its messages only, so
    /// one task can own one channel. Its messages no longer reach the main
    /// stream while this stream lives; dropping it does not unsubscribe.
    /// The stream also gets [`Reconnected`](super::Event::Reconnected)
    /// events and has its own bounded buffer.
    ///
    /// ```no_run
    /// # async fn demo(subscriber: redtyped::pubsub::Subscriber) -> redtyped::Result<()> {
    /// let mut news = subscriber.channel("news").await?;
    /// tokio::spawn(async move {
    ///     while let Some(event) = news.next().await {
    ///         println!("news: {event:?}");
    ///     }
    /// });
    /// # Ok(()) }
    /// ```
    pub fn channel<'a>(&self, channel: impl Into<Arg<'a>>) -> Routed {
        self.routed(Kind::Channel, channel.into())
    }

    /// Subscribes to `pattern` and returns a stream of the messages it matches.
    ///
    /// ```no_run
    /// # async fn demo(subscriber: redtyped::pubsub::Subscriber) -> redtyped::Result<()> {
    /// let mut logins = subscriber.pattern("user:*:login").await?;
    /// # Ok(()) }
    /// ```
    pub fn pattern<'a>(&self, pattern: impl Into<Arg<'a>>) -> Routed {
        self.routed(Kind::Pattern, pattern.into())
    }

    /// Subscribes to shard channel `channel` and returns a stream of its messages.
    ///
    /// ```no_run
    /// # async fn demo(subscriber: redtyped::pubsub::Subscriber) -> redtyped::Result<()> {
    /// let mut orders = subscriber.shard_channel("orders:{eu}").await?;
    /// # Ok(()) }
    /// ```
    pub fn shard_channel<'a>(&self, channel: impl Into<Arg<'a>>) -> Routed {
        self.routed(Kind::Shard, channel.into())
    }

    /// The protocol the subscriber's connection speaks.
    pub fn resp(&self) -> Resp {
        self.resp
    }

    /// Closes the connection: every subscription ends, requests waiting fail
    /// with a closed error, and every stream ends after the events it holds.
    ///
    /// ```no_run
    /// # async fn demo(subscriber: redtyped::pubsub::Subscriber, mut messages: redtyped::pubsub::Messages) {
    /// subscriber.close();
    /// while messages.next().await.is_some() {}
    /// # }
    /// ```
    pub fn close(&self) {
        let _ = self.requests.send(Request::Close);
    }

    fn routed(&self, kind: Kind, name: Arg<'_>) -> Routed {
        let name = bytes_of(&name);
        let sink = Arc::new(Sink::new(self.capacity));
        let route = Request::Route {
            kind,
            name: name.clone(),
            sink: sink.clone(),
        };
        let confirmation = match self.requests.send(route) {
            Ok(()) => self.change(kind, true, vec![name]),
            Err(_) => Confirmation::failed(kind.subscribe_command(), closed_error()),
        };
        Routed {
            confirmation,
            messages: Some(Messages::new(sink, self.requests.clone())),
        }
    }

    /// Sends the request now; the confirmation follows.
    fn change(&self, kind: Kind, subscribe: bool, names: Vec<Bytes>) -> Confirmation {
        let command = if subscribe {
            kind.subscribe_command()
        } else {
            kind.unsubscribe_command()
        };
        if names.is_empty() {
            let error = Error::new(
                ErrorKind::Usage,
                Outcome::NotSent,
                "give at least one channel or pattern",
            );
            return Confirmation::failed(command, error);
        }
        let (done, rx) = oneshot::channel();
        let request = Request::Change {
            kind,
            subscribe,
            names,
            done,
        };
        match self.requests.send(request) {
            Ok(()) => Confirmation {
                command,
                state: Ok(rx),
            },
            Err(_) => Confirmation::failed(command, closed_error()),
        }
    }
}

/// The future of a (un)subscribe request: the server confirmed every name.
///
/// The request is made when the method is called, not when this is first
/// polled, so dropping it (a timeout) does not undo the request.
#[must_use = "the request is made; await it to know the server confirmed it"]
#[derive(Debug)]
pub struct Confirmation {
    command: &'static [u8],
    state: std::result::Result<oneshot::Receiver<Result<()>>, Option<Error>>,
}

impl Confirmation {
    fn failed(command: &'static [u8], error: Error) -> Confirmation {
        Confirmation {
            command,
            state: Err(Some(error)),
        }
    }
}

impl Future for Confirmation {
    type Output = Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let this = self.get_mut();
        let name = String::from_utf8_lossy(this.command).into_owned();
        let result = match &mut this.state {
            Err(error) => Err(error.take().unwrap_or_else(closed_error)),
            Ok(rx) => match Pin::new(rx).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(result)) => result,
                Poll::Ready(Err(_)) => Err(closed_error()),
            },
        };
        Poll::Ready(result.map_err(|e| e.with_command(name)))
    }
}

/// The future of [`Subscriber::channel`] and its kin: the stream, once the
/// server confirmed the subscription. Like [`Confirmation`], the request is
/// made when the method is called.
#[must_use = "the request is made; await it for the stream"]
#[derive(Debug)]
pub struct Routed {
    confirmation: Confirmation,
    messages: Option<Messages>,
}

impl Future for Routed {
    type Output = Result<Messages>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<Messages>> {
        let this = self.get_mut();
        match Pin::new(&mut this.confirmation).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(result) => Poll::Ready(result.and_then(|()| {
                this.messages
                    .take()
                    .ok_or_else(|| Error::closed(Outcome::NotSent, "polled after completion"))
            })),
        }
    }
}

fn closed_error() -> Error {
    Error::closed(Outcome::NotSent, "the subscriber was closed")
}

fn names<'a, I>(items: I) -> Vec<Bytes>
where
    I: IntoIterator,
    I::Item: Into<Arg<'a>>,
{
    items.into_iter().map(|a| bytes_of(&a.into())).collect()
}

/// The bytes the server receives for `arg` (numbers as their decimal text).
fn bytes_of(arg: &Arg<'_>) -> Bytes {
    match arg {
        Arg::Borrowed(b) => Bytes::copy_from_slice(b),
        Arg::Owned(b) => Bytes::copy_from_slice(b),
        Arg::Shared(b) => b.clone(),
        number => {
            let mut buf = bytes::BytesMut::new();
            let mut w = ArgWriter::begin(&mut buf);
            number.write(&mut w);
            w.finish();
            // `*1\r\n$<len>\r\n<text>\r\n`: the text is after the second line.
            let start = buf
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .nth(1)
                .map_or(0, |(i, _)| i + 1);
            Bytes::copy_from_slice(&buf[start..buf.len() - 2])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_named_as_the_server_sees_them() {
        assert_eq!(bytes_of(&Arg::Int(-42)), "-42");
        assert_eq!(bytes_of(&Arg::Float(1.5)), "1.5");
        assert_eq!(bytes_of(&Arg::from("news")), "news");
    }
}
