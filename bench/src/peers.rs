//! The clients under test, behind one small trait so every workload runs the
//! same code through each of them.
//!
//! Each peer is used the way its own docs recommend for one client shared by
//! many tasks: redtyped's `Client` (cloned per task), redis-rs's
//! `MultiplexedConnection` (cloned per task), fred's `Client` (auto-pipelining
//! on, its default) and rustis's `Client` (multiplexed, cloned per task). Every
//! client keeps its default protocol (redtyped and rustis speak RESP3, redis-rs
//! and fred RESP2): that is what a user of each gets. Values are decoded to
//! `String`, the type a user most often asks for. A failed command panics: the
//! benchmark must not count work that did not happen.

use std::future::Future;

/// One client under test. A handle is cloned for each task, as its docs
/// recommend for sharing one connection.
pub trait Peer: Clone + Send + Sync + 'static {
    /// The name in the tables.
    const NAME: &'static str;

    /// Connects one shared client.
    fn connect(url: &str) -> impl Future<Output = Self> + Send;

    /// GET, decoded to a string.
    fn get(&mut self, key: &str) -> impl Future<Output = Option<String>> + Send;

    /// SET without options.
    fn set(&mut self, key: &str, value: &str) -> impl Future<Output = ()> + Send;

    /// INCR.
    fn incr(&mut self, key: &str) -> impl Future<Output = i64> + Send;

    /// An explicit pipeline of `n` GETs of `key`.
    fn pipeline_get(
        &mut self,
        key: &str,
        n: usize,
    ) -> impl Future<Output = Vec<Option<String>>> + Send;

    /// MULTI, `n` INCRs of `key`, EXEC.
    fn transaction_incr(&mut self, key: &str, n: usize) -> impl Future<Output = Vec<i64>> + Send;
}

/// redtyped, this crate's client.
#[derive(Clone)]
pub struct Redtyped(redtyped::Client);

impl Peer for Redtyped {
    const NAME: &'static str = "redtyped";

    async fn connect(url: &str) -> Self {
        Redtyped(
            redtyped::Client::connect(url)
                .await
                .expect("redtyped: connect"),
        )
    }

    async fn get(&mut self, key: &str) -> Option<String> {
        self.0.get(key).await.expect("redtyped: GET")
    }

    async fn set(&mut self, key: &str, value: &str) {
        self.0.set(key, value).await.expect("redtyped: SET")
    }

    async fn incr(&mut self, key: &str) -> i64 {
        self.0.incr(key).await.expect("redtyped: INCR")
    }

    async fn pipeline_get(&mut self, key: &str, n: usize) -> Vec<Option<String>> {
        self.0
            .pipeline()
            .extend((0..n).map(|_| redtyped::cmd::get(key)))
            .execute()
            .await
            .expect("redtyped: pipeline")
    }

    async fn transaction_incr(&mut self, key: &str, n: usize) -> Vec<i64> {
        self.0
            .transaction()
            .extend((0..n).map(|_| redtyped::cmd::incr(key)))
            .execute()
            .await
            .expect("redtyped: transaction")
    }
}

/// redis-rs (the `redis` crate) with its multiplexed tokio connection.
#[derive(Clone)]
pub struct RedisRs(redis::aio::MultiplexedConnection);

impl Peer for RedisRs {
    const NAME: &'static str = "redis-rs";

    async fn connect(url: &str) -> Self {
        let client = redis::Client::open(url).expect("redis-rs: url");
        let connection = client
            .get_multiplexed_async_connection()
            .await
            .expect("redis-rs: connect");
        RedisRs(connection)
    }

    async fn get(&mut self, key: &str) -> Option<String> {
        redis::AsyncCommands::get(&mut self.0, key)
            .await
            .expect("redis-rs: GET")
    }

    async fn set(&mut self, key: &str, value: &str) {
        redis::AsyncCommands::set::<_, _, ()>(&mut self.0, key, value)
            .await
            .expect("redis-rs: SET")
    }

