//! Reply types of the spec's commands, part D, against a live server under RESP2 and RESP3.
//!
//! The `server` group: ACL, COMMAND, CONFIG, LATENCY, MEMORY, MODULE and SLOWLOG
//! subcommands, persistence, replication and the dedicated replication and
//! shutdown commands. Read-only commands run on the shared server; everything
//! that changes the server (configuration, users, data sets, roles, modules,
//! logs) runs on a server of its own. Each typed reply is compared with what an
//! independent raw RESP2 connection of the harness sees.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use redtyped::reply::{
    AclLogEntry, CommandDocumentation, CommandEntry, KeyWithFlags, ReplicationRole, SlowlogEntry,
};
use redtyped::resp::ArgWriter;
use redtyped::{Client, Command, ErrorKind, Protocol, Raw, Value, cmd};
use redtyped_tests::{Server, shared, unique_key, wait_until_async};

use crate::support::{PROTOCOLS, call_dedicated, client_on, each_protocol};

const DEADLINE: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------
// The server's own view: raw RESP2 replies of the harness, parsed.
// ---------------------------------------------------------------------------

/// A parsed RESP2 reply of [`Server::cli`].
#[derive(Debug, Clone, PartialEq)]
enum Wire {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(String),
    Nil,
    Array(Vec<Wire>),
}

impl Wire {
    fn parse(reply: &str) -> Wire {
        let (wire, rest) = Wire::one(reply.as_bytes());
        assert!(rest.is_empty(), "trailing bytes after {reply:?}");
        wire
    }

    fn one(b: &[u8]) -> (Wire, &[u8]) {
        let end = b
            .windows(2)
            .position(|w| w == b"\r\n")
            .unwrap_or_else(|| panic!("no CRLF in {:?}", String::from_utf8_lossy(b)));
        let line = String::from_utf8_lossy(&b[1..end]).into_owned();
        let rest = &b[end + 2..];
        match b[0] {
            b'+' => (Wire::Status(line), rest),
            b'-' => (Wire::Error(line), rest),
            b':' => (Wire::Int(line.parse().unwrap()), rest),
            b'$' => {
                let n: i64 = line.parse().unwrap();
                if n < 0 {
                    return (Wire::Nil, rest);
                }
                let n = n as usize;
                let data = String::from_utf8_lossy(&rest[..n]).into_owned();
                (Wire::Bulk(data), &rest[n + 2..])
            }
            b'*' => {
                let n: i64 = line.parse().unwrap();
                if n < 0 {
                    return (Wire::Nil, rest);
                }
                let mut items = Vec::new();
                let mut rest = rest;
                for _ in 0..n {
                    let (item, r) = Wire::one(rest);
                    items.push(item);
                    rest = r;
                }
                (Wire::Array(items), rest)
            }
            other => panic!("unexpected RESP2 type byte {other:?}"),
        }
    }

    #[track_caller]
    fn int(&self) -> i64 {
        match self {
            Wire::Int(i) => *i,
            other => panic!("expected an integer, got {other:?}"),
        }
    }

    #[track_caller]
    fn text(&self) -> String {
        match self {
            Wire::Status(s) | Wire::Bulk(s) => s.clone(),
            other => panic!("expected text, got {other:?}"),
        }
    }

    #[track_caller]
    fn items(&self) -> Vec<Wire> {
        match self {
            Wire::Array(items) => items.clone(),
            other => panic!("expected an array, got {other:?}"),
        }
    }

    #[track_caller]
    fn texts(&self) -> Vec<String> {
        self.items().iter().map(Wire::text).collect()
    }

    /// A RESP2 flat array of `field value …`, as a map of its entries.
    #[track_caller]
    fn fields(&self) -> HashMap<String, Wire> {
        let items = self.items();
        assert!(items.len() % 2 == 0, "odd flat map {items:?}");
        items
            .chunks(2)
            .map(|kv| (kv[0].text(), kv[1].clone()))
            .collect()
    }
}

/// A raw command on `server`, parsed.
#[track_caller]
fn wire(server: &Server, args: &[&str]) -> Wire {
    Wire::parse(&server.cli(args))
}

/// One `field:value` line of `INFO section`, per the server.
#[track_caller]
fn info_field(server: &Server, section: &str, field: &str) -> Option<String> {
    let text = wire(server, &["INFO", section]).text();
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .map(str::to_owned)
}

/// A set of strings, sorted, for order-free comparisons.
fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// `2` or `3`, to keep names apart between the two passes of a test.
fn tag(protocol: Protocol) -> &'static str {
    if protocol == Protocol::Resp2 {
        "2"
    } else {
        "3"
    }
}

fn unix_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Asserts a server error reply whose message contains `text`.
#[track_caller]
fn assert_server_error<T: std::fmt::Debug>(result: redtyped::Result<T>, text: &str) {
    let err = result.expect_err("expected a server error reply");
    assert_eq!(err.kind(), ErrorKind::Server, "{err}");
    assert!(
        err.message().contains(text),
        "error {err} does not mention {text:?}"
    );
}

/// Asserts the shared client refuses a dedicated command before sending it.
#[track_caller]
fn assert_refused<T: std::fmt::Debug>(result: redtyped::Result<T>, name: &str) {
    let err = result.expect_err("the shared client must refuse a dedicated command");
    assert_eq!(err.kind(), ErrorKind::Usage, "{name}: {err}");
}

// ---------------------------------------------------------------------------
// Arguments the 7.0 spec does not describe.
// ---------------------------------------------------------------------------

/// Sends `command` (encoded by redtyped) on a plain socket of its own and
/// returns every byte the server sends until it closes the connection.
fn send_until_closed<C: Command>(server: &Server, command: C) -> Vec<u8> {
    let mut out = bytes::BytesMut::new();
    let mut w = ArgWriter::begin(&mut out);
    command.write_args(&mut w);
    w.finish();
    let mut stream = std::net::TcpStream::connect(server.addr()).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    stream.write_all(&out).unwrap();
    let mut received = Vec::new();
    stream
        .read_to_end(&mut received)
        .expect("the server closes the connection");
    received
}

// ---------------------------------------------------------------------------
// ACL
// ---------------------------------------------------------------------------

