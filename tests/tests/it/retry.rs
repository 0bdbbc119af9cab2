//! Read-only commands in flight when the connection is lost are sent again
//! once; writes never are.

use std::time::Duration;

use redtyped::{Client, Config, Outcome, Protocol, cmd};
use redtyped_tests::{Direction, Proxy, Server, unique_key, wait_until_async};

use crate::support::PROTOCOLS;

const DEADLINE: Duration = Duration::from_secs(10);

async fn client_through(proxy: &Proxy, protocol: Protocol) -> Client {
    let config = Config::from_url(&format!("redis://{}", proxy.addr()))
        .unwrap()
        .resp(protocol);
    Client::connect_with(config).await.unwrap()
}

/// Connections whose last command was `command` (lower case, as CLIENT LIST shows it).
fn connections_after(server: &Server, command: &str) -> usize {
    server
        .cli(&["CLIENT", "LIST"])
        .lines()
        .filter(|line| line.contains(&format!(" cmd={command} ")))
        .count()
}

#[tokio::test]
async fn a_read_in_flight_is_sent_again_after_a_reconnect_a_write_is_not() {
    for protocol in PROTOCOLS {
        let server = Server::start();
        let proxy = Proxy::start(&server.addr());
        let client = client_through(&proxy, protocol).await;
        let key = unique_key("retried-read");
        let counter = unique_key("unretried-write");
        server.cli(&["SET", &key, "v"]);

        // Both commands reach the server and run; their replies are held.
        proxy.pause(Direction::ToClient);
        let read = client.send(cmd::get::<String>(&key));
        let write = client.send(cmd::incr(&counter));
        wait_until_async(DEADLINE, "the INCR to run", || async {
            server.cli(&["GET", &counter]) == "$1\r\n1\r\n"
        })
        .await;
        proxy.drop_all();
        proxy.resume(Direction::ToClient);

        assert_eq!(
            read.await.unwrap().as_deref(),
            Some("v"),
            "sent again, answered"
        );
        let e = write.await.unwrap_err();
        assert_eq!(e.outcome(), Outcome::Unknown, "{e}");
        assert_eq!(
            server.cli(&["GET", &counter]),
            "$1\r\n1\r\n",
            "the write ran once and was not sent again"
        );
        let stats = client.stats();
        assert_eq!((stats.retried, stats.reconnects), (1, 1), "{stats:?}");
        assert_eq!(stats.in_flight, 0, "{stats:?}");
    }
}

/// RESP2 with no password, name or database: reconnecting needs no reply,
/// so replies can stay held across two lost connections.
#[tokio::test]
async fn a_read_is_sent_again_only_once() {
    let server = Server::start();
    let proxy = Proxy::start(&server.addr());
    let client = client_through(&proxy, Protocol::Resp2).await;
    let key = unique_key("read-lost-twice");

    proxy.pause(Direction::ToClient);
    let read = client.send(cmd::get::<String>(&key));
    wait_until_async(DEADLINE, "the GET to run", || async {
        connections_after(&server, "get") == 1
    })
    .await;
    proxy.drop_all();
    wait_until_async(
        DEADLINE,
        "the GET to run again on a new connection",
        || async { proxy.accepted() == 2 && connections_after(&server, "get") == 1 },
    )
    .await;
    proxy.drop_all();
    proxy.resume(Direction::ToClient);

    let e = read.await.unwrap_err();
    assert_eq!(e.outcome(), Outcome::Unknown, "{e}");
    assert_eq!(client.stats().retried, 1);
    // And the client goes on.
    assert_eq!(client.get::<String>(&key).await.unwrap(), None);
}
