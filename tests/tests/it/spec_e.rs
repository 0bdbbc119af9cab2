//! Reply types of the spec's commands, part E, against a live server under RESP2 and RESP3.
//!
//! Cluster, connection and pub/sub commands: every typed reply is checked
//! against what the server did, seen through an independent raw connection.
//! Commands that would disturb the shared server (CLIENT PAUSE, CLUSTER …)
//! run on servers of their own. Dedicated commands run on connections of their
//! own; the shared client refuses them.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use redtyped::cmd::{
    ClientCachingMode, ClientNoEvictEnabled, ClientTrackingStatus, ClusterSetslotSubcommand,
};
use redtyped::resp::{ArgWriter, FrameScanner, Limits, Reader};
use redtyped::shape::Shape;
use redtyped::{Arg, Client, Command, ErrorKind, Protocol, Resp, cmd};
use redtyped_tests::{Server, shared, unique_key, wait_until_async};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{PROTOCOLS, call_dedicated, client_on, each_protocol};

/// How long a condition may take to come true, and a raw read to arrive.
const DEADLINE: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------
// The server's own view: raw RESP2 replies of the harness, parsed here.
// ---------------------------------------------------------------------------

/// A RESP2 reply, parsed independently of the client under test.
#[derive(Debug, Clone, PartialEq)]
enum RawReply {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(String),
    Nil,
    Array(Vec<RawReply>),
}

impl RawReply {
    fn parse(text: &str) -> RawReply {
        let (reply, rest) = Self::parse_one(text);
        assert!(rest.is_empty(), "trailing bytes after a reply: {text:?}");
        reply
    }

    fn parse_one(text: &str) -> (RawReply, &str) {
        let (line, rest) = text
            .split_once("\r\n")
            .unwrap_or_else(|| panic!("not a RESP2 reply: {text:?}"));
        let (kind, body) = line.split_at(1);
        match kind {
            "+" => (RawReply::Status(body.to_owned()), rest),
            "-" => (RawReply::Error(body.to_owned()), rest),
            ":" => (RawReply::Int(body.parse().unwrap()), rest),
            "$" if body == "-1" => (RawReply::Nil, rest),
            "$" => {
                let len: usize = body.parse().unwrap();
                let data = rest[..len].to_owned();
                (
                    RawReply::Bulk(data),
                    rest[len..].strip_prefix("\r\n").unwrap(),
                )
            }
            "*" if body == "-1" => (RawReply::Nil, rest),
            "*" => {
                let n: usize = body.parse().unwrap();
                let mut items = Vec::with_capacity(n);
                let mut rest = rest;
                for _ in 0..n {
                    let (item, r) = Self::parse_one(rest);
                    items.push(item);
                    rest = r;
                }
                (RawReply::Array(items), rest)
            }
            _ => panic!("unexpected RESP2 reply: {text:?}"),
        }
    }

    #[track_caller]
    fn int(&self) -> i64 {
        match self {
            RawReply::Int(i) => *i,
            other => panic!("expected an integer, got {other:?}"),
        }
    }

    /// The text of a status or bulk string.
    #[track_caller]
    fn text(&self) -> &str {
        match self {
            RawReply::Status(s) | RawReply::Bulk(s) => s,
            other => panic!("expected text, got {other:?}"),
        }
    }

    #[track_caller]
    fn items(&self) -> &[RawReply] {
        match self {
            RawReply::Array(items) => items,
            other => panic!("expected an array, got {other:?}"),
        }
    }

    /// An array of texts.
    #[track_caller]
    fn texts(&self) -> Vec<String> {
        self.items().iter().map(|i| i.text().to_owned()).collect()
    }
}

/// A raw command on `server`, parsed.
#[track_caller]
fn raw(server: &Server, args: &[&str]) -> RawReply {
    RawReply::parse(&server.cli(args))
}

