//! Redis Cluster: routing by the spec's key specs and tips, redirections,
//! resharding under load and failover, against real clusters on loopback.

use std::sync::OnceLock;
use std::time::Duration;

use redtyped::cluster::{ClusterConfig, slot};
use redtyped::{ClusterClient, ErrorKind, Outcome, Protocol, cmd};
use redtyped_tests::{Cluster, unique_key, wait_until_async};

use crate::support::PROTOCOLS;

const DEADLINE: Duration = Duration::from_secs(30);

/// Three masters with a replica each, shared by the tests that only touch
/// their own keys (tests that reshard or kill nodes start their own).
pub(crate) fn shared_cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| Cluster::start(3, 1))
}

pub(crate) async fn cluster_client(cluster: &Cluster, protocol: Protocol) -> ClusterClient {
    let config = redtyped::Config::from_url(&cluster.seed_url())
        .unwrap()
        .resp(protocol);
    ClusterClient::connect_with(ClusterConfig::from_configs(vec![config]).unwrap())
        .await
        .unwrap()
}

/// Keys that fall in `n` different slots, each on a different master when n <= 3.
fn keys_across_shards(prefix: &str, n: usize) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    let mut shards_seen = Vec::new();
    for i in 0.. {
        let key = format!("{prefix}:{i}");
        let shard = slot(key.as_bytes()) / (16384 / 3 + 1);
        if !shards_seen.contains(&shard) || shards_seen.len() >= 3 {
            shards_seen.push(shard);
            keys.push(key);
        }
        if keys.len() == n {
            break;
        }
    }
    keys
}

#[tokio::test]
async fn commands_go_to_the_shard_of_their_keys() {
    let cluster = shared_cluster();
    for protocol in PROTOCOLS {
        let client = cluster_client(cluster, protocol).await;
        assert_eq!(client.masters().len(), 3);
        let prefix = unique_key("routed");
        let keys = keys_across_shards(&prefix, 30);
        for (i, key) in keys.iter().enumerate() {
            client.set(key, i as i64).await.unwrap();
        }
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(client.get::<i64>(key).await.unwrap(), Some(i as i64));
            // Each key is where the slot map says, and nowhere else.
            let owner = cluster.master_of(slot(key.as_bytes()), 0).unwrap();
            assert_eq!(
                cluster.nodes()[owner].cli(&["EXISTS", key]),
                ":1\r\n",
                "{key} is on node {owner}"
            );
        }
        // Hash tags keep related keys together for multi-key commands.
        let (a, b) = (format!("{{{prefix}}}:a"), format!("{{{prefix}}}:b"));
        client.sadd(&a, ["x", "y"]).await.unwrap();
        client.sadd(&b, ["y", "z"]).await.unwrap();
        let mut union: Vec<String> = client.sunion([&a, &b]).await.unwrap().into_iter().collect();
        union.sort();
        assert_eq!(union, ["x", "y", "z"]);
    }
}

#[tokio::test]
async fn multi_key_commands_split_by_slot_and_keep_their_order() {
    let cluster = shared_cluster();
    for protocol in PROTOCOLS {
        let client = cluster_client(cluster, protocol).await;
        let keys = keys_across_shards(&unique_key("split"), 9);
        let pairs: Vec<(&str, String)> = keys
            .iter()
            .map(|k| (k.as_str(), format!("v-{k}")))
            .collect();
        client
            .mset(pairs.iter().map(|(k, v)| (*k, v.as_str())))
            .await
            .unwrap();
        let mut asked: Vec<&str> = keys.iter().map(String::as_str).collect();
        asked.insert(4, "missing-key-in-some-slot");
        let values: Vec<Option<String>> = client.mget(asked.iter().copied()).await.unwrap();
        let expected: Vec<Option<String>> = asked
            .iter()
            .map(|k| keys.iter().any(|x| x == k).then(|| format!("v-{k}")))
            .collect();
        assert_eq!(values, expected, "MGET replies in the order of its keys");
        assert_eq!(
            client.exists(asked.iter().copied()).await.unwrap(),
            9,
            "EXISTS sums"
        );
        assert_eq!(
            client.del(keys.iter().take(5)).await.unwrap(),
            5,
            "DEL sums"
        );
        assert_eq!(client.exists(keys.iter()).await.unwrap(), 4);
    }
}

