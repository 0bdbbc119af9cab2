//! A minimal raw RESP client, independent of the `redtyped` client, for
//! readiness checks and test assertions.
//!
//! Replies are returned as the raw bytes of one complete frame (for example
//! `+PONG\r\n` or `*2\r\n$1\r\na\r\n$1\r\nb\r\n`) so tests can assert on the
//! exact wire format the server sent.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Nesting deeper than this is treated as garbage rather than recursed into.
const MAX_DEPTH: usize = 128;
/// Bulk strings longer than this (Redis's own limit) are treated as garbage.
const MAX_BULK_LEN: usize = 512 * 1024 * 1024;

/// Encodes a command as a RESP array of bulk strings.
///
/// # Example
///
/// ```
/// use redtyped_tests::resp::encode_command;
///
/// assert_eq!(encode_command(&["GET", "k"]), b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
/// ```
pub fn encode_command<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        let arg = arg.as_ref();
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Reads exactly one complete reply frame and returns its raw bytes.
///
/// Understands the RESP2 types (simple string `+`, error `-`, integer `:`,
/// bulk string `$`, array `*`, including nulls) and, for connections
/// switched with `HELLO 3`, the RESP3 types too (`_ , # ( ! = ~ % > |`; an
/// attribute `|` is returned together with the value it annotates).
/// Streamed RESP3 aggregates (`$?`, `*?`) are not supported.
///
/// Fails with [`io::ErrorKind::UnexpectedEof`] if the stream ends inside a
/// frame and [`io::ErrorKind::InvalidData`] for malformed input.
///
/// # Example
///
/// ```
/// use std::io::Cursor;
/// use redtyped_tests::resp::read_frame;
///
/// let mut input = Cursor::new(&b"*2\r\n:1\r\n$-1\r\n+next\r\n"[..]);
/// assert_eq!(read_frame(&mut input).unwrap(), b"*2\r\n:1\r\n$-1\r\n");
/// assert_eq!(read_frame(&mut input).unwrap(), b"+next\r\n");
/// ```
pub fn read_frame<R: BufRead>(reader: &mut R) -> io::Result<Vec<u8>> {
    let mut frame = Vec::new();
    read_frame_into(reader, &mut frame, 0)?;
    Ok(frame)
}

/// Sends one command on `stream` and reads one reply frame.
///
/// The reply is read through a temporary buffer: use it for strict
/// request/response exchanges, where the server sends nothing unasked.
///
/// # Example
///
/// ```no_run
/// use std::os::unix::net::UnixStream;
///
/// let server = redtyped_tests::Server::builder().unix_socket().start();
/// let mut stream = UnixStream::connect(server.unix_path().unwrap()).unwrap();
/// let reply = redtyped_tests::resp::request(&mut stream, &["PING"]).unwrap();
/// assert_eq!(reply, b"+PONG\r\n");
/// ```
pub fn request<S: Read + Write, A: AsRef<[u8]>>(stream: &mut S, args: &[A]) -> io::Result<Vec<u8>> {
    stream.write_all(&encode_command(args))?;
    stream.flush()?;
    read_frame(&mut BufReader::new(stream))
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// Appends one line (through `\r\n`) to `out`; returns the line's content
/// after the type byte and before `\r\n`.
fn read_line<R: BufRead>(reader: &mut R, out: &mut Vec<u8>) -> io::Result<Vec<u8>> {
    let start = out.len();
    reader.read_until(b'\n', out)?;
    let line = &out[start..];
    if line.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed before a reply",
        ));
    }
    if !line.ends_with(b"\r\n") {
        return Err(if line.ends_with(b"\n") {
            invalid(format!(
                "line not terminated by CRLF: {:?}",
                String::from_utf8_lossy(line)
            ))
        } else {
            io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "connection closed inside a line: {:?}",
                    String::from_utf8_lossy(line)
                ),
            )
        });
    }
    Ok(line[1..line.len() - 2].to_vec())
}

fn parse_len(header: &[u8]) -> io::Result<Option<usize>> {
    let text =
        std::str::from_utf8(header).map_err(|_| invalid(format!("bad length {header:?}")))?;
    let n: i64 = text
        .parse()
        .map_err(|_| invalid(format!("bad length {text:?}")))?;
    match n {
        -1 => Ok(None),
        n if n < 0 => Err(invalid(format!("negative length {n}"))),
        n => Ok(Some(n as usize)),
    }
}