#[tokio::test]
async fn acl_read_only_commands() {
    let server = shared();
    each_protocol(|client| async move {
        // ACL CAT: the categories, or the commands of one category.
        let categories: Vec<String> = client.acl_cat().await.unwrap();
        assert_eq!(categories, wire(server, &["ACL", "CAT"]).texts());
        assert!(categories.iter().any(|c| c == "geo"), "{categories:?}");
        let geo = client.acl_cat().categoryname("geo").await.unwrap();
        assert_eq!(
            sorted(geo.clone()),
            sorted(wire(server, &["ACL", "CAT", "geo"]).texts())
        );
        assert!(geo.iter().any(|c| c == "geoadd"), "{geo:?}");

        // ACL GENPASS: 256 bits as 64 hex digits by default; BITS picks the length.
        let pass: String = client.acl_genpass().await.unwrap();
        assert_eq!(pass.len(), 64, "{pass}");
        assert!(pass.chars().all(|c| c.is_ascii_hexdigit()), "{pass}");
        let short = client.acl_genpass().bits(32).await.unwrap();
        assert_eq!(short.len(), 8, "{short}");
        assert_ne!(client.acl_genpass().await.unwrap(), pass);

        // ACL WHOAMI, ACL USERS, ACL LIST.
        assert_eq!(client.acl_whoami().await.unwrap(), "default");
        let users = client.acl_users().await.unwrap();
        assert_eq!(users, wire(server, &["ACL", "USERS"]).texts());
        assert!(users.iter().any(|u| u == "default"));
        let rules = client.acl_list().await.unwrap();
        assert_eq!(rules, wire(server, &["ACL", "LIST"]).texts());
        assert!(
            rules.iter().any(|r| r.starts_with("user default on")),
            "{rules:?}"
        );

        // ACL GETUSER: the default user's rules; nil for an unknown user.
        let default = client.acl_getuser("default").await.unwrap().unwrap();
        let raw = wire(server, &["ACL", "GETUSER", "default"]).fields();
        assert_eq!(default.flags, raw["flags"].texts());
        assert!(default.flags.iter().any(|f| f == "on"), "{default:?}");
        assert_eq!(default.commands, raw["commands"].text());
        assert_eq!(default.commands, "+@all");
        assert_eq!(default.keys, raw["keys"].text());
        assert_eq!(default.channels, raw["channels"].text());
        assert!(default.passwords.is_empty() && default.selectors.is_empty());
        let nobody = unique_key("no-such-user");
        assert_eq!(client.acl_getuser(&nobody).await.unwrap(), None);

        // ACL DRYRUN: OK when allowed.
        let verdict = client
            .acl_dryrun("default", "get")
            .arg([unique_key("dryrun")])
            .await
            .unwrap();
        assert_eq!(verdict, "OK");

        // ACL HELP.
        let help = client.acl_help().await.unwrap();
        assert_eq!(help, wire(server, &["ACL", "HELP"]).texts());
        assert!(help.iter().any(|l| l.contains("GETUSER")), "{help:?}");
    })
    .await;
}

#[tokio::test]
async fn acl_user_management_and_log() {
    let server = Server::builder()
        .acl_user("user default on nopass ~* &* +@all")
        .start();
    let acl_file = server.dir().join("users.acl");
    for protocol in PROTOCOLS {
        let client = client_on(&server, protocol).await;
        let user = format!("alice{}", tag(protocol));

        // ACL SETUSER: rules, including a selector.
        let () = client
            .acl_setuser(&user)
            .rule(["on", ">s3cret", "~app:*", "+get", "(~x* +set)"])
            .await
            .unwrap();
        let info = client.acl_getuser(&user).await.unwrap().unwrap();
        let raw = wire(&server, &["ACL", "GETUSER", &user]).fields();
        assert_eq!(info.flags, raw["flags"].texts());
        assert_eq!(info.passwords, raw["passwords"].texts());
        assert_eq!(info.passwords.len(), 1);
        assert_eq!(info.passwords[0].len(), 64, "a SHA-256 hex digest");
        assert_eq!(info.commands, "-@all +get");
        assert_eq!(info.keys, "~app:*");
        assert_eq!(info.channels, raw["channels"].text());
        assert_eq!(info.selectors.len(), 1, "{info:?}");
        let selector = &info.selectors[0];
        let raw_selector = raw["selectors"].items()[0].fields();
        assert_eq!(selector.commands, raw_selector["commands"].text());
        assert_eq!(selector.commands, "-@all +set");
        assert_eq!(selector.keys, "~x*");
        assert_eq!(selector.channels, raw_selector["channels"].text());

        // ACL DRYRUN: OK, or the reason the user may not run it.
        let ok = client
            .acl_dryrun(&user, "get")
            .arg(["app:1"])
            .await
            .unwrap();
        assert_eq!(ok, "OK");
        let denied = client
            .acl_dryrun(&user, "set")
            .arg(["app:1", "v"])
            .await
            .unwrap();
        assert!(denied.contains("app:1"), "{denied}");
        assert_ne!(denied, "OK");
        let raw_denied = wire(&server, &["ACL", "DRYRUN", &user, "set", "app:1", "v"]).text();
        assert_eq!(denied, raw_denied);

        // ACL LOG: entries for a denied command, a denied key and a failed AUTH.
        // RESET replies OK, but the method still names the entries' type
        // parameter (the generator keeps `V` on the variant).
        let () = client.acl_log().reset().await.unwrap();
        assert_eq!(wire(&server, &["ACL", "LOG"]), Wire::Array(vec![]));
        assert!(
            server
                .cli_as(&user, "s3cret", &["LPUSH", "app:l", "x"])
                .starts_with("-NOPERM")
        );
        assert!(
            server
                .cli_as(&user, "s3cret", &["GET", "other:key"])
                .starts_with("-NOPERM")
        );
        assert!(
            server
                .cli_as(&user, "wrong", &["PING"])
                .starts_with("-WRONGPASS")
        );
        let log: Vec<AclLogEntry<String>> = client.acl_log().await.unwrap();
        let raw_log = wire(&server, &["ACL", "LOG"]).items();
        assert_eq!(log.len(), 3, "{log:?}");
        assert_eq!(log.len(), raw_log.len());
        for (entry, raw) in log.iter().zip(&raw_log) {
            let raw = raw.fields();
            assert_eq!(entry.count, raw["count"].int());
            assert_eq!(entry.reason, raw["reason"].text());
            assert_eq!(entry.context, raw["context"].text());
            assert_eq!(entry.object, raw["object"].text());
            assert_eq!(entry.username, user);
            assert!(entry.age_seconds >= 0.0 && entry.age_seconds < 60.0);
            assert_eq!(entry.client_info, raw["client-info"].text());
        }
        // Newest first: the failed AUTH, the key, the command.
        assert_eq!(log[0].reason, "auth");
        assert_eq!(log[1].reason, "key");
        assert_eq!(log[1].object, "other:key");
        assert_eq!(log[2].reason, "command");
        assert_eq!(log[2].object, "lpush");
        assert!(log[2].client_info.contains("cmd=lpush"), "{:?}", log[2]);
        // The object is user data: any type the caller picks.
        let as_bytes: Vec<AclLogEntry<Bytes>> = client.acl_log().count(1).await.unwrap();
        assert_eq!(as_bytes.len(), 1);
        assert_eq!(as_bytes[0].object, Bytes::from(log[0].object.clone()));
        assert!(log[0].object.eq_ignore_ascii_case("auth"), "{:?}", log[0]);
        let () = client.acl_log().reset().await.unwrap();
        assert_eq!(wire(&server, &["ACL", "LOG"]), Wire::Array(vec![]));

        // ACL SAVE writes the users to the ACL file; ACL LOAD reads it back.
        let () = client.acl_save().await.unwrap();
        let saved = std::fs::read_to_string(&acl_file).unwrap();
        assert!(saved.contains(&format!("user {user} on")), "{saved}");
        let loaded = format!("loaded{}", tag(protocol));
        std::fs::write(&acl_file, format!("{saved}user {loaded} on nopass +ping\n")).unwrap();
        let () = client.acl_load().await.unwrap();
        let users = client.acl_users().await.unwrap();
        assert_eq!(users, wire(&server, &["ACL", "USERS"]).texts());
        assert!(
            users.contains(&loaded) && users.contains(&user),
            "{users:?}"
        );

        // ACL DELUSER: how many of the named users existed.
        let deleted: i64 = client
            .acl_deluser([user.as_str(), loaded.as_str(), "nobody"])
            .await
            .unwrap();
        assert_eq!(deleted, 2);
        assert_eq!(wire(&server, &["ACL", "GETUSER", &user]), Wire::Nil);
        assert_eq!(client.acl_users().await.unwrap(), ["default"]);
    }
}

// ---------------------------------------------------------------------------
// COMMAND
// ---------------------------------------------------------------------------

