//! Reply types of the commands annotated after the five spec parts: CLIENT INFO,
//! the SUBSCRIBE family's confirmations, CLUSTER SLOTS, CLIENT REPLY, CLIENT KILL.

use redtyped::reply::{ClientRow, ClusterSlotRange, SubscriptionAck};
use redtyped::{ErrorKind, Protocol, Value, cmd};
use redtyped_tests::{Server, shared, wait_until_async};

use crate::support::{PROTOCOLS, call_dedicated, client_on, each_protocol};

#[tokio::test]
async fn client_info_is_this_connections_row() {
    each_protocol(|client| async move {
        let me: ClientRow = client.client_info().await.unwrap();
        let id: i64 = client.client_id().await.unwrap();
        assert_eq!(me.id, id);
        let resp = if client.resp() == redtyped::Resp::V3 {
            3
        } else {
            2
        };
        assert_eq!(me.resp, resp, "{me:?}");
        assert_eq!(me.db, 0);
        // The server's own list has the same address for that id.
        let list = shared().cli(&["CLIENT", "LIST", "ID", &id.to_string()]);
        assert!(list.contains(&format!("addr={}", me.addr)), "{list}");
    })
    .await;
}

#[tokio::test]
async fn subscription_confirmations_decode_in_both_protocols() {
    let server = Server::start();
    for protocol in PROTOCOLS {
        let ack: SubscriptionAck<String> =
            call_dedicated(&server, protocol, cmd::subscribe(["news"]))
                .await
                .unwrap();
        assert_eq!(
            (ack.kind.as_str(), ack.channel.as_deref(), ack.count),
            ("subscribe", Some("news"), 1)
        );
        let ack: SubscriptionAck<String> =
            call_dedicated(&server, protocol, cmd::psubscribe(["n*"]))
                .await
                .unwrap();
        assert_eq!(
            (ack.kind.as_str(), ack.channel.as_deref(), ack.count),
            ("psubscribe", Some("n*"), 1)
        );
        let ack: SubscriptionAck<String> =
            call_dedicated(&server, protocol, cmd::ssubscribe(["shard"]))
                .await
                .unwrap();
        assert_eq!((ack.kind.as_str(), ack.count), ("ssubscribe", 1));
        // Unsubscribing from nothing: the channel is nil and the count 0.
        let ack: SubscriptionAck<String> = call_dedicated(
            &server,
            protocol,
            cmd::unsubscribe().channel(Vec::<String>::new()),
        )
        .await
        .unwrap();
        assert_eq!(
            (ack.kind.as_str(), ack.channel, ack.count),
            ("unsubscribe", None, 0)
        );
        let ack: SubscriptionAck<String> = call_dedicated(&server, protocol, cmd::punsubscribe())
            .await
            .unwrap();
        assert_eq!((ack.kind.as_str(), ack.count), ("punsubscribe", 0));
        let ack: SubscriptionAck<String> = call_dedicated(&server, protocol, cmd::sunsubscribe())
            .await
            .unwrap();
        assert_eq!((ack.kind.as_str(), ack.count), ("sunsubscribe", 0));
    }
    let client = client_on(&server, Protocol::Resp3).await;
    for e in [
        client
            .send(cmd::subscribe::<String, _>(["x"]))
            .await
            .unwrap_err(),
        client
            .send(cmd::client_reply(redtyped::cmd::ClientReplyOnOffSkip::On))
            .await
            .unwrap_err(),
        client.send(cmd::sync()).await.unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
    }
}

#[tokio::test]
async fn client_reply_on_is_ok_on_a_connection_of_its_own() {
    for protocol in PROTOCOLS {
        call_dedicated(
            shared(),
            protocol,
            cmd::client_reply(redtyped::cmd::ClientReplyOnOffSkip::On),
        )
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn client_kill_replies_ok_or_a_count_by_form() {
    let server = Server::start();
    let killer = client_on(&server, Protocol::Resp3).await;
    for protocol in PROTOCOLS {
        let victim = client_on(&server, protocol).await;
        let victim_id: i64 = victim.client_id().await.unwrap();
        // New form: how many were killed.
        let killed = killer
            .client_kill(redtyped::cmd::ClientKillFilter::NewFormat(vec![
                redtyped::cmd::ClientKillFilterNewFormat::Id(victim_id),
            ]))
            .await
            .unwrap();
        assert_eq!(killed, Value::Int(1));
        // The victim reconnects by itself, as a new connection.
        wait_until_async(
            std::time::Duration::from_secs(5),
            "the killed client to reconnect",
            || {
                let victim = victim.clone();
                async move { victim.client_id().await.is_ok_and(|id| id != victim_id) }
            },
        )
        .await;
    }
    // Old form: OK, by address.
    let victim = client_on(&server, Protocol::Resp2).await;
    let row: ClientRow = victim.client_info().await.unwrap();
    let old = killer
        .client_kill(redtyped::cmd::ClientKillFilter::IpPort(
            row.addr.as_str().into(),
        ))
        .await
        .unwrap();
    assert_eq!(old, Value::Status("OK".into()));
}

#[tokio::test]
async fn cluster_slots_lists_ranges_with_their_nodes() {
    let server = Server::builder().config("cluster-enabled", "yes").start();
    server.cli(&["CLUSTER", "ADDSLOTSRANGE", "0", "999", "2000", "16383"]);
    let myid = server.cli(&["CLUSTER", "MYID"]);
    for protocol in PROTOCOLS {
        let client = client_on(&server, protocol).await;
        let mut ranges: Vec<ClusterSlotRange> = client.cluster_slots().await.unwrap();
        ranges.sort_by_key(|r| r.start);
        let bounds: Vec<(i64, i64)> = ranges.iter().map(|r| (r.start, r.end)).collect();
        assert_eq!(bounds, [(0, 999), (2000, 16383)]);
        for range in &ranges {
            assert_eq!(range.nodes.len(), 1, "one master, no replicas: {range:?}");
            let master = &range.nodes[0];
            assert_eq!(master.port, i64::from(server.port()));
            assert!(myid.contains(&master.id), "{myid} vs {master:?}");
            // A node that never learned its own address (no peers) reports it empty.
            assert!(
                master
                    .endpoint
                    .as_deref()
                    .is_some_and(|e| e.is_empty() || e == "127.0.0.1"),
                "{master:?}"
            );
        }
    }
}
