//! Pub/sub against real servers under RESP2 and RESP3: subscriptions of every
//! kind, typed payloads, per-channel streams, reconnects that say messages
//! may have been lost, the bounded buffer of a slow reader, and bad input.

use std::time::Duration;

use redtyped::pubsub::{Event, Kind, Message, Messages, Subscriber};
use redtyped::{Client, Config, ErrorKind, Outcome, Protocol, ValueEnum};
use redtyped_tests::{Server, shared, unique_key, wait_until_async};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{PROTOCOLS, client_on};

const DEADLINE: Duration = Duration::from_secs(10);

/// The next event, within the deadline.
async fn next_event(messages: &mut Messages) -> Event {
    tokio::time::timeout(DEADLINE, messages.next())
        .await
        .expect("an event within the deadline")
        .expect("the stream goes on")
}

/// The next message; any other event fails the test.
async fn next_message(messages: &mut Messages) -> Message {
    match next_event(messages).await {
        Event::Message(m) => m,
        other => panic!("expected a message, got {other:?}"),
    }
}

async fn subscribers(client: &Client) -> (Subscriber, Messages) {
    let (subscriber, messages) = client.subscriber().await.unwrap();
    assert_eq!(subscriber.resp(), client.resp());
    (subscriber, messages)
}

#[derive(ValueEnum, Debug, PartialEq)]
enum Level {
    Low,
    High,
}

#[derive(serde::Deserialize, Debug, PartialEq)]
struct Order {
    id: u64,
    total: f64,
}

#[tokio::test]
async fn channels_patterns_and_shard_channels_deliver_typed_messages() {
    for protocol in PROTOCOLS {
        eprintln!("-- {protocol:?}");
        let client = client_on(shared(), protocol).await;
        let (subscriber, mut messages) = subscribers(&client).await;
        let news = unique_key("news");
        let prices = unique_key("price");
        let shard = unique_key("orders");
        subscriber.subscribe([&news]).await.unwrap();
        subscriber
            .psubscribe([format!("{prices}:*")])
            .await
            .unwrap();
        subscriber.ssubscribe([&shard]).await.unwrap();

        let receivers: i64 = client.publish(&news, "hello").await.unwrap();
        assert_eq!(receivers, 1);
        let m = next_message(&mut messages).await;
        assert_eq!(m.kind(), Kind::Channel);
        assert_eq!(m.channel_str(), Some(news.as_str()));
        assert_eq!(m.pattern(), None);
        assert_eq!(m.decode::<String>().unwrap(), "hello");

        client.publish(format!("{prices}:eur"), 3.5).await.unwrap();
        let m = next_message(&mut messages).await;
        assert_eq!(m.kind(), Kind::Pattern);
        assert_eq!(m.channel_str(), Some(format!("{prices}:eur").as_str()));
        assert_eq!(&m.pattern().unwrap()[..], format!("{prices}:*").as_bytes());
        assert_eq!(m.decode::<f64>().unwrap(), 3.5);

        let receivers: i64 = client
            .spublish(&shard, r#"{"id":7,"total":9.5}"#)
            .await
            .unwrap();
        assert_eq!(receivers, 1);
        let m = next_message(&mut messages).await;
        assert_eq!(m.kind(), Kind::Shard);
        assert_eq!(m.json::<Order>().unwrap(), Order { id: 7, total: 9.5 });

        client.publish(&news, 42).await.unwrap();
        assert_eq!(
            next_message(&mut messages).await.decode::<u16>().unwrap(),
            42
        );
        client.publish(&news, "High").await.unwrap();
        let m = next_message(&mut messages).await;
        assert_eq!(m.decode::<Level>().unwrap(), Level::High);
        // A payload that is not the type asked for is a decode error naming the channel.
        let e = m.decode::<i64>().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode);
        assert!(e.to_string().contains(&news), "{e}");
        assert!(m.json::<Order>().unwrap_err().is_decode());

        // Binary payloads arrive unchanged.
        client.publish(&news, &b"\x00\xff\r\n"[..]).await.unwrap();
        assert_eq!(
            &next_message(&mut messages).await.payload()[..],
            b"\x00\xff\r\n"
        );

        // Unsubscribing is confirmed by the server: nobody receives after it.
        subscriber.unsubscribe([&news]).await.unwrap();
        subscriber
            .punsubscribe([format!("{prices}:*")])
            .await
            .unwrap();
        subscriber.sunsubscribe([&shard]).await.unwrap();
        assert_eq!(client.publish(&news, "gone").await.unwrap(), 0);
        assert_eq!(client.spublish(&shard, "gone").await.unwrap(), 0);
    }
}