#[tokio::test]
async fn command_count_list_help() {
    let server = shared();
    each_protocol(|client| async move {
        let count: i64 = client.command_count().await.unwrap();
        assert_eq!(count, wire(server, &["COMMAND", "COUNT"]).int());
        assert!(count > 200, "{count}");

        let all: Vec<String> = client.command_list().await.unwrap();
        // Subcommands are listed too (`config|get`): more names than COMMAND COUNT.
        assert_eq!(all.len(), wire(server, &["COMMAND", "LIST"]).items().len());
        assert!(all.len() as i64 > count);
        assert!(all.iter().any(|c| c == "get") && all.iter().any(|c| c == "config|get"));
        let geo = client.command_list().aclcat("geo").await.unwrap();
        assert_eq!(
            sorted(geo.clone()),
            sorted(wire(server, &["COMMAND", "LIST", "FILTERBY", "ACLCAT", "geo"]).texts())
        );
        assert!(geo.iter().all(|c| c.starts_with("geo")), "{geo:?}");
        let x = client.command_list().pattern("xa*").await.unwrap();
        assert_eq!(sorted(x), ["xack", "xadd", "xautoclaim"]);
        let none = client
            .command_list()
            .module("no-such-module")
            .await
            .unwrap();
        assert!(none.is_empty(), "{none:?}");

        let help = client.command_help().await.unwrap();
        assert_eq!(help, wire(server, &["COMMAND", "HELP"]).texts());
        assert!(help.iter().any(|l| l.contains("GETKEYS")), "{help:?}");
    })
    .await;
}

#[tokio::test]
async fn command_info_entries() {
    let server = shared();
    each_protocol(|client| async move {
        let entries: Vec<Option<CommandEntry>> = client
            .command_info()
            .command_name(["get", "config|get", "no-such-command"])
            .await
            .unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[2], None, "an unknown command is nil");
        let raw = wire(server, &["COMMAND", "INFO", "get"]).items()[0].items();

        let get = entries[0].as_ref().unwrap();
        assert_eq!(get.name, "get");
        assert_eq!(get.arity, raw[1].int());
        assert_eq!(get.arity, 2);
        assert_eq!(get.flags, raw[2].texts());
        assert!(get.flags.iter().any(|f| f == "readonly"), "{get:?}");
        assert_eq!(
            (get.first_key, get.last_key, get.step),
            (raw[3].int(), raw[4].int(), raw[5].int())
        );
        assert_eq!(get.acl_categories, raw[6].texts());
        assert!(get.acl_categories.iter().any(|c| c == "@read"));
        assert_eq!(get.tips.as_deref(), Some(&[][..]));
        let specs = get.key_specs.as_ref().unwrap();
        assert_eq!(specs.len(), 1);
        assert_eq!(specs[0].flags, ["RO", "access"]);
        assert_eq!(specs[0].notes, None);
        assert_eq!(specs[0].begin_search.kind, "index");
        assert_eq!(specs[0].begin_search.spec.index, Some(1));
        assert_eq!(specs[0].find_keys.kind, "range");
        assert_eq!(specs[0].find_keys.spec.lastkey, Some(0));
        assert_eq!(specs[0].find_keys.spec.keystep, Some(1));
        assert_eq!(specs[0].find_keys.spec.limit, Some(0));
        assert_eq!(get.subcommands.as_deref(), Some(&[][..]));

        let config_get = entries[1].as_ref().unwrap();
        assert_eq!(config_get.name, "config|get");
        assert_eq!(config_get.arity, -3);

        // Key specs of other methods, tips, and subcommands.
        let more = client
            .command_info()
            .command_name(["zunionstore", "config", "keys"])
            .await
            .unwrap();
        let zunionstore = more[0].as_ref().unwrap();
        let specs = zunionstore.key_specs.as_ref().unwrap();
        assert_eq!(specs[1].find_keys.kind, "keynum");
        assert_eq!(specs[1].find_keys.spec.keynumidx, Some(0));
        assert_eq!(specs[1].find_keys.spec.firstkey, Some(1));
        let config = more[1].as_ref().unwrap();
        let subs = config.subcommands.as_ref().unwrap();
        assert!(
            subs.iter().any(|s| s.name == "config|set"
                && s.tips
                    .as_ref()
                    .unwrap()
                    .iter()
                    .any(|t| t.starts_with("request_policy"))),
            "{subs:?}"
        );
        let keys = more[2].as_ref().unwrap();
        assert!(
            keys.tips
                .as_ref()
                .unwrap()
                .iter()
                .any(|t| t == "nondeterministic_output_order"),
            "{keys:?}"
        );

        // No names: every command.
        let all = client.command_info().await.unwrap();
        assert_eq!(all.len() as i64, wire(server, &["COMMAND", "COUNT"]).int());
        assert!(all.iter().all(Option::is_some));
        let xread = all
            .iter()
            .flatten()
            .find(|e| e.name == "xread")
            .expect("XREAD is listed");
        let spec = &xread.key_specs.as_ref().unwrap()[0];
        assert_eq!(spec.begin_search.kind, "keyword");
        assert_eq!(spec.begin_search.spec.keyword.as_deref(), Some("STREAMS"));
        assert_eq!(spec.begin_search.spec.startfrom, Some(1));
    })
    .await;
}

#[tokio::test]
async fn command_docs_records() {
    let server = shared();
    each_protocol(|client| async move {
        let docs: HashMap<String, CommandDocumentation> = client
            .command_docs()
            .command_name(["zadd", "acl", "no-such-command"])
            .await
            .unwrap();
        assert_eq!(sorted(docs.keys().cloned().collect()), ["acl", "zadd"]);
        let raw = wire(server, &["COMMAND", "DOCS", "zadd"]).fields()["zadd"].fields();

        let zadd = &docs["zadd"];
        assert_eq!(zadd.group, "sorted-set");
        assert_eq!(zadd.since.as_deref(), Some(raw["since"].text().as_str()));
        assert_eq!(
            zadd.summary.as_deref(),
            Some(raw["summary"].text().as_str())
        );
        assert_eq!(
            zadd.complexity.as_deref(),
            Some(raw["complexity"].text().as_str())
        );
        let history = zadd.history.as_ref().unwrap();
        let raw_history = raw["history"].items();
        assert_eq!(history.len(), raw_history.len());
        assert_eq!(history[0].0, raw_history[0].items()[0].text());
        assert_eq!(history[0].1, raw_history[0].items()[1].text());
        assert_eq!(zadd.subcommands, None);
        assert_eq!(zadd.doc_flags, None);

        // Arguments nest: a oneof holds its members.
        let args = zadd.arguments.as_ref().unwrap();
        assert_eq!(args.len(), raw["arguments"].items().len());
        assert_eq!(args[0].name, "key");
        assert_eq!(args[0].kind, "key");
        assert_eq!(args[0].key_spec_index, Some(0));
        let condition = args.iter().find(|a| a.name == "condition").unwrap();
        assert_eq!(condition.kind, "oneof");
        assert_eq!(
            condition.flags.as_deref(),
            Some(&["optional".to_string()][..])
        );
        let members = condition.arguments.as_ref().unwrap();
        assert_eq!(members[0].token.as_deref(), Some("NX"));
        assert_eq!(members[1].token.as_deref(), Some("XX"));
        assert_eq!(members[0].kind, "pure-token");
        let pairs = args.iter().find(|a| a.name == "score_member").unwrap();
        assert_eq!(pairs.kind, "block");
        assert_eq!(pairs.arguments.as_ref().unwrap()[0].kind, "double");

        // A container documents its subcommands, recursively.
        let acl = &docs["acl"];
        let subs = acl.subcommands.as_ref().unwrap();
        let setuser = &subs["acl|setuser"];
        assert_eq!(setuser.group, "server");
        let rule = &setuser.arguments.as_ref().unwrap()[1];
        assert_eq!(rule.name, "rule");
        assert_eq!(
            rule.flags.as_deref(),
            Some(&["optional".to_string(), "multiple".to_string()][..])
        );

        // Deprecated commands say so.
        let old = client
            .command_docs()
            .command_name(["slaveof"])
            .await
            .unwrap();
        let slaveof = &old["slaveof"];
        assert_eq!(
            slaveof.doc_flags.as_deref(),
            Some(&["deprecated".to_string()][..])
        );
        assert_eq!(slaveof.deprecated_since.as_deref(), Some("5.0.0"));
        assert_eq!(slaveof.replaced_by.as_deref(), Some("`REPLICAOF`"));

        // No names: every command.
        let all = client.command_docs().await.unwrap();
        assert_eq!(all.len() as i64, wire(server, &["COMMAND", "COUNT"]).int());
    })
    .await;
}

