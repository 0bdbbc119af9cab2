//! The client-side cache against real servers: reads answered locally,
//! invalidated by another client's writes, emptied on reconnect and flush,
//! refused on RESP2. Each test has a server of its own, so the server's
//! command counters show which reads reached it.

use std::time::Duration;

use redtyped::prelude::*;
use redtyped::{Client, Config, ErrorKind, Protocol};
use redtyped_tests::{Server, wait_until_async};

const DEADLINE: Duration = Duration::from_secs(10);

async fn caching_client(server: &Server) -> Client {
    let config = Config::from_url(&server.url())
        .unwrap()
        .resp(Protocol::Resp3)
        .client_cache(100);
    Client::connect_with(config).await.unwrap()
}

/// How many times the server ran `command` (from `INFO commandstats`).
fn server_calls(server: &Server, command: &str) -> u64 {
    let info = server.cli(&["INFO", "commandstats"]);
    let prefix = format!("cmdstat_{command}:calls=");
    info.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map_or(0, |rest| rest.split(',').next().unwrap().parse().unwrap())
}

async fn invalidations(client: &Client) -> u64 {
    client.cache_stats().unwrap().invalidations
}

#[tokio::test]
async fn a_write_by_another_client_invalidates_the_cached_value() {
    let server = Server::start();
    let a = caching_client(&server).await;
    let b = Client::connect(&server.url()).await.unwrap();
    b.set("k", "v1").await.unwrap();

    assert_eq!(a.get::<String>("k").await.unwrap().as_deref(), Some("v1"));
    assert_eq!(a.get::<String>("k").await.unwrap().as_deref(), Some("v1"));
    // The same reply decodes into whatever type each caller asks for.
    assert_eq!(a.get::<Vec<u8>>("k").await.unwrap(), Some(b"v1".to_vec()));
    let stats = a.cache_stats().unwrap();
    assert_eq!((stats.misses, stats.hits, stats.entries), (1, 2, 1));
    assert_eq!(
        server_calls(&server, "get"),
        1,
        "hits never reach the server"
    );

    b.set("k", "v2").await.unwrap();
    // The guarantee is "fresh once the invalidation arrived": wait for it.
    wait_until_async(DEADLINE, "the invalidation to arrive", || async {
        invalidations(&a).await >= 1
    })
    .await;
    assert_eq!(a.get::<String>("k").await.unwrap().as_deref(), Some("v2"));
    assert_eq!(server_calls(&server, "get"), 2);

    // A's own writes invalidate too (tracking has no NOLOOP).
    a.set("k", "v3").await.unwrap();
    wait_until_async(DEADLINE, "the invalidation of A's write", || async {
        invalidations(&a).await >= 2
    })
    .await;
    assert_eq!(a.get::<String>("k").await.unwrap().as_deref(), Some("v3"));
    // A missing key is a cacheable reply too.
    assert_eq!(a.get::<String>("nothing").await.unwrap(), None);
    assert_eq!(a.get::<String>("nothing").await.unwrap(), None);
    assert_eq!(server_calls(&server, "get"), 4);
}

#[tokio::test]
async fn only_cacheable_reads_are_cached() {
    let server = Server::start();
    let a = caching_client(&server).await;
    a.set("k", "v").await.unwrap();
    a.pexpire("k", 100_000).await.unwrap();
    a.hset("h", [("f", "1")]).await.unwrap();
    for _ in 0..2 {
        // TTL depends on the time, not only on the key: never cached.
        assert!(a.ttl("k").await.unwrap() > 0);
        // An error reply is not kept.
        let e = a.get::<String>("h").await.unwrap_err();
        assert_eq!(e.server_code(), Some("WRONGTYPE"));
        // A pipeline always asks the server.
        let (v,): (Option<String>,) = a.pipeline().get("k").execute().await.unwrap();
        assert_eq!(v.as_deref(), Some("v"));
    }
    assert_eq!(server_calls(&server, "ttl"), 2);
    assert_eq!(server_calls(&server, "get"), 4);
    // Reads of other shapes of the same key are cached apart.
    let all: std::collections::HashMap<String, String> = a.hgetall("h").await.unwrap();
    let again: std::collections::HashMap<String, String> = a.hgetall("h").await.unwrap();
    assert_eq!(all, again);
    assert_eq!(server_calls(&server, "hgetall"), 1);
}

