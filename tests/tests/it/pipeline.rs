//! Pipelines and MULTI/EXEC transactions: typed tuples, dynamic Vecs, errors
//! in place, and what interleaves.

use std::time::Duration;

use redtyped::prelude::*;
use redtyped::{ErrorKind, Raw, cmd};
use redtyped_tests::{shared, unique_key, wait_until_async};

use crate::support::each_protocol;

#[tokio::test]
async fn a_typed_chain_executes_to_a_tuple_of_each_commands_reply_type() {
    each_protocol(|client| async move {
        let (k, n, lock) = (unique_key("p-k"), unique_key("p-n"), unique_key("p-lock"));
        client.set(&k, "v").await.unwrap();
        let (v, count, created, again, missing): (Option<String>, i64, bool, bool, Option<i64>) =
            client
                .pipeline()
                .get(&k)
                .incr(&n)
                .set(&lock, "me")
                .nx()
                .set(&lock, "you")
                .nx()
                .queue()
                .get(unique_key("p-missing"))
                .execute()
                .await
                .unwrap();
        assert_eq!(
            (v.as_deref(), count, created, again, missing),
            (Some("v"), 1, true, false, None)
        );
        // SET's `.get()` option and the GET command share a name: `.queue()` ends the SET.
        let (old, now): (Option<String>, Option<String>) = client
            .pipeline()
            .set(&k, "w")
            .get()
            .queue()
            .get(&k)
            .execute()
            .await
            .unwrap();
        assert_eq!((old.as_deref(), now.as_deref()), (Some("v"), Some("w")));
        // Command values mix in with push().
        let ((), n2): ((), i64) = client
            .pipeline()
            .push(cmd::set(&k, "x"))
            .incr(&n)
            .execute()
            .await
            .unwrap();
        assert_eq!(n2, 2);
        assert_eq!(shared().cli(&["GET", &k]), "$1\r\nx\r\n");
    })
    .await;
}

#[tokio::test]
async fn chains_of_more_than_32_commands_compile_and_run() {
    each_protocol(|client| async move {
        let n = unique_key("p-long");
        let p = client.pipeline();
        let p = p
            .incr(&n)
            .incr(&n)
            .incr(&n)
            .incr(&n)
            .incr(&n)
            .incr(&n)
            .incr(&n)
            .incr(&n);
        let p = p
            .incr(&n)
            .incr(&n)
            .incr(&n)
            .incr(&n)
            .incr(&n)
            .incr(&n)
            .incr(&n)
            .incr(&n);
        let p = p
            .incr(&n)
            .incr(&n)
            .incr(&n)
            .incr(&n)
            .incr(&n)
            .incr(&n)
            .incr(&n)
            .incr(&n);
        let p = p
            .incr(&n)
            .incr(&n)
            .incr(&n)
            .incr(&n)
            .incr(&n)
            .incr(&n)
            .incr(&n)
            .incr(&n);
        let p = p.get::<String>(&n);
        let replies = p.execute().await.unwrap();
        assert_eq!(replies.0, 1);
        assert_eq!(replies.31, 32);
        assert_eq!(replies.32.as_deref(), Some("32"));
    })
    .await;
}