/// PUBLISH, SPUBLISH and PUBSUB CHANNELS/NUMSUB/NUMPAT/SHARDCHANNELS/SHARDNUMSUB
/// are the generated typed methods of the client (a server of its own, so
/// NUMPAT counts only this test's patterns).
#[tokio::test]
async fn pubsub_introspection_is_typed() {
    let server = Server::start();
    for protocol in PROTOCOLS {
        let client = client_on(&server, protocol).await;
        let (subscriber, _messages) = subscribers(&client).await;
        subscriber.subscribe(["a:1", "a:2"]).await.unwrap();
        subscriber.psubscribe(["p:*"]).await.unwrap();
        subscriber.ssubscribe(["s:1"]).await.unwrap();

        let mut channels: Vec<String> = client.pubsub_channels().pattern("a:*").await.unwrap();
        channels.sort();
        assert_eq!(channels, ["a:1", "a:2"]);
        let counts: Vec<(String, i64)> = client
            .pubsub_numsub()
            .channels(["a:1", "nobody"])
            .await
            .unwrap();
        assert_eq!(counts, [("a:1".to_string(), 1), ("nobody".to_string(), 0)]);
        let patterns: i64 = client.pubsub_numpat().await.unwrap();
        assert_eq!(patterns, 1);
        let shards: Vec<String> = client.pubsub_shardchannels().await.unwrap();
        assert_eq!(shards, ["s:1"]);
        let shard_counts: Vec<(String, i64)> = client
            .pubsub_shardnumsub()
            .shardchannels(["s:1"])
            .await
            .unwrap();
        assert_eq!(shard_counts, [("s:1".to_string(), 1)]);

        subscriber.close();
        wait_until_async(DEADLINE, "the closed subscriber to be gone", || async {
            client.pubsub_numpat().await.unwrap() == 0
        })
        .await;
    }
}

/// A per-channel stream takes its channel's messages; the main stream keeps
/// the rest. Subscribing and unsubscribing work while messages flow.
#[tokio::test]
async fn per_channel_streams_and_changes_while_messages_flow() {
    for protocol in PROTOCOLS {
        eprintln!("-- {protocol:?}");
        let client = client_on(shared(), protocol).await;
        // Room for the whole flood: this test is about routing, not lag.
        let (subscriber, mut messages) = client.subscriber_with_capacity(4096).await.unwrap();
        let (busy, own, later) = (unique_key("busy"), unique_key("own"), unique_key("later"));
        subscriber.subscribe([&busy]).await.unwrap();
        let mut own_stream = subscriber.channel(&own).await.unwrap();

        // A publisher floods `busy` while the subscriber changes its subscriptions.
        let flood = {
            let client = client.clone();
            let busy = busy.clone();
            tokio::spawn(async move {
                for i in 0..2000 {
                    client.publish(&busy, i).await.unwrap();
                }
            })
        };
        subscriber.subscribe([&later]).await.unwrap();
        client.publish(&own, "mine").await.unwrap();
        client.publish(&later, "late").await.unwrap();
        let m = next_message(&mut own_stream).await;
        assert_eq!(
            (m.channel_str(), &m.payload()[..]),
            (Some(own.as_str()), &b"mine"[..])
        );
        subscriber.unsubscribe([&busy]).await.unwrap();
        flood.await.unwrap();
        assert_eq!(client.publish(&busy, "after").await.unwrap(), 0);

        // The main stream got the flood (up to the unsubscribe) and `later`, never `own`.
        let mut saw_later = false;
        let mut last_busy = -1i64;
        while !saw_later {
            let m = next_message(&mut messages).await;
            assert_ne!(m.channel_str(), Some(own.as_str()));
            if m.channel_str() == Some(later.as_str()) {
                saw_later = true;
            } else {
                let n: i64 = m.decode().unwrap();
                assert!(n > last_busy, "in order: {n} after {last_busy}");
                last_busy = n;
            }
        }
        subscriber.close();
        // Every stream ends after a close.
        while let Ok(Some(_)) = tokio::time::timeout(DEADLINE, messages.next()).await {}
        assert!(own_stream.next().await.is_none());
    }
}

