//! The pool: sizes, acquire timeout, health checks, idle expiry, what goes
//! back and what is discarded, cancellation of checkouts, and the commands
//! the client runs on lent connections by itself.

use std::future::Future;
use std::time::Duration;

use redtyped::prelude::*;
use redtyped::{Client, Config, ErrorKind, Outcome, Pool, PoolSettings, Protocol, cmd};
use redtyped_tests::{Server, shared, unique_key, wait_until_async};

use crate::support::{PROTOCOLS, client_on};

const DEADLINE: Duration = Duration::from_secs(10);

fn config(server: &Server, protocol: Protocol, settings: PoolSettings) -> Config {
    Config::from_url(&server.url())
        .unwrap()
        .resp(protocol)
        .pool(settings)
}

/// Connections the server has whose name is `name`.
fn named_connections(server: &Server, name: &str) -> usize {
    server
        .cli(&["CLIENT", "LIST"])
        .lines()
        .filter(|line| line.contains(&format!(" name={name} ")))
        .count()
}

#[tokio::test]
async fn max_size_bounds_checkouts_and_a_full_pool_times_out() {
    for protocol in PROTOCOLS {
        let settings = PoolSettings::new()
            .max_size(2)
            .acquire_timeout(Duration::from_millis(100));
        let pool = Pool::connect_with(config(shared(), protocol, settings))
            .await
            .unwrap();
        let a = pool.get().await.unwrap();
        let b = pool.get().await.unwrap();
        assert_ne!(
            a.client_id().await.unwrap(),
            b.client_id().await.unwrap(),
            "each holder has a connection of its own"
        );
        assert_eq!(pool.status().in_use, 2);

        let e = pool.get().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PoolTimeout, "{e}");
        assert!(e.is_pool_timeout());
        assert_eq!(e.outcome(), Outcome::NotSent);
        assert!(e.to_string().contains("2 of 2 in use"), "{e}");

        // A waiter gets the connection given back.
        let id = a.client_id().await.unwrap();
        let waiter = tokio::spawn({
            let pool = pool.clone();
            async move { pool.get().await.unwrap().client_id().await.unwrap() }
        });
        drop(a);
        assert_eq!(
            waiter.await.unwrap(),
            id,
            "the returned connection is reused"
        );
        drop(b);
        let status = pool.status();
        assert_eq!((status.in_use, status.idle), (0, 2), "{status:?}");
    }
}

#[tokio::test]
async fn min_idle_opens_connections_up_front_and_keeps_them() {
    let server = Server::start();
    let name = unique_key("min-idle");
    let settings = PoolSettings::new().min_idle(3).max_size(5);
    let pool = Pool::connect_with(config(&server, Protocol::Resp3, settings).name(&name))
        .await
        .unwrap();
    assert_eq!(pool.status().idle, 3);
    assert_eq!(named_connections(&server, &name), 3);

    // Killed behind the pool's back: it opens new ones to get back to three.
    server.cli(&["CLIENT", "KILL", "TYPE", "normal"]);
    wait_until_async(DEADLINE, "three pooled connections again", || async {
        named_connections(&server, &name) == 3 && pool.status().idle == 3
    })
    .await;
}

#[tokio::test]
async fn idle_connections_expire() {
    let server = Server::start();
    let name = unique_key("idle-expiry");
    let settings = PoolSettings::new().idle_timeout(Some(Duration::from_millis(50)));
    let pool = Pool::connect_with(config(&server, Protocol::Resp2, settings).name(&name))
        .await
        .unwrap();
    let (a, b) = (pool.get().await.unwrap(), pool.get().await.unwrap());
    drop((a, b));
    assert_eq!(pool.status().idle, 2);
    wait_until_async(DEADLINE, "the idle connections to close", || async {
        pool.status().idle == 0 && named_connections(&server, &name) == 0
    })
    .await;
    // And the pool opens new ones when asked.
    assert_eq!(pool.get().await.unwrap().ping().await.unwrap(), "PONG");
}

