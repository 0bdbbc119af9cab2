//! Pub/sub: subscribe to channels, patterns and shard channels, and read
//! their messages as streams that never hide loss.
//!
//! [`Client::subscriber`](crate::Client::subscriber) opens a [`Subscriber`]
//! (a connection of its own) and returns it with the [`Messages`] stream of
//! its [`Event`]s. Publish with the client's generated commands
//! (`client.publish`, `client.spublish`, `client.pubsub_numsub()`…).
//!
//! ```no_run
//! # async fn demo() -> redtyped::Result<()> {
//! use redtyped::Client;
//! use redtyped::pubsub::Event;
//!
//! let client = Client::connect("redis://127.0.0.1:6379").await?;
//! let (subscriber, mut messages) = client.subscriber().await?;
//! subscriber.subscribe(["orders"]).await?;
//! let mut alerts = subscriber.channel("alerts").await?; // a stream of its own
//!
//! let receivers: i64 = client.publish("orders", "42").await?;
//! while let Some(event) = messages.next().await {
//!     match event {
//!         Event::Message(m) => println!("order {}", m.decode::<u64>()?),
//!         Event::Reconnected => println!("reconnected: some messages may be lost"),
//!         Event::Lagged { missed } => println!("{missed} messages dropped: reading too slowly"),
//!         other => println!("{other:?}"),
//!     }
//! }
//! # Ok(()) }
//! ```

mod buffer;
mod frame;
mod message;
mod subscriber;
mod task;

pub use buffer::{DEFAULT_CAPACITY, Messages};
pub use message::{Event, Kind, Message};
pub use subscriber::{Confirmation, Routed, Subscriber};