/// `key:value` lines (INFO, CLUSTER INFO) as the server wrote them.
fn info_lines(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// The server's CLIENT LIST line of one connection, as `key=value` pairs
/// (`None` once the connection is gone).
#[track_caller]
fn client_line(server: &Server, id: i64) -> Option<HashMap<String, String>> {
    let reply = raw(server, &["CLIENT", "LIST", "ID", &id.to_string()]);
    let line = reply.text().lines().next()?.to_owned();
    Some(
        line.split(' ')
            .filter_map(|w| w.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    )
}

/// A field of a connection's CLIENT LIST line, per the server.
#[track_caller]
fn client_field(server: &Server, id: i64, field: &str) -> String {
    let line = client_line(server, id).unwrap_or_else(|| panic!("client {id} is gone"));
    line[field].clone()
}

/// The lines of the server's CLUSTER NODES, split into words.
#[track_caller]
fn nodes_raw(server: &Server) -> Vec<Vec<String>> {
    raw(server, &["CLUSTER", "NODES"])
        .text()
        .lines()
        .map(|l| l.split(' ').map(str::to_owned).collect())
        .collect()
}

/// The node's own id, per the server.
#[track_caller]
fn myid_raw(server: &Server) -> String {
    raw(server, &["CLUSTER", "MYID"]).text().to_owned()
}

/// The `flags` word of `id`'s line in `server`'s CLUSTER NODES.
#[track_caller]
fn node_flags_raw(server: &Server, id: &str) -> Option<String> {
    nodes_raw(server)
        .into_iter()
        .find(|words| words[0] == id)
        .map(|words| words[2].clone())
}

fn protocol_of(client: &Client) -> Protocol {
    match client.resp() {
        Resp::V2 => Protocol::Resp2,
        _ => Protocol::Resp3,
    }
}

/// The RESP a connection of `protocol` gets for a pub/sub message of these strings.
fn push(protocol: Protocol, items: &[&str]) -> String {
    let kind = if protocol == Protocol::Resp2 {
        '*'
    } else {
        '>'
    };
    let mut out = format!("{kind}{}\r\n", items.len());
    for item in items {
        out.push_str(&format!("${}\r\n{item}\r\n", item.len()));
    }
    out
}

#[track_caller]
fn assert_usage_error<T: std::fmt::Debug>(result: redtyped::Result<T>, what: &str) {
    let err = result.expect_err(what);
    assert_eq!(err.kind(), ErrorKind::Usage, "{what}: {err}");
}

// ---------------------------------------------------------------------------
// A connection of the test's own: raw commands, and typed commands encoded and
// decoded by redtyped (for dedicated commands, and for state the shared client
// cannot enter, such as tracking).
// ---------------------------------------------------------------------------

struct Conn {
    stream: TcpStream,
    buf: BytesMut,
}

impl Conn {
    async fn open(server: &Server, protocol: Protocol) -> Conn {
        Conn::open_as(server, protocol, None).await
    }

    /// A connection speaking `protocol`, authenticated as `auth` when given.
    async fn open_as(server: &Server, protocol: Protocol, auth: Option<(&str, &str)>) -> Conn {
        let stream = TcpStream::connect(server.addr()).await.unwrap();
        let mut conn = Conn {
            stream,
            buf: BytesMut::new(),
        };
        match (protocol, auth) {
            (Protocol::Resp3, auth) => {
                let mut args = vec!["HELLO", "3"];
                if let Some((user, pass)) = auth {
                    args.extend(["AUTH", user, pass]);
                }
                let reply = conn.raw(&args).await;
                assert!(reply.starts_with('%'), "HELLO 3: {reply:?}");
            }
            (_, Some((user, pass))) => {
                assert_eq!(conn.raw(&["AUTH", user, pass]).await, "+OK\r\n");
            }
            (_, None) => {}
        }
        conn
    }

    async fn send_raw(&mut self, args: &[&str]) {
        let mut out = format!("*{}\r\n", args.len());
        for arg in args {
            out.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        self.stream.write_all(out.as_bytes()).await.unwrap();
    }

    /// The next frame the server sends (a reply or a push).
    async fn frame(&mut self) -> Bytes {
        let mut scanner = FrameScanner::new(Limits::default());
        loop {
            if let Some(n) = scanner.scan(&self.buf).unwrap() {
                return self.buf.split_to(n).freeze();
            }
            let read = tokio::time::timeout(DEADLINE, self.stream.read_buf(&mut self.buf))
                .await
                .expect("timed out waiting for the server")
                .unwrap();
            assert!(read > 0, "the server closed the connection");
        }
    }

    async fn text_frame(&mut self) -> String {
        String::from_utf8_lossy(&self.frame().await).into_owned()
    }

    /// A raw command and its raw reply.
    async fn raw(&mut self, args: &[&str]) -> String {
        self.send_raw(args).await;
        self.text_frame().await
    }

    async fn id(&mut self) -> i64 {
        let reply = self.raw(&["CLIENT", "ID"]).await;
        reply[1..reply.len() - 2].parse().unwrap()
    }

    /// A typed command: encoded by redtyped, its reply decoded with the
    /// command's own shape; an error reply is `Err` with its text.
    async fn call<C: Command>(
        &mut self,
        command: C,
    ) -> Result<<C::Shape as Shape>::Output, String> {
        let mut out = BytesMut::new();
        let mut w = ArgWriter::begin(&mut out);
        command.write_args(&mut w);
        w.finish();
        self.stream.write_all(&out).await.unwrap();
        let frame = self.frame().await;
        if frame.starts_with(b"-") || frame.starts_with(b"!") {
            return Err(String::from_utf8_lossy(&frame).trim().to_owned());
        }
        let mut reader = Reader::new(&frame);
        Ok(<C::Shape as Shape>::read(&mut reader)
            .unwrap_or_else(|e| panic!("{}: {e}", C::META.name)))
    }

    /// Whether the server closed the connection (waits for it, with a deadline).
    async fn closed(&mut self) -> bool {
        match tokio::time::timeout(DEADLINE, self.stream.read_buf(&mut self.buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => true,
            Ok(Ok(_)) | Err(_) => false,
        }
    }
}

// ---------------------------------------------------------------------------
// CLIENT …
// ---------------------------------------------------------------------------

#[tokio::test]
async fn client_id_and_list_rows_match_the_server() {
    each_protocol(|client| async move {
        let protocol = protocol_of(&client);
        let id: i64 = client.client_id().await.unwrap();
        let raw_line = client_line(shared(), id).expect("the server lists the client's connection");
        assert_eq!(raw_line["id"], id.to_string());

        let name = format!("spec-e-{}", unique_key("list").replace(':', "-"));
        client.client_setname(&name).await.unwrap();

        let rows = client.client_list().await.unwrap();
        let ids: BTreeSet<i64> = rows.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), rows.len(), "one row per connection");
        let me = rows
            .iter()
            .find(|r| r.id == id)
            .expect("our own connection is listed");
        let raw_line = client_line(shared(), id).unwrap();
        assert_eq!(me.addr, raw_line["addr"]);
        assert_eq!(me.laddr, raw_line["laddr"]);
        assert_eq!(me.laddr, format!("127.0.0.1:{}", shared().port()));
        assert_eq!(me.fd.to_string(), raw_line["fd"]);
        assert_eq!(me.name, name);
        assert_eq!(me.db, 0);
        assert_eq!(me.user, "default");
        assert_eq!(me.cmd, "client|list");
        assert_eq!((me.sub, me.psub, me.ssub, me.multi), (0, 0, 0, -1));
        assert_eq!(me.redir, -1);
        assert_eq!(me.resp, if protocol == Protocol::Resp2 { 2 } else { 3 });
        assert_eq!(me.flags, "N");
        assert!(
            me.tot_mem > 0 && me.qbuf_free >= 0 && me.argv_mem >= 0,
            "{me:?}"
        );
        assert!(me.events.contains('r'), "{me:?}");
        assert!(me.age >= 0 && me.idle >= 0 && me.omem >= 0 && me.obl >= 0 && me.oll >= 0);
        assert!(me.rbs > 0 && me.rbp >= 0 && me.multi_mem >= 0 && me.qbuf >= 0);

        // ID filters to the connections named, in any number; unknown ids are skipped.
        let mut other = Conn::open(shared(), protocol).await;
        let other_id = other.id().await;
        let only = client.client_list().id([id]).await.unwrap();
        assert_eq!(only.len(), 1, "{only:?}");
        assert_eq!(only[0].id, id);
        assert_eq!(only[0].name, name);
        let both = client
            .client_list()
            .id(vec![other_id, id, i64::MAX])
            .await
            .unwrap();
        let both_ids: BTreeSet<i64> = both.iter().map(|r| r.id).collect();
        assert_eq!(both_ids, BTreeSet::from([id, other_id]));
        let other_row = both.iter().find(|r| r.id == other_id).unwrap();
        assert_eq!(other_row.cmd, "client|id");
        assert_eq!(other_row.name, "");

        // TYPE filters by kind of connection.
        let channel = unique_key("list-chan");
        // RESP3 subscribers count as normal connections: a RESP2 one.
        let mut subscriber = Conn::open(shared(), Protocol::Resp2).await;
        let sub_id = subscriber.id().await;
        subscriber.raw(&["SUBSCRIBE", &channel]).await;
        let pubsub = client.client_list().pubsub().await.unwrap();
        let sub_row = pubsub
            .iter()
            .find(|r| r.id == sub_id)
            .expect("the subscriber is a pubsub connection");
        assert_eq!(sub_row.sub, 1);
        assert!(sub_row.flags.contains('P'), "{sub_row:?}");
        assert!(
            pubsub.iter().all(|r| r.id != id),
            "a normal connection is not pubsub"
        );
        assert_eq!(client_field(shared(), sub_id, "sub"), "1");
        let normal = client.client_list().normal().await.unwrap();
        assert!(normal.iter().any(|r| r.id == id));
        assert!(normal.iter().all(|r| r.id != sub_id));
        // The shared server replicates to no one and from no one.
        assert_eq!(client.client_list().replica().await.unwrap(), vec![]);
        assert_eq!(client.client_list().master().await.unwrap(), vec![]);
        assert_eq!(
            raw(shared(), &["CLIENT", "LIST", "TYPE", "replica"]).text(),
            ""
        );
    })
    .await;
}

#[tokio::test]
async fn client_ids_are_per_connection() {
    each_protocol(|client| async move {
        let id = client.client_id().await.unwrap();
        assert_eq!(
            client.clone().client_id().await.unwrap(),
            id,
            "clones share the connection"
        );
        let other = client_on(shared(), protocol_of(&client)).await;
        let other_id = other.client_id().await.unwrap();
        assert_ne!(other_id, id);
        assert!(client_line(shared(), other_id).is_some());
    })
    .await;
}

#[tokio::test]
async fn client_no_evict_sets_and_clears_the_flag() {
    each_protocol(|client| async move {
        let id = client.client_id().await.unwrap();
        assert!(!client_field(shared(), id, "flags").contains('e'));
        let () = client
            .client_no_evict(ClientNoEvictEnabled::On)
            .await
            .unwrap();
        assert!(client_field(shared(), id, "flags").contains('e'));
        let () = client
            .client_no_evict(ClientNoEvictEnabled::Off)
            .await
            .unwrap();
        assert!(!client_field(shared(), id, "flags").contains('e'));
    })
    .await;
}

#[tokio::test]
async fn client_tracking_state_on_the_shared_client_is_off() {
    each_protocol(|client| async move {
        let redirect: i64 = client.client_getredir().await.unwrap();
        assert_eq!(redirect, -1, "the shared connection never tracks");
        let state = client.client_trackinginfo::<String>().await.unwrap();
        assert_eq!(state.flags, vec!["off".to_owned()]);
        assert_eq!(state.redirect, -1);
        assert_eq!(state.prefixes, Vec::<String>::new());
        let id = client.client_id().await.unwrap();
        assert_eq!(client_field(shared(), id, "redir"), "-1");
    })
    .await;
}

#[tokio::test]
async fn client_tracking_caching_and_their_state_on_a_connection_of_its_own() {
    for protocol in PROTOCOLS {
        // Broadcast mode with prefixes, redirected to another connection.
        let mut target = Conn::open(shared(), protocol).await;
        let target_id = target.id().await;
        // A RESP2 target hears invalidations as messages of this channel.
        target.raw(&["SUBSCRIBE", "__redis__:invalidate"]).await;
        let mut conn = Conn::open(shared(), protocol).await;
        let id = conn.id().await;
        let prefix_a = unique_key("pfx-a");
        let prefix_b = unique_key("pfx-b");
        let () = conn
            .call(
                cmd::client_tracking(ClientTrackingStatus::On)
                    .redirect(target_id)
                    .bcast()
                    .prefix([prefix_a.as_str(), prefix_b.as_str()])
                    .noloop(),
            )
            .await
            .unwrap();
        assert_eq!(client_field(shared(), id, "redir"), target_id.to_string());
        assert!(
            client_field(shared(), id, "flags").contains('t'),
            "tracking flag"
        );

        let redirect: i64 = conn.call(cmd::client_getredir()).await.unwrap();
        assert_eq!(redirect, target_id);
        let state = conn
            .call(cmd::client_trackinginfo::<String>())
            .await
            .unwrap();
        let flags: BTreeSet<&str> = state.flags.iter().map(String::as_str).collect();
        assert_eq!(
            flags,
            BTreeSet::from(["on", "bcast", "noloop"]),
            "{protocol:?}"
        );
        assert_eq!(state.redirect, target_id);
        let mut prefixes = state.prefixes.clone();
        prefixes.sort();
        assert_eq!(prefixes, vec![prefix_a.clone(), prefix_b.clone()]);
        // The prefixes are user data: any type.
        let as_bytes = conn
            .call(cmd::client_trackinginfo::<Bytes>())
            .await
            .unwrap();
        assert!(as_bytes.prefixes.contains(&Bytes::from(prefix_a.clone())));

        // The redirect target hears of a change to a key under a prefix.
        let key = format!("{prefix_a}:k");
        shared().cli(&["SET", &key, "v"]);
        let message = target.text_frame().await;
        assert!(
            message.contains("invalidate") && message.contains(&key),
            "{protocol:?}: {message:?}"
        );

        let () = conn
            .call(cmd::client_tracking(ClientTrackingStatus::Off))
            .await
            .unwrap();
        assert_eq!(conn.call(cmd::client_getredir()).await.unwrap(), -1);
        let state = conn
            .call(cmd::client_trackinginfo::<String>())
            .await
            .unwrap();
        assert_eq!(state.flags, vec!["off".to_owned()]);
        assert_eq!(client_field(shared(), id, "redir"), "-1");

        // Opt-in mode: CLIENT CACHING YES applies to the next command.
        let () = conn
            .call(cmd::client_tracking(ClientTrackingStatus::On).optin())
            .await
            .unwrap();
        assert_eq!(
            conn.call(cmd::client_getredir()).await.unwrap(),
            0,
            "tracking without a redirect"
        );
        let () = conn
            .call(cmd::client_caching(ClientCachingMode::Yes))
            .await
            .unwrap();
        let state = conn
            .call(cmd::client_trackinginfo::<String>())
            .await
            .unwrap();
        let flags: BTreeSet<&str> = state.flags.iter().map(String::as_str).collect();
        assert_eq!(flags, BTreeSet::from(["on", "optin", "caching-yes"]));
        assert_eq!(state.redirect, 0);
        assert!(state.prefixes.is_empty());

        // Opt-out mode: CLIENT CACHING NO.
        conn.call(cmd::client_tracking(ClientTrackingStatus::Off))
            .await
            .unwrap();
        conn.call(cmd::client_tracking(ClientTrackingStatus::On).optout())
            .await
            .unwrap();
        let () = conn
            .call(cmd::client_caching(ClientCachingMode::No))
            .await
            .unwrap();
        let state = conn
            .call(cmd::client_trackinginfo::<String>())
            .await
            .unwrap();
        let flags: BTreeSet<&str> = state.flags.iter().map(String::as_str).collect();
        assert_eq!(flags, BTreeSet::from(["on", "optout", "caching-no"]));

        // CLIENT CACHING outside opt-in/opt-out tracking is the server's error.
        conn.call(cmd::client_tracking(ClientTrackingStatus::Off))
            .await
            .unwrap();
        let err = conn
            .call(cmd::client_caching(ClientCachingMode::Yes))
            .await
            .unwrap_err();
        assert!(err.contains("tracking mode"), "{err}");

        // Through the harness's one-command connection too.
        let () = call_dedicated(
            shared(),
            protocol,
            cmd::client_tracking(ClientTrackingStatus::On),
        )
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn client_unblock_reports_whether_it_unblocked() {
    each_protocol(|client| async move {
        let protocol = protocol_of(&client);
        let key = unique_key("unblock");
        let mut blocked = Conn::open(shared(), protocol).await;
        let blocked_id = blocked.id().await;

        // Not blocked: nothing to do.
        let unblocked: bool = client.client_unblock(blocked_id).await.unwrap();
        assert!(!unblocked);
        assert!(
            !client.client_unblock(i64::MAX).await.unwrap(),
            "no such client"
        );

        for (how, expect_error) in [("default", false), ("timeout", false), ("error", true)] {
            blocked.send_raw(&["BLPOP", &key, "0"]).await;
            wait_until_async(DEADLINE, "the BLPOP to block", || async move {
                client_line(shared(), blocked_id)
                    .is_some_and(|l| l["flags"].contains('b') && l["cmd"] == "blpop")
            })
            .await;
            let unblocked = match how {
                "timeout" => client.client_unblock(blocked_id).timeout().await,
                "error" => client.client_unblock(blocked_id).error().await,
                _ => client.client_unblock(blocked_id).await,
            }
            .unwrap();
            assert!(unblocked, "{how}");
            let reply = blocked.text_frame().await;
            if expect_error {
                assert!(reply.starts_with("-UNBLOCKED"), "{how}: {reply:?}");
            } else {
                let nil = if protocol == Protocol::Resp2 {
                    "*-1\r\n"
                } else {
                    "_\r\n"
                };
                assert_eq!(reply, nil, "{how}: a timeout's nil reply");
            }
            assert!(!client_field(shared(), blocked_id, "flags").contains('b'));
        }
    })
    .await;
}

#[tokio::test]
async fn client_pause_write_holds_writes_until_unpause() {
    let server = Server::start();
    for protocol in PROTOCOLS {
        let client = client_on(&server, protocol).await;
        let key = unique_key("paused");
        let () = client.client_pause(60_000).write().await.unwrap();

        let mut writer = Conn::open(&server, protocol).await;
        let writer_id = writer.id().await;
        writer.send_raw(&["SET", &key, "v"]).await;
        let srv = &server;
        wait_until_async(DEADLINE, "the SET to be held", || async move {
            client_line(srv, writer_id)
                .is_some_and(|l| l["flags"].contains('b') && l["cmd"] == "set")
        })
        .await;
        // Reads still run, and the write has not happened.
        assert_eq!(raw(&server, &["GET", &key]), RawReply::Nil);

        let () = client.client_unpause().await.unwrap();
        assert_eq!(writer.text_frame().await, "+OK\r\n");
        assert_eq!(raw(&server, &["GET", &key]).text(), "v");
        // Unpausing when nothing is paused is fine.
        let () = client.client_unpause().await.unwrap();
    }
}

#[tokio::test]
async fn client_pause_all_holds_every_command_for_the_timeout() {
    let server = Server::start();
    for protocol in PROTOCOLS {
        let client = client_on(&server, protocol).await;
        let mut other = Conn::open(&server, protocol).await;
        // Without a mode (ALL), then with ALL given: even reads wait for the timeout.
        for all in [false, true] {
            let start = Instant::now();
            let () = if all {
                client.client_pause(300).all().await.unwrap()
            } else {
                client.client_pause(300).await.unwrap()
            };
            assert_eq!(other.raw(&["PING"]).await, "+PONG\r\n");
            let held = start.elapsed();
            assert!(
                held >= Duration::from_millis(290),
                "all={all}: PING answered after {held:?}"
            );
        }
    }
}

#[tokio::test]
async fn client_help_lists_the_subcommands() {
    each_protocol(|client| async move {
        let help: Vec<String> = client.client_help().await.unwrap();
        assert_eq!(help, raw(shared(), &["CLIENT", "HELP"]).texts());
        assert!(help[0].starts_with("CLIENT <subcommand>"), "{help:?}");
        assert!(help.iter().any(|l| l.starts_with("TRACKINGINFO")));
    })
    .await;
}

// ---------------------------------------------------------------------------
// Connection state: dedicated commands
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_shared_client_refuses_commands_that_change_its_connection() {
    each_protocol(|client| async move {
        assert_usage_error(client.send(cmd::auth("pw")).await, "AUTH");
        assert_usage_error(client.send(cmd::hello()).await, "HELLO");
        assert_usage_error(client.send(cmd::hello().protover(3)).await, "HELLO 3");
        assert_usage_error(client.send(cmd::quit()).await, "QUIT");
        assert_usage_error(client.send(cmd::reset()).await, "RESET");
        assert_usage_error(client.send(cmd::select(1)).await, "SELECT");
        assert_usage_error(
            client
                .send(cmd::client_tracking(ClientTrackingStatus::On))
                .await,
            "CLIENT TRACKING",
        );
        assert_usage_error(
            client
                .send(cmd::client_caching(ClientCachingMode::Yes))
                .await,
            "CLIENT CACHING",
        );
        assert_usage_error(client.send(cmd::readonly()).await, "READONLY");
        assert_usage_error(client.send(cmd::readwrite()).await, "READWRITE");
        assert_usage_error(client.send(cmd::asking()).await, "ASKING");
        // Nothing reached the server: the connection is as it was.
        let id = client.client_id().await.unwrap();
        let line = client_line(shared(), id).unwrap();
        assert_eq!((line["db"].as_str(), line["name"].as_str()), ("0", ""));
        assert_eq!(line["redir"], "-1");
        assert_eq!(client.ping().await.unwrap(), "PONG");
    })
    .await;
}

#[tokio::test]
async fn auth_switches_the_connection_user() {
    let server = Server::builder()
        .password("pw")
        .acl_user("user alice on >alice-pw ~* &* +@all")
        .start();
    for protocol in PROTOCOLS {
        // RESP3 needs credentials to switch protocol; RESP2 starts unauthenticated.
        let mut conn = if protocol == Protocol::Resp3 {
            Conn::open_as(&server, protocol, Some(("default", "pw"))).await
        } else {
            let mut conn = Conn::open(&server, protocol).await;
            assert!(conn.raw(&["PING"]).await.starts_with("-NOAUTH"));
            let () = conn.call(cmd::auth("pw")).await.unwrap();
            assert_eq!(conn.raw(&["PING"]).await, "+PONG\r\n");
            conn
        };
        let id = conn.id().await;
        let line = server.cli_as("default", "pw", &["CLIENT", "LIST", "ID", &id.to_string()]);
        assert!(line.contains(" user=default "), "{line}");

        let () = conn
            .call(cmd::auth("alice-pw").username("alice"))
            .await
            .unwrap();
        let whoami = conn.raw(&["ACL", "WHOAMI"]).await;
        assert!(whoami.contains("alice"), "{whoami:?}");

        let err = conn
            .call(cmd::auth("wrong").username("alice"))
            .await
            .unwrap_err();
        assert!(err.starts_with("-WRONGPASS"), "{err}");
        let whoami = conn.raw(&["ACL", "WHOAMI"]).await;
        assert!(
            whoami.contains("alice"),
            "a failed AUTH keeps the user: {whoami:?}"
        );

        let () = conn.call(cmd::auth("pw")).await.unwrap();
        let whoami = conn.raw(&["ACL", "WHOAMI"]).await;
        assert!(whoami.contains("default"), "{whoami:?}");
    }
}

#[tokio::test]
async fn hello_describes_the_server_and_switches_protocol() {
    let version = info_lines(raw(shared(), &["INFO", "server"]).text())["redis_version"].clone();
    for protocol in PROTOCOLS {
        let mut conn = Conn::open(shared(), protocol).await;
        let id = conn.id().await;

        // Without a protocol version: a description of the connection as it is.
        let hello = conn.call(cmd::hello()).await.unwrap();
        assert_eq!(hello.server, "redis");
        assert_eq!(hello.version, version);
        assert_eq!(hello.proto, if protocol == Protocol::Resp2 { 2 } else { 3 });
        assert_eq!(hello.id, id);
        assert_eq!(hello.mode, "standalone");
        assert_eq!(hello.role, "master");
        assert_eq!(hello.modules, vec![]);

        // Switching to the other protocol: the reply and what follows use it.
        let (other, other_num) = if protocol == Protocol::Resp2 {
            (3, "3")
        } else {
            (2, "2")
        };
        let name = format!("hello-{}", unique_key("n").replace(':', "-"));
        let hello = conn
            .call(cmd::hello().protover(other).setname(name.as_str()))
            .await
            .unwrap();
        assert_eq!(hello.proto, other);
        assert_eq!(hello.id, id);
        assert_eq!(client_field(shared(), id, "resp"), other_num);
        assert_eq!(client_field(shared(), id, "name"), name);
        let map = conn.raw(&["CLIENT", "TRACKINGINFO"]).await;
        assert_eq!(map.starts_with('%'), other == 3, "{map:?}");

        // Through the harness's one-command connection.
        let hello = call_dedicated(shared(), protocol, cmd::hello().protover(3))
            .await
            .unwrap();
        assert_eq!(hello.proto, 3);
        assert_eq!(hello.version, version);
    }

    // With credentials.
    let server = Server::builder()
        .acl_user("user bob on >bob-pw ~* &* +@all")
        .start();
    for (protocol, num) in [(Protocol::Resp2, 2), (Protocol::Resp3, 3)] {
        let mut conn = Conn::open(&server, protocol).await;
        let id = conn.id().await;
        let hello = conn
            .call(cmd::hello().protover(num).auth("bob", "bob-pw"))
            .await
            .unwrap();
        assert_eq!(hello.proto, num);
        assert_eq!(client_field(&server, id, "user"), "bob");
    }
}

#[tokio::test]
async fn select_changes_the_connection_database() {
    for protocol in PROTOCOLS {
        let mut conn = Conn::open(shared(), protocol).await;
        let id = conn.id().await;
        let () = conn.call(cmd::select(5)).await.unwrap();
        assert_eq!(client_field(shared(), id, "db"), "5");
        let key = unique_key("select");
        assert_eq!(conn.raw(&["SET", &key, "in five"]).await, "+OK\r\n");
        assert_eq!(
            raw(shared(), &["EXISTS", &key]).int(),
            0,
            "not in database 0"
        );

        let err = conn.call(cmd::select(100_000)).await.unwrap_err();
        assert!(err.contains("out of range"), "{err}");
        assert_eq!(client_field(shared(), id, "db"), "5");

        let () = call_dedicated(shared(), protocol, cmd::select(3))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn reset_returns_the_connection_to_its_defaults() {
    for protocol in PROTOCOLS {
        let mut conn = Conn::open(shared(), protocol).await;
        let id = conn.id().await;
        conn.raw(&["SELECT", "4"]).await;
        conn.raw(&["CLIENT", "TRACKING", "on"]).await;
        assert_eq!(client_field(shared(), id, "db"), "4");

        let reset: String = conn.call(cmd::reset()).await.unwrap();
        assert_eq!(reset, "RESET");
        let line = client_line(shared(), id).unwrap();
        assert_eq!(line["db"], "0");
        assert_eq!(line["redir"], "-1");
        assert_eq!(line["resp"], "2", "RESET goes back to RESP2");

        let reset = call_dedicated(shared(), protocol, cmd::reset())
            .await
            .unwrap();
        assert_eq!(reset, "RESET");
    }
}

#[tokio::test]
async fn quit_closes_the_connection() {
    for protocol in PROTOCOLS {
        let mut conn = Conn::open(shared(), protocol).await;
        let id = conn.id().await;
        let () = conn.call(cmd::quit()).await.unwrap();
        assert!(conn.closed().await, "the server closes after QUIT");
        wait_until_async(DEADLINE, "the connection to be gone", || async move {
            client_line(shared(), id).is_none()
        })
        .await;

        let () = call_dedicated(shared(), protocol, cmd::quit())
            .await
            .unwrap();
    }
}

// ---------------------------------------------------------------------------
// Pub/Sub
// ---------------------------------------------------------------------------

#[tokio::test]
async fn publish_counts_the_receivers() {
    each_protocol(|client| async move {
        let protocol = protocol_of(&client);
        let channel = unique_key("pub");
        let nobody: i64 = client.publish(&channel, "into the void").await.unwrap();
        assert_eq!(nobody, 0);

        let mut by_name = Conn::open(shared(), protocol).await;
        by_name.raw(&["SUBSCRIBE", &channel]).await;
        let pattern = format!("{channel}*");
        let mut by_pattern = Conn::open(shared(), protocol).await;
        by_pattern.raw(&["PSUBSCRIBE", &pattern]).await;

        assert_eq!(client.publish(&channel, "hello").await.unwrap(), 2);
        assert_eq!(
            by_name.text_frame().await,
            push(protocol, &["message", &channel, "hello"])
        );
        assert_eq!(
            by_pattern.text_frame().await,
            push(protocol, &["pmessage", &pattern, &channel, "hello"])
        );
        // A longer name matches the pattern only.
        let longer = format!("{channel}-x");
        assert_eq!(client.publish(&longer, 7).await.unwrap(), 1);
        assert_eq!(
            by_pattern.text_frame().await,
            push(protocol, &["pmessage", &pattern, &longer, "7"])
        );
        assert_eq!(raw(shared(), &["PUBLISH", &channel, "raw"]).int(), 2);
    })
    .await;
}

#[tokio::test]
async fn spublish_counts_the_shard_receivers() {
    each_protocol(|client| async move {
        let protocol = protocol_of(&client);
        let channel = unique_key("spub");
        assert_eq!(client.spublish(&channel, "none").await.unwrap(), 0);
        let mut subscriber = Conn::open(shared(), protocol).await;
        subscriber.raw(&["SSUBSCRIBE", &channel]).await;
        let n: i64 = client.spublish(&channel, "hi").await.unwrap();
        assert_eq!(n, 1);
        assert_eq!(
            subscriber.text_frame().await,
            push(protocol, &["smessage", &channel, "hi"])
        );
        // A plain subscriber to the same name is not a shard subscriber.
        let mut plain = Conn::open(shared(), protocol).await;
        plain.raw(&["SUBSCRIBE", &channel]).await;
        assert_eq!(client.spublish(&channel, "again").await.unwrap(), 1);
        assert_eq!(client.publish(&channel, "plain").await.unwrap(), 1);
    })
    .await;
}

#[tokio::test]
async fn pubsub_channels_and_numsub() {
    each_protocol(|client| async move {
        let protocol = protocol_of(&client);
        let prefix = unique_key("chans");
        let a = format!("{prefix}:a");
        let b = format!("{prefix}:b");
        let missing = format!("{prefix}:missing");
        let mut one = Conn::open(shared(), protocol).await;
        one.raw(&["SUBSCRIBE", &a, &b]).await;
        one.text_frame().await; // the second confirmation
        let mut two = Conn::open(shared(), protocol).await;
        two.raw(&["SUBSCRIBE", &a]).await;

        let pattern = format!("{prefix}:*");
        let mut channels: Vec<String> = client.pubsub_channels().pattern(&pattern).await.unwrap();
        channels.sort();
        assert_eq!(channels, vec![a.clone(), b.clone()]);
        let mut raw_channels = raw(shared(), &["PUBSUB", "CHANNELS", &pattern]).texts();
        raw_channels.sort();
        assert_eq!(channels, raw_channels);
        let all: Vec<Bytes> = client.pubsub_channels().await.unwrap();
        assert!(all.contains(&Bytes::from(a.clone())) && all.contains(&Bytes::from(b.clone())));
        let none: Vec<String> = client
            .pubsub_channels()
            .pattern(format!("{prefix}:zzz*"))
            .await
            .unwrap();
        assert!(none.is_empty());

        // Counts per channel, in the order asked, missing channels included.
        let counts: Vec<(String, i64)> = client
            .pubsub_numsub()
            .channels([&a, &b, &missing])
            .await
            .unwrap();
        assert_eq!(
            counts,
            vec![(a.clone(), 2), (b.clone(), 1), (missing.clone(), 0)]
        );
        let raw_counts = raw(shared(), &["PUBSUB", "NUMSUB", &a, &b, &missing]);
        assert_eq!(raw_counts.items()[1].int(), 2);
        assert_eq!(raw_counts.items()[5].int(), 0);
        let empty: Vec<(String, i64)> = client.pubsub_numsub().await.unwrap();
        assert!(empty.is_empty());
        let bytes: Vec<(Bytes, i64)> = client.pubsub_numsub().channels([&b]).await.unwrap();
        assert_eq!(bytes, vec![(Bytes::from(b.clone()), 1)]);

        // Unsubscribing shows.
        one.raw(&["UNSUBSCRIBE", &b]).await;
        let counts: Vec<(String, i64)> = client.pubsub_numsub().channels([&b]).await.unwrap();
        assert_eq!(counts, vec![(b.clone(), 0)]);
        let channels: Vec<String> = client.pubsub_channels().pattern(&pattern).await.unwrap();
        assert_eq!(channels, vec![a.clone()]);
    })
    .await;
}

#[tokio::test]
async fn pubsub_shardchannels_and_shardnumsub() {
    each_protocol(|client| async move {
        let protocol = protocol_of(&client);
        let prefix = unique_key("shard");
        let a = format!("{prefix}:a");
        let b = format!("{prefix}:b");
        let mut one = Conn::open(shared(), protocol).await;
        one.raw(&["SSUBSCRIBE", &a]).await;
        let mut two = Conn::open(shared(), protocol).await;
        two.raw(&["SSUBSCRIBE", &a]).await;
        let mut three = Conn::open(shared(), protocol).await;
        three.raw(&["SSUBSCRIBE", &b]).await;
        // A plain subscription is not a shard channel.
        let plain = format!("{prefix}:plain");
        let mut four = Conn::open(shared(), protocol).await;
        four.raw(&["SUBSCRIBE", &plain]).await;

        let pattern = format!("{prefix}:*");
        let mut channels: Vec<String> = client
            .pubsub_shardchannels()
            .pattern(&pattern)
            .await
            .unwrap();
        channels.sort();
        assert_eq!(channels, vec![a.clone(), b.clone()]);
        let mut raw_channels = raw(shared(), &["PUBSUB", "SHARDCHANNELS", &pattern]).texts();
        raw_channels.sort();
        assert_eq!(channels, raw_channels);
        let all: Vec<String> = client.pubsub_shardchannels().await.unwrap();
        assert!(all.contains(&a) && all.contains(&b) && !all.contains(&plain));

        let counts: Vec<(String, i64)> = client
            .pubsub_shardnumsub()
            .shardchannels([&b, &a, &plain])
            .await
            .unwrap();
        assert_eq!(
            counts,
            vec![(b.clone(), 1), (a.clone(), 2), (plain.clone(), 0)]
        );
        let raw_counts = raw(shared(), &["PUBSUB", "SHARDNUMSUB", &a]);
        assert_eq!(raw_counts.items()[1].int(), 2);
        let empty: Vec<(String, i64)> = client.pubsub_shardnumsub().await.unwrap();
        assert!(empty.is_empty());
    })
    .await;
}

#[tokio::test]
async fn pubsub_numpat_counts_distinct_patterns() {
    // The count is server-wide: a server of its own.
    let server = Server::start();
    for protocol in PROTOCOLS {
        let client = client_on(&server, protocol).await;
        let numpat: i64 = client.pubsub_numpat().await.unwrap();
        assert_eq!(numpat, 0);
        let mut one = Conn::open(&server, protocol).await;
        one.raw(&["PSUBSCRIBE", "news.*", "sport.*"]).await;
        one.text_frame().await;
        assert_eq!(client.pubsub_numpat().await.unwrap(), 2);
        // The same pattern from another connection is not a new pattern.
        let mut two = Conn::open(&server, protocol).await;
        two.raw(&["PSUBSCRIBE", "news.*"]).await;
        assert_eq!(client.pubsub_numpat().await.unwrap(), 2);
        assert_eq!(raw(&server, &["PUBSUB", "NUMPAT"]).int(), 2);
        one.raw(&["PUNSUBSCRIBE", "sport.*"]).await;
        assert_eq!(client.pubsub_numpat().await.unwrap(), 1);
        drop((one, two));
        wait_until_async(
            DEADLINE,
            "the patterns to go with their connections",
            || {
                let client = client.clone();
                async move { client.pubsub_numpat().await.unwrap() == 0 }
            },
        )
        .await;
    }
}

#[tokio::test]
async fn pubsub_help_lists_the_subcommands() {
    each_protocol(|client| async move {
        let help: Vec<String> = client.pubsub_help().await.unwrap();
        assert_eq!(help, raw(shared(), &["PUBSUB", "HELP"]).texts());
        assert!(help[0].starts_with("PUBSUB <subcommand>"), "{help:?}");
        assert!(help.iter().any(|l| l.starts_with("NUMSUB")));
    })
    .await;
}

// ---------------------------------------------------------------------------
// CLUSTER …
// ---------------------------------------------------------------------------

fn cluster_node() -> Server {
    Server::builder()
        .config("cluster-enabled", "yes")
        .config("repl-diskless-sync-delay", "0")
        .start()
}

/// A RESP2 and a RESP3 client on `server`.
async fn both_clients(server: &Server) -> [Client; 2] {
    [
        client_on(server, Protocol::Resp2).await,
        client_on(server, Protocol::Resp3).await,
    ]
}

async fn wait_cluster_ok(server: &Server) {
    wait_until_async(DEADLINE, "cluster_state:ok", || async move {
        info_lines(raw(server, &["CLUSTER", "INFO"]).text())["cluster_state"] == "ok"
    })
    .await;
}

/// The words of this node's own CLUSTER NODES line, per the server.
fn my_slots_raw(server: &Server) -> Vec<String> {
    nodes_raw(server)
        .into_iter()
        .find(|w| w[2].contains("myself"))
        .expect("a myself line")[8..]
        .to_vec()
}

#[tokio::test]
async fn cluster_single_node_slots_keys_info_and_nodes() {
    let node = cluster_node();
    let port = node.port();
    let clients = both_clients(&node).await;
    let myid = myid_raw(&node);
    for client in &clients {
        let id: String = client.cluster_myid().await.unwrap();
        assert_eq!(id, myid);
        assert_eq!(id.len(), 40);
        let help: Vec<String> = client.cluster_help().await.unwrap();
        assert_eq!(help, raw(&node, &["CLUSTER", "HELP"]).texts());
        assert!(help[0].starts_with("CLUSTER <subcommand>"));
        assert_eq!(client.cluster_links().await.unwrap(), vec![], "no peers");
        assert_eq!(
            client.cluster_count_failure_reports(&myid).await.unwrap(),
            0
        );
    }

    // A config epoch can be set once, on a node alone with epoch 0.
    let () = clients[0].cluster_set_config_epoch(7).await.unwrap();
    let info = info_lines(raw(&node, &["CLUSTER", "INFO"]).text());
    assert_eq!(info["cluster_my_epoch"], "7");
    let err = clients[1].cluster_set_config_epoch(8).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server, "{err}");
    // Already the highest epoch: BUMPEPOCH leaves it.
    for client in &clients {
        let bump = client.cluster_bumpepoch().await.unwrap();
        assert_eq!((bump.outcome.as_str(), bump.epoch), ("STILL", 7));
    }
    assert_eq!(raw(&node, &["CLUSTER", "BUMPEPOCH"]).text(), "STILL 7");

    let () = clients[1]
        .cluster_addslotsrange([(0, 16383)])
        .await
        .unwrap();
    wait_cluster_ok(&node).await;

    for client in &clients {
        // INFO: the same fields and values as the server's text.
        let info: HashMap<String, String> = client.cluster_info().await.unwrap();
        assert_eq!(info, info_lines(raw(&node, &["CLUSTER", "INFO"]).text()));
        assert_eq!(info["cluster_state"], "ok");
        assert_eq!(info["cluster_slots_assigned"], "16384");
        assert_eq!(info["cluster_known_nodes"], "1");

        // NODES: this node, owning every slot.
        let nodes = client.cluster_nodes().await.unwrap();
        assert_eq!(nodes.len(), 1, "{nodes:?}");
        let me = &nodes[0];
        assert_eq!(me.id, myid);
        assert!(
            me.addr
                .ends_with(&format!(":{port}@{}", port as u32 + 10000)),
            "{me:?}"
        );
        assert_eq!(me.flags, "myself,master");
        assert_eq!(me.master, "-");
        assert_eq!(me.config_epoch, 7);
        assert_eq!(me.link_state, "connected");
        assert_eq!(me.slots, vec!["0-16383".to_owned()]);
        assert_eq!((me.ping_sent, me.pong_recv >= 0), (0, true));

        // SHARDS: one shard of one node.
        let shards = client.cluster_shards().await.unwrap();
        assert_eq!(shards.len(), 1);
        assert_eq!(shards[0].slots, vec![0, 16383]);
        assert_eq!(shards[0].nodes.len(), 1);
        let shard_node = &shards[0].nodes[0];
        assert_eq!(shard_node.id, myid);
        assert_eq!(shard_node.port, Some(i64::from(port)));
        assert_eq!(shard_node.tls_port, None);
        assert_eq!(shard_node.role, "master");
        assert_eq!(shard_node.health, "online");
        assert!(shard_node.replication_offset >= 0, "{shard_node:?}");
    }

    // Keys and slots.
    let slot = raw(&node, &["CLUSTER", "KEYSLOT", "{user7}.a"]).int();
    for client in &clients {
        assert_eq!(client.cluster_keyslot("foo").await.unwrap(), 12182);
        assert_eq!(client.cluster_keyslot("{user7}.a").await.unwrap(), slot);
        assert_eq!(
            client.cluster_keyslot("{user7}.b").await.unwrap(),
            slot,
            "hash tags"
        );
        assert_eq!(client.cluster_countkeysinslot(slot).await.unwrap(), 0);
    }
    let keys = ["{user7}.a", "{user7}.b", "{user7}.c"];
    for key in keys {
        node.cli(&["SET", key, "v"]);
    }
    for client in &clients {
        let count: i64 = client.cluster_countkeysinslot(slot).await.unwrap();
        assert_eq!(count, 3);
        assert_eq!(
            raw(&node, &["CLUSTER", "COUNTKEYSINSLOT", &slot.to_string()]).int(),
            3
        );
        let mut in_slot: Vec<String> = client.cluster_getkeysinslot(slot, 10).await.unwrap();
        in_slot.sort();
        assert_eq!(in_slot, keys.map(String::from).to_vec());
        let two: Vec<Bytes> = client.cluster_getkeysinslot(slot, 2).await.unwrap();
        assert_eq!(two.len(), 2);
        assert!(
            two.iter()
                .all(|k| keys.iter().any(|key| k == key.as_bytes()))
        );
        let empty: Vec<String> = client.cluster_getkeysinslot(0, 10).await.unwrap();
        assert!(empty.is_empty());
    }

    // Removing and adding slots, one by one and by ranges.
    for client in &clients {
        let () = client.cluster_delslots([0, 1]).await.unwrap();
        assert_eq!(my_slots_raw(&node), vec!["2-16383"]);
        let () = client.cluster_addslots(vec![1, 0]).await.unwrap();
        assert_eq!(my_slots_raw(&node), vec!["0-16383"]);
        let () = client
            .cluster_delslotsrange([(100, 199), (300, 300)])
            .await
            .unwrap();
        assert_eq!(my_slots_raw(&node), vec!["0-99", "200-299", "301-16383"]);
        let nodes = client.cluster_nodes().await.unwrap();
        assert_eq!(nodes[0].slots, vec!["0-99", "200-299", "301-16383"]);
        let () = client
            .cluster_addslotsrange(vec![(300, 300), (100, 199)])
            .await
            .unwrap();
        assert_eq!(my_slots_raw(&node), vec!["0-16383"]);
    }

    // SETSLOT … NODE to the owner itself, and STABLE, change nothing visible.
    for client in &clients {
        let () = client
            .cluster_setslot(5, ClusterSetslotSubcommand::Node(Arg::from(myid.as_str())))
            .await
            .unwrap();
        let () = client
            .cluster_setslot(5, ClusterSetslotSubcommand::Stable)
            .await
            .unwrap();
        assert_eq!(my_slots_raw(&node), vec!["0-16383"]);
    }

    // SAVECONFIG writes the node's config file.
    let conf = node.dir().join("nodes.conf");
    std::fs::remove_file(&conf).unwrap();
    for client in &clients {
        let () = client.cluster_saveconfig().await.unwrap();
        let text = std::fs::read_to_string(&conf).unwrap();
        assert!(text.contains(&myid) && text.contains("0-16383"), "{text}");
    }

    // FLUSHSLOTS needs an empty database.
    let err = clients[0].cluster_flushslots().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    node.cli(&["FLUSHALL"]);
    let () = clients[0].cluster_flushslots().await.unwrap();
    assert_eq!(my_slots_raw(&node), Vec::<String>::new());
    let nodes = clients[1].cluster_nodes().await.unwrap();
    assert_eq!(nodes[0].slots, Vec::<String>::new());
    let info = clients[1].cluster_info().await.unwrap();
    assert_eq!(info["cluster_slots_assigned"], "0");
    let () = clients[1].cluster_flushslots().await.unwrap();

    // RESET: SOFT (also the default) keeps the node's id; HARD gives it a new one.
    let () = clients[0].cluster_reset().soft().await.unwrap();
    assert_eq!(myid_raw(&node), myid);
    let () = clients[1].cluster_reset().await.unwrap();
    assert_eq!(myid_raw(&node), myid);
    let () = clients[0].cluster_reset().hard().await.unwrap();
    let new_id = myid_raw(&node);
    assert_ne!(new_id, myid, "a hard reset gives a new id");
    assert_eq!(clients[1].cluster_myid().await.unwrap(), new_id);
    let info = clients[1].cluster_info().await.unwrap();
    assert_eq!(
        info["cluster_my_epoch"], "0",
        "a hard reset clears the epochs"
    );
}

#[tokio::test]
async fn cluster_connection_modes_on_dedicated_connections() {
    let node = cluster_node();
    for protocol in PROTOCOLS {
        let () = call_dedicated(&node, protocol, cmd::readonly())
            .await
            .unwrap();
        let () = call_dedicated(&node, protocol, cmd::readwrite())
            .await
            .unwrap();
        let () = call_dedicated(&node, protocol, cmd::asking())
            .await
            .unwrap();

        let mut conn = Conn::open(&node, protocol).await;
        let id = conn.id().await;
        let () = conn.call(cmd::readonly()).await.unwrap();
        assert_eq!(
            client_field(&node, id, "flags"),
            "r",
            "a read-only connection"
        );
        let () = conn.call(cmd::readwrite()).await.unwrap();
        assert_eq!(client_field(&node, id, "flags"), "N");
        let () = conn.call(cmd::asking()).await.unwrap();
        assert_eq!(conn.raw(&["PING"]).await, "+PONG\r\n");
    }
    // Outside cluster mode they are the server's errors.
    let mut conn = Conn::open(shared(), Protocol::Resp2).await;
    let err = conn.call(cmd::readonly()).await.unwrap_err();
    assert!(err.contains("cluster support disabled"), "{err}");
}

#[tokio::test]
async fn cluster_of_three_meet_links_replicas_shards_failover_forget() {
    let (a, b, c) = (cluster_node(), cluster_node(), cluster_node());
    let (a_id, b_id, c_id) = (myid_raw(&a), myid_raw(&b), myid_raw(&c));
    let ca = both_clients(&a).await;
    let cb = both_clients(&b).await;
    let cc = both_clients(&c).await;

    // BUMPEPOCH on a fresh node raises its epoch once.
    let bump = cb[0].cluster_bumpepoch().await.unwrap();
    assert_eq!((bump.outcome.as_str(), bump.epoch), ("BUMPED", 1));
    let bump = cb[1].cluster_bumpepoch().await.unwrap();
    assert_eq!((bump.outcome.as_str(), bump.epoch), ("STILL", 1));
    assert_eq!(
        info_lines(raw(&b, &["CLUSTER", "INFO"]).text())["cluster_my_epoch"],
        "1"
    );

    let () = ca[0].cluster_addslotsrange([(0, 16383)]).await.unwrap();

    // MEET, with and without the bus port.
    let () = ca[0]
        .cluster_meet("127.0.0.1", i64::from(b.port()))
        .await
        .unwrap();
    let () = ca[1]
        .cluster_meet("127.0.0.1", i64::from(c.port()))
        .cluster_bus_port(i64::from(c.port()) + 10000)
        .await
        .unwrap();
    for node in [&a, &b, &c] {
        wait_until_async(DEADLINE, "every node to know every other", || async move {
            let lines = nodes_raw(node);
            lines.len() == 3
                && lines.iter().all(|w| {
                    w[7] == "connected" && !w[2].contains("handshake") && !w[2].contains("noaddr")
                })
        })
        .await;
    }
    wait_cluster_ok(&a).await;

    for client in &ca {
        let nodes = client.cluster_nodes().await.unwrap();
        let ids: BTreeSet<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(
            ids,
            BTreeSet::from([a_id.as_str(), b_id.as_str(), c_id.as_str()])
        );
        let b_line = nodes.iter().find(|n| n.id == b_id).unwrap();
        assert_eq!(
            b_line.addr,
            format!("127.0.0.1:{}@{}", b.port(), b.port() as u32 + 10000)
        );
        assert_eq!(b_line.flags, "master");
        assert_eq!(b_line.link_state, "connected");
        assert!(b_line.config_epoch >= 1, "{b_line:?}");
        assert!(b_line.slots.is_empty());
        let a_line = nodes.iter().find(|n| n.id == a_id).unwrap();
        assert_eq!(a_line.flags, "myself,master");
        assert_eq!(a_line.slots, vec!["0-16383"]);
    }

    // LINKS: one link each way with each peer, once all are up.
    let client = &ca[1];
    wait_until_async(DEADLINE, "four cluster bus links", || async move {
        client.cluster_links().await.unwrap().len() == 4
    })
    .await;
    for client in &ca {
        let links = client.cluster_links().await.unwrap();
        let mut seen: Vec<(String, String)> = links
            .iter()
            .map(|l| (l.node.clone(), l.direction.clone()))
            .collect();
        seen.sort();
        let mut expected = vec![
            (b_id.clone(), "from".to_owned()),
            (b_id.clone(), "to".to_owned()),
            (c_id.clone(), "from".to_owned()),
            (c_id.clone(), "to".to_owned()),
        ];
        expected.sort();
        assert_eq!(seen, expected);
        for link in &links {
            assert!(link.create_time > 1_600_000_000_000, "{link:?}");
            assert!(link.events.contains('r'), "{link:?}");
            assert!(link.send_buffer_allocated >= 0 && link.send_buffer_used >= 0);
        }
    }
    assert_eq!(raw(&a, &["CLUSTER", "LINKS"]).items().len(), 4);

    // SETSLOT MIGRATING / IMPORTING show in the owner's and the importer's lines.
    let () = ca[0]
        .cluster_setslot(
            7,
            ClusterSetslotSubcommand::Migrating(Arg::from(b_id.as_str())),
        )
        .await
        .unwrap();
    assert_eq!(
        my_slots_raw(&a),
        vec!["0-16383".to_owned(), format!("[7->-{b_id}]")]
    );
    let nodes = ca[1].cluster_nodes().await.unwrap();
    let a_line = nodes.iter().find(|n| n.id == a_id).unwrap();
    assert_eq!(
        a_line.slots,
        vec!["0-16383".to_owned(), format!("[7->-{b_id}]")]
    );
    let () = ca[1]
        .cluster_setslot(7, ClusterSetslotSubcommand::Stable)
        .await
        .unwrap();
    assert_eq!(my_slots_raw(&a), vec!["0-16383"]);
    let () = cb[1]
        .cluster_setslot(
            8,
            ClusterSetslotSubcommand::Importing(Arg::from(a_id.as_str())),
        )
        .await
        .unwrap();
    assert_eq!(my_slots_raw(&b), vec![format!("[8-<-{a_id}]")]);
    cb[0]
        .cluster_setslot(8, ClusterSetslotSubcommand::Stable)
        .await
        .unwrap();
    assert!(my_slots_raw(&b).is_empty());

    // REPLICATE: B and C follow A.
    let () = cb[0].cluster_replicate(&a_id).await.unwrap();
    let () = cc[1].cluster_replicate(&a_id).await.unwrap();
    let (a_ref, a_id_ref, b_id_ref, c_id_ref) = (&a, &a_id, &b_id, &c_id);
    wait_until_async(DEADLINE, "A to see two replicas", || async move {
        let lines = nodes_raw(a_ref);
        [b_id_ref, c_id_ref].iter().all(|id| {
            lines
                .iter()
                .any(|w| w[0] == **id && w[2] == "slave" && w[3] == *a_id_ref)
        })
    })
    .await;

    for client in &ca {
        let replicas = client.cluster_replicas(&a_id).await.unwrap();
        let ids: BTreeSet<&str> = replicas.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, BTreeSet::from([b_id.as_str(), c_id.as_str()]));
        for replica in &replicas {
            assert_eq!(replica.flags, "slave");
            assert_eq!(replica.master, a_id);
            assert_eq!(replica.link_state, "connected");
            assert!(replica.slots.is_empty());
        }
        let slaves = client.cluster_slaves(&a_id).await.unwrap();
        let slave_ids: BTreeSet<&str> = slaves.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(slave_ids, ids);
        assert_eq!(raw(&a, &["CLUSTER", "REPLICAS", &a_id]).items().len(), 2);
        let err = client.cluster_replicas(&b_id).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Server, "B is not a master: {err}");

        assert_eq!(
            client.cluster_count_failure_reports(&b_id).await.unwrap(),
            0
        );
        assert_eq!(
            raw(&a, &["CLUSTER", "COUNT-FAILURE-REPORTS", &b_id]).int(),
            0
        );

        let shards = client.cluster_shards().await.unwrap();
        assert_eq!(shards.len(), 1, "one shard: A and its replicas");
        assert_eq!(shards[0].slots, vec![0, 16383]);
        let mut roles: Vec<(String, String)> = shards[0]
            .nodes
            .iter()
            .map(|n| (n.id.clone(), n.role.clone()))
            .collect();
        roles.sort();
        let mut expected = vec![
            (a_id.clone(), "master".to_owned()),
            (b_id.clone(), "replica".to_owned()),
            (c_id.clone(), "replica".to_owned()),
        ];
        expected.sort();
        assert_eq!(roles, expected);
        for n in &shards[0].nodes {
            assert_eq!(n.ip, "127.0.0.1", "{n:?}");
            assert_eq!(n.endpoint, "127.0.0.1", "{n:?}");
            assert!(
                ["online", "loading", "fail"].contains(&n.health.as_str()),
                "{n:?}"
            );
            assert!(n.port.is_some());
        }
    }

    // FAILOVER: the default, FORCE and TAKEOVER each promote the replica asked.
    async fn promoted(server: &Server) {
        wait_until_async(DEADLINE, "the replica to become master", || async move {
            node_flags_raw(server, &myid_raw(server)).as_deref() == Some("myself,master")
        })
        .await;
    }
    /// `replica` replicates `master`, its link up, and the master knows it.
    async fn replicating(replica: &Server, master: &Server) {
        let (replica_id, master_id) = (myid_raw(replica), myid_raw(master));
        let (replica_id, master_id) = (&replica_id, &master_id);
        wait_until_async(
            DEADLINE,
            "the replica's link to its master",
            || async move {
                let info = info_lines(raw(replica, &["INFO", "replication"]).text());
                nodes_raw(replica)
                    .iter()
                    .any(|w| w[2] == "myself,slave" && w[3] == *master_id)
                    && nodes_raw(master)
                        .iter()
                        .any(|w| w[0] == *replica_id && w[2] == "slave" && w[3] == *master_id)
                    && info.get("master_port") == Some(&master.port().to_string())
                    && info.get("master_link_status").map(String::as_str) == Some("up")
            },
        )
        .await;
    }
    replicating(&c, &a).await;
    let () = cc[1].cluster_failover().await.unwrap();
    promoted(&c).await;
    replicating(&a, &c).await;
    let () = ca[1].cluster_failover().force().await.unwrap();
    promoted(&a).await;
    replicating(&c, &a).await;
    let () = cc[0].cluster_failover().takeover().await.unwrap();
    promoted(&c).await;
    // A master is told to ask a replica.
    let err = cc[0].cluster_failover().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server, "{err}");

    // FORGET: the master drops a replica from its table.
    let (c_ref, b_id_ref) = (&c, &b_id);
    wait_until_async(DEADLINE, "C to see B", || async move {
        node_flags_raw(c_ref, b_id_ref).is_some()
    })
    .await;
    let () = cc[1].cluster_forget(&b_id).await.unwrap();
    assert!(node_flags_raw(&c, &b_id).is_none());
    let nodes = cc[0].cluster_nodes().await.unwrap();
    assert!(nodes.iter().all(|n| n.id != b_id));
    assert_eq!(nodes.len(), 2);
}