fn read_frame_into<R: BufRead>(reader: &mut R, out: &mut Vec<u8>, depth: usize) -> io::Result<()> {
    if depth > MAX_DEPTH {
        return Err(invalid(format!("reply nested deeper than {MAX_DEPTH}")));
    }
    let start = out.len();
    let header = read_line(reader, out)?;
    match out[start] {
        b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => Ok(()),
        b'$' | b'!' | b'=' => {
            let Some(len) = parse_len(&header)? else {
                return Ok(());
            };
            if len > MAX_BULK_LEN {
                return Err(invalid(format!("bulk length {len} exceeds {MAX_BULK_LEN}")));
            }
            let body = out.len();
            out.resize(body + len + 2, 0);
            reader.read_exact(&mut out[body..])?;
            if !out.ends_with(b"\r\n") {
                return Err(invalid("bulk string not terminated by CRLF".into()));
            }
            Ok(())
        }
        kind @ (b'*' | b'~' | b'>' | b'%' | b'|') => {
            let Some(len) = parse_len(&header)? else {
                return Ok(());
            };
            let elements = if matches!(kind, b'%' | b'|') {
                len.saturating_mul(2)
            } else {
                len
            };
            for _ in 0..elements {
                read_frame_into(reader, out, depth + 1)?;
            }
            if kind == b'|' {
                // An attribute annotates the value that follows it.
                read_frame_into(reader, out, depth + 1)?;
            }
            Ok(())
        }
        other => Err(invalid(format!(
            "unknown RESP type byte {:?} in {:?}",
            other as char,
            String::from_utf8_lossy(&out[start..])
        ))),
    }
}

/// A blocking request/response connection used by the harness itself.
pub(crate) struct Connection<S: Read + Write> {
    reader: BufReader<S>,
}

impl Connection<TcpStream> {
    /// Connects with `timeout` for the connect and for every read/write.
    pub(crate) fn tcp(addr: SocketAddr, timeout: Duration) -> io::Result<Self> {
        let stream = TcpStream::connect_timeout(&addr, timeout)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            reader: BufReader::new(stream),
        })
    }
}

impl<S: Read + Write> Connection<S> {
    pub(crate) fn request<A: AsRef<[u8]>>(&mut self, args: &[A]) -> io::Result<Vec<u8>> {
        let stream = self.reader.get_mut();
        stream.write_all(&encode_command(args))?;
        stream.flush()?;
        read_frame(&mut self.reader)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn frames(input: &[u8]) -> io::Result<Vec<Vec<u8>>> {
        let mut reader = Cursor::new(input);
        let mut out = Vec::new();
        while (reader.position() as usize) < input.len() {
            out.push(read_frame(&mut reader)?);
        }
        Ok(out)
    }

    #[test]
    fn encodes_commands() {
        assert_eq!(encode_command::<&str>(&[]), b"*0\r\n");
        assert_eq!(
            encode_command(&["SET", "k", ""]),
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"
        );
        assert_eq!(encode_command(&[&b"\r\n"[..]]), b"*1\r\n$2\r\n\r\n\r\n");
    }

    #[test]
    fn reads_each_resp2_type_as_one_frame() {
        let input: &[&[u8]] = &[
            b"+OK\r\n",
            b"-ERR unknown command 'X'\r\n",
            b":-42\r\n",
            b"$5\r\nhe\r\no\r\n",
            b"$0\r\n\r\n",
            b"$-1\r\n",
            b"*-1\r\n",
            b"*0\r\n",
            b"*3\r\n:1\r\n*2\r\n$1\r\na\r\n$-1\r\n+x\r\n",
        ];
        assert_eq!(frames(&input.concat()).unwrap(), input);
    }

    #[test]
    fn reads_resp3_types() {
        let input: &[&[u8]] = &[
            b"_\r\n",
            b",3.14\r\n",
            b"#t\r\n",
            b"(123456789012345678901234567890\r\n",
            b"!3\r\nERR\r\n",
            b"=7\r\ntxt:abc\r\n",
            b"~2\r\n:1\r\n:2\r\n",
            b"%1\r\n+k\r\n*1\r\n+v\r\n",
            b">2\r\n+message\r\n$2\r\nhi\r\n",
            b"|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n",
        ];
        assert_eq!(frames(&input.concat()).unwrap(), input);
    }

    #[test]
    fn truncated_frames_are_unexpected_eof() {
        for input in [&b""[..], b"+OK", b"$5\r\nab", b"*2\r\n:1\r\n"] {
            let err = read_frame(&mut Cursor::new(input)).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{input:?}: {err}");
        }
    }

    #[test]
    fn malformed_frames_are_invalid_data() {
        for input in [
            &b"?\r\n"[..],
            b"+OK\n",
            b"$x\r\n",
            b"$-2\r\n",
            b"$2\r\nabcd",
            b"*-5\r\n",
        ] {
            let err = read_frame(&mut Cursor::new(input)).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{input:?}: {err}");
        }
        let deep = [b"*1\r\n".repeat(MAX_DEPTH + 2), b":1\r\n".to_vec()].concat();
        assert_eq!(
            read_frame(&mut Cursor::new(deep)).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
    }
}
