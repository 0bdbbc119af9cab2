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

/// Runs one command on a fresh connection of its own (the dedicated-connection
/// API is a later issue): the command is encoded by redtyped, sent over a plain
/// socket (after `HELLO 3` for RESP3), and its reply decoded with the command's
/// own reply shape. For testing commands the shared client refuses.
#[allow(
    dead_code,
    reason = "used by the spec_* parts as their dedicated commands are annotated"
)]
pub async fn call_dedicated<C: redtyped::Command>(
    server: &Server,
    protocol: Protocol,
    command: C,
) -> redtyped::Result<<C::Shape as redtyped::shape::Shape>::Output> {
    use redtyped::resp::{ArgWriter, FrameScanner, Limits, Reader};
    use redtyped::shape::Shape;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn roundtrip(stream: &mut tokio::net::TcpStream, request: &[u8]) -> bytes::Bytes {
        stream.write_all(request).await.unwrap();
        let mut buf = bytes::BytesMut::new();
        let mut scanner = FrameScanner::new(Limits::default());
        loop {
            if let Some(n) = scanner.scan(&buf).unwrap() {
                return buf.split_to(n).freeze();
            }
            assert!(
                stream.read_buf(&mut buf).await.unwrap() > 0,
                "server closed the connection"
            );
        }
    }

    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    if protocol == Protocol::Resp3 {
        roundtrip(&mut stream, b"*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n").await;
    }
    let mut out = bytes::BytesMut::new();
    let mut w = ArgWriter::begin(&mut out);
    command.write_args(&mut w);
    w.finish();
    let frame = roundtrip(&mut stream, &out).await;
    if frame.starts_with(b"-") || frame.starts_with(b"!") {
        let text = String::from_utf8_lossy(&frame).trim().to_string();
        panic!("{} replied with an error: {text}", C::META.name);
    }
    let mut reader = Reader::new(&frame);
    Ok(<C::Shape as Shape>::read(&mut reader).unwrap_or_else(|e| panic!("{}: {e}", C::META.name)))
}