#[tokio::test]
async fn command_getkeys_and_flags() {
    let server = shared();
    each_protocol(|client| async move {
        let (a, b) = (unique_key("getkeys-a"), unique_key("getkeys-b"));
        let keys: Vec<String> = client
            .command_getkeys("MSET")
            .args([a.as_str(), "1", b.as_str(), "2"])
            .await
            .unwrap();
        assert_eq!(keys, [a.clone(), b.clone()]);
        assert_eq!(
            keys,
            wire(server, &["COMMAND", "GETKEYS", "MSET", &a, "1", &b, "2"]).texts()
        );
        // Keys are user data: bytes work too.
        let bytes: Vec<Bytes> = client.command_getkeys("GET").args([&a]).await.unwrap();
        assert_eq!(bytes, [Bytes::from(a.clone())]);

        let flagged: Vec<KeyWithFlags<String>> = client
            .command_getkeysandflags("LMOVE")
            .args([a.as_str(), b.as_str(), "LEFT", "RIGHT"])
            .await
            .unwrap();
        let raw = wire(
            server,
            &[
                "COMMAND",
                "GETKEYSANDFLAGS",
                "LMOVE",
                &a,
                &b,
                "LEFT",
                "RIGHT",
            ],
        )
        .items();
        assert_eq!(flagged.len(), 2);
        for (typed, raw) in flagged.iter().zip(&raw) {
            let raw = raw.items();
            assert_eq!(typed.key, raw[0].text());
            assert_eq!(typed.flags, raw[1].texts());
        }
        assert_eq!(flagged[0].key, a);
        assert_eq!(flagged[0].flags, ["RW", "access", "delete"]);
        assert_eq!(flagged[1].flags, ["RW", "insert"]);

        // A command line the server cannot parse is the server's error.
        assert_server_error(
            client.command_getkeys::<String>("GET").await,
            "wrong number",
        );
    })
    .await;
}

// ---------------------------------------------------------------------------
// CONFIG
// ---------------------------------------------------------------------------

#[tokio::test]
async fn config_set_rewrite_resetstat_help() {
    let server = Server::start();
    let conf = server.dir().join("redis.conf");
    for protocol in PROTOCOLS {
        let client = client_on(&server, protocol).await;
        let len = if protocol == Protocol::Resp2 {
            "77"
        } else {
            "78"
        };

        // CONFIG SET: several parameters at once.
        let () = client
            .config_set([
                ("slowlog-max-len", len),
                ("maxmemory-policy", "allkeys-lru"),
            ])
            .await
            .unwrap();
        let raw = wire(&server, &["CONFIG", "GET", "slowlog-max-len"]).texts();
        assert_eq!(raw, ["slowlog-max-len", len]);
        let raw = wire(&server, &["CONFIG", "GET", "maxmemory-policy"]).texts();
        assert_eq!(raw, ["maxmemory-policy", "allkeys-lru"]);
        assert_server_error(
            client.config_set([("no-such-parameter", "1")]).await,
            "no-such-parameter",
        );

        // CONFIG REWRITE: the running configuration lands in the file.
        let () = client.config_rewrite().await.unwrap();
        let text = std::fs::read_to_string(&conf).unwrap();
        assert!(
            text.lines().any(|l| l == format!("slowlog-max-len {len}")),
            "{text}"
        );

        // CONFIG RESETSTAT: the command statistics start over.
        client.set(unique_key("resetstat"), "v").await.unwrap();
        assert!(info_field(&server, "commandstats", "cmdstat_set").is_some());
        let () = client.config_resetstat().await.unwrap();
        assert_eq!(info_field(&server, "commandstats", "cmdstat_set"), None);

        let help: Vec<String> = client.config_help().await.unwrap();
        assert_eq!(help, wire(&server, &["CONFIG", "HELP"]).texts());
        assert!(help.iter().any(|l| l.contains("REWRITE")), "{help:?}");
    }
}

// ---------------------------------------------------------------------------
// Keyspace administration and persistence
// ---------------------------------------------------------------------------

