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
/// API is a later issue) and decodes its reply with the command's own shape;
/// a server error reply panics. For testing commands the shared client refuses.
pub async fn call_dedicated<C: redtyped::Command>(
    server: &Server,
    protocol: Protocol,
    command: C,
) -> redtyped::Result<<C::Shape as redtyped::shape::Shape>::Output> {
    let name = C::META.name;
    let reply = Session::open(server, protocol).await.call(command).await;
    Ok(reply.unwrap_or_else(|e| panic!("{name} replied with an error: {e}")))
}

/// A connection of its own on which commands run one after another, for
/// commands whose effect lasts on the connection (MULTI … EXEC, WATCH) or
/// that block it. Commands are encoded by redtyped and sent over a plain
/// socket (after `HELLO 3` for RESP3); replies are decoded with each
/// command's own shape.
pub struct Session {
    stream: tokio::net::TcpStream,
    buf: bytes::BytesMut,
}

impl Session {
    /// Connects to `server`, speaking `protocol`.
    pub async fn open(server: &Server, protocol: Protocol) -> Session {
        let stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
        let mut session = Session {
            stream,
            buf: bytes::BytesMut::new(),
        };
        if protocol == Protocol::Resp3 {
            let hello = session.roundtrip(b"*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n").await;
            // A refused HELLO (a server with a password) would quietly leave the session in RESP2.
            assert!(
                hello.starts_with(b"%"),
                "HELLO 3 was refused: {}",
                String::from_utf8_lossy(&hello)
            );
        }
        session
    }

    /// Sends `command` and returns its whole reply frame, undecoded (`+QUEUED`
    /// inside MULTI, an error reply).
    pub async fn frame<C: redtyped::Command>(&mut self, command: C) -> bytes::Bytes {
        let mut out = bytes::BytesMut::new();
        let mut w = redtyped::resp::ArgWriter::begin(&mut out);
        command.write_args(&mut w);
        w.finish();
        self.roundtrip(&out).await
    }

    /// Sends `command` and decodes its reply with the command's shape; a
    /// server error reply is `Err` with its text.
    pub async fn call<C: redtyped::Command>(
        &mut self,
        command: C,
    ) -> Result<<C::Shape as redtyped::shape::Shape>::Output, String> {
        use redtyped::shape::Shape;
        let name = C::META.name;
        let frame = self.frame(command).await;
        if frame.starts_with(b"-") || frame.starts_with(b"!") {
            return Err(String::from_utf8_lossy(&frame).trim().to_string());
        }
        let mut reader = redtyped::resp::Reader::new(&frame);
        Ok(<C::Shape as Shape>::read(&mut reader).unwrap_or_else(|e| panic!("{name}: {e}")))
    }

    async fn roundtrip(&mut self, request: &[u8]) -> bytes::Bytes {
        use redtyped::resp::{FrameScanner, Limits};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        self.stream.write_all(request).await.unwrap();
        let mut scanner = FrameScanner::new(Limits::default());
        loop {
            if let Some(n) = scanner.scan(&self.buf).unwrap() {
                return self.buf.split_to(n).freeze();
            }
            assert!(
                self.stream.read_buf(&mut self.buf).await.unwrap() > 0,
                "server closed the connection"
            );
        }
    }
}