#[tokio::test]
async fn a_dynamic_pipeline_executes_to_a_vec() {
    each_protocol(|client| async move {
        let keys: Vec<String> = (0..100)
            .map(|i| unique_key(&format!("p-dyn-{i}")))
            .collect();
        let counts: Vec<i64> = client
            .pipeline()
            .extend(keys.iter().map(cmd::incr))
            .execute()
            .await
            .unwrap();
        assert_eq!(counts, vec![1; 100]);
        let again = client
            .pipeline()
            .extend(keys.iter().take(50).map(|k| cmd::incrby(k, 10)))
            .extend(keys.iter().skip(50).map(|k| cmd::incrby(k, 20)))
            .execute()
            .await
            .unwrap();
        assert_eq!(&again[..2], [11, 11]);
        assert_eq!(again[99], 21);
        let empty: Vec<i64> = client
            .pipeline()
            .extend(Vec::<cmd::Incr<'_, redtyped::shape::Int>>::new())
            .execute()
            .await
            .unwrap();
        assert!(empty.is_empty());
    })
    .await;
}

#[tokio::test]
async fn errors_fail_execute_or_stay_in_place_and_the_connection_stays_in_step() {
    each_protocol(|client| async move {
        let (list, n) = (unique_key("p-list"), unique_key("p-n"));
        client.lpush(&list, ["a"]).await.unwrap();
        let e = client
            .pipeline()
            .incr(&n)
            .incr(&list)
            .incr(&n)
            .execute()
            .await
            .unwrap_err();
        assert_eq!(e.server_code(), Some("WRONGTYPE"), "{e}");
        assert_eq!(e.command(), Some("INCR"));
        // Every reply was read: the next command gets its own.
        assert_eq!(client.get::<i64>(&n).await.unwrap(), Some(2));
        let (first, second, third) = client
            .pipeline()
            .incr(&n)
            .incr(&list)
            .incr(&n)
            .execute_each()
            .await
            .unwrap();
        assert_eq!(first.unwrap(), 3);
        assert_eq!(second.unwrap_err().server_code(), Some("WRONGTYPE"));
        assert_eq!(third.unwrap(), 4);
        // A reply of the wrong shape is a decode error in place.
        let (bad, good) = client
            .pipeline()
            .get::<i64>(&list)
            .queue()
            .incr(&n)
            .execute_each()
            .await
            .unwrap();
        assert!(bad.is_err());
        assert_eq!(good.unwrap(), 5);
        // Dedicated commands cannot join a pipeline.
        let e = client
            .pipeline()
            .push(cmd::blpop::<String, _>([&list], 1.0))
            .execute()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
    })
    .await;
}

#[tokio::test]
async fn transactions_decode_exec_into_the_tuple_and_keep_run_time_errors_in_place() {
    each_protocol(|client| async move {
        let (k, n, list) = (unique_key("t-k"), unique_key("t-n"), unique_key("t-list"));
        let ((), count, v): ((), i64, Option<String>) = client
            .transaction()
            .set(&k, "1")
            .incr(&n)
            .get(&k)
            .execute()
            .await
            .unwrap();
        assert_eq!((count, v.as_deref()), (1, Some("1")));

        // A run-time error inside EXEC: in place; Redis does not roll back the others.
        client.lpush(&list, ["a"]).await.unwrap();
        let (a, b, c) = client
            .transaction()
            .incr(&n)
            .incr(&list)
            .incr(&n)
            .execute_each()
            .await
            .unwrap();
        assert_eq!(a.unwrap(), 2);
        assert_eq!(b.unwrap_err().server_code(), Some("WRONGTYPE"));
        assert_eq!(c.unwrap(), 3);
        assert_eq!(shared().cli(&["GET", &n]), "$1\r\n3\r\n");
        let e = client
            .transaction()
            .incr(&n)
            .incr(&list)
            .execute()
            .await
            .unwrap_err();
        assert_eq!(e.server_code(), Some("WRONGTYPE"));

        // A command refused while queueing aborts everything.
        let e = client
            .transaction()
            .incr(&n)
            .push(Raw::<()>::new("SET").arg(&k))
            .execute()
            .await
            .unwrap_err();
        assert_eq!(e.server_code(), Some("EXECABORT"), "{e}");
        assert!(
            e.message().contains("SET"),
            "names the refused command: {e}"
        );
        assert_eq!(
            shared().cli(&["GET", &n]),
            "$1\r\n4\r\n",
            "the queued INCR did not run"
        );
        assert_eq!(client.ping().await.unwrap(), "PONG");
    })
    .await;
}

/// One round: a batch `INCR c`, `SET` of 4 MiB (many socket reads for the
/// server), `GET c`, while another connection increments `c`. Returns whether
/// the other connection's writes landed between the batch's first and last command.
async fn interleaved(client: &redtyped::Client, other: &redtyped::Client, atomic: bool) -> bool {
    let c = unique_key("interleave");
    let filler = unique_key("filler");
    let value = "x".repeat(4 << 20);
    let writer = {
        let (other, c) = (other.clone(), c.clone());
        tokio::spawn(async move {
            for _ in 0..2_000 {
                other.incr(&c).await.unwrap();
            }
        })
    };
    let batch = if atomic {
        client.transaction()
    } else {
        client.pipeline()
    };
    let (first, (), last): (i64, (), Option<i64>) = batch
        .incr(&c)
        .set(&filler, value.as_str())
        .queue()
        .get(&c)
        .execute()
        .await
        .unwrap();
    writer.await.unwrap();
    client.del([&c, &filler]).await.unwrap();
    last.unwrap() != first
}

#[tokio::test]
async fn pipelines_may_interleave_with_other_connections_but_transactions_never_do() {
    let client = crate::support::client_on(shared(), redtyped::Protocol::Resp3).await;
    let other = crate::support::client_on(shared(), redtyped::Protocol::Resp3).await;
    for _ in 0..5 {
        assert!(
            !interleaved(&client, &other, true).await,
            "a transaction was interleaved"
        );
    }
    wait_until_async(
        Duration::from_secs(20),
        "another connection's write inside a pipeline",
        || {
            let (client, other) = (client.clone(), other.clone());
            async move { interleaved(&client, &other, false).await }
        },
    )
    .await;
}

#[tokio::test]
async fn watching_retries_on_conflict_so_50_tasks_of_100_increments_make_5000() {
    for protocol in crate::support::PROTOCOLS {
        let client = crate::support::client_on(shared(), protocol).await;
        let key = unique_key("watched-counter");
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (client, key) = (client.clone(), key.clone());
                tokio::spawn(async move {
                    for _ in 0..100 {
                        let key = key.clone();
                        client
                            .watching_with([key.clone()], 10_000, |tx| {
                                let key = key.clone();
                                async move {
                                    let current: i64 = tx.get::<i64>(&key).await?.unwrap_or(0);
                                    tx.multi().set(&key, current + 1).execute().await?;
                                    Ok(current + 1)
                                }
                            })
                            .await
                            .unwrap();
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(
            client.get::<i64>(&key).await.unwrap(),
            Some(5_000),
            "{protocol:?}"
        );
    }
}

#[tokio::test]
async fn a_watch_conflict_is_distinct_and_the_connection_is_left_clean() {
    each_protocol(|client| async move {
        let key = unique_key("watched");
        // The body changes the key from another connection: every attempt conflicts.
        let attempts = std::sync::atomic::AtomicUsize::new(0);
        let e = client
            .watching_with([key.as_str()], 3, |tx| {
                attempts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let key = key.clone();
                async move {
                    shared().cli(&["INCR", &key]);
                    tx.multi().incr(&key).execute().await?;
                    Ok(())
                }
            })
            .await
            .unwrap_err();
        assert!(e.is_watch_conflict(), "{e}");
        assert_eq!(e.kind(), ErrorKind::WatchConflict);
        assert_eq!(attempts.into_inner(), 3);
        assert_eq!(
            shared().cli(&["GET", &key]),
            "$1\r\n3\r\n",
            "no transaction ran"
        );

        // A body that fails without EXEC leaves no WATCH behind: the reused
        // connection commits next time even though the key changed meanwhile.
        let list = unique_key("watched-list");
        client.lpush(&list, ["x"]).await.unwrap();
        let failed: redtyped::Result<i64> = client
            .watching([key.as_str()], |tx| {
                let list = list.clone();
                async move { tx.incr(&list).await }
            })
            .await;
        assert_eq!(failed.unwrap_err().server_code(), Some("WRONGTYPE"));
        shared().cli(&["INCR", &key]);
        let done: i64 = client
            .watching([key.as_str()], |tx| {
                let key = key.clone();
                async move {
                    let v: i64 = tx.get::<i64>(&key).await?.unwrap_or(0);
                    tx.multi().set(&key, v + 1).execute().await?;
                    Ok(v + 1)
                }
            })
            .await
            .unwrap();
        assert_eq!(done, 5);
    })
    .await;
}

#[tokio::test]
async fn deferred_handles_resolve_after_execute_and_fail_clearly_before() {
    each_protocol(|client| async move {
        let (k, n, list) = (unique_key("d-k"), unique_key("d-n"), unique_key("d-list"));
        client.set(&k, "v").await.unwrap();
        client.lpush(&list, ["x"]).await.unwrap();
        let mut batch = client.deferred();
        let value = batch.add(cmd::get::<String>(&k));
        let count = batch.add(cmd::incr(&n));
        let wrong = batch.add(cmd::incr(&list));
        let scores = batch.add(cmd::zrange::<String>(&k, 0, -1).withscores());
        let early = batch.add(cmd::incr(&n));
        // Awaiting before execute: an error at once, not a hang.
        let e = early.await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
        batch.execute().await.unwrap();
        assert_eq!(value.await.unwrap().as_deref(), Some("v"));
        assert_eq!(count.await.unwrap(), 1);
        assert_eq!(wrong.await.unwrap_err().server_code(), Some("WRONGTYPE"));
        assert_eq!(scores.await.unwrap_err().server_code(), Some("WRONGTYPE"));
        assert_eq!(
            client.get::<i64>(&n).await.unwrap(),
            Some(2),
            "the early handle's command still ran"
        );
        // A batch dropped unexecuted: its handles fail with a clear error.
        let orphan = {
            let mut batch = client.deferred();
            batch.add(cmd::incr(&n))
        };
        assert_eq!(orphan.await.unwrap_err().kind(), ErrorKind::Usage);
        assert_eq!(client.get::<i64>(&n).await.unwrap(), Some(2));
    })
    .await;
}

#[tokio::test]
async fn a_watch_body_that_panics_or_is_dropped_leaves_nothing_watched() {
    let client = crate::support::client_on(shared(), redtyped::Protocol::Resp3).await;
    let key = unique_key("watch-abandoned");
    // A panicking body: the panic reaches the caller.
    let panicked = tokio::spawn({
        let client = client.clone();
        let key = key.clone();
        async move {
            client
                .watching([key.clone()], |_tx| async move {
                    panic!("the body gave up");
                    #[allow(unreachable_code)]
                    Ok(())
                })
                .await
        }
    })
    .await;
    assert!(panicked.unwrap_err().is_panic());
    // A body whose future is dropped while it waits.
    let dropped = tokio::time::timeout(
        Duration::from_millis(50),
        client.watching([key.clone()], |_tx| {
            std::future::pending::<redtyped::Result<()>>()
        }),
    )
    .await;
    assert!(dropped.is_err(), "the body never finishes");
    // The key changes; a new watched transaction still commits: no stale WATCH
    // was left on any connection the client reuses.
    shared().cli(&["SET", &key, "10"]);
    for _ in 0..3 {
        let v: i64 = client
            .watching([key.clone()], |tx| {
                let key = key.clone();
                async move {
                    let v: i64 = tx.get::<i64>(&key).await?.unwrap_or(0);
                    tx.multi().set(&key, v + 1).execute().await?;
                    Ok(v + 1)
                }
            })
            .await
            .unwrap();
        assert!(v > 10);
    }
    assert_eq!(shared().cli(&["GET", &key]), "$2\r\n13\r\n");
}