#[tokio::test]
async fn a_subscriber_from_a_config_with_auth_and_a_database() {
    let server = Server::builder().password("pw").start();
    for protocol in PROTOCOLS {
        let config = Config::from_url(&server.url())
            .unwrap()
            .password_only("pw")
            .database(2)
            .resp(protocol);
        let (subscriber, mut messages) = Subscriber::connect(config.clone()).await.unwrap();
        let client = Client::connect_with(config).await.unwrap();
        subscriber.subscribe(["c"]).await.unwrap();
        client.publish("c", "x").await.unwrap();
        assert_eq!(
            next_message(&mut messages)
                .await
                .decode::<String>()
                .unwrap(),
            "x"
        );
    }
}

/// Waits until `channel` has a subscriber again, then publishes until one
/// message arrives: the subscription was renewed.
async fn publish_until_received(client: &Client, messages: &mut Messages, channel: &str) {
    wait_until_async(DEADLINE, "the subscription to be renewed", || async {
        let counts: Vec<(String, i64)> = client
            .pubsub_numsub()
            .channels([channel])
            .await
            .unwrap_or_default();
        counts.first().is_some_and(|(_, n)| *n == 1)
    })
    .await;
    client.publish(channel, "again").await.unwrap();
    let m = next_message(messages).await;
    assert_eq!(m.channel_str(), Some(channel));
    assert_eq!(m.decode::<String>().unwrap(), "again");
}

#[tokio::test]
async fn a_killed_connection_resubscribes_everything_and_says_so() {
    let server = Server::start();
    for protocol in PROTOCOLS {
        eprintln!("-- {protocol:?}");
        let client = client_on(&server, protocol).await;
        let (subscriber, mut messages) = subscribers(&client).await;
        subscriber.subscribe(["k:chan"]).await.unwrap();
        subscriber.psubscribe(["k:pat:*"]).await.unwrap();
        subscriber.ssubscribe(["k:shard"]).await.unwrap();
        let mut own = subscriber.channel("k:own").await.unwrap();

        // (The previous protocol's closed subscriber may not be gone yet.)
        assert_ne!(server.cli(&["CLIENT", "KILL", "TYPE", "pubsub"]), ":0\r\n");
        assert!(matches!(
            next_event(&mut messages).await,
            Event::Reconnected
        ));
        assert!(matches!(next_event(&mut own).await, Event::Reconnected));

        publish_until_received(&client, &mut messages, "k:chan").await;
        client.publish("k:pat:x", "p").await.unwrap();
        assert_eq!(next_message(&mut messages).await.kind(), Kind::Pattern);
        assert_eq!(client.spublish("k:shard", "s").await.unwrap(), 1);
        assert_eq!(next_message(&mut messages).await.kind(), Kind::Shard);
        assert_eq!(client.publish("k:own", "o").await.unwrap(), 1);
        assert_eq!(
            next_message(&mut own).await.decode::<String>().unwrap(),
            "o"
        );
        subscriber.close();
    }
}

