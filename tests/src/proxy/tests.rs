//! The proxy must be trustworthy before fault tests can rely on it: every
//! control is checked here with plain sockets on both sides (exact bytes),
//! and forwarding also against a real redis-server.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use super::{Direction, Proxy};
use crate::{Server, wait_until};

const DEADLINE: Duration = Duration::from_secs(10);
/// How long a test watches for bytes that must not arrive.
const QUIET: Duration = Duration::from_millis(200);

/// A client connected through a proxy to a plain upstream socket.
struct Link {
    proxy: Proxy,
    client: TcpStream,
    upstream: TcpStream,
    /// Kept so further connections can be accepted.
    listener: TcpListener,
}

fn link() -> Link {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = Proxy::start(&listener.local_addr().unwrap().to_string());
    let (client, upstream) = connect(&proxy, &listener);
    wait_until(DEADLINE, "the proxy to register the connection", || {
        proxy.open() == 1
    });
    Link {
        proxy,
        client,
        upstream,
        listener,
    }
}

fn connect(proxy: &Proxy, listener: &TcpListener) -> (TcpStream, TcpStream) {
    let client = TcpStream::connect(proxy.addr()).unwrap();
    let (upstream, _) = listener.accept().unwrap();
    for s in [&client, &upstream] {
        s.set_read_timeout(Some(DEADLINE)).unwrap();
    }
    (client, upstream)
}

fn read_exact(stream: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    stream.read_exact(&mut buf).unwrap();
    buf
}

/// Reads until the peer closes; returns what came.
fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return out,
            Err(e) => panic!("reading until the proxy closes: {e}"),
        }
    }
}

/// Nothing arrives on `stream` for a while.
fn assert_quiet(stream: &mut TcpStream, what: &str) {
    stream.set_read_timeout(Some(QUIET)).unwrap();
    let mut buf = [0u8; 64];
    match stream.read(&mut buf) {
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        other => panic!("{what}: expected nothing, got {other:?}"),
    }
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
}

#[test]
fn forwards_commands_and_replies_of_a_real_server() {
    let server = Server::start();
    let proxy = Proxy::start(&server.addr());
    let mut stream = TcpStream::connect(proxy.addr()).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    let reply = crate::resp::request(&mut stream, &["SET", "k", "through the proxy"]).unwrap();
    assert_eq!(reply, b"+OK\r\n");
    let reply = crate::resp::request(&mut stream, &["GET", "k"]).unwrap();
    assert_eq!(reply, b"$17\r\nthrough the proxy\r\n");
    assert_eq!(proxy.accepted(), 1);
    assert_eq!(proxy.open(), 1);
    let sent = crate::resp::encode_command(&["SET", "k", "through the proxy"]).len()
        + crate::resp::encode_command(&["GET", "k"]).len();
    wait_until(DEADLINE, "the counts of forwarded bytes", || {
        proxy.forwarded(Direction::ToServer) == sent as u64
            && proxy.forwarded(Direction::ToClient) == 5 + 24
    });
    drop(stream);
    wait_until(DEADLINE, "the connection to close", || proxy.open() == 0);
}

#[test]
fn a_paused_direction_holds_its_bytes_until_resumed() {
    let mut l = link();
    l.proxy.pause(Direction::ToServer);
    l.client.write_all(b"held request").unwrap();
    assert_quiet(&mut l.upstream, "a paused request");
    // The other direction still flows.
    l.upstream.write_all(b"reply").unwrap();
    assert_eq!(read_exact(&mut l.client, 5), b"reply");
    l.proxy.resume(Direction::ToServer);
    assert_eq!(read_exact(&mut l.upstream, 12), b"held request");

    l.proxy.pause(Direction::ToClient);
    l.upstream.write_all(b"held reply").unwrap();
    assert_quiet(&mut l.client, "a paused reply");
    l.proxy.resume(Direction::ToClient);
    assert_eq!(read_exact(&mut l.client, 10), b"held reply");
}

#[test]
fn a_cut_forwards_exactly_n_bytes_then_closes_both_sides() {
    for direction in [Direction::ToClient, Direction::ToServer] {
        let mut l = link();
        l.proxy.cut_after(direction, 37);
        let payload: Vec<u8> = (0..100u8).collect();
        let (sender, receiver) = match direction {
            Direction::ToClient => (&mut l.upstream, &mut l.client),
            Direction::ToServer => (&mut l.client, &mut l.upstream),
        };
        sender.write_all(&payload).unwrap();
        assert_eq!(read_to_close(receiver), payload[..37], "{direction:?}");
        // The sender's side is closed too.
        assert_eq!(read_to_close(sender), b"", "{direction:?}");
        wait_until(DEADLINE, "the cut connection to go", || l.proxy.open() == 0);
        // Later connections are not cut.
        let (mut client, mut upstream) = connect(&l.proxy, &l.listener);
        client.write_all(&payload).unwrap();
        assert_eq!(read_exact(&mut upstream, 100), payload);
    }
}

