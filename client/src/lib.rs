//! # redtyped
//!
//! An async Redis client for tokio in which every command is a typed method,
//! generated at build time from one command spec (`commands.json`): arguments
//! are checked by the compiler, options are builder methods in any order, and
//! the reply type follows the options given.
//!
//! ```no_run
//! use redtyped::{Client, cmd};
//!
//! # async fn demo() -> redtyped::Result<()> {
//! let client = Client::connect("redis://127.0.0.1:6379/0").await?;
//! client.set("k", "v").await?;                                      // ()
//! let done: bool = client.set("k", "v").nx().ex(60).await?;         // NX makes it bool
//! let old: Option<String> = client.set("k", "w").get().await?;      // GET makes it the old value
//! let n: i64 = client.incr("n").await?;
//! let z: Vec<(String, f64)> = client.zrange("z", 0, -1).withscores().await?;
//! let n: i64 = client.send(cmd::incr("n")).await?;                  // a command is a value
//! # Ok(()) }
//! ```
//!
//! The reply type is part of the command's type, so mistakes do not compile:
//!
//! ```compile_fail
//! # async fn demo(client: redtyped::Client) -> redtyped::Result<()> {
//! let n: String = client.incr("n").await?; // INCR replies with an integer
//! # Ok(()) }
//! ```
//!
//! ```compile_fail
//! # async fn demo(client: redtyped::Client) -> redtyped::Result<()> {
//! let v: Vec<String> = client.lrange("l", 0, -1).withscores().await?; // LRANGE has no WITHSCORES
//! # Ok(()) }
//! ```
//!
//! Commands not in the spec yet can be sent with [`Raw`].

mod arg;
mod cache;
mod client;
pub mod cluster;
mod command;
mod config;
mod connection;
mod deferred;
#[doc(hidden)]
pub mod derive;
mod driver;
mod error;
pub mod hash;
mod pipeline;
mod pool;
pub mod pubsub;
mod queue;
mod raw;
pub mod record;
pub mod resp;
mod routing;
mod sentinel;
pub mod shape;
mod stats;
mod stream;
#[cfg(feature = "tls")]
mod tls;
mod value;
mod watch;

/// The traits a user of pipelines and transactions wants in scope.
pub mod prelude {
    pub use crate::PipelineCommands;
}

/// Every command of the spec as a value: `cmd::get(key)`, `cmd::set(key, value).nx()`.
///
/// The same values are the client's methods (`client.get(key)`); a value from
/// here is sent with [`Client::send`]. Each type's docs show the command's
/// syntax, group, version, complexity, reply type and options.
#[allow(clippy::all, missing_docs, unused_mut)]
pub mod cmd {
    include!(concat!(env!("OUT_DIR"), "/commands.rs"));
}

pub use arg::Arg;
pub use cache::CacheStats;
pub use client::{Client, Response, Target};
pub use cluster::ClusterClient;
pub use cmd::PipelineCommands;
pub use cmd::reply;
pub use command::{BlockingTarget, Command, CommandFlags, CommandMeta, Placement};
pub use config::{Addr, Config, DEFAULT_PORT, Protocol, Tls};
pub use connection::Resp;
pub use deferred::{Deferred, DeferredPipeline};
pub use error::{DecodeError, Error, ErrorKind, Outcome, Result};
pub use hash::{FromHash, ToHash};
pub use pipeline::{Execute, ExecuteEach, Pipeline, PipelineVec, Replies, ShapeList};
pub use pool::{Pool, PoolSettings, PoolStatus, PooledConnection};
pub use raw::{FromReply, Raw};
pub use routing::{BeginSearch, FindKeys, KeySpec, RequestPolicy, ResponsePolicy};
pub use sentinel::SentinelConfig;
pub use stats::Stats;
pub use value::{FromMap, FromValue, MapEntries, Value};
pub use watch::Watch;

/// `#[derive(ToHash)]`, `#[derive(FromHash)]` and `#[derive(ValueEnum)]`:
/// structs as hashes and enums as values; the attributes are in
/// [`redtyped_macros`]' docs.
#[cfg(feature = "derive")]
pub use redtyped_macros::{FromHash, ToHash, ValueEnum};