#[tokio::test]
async fn a_server_restart_resubscribes_including_requests_made_while_down() {
    let mut server = Server::start();
    for protocol in PROTOCOLS {
        eprintln!("-- {protocol:?}");
        let client = client_on(&server, protocol).await;
        let (subscriber, mut messages) = subscribers(&client).await;
        subscriber.subscribe(["r:chan"]).await.unwrap();
        subscriber.psubscribe(["r:pat:*"]).await.unwrap();

        server.kill();
        let mut while_down = {
            let subscriber = subscriber.clone();
            tokio::spawn(async move { subscriber.ssubscribe(["r:down"]).await })
        };
        // Nothing can confirm it while no server runs.
        assert!(
            tokio::time::timeout(Duration::from_millis(200), &mut while_down)
                .await
                .is_err()
        );
        server.restart();

        assert!(matches!(
            next_event(&mut messages).await,
            Event::Reconnected
        ));
        tokio::time::timeout(DEADLINE, while_down)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        publish_until_received(&client, &mut messages, "r:chan").await;
        assert_eq!(client.spublish("r:down", "d").await.unwrap(), 1);
        assert_eq!(
            next_message(&mut messages).await.channel_str(),
            Some("r:down")
        );
        assert_eq!(client.pubsub_numpat().await.unwrap(), 1);
        client.publish("r:pat:1", "p").await.unwrap();
        assert_eq!(next_message(&mut messages).await.kind(), Kind::Pattern);
        subscriber.close();
    }
}

/// A reader that does not read: its buffer stays at its bound, the oldest
/// messages are dropped and counted, the subscriber keeps draining its
/// socket (every message is accounted for), and the client's commands go on.
#[tokio::test]
async fn a_slow_reader_loses_the_oldest_messages_and_is_told() {
    const CAPACITY: usize = 16;
    const PUBLISHED: i64 = 5000;
    for protocol in PROTOCOLS {
        eprintln!("-- {protocol:?}");
        let client = client_on(shared(), protocol).await;
        let (subscriber, mut messages) = client.subscriber_with_capacity(CAPACITY).await.unwrap();
        let channel = unique_key("flood");
        subscriber.subscribe([&channel]).await.unwrap();

        let marker_name = unique_key("marker");
        let mut marker = subscriber.channel(&marker_name).await.unwrap();
        let receivers: Vec<i64> = client
            .pipeline()
            .extend((0..PUBLISHED).map(|i| redtyped::cmd::publish(&channel, i)))
            .execute()
            .await
            .unwrap();
        assert!(receivers.iter().all(|&n| n == 1));
        // Nobody reads the main stream; the client still answers meanwhile.
        let pong: String = tokio::time::timeout(DEADLINE, client.ping())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(pong, "PONG");
        // The subscriber reads its connection in order: once a message published
        // after the flood reaches another stream, the whole flood went through.
        client.publish(&marker_name, "done").await.unwrap();
        next_message(&mut marker).await;
        assert_eq!(messages.buffered(), CAPACITY);

        // The reader is told how many it lost, then gets the newest, in order.
        match next_event(&mut messages).await {
            Event::Lagged { missed } => assert_eq!(missed, (PUBLISHED as usize - CAPACITY) as u64),
            other => panic!("expected Lagged, got {other:?}"),
        }
        for expected in PUBLISHED - CAPACITY as i64..PUBLISHED {
            assert_eq!(
                next_message(&mut messages).await.decode::<i64>().unwrap(),
                expected
            );
        }
        subscriber.close();
    }
}

#[tokio::test]
async fn bad_input_is_a_clear_error_and_the_subscriber_stays_usable() {
    for protocol in PROTOCOLS {
        let client = client_on(shared(), protocol).await;
        let (subscriber, mut messages) = subscribers(&client).await;
        let none: [&str; 0] = [];
        for result in [
            subscriber.subscribe(none).await,
            subscriber.psubscribe(none).await,
            subscriber.ssubscribe(none).await,
            subscriber.unsubscribe(none).await,
        ] {
            let e = result.unwrap_err();
            assert_eq!(
                (e.kind(), e.outcome()),
                (ErrorKind::Usage, Outcome::NotSent)
            );
            assert!(e.to_string().contains("at least one"), "{e}");
        }
        // The shared client refuses the subscriber's commands.
        let e = client
            .send(redtyped::cmd::subscribe::<String, _>(["x"]))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage);

        let channel = unique_key("usable");
        subscriber.subscribe([&channel]).await.unwrap();
        client.publish(&channel, "still here").await.unwrap();
        assert_eq!(
            next_message(&mut messages)
                .await
                .decode::<String>()
                .unwrap(),
            "still here"
        );
    }
}