/// The number of keys of database `db`, per INFO keyspace (0 when absent).
#[track_caller]
fn keys_in(server: &Server, db: u8) -> i64 {
    info_field(server, "keyspace", &format!("db{db}"))
        .map(|v| {
            v.split(',')
                .find_map(|kv| kv.strip_prefix("keys="))
                .unwrap()
                .parse()
                .unwrap()
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn dbsize_flush_swapdb() {
    let server = Server::start();
    for protocol in PROTOCOLS {
        let client = client_on(&server, protocol).await;
        for i in 0..5 {
            server.cli(&["SET", &format!("k{i}"), "v"]);
        }
        let n: i64 = client.dbsize().await.unwrap();
        assert_eq!(n, 5);
        assert_eq!(n, wire(&server, &["DBSIZE"]).int());

        // SWAPDB: database 0's keys move to 1.
        let () = client.swapdb(0, 1).await.unwrap();
        assert_eq!((keys_in(&server, 0), keys_in(&server, 1)), (0, 5));
        assert_eq!(client.dbsize().await.unwrap(), 0);
        let () = client.swapdb(1, 0).await.unwrap();
        assert_eq!((keys_in(&server, 0), keys_in(&server, 1)), (5, 0));

        // FLUSHDB empties the selected database only.
        server.cli(&["SET", "elsewhere", "v"]);
        server.cli(&["MOVE", "elsewhere", "1"]);
        let () = client.flushdb().await.unwrap();
        assert_eq!((keys_in(&server, 0), keys_in(&server, 1)), (0, 1));
        server.cli(&["SET", "k", "v"]);
        let () = client.flushdb().synchronous().await.unwrap();
        assert_eq!(keys_in(&server, 0), 0);
        server.cli(&["SET", "k", "v"]);
        let () = client.flushdb().asynchronous().await.unwrap();
        assert_eq!(wire(&server, &["DBSIZE"]).int(), 0);

        // FLUSHALL empties every database.
        server.cli(&["SET", "k", "v"]);
        let () = client.flushall().await.unwrap();
        assert_eq!((keys_in(&server, 0), keys_in(&server, 1)), (0, 0));
        server.cli(&["SET", "k", "v"]);
        let () = client.flushall().asynchronous().await.unwrap();
        assert_eq!(wire(&server, &["DBSIZE"]).int(), 0);
        server.cli(&["SET", "k", "v"]);
        let () = client.flushall().synchronous().await.unwrap();
        assert_eq!(client.dbsize().await.unwrap(), 0);
    }
}

#[tokio::test]
async fn save_bgsave_bgrewriteaof_lastsave() {
    let server = Server::start();
    let rdb = server.dir().join("dump.rdb");
    for protocol in PROTOCOLS {
        let client = client_on(&server, protocol).await;
        let key = unique_key("persist");
        server.cli(&["SET", &key, "v"]);

        // SAVE writes the RDB file; LASTSAVE is its unix time.
        let _ = std::fs::remove_file(&rdb);
        let () = client.save().await.unwrap();
        assert!(rdb.exists());
        let last: i64 = client.lastsave().await.unwrap();
        assert_eq!(last, wire(&server, &["LASTSAVE"]).int());
        assert!((last - unix_secs()).abs() <= 5, "{last}");

        // BGSAVE: started in the background; done once the file is back.
        std::fs::remove_file(&rdb).unwrap();
        let started: String = client.bgsave().await.unwrap();
        assert_eq!(started, "Background saving started");
        wait_until_async(DEADLINE, "the background save to finish", || async {
            info_field(&server, "persistence", "rdb_bgsave_in_progress").as_deref() == Some("0")
                && rdb.exists()
        })
        .await;

        // A slow AOF rewrite (rdb-key-save-delay) is in progress: BGSAVE SCHEDULE queues.
        std::fs::remove_file(&rdb).unwrap();
        server.cli(&["CONFIG", "SET", "rdb-key-save-delay", "200000"]);
        let rewrite: String = client.bgrewriteaof().await.unwrap();
        assert_eq!(rewrite, "Background append only file rewriting started");
        assert_eq!(
            info_field(&server, "persistence", "aof_rewrite_in_progress").as_deref(),
            Some("1")
        );
        assert_server_error(client.bgsave().await, "BGSAVE SCHEDULE");
        server.cli(&["CONFIG", "SET", "rdb-key-save-delay", "0"]);
        let scheduled = client.bgsave().schedule().await.unwrap();
        assert_eq!(scheduled, "Background saving scheduled");
        assert!(!rdb.exists(), "nothing saved yet");
        wait_until_async(DEADLINE, "the scheduled save to run", || async {
            info_field(&server, "persistence", "aof_rewrite_in_progress").as_deref() == Some("0")
                && info_field(&server, "persistence", "rdb_bgsave_in_progress").as_deref()
                    == Some("0")
                && rdb.exists()
        })
        .await;

        // A BGREWRITEAOF asked for during a BGSAVE is scheduled.
        server.cli(&["CONFIG", "SET", "rdb-key-save-delay", "200000"]);
        assert_eq!(client.bgsave().await.unwrap(), "Background saving started");
        let queued = client.bgrewriteaof().await.unwrap();
        assert_eq!(queued, "Background append only file rewriting scheduled");
        server.cli(&["CONFIG", "SET", "rdb-key-save-delay", "0"]);
        wait_until_async(DEADLINE, "the save and the rewrite to finish", || async {
            info_field(&server, "persistence", "rdb_bgsave_in_progress").as_deref() == Some("0")
                && info_field(&server, "persistence", "aof_rewrite_in_progress").as_deref()
                    == Some("0")
                && info_field(&server, "persistence", "aof_rewrite_scheduled").as_deref()
                    == Some("0")
        })
        .await;
    }
}

// ---------------------------------------------------------------------------
// INFO, TIME, LOLWUT, ROLE on the shared server
// ---------------------------------------------------------------------------

#[tokio::test]
async fn info_time_lolwut() {
    let server = shared();
    each_protocol(|client| async move {
        let info: HashMap<String, String> = client.info().await.unwrap();
        let version = info_field(server, "server", "redis_version").unwrap();
        assert_eq!(info["redis_version"], version);
        assert_eq!(info["tcp_port"], server.port().to_string());
        assert!(info.contains_key("used_memory") && info.contains_key("connected_clients"));
        assert!(!info.keys().any(|k| k.starts_with('#')));

        let some = client.info().section(["server", "clients"]).await.unwrap();
        assert_eq!(some["redis_version"], version);
        assert!(some.contains_key("connected_clients"));
        assert!(
            !some.contains_key("used_memory"),
            "memory was not asked for"
        );

        // TIME: seconds and microseconds, as decimal text.
        let time = client.time().await.unwrap();
        let secs: i64 = time.seconds.parse().unwrap();
        let micros: i64 = time.microseconds.parse().unwrap();
        assert!((secs - unix_secs()).abs() <= 5, "{time:?}");
        assert!((0..1_000_000).contains(&micros), "{time:?}");
        let raw = wire(server, &["TIME"]).texts();
        let raw_secs: i64 = raw[0].parse().unwrap();
        assert!((raw_secs - secs).abs() <= 1);

        // LASTSAVE.
        let last: i64 = client.lastsave().await.unwrap();
        assert_eq!(last, wire(server, &["LASTSAVE"]).int());

        // LOLWUT: art and the version line.
        let art: String = client.lolwut().await.unwrap();
        assert!(art.contains(&format!("Redis ver. {version}")), "{art}");
        let v5 = client.lolwut().version(5).await.unwrap();
        assert!(v5.contains("Georg Nees"), "{v5}");
        assert!(v5.contains(&version));
    })
    .await;
}

#[tokio::test]
async fn role_of_a_master() {
    let server = shared();
    each_protocol(|client| async move {
        let role: ReplicationRole = client.role().await.unwrap();
        let raw = wire(server, &["ROLE"]).items();
        assert_eq!(role.role, "master");
        assert_eq!(role.master_offset, Some(raw[1].int()));
        assert_eq!(role.replicas.as_deref(), Some(&[][..]));
        assert_eq!(role.master_host, None);
        assert_eq!(role.link_state, None);
    })
    .await;
}

// ---------------------------------------------------------------------------
// LATENCY
// ---------------------------------------------------------------------------

#[tokio::test]
async fn latency_events_and_histograms() {
    let server = Server::builder()
        .config("latency-monitor-threshold", "1")
        .start();
    for protocol in PROTOCOLS {
        let client = client_on(&server, protocol).await;
        let help: Vec<String> = client.latency_help().await.unwrap();
        assert_eq!(help, wire(&server, &["LATENCY", "HELP"]).texts());

        // A 20 ms DEBUG SLEEP is a "command" latency event.
        let slept: Value = client.debug("SLEEP").args(["0.02"]).await.unwrap();
        assert_eq!(slept, Value::Status("OK".into()));

        let latest = client.latency_latest().await.unwrap();
        let raw = wire(&server, &["LATENCY", "LATEST"]).items();
        assert_eq!(latest.len(), 1, "{latest:?}");
        let event = &latest[0];
        let raw = raw[0].items();
        assert_eq!(event.event, "command");
        assert_eq!(event.event, raw[0].text());
        assert_eq!(event.timestamp, raw[1].int());
        assert_eq!(
            (event.latest_ms, event.max_ms),
            (raw[2].int(), raw[3].int())
        );
        assert!(event.latest_ms >= 20, "{event:?}");
        assert!((event.timestamp - unix_secs()).abs() <= 5);

        let history = client.latency_history("command").await.unwrap();
        let raw = wire(&server, &["LATENCY", "HISTORY", "command"]).items();
        assert_eq!(history.len(), raw.len());
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].timestamp, raw[0].items()[0].int());
        assert_eq!(history[0].latency_ms, event.latest_ms);
        assert!(
            client
                .latency_history("no-such-event")
                .await
                .unwrap()
                .is_empty()
        );

        let graph: String = client.latency_graph("command").await.unwrap();
        assert!(graph.starts_with("command - high"), "{graph}");
        let doctor: String = client.latency_doctor().await.unwrap();
        assert!(doctor.contains("command"), "{doctor}");

        // LATENCY RESET: how many event series were reset.
        let reset: i64 = client.latency_reset().await.unwrap();
        assert_eq!(reset, 1);
        assert_eq!(wire(&server, &["LATENCY", "LATEST"]), Wire::Array(vec![]));
        let none = client.latency_reset().event(["command"]).await.unwrap();
        assert_eq!(none, 0);
        assert!(client.latency_latest().await.unwrap().is_empty());

        // LATENCY HISTOGRAM: calls per command and their buckets.
        server.cli(&["CONFIG", "RESETSTAT"]);
        for i in 0..3 {
            client.set(unique_key("histogram"), i).await.unwrap();
        }
        let histograms = client
            .latency_histogram()
            .command(["set", "no-such-command"])
            .await
            .unwrap();
        assert_eq!(histograms.len(), 1, "{histograms:?}");
        let set = &histograms["set"];
        assert_eq!(set.calls, 3);
        // Cumulative buckets: the last one counts every call.
        assert_eq!(set.histogram_usec.values().max().copied(), Some(set.calls));
        let raw = wire(&server, &["LATENCY", "HISTOGRAM", "set"]).fields()["set"].fields();
        assert_eq!(set.calls, raw["calls"].int());
        let raw_buckets: HashMap<i64, i64> = raw["histogram_usec"]
            .items()
            .chunks(2)
            .map(|kv| (kv[0].int(), kv[1].int()))
            .collect();
        assert_eq!(set.histogram_usec, raw_buckets);
        let all = client.latency_histogram().await.unwrap();
        assert!(all.contains_key("set") && all.contains_key("latency|histogram"));
    }
}

// ---------------------------------------------------------------------------
// MEMORY
// ---------------------------------------------------------------------------

#[tokio::test]
async fn memory_reports_and_usage() {
    let server = shared();
    each_protocol(|client| async move {
        let key = unique_key("memory");
        client.set(&key, "x".repeat(1000)).await.unwrap();
        let usage: Option<i64> = client.memory_usage(&key).await.unwrap();
        let usage = usage.unwrap();
        assert!(usage >= 1000, "{usage}");
        assert_eq!(usage, wire(server, &["MEMORY", "USAGE", &key]).int());
        assert_eq!(
            client.memory_usage(&key).samples(0).await.unwrap(),
            Some(usage)
        );
        let missing = unique_key("memory-missing");
        assert_eq!(client.memory_usage(&missing).await.unwrap(), None);

        let stats: HashMap<String, Value> = client.memory_stats().await.unwrap();
        let raw = wire(server, &["MEMORY", "STATS"]).fields();
        assert_eq!(
            sorted(stats.keys().cloned().collect()),
            sorted(raw.keys().cloned().collect())
        );
        assert!(matches!(stats["peak.allocated"], Value::Int(n) if n > 0));
        assert!(matches!(stats["db.0"], Value::Map(_) | Value::Array(_)));
        // A ratio: a double in RESP3, its text in RESP2.
        match &stats["dataset.percentage"] {
            Value::Double(d) => assert!((0.0..=100.0).contains(d)),
            Value::Bulk(b) => assert!(std::str::from_utf8(b).unwrap().parse::<f64>().is_ok()),
            other => panic!("dataset.percentage: {other:?}"),
        }

        let doctor: String = client.memory_doctor().await.unwrap();
        assert!(doctor.contains("Sam"), "{doctor}");
        let malloc: String = client.memory_malloc_stats().await.unwrap();
        assert!(
            malloc.contains("jemalloc"),
            "{}",
            &malloc[..200.min(malloc.len())]
        );
        let help = client.memory_help().await.unwrap();
        assert_eq!(help, wire(server, &["MEMORY", "HELP"]).texts());
    })
    .await;
}

#[tokio::test]
async fn memory_purge() {
    let server = Server::start();
    for protocol in PROTOCOLS {
        let client = client_on(&server, protocol).await;
        let () = client.memory_purge().await.unwrap();
        assert_eq!(server.cli(&["PING"]), "+PONG\r\n");
    }
}

// ---------------------------------------------------------------------------
// MODULE
// ---------------------------------------------------------------------------

/// A module that only registers itself (name `rtmod`, version 3), compiled
/// with the system C compiler (`cc`, which Rust's own linking needs too).
fn build_module(dir: &std::path::Path) -> String {
    const SOURCE: &str = r#"
typedef struct RedisModuleCtx RedisModuleCtx;
typedef struct RedisModuleString RedisModuleString;
int RedisModule_OnLoad(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    (void)argv; (void)argc;
    int (*get_api)(const char *, void *) = (int (*)(const char *, void *))((void **)ctx)[0];
    void (*set_attribs)(RedisModuleCtx *, const char *, int, int) = 0;
    if (get_api("RedisModule_SetModuleAttribs", (void *)&set_attribs) != 0) return 1;
    set_attribs(ctx, "rtmod", 3, 1);
    return 0;
}
"#;
    let src = dir.join("rtmod.c");
    let lib = dir.join("rtmod.so");
    std::fs::write(&src, SOURCE).unwrap();
    let status = std::process::Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&lib)
        .arg(&src)
        .status()
        .expect("run cc");
    assert!(status.success(), "cc failed: {status}");
    lib.to_str().unwrap().to_owned()
}

