//! Connecting: URLs, databases, unix sockets, authentication, client names,
//! protocol negotiation.

use redtyped::{Client, Config, ErrorKind, Outcome, Protocol, Resp};
use redtyped_tests::{Server, shared, unique_key};

use crate::support::{PROTOCOLS, client_on, each_protocol};

fn with_protocol(url: &str, protocol: Protocol) -> Config {
    Config::from_url(url).unwrap().resp(protocol)
}

#[tokio::test]
async fn the_database_in_the_url_is_selected() {
    let key = unique_key("db");
    let base = shared().url();
    for protocol in PROTOCOLS {
        let db3 = Client::connect_with(with_protocol(&format!("{base}/3"), protocol))
            .await
            .unwrap();
        assert_eq!(db3.db(), 3);
        db3.set(&key, "in three").await.unwrap();
        let db0 = Client::connect_with(with_protocol(&base, protocol))
            .await
            .unwrap();
        assert_eq!(db0.get::<String>(&key).await.unwrap(), None, "{protocol:?}");
        let db3_again = Client::connect_with(with_protocol(&format!("{base}?db=3"), protocol))
            .await
            .unwrap();
        assert_eq!(
            db3_again.get::<String>(&key).await.unwrap().as_deref(),
            Some("in three")
        );
        db3.del([&key]).await.unwrap();
    }
}

#[tokio::test]
async fn auto_protocol_speaks_resp3_to_redis_7() {
    let client = Client::connect(&shared().url()).await.unwrap();
    assert_eq!(client.resp(), Resp::V3);
    let client = Client::connect(&format!("{}?protocol=2", shared().url()))
        .await
        .unwrap();
    assert_eq!(client.resp(), Resp::V2);
}

#[tokio::test]
async fn auto_protocol_falls_back_to_resp2_without_hello() {
    let server = Server::builder()
        .config("rename-command", "HELLO \"\"")
        .start();
    let client = Client::connect(&server.url()).await.unwrap();
    assert_eq!(client.resp(), Resp::V2);
    assert_eq!(client.ping().await.unwrap(), "PONG");
    let forced = Client::connect(&format!("{}?protocol=3", server.url()))
        .await
        .unwrap_err();
    assert_eq!(forced.kind(), ErrorKind::Config);
    assert!(forced.to_string().contains("RESP3"), "{forced}");
}

#[tokio::test]
async fn unix_sockets_connect_with_both_url_forms() {
    let server = Server::builder().unix_socket().start();
    let path = server.unix_path().unwrap().display().to_string();
    let key = unique_key("unix");
    for protocol in PROTOCOLS {
        let a = Client::connect_with(with_protocol(
            &format!("redis+unix://{path}?db=2"),
            protocol,
        ))
        .await
        .unwrap();
        a.set(&key, "over a socket").await.unwrap();
        let b = Client::connect_with(with_protocol(&format!("unix://{path}?db=2"), protocol))
            .await
            .unwrap();
        assert_eq!(
            b.get::<String>(&key).await.unwrap().as_deref(),
            Some("over a socket")
        );
        assert_eq!(b.addr().to_string(), format!("unix:{path}"));
        b.del([&key]).await.unwrap();
    }
}

