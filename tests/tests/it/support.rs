//! Helpers shared by the integration tests.

use std::future::Future;

use redtyped::{Client, Config, Protocol, Resp};
use redtyped_tests::{Server, shared};

/// Both protocols, as forced settings.
pub const PROTOCOLS: [Protocol; 2] = [Protocol::Resp2, Protocol::Resp3];

/// A client on `server` speaking `protocol`.
pub async fn client_on(server: &Server, protocol: Protocol) -> Client {
    let config = Config::from_url(&server.url()).unwrap().resp(protocol);
    let client = Client::connect_with(config)
        .await
        .unwrap_or_else(|e| panic!("connect {protocol:?}: {e}"));
    let expected = if protocol == Protocol::Resp2 {
        Resp::V2
    } else {
        Resp::V3
    };
    assert_eq!(client.resp(), expected);
    client
}

/// Runs `test` once with a RESP2 client and once with a RESP3 client on the shared server.
pub async fn each_protocol<F, Fut>(test: F)
where
    F: Fn(Client) -> Fut,
    Fut: Future<Output = ()>,
{
    for protocol in PROTOCOLS {
        eprintln!("-- {protocol:?}");
        test(client_on(shared(), protocol).await).await;
    }
}
