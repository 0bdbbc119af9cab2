//! Opening a connection: the socket, then the handshake (HELLO or AUTH,
//! SETNAME, SELECT), before the driver takes the socket over.

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};

use crate::config::{Addr, Config, Protocol};
use crate::error::{Error, ErrorKind, Outcome, Result};
use crate::resp::{ArgWriter, FrameScanner, Limits};

/// The RESP version a connection ended up speaking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resp {
    /// RESP2.
    V2,
    /// RESP3.
    V3,
}

/// A socket with its read buffer and scanner, used for the handshake and then
/// handed to the driver with whatever bytes were already read.
pub(crate) struct Handshaked<S> {
    pub stream: S,
    pub read_buf: BytesMut,
    pub resp: Resp,
}

/// A connected, handshaked socket of one of the supported kinds.
pub(crate) type Connected = Handshaked<crate::stream::Stream>;

fn connected<S>(h: Handshaked<S>, wrap: impl FnOnce(S) -> crate::stream::Stream) -> Connected {
    Handshaked {
        stream: wrap(h.stream),
        read_buf: h.read_buf,
        resp: h.resp,
    }
}

/// Connects to `config`'s server and runs the handshake, within the connect timeout.
pub(crate) async fn connect(config: &Config) -> Result<Connected> {
    let timeout = config.get_connect_timeout();
    let work = async {
        match config.addr() {
            Addr::Tcp { host, port } => {
                let stream = TcpStream::connect((host.as_str(), *port))
                    .await
                    .map_err(|e| connect_error(config, e))?;
                stream
                    .set_nodelay(true)
                    .map_err(|e| connect_error(config, e))?;
                #[cfg(feature = "tls")]
                if let Some(tls) = config.tls_settings() {
                    let stream = crate::tls::handshake(stream, host, tls).await?;
                    let h = handshake(stream, config).await?;
                    return Ok(connected(h, |s| crate::stream::Stream::Tls(Box::new(s))));
                }
                Ok(connected(
                    handshake(stream, config).await?,
                    crate::stream::Stream::Tcp,
                ))
            }
            Addr::Unix(_) if config.tls_settings().is_some() => {
                Err(Error::config("TLS over a unix socket is not supported"))
            }
            Addr::Unix(path) => {
                let stream = UnixStream::connect(path)
                    .await
                    .map_err(|e| connect_error(config, e))?;
                Ok(connected(
                    handshake(stream, config).await?,
                    crate::stream::Stream::Unix,
                ))
            }
        }
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(result) => result,
        Err(_) => Err(Error::new(
            ErrorKind::Timeout,
            Outcome::NotSent,
            format!(
                "connecting to {} took longer than {timeout:?}",
                config.addr()
            ),
        )),
    }
}

fn connect_error(config: &Config, e: std::io::Error) -> Error {
    Error::new(
        ErrorKind::Io,
        Outcome::NotSent,
        format!("cannot connect to {}: {e}", config.addr()),
    )
    .with_source(e)
}