#[tokio::test]
async fn a_reconnect_empties_the_cache_and_tracking_resumes() {
    let server = Server::start();
    let a = caching_client(&server).await;
    let b = Client::connect(&server.url()).await.unwrap();
    b.set("k", "before").await.unwrap();
    assert_eq!(
        a.get::<String>("k").await.unwrap().as_deref(),
        Some("before")
    );
    assert_eq!(a.cache_stats().unwrap().entries, 1);

    let id: i64 = a.client_id().await.unwrap();
    assert_eq!(
        server.cli(&["CLIENT", "KILL", "ID", &id.to_string()]),
        ":1\r\n"
    );
    wait_until_async(DEADLINE, "A to reconnect", || async {
        a.stats().reconnects >= 1
    })
    .await;
    assert_eq!(a.cache_stats().unwrap().entries, 0, "emptied on reconnect");

    // Cached again on the new connection, and invalidated again: tracking is on.
    assert_eq!(
        a.get::<String>("k").await.unwrap().as_deref(),
        Some("before")
    );
    let seen = invalidations(&a).await;
    b.set("k", "after").await.unwrap();
    wait_until_async(
        DEADLINE,
        "the invalidation on the new connection",
        || async { invalidations(&a).await > seen },
    )
    .await;
    assert_eq!(
        a.get::<String>("k").await.unwrap().as_deref(),
        Some("after")
    );
}

#[tokio::test]
async fn a_flush_invalidates_everything() {
    let server = Server::start();
    let a = caching_client(&server).await;
    let b = Client::connect(&server.url()).await.unwrap();
    for key in ["x", "y"] {
        b.set(key, "1").await.unwrap();
        assert_eq!(a.get::<i64>(key).await.unwrap(), Some(1));
    }
    assert_eq!(a.cache_stats().unwrap().entries, 2);
    b.flushall().await.unwrap();
    wait_until_async(DEADLINE, "the flush's invalidation", || async {
        a.cache_stats().unwrap().entries == 0
    })
    .await;
    assert_eq!(a.get::<i64>("x").await.unwrap(), None);
}

#[tokio::test]
async fn the_cache_needs_resp3() {
    let server = Server::start();
    let config = Config::from_url(&server.url())
        .unwrap()
        .resp(Protocol::Resp2)
        .client_cache(10);
    let e = Client::connect_with(config).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.to_string().contains("RESP3"), "{e}");
    // Without a cache, a client has no cache statistics.
    let plain = Client::connect(&server.url()).await.unwrap();
    assert_eq!(plain.cache_stats(), None);
}

/// Reads one whole command from a stand-in server's `socket`.
async fn command(socket: &mut tokio::net::TcpStream, buf: &mut bytes::BytesMut) -> Vec<u8> {
    use redtyped::resp::{FrameScanner, Limits};
    use tokio::io::AsyncReadExt;
    let mut scanner = FrameScanner::new(Limits::default());
    loop {
        if let Some(n) = scanner.scan(buf).unwrap() {
            return buf.split_to(n).to_vec();
        }
        assert!(socket.read_buf(buf).await.unwrap() > 0, "client hung up");
    }
}

/// The race a cache must not lose: the key changes right after the server
/// answered a read, so the invalidation arrives right behind the reply (here
/// in the same packet, from a stand-in server that makes the timing exact).
/// The reply is cached in reply order by the connection's task, so the
/// invalidation behind it removes it and the next read asks the server;
/// a cache filled by the caller after decoding would keep the stale value.
#[tokio::test]
async fn an_invalidation_right_behind_a_reply_is_never_lost() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = bytes::BytesMut::new();
        assert!(
            command(&mut socket, &mut buf)
                .await
                .starts_with(b"*2\r\n$5\r\nHELLO\r\n")
        );
        socket.write_all(b"%1\r\n+proto\r\n:3\r\n").await.unwrap();
        assert_eq!(
            command(&mut socket, &mut buf).await,
            b"*3\r\n$6\r\nCLIENT\r\n$8\r\nTRACKING\r\n$2\r\nON\r\n"
        );
        socket.write_all(b"+OK\r\n").await.unwrap();
        let get = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
        assert_eq!(command(&mut socket, &mut buf).await, get);
        socket
            .write_all(b"$3\r\nold\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n")
            .await
            .unwrap();
        assert_eq!(command(&mut socket, &mut buf).await, get);
        socket.write_all(b"$3\r\nnew\r\n").await.unwrap();
        let _ = socket.read(&mut [0u8; 64]).await;
    });
    let config = Config::new("127.0.0.1", port)
        .resp(Protocol::Resp3)
        .client_cache(10);
    let a = Client::connect_with(config).await.unwrap();
    assert_eq!(a.get::<String>("k").await.unwrap().as_deref(), Some("old"));
    wait_until_async(DEADLINE, "the invalidation", || async {
        invalidations(&a).await == 1
    })
    .await;
    assert_eq!(a.get::<String>("k").await.unwrap().as_deref(), Some("new"));
    let stats = a.cache_stats().unwrap();
    assert_eq!((stats.hits, stats.misses), (0, 2));
    server.abort();
}