/// Reads one whole command from a stand-in server's `socket`.
async fn command(socket: &mut tokio::net::TcpStream, buf: &mut bytes::BytesMut) -> Vec<u8> {
    use redtyped::resp::{FrameScanner, Limits};
    let mut scanner = FrameScanner::new(Limits::default());
    loop {
        if let Some(n) = scanner.scan(buf).unwrap() {
            return buf.split_to(n).to_vec();
        }
        assert!(socket.read_buf(buf).await.unwrap() > 0, "client hung up");
    }
}

/// A subscription written but not yet confirmed when the connection drops is
/// renewed on the next connection, and its request resolves then. A stand-in
/// server makes the timing exact: it drops the connection right after
/// reading the second SUBSCRIBE.
#[tokio::test]
async fn a_subscription_in_flight_when_the_connection_drops_is_renewed() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = bytes::BytesMut::new();
        assert_eq!(
            command(&mut socket, &mut buf).await,
            b"*2\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n"
        );
        socket
            .write_all(b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n")
            .await
            .unwrap();
        assert_eq!(
            command(&mut socket, &mut buf).await,
            b"*2\r\n$9\r\nSUBSCRIBE\r\n$1\r\nb\r\n"
        );
        drop(socket);
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = bytes::BytesMut::new();
        assert_eq!(
            command(&mut socket, &mut buf).await,
            b"*3\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n$1\r\nb\r\n"
        );
        socket
            .write_all(b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n")
            .await
            .unwrap();
        socket
            .write_all(b"*3\r\n$7\r\nmessage\r\n$1\r\nb\r\n$1\r\nx\r\n")
            .await
            .unwrap();
        let _ = socket.read(&mut [0u8; 64]).await;
    });
    let config = Config::new("127.0.0.1", port).resp(Protocol::Resp2);
    let (subscriber, mut messages) = Subscriber::connect(config).await.unwrap();
    subscriber.subscribe(["a"]).await.unwrap();
    tokio::time::timeout(DEADLINE, subscriber.subscribe(["b"]))
        .await
        .expect("the in-flight subscription resolves after the renewal")
        .unwrap();
    assert!(matches!(
        next_event(&mut messages).await,
        Event::Reconnected
    ));
    assert_eq!(next_message(&mut messages).await.channel_str(), Some("b"));
    subscriber.close();
    server.abort();
}

