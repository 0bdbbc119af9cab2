//! Integration tests against real `redis-server` processes, every behaviour
//! under RESP2 and RESP3. One test binary, so the suite links once and tests
//! that only touch their own keys share one server.

mod acl;
mod cache;
mod cancellation;
mod cluster;
mod cluster_conformance;
mod commands;
mod connection;
mod coverage;
mod derive;
mod errors;
mod faults;
mod load;
mod observability;
mod pipeline;
mod pool;
mod pubsub;
mod retry;
mod sentinel;
mod spec_a;
mod spec_b;
mod spec_c;
mod spec_d;
mod spec_e;
mod spec_last;
mod support;
mod tls;
mod ui;