#[tokio::test]
async fn a_dead_idle_connection_is_not_lent() {
    for protocol in PROTOCOLS {
        let server = Server::start();
        let settings = PoolSettings::new().check_after(Duration::ZERO);
        let pool = Pool::connect_with(config(&server, protocol, settings))
            .await
            .unwrap();
        let conn = pool.get().await.unwrap();
        let old = conn.client_id().await.unwrap();
        drop(conn);
        assert_eq!(pool.status().idle, 1);
        server.cli(&["CLIENT", "KILL", "ID", &old.to_string()]);
        // Whether the PING finds it dead or it already knows it lost its socket,
        // the caller gets a working connection, never the killed one.
        let conn = pool.get().await.unwrap();
        assert_ne!(conn.client_id().await.unwrap(), old);
    }
}

#[tokio::test]
async fn connections_that_changed_state_are_discarded_clean_ones_return() {
    for protocol in PROTOCOLS {
        let pool = Pool::connect_with(config(shared(), protocol, PoolSettings::new()))
            .await
            .unwrap();

        // Plain commands: back to the pool.
        let conn = pool.get().await.unwrap();
        let id = conn.client_id().await.unwrap();
        conn.set(unique_key("pool"), 1).await.unwrap();
        drop(conn);
        assert_eq!(pool.status().idle, 1);

        // SELECT changes the connection: it is closed, and the next one is on db 0.
        let conn = pool.get().await.unwrap();
        assert_eq!(conn.client_id().await.unwrap(), id);
        conn.send(cmd::select(3)).await.unwrap();
        drop(conn);
        assert_eq!(
            pool.status().idle,
            0,
            "a connection on db 3 is not lent again"
        );
        let conn = pool.get().await.unwrap();
        assert_ne!(conn.client_id().await.unwrap(), id);
        assert_eq!(conn.client_info().await.unwrap().db, 0);
        drop(conn);

        // A raw command might have changed anything: discarded too.
        let conn = pool.get().await.unwrap();
        conn.send(redtyped::Raw::<String>::new("PING"))
            .await
            .unwrap();
        drop(conn);
        assert_eq!(pool.status().idle, 0);

        // A handle kept past the checkout: the pool does not lend it to anyone else.
        let conn = pool.get().await.unwrap();
        let kept: Client = Client::clone(&conn);
        drop(conn);
        assert_eq!(pool.status().idle, 0);
        assert_eq!(
            kept.ping().await.unwrap(),
            "PONG",
            "the kept handle still works"
        );
    }
}

#[tokio::test]
async fn a_blocking_command_dropped_mid_wait_does_not_come_back_blocked() {
    let server = Server::start();
    for protocol in PROTOCOLS {
        let client = client_on(&server, protocol).await;
        let key = unique_key("abandoned-blpop");
        let wait = client.blpop::<String, _>([&key], 0.0);
        let abandoned = tokio::time::timeout(Duration::from_millis(50), wait).await;
        assert!(abandoned.is_err(), "nothing was pushed");
        wait_until_async(
            DEADLINE,
            "the server to drop the blocked connection",
            || async {
                server
                    .cli(&["INFO", "clients"])
                    .contains("blocked_clients:0")
            },
        )
        .await;
        assert_eq!(
            client.pool().status().idle,
            0,
            "the blocked connection was closed"
        );
        // A later push is not lost to the abandoned pop.
        server.cli(&["RPUSH", &key, "x"]);
        let popped = client.blpop::<String, _>([&key], 1.0).await.unwrap();
        assert_eq!(popped.unwrap().element, "x");
    }
}

