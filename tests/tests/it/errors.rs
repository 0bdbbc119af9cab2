//! Server errors and replies of the wrong shape: distinct, readable errors,
//! and the connection stays usable.

use redtyped::{ErrorKind, Outcome, Raw, Value};
use redtyped_tests::unique_key;

use crate::support::each_protocol;

#[tokio::test]
async fn a_server_error_reply_is_a_server_error_and_the_connection_goes_on() {
    each_protocol(|client| async move {
        let key = unique_key("wrongtype");
        client.lpush(&key, ["a"]).await.unwrap();
        let e = client.incr(&key).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server);
        assert_eq!(e.server_code(), Some("WRONGTYPE"));
        assert_eq!(e.command(), Some("INCR"));
        assert_eq!(e.outcome(), Outcome::Completed);
        assert!(
            e.to_string().starts_with("server error (INCR): WRONGTYPE"),
            "{e}"
        );
        let items: Vec<String> = client.lrange(&key, 0, -1).await.unwrap();
        assert_eq!(items, ["a"]);
        client.del([&key]).await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_reply_of_the_wrong_shape_is_a_decode_error_and_the_connection_goes_on() {
    each_protocol(|client| async move {
        let key = unique_key("decode");
        client.set(&key, "not a number").await.unwrap();
        let e = client.get::<i64>(&key).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode, "{e}");
        assert_eq!(e.command(), Some("GET"));
        let text = e.to_string();
        assert!(
            text.contains("expected an integer") && text.contains("\"not a number\""),
            "{text}"
        );

        // The escape hatch decodes by the caller's type, with the same errors.
        let e = client
            .send(Raw::<Vec<String>>::new("GET").arg(&key))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode, "{e}");
        assert!(e.to_string().contains("expected an array"), "{e}");
        let v = client
            .send(Raw::<Value>::new("GET").arg(&key))
            .await
            .unwrap();
        assert_eq!(v, Value::Bulk("not a number".into()));

        let still: Option<String> = client.get(&key).await.unwrap();
        assert_eq!(still.as_deref(), Some("not a number"));
        client.del([&key]).await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn unknown_commands_and_wrong_arity_are_server_errors() {
    each_protocol(|client| async move {
        let e = client
            .send(Raw::<()>::new("NOSUCHCOMMAND"))
            .await
            .unwrap_err();
        assert_eq!(e.server_code(), Some("ERR"));
        assert!(e.message().contains("unknown command"), "{e}");
        let e = client.send(Raw::<()>::new("GET")).await.unwrap_err();
        assert!(e.message().contains("wrong number of arguments"), "{e}");
        assert_eq!(client.ping().await.unwrap(), "PONG");
    })
    .await;
}

#[tokio::test]
async fn server_conditions_have_predicates() {
    // A replica refuses writes: READONLY.
    let master = redtyped_tests::Server::start();
    let replica = redtyped_tests::Server::builder()
        .config("replicaof", format!("127.0.0.1 {}", master.port()))
        .start();
    let client = redtyped::Client::connect(&replica.url()).await.unwrap();
    let e = client.set("k", "v").await.unwrap_err();
    assert!(e.is_readonly(), "{e}");
    assert!(!e.is_no_permission());
    // A full server: max clients.
    let full = redtyped_tests::Server::builder()
        .config("maxclients", "1")
        .start();
    let first = redtyped::Client::connect(&full.url()).await.unwrap();
    let second = redtyped::Client::connect(&format!("{}?protocol=2", full.url())).await;
    let e = match second {
        Err(e) => e,
        Ok(c) => c.ping().await.unwrap_err(),
    };
    assert!(e.is_max_clients(), "{e}");
    assert_eq!(first.ping().await.unwrap(), "PONG");
}

#[tokio::test]
async fn a_per_command_timeout_overrides_the_clients() {
    use std::future::IntoFuture;
    each_protocol(|client| async move {
        let key = unique_key("per-command-timeout");
        let e = client
            .send(Raw::<()>::new("BLPOP").arg(&key).arg("1"))
            .timeout(std::time::Duration::from_millis(50))
            .await
            .unwrap_err();
        assert!(e.is_timeout(), "{e}");
        assert_eq!(e.outcome(), Outcome::Unknown);
        let got: Option<String> = client
            .get(&key)
            .into_future()
            .timeout(std::time::Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(
            got, None,
            "the late BLPOP reply was discarded, not shifted onto this GET"
        );
    })
    .await;
}

#[tokio::test]
async fn busy_and_loading_servers_have_predicates() {
    let server = redtyped_tests::Server::builder()
        .config("busy-reply-threshold", "50")
        .start();
    let client = redtyped::Client::connect(&server.url()).await.unwrap();

    // A script that never ends: after the threshold, other commands get BUSY.
    let spinning = tokio::spawn({
        let url = server.url();
        async move {
            let runner = redtyped::Client::connect(&url).await.unwrap();
            runner.eval("while true do end", 0).await
        }
    });
    let busy = first_error(&client, "BUSY", redtyped::Error::is_busy).await;
    assert_eq!(busy.server_code(), Some("BUSY"), "{busy}");
    assert!(!busy.is_loading());
    client.script_kill().await.unwrap();
    let killed = spinning.await.unwrap().unwrap_err();
    assert!(killed.is_server(), "{killed}");

    // Reloading a large dataset, slowed per key: commands get LOADING.
    server.cli(&["DEBUG", "POPULATE", "20000"]);
    server.cli(&["CONFIG", "SET", "key-load-delay", "20"]);
    server.cli(&[
        "CONFIG",
        "SET",
        "loading-process-events-interval-bytes",
        "1024",
    ]);
    let reload = std::thread::spawn({
        let server_addr = server.addr();
        move || {
            let mut stream = std::net::TcpStream::connect(server_addr).unwrap();
            redtyped_tests::resp::request(&mut stream, &["DEBUG", "RELOAD"]).unwrap()
        }
    });
    let loading = first_error(&client, "LOADING", redtyped::Error::is_loading).await;
    assert_eq!(loading.server_code(), Some("LOADING"), "{loading}");
    assert!(!loading.is_busy());
    assert_eq!(reload.join().unwrap(), b"+OK\r\n");
    assert_eq!(client.dbsize().await.unwrap(), 20_000);
}

/// Sends GET until it fails with an error `matches` accepts (bounded by a deadline).
async fn first_error(
    client: &redtyped::Client,
    what: &str,
    matches: fn(&redtyped::Error) -> bool,
) -> redtyped::Error {
    let deadline = std::time::Duration::from_secs(20);
    let polling = async {
        loop {
            if let Err(e) = client.get::<String>("k").await
                && matches(&e)
            {
                return e;
            }
        }
    };
    tokio::time::timeout(deadline, polling)
        .await
        .unwrap_or_else(|_| panic!("no {what} reply within {deadline:?}"))
}
