//! TLS: real certificates generated at test time, a real redis-server with
//! `tls-port`, verification always on.

use redtyped::{Client, Config, ErrorKind, Tls};
use redtyped_tests::{Server, TlsFiles, unique_key};

use crate::support::PROTOCOLS;

fn rediss(server: &Server, host: &str) -> String {
    format!("rediss://{host}:{}", server.tls_port().unwrap())
}

#[tokio::test]
async fn tls_with_the_servers_ca_works_in_both_protocols() {
    let files = TlsFiles::generate();
    let server = Server::builder().tls(&files).start();
    let key = unique_key("tls");
    for protocol in PROTOCOLS {
        let url = format!(
            "{}?tls_ca={}",
            rediss(&server, "127.0.0.1"),
            files.ca().display()
        );
        let client = Client::connect_with(Config::from_url(&url).unwrap().resp(protocol))
            .await
            .unwrap();
        client.set(&key, "over tls").await.unwrap();
        assert_eq!(
            client.get::<String>(&key).await.unwrap().as_deref(),
            Some("over tls")
        );
        // The server saw a TLS connection: the plain port's view agrees on the data.
        assert_eq!(server.cli(&["GET", &key]), "$8\r\nover tls\r\n");
        // By host name too (the certificate names localhost and 127.0.0.1).
        let by_name = format!(
            "{}?tls_ca={}",
            rediss(&server, "localhost"),
            files.ca().display()
        );
        let client = Client::connect_with(Config::from_url(&by_name).unwrap().resp(protocol))
            .await
            .unwrap();
        assert_eq!(client.ping().await.unwrap(), "PONG");
    }
}

#[tokio::test]
async fn an_untrusted_server_certificate_is_refused() {
    let files = TlsFiles::generate();
    let server = Server::builder().tls(&files).start();
    // System roots only: the test CA is not among them.
    let e = Client::connect(&rediss(&server, "127.0.0.1"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
    assert!(e.to_string().contains("certificate"), "{e}");
    // Another CA does not vouch for this server either.
    let other = TlsFiles::generate();
    let url = format!(
        "{}?tls_ca={}",
        rediss(&server, "127.0.0.1"),
        other.ca().display()
    );
    let e = Client::connect(&url).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
}

#[tokio::test]
async fn a_name_the_certificate_does_not_hold_is_refused() {
    let files = TlsFiles::generate();
    let server = Server::builder().tls(&files).start();
    let config = Config::new("127.0.0.1", server.tls_port().unwrap()).tls(
        Tls::new()
            .ca_file(files.ca())
            .server_name("redis.example.com"),
    );
    let e = Client::connect_with(config).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
    assert!(e.to_string().contains("redis.example.com"), "{e}");
}

#[tokio::test]
async fn client_certificates_are_presented_when_the_server_requires_them() {
    let files = TlsFiles::generate();
    let server = Server::builder().tls(&files).require_client_cert().start();
    let (cert, key) = files.client();
    for protocol in PROTOCOLS {
        let url = format!(
            "{}?tls_ca={}&tls_cert={}&tls_key={}",
            rediss(&server, "127.0.0.1"),
            files.ca().display(),
            cert.display(),
            key.display()
        );
        let client = Client::connect_with(Config::from_url(&url).unwrap().resp(protocol))
            .await
            .unwrap();
        assert_eq!(client.ping().await.unwrap(), "PONG");
    }
    // Without one the server ends the handshake (TLS 1.3 reports it on the first read).
    let url = format!(
        "{}?tls_ca={}",
        rediss(&server, "127.0.0.1"),
        files.ca().display()
    );
    let e = Client::connect(&url).await.unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Tls | ErrorKind::Io | ErrorKind::Closed),
        "{e}"
    );
}

#[tokio::test]
async fn tls_options_without_rediss_and_unreadable_files_are_clear_errors() {
    let e = Config::from_url("redis://127.0.0.1?tls_ca=/x.pem").unwrap_err();
    assert!(e.to_string().contains("`tls_ca` needs rediss://"), "{e}");
    let e = Config::from_url("rediss://127.0.0.1?tls_cert=/c.pem").unwrap_err();
    assert!(
        e.to_string().contains("tls_cert and tls_key go together"),
        "{e}"
    );
    let files = TlsFiles::generate();
    let server = Server::builder().tls(&files).start();
    let url = format!(
        "{}?tls_ca=/nonexistent/ca.pem",
        rediss(&server, "127.0.0.1")
    );
    let e = Client::connect(&url).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
    assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");
}