#[tokio::test]
async fn module_load_list_unload() {
    let server = Server::builder()
        .config("enable-module-command", "yes")
        .start();
    let dir = tempfile::tempdir().unwrap();
    let path = build_module(dir.path());
    for protocol in PROTOCOLS {
        let client = client_on(&server, protocol).await;
        assert!(client.module_list().await.unwrap().is_empty());

        let () = client
            .module_load(path.as_str())
            .arg(["a", "b"])
            .await
            .unwrap();
        let modules = client.module_list().await.unwrap();
        let raw = wire(&server, &["MODULE", "LIST"]).items();
        assert_eq!(modules.len(), 1);
        assert_eq!(raw.len(), 1);
        let raw = raw[0].fields();
        let m = &modules[0];
        assert_eq!(m.name, "rtmod");
        assert_eq!(m.name, raw["name"].text());
        assert_eq!(m.ver, 3);
        assert_eq!(m.path.as_deref(), Some(path.as_str()));
        assert_eq!(
            m.args.as_deref(),
            Some(&["a".to_string(), "b".to_string()][..])
        );
        assert_eq!(
            client.command_list().module("rtmod").await.unwrap(),
            Vec::<String>::new()
        );

        let () = client.module_unload("rtmod").await.unwrap();
        assert_eq!(wire(&server, &["MODULE", "LIST"]), Wire::Array(vec![]));
        assert_server_error(client.module_unload("rtmod").await, "no such module");

        // MODULE LOADEX: ARGS are the module's arguments.
        let () = client
            .module_loadex(path.as_str())
            .args(["z"])
            .await
            .unwrap();
        let modules = client.module_list().await.unwrap();
        assert_eq!(modules[0].args.as_deref(), Some(&["z".to_string()][..]));
        let () = client.module_unload("rtmod").await.unwrap();
        // A CONFIG the module does not register fails the load.
        assert_server_error(
            client
                .module_loadex(&path)
                .config([("rtmod.none", "1")])
                .await,
            "Error loading the extension",
        );
        assert_eq!(wire(&server, &["MODULE", "LIST"]), Wire::Array(vec![]));

        let help: Vec<String> = client.module_help().await.unwrap();
        assert_eq!(help, wire(&server, &["MODULE", "HELP"]).texts());
    }
}