    async fn incr(&mut self, key: &str) -> i64 {
        redis::AsyncCommands::incr(&mut self.0, key, 1)
            .await
            .expect("redis-rs: INCR")
    }

    async fn pipeline_get(&mut self, key: &str, n: usize) -> Vec<Option<String>> {
        let mut pipe = redis::pipe();
        for _ in 0..n {
            pipe.get(key);
        }
        pipe.query_async(&mut self.0)
            .await
            .expect("redis-rs: pipeline")
    }

    async fn transaction_incr(&mut self, key: &str, n: usize) -> Vec<i64> {
        let mut pipe = redis::pipe();
        pipe.atomic();
        for _ in 0..n {
            pipe.incr(key, 1);
        }
        pipe.query_async(&mut self.0)
            .await
            .expect("redis-rs: transaction")
    }
}

/// fred, with its default auto-pipelining.
#[derive(Clone)]
pub struct Fred(fred::prelude::Client);

impl Peer for Fred {
    const NAME: &'static str = "fred";

    async fn connect(url: &str) -> Self {
        use fred::prelude::*;
        let config = Config::from_url(url).expect("fred: url");
        let client = Builder::from_config(config).build().expect("fred: build");
        client.init().await.expect("fred: connect");
        Fred(client)
    }

    async fn get(&mut self, key: &str) -> Option<String> {
        use fred::prelude::*;
        self.0.get(key).await.expect("fred: GET")
    }

    async fn set(&mut self, key: &str, value: &str) {
        use fred::prelude::*;
        self.0
            .set::<(), _, _>(key, value, None, None, false)
            .await
            .expect("fred: SET")
    }

    async fn incr(&mut self, key: &str) -> i64 {
        use fred::prelude::*;
        self.0.incr(key).await.expect("fred: INCR")
    }

    async fn pipeline_get(&mut self, key: &str, n: usize) -> Vec<Option<String>> {
        use fred::prelude::*;
        let pipeline = self.0.pipeline();
        for _ in 0..n {
            pipeline.get::<(), _>(key).await.expect("fred: queue GET");
        }
        pipeline.all().await.expect("fred: pipeline")
    }

    async fn transaction_incr(&mut self, key: &str, n: usize) -> Vec<i64> {
        use fred::prelude::*;
        let transaction = self.0.multi();
        for _ in 0..n {
            transaction
                .incr::<(), _>(key)
                .await
                .expect("fred: queue INCR");
        }
        transaction.exec(true).await.expect("fred: transaction")
    }
}

/// rustis, with its multiplexed client.
#[derive(Clone)]
pub struct Rustis(rustis::client::Client);

impl Peer for Rustis {
    const NAME: &'static str = "rustis";

    async fn connect(url: &str) -> Self {
        Rustis(
            rustis::client::Client::connect(url)
                .await
                .expect("rustis: connect"),
        )
    }

    async fn get(&mut self, key: &str) -> Option<String> {
        use rustis::commands::StringCommands;
        self.0.get(key).await.expect("rustis: GET")
    }

    async fn set(&mut self, key: &str, value: &str) {
        use rustis::commands::StringCommands;
        self.0.set(key, value).await.expect("rustis: SET")
    }

    async fn incr(&mut self, key: &str) -> i64 {
        use rustis::commands::StringCommands;
        self.0.incr(key).await.expect("rustis: INCR")
    }

    async fn pipeline_get(&mut self, key: &str, n: usize) -> Vec<Option<String>> {
        use rustis::client::BatchPreparedCommand;
        use rustis::commands::StringCommands;
        let mut pipeline = self.0.create_pipeline();
        for _ in 0..n {
            pipeline.get::<Option<String>>(key).queue();
        }
        pipeline.execute().await.expect("rustis: pipeline")
    }

    async fn transaction_incr(&mut self, key: &str, n: usize) -> Vec<i64> {
        use rustis::client::BatchPreparedCommand;
        use rustis::commands::StringCommands;
        let mut transaction = self.0.create_transaction();
        for _ in 0..n {
            transaction.incr(key).queue();
        }
        transaction.execute().await.expect("rustis: transaction")
    }
}
