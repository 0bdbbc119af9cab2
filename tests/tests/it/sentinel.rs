//! Sentinel: the master found by name, and followed through a failover.

use std::time::Duration;

use redtyped::{Client, Config, Outcome, Protocol, SentinelConfig};
use redtyped_tests::{Server, unique_key, wait_until_async};

const DEADLINE: Duration = Duration::from_secs(30);

/// The port the client's connection is on, asked of the server itself
/// (`None` while the connection is moving).
async fn connected_port(client: &Client) -> Option<u16> {
    let port: std::collections::HashMap<String, String> = client.config_get(["port"]).await.ok()?;
    port["port"].parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_master_is_found_by_name_and_followed_through_a_failover() {
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let master = Server::start();
        let replica = Server::builder()
            .config("replicaof", format!("127.0.0.1 {}", master.port()))
            .start();
        let sentinel = Server::builder()
            .sentinel()
            .config(
                "sentinel",
                format!("monitor mymaster 127.0.0.1 {} 1", master.port()),
            )
            .config("sentinel", "down-after-milliseconds mymaster 2000")
            .config("sentinel", "failover-timeout mymaster 10000")
            .start();
        wait_until_async(DEADLINE, "the sentinel to know the replica", || async {
            sentinel
                .cli(&["SENTINEL", "REPLICAS", "mymaster"])
                .starts_with("*1")
        })
        .await;

        let config = SentinelConfig::new("mymaster", [sentinel.url().as_str()])
            .unwrap()
            .master(Config::new("ignored", 0).resp(protocol));
        let client = Client::connect_sentinel(config).await.unwrap();
        assert_eq!(connected_port(&client).await, Some(master.port()));
        let key = unique_key("sentinel");
        assert_eq!(client.incr(&key).await.unwrap(), 1);
        wait_until_async(DEADLINE, "the replica to have the write", || async {
            replica.cli(&["GET", &key]) == "$1\r\n1\r\n"
        })
        .await;

        // The client listens for +switch-master on the sentinel.
        wait_until_async(
            DEADLINE,
            "the client to subscribe on the sentinel",
            || async { sentinel.cli(&["CLIENT", "LIST"]).contains(" sub=1 ") },
        )
        .await;
        // Fail over on purpose: the replica becomes the master, the client follows.
        assert_eq!(
            sentinel.cli(&["SENTINEL", "FAILOVER", "mymaster"]),
            "+OK\r\n"
        );
        let (mut acked, mut unknown) = (1i64, 0i64);
        let following = async {
            loop {
                match client.incr(&key).await {
                    Ok(_) => acked += 1,
                    Err(e) if e.outcome() == Outcome::Unknown => unknown += 1,
                    Err(_) => {}
                }
                // The sentinel drops the promoted replica's clients, so ask
                // through the client, not a side connection.
                let on_replica = connected_port(&client).await == Some(replica.port());
                let is_master = client.role().await.is_ok_and(|r| r.role == "master");
                if on_replica && is_master {
                    return;
                }
            }
        };
        tokio::time::timeout(DEADLINE, following)
            .await
            .expect("the client reached the new master");
        assert!(client.stats().reconnects >= 1);
        let n = client.incr(&key).await.unwrap();
        acked += 1;
        assert!(
            n <= acked + unknown,
            "{n} > {acked} + {unknown}: a write ran twice"
        );
        // What it is connected to says it is a master.
        assert_eq!(client.role().await.unwrap().role, "master");
    }
}

#[tokio::test]
async fn an_unknown_master_name_is_a_clear_error() {
    let master = Server::start();
    let sentinel = Server::builder()
        .sentinel()
        .config(
            "sentinel",
            format!("monitor mymaster 127.0.0.1 {} 1", master.port()),
        )
        .start();
    let config = SentinelConfig::new("nosuchmaster", [sentinel.url().as_str()]).unwrap();
    let e = Client::connect_sentinel(config).await.unwrap_err();
    assert!(e.to_string().contains("nosuchmaster"), "{e}");
}