// ---------------------------------------------------------------------------
// SLOWLOG
// ---------------------------------------------------------------------------

#[tokio::test]
async fn slowlog_get_len_reset() {
    let server = Server::builder()
        .config("slowlog-log-slower-than", "0")
        .start();
    for protocol in PROTOCOLS {
        let client = client_on(&server, protocol).await;
        let () = client.slowlog_reset().await.unwrap();
        let name = format!("slow{}", tag(protocol));
        client.client_setname(&name).await.unwrap();
        let key = unique_key("slow");
        client.set(&key, "text").await.unwrap();

        let entries: Vec<SlowlogEntry<String>> = client.slowlog_get().count(-1).await.unwrap();
        let raw = wire(&server, &["SLOWLOG", "GET", "-1"]).items();
        // The raw SLOWLOG GET itself is logged after the typed one ran.
        assert!(raw.len() > entries.len());
        let set = entries
            .iter()
            .find(|e| {
                e.args
                    .first()
                    .is_some_and(|a| a.eq_ignore_ascii_case("set"))
            })
            .expect("SET was logged");
        let raw_set = raw
            .iter()
            .map(Wire::items)
            .find(|r| r[0].int() == set.id)
            .expect("the same entry");
        assert_eq!(set.timestamp, raw_set[1].int());
        assert_eq!(set.duration_us, raw_set[2].int());
        assert_eq!(set.args, raw_set[3].texts());
        assert_eq!(set.args[1..], [key.clone(), "text".to_string()]);
        assert_eq!(set.client_addr, raw_set[4].text());
        assert_eq!(set.client_name, raw_set[5].text());
        assert_eq!(set.client_name, name);
        assert!((set.timestamp - unix_secs()).abs() <= 5);
        assert!(set.duration_us >= 0);

        // Arguments are user data: binary values come back as bytes.
        client.set(&key, &b"bin\xff\x00"[..]).await.unwrap();
        let newest: Vec<SlowlogEntry<Bytes>> = client.slowlog_get().count(1).await.unwrap();
        assert_eq!(newest.len(), 1);
        assert_eq!(newest[0].args[2], Bytes::from_static(b"bin\xff\x00"));
        assert!(newest[0].id > set.id);

        // Newest first, ten by default.
        let default: Vec<SlowlogEntry<Bytes>> = client.slowlog_get().await.unwrap();
        assert!(default.len() <= 10 && !default.is_empty());
        assert!(default.windows(2).all(|w| w[0].id > w[1].id));
        assert_eq!(&default[0].args[..2], [&b"SLOWLOG"[..], &b"GET"[..]]);

        let len: i64 = client.slowlog_len().await.unwrap();
        assert!(len >= raw.len() as i64, "{len}");
        let () = client.slowlog_reset().await.unwrap();
        // Only the raw SLOWLOG LEN itself may be logged after the reset.
        assert!(wire(&server, &["SLOWLOG", "LEN"]).int() <= 1);

        let help: Vec<String> = client.slowlog_help().await.unwrap();
        assert_eq!(help, wire(&server, &["SLOWLOG", "HELP"]).texts());
    }
}

// ---------------------------------------------------------------------------
// DEBUG and RESTORE-ASKING
// ---------------------------------------------------------------------------

#[tokio::test]
async fn debug_replies_are_values() {
    let server = Server::start();
    for protocol in PROTOCOLS {
        let client = client_on(&server, protocol).await;
        server.cli(&["SET", "k", "12345"]);
        let object: Value = client.debug("OBJECT").args(["k"]).await.unwrap();
        match object {
            Value::Status(text) => assert!(text.contains("encoding:int"), "{text}"),
            other => panic!("DEBUG OBJECT: {other:?}"),
        }
        let digest: Value = client
            .debug("DIGEST-VALUE")
            .args(["k", "missing"])
            .await
            .unwrap();
        let Value::Array(items) = digest else {
            panic!("DEBUG DIGEST-VALUE: {digest:?}")
        };
        assert_eq!(items.len(), 2);
        let raw = wire(&server, &["DEBUG", "DIGEST-VALUE", "k", "missing"]).texts();
        for (item, raw) in items.iter().zip(&raw) {
            assert_eq!(item, &Value::Status(raw.clone()));
        }
        // An unknown subcommand is the server's error.
        assert_server_error(client.debug("NO-SUCH-SUBCOMMAND").await, "DEBUG");
    }
}

#[tokio::test]
async fn restore_asking_restores_a_dump() {
    let server = shared();
    each_protocol(|client| async move {
        let source = unique_key("restore-src");
        client.set(&source, "payload").await.unwrap();
        let dump: Bytes = client
            .send(Raw::<Bytes>::new("DUMP").arg(&source))
            .await
            .unwrap();

        let target = unique_key("restore-dst");
        let () = client.restore_asking(&target, 0, &dump[..]).await.unwrap();
        assert_eq!(server.cli(&["GET", &target]), "$7\r\npayload\r\n");
        assert_eq!(wire(server, &["PTTL", &target]).int(), -1);
        // Without REPLACE an existing key is an error; with it, restored again.
        assert_server_error(
            client.restore_asking(&target, 0, &dump[..]).await,
            "BUSYKEY",
        );
        let () = client
            .restore_asking(&target, 60_000, &dump[..])
            .replace()
            .idletime(100)
            .await
            .unwrap();
        let pttl = wire(server, &["PTTL", &target]).int();
        assert!((50_000..=60_000).contains(&pttl), "{pttl}");
        let () = client
            .restore_asking(&target, 0, &dump[..])
            .replace()
            .freq(5)
            .await
            .unwrap();
        // ABSTTL: the ttl is a unix time in milliseconds.
        let at = (unix_secs() + 3600) * 1000;
        let () = client
            .restore_asking(&target, at, &dump[..])
            .replace()
            .absttl()
            .await
            .unwrap();
        let pttl = wire(server, &["PTTL", &target]).int();
        assert!((3_500_000..=3_600_000).contains(&pttl), "{pttl}");
    })
    .await;
}

// ---------------------------------------------------------------------------
// Replication: REPLICAOF, SLAVEOF, ROLE of a replica, FAILOVER
// ---------------------------------------------------------------------------

/// Waits until `replica`'s link to its master is up, per ROLE.
async fn wait_link_up(replica: &Client) {
    wait_until_async(DEADLINE, "the replica's link to be connected", || async {
        replica.role().await.unwrap().link_state.as_deref() == Some("connected")
    })
    .await;
}