#[test]
fn pause_after_forwards_exactly_n_bytes_then_holds_the_rest() {
    let mut l = link();
    l.proxy.pause_after(Direction::ToServer, 5);
    l.client.write_all(b"firstsecond").unwrap();
    assert_eq!(read_exact(&mut l.upstream, 5), b"first");
    assert_quiet(&mut l.upstream, "bytes past the limit");
    wait_until(DEADLINE, "the count of forwarded bytes", || {
        l.proxy.forwarded(Direction::ToServer) == 5
    });
    l.proxy.resume(Direction::ToServer);
    assert_eq!(read_exact(&mut l.upstream, 6), b"second");
}

#[test]
fn injected_bytes_reach_the_client_ahead_of_held_replies() {
    let mut l = link();
    l.proxy.pause(Direction::ToClient);
    l.upstream.write_all(b"+real\r\n").unwrap();
    assert_quiet(&mut l.client, "a held reply");
    l.proxy.inject(b"?bad\r\n");
    assert_eq!(read_exact(&mut l.client, 6), b"?bad\r\n");
    l.proxy.resume(Direction::ToClient);
    assert_eq!(read_exact(&mut l.client, 7), b"+real\r\n");
    // Injected bytes do not count as forwarded.
    wait_until(DEADLINE, "the count of forwarded bytes", || {
        l.proxy.forwarded(Direction::ToClient) == 7
    });
}

#[test]
fn a_delay_holds_each_chunk_back_and_still_forwards_everything_in_order() {
    let mut l = link();
    // Far longer than the quiet window: a delay that was ignored shows.
    l.proxy
        .set_delay(Direction::ToClient, Duration::from_secs(2));
    l.upstream.write_all(b"late").unwrap();
    assert_quiet(&mut l.client, "a delayed chunk");
    assert_eq!(read_exact(&mut l.client, 4), b"late");
    l.proxy
        .set_delay(Direction::ToClient, Duration::from_millis(1));
    for i in 0..20u8 {
        l.upstream.write_all(&[i; 10]).unwrap();
    }
    let got = read_exact(&mut l.client, 200);
    let expected: Vec<u8> = (0..20u8).flat_map(|i| [i; 10]).collect();
    assert_eq!(got, expected);
}

#[test]
fn drop_all_closes_every_open_connection_and_accepts_new_ones() {
    let mut l = link();
    let (mut second, mut second_up) = connect(&l.proxy, &l.listener);
    wait_until(DEADLINE, "two connections", || l.proxy.open() == 2);
    l.proxy.pause(Direction::ToClient);
    l.upstream.write_all(b"never delivered").unwrap();
    l.proxy.drop_all();
    assert_eq!(l.proxy.open(), 0, "drop_all returns once they are closed");
    for (client, upstream) in [
        (&mut l.client, &mut l.upstream),
        (&mut second, &mut second_up),
    ] {
        assert_eq!(
            read_to_close(client),
            b"",
            "held bytes are dropped with the connection"
        );
        assert_eq!(read_to_close(upstream), b"");
    }
    l.proxy.resume(Direction::ToClient);
    let (mut client, mut upstream) = connect(&l.proxy, &l.listener);
    upstream.write_all(b"fresh").unwrap();
    assert_eq!(read_exact(&mut client, 5), b"fresh");
    assert_eq!(l.proxy.accepted(), 3);
}

#[test]
fn refused_connections_are_counted_and_closed_at_once() {
    let l = link();
    l.proxy.refuse();
    for _ in 0..3 {
        let mut refused = TcpStream::connect(l.proxy.addr()).unwrap();
        refused.set_read_timeout(Some(DEADLINE)).unwrap();
        assert_eq!(read_to_close(&mut refused), b"");
    }
    assert_eq!(l.proxy.accepted(), 4);
    assert_eq!(l.proxy.open(), 1, "the connection open before stays");
    l.proxy.allow();
    let (mut client, mut upstream) = connect(&l.proxy, &l.listener);
    client.write_all(b"allowed").unwrap();
    assert_eq!(read_exact(&mut upstream, 7), b"allowed");
}

#[test]
fn a_connection_whose_upstream_is_down_is_closed() {
    let port = crate::free_port();
    let proxy = Proxy::start(&format!("127.0.0.1:{port}"));
    let mut client = TcpStream::connect(proxy.addr()).unwrap();
    client.set_read_timeout(Some(DEADLINE)).unwrap();
    assert_eq!(read_to_close(&mut client), b"");
    assert_eq!(proxy.accepted(), 1);
    wait_until(DEADLINE, "the connection to go", || proxy.open() == 0);
}