#[tokio::test]
async fn keys_in_different_slots_fail_before_sending() {
    let cluster = shared_cluster();
    let client = cluster_client(cluster, Protocol::Resp3).await;
    let keys = keys_across_shards(&unique_key("crossslot"), 2);
    let e = client
        .sunion::<String, _>([&keys[0], &keys[1]])
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CrossSlot, "{e}");
    assert!(e.is_cross_slot());
    assert_eq!(e.outcome(), Outcome::NotSent);
    let e = client.rename(&keys[0], &keys[1]).await.unwrap_err();
    assert!(e.is_cross_slot(), "{e}");
}

#[tokio::test]
async fn keyless_commands_follow_the_request_and_response_tips() {
    let cluster = shared_cluster();
    for protocol in PROTOCOLS {
        let client = cluster_client(cluster, protocol).await;
        // DBSIZE goes to every master and sums.
        let per_master: i64 = cluster.nodes()[..3]
            .iter()
            .map(|n| {
                n.cli(&["DBSIZE"])
                    .trim_start_matches(':')
                    .trim()
                    .parse::<i64>()
                    .unwrap()
            })
            .sum();
        let total = client.dbsize().await.unwrap();
        assert!((total - per_master).abs() < 1000, "{total} vs {per_master}");
        // PING goes to every master, all must succeed.
        assert_eq!(client.ping().await.unwrap(), "PONG");
        // SCRIPT LOAD goes to every node (replicas too), so EVALSHA works anywhere.
        assert_eq!(client.nodes().len(), 6, "{:?}", client.nodes());
        let sha = client.script_load("return 7").await.unwrap();
        for node in cluster.nodes() {
            assert_eq!(node.cli(&["SCRIPT", "EXISTS", &sha]), "*1\r\n:1\r\n");
        }
        let key = unique_key("evalsha");
        let seven = client.evalsha(&sha, 1).key([&key]).await.unwrap();
        assert_eq!(seven, redtyped::Value::Int(7));
        // KEYS joins every master's keys.
        let prefix = unique_key("keys");
        let keys = keys_across_shards(&prefix, 6);
        for key in &keys {
            client.set(key, 1).await.unwrap();
        }
        let mut found: Vec<String> = client.keys(format!("{prefix}:*")).await.unwrap();
        found.sort();
        let mut expected = keys.clone();
        expected.sort();
        assert_eq!(found, expected);
    }
}