#[tokio::test]
async fn replicaof_slaveof_role_failover() {
    let primary = Server::start();
    let secondary = Server::start();
    let host = "127.0.0.1";
    for protocol in PROTOCOLS {
        let p = client_on(&primary, protocol).await;
        let s = client_on(&secondary, protocol).await;

        // REPLICAOF host port: OK, then a different OK when already connected.
        let reply: String = s
            .replicaof(cmd::ReplicaofArgs::HostPort(
                host.into(),
                primary.port().into(),
            ))
            .await
            .unwrap();
        assert_eq!(reply, "OK");
        let again = s
            .replicaof(cmd::ReplicaofArgs::HostPort(
                host.into(),
                primary.port().into(),
            ))
            .await
            .unwrap();
        assert_eq!(again, "OK Already connected to specified master");
        wait_link_up(&s).await;

        // ROLE of a replica: its master and the link state.
        let role = s.role().await.unwrap();
        let raw = wire(&secondary, &["ROLE"]).items();
        assert_eq!(role.role, "slave");
        assert_eq!(role.master_host.as_deref(), Some(host));
        assert_eq!(role.master_port, Some(primary.port() as i64));
        assert_eq!(role.master_port, Some(raw[2].int()));
        assert_eq!(role.link_state.as_deref(), Some("connected"));
        assert!(role.received_offset.unwrap() >= 0);
        assert_eq!((role.master_offset, &role.replicas), (None, &None));

        // ROLE of the master lists the replica.
        wait_until_async(DEADLINE, "the master to list its replica", || async {
            p.role()
                .await
                .unwrap()
                .replicas
                .is_some_and(|r| r.len() == 1)
        })
        .await;
        let role = p.role().await.unwrap();
        let replicas = role.replicas.as_ref().unwrap();
        assert_eq!(role.role, "master");
        assert_eq!(replicas[0].ip, host);
        assert_eq!(replicas[0].port, secondary.port().to_string());
        let offset: i64 = replicas[0].offset.parse().unwrap();
        assert!(offset >= 0 && offset <= role.master_offset.unwrap());

        // FAILOVER waits for the replica to catch up; ABORT stops it. The
        // replica sleeps (DEBUG SLEEP) so that it cannot acknowledge.
        // The sleep is written before the write it must not acknowledge.
        let mut sleeper = std::net::TcpStream::connect(secondary.addr()).unwrap();
        sleeper
            .write_all(b"*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$1\r\n1\r\n")
            .unwrap();
        primary.cli(&["SET", &unique_key("failover"), "v"]);
        let () = p.failover().timeout(10_000).await.unwrap();
        assert_eq!(
            info_field(&primary, "replication", "master_failover_state").as_deref(),
            Some("waiting-for-sync")
        );
        let () = p.failover().abort().await.unwrap();
        assert_eq!(
            info_field(&primary, "replication", "master_failover_state").as_deref(),
            Some("no-failover")
        );
        sleeper.set_read_timeout(Some(DEADLINE)).unwrap();
        let mut slept = [0u8; 5];
        sleeper.read_exact(&mut slept).unwrap();
        assert_eq!(&slept, b"+OK\r\n");
        assert_server_error(p.failover().abort().await, "No failover in progress");

        // FAILOVER TO the replica: the roles swap.
        let () = p
            .failover()
            .to(host, secondary.port() as i64)
            .force()
            .timeout(5_000)
            .await
            .unwrap();
        wait_until_async(DEADLINE, "the roles to swap", || async {
            p.role().await.unwrap().role == "slave" && s.role().await.unwrap().role == "master"
        })
        .await;
        wait_link_up(&p).await;
        assert_eq!(
            p.role().await.unwrap().master_port,
            Some(secondary.port() as i64)
        );

        // Back to two masters: REPLICAOF NO ONE, and SLAVEOF (deprecated) both ways.
        let none: String = p.replicaof(cmd::ReplicaofArgs::NoOne).await.unwrap();
        assert_eq!(none, "OK");
        assert_eq!(wire(&primary, &["ROLE"]).items()[0].text(), "master");
        let slave: String = s
            .slaveof(cmd::SlaveofArgs::HostPort(
                host.into(),
                primary.port().into(),
            ))
            .await
            .unwrap();
        assert_eq!(slave, "OK");
        assert_eq!(wire(&secondary, &["ROLE"]).items()[0].text(), "slave");
        let none = s.slaveof(cmd::SlaveofArgs::NoOne).await.unwrap();
        assert_eq!(none, "OK");
        assert_eq!(s.role().await.unwrap().role, "master");
    }
}

// ---------------------------------------------------------------------------
// Dedicated commands: MONITOR, PSYNC, REPLCONF, SHUTDOWN (and SYNC, untyped)
// ---------------------------------------------------------------------------

#[tokio::test]
async fn dedicated_commands_are_refused_by_the_shared_client() {
    each_protocol(|client| async move {
        assert_refused(client.send(cmd::monitor()).await, "MONITOR");
        assert_refused(client.send(cmd::psync("?", -1)).await, "PSYNC");
        assert_refused(
            client
                .send(cmd::replconf().args(["listening-port", "6380"]))
                .await,
            "REPLCONF",
        );
        assert_refused(client.send(cmd::shutdown().nosave()).await, "SHUTDOWN");
        // Still usable, and the server still up.
        assert_eq!(client.ping().await.unwrap(), "PONG");
    })
    .await;
}

#[tokio::test]
async fn monitor_replconf_psync_on_connections_of_their_own() {
    for protocol in PROTOCOLS {
        // A fresh master each time: while a replication BGSAVE is running, a
        // master answers a new PSYNC with keepalive newlines first (not RESP).
        let server = Server::start();
        let () = call_dedicated(&server, protocol, cmd::monitor())
            .await
            .unwrap();
        let () = call_dedicated(
            &server,
            protocol,
            cmd::replconf().args(["listening-port", "6380"]),
        )
        .await
        .unwrap();

        // PSYNC ? -1 asks for a full resynchronisation.
        let start = call_dedicated(&server, protocol, cmd::psync("?", -1))
            .await
            .unwrap();
        assert_eq!(start.mode, "FULLRESYNC");
        let id = start.replication_id.unwrap();
        assert_eq!(
            Some(id.as_str()),
            info_field(&server, "replication", "master_replid").as_deref()
        );
        assert!(start.offset.unwrap() >= 0);
    }
}

#[tokio::test]
async fn shutdown_abort_and_shutdown() {
    let server = Server::start();
    // A replica that never acknowledges: SHUTDOWN then waits for it.
    let mut replica = std::net::TcpStream::connect(server.addr()).unwrap();
    replica
        .write_all(b"*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n")
        .unwrap();
    let mut first = [0u8; 11];
    replica.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"+FULLRESYNC");
    server.cli(&["SET", "k", "v"]);

    for protocol in PROTOCOLS {
        let mut waiting = std::net::TcpStream::connect(server.addr()).unwrap();
        waiting.write_all(b"*1\r\n$8\r\nSHUTDOWN\r\n").unwrap();
        wait_until_async(DEADLINE, "SHUTDOWN to wait for the replica", || async {
            info_field(&server, "server", "shutdown_in_milliseconds").is_some()
        })
        .await;
        let () = call_dedicated(&server, protocol, cmd::shutdown().abort())
            .await
            .unwrap();
        waiting.set_read_timeout(Some(DEADLINE)).unwrap();
        let mut reply = [0u8; 4];
        waiting.read_exact(&mut reply).unwrap();
        assert_eq!(&reply, b"-ERR", "the aborted SHUTDOWN fails");
        assert_eq!(server.cli(&["PING"]), "+PONG\r\n");
        assert_eq!(
            info_field(&server, "server", "shutdown_in_milliseconds"),
            None
        );
    }

    // A successful SHUTDOWN has no reply: the connection ends and the server exits.
    let received = send_until_closed(&server, cmd::shutdown().nosave().now());
    assert!(
        received.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&received)
    );
    wait_until_async(DEADLINE, "the server to exit", || async {
        std::net::TcpStream::connect(server.addr()).is_err()
    })
    .await;
}