#[tokio::test]
async fn passwords_and_acl_users_authenticate() {
    let server = Server::builder()
        .password("s3cret")
        .acl_user("user alice on >wonderland ~alice:* +@all")
        .start();
    let port = server.port();
    for protocol in PROTOCOLS {
        let ok = client_on(&server, protocol).await; // the URL carries the password
        assert_eq!(ok.ping().await.unwrap(), "PONG");

        let alice = Client::connect_with(with_protocol(
            &format!("redis://alice:wonderland@127.0.0.1:{port}"),
            protocol,
        ))
        .await
        .unwrap();
        alice.set("alice:1", "mine").await.unwrap();
        let denied = alice.set("bob:1", "not mine").await.unwrap_err();
        assert_eq!(denied.server_code(), Some("NOPERM"), "{denied}");
        assert_eq!(
            alice.get::<String>("alice:1").await.unwrap().as_deref(),
            Some("mine"),
            "usable after NOPERM"
        );

        let wrong = Client::connect_with(with_protocol(
            &format!("redis://:nope@127.0.0.1:{port}"),
            protocol,
        ))
        .await
        .unwrap_err();
        assert_eq!(wrong.kind(), ErrorKind::Auth, "{protocol:?}: {wrong}");
        assert_eq!(wrong.server_code(), Some("WRONGPASS"), "{wrong}");
        assert!(
            !wrong.to_string().contains("nope"),
            "the password leaked into {wrong}"
        );

        let wrong_user = Client::connect_with(with_protocol(
            &format!("redis://alice:s3cret@127.0.0.1:{port}"),
            protocol,
        ))
        .await
        .unwrap_err();
        assert_eq!(wrong_user.kind(), ErrorKind::Auth);

        let missing = Client::connect_with(with_protocol(
            &format!("redis://127.0.0.1:{port}"),
            protocol,
        ))
        .await;
        match (protocol, missing) {
            // HELLO without AUTH is refused at once.
            (Protocol::Resp3, Err(e)) => assert_eq!(e.kind(), ErrorKind::Auth, "{e}"),
            // RESP2 has no handshake to refuse: the first command is.
            (_, Ok(client)) => {
                let e = client.ping().await.unwrap_err();
                assert_eq!(e.server_code(), Some("NOAUTH"), "{e}");
            }
            (_, Err(e)) => panic!("{protocol:?}: {e}"),
        }
    }
}

#[tokio::test]
async fn the_client_name_is_set_at_connect() {
    for protocol in PROTOCOLS {
        let url = format!("{}?client_name=worker-{}", shared().url(), protocol as u8);
        let client = Client::connect_with(with_protocol(&url, protocol))
            .await
            .unwrap();
        let name = client.client_getname().await.unwrap();
        assert_eq!(
            name,
            Some(format!("worker-{}", protocol as u8)),
            "{protocol:?}"
        );
    }
}

