//! Real-server test harness for `redtyped`.
//!
//! Integration tests in `tests/tests/*.rs` run against real `redis-server`
//! processes started by this crate. The harness deliberately does not use
//! the `redtyped` client: readiness checks and [`Server::cli`] speak raw RESP
//! over std sockets, so the harness keeps working (and can judge the client)
//! while the client changes.
//!
//! * [`Server`] / [`ServerBuilder`]: a `redis-server` on a free loopback
//!   port in its own temp dir, killed on drop and never outliving the test
//!   process.
//! * [`shared`]: one server per test binary for tests that only touch their
//!   own keys, named with [`unique_key`].
//! * [`wait_until`] / [`wait_until_async`]: poll a condition with a deadline
//!   instead of sleeping.
//! * [`resp`]: the small raw RESP client used for all of the above.
//! * [`Proxy`]: a TCP proxy between a client and a server that fault tests
//!   use to hold, slow, cut, corrupt, drop or refuse its traffic.
//!
//! A missing `redis-server` is a test failure with an install hint, never a
//! skip (see [`redis_server_binary`]).
//!
//! # Example
//!
//! ```no_run
//! use std::time::Duration;
//! use redtyped_tests::{Server, shared, unique_key, wait_until};
//!
//! // A test that only uses its own keys shares the binary's server.
//! let key = unique_key("counter");
//! assert_eq!(shared().cli(&["INCR", &key]), ":1\r\n");
//!
//! // A fault test gets its own server.
//! let mut server = Server::builder().password("pw").start();
//! server.kill();
//! server.restart();
//! wait_until(Duration::from_secs(5), "the server to answer", || {
//!     server.cli_as("default", "pw", &["PING"]) == "+PONG\r\n"
//! });
//! ```

mod binary;
mod builder;
mod keys;
mod ports;
mod proxy;
mod ready;
pub mod resp;
mod server;
mod shared;
mod spawn;
mod tls;
mod wait;

pub use binary::{INSTALL_HINT, REDIS_SERVER_BIN_ENV, locate_redis_server, redis_server_binary};
pub use builder::ServerBuilder;
pub use keys::unique_key;
pub use ports::free_port;
pub use proxy::{Direction, Proxy};
pub use server::Server;
pub use shared::shared;
pub use tls::TlsFiles;
pub use wait::{wait_until, wait_until_async};