/// Frames a real server never sends, from a small stand-in server speaking
/// RESP2: a message whose channel is an integer is reported on the stream and
/// skipped; bytes that are not RESP drop the connection, and the subscriber
/// reconnects and says so. Nothing panics; the subscriber stays usable.
#[tokio::test]
async fn malformed_frames_are_reported_and_the_subscriber_recovers() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = bytes::BytesMut::new();
        assert_eq!(
            command(&mut socket, &mut buf).await,
            b"*2\r\n$9\r\nSUBSCRIBE\r\n$1\r\nc\r\n"
        );
        socket
            .write_all(b"*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n")
            .await
            .unwrap();
        // A well-framed message with an integer for a channel, then a good one.
        socket
            .write_all(b"*3\r\n$7\r\nmessage\r\n:5\r\n$2\r\nhi\r\n")
            .await
            .unwrap();
        socket
            .write_all(b"*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$2\r\nok\r\n")
            .await
            .unwrap();
        // The subscriber is still usable: it subscribes to more.
        assert_eq!(
            command(&mut socket, &mut buf).await,
            b"*2\r\n$9\r\nSUBSCRIBE\r\n$1\r\nd\r\n"
        );
        socket
            .write_all(b"*3\r\n$9\r\nsubscribe\r\n$1\r\nd\r\n:2\r\n")
            .await
            .unwrap();
        // Bytes that are not RESP: the stream cannot be trusted after them.
        socket.write_all(b"?garbage\r\n").await.unwrap();
        // The subscriber reconnects and renews both subscriptions.
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = bytes::BytesMut::new();
        assert_eq!(
            command(&mut socket, &mut buf).await,
            b"*3\r\n$9\r\nSUBSCRIBE\r\n$1\r\nc\r\n$1\r\nd\r\n"
        );
        socket
            .write_all(b"*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nd\r\n:2\r\n")
            .await
            .unwrap();
        socket
            .write_all(b"*3\r\n$7\r\nmessage\r\n$1\r\nd\r\n$5\r\nafter\r\n")
            .await
            .unwrap();
        // Hold the connection until the test is done with it.
        let _ = socket.read(&mut [0u8; 64]).await;
    });

    let config = Config::new("127.0.0.1", port).resp(Protocol::Resp2);
    let (subscriber, mut messages) = Subscriber::connect(config).await.unwrap();
    subscriber.subscribe(["c"]).await.unwrap();
    match next_event(&mut messages).await {
        Event::Error(e) => {
            assert_eq!(e.kind(), ErrorKind::Decode);
            assert!(e.to_string().contains("channel name, got integer 5"), "{e}");
        }
        other => panic!("expected an error event, got {other:?}"),
    }
    assert_eq!(
        next_message(&mut messages)
            .await
            .decode::<String>()
            .unwrap(),
        "ok"
    );
    subscriber.subscribe(["d"]).await.unwrap();
    assert!(matches!(
        next_event(&mut messages).await,
        Event::Reconnected
    ));
    let m = next_message(&mut messages).await;
    assert_eq!(
        (m.channel_str(), m.decode::<String>().unwrap().as_str()),
        (Some("d"), "after")
    );
    subscriber.close();
    server.abort();
}

/// Keyspace notifications (what `examples/keyspace.rs` shows): with
/// `notify-keyspace-events` on, every change of a key is a message on its
/// keyspace channel, and an expiry one on the `expired` key-event channel.
#[tokio::test]
async fn keyspace_notifications_arrive_as_messages() {
    let server = Server::start();
    for protocol in PROTOCOLS {
        eprintln!("-- {protocol:?}");
        let client = client_on(&server, protocol).await;
        client
            .config_set([("notify-keyspace-events", "KEA")])
            .await
            .unwrap();
        let (subscriber, mut messages) = subscribers(&client).await;
        subscriber
            .psubscribe(["__keyspace@0__:watched:*"])
            .await
            .unwrap();
        let mut expired = subscriber.channel("__keyevent@0__:expired").await.unwrap();

        client.set("watched:k", "v").await.unwrap();
        client.append("watched:k", "w").await.unwrap();
        client.set("unwatched", "v").await.unwrap();
        client.pexpire("watched:k", 20).await.unwrap();
        for event in ["set", "append", "expire", "expired"] {
            let m = next_message(&mut messages).await;
            assert_eq!(m.kind(), Kind::Pattern);
            assert_eq!(m.channel_str(), Some("__keyspace@0__:watched:k"));
            assert_eq!(m.decode::<String>().unwrap(), event);
        }
        let m = next_message(&mut expired).await;
        assert_eq!(m.decode::<String>().unwrap(), "watched:k");
        subscriber.close();
    }
}

/// A request is made when its method is called: dropping the future (as a
/// timeout would) does not undo it.
#[tokio::test]
async fn a_dropped_request_still_subscribes() {
    for protocol in PROTOCOLS {
        let client = client_on(shared(), protocol).await;
        let (subscriber, mut messages) = subscribers(&client).await;
        let channel = unique_key("dropped");
        drop(subscriber.subscribe([&channel]));
        wait_until_async(DEADLINE, "the subscription to land", || async {
            let counts: Vec<(String, i64)> =
                client.pubsub_numsub().channels([&channel]).await.unwrap();
            counts[0].1 == 1
        })
        .await;
        client.publish(&channel, "x").await.unwrap();
        assert_eq!(
            next_message(&mut messages).await.channel_str(),
            Some(channel.as_str())
        );
    }
}