#[tokio::test]
async fn an_unreachable_server_is_an_io_error_naming_the_address() {
    let port = redtyped_tests::free_port();
    let e = Client::connect(&format!("redis://127.0.0.1:{port}"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io, "{e}");
    assert_eq!(e.outcome(), Outcome::NotSent);
    assert!(e.to_string().contains(&format!("127.0.0.1:{port}")), "{e}");
}

#[tokio::test]
async fn malformed_urls_are_config_errors() {
    for url in [
        "redis//localhost",
        "redis://localhost/zero",
        "redis://localhost?protocol=4",
        "ftp://localhost",
    ] {
        let e = Client::connect(url).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{url}: {e}");
        assert!(
            e.to_string()
                .starts_with("invalid configuration: invalid URL"),
            "{url}: {e}"
        );
    }
}

#[tokio::test]
async fn a_lost_connection_fails_in_flight_and_new_commands_distinctly() {
    for protocol in PROTOCOLS {
        let mut server = Server::start();
        let client = client_on(&server, protocol).await;
        client.set("k", "v").await.unwrap();
        // A blocking pop waits on the server (which stays free to answer others).
        let in_flight = client.send(
            redtyped::Raw::<()>::new("BLPOP")
                .arg("never-pushed")
                .arg("10"),
        );
        redtyped_tests::wait_until_async(
            std::time::Duration::from_secs(5),
            "BLPOP to be waiting",
            || {
                let waiting = server.cli(&["CLIENT", "LIST"]).contains("cmd=blpop");
                async move { waiting }
            },
        )
        .await;
        server.kill();
        let e = in_flight.await.unwrap_err();
        assert_eq!(e.outcome(), Outcome::Unknown, "{protocol:?}: {e}");
        // While the server is down, reconnect attempts fail and so do new commands,
        // promptly, as never sent; the client itself stays open.
        let e = client.get::<String>("k").await.unwrap_err();
        assert_eq!(e.outcome(), Outcome::NotSent, "{e}");
        assert_eq!(e.kind(), ErrorKind::Io, "{e}");
        assert!(e.to_string().contains("reconnecting failed"), "{e}");
        assert!(!client.is_closed());
        // Back up (empty, on the same port): the client reconnects by itself.
        server.restart();
        redtyped_tests::wait_until_async(
            std::time::Duration::from_secs(10),
            "the client to reconnect",
            || {
                let client = client.clone();
                async move { client.ping().await.is_ok() }
            },
        )
        .await;
        assert!(client.stats().reconnects >= 1);
        assert_eq!(
            client.get::<String>("k").await.unwrap(),
            None,
            "a fresh server"
        );
    }
}

#[tokio::test]
async fn a_killed_connection_is_reestablished_with_its_database_name_and_auth() {
    let server = Server::builder().password("pw").start();
    for protocol in PROTOCOLS {
        let url = format!(
            "redis://:pw@127.0.0.1:{}/3?client_name=survivor",
            server.port()
        );
        let client = Client::connect_with(with_protocol(&url, protocol))
            .await
            .unwrap();
        let first_id: i64 = client.client_id().await.unwrap();
        server.cli_as(
            "default",
            "pw",
            &["CLIENT", "KILL", "ID", &first_id.to_string()],
        );
        // The next commands reach a new connection, set up as the first was.
        let key = unique_key("after-kill");
        redtyped_tests::wait_until_async(
            std::time::Duration::from_secs(10),
            "a command after the kill",
            || {
                let (client, key) = (client.clone(), key.clone());
                async move { client.set(&key, "kept").await.is_ok() }
            },
        )
        .await;
        let id: i64 = client.client_id().await.unwrap();
        assert_ne!(id, first_id, "{protocol:?}");
        assert_eq!(
            client.client_getname().await.unwrap().as_deref(),
            Some("survivor")
        );
        let db3 = Client::connect_with(with_protocol(&url, protocol))
            .await
            .unwrap();
        assert_eq!(
            db3.get::<String>(&key).await.unwrap().as_deref(),
            Some("kept"),
            "still database 3"
        );
        assert_eq!(client.stats().reconnects, 1);
        assert_eq!(client.stats().in_flight, 0);
    }
}

#[tokio::test]
async fn close_lets_commands_in_flight_finish_and_refuses_new_ones() {
    each_protocol(|client| async move {
        let key = unique_key("closing");
        // Waits 0.2 s on the server, then replies nil.
        let in_flight = client.send(
            redtyped::Raw::<Option<Vec<String>>>::new("BLPOP")
                .arg(&key)
                .arg("0.2"),
        );
        let clone = client.clone();
        clone.close().await;
        assert_eq!(
            in_flight.await.unwrap(),
            None,
            "the command in flight got its reply"
        );
        assert!(client.is_closed());
        let e = client.ping().await.unwrap_err();
        assert!(e.is_closed(), "{e}");
        assert_eq!(e.outcome(), Outcome::NotSent);
    })
    .await;
}

#[tokio::test]
async fn a_response_timeout_fails_the_slow_command_and_keeps_the_connection_in_step() {
    for protocol in PROTOCOLS {
        let url = format!("{}?timeout=100ms", shared().url());
        let client = Client::connect_with(with_protocol(&url, protocol))
            .await
            .unwrap();
        let key = unique_key("never-pushed");
        // BLPOP waits 1 s on the server; the client gives up after 100 ms.
        let e = client
            .send(redtyped::Raw::<()>::new("BLPOP").arg(&key).arg("1"))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout, "{protocol:?}: {e}");
        assert_eq!(e.outcome(), Outcome::Unknown);
        assert_eq!(e.command(), Some("BLPOP"));
        // The late reply is discarded, never handed to a later caller: every ECHO
        // either times out (while the BLPOP still holds the connection) or gets its own nonce.
        let mut attempt = 0;
        redtyped_tests::wait_until_async(
            std::time::Duration::from_secs(5),
            "an ECHO to get its own reply",
            || {
                attempt += 1;
                let client = client.clone();
                let nonce = unique_key(&format!("after-timeout-{attempt}"));
                async move {
                    match client.echo::<String>(&nonce).await {
                        Ok(echoed) => {
                            assert_eq!(echoed, nonce, "a reply shifted after a timeout");
                            true
                        }
                        Err(e) => {
                            assert!(e.is_timeout(), "{e}");
                            false
                        }
                    }
                }
            },
        )
        .await;
    }
}