/// A hash tag whose slot node `node` of `cluster` serves.
fn tag_on(cluster: &Cluster, node: usize, prefix: &str) -> (String, u16) {
    (0..)
        .map(|i| format!("{prefix}-{i}"))
        .map(|tag| {
            let s = slot(tag.as_bytes());
            (tag, s)
        })
        .find(|(_, s)| cluster.master_of(*s, 0) == Some(node))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slot_resharded_under_load_loses_and_misroutes_nothing() {
    let cluster = Cluster::start(2, 0);
    let client = cluster_client(&cluster, Protocol::Resp3).await;
    let (tag, moving) = tag_on(&cluster, 0, "reshard");
    const TASKS: usize = 16;
    const INCRS: i64 = 400;
    let progress = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
    let workers: Vec<_> = (0..TASKS)
        .map(|t| {
            let client = client.clone();
            let key = format!("{{{tag}}}:{t}");
            let progress = progress.clone();
            tokio::spawn(async move {
                for expected in 1..=INCRS {
                    let n = client.incr(&key).await.unwrap();
                    assert_eq!(n, expected, "{key}: a reply that is not its own");
                    progress.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            })
        })
        .collect();
    wait_until_async(DEADLINE, "the load to start", || async {
        progress.load(std::sync::atomic::Ordering::Relaxed) >= (TASKS * 20) as i64
    })
    .await;

    // Move the slot from node 0 to node 1 key by key while the INCRs go on.
    let (source_id, target_id) = (cluster.node_id(0), cluster.node_id(1));
    let target_port = cluster.nodes()[1].port().to_string();
    let slot_text = moving.to_string();
    let migrated = tokio::task::spawn_blocking({
        let nodes: Vec<(String, String)> = vec![(source_id.clone(), target_id.clone())];
        let source = cluster.nodes()[0].addr();
        let target = cluster.nodes()[1].addr();
        move || {
            let cli = |addr: &str, args: &[&str]| {
                let mut s = std::net::TcpStream::connect(addr).unwrap();
                String::from_utf8(redtyped_tests::resp::request(&mut s, args).unwrap()).unwrap()
            };
            let (source_id, target_id) = &nodes[0];
            assert_eq!(
                cli(
                    &target,
                    &["CLUSTER", "SETSLOT", &slot_text, "IMPORTING", source_id]
                ),
                "+OK\r\n"
            );
            assert_eq!(
                cli(
                    &source,
                    &["CLUSTER", "SETSLOT", &slot_text, "MIGRATING", target_id]
                ),
                "+OK\r\n"
            );
            let mut moved = 0;
            loop {
                let keys = cli(&source, &["CLUSTER", "GETKEYSINSLOT", &slot_text, "1"]);
                if keys == "*0\r\n" {
                    break;
                }
                let key = keys.lines().nth(2).unwrap().to_string();
                let reply = cli(
                    &source,
                    &["MIGRATE", "127.0.0.1", &target_port, &key, "0", "5000"],
                );
                assert!(reply == "+OK\r\n" || reply == "+NOKEY\r\n", "{reply}");
                moved += 1;
            }
            for addr in [&target, &source] {
                assert_eq!(
                    cli(addr, &["CLUSTER", "SETSLOT", &slot_text, "NODE", target_id]),
                    "+OK\r\n"
                );
            }
            moved
        }
    })
    .await
    .unwrap();
    for worker in workers {
        worker.await.unwrap();
    }
    assert!(migrated >= 1, "keys were migrated while the load ran");
    for t in 0..TASKS {
        let key = format!("{{{tag}}}:{t}");
        assert_eq!(client.get::<i64>(&key).await.unwrap(), Some(INCRS), "{key}");
        assert_eq!(
            cluster.nodes()[1].cli(&["GET", &key]),
            format!("${}\r\n{INCRS}\r\n", INCRS.to_string().len())
        );
    }
    let stats = client.stats();
    assert!(stats.asked + stats.moved >= 1, "{stats:?}");
    assert_eq!(client.master_of(moving), Some(cluster.nodes()[1].addr()));
}

#[tokio::test]
async fn a_storm_of_moved_replies_refreshes_the_topology_at_most_a_few_times() {
    let cluster = Cluster::start(2, 0);
    let client = cluster_client(&cluster, Protocol::Resp2).await;
    let (tag, moving) = tag_on(&cluster, 0, "storm");
    // Hand the (empty) slot to node 1 behind the client's back.
    let target_id = cluster.node_id(1);
    for node in cluster.nodes() {
        assert_eq!(
            node.cli(&[
                "CLUSTER",
                "SETSLOT",
                &moving.to_string(),
                "NODE",
                &target_id
            ]),
            "+OK\r\n"
        );
    }
    let before = client.stats();
    let key = format!("{{{tag}}}:k");
    let storm: Vec<_> = (0..1000).map(|_| client.send(cmd::incr(&key))).collect();
    let mut replies = Vec::new();
    for reply in storm {
        replies.push(reply.await.unwrap());
    }
    replies.sort_unstable();
    assert_eq!(
        replies,
        (1..=1000).collect::<Vec<i64>>(),
        "each INCR ran once"
    );
    let after = client.stats();
    assert!(after.moved > before.moved, "{after:?}");
    assert!(
        after.refreshes - before.refreshes <= 3,
        "1,000 MOVED replies caused {} refreshes",
        after.refreshes - before.refreshes
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_master_is_replaced_by_its_replica_and_writes_are_never_repeated() {
    let mut cluster = Cluster::start(3, 1);
    let client = cluster_client(&cluster, Protocol::Resp3).await;
    let (tag, failing) = tag_on(&cluster, 0, "failover");
    let key = format!("{{{tag}}}:counter");
    let replica_addr = cluster.nodes()[3].addr();
    assert_eq!(cluster.master_of(failing, 0), Some(0));

    let (mut acked, mut unknown, mut not_sent) = (0i64, 0i64, 0i64);
    let mut last_value = 0;
    for _ in 0..50 {
        last_value = client.incr(&key).await.unwrap();
        acked += 1;
    }
    assert_eq!(last_value, 50);
    cluster.node_mut(0).kill();
    // Go on writing through the failover until the promoted replica has taken 50 more.
    let mut after_promotion = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while after_promotion < 50 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no failover within 60 s"
        );
        match client.incr(&key).await {
            Ok(n) => {
                assert!(
                    n > last_value,
                    "{n} after {last_value}: a reply out of order"
                );
                last_value = n;
                acked += 1;
                if client.master_of(failing).as_deref() == Some(replica_addr.as_str()) {
                    after_promotion += 1;
                }
            }
            Err(e) if e.outcome() == Outcome::Unknown => unknown += 1,
            Err(e) if e.outcome() == Outcome::NotSent => not_sent += 1,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    let value = client.get::<i64>(&key).await.unwrap().unwrap();
    assert!(
        value <= acked + unknown,
        "{value} > {acked} acknowledged + {unknown} unknown: a write ran twice"
    );
    assert!(value > 50, "the promoted replica took writes ({value})");
    assert_eq!(client.master_of(failing), Some(replica_addr));
    eprintln!(
        "acked {acked}, unknown {unknown}, not sent {not_sent}, value {value}, stats {:?}",
        client.stats()
    );
}

#[tokio::test]
async fn pipelines_split_per_node_and_come_back_in_order_with_their_types() {
    use redtyped::prelude::*;
    let cluster = shared_cluster();
    for protocol in PROTOCOLS {
        let client = cluster_client(cluster, protocol).await;
        let keys = keys_across_shards(&unique_key("pipelined"), 3);
        let (a, b, c) = (&keys[0], &keys[1], &keys[2]);
        let (set, n, fresh, got, missing, size): (
            (),
            i64,
            bool,
            Option<String>,
            Option<String>,
            i64,
        ) = client
            .pipeline()
            .set(a, "one")
            .incr(b)
            .set(c, "three")
            .nx()
            .queue()
            .get(a)
            .get(unique_key("nothing"))
            .dbsize()
            .execute()
            .await
            .unwrap();
        assert_eq!((set, n, fresh), ((), 1, true));
        assert_eq!((got.as_deref(), missing), (Some("one"), None));
        assert!(size >= 3, "DBSIZE inside a pipeline still sums every shard");
        // A dynamic pipeline of many commands over every shard.
        let many: Vec<String> = (0..300)
            .map(|i| format!("{}:{i}", unique_key("many")))
            .collect();
        let counts: Vec<i64> = client
            .pipeline()
            .extend(many.iter().map(|k| cmd::incrby(k, 2)))
            .execute()
            .await
            .unwrap();
        assert_eq!(counts, vec![2; 300]);
        // Errors stay in place.
        let each = client
            .pipeline()
            .incr(a)
            .incr(b)
            .execute_each()
            .await
            .unwrap();
        assert!(each.0.unwrap_err().is_server());
        assert_eq!(each.1.unwrap(), 2);
    }
}

#[tokio::test]
async fn transactions_keep_to_one_slot() {
    use redtyped::prelude::*;
    let cluster = shared_cluster();
    for protocol in PROTOCOLS {
        let client = cluster_client(cluster, protocol).await;
        let tag = unique_key("tx");
        let (a, b) = (format!("{{{tag}}}:a"), format!("{{{tag}}}:b"));
        let ((), n, got): ((), i64, Option<String>) = client
            .transaction()
            .set(&a, "x")
            .incr(&b)
            .get(&a)
            .execute()
            .await
            .unwrap();
        assert_eq!((n, got.as_deref()), (1, Some("x")));
        let keys = keys_across_shards(&unique_key("tx-cross"), 2);
        let e = client
            .transaction()
            .incr(&keys[0])
            .incr(&keys[1])
            .execute()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::CrossSlot, "{e}");
        assert_eq!(
            client.exists(keys.iter()).await.unwrap(),
            0,
            "nothing was sent"
        );
    }
}

#[tokio::test]
async fn reads_may_go_to_replicas_writes_never_do() {
    let cluster = shared_cluster();
    let config = redtyped::Config::from_url(&cluster.seed_url()).unwrap();
    let client = ClusterClient::connect_with(
        ClusterConfig::from_configs(vec![config])
            .unwrap()
            .read_from_replicas(true),
    )
    .await
    .unwrap();
    let key = unique_key("replica-read");
    client.set(&key, "v").await.unwrap();
    // Replication is asynchronous: wait until a replica has it.
    wait_until_async(DEADLINE, "a replica to serve the write", || async {
        client.get::<String>(&key).await.unwrap().as_deref() == Some("v")
    })
    .await;
    let gets_on_replicas: i64 = cluster.nodes()[3..]
        .iter()
        .map(|n| {
            let stats = n.cli(&["INFO", "commandstats"]);
            stats
                .lines()
                .find(|l| l.starts_with("cmdstat_get:"))
                .and_then(|l| {
                    l.split(['=', ','])
                        .nth(1)
                        .map(|c| c.parse::<i64>().unwrap())
                })
                .unwrap_or(0)
        })
        .sum();
    assert!(gets_on_replicas >= 1, "GET ran on a replica");
    // A write to a replica would come back as MOVED; it goes to the master.
    assert_eq!(client.incr(unique_key("replica-write")).await.unwrap(), 1);
}

#[tokio::test]
async fn blocking_commands_run_on_a_pooled_connection_of_their_node() {
    let cluster = shared_cluster();
    let client = cluster_client(cluster, Protocol::Resp3).await;
    let key = unique_key("cluster-blpop");
    let waiter = tokio::spawn({
        let client = client.clone();
        let key = key.clone();
        async move { client.blpop::<String, _>([&key], 10.0).await }
    });
    let owner = cluster.master_of(slot(key.as_bytes()), 0).unwrap();
    wait_until_async(DEADLINE, "BLPOP to block on its node", || async {
        cluster.nodes()[owner]
            .cli(&["INFO", "clients"])
            .contains("blocked_clients:1")
    })
    .await;
    client.rpush(&key, ["x"]).await.unwrap();
    assert_eq!(waiter.await.unwrap().unwrap().unwrap().element, "x");
}

#[tokio::test]
async fn dedicated_commands_are_refused() {
    let cluster = shared_cluster();
    let client = cluster_client(cluster, Protocol::Resp3).await;
    let e = client.send(cmd::select(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shard_channels_are_subscribed_by_slot_and_followed_when_the_slot_moves() {
    use redtyped::pubsub::Event;
    let cluster = Cluster::start(2, 0);
    for protocol in PROTOCOLS {
        let client = cluster_client(&cluster, protocol).await;
        let (tag, moving) = tag_on(&cluster, 0, &unique_key("sharded"));
        let channel = format!("{{{tag}}}:news");
        let (subscriber, mut messages) = client.subscriber();
        subscriber.ssubscribe([&channel]).await.unwrap();
        assert_eq!(
            cluster.nodes()[0].cli(&["PUBSUB", "SHARDNUMSUB", &channel]),
            format!("*2\r\n${}\r\n{channel}\r\n:1\r\n", channel.len()),
            "subscribed on the master of its slot"
        );
        assert_eq!(client.spublish(&channel, "before").await.unwrap(), 1);
        let first = tokio::time::timeout(DEADLINE, messages.next())
            .await
            .unwrap()
            .unwrap();
        let first = first.into_message().expect("a message");
        assert_eq!(
            (
                first.channel_str(),
                first.decode::<String>().unwrap().as_str()
            ),
            (Some(channel.as_str()), "before")
        );

        // Hand the slot to the other master: the subscription follows it.
        let target = cluster.node_id(1);
        for node in cluster.nodes() {
            node.cli(&["CLUSTER", "SETSLOT", &moving.to_string(), "NODE", &target]);
        }
        let moved = async {
            loop {
                match messages.next().await {
                    Some(Event::Reconnected) => return,
                    Some(_) => continue,
                    None => panic!("the stream ended"),
                }
            }
        };
        tokio::time::timeout(DEADLINE, moved)
            .await
            .expect("a Reconnected event after the move");
        assert_eq!(
            cluster.nodes()[1].cli(&["PUBSUB", "SHARDNUMSUB", &channel]),
            format!("*2\r\n${}\r\n{channel}\r\n:1\r\n", channel.len()),
            "subscribed on the new master"
        );
        assert_eq!(client.spublish(&channel, "after").await.unwrap(), 1);
        let next = tokio::time::timeout(DEADLINE, messages.next())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            next.into_message().unwrap().decode::<String>().unwrap(),
            "after"
        );
        // Move it back for the other protocol's round.
        let source = cluster.node_id(0);
        for node in cluster.nodes() {
            node.cli(&["CLUSTER", "SETSLOT", &moving.to_string(), "NODE", &source]);
        }
        subscriber.sunsubscribe([&channel]).await.unwrap();
    }
}
