//! Many tasks sharing one client, every reply checked against the request
//! that asked for it: with automatic pipelining, a reply handed to the
//! wrong caller would show up here as a wrong value.

use std::time::Duration;

use redtyped::{Client, Config, Pool, PoolSettings, PooledConnection};
use redtyped_tests::unique_key;
use tokio::task::JoinSet;

use crate::support::PROTOCOLS;

const TASKS: usize = 200;
const COMMANDS_PER_TASK: usize = 2_000;
const COMMANDS_PER_CHECKOUT: usize = 250;

/// Where a task sends its commands.
enum Via {
    Client(Client),
    Pool(Pool),
}

/// One task's work: a cycle of eight commands over its own keys, each with a
/// payload no other request has, each reply compared with what that request
/// must return.
async fn mixed_commands(via: Via, task: usize) {
    let prefix = unique_key(&format!("load-{task}"));
    let (string, counter, appended, hash, list) = (
        format!("{prefix}:s"),
        format!("{prefix}:n"),
        format!("{prefix}:a"),
        format!("{prefix}:h"),
        format!("{prefix}:l"),
    );
    let payload = |i: usize| format!("{prefix}/{i}");
    let (mut increments, mut appended_len, mut list_len) = (0i64, 0i64, 0i64);
    let mut held: Option<PooledConnection> = None;
    for i in 0..COMMANDS_PER_TASK {
        let client: &Client = match &via {
            Via::Client(client) => client,
            Via::Pool(pool) => {
                // A connection of its own for every run of commands: many
                // checkouts, each given back clean to the next task.
                if i % COMMANDS_PER_CHECKOUT == 0 {
                    drop(held.take()); // give it back before waiting for the next
                    held = Some(pool.get().await.unwrap());
                }
                held.as_deref().unwrap()
            }
        };
        let p = payload(i);
        let previous = payload(i.saturating_sub(1));
        let context = || format!("task {task}, command {i}");
        match i % 8 {
            0 => client.set(&string, &p).await.unwrap(),
            1 => assert_eq!(
                client.get::<String>(&string).await.unwrap(),
                Some(previous),
                "{}",
                context()
            ),
            2 => {
                increments += 1;
                assert_eq!(
                    client.incr(&counter).await.unwrap(),
                    increments,
                    "{}",
                    context()
                );
            }
            3 => {
                appended_len += p.len() as i64;
                assert_eq!(
                    client.append(&appended, &p).await.unwrap(),
                    appended_len,
                    "{}",
                    context()
                );
            }
            4 => assert_eq!(
                client.hset(&hash, [(&p, &p)]).await.unwrap(),
                1,
                "{}",
                context()
            ),
            5 => assert_eq!(
                client.hget::<String>(&hash, &previous).await.unwrap(),
                Some(previous),
                "{}",
                context()
            ),
            6 => {
                list_len += 1;
                assert_eq!(
                    client.lpush(&list, [&p]).await.unwrap(),
                    list_len,
                    "{}",
                    context()
                );
            }
            _ => assert_eq!(
                client.lrange::<String>(&list, 0, 0).await.unwrap(),
                [previous],
                "{}",
                context()
            ),
        }
    }
    let client: &Client = match &via {
        Via::Client(client) => client,
        Via::Pool(_) => held.as_deref().unwrap(),
    };
    assert_eq!(
        client.strlen(&appended).await.unwrap(),
        appended_len,
        "task {task}"
    );
    client
        .del([&string, &counter, &appended, &hash, &list])
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_tasks_of_two_thousand_mixed_commands_each_get_their_own_replies() {
    for protocol in PROTOCOLS {
        let client = crate::support::client_on(redtyped_tests::shared(), protocol).await;
        let mut tasks = JoinSet::new();
        for task in 0..TASKS {
            tasks.spawn(mixed_commands(Via::Client(client.clone()), task));
        }
        let started = std::time::Instant::now();
        tokio::time::timeout(Duration::from_secs(120), tasks.join_all())
            .await
            .expect("the load finishes");
        let stats = client.stats();
        eprintln!(
            "{protocol:?}: {} commands from {TASKS} tasks in {:?} ({:?})",
            TASKS * (COMMANDS_PER_TASK + 2),
            started.elapsed(),
            stats
        );
        assert!(stats.commands_sent >= (TASKS * (COMMANDS_PER_TASK + 2)) as u64);
        assert_eq!(stats.in_flight, 0);
        assert_eq!(stats.reconnects, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_tasks_of_two_thousand_mixed_commands_over_the_pool() {
    for protocol in PROTOCOLS {
        let settings = PoolSettings::new()
            .max_size(16)
            .acquire_timeout(Duration::from_secs(60));
        let config = Config::from_url(&redtyped_tests::shared().url())
            .unwrap()
            .resp(protocol)
            .pool(settings);
        let pool = Pool::connect_with(config).await.unwrap();
        let mut tasks = JoinSet::new();
        for task in 0..TASKS {
            tasks.spawn(mixed_commands(Via::Pool(pool.clone()), task));
        }
        let started = std::time::Instant::now();
        tokio::time::timeout(Duration::from_secs(120), tasks.join_all())
            .await
            .expect("the load finishes");
        let status = pool.status();
        eprintln!(
            "{protocol:?} over the pool: {} commands, {} checkouts, in {:?} ({status:?})",
            TASKS * (COMMANDS_PER_TASK + 2),
            TASKS * COMMANDS_PER_TASK / COMMANDS_PER_CHECKOUT,
            started.elapsed()
        );
        assert_eq!(status.in_use, 0);
        assert!(
            (1..=16).contains(&status.idle),
            "clean connections went back, never more than the maximum: {status:?}"
        );
    }
}
