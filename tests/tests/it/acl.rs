//! Authentication and ACL failures after connect: a password that changes
//! under a connected client, and commands the ACL user may not run.
//! (Wrong passwords and users at connect are in `connection.rs`.)

use std::time::Duration;

use redtyped::{Client, Config, ErrorKind, Outcome};
use redtyped_tests::{Proxy, Server, unique_key, wait_until_async};

use crate::support::PROTOCOLS;

const DEADLINE: Duration = Duration::from_secs(30);

#[tokio::test]
async fn a_password_changed_under_a_connected_client_fails_reconnects_as_auth_errors_that_back_off()
{
    // Attempt k waits at least half of min(10 ms * 2^k, 2 s): after the
    // attempt that noticed, 3 s hold at most 9 more (5 + 10 + … + 640 ms
    // = 1.275 s, then at least 1 s each).
    const WINDOW: Duration = Duration::from_secs(3);
    const MAX_ATTEMPTS: u64 = 11;
    for protocol in PROTOCOLS {
        let server = Server::builder().password("before").start();
        let proxy = Proxy::start(&server.addr());
        let config = Config::new("127.0.0.1", proxy.port())
            .password_only("before")
            .resp(protocol);
        let client = Client::connect_with(config).await.unwrap();
        assert_eq!(client.ping().await.unwrap(), "PONG");
        assert_eq!(
            server.cli_as(
                "default",
                "before",
                &["CONFIG", "SET", "requirepass", "after"]
            ),
            "+OK\r\n"
        );
        let accepted = proxy.accepted();
        proxy.drop_all();
        let start = tokio::time::Instant::now();
        let mut auth_errors = 0;
        while start.elapsed() < WINDOW {
            let e = tokio::time::timeout(Duration::from_secs(5), client.ping())
                .await
                .expect("an answer within one back-off period")
                .unwrap_err();
            match (e.kind(), e.outcome()) {
                (ErrorKind::Auth, Outcome::NotSent) => {
                    assert_eq!(e.server_code(), Some("WRONGPASS"), "{e}");
                    assert!(
                        !e.to_string().contains("before"),
                        "the password leaked: {e}"
                    );
                    auth_errors += 1;
                }
                // Sent before the driver saw the connection go.
                (ErrorKind::Io, Outcome::Unknown) if auth_errors == 0 => {}
                _ => panic!("{protocol:?}: {e}"),
            }
        }
        let attempts = proxy.accepted() - accepted;
        assert!(auth_errors >= 1, "{protocol:?}");
        assert!(
            (2..=MAX_ATTEMPTS).contains(&attempts),
            "{protocol:?}: {attempts} reconnect attempts in {WINDOW:?} with a wrong password"
        );
        // Once the password is right again, the client is back by itself.
        assert_eq!(
            server.cli_as(
                "default",
                "after",
                &["CONFIG", "SET", "requirepass", "before"]
            ),
            "+OK\r\n"
        );
        wait_until_async(DEADLINE, "the client to authenticate again", || {
            let client = client.clone();
            async move { client.ping().await.is_ok() }
        })
        .await;
        assert_eq!(client.stats().reconnects, 1, "{protocol:?}");
    }
}

/// `rejected_calls` of `cmdstat_set` in INFO commandstats (0 before any).
fn rejected_sets(server: &Server) -> u64 {
    let info = server.cli(&["INFO", "commandstats"]);
    info.lines()
        .find_map(|line| line.strip_prefix("cmdstat_set:"))
        .and_then(|stats| {
            stats
                .split(',')
                .find_map(|field| field.strip_prefix("rejected_calls="))
        })
        .map_or(0, |n| n.parse().unwrap())
}

#[tokio::test]
async fn noperm_is_a_server_error_sent_once_and_not_retried() {
    let server = Server::builder()
        .acl_user("user alice on >wonderland ~* &* +@all -set")
        .start();
    for protocol in PROTOCOLS {
        let config = Config::new("127.0.0.1", server.port())
            .user("alice", "wonderland")
            .resp(protocol);
        let client = Client::connect_with(config).await.unwrap();
        assert_eq!(server.cli(&["ACL", "LOG", "RESET"]), "+OK\r\n");
        let rejected = rejected_sets(&server);
        let key = unique_key("forbidden");

        let e = client.set(&key, "no").await.unwrap_err();
        assert!(e.is_no_permission(), "{protocol:?}: {e}");
        assert_eq!(e.kind(), ErrorKind::Server);
        assert_eq!(e.outcome(), Outcome::Completed);
        assert_eq!(e.command(), Some("SET"));

        // The server refused it exactly once: one rejected call, one ACL LOG entry counted once.
        assert_eq!(rejected_sets(&server), rejected + 1, "{protocol:?}");
        let log = server.cli(&["ACL", "LOG"]);
        assert!(log.starts_with("*1\r\n"), "{protocol:?}: {log}");
        assert!(log.contains("$5\r\ncount\r\n:1\r\n"), "{protocol:?}: {log}");
        assert!(
            log.contains("$5\r\nalice\r\n") && log.contains("$3\r\nset\r\n"),
            "{log}"
        );
        // The connection is kept and in step.
        assert_eq!(client.get::<String>(&key).await.unwrap(), None);
        assert_eq!(client.stats().reconnects, 0);
        assert_eq!(
            rejected_sets(&server),
            rejected + 1,
            "{protocol:?}: not retried"
        );
    }
}