#[tokio::test]
async fn checkouts_dropped_at_any_point_leave_the_pool_consistent() {
    for protocol in PROTOCOLS {
        let server = Server::start();
        let name = unique_key("cancelled-checkouts");
        let settings = PoolSettings::new()
            .max_size(3)
            .check_after(Duration::ZERO)
            .acquire_timeout(DEADLINE);
        let pool = Pool::connect_with(config(&server, protocol, settings).name(&name))
            .await
            .unwrap();
        let holder = pool.get().await.unwrap();
        for polls in 0..40 {
            let mut checkout = Box::pin(pool.get());
            for _ in 0..polls % 8 {
                let waker = std::task::Waker::noop();
                let mut cx = std::task::Context::from_waker(waker);
                if let std::task::Poll::Ready(conn) = checkout.as_mut().poll(&mut cx) {
                    drop(conn);
                    break;
                }
                tokio::task::yield_now().await;
            }
            drop(checkout);
            if polls % 5 == 0 {
                // Half-opened connections and PINGs in flight, cut off mid-way.
                let racing = tokio::time::timeout(Duration::from_micros(200), pool.get()).await;
                drop(racing);
            }
        }
        drop(holder);
        wait_until_async(DEADLINE, "every checkout to be given back", || async {
            pool.status().in_use == 0
        })
        .await;
        let status = pool.status();
        assert!(status.idle <= 3, "{status:?}");
        // Every slot can still be taken at once, and the server never saw more than max.
        let all = [
            pool.get().await.unwrap(),
            pool.get().await.unwrap(),
            pool.get().await.unwrap(),
        ];
        for conn in &all {
            assert_eq!(conn.ping().await.unwrap(), "PONG");
        }
        wait_until_async(DEADLINE, "abandoned connections to close", || async {
            named_connections(&server, &name) <= 3
        })
        .await;
    }
}

#[tokio::test]
async fn blocking_commands_wait_for_a_push_on_lent_connections() {
    let server = Server::start();
    for protocol in PROTOCOLS {
        let settings = PoolSettings::new()
            .max_size(4)
            .acquire_timeout(Duration::from_millis(200));
        let client = Client::connect_with(config(&server, protocol, settings))
            .await
            .unwrap();
        let key = unique_key("lent-blpop");
        let waiters: Vec<_> = (0..4)
            .map(|_| {
                let client = client.clone();
                let key = key.clone();
                tokio::spawn(async move { client.blpop::<i64, _>([&key], 10.0).await })
            })
            .collect();
        wait_until_async(DEADLINE, "four pops to block", || async {
            server
                .cli(&["INFO", "clients"])
                .contains("blocked_clients:4")
        })
        .await;
        // The pool is spent: a fifth blocking command times out waiting for it,
        // while the shared connection goes on answering.
        let e = client.blpop::<i64, _>([&key], 10.0).await.unwrap_err();
        assert!(e.is_pool_timeout(), "{e}");
        assert_eq!(client.incr(unique_key("n")).await.unwrap(), 1);

        server.cli(&["RPUSH", &key, "1", "2", "3", "4"]);
        let mut got = Vec::new();
        for waiter in waiters {
            got.push(waiter.await.unwrap().unwrap().unwrap().element);
        }
        got.sort();
        assert_eq!(got, [1, 2, 3, 4]);
        assert_eq!(client.pool().status().idle, 4);
    }
}

#[tokio::test]
async fn watching_draws_from_the_pool_and_gives_the_connection_back() {
    for protocol in PROTOCOLS {
        let settings = PoolSettings::new().max_size(1);
        let client = Client::connect_with(config(shared(), protocol, settings))
            .await
            .unwrap();
        let key = unique_key("watch-pool");
        for _ in 0..3 {
            let key = key.clone();
            client
                .watching([&key], |tx| {
                    let key = key.clone();
                    async move {
                        let n: i64 = tx.get::<i64>(&key).await?.unwrap_or(0);
                        tx.multi().set(&key, n + 1).execute().await?;
                        Ok(())
                    }
                })
                .await
                .unwrap();
        }
        assert_eq!(client.get::<i64>(&key).await.unwrap(), Some(3));
        assert_eq!(client.pool().status().idle, 1, "one connection, reused");

        // A body that fails leaves no WATCH behind: the connection is still lent again.
        let failed: redtyped::Result<()> = client
            .watching([&key], |tx| {
                let key = key.clone();
                async move {
                    // WRONGTYPE: the body fails before its transaction.
                    tx.hget::<String>(&key, "field").await?;
                    Ok(())
                }
            })
            .await;
        assert!(failed.is_err());
        // The failed body's WATCH would make this transaction fail if it were left.
        client.incr(&key).await.unwrap();
        let conn = client.pool().get().await.unwrap();
        let ((), n) = conn
            .transaction()
            .set(&key, 10)
            .incr(&key)
            .execute()
            .await
            .unwrap();
        assert_eq!(n, 11);
    }
}