pub(crate) struct Wire<S> {
    stream: S,
    read_buf: BytesMut,
    scanner: FrameScanner,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Wire<S> {
    /// Sends one command and reads its reply frame. A server error reply is `Err`.
    pub(crate) async fn call(&mut self, args: &[&[u8]]) -> Result<Bytes> {
        let mut out = BytesMut::with_capacity(64);
        let mut w = ArgWriter::begin(&mut out);
        for arg in args {
            w.arg(arg);
        }
        w.finish();
        self.stream
            .write_all(&out)
            .await
            .map_err(|e| Error::io(Outcome::Unknown, e))?;
        loop {
            match self
                .scanner
                .scan(&self.read_buf)
                .map_err(|e| Error::protocol(Outcome::Unknown, e))?
            {
                Some(n) => {
                    let frame = self.read_buf.split_to(n).freeze();
                    if matches!(frame.first(), Some(b'-' | b'!')) {
                        return Err(Error::server(error_text(&frame)));
                    }
                    if matches!(frame.first(), Some(b'>')) {
                        continue; // a push before the handshake ends carries nothing we need
                    }
                    return Ok(frame);
                }
                None => {
                    self.read_buf.reserve(4096);
                    let n = self
                        .stream
                        .read_buf(&mut self.read_buf)
                        .await
                        .map_err(|e| Error::io(Outcome::Unknown, e))?;
                    if n == 0 {
                        return Err(Error::closed(
                            Outcome::Unknown,
                            "the server closed the connection during the handshake",
                        ));
                    }
                }
            }
        }
    }
}

/// The message of an error frame (`-ERR …\r\n` or `!<len>\r\n…\r\n`).
pub(crate) fn error_text(frame: &[u8]) -> &[u8] {
    let body = &frame[1..];
    let body = body.strip_suffix(b"\r\n").unwrap_or(body);
    if frame[0] == b'!' {
        // Bulk error: skip the length line.
        match body.iter().position(|&b| b == b'\n') {
            Some(i) => &body[i + 1..],
            None => body,
        }
    } else {
        body
    }
}

fn is_unknown_hello(e: &Error) -> bool {
    let m = e.message();
    e.kind() == ErrorKind::Server && (m.starts_with("NOPROTO") || m.contains("unknown command"))
}

async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    config: &Config,
) -> Result<Handshaked<S>> {
    let mut wire = Wire {
        stream,
        read_buf: BytesMut::with_capacity(16 * 1024),
        scanner: FrameScanner::new(Limits::default()),
    };
    let mut resp = Resp::V2;
    if config.protocol() != Protocol::Resp2 {
        let mut hello: Vec<&[u8]> = vec![b"HELLO", b"3"];
        if let Some(password) = config.password() {
            hello.extend([
                b"AUTH".as_slice(),
                config.username().unwrap_or("default").as_bytes(),
                password.as_bytes(),
            ]);
        }
        if let Some(name) = config.client_name() {
            hello.extend([b"SETNAME".as_slice(), name.as_bytes()]);
        }
        match wire.call(&hello).await {
            Ok(_) => resp = Resp::V3,
            Err(e) if is_unknown_hello(&e) && config.protocol() == Protocol::Auto => {}
            Err(e) if is_unknown_hello(&e) => {
                return Err(Error::new(
                    ErrorKind::Config,
                    Outcome::NotSent,
                    format!("the server cannot speak RESP3: {}", e.message()),
                ));
            }
            Err(e) => return Err(e.into_auth()),
        }
    }
    if resp == Resp::V2 {
        if let Some(password) = config.password() {
            let result = match config.username() {
                Some(user) => {
                    wire.call(&[b"AUTH", user.as_bytes(), password.as_bytes()])
                        .await
                }
                None => wire.call(&[b"AUTH", password.as_bytes()]).await,
            };
            result.map_err(Error::into_auth)?;
        }
        if let Some(name) = config.client_name() {
            wire.call(&[b"CLIENT", b"SETNAME", name.as_bytes()]).await?;
        }
    }
    if config.db() != 0 {
        wire.call(&[b"SELECT", config.db().to_string().as_bytes()])
            .await?;
    }
    if config.replica_reads {
        wire.call(&[b"READONLY"]).await?;
    }
    if config.require_master {
        // ROLE's first element: `*3\r\n$6\r\nmaster…` in both protocols.
        let role = wire.call(&[b"ROLE"]).await?;
        if !role.windows(6).take(16).any(|w| w == b"master") {
            return Err(Error::new(
                ErrorKind::Server,
                Outcome::NotSent,
                format!("{} is not a master (ROLE)", config.addr()),
            ));
        }
    }
    if config.get_client_cache().is_some() {
        crate::cache::turn_on_tracking(&mut wire, resp).await?;
    }
    Ok(Handshaked {
        stream: wire.stream,
        read_buf: wire.read_buf,
        resp,
    })
}
