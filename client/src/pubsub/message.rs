//! What a subscriber's streams yield: messages, and the events that say
//! messages may have been lost.

use bytes::Bytes;

use crate::error::{DecodeError, Error, Result};
use crate::resp::{Item, Reader};
use crate::value::FromValue;

/// The kind of subscription: a channel (`SUBSCRIBE`), a pattern
/// (`PSUBSCRIBE`) or a shard channel (`SSUBSCRIBE`, Redis 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A channel, matched by name.
    Channel,
    /// A glob-style pattern of channel names.
    Pattern,
    /// A shard channel (sharded pub/sub, `SPUBLISH`).
    Shard,
}

impl Kind {
    pub(crate) const ALL: [Kind; 3] = [Kind::Channel, Kind::Pattern, Kind::Shard];

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    pub(crate) fn subscribe_command(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"SUBSCRIBE",
            Kind::Pattern => b"PSUBSCRIBE",
            Kind::Shard => b"SSUBSCRIBE",
        }
    }

    pub(crate) fn unsubscribe_command(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"UNSUBSCRIBE",
            Kind::Pattern => b"PUNSUBSCRIBE",
            Kind::Shard => b"SUNSUBSCRIBE",
        }
    }
}

/// A published message.
///
/// The channel, pattern and payload are [`Bytes`] (Redis channel names and
/// payloads are binary); [`decode`](Self::decode) reads the payload as any
/// [`FromValue`] type, as a `GET` reply would be, and [`json`](Self::json)
/// (feature `json`) as a serde type.
///
/// ```no_run
/// # async fn demo(client: redtyped::Client) -> redtyped::Result<()> {
/// use redtyped::pubsub::Event;
/// let (subscriber, mut messages) = client.subscriber().await?;
/// subscriber.psubscribe(["price:*"]).await?;
/// while let Some(event) = messages.next().await {
///     if let Event::Message(message) = event {
///         let price: f64 = message.decode()?;
///         println!("{:?} (matched {:?}) -> {price}", message.channel(), message.pattern());
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub(crate) kind: Kind,
    pub(crate) channel: Bytes,
    pub(crate) pattern: Option<Bytes>,
    pub(crate) payload: Bytes,
}

impl Message {
    /// Through which kind of subscription the message came.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The channel it was published on.
    pub fn channel(&self) -> &Bytes {
        &self.channel
    }

    /// The channel's name as text, when it is UTF-8.
    pub fn channel_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.channel).ok()
    }

    /// The pattern that matched the channel, for a pattern subscription.
    pub fn pattern(&self) -> Option<&Bytes> {
        self.pattern.as_ref()
    }

    /// The payload, undecoded.
    pub fn payload(&self) -> &Bytes {
        &self.payload
    }

    /// The payload decoded as `T`: `String`, a number, `bool`, `Bytes`, a
    /// `#[derive(ValueEnum)]` enum, or any other [`FromValue`] type.
    ///
    /// ```no_run
    /// # fn demo(message: redtyped::pubsub::Message) -> redtyped::Result<()> {
    /// let count: u64 = message.decode()?;        // "42" -> 42
    /// let text: String = message.decode()?;
    /// # Ok(()) }
    /// ```
    pub fn decode<T: FromValue>(&self) -> Result<T> {
        let mut reader = Reader::new(&self.payload);
        T::from_value(Item::Bulk(&self.payload), &mut reader).map_err(|e| self.decode_error(e))
    }

    /// The payload parsed as JSON into `T`.
    ///
    /// ```no_run
    /// # async fn demo(message: redtyped::pubsub::Message) -> redtyped::Result<()> {
    /// #[derive(serde::Deserialize)]
    /// struct Order { id: u64, total: f64 }
    /// let order: Order = message.json()?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "json")]
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.payload)
            .map_err(|e| self.decode_error(DecodeError::new("JSON", e.to_string())))
    }

    fn decode_error(&self, e: DecodeError) -> Error {
        let channel = String::from_utf8_lossy(&self.channel);
        Error::decode(e).with_command(format!("message on {channel:?}"))
    }
}

/// One item of a subscriber's stream.
///
/// Loss is never silent: besides messages, the stream says when messages
/// may have been missed — after a reconnect ([`Reconnected`](Self::Reconnected))
/// and when the stream's buffer overflowed because it was read too slowly
/// ([`Lagged`](Self::Lagged)).
///
/// ```no_run
/// # async fn demo(mut messages: redtyped::pubsub::Messages) {
/// use redtyped::pubsub::Event;
/// while let Some(event) = messages.next().await {
///     match event {
///         Event::Message(m) => println!("{:?}: {:?}", m.channel(), m.payload()),
///         Event::Reconnected => println!("reconnected: messages published meanwhile are lost"),
///         Event::Lagged { missed } => println!("too slow: {missed} messages dropped"),
///         Event::Error(e) => println!("{e}"),
///         _ => {}
///     }
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event {
    /// A message on a subscribed channel, pattern or shard channel.
    Message(Message),
    /// The connection was lost and a new one made; every subscription was
    /// sent again. Messages published while no connection was subscribed
    /// are lost (Redis pub/sub keeps nothing). Every message after this
    /// event came over the new connection.
    Reconnected,
    /// This stream's buffer was full, so its oldest `missed` messages were
    /// dropped; the events after this one are the newer messages it kept.
    Lagged {
        /// How many messages were dropped.
        missed: u64,
    },
    /// Something the reader should know but that ends nothing: a push frame
    /// that could not be read (it is skipped), or the server refusing to
    /// renew a subscription after a reconnect.
    Error(Error),
}

impl Event {
    /// The message, when this is one.
    pub fn into_message(self) -> Option<Message> {
        match self {
            Event::Message(m) => Some(m),
            _ => None,
        }
    }
}
