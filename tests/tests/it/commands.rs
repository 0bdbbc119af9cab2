//! Every command of the spec against a real server, under RESP2 and RESP3:
//! the typed replies, the effect of each option as the server sees it
//! (checked on an independent raw connection, not through the client under
//! test), and decoding user data into the types a caller picks.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use redtyped::{Client, ErrorKind, Raw, Resp, Value, cmd};
use redtyped_tests::{Server, shared, unique_key};

use crate::support::{PROTOCOLS, client_on, each_protocol};

// ---------------------------------------------------------------------------
// The server's own view, over a raw RESP2 connection of the harness.
// ---------------------------------------------------------------------------

/// A raw command on the shared server; the raw RESP reply.
#[track_caller]
pub(crate) fn cli(args: &[&str]) -> String {
    shared().cli(args)
}

fn parse_int(reply: &str) -> Option<i64> {
    reply.strip_prefix(':')?.strip_suffix("\r\n")?.parse().ok()
}

/// One bulk string at the start of `s` (`None` for nil) and what follows it.
fn parse_bulk(s: &str) -> Option<(Option<String>, &str)> {
    let rest = s.strip_prefix('$')?;
    let (len, rest) = rest.split_once("\r\n")?;
    if len == "-1" {
        return Some((None, rest));
    }
    let len: usize = len.parse().ok()?;
    let data = rest.get(..len)?;
    let rest = rest.get(len..)?.strip_prefix("\r\n")?;
    Some((Some(data.to_owned()), rest))
}

/// A flat array of bulk strings (nil elements as `None`).
fn parse_bulks(reply: &str) -> Option<Vec<Option<String>>> {
    let rest = reply.strip_prefix('*')?;
    let (n, mut rest) = rest.split_once("\r\n")?;
    let n: usize = n.parse().ok()?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let (v, r) = parse_bulk(rest)?;
        out.push(v);
        rest = r;
    }
    rest.is_empty().then_some(out)
}

/// An integer reply of a raw command.
#[track_caller]
pub(crate) fn cli_int(args: &[&str]) -> i64 {
    let reply = cli(args);
    parse_int(&reply).unwrap_or_else(|| panic!("raw {args:?}: expected an integer, got {reply:?}"))
}

/// A bulk string reply of a raw command (`None` for nil).
#[track_caller]
pub(crate) fn cli_bulk(args: &[&str]) -> Option<String> {
    let reply = cli(args);
    match parse_bulk(&reply) {
        Some((v, "")) => v,
        _ => panic!("raw {args:?}: expected a bulk string, got {reply:?}"),
    }
}

/// A flat array reply of bulk strings, none of them nil.
#[track_caller]
pub(crate) fn cli_strings(args: &[&str]) -> Vec<String> {
    let reply = cli(args);
    parse_bulks(&reply)
        .and_then(|v| v.into_iter().collect::<Option<Vec<_>>>())
        .unwrap_or_else(|| panic!("raw {args:?}: expected an array of strings, got {reply:?}"))
}

/// A status reply of a raw command, without `+` and CRLF.
#[track_caller]
pub(crate) fn cli_status(args: &[&str]) -> String {
    let reply = cli(args);
    reply
        .strip_prefix('+')
        .and_then(|s| s.strip_suffix("\r\n"))
        .unwrap_or_else(|| panic!("raw {args:?}: expected a status, got {reply:?}"))
        .to_owned()
}

/// A member's score, per the server (its float text parsed).
#[track_caller]
fn zscore_raw(key: &str, member: &str) -> Option<f64> {
    cli_bulk(&["ZSCORE", key, member]).map(|text| match text.as_str() {
        "inf" => f64::INFINITY,
        "-inf" => f64::NEG_INFINITY,
        _ => text
            .parse()
            .unwrap_or_else(|_| panic!("ZSCORE {key} {member}: {text:?}")),
    })
}

/// A stream entry id as (milliseconds, sequence).
#[track_caller]
fn parse_stream_id(id: &str) -> (u64, u64) {
    let parsed = id
        .split_once('-')
        .and_then(|(ms, seq)| Some((ms.parse().ok()?, seq.parse().ok()?)));
    parsed.unwrap_or_else(|| panic!("not a stream id: {id:?}"))
}

/// Whether `key` exists, per the server.
#[track_caller]
pub(crate) fn exists_raw(key: &str) -> bool {
    cli_int(&["EXISTS", key]) == 1
}

/// Remaining time to live in milliseconds (-1 none, -2 missing), per the server.
#[track_caller]
pub(crate) fn pttl_raw(key: &str) -> i64 {
    cli_int(&["PTTL", key])
}

pub(crate) fn unix_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub(crate) fn unix_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

pub(crate) fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

/// Asserts a server error reply with `code` whose message contains `text`.
#[track_caller]
pub(crate) fn assert_server_error<T: Debug>(result: redtyped::Result<T>, code: &str, text: &str) {
    let err = result.expect_err("expected a server error reply");
    assert_eq!(err.kind(), ErrorKind::Server, "{err}");
    assert!(err.is_server(), "{err}");
    assert_eq!(err.server_code(), Some(code), "{err}");
    assert!(
        err.message().contains(text),
        "error {err} does not mention {text:?}"
    );
}

/// Asserts a decode error (the reply did not fit the type asked for) for `command`.
#[track_caller]
pub(crate) fn assert_decode_error<T: Debug>(result: redtyped::Result<T>, command: &str) {
    let err = result.expect_err("expected a decode error");
    assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
    assert!(err.is_decode(), "{err}");
    assert_eq!(err.command(), Some(command), "{err}");
}

/// `EVAL script 0`, with the reply type the caller picks.
fn lua<R>(script: &'static str) -> Raw<'static, R> {
    Raw::new("EVAL").arg(script).arg(0)
}

/// The connection still answers in order after an error.
async fn assert_still_usable(client: &Client) {
    let key = unique_key("still-usable");
    client.set(&key, "fine").await.unwrap();
    let v: Option<String> = client.get(&key).await.unwrap();
    assert_eq!(v.as_deref(), Some("fine"));
    assert_eq!(client.ping().await.unwrap(), "PONG");
}

// ---------------------------------------------------------------------------
// Connection commands
// ---------------------------------------------------------------------------

#[tokio::test]
async fn ping_plain_and_with_message() {
    each_protocol(|client| async move {
        let pong: String = client.ping().await.unwrap();
        assert_eq!(pong, "PONG");

        let hello: String = client.ping().message("hello world").await.unwrap();
        assert_eq!(hello, "hello world");

        // The message is user data: any type, binary safe, empty allowed.
        let binary: Vec<u8> = client.ping().message(&b"a\0b\r\nc"[..]).await.unwrap();
        assert_eq!(binary, b"a\0b\r\nc");
        let empty: String = client.ping().message("").await.unwrap();
        assert_eq!(empty, "");
        let number: i64 = client.ping().message(-17i64).await.unwrap();
        assert_eq!(number, -17);
        // A message that reads like a status is still returned as sent.
        let pong_text: Bytes = client.ping().message("PONG").await.unwrap();
        assert_eq!(pong_text, Bytes::from_static(b"PONG"));
    })
    .await;
}

#[tokio::test]
async fn echo_returns_the_message_in_the_chosen_type() {
    each_protocol(|client| async move {
        let s: String = client.echo("hi there").await.unwrap();
        assert_eq!(s, "hi there");
        let empty: String = client.echo("").await.unwrap();
        assert_eq!(empty, "");
        let bytes: Bytes = client.echo(&b"\0\r\n\xff"[..]).await.unwrap();
        assert_eq!(&bytes[..], b"\0\r\n\xff");
        let vec: Vec<u8> = client.echo(vec![1u8, 2, 3, 0]).await.unwrap();
        assert_eq!(vec, vec![1, 2, 3, 0]);
        let n: i64 = client.echo("42").await.unwrap();
        assert_eq!(n, 42);
        let f: f64 = client.echo(2.5f64).await.unwrap();
        assert_eq!(f, 2.5);
        let v: Value = client.echo("x").await.unwrap();
        assert_eq!(v, Value::Bulk(Bytes::from_static(b"x")));

        // Text that does not fit the type asked for is a decode error.
        assert_decode_error(client.echo::<i64>("forty-two").await, "ECHO");
        assert_decode_error(client.echo::<String>(&b"\xff\xfe"[..]).await, "ECHO");
        assert_still_usable(&client).await;
    })
    .await;
}

#[tokio::test]
async fn client_setname_and_getname() {
    // Names belong to a connection: a fresh client (own connection) per protocol.
    for protocol in PROTOCOLS {
        let client = client_on(shared(), protocol).await;
        let name = format!("redtyped-it-{}", unique_key("name").replace(':', "-"));

        let before: Option<String> = client.client_getname().await.unwrap();
        assert_eq!(before, None, "{protocol:?}: a new connection has no name");

        let () = client.client_setname(&name).await.unwrap();
        let after: Option<String> = client.client_getname().await.unwrap();
        assert_eq!(after.as_deref(), Some(name.as_str()), "{protocol:?}");

        // Clones share the one connection, so they see the same name.
        let clone = client.clone();
        assert_eq!(
            clone.client_getname().await.unwrap().as_deref(),
            Some(name.as_str())
        );

        // The server knows the connection by that name.
        let list = cli(&["CLIENT", "LIST"]);
        assert!(
            list.contains(&format!(" name={name} ")),
            "{protocol:?}: CLIENT LIST lacks {name}: {list}"
        );

        // Names cannot contain spaces; the old name stays.
        assert_server_error(
            client.client_setname("has a space").await,
            "ERR",
            "cannot contain spaces",
        );
        assert_eq!(
            client.client_getname().await.unwrap().as_deref(),
            Some(name.as_str())
        );

        // An empty name removes it.
        client.client_setname("").await.unwrap();
        assert_eq!(client.client_getname().await.unwrap(), None);
        assert!(!cli(&["CLIENT", "LIST"]).contains(&format!(" name={name} ")));

        // A different connection has its own (no) name.
        let other = client_on(shared(), protocol).await;
        client.client_setname(&name).await.unwrap();
        assert_eq!(other.client_getname().await.unwrap(), None);
    }
}

// ---------------------------------------------------------------------------
// Server commands
// ---------------------------------------------------------------------------

#[tokio::test]
async fn config_get_single_glob_and_several() {
    each_protocol(|client| async move {
        let maxmemory = cli_strings(&["CONFIG", "GET", "maxmemory"]);
        assert_eq!(maxmemory.len(), 2);

        let one: HashMap<String, String> = client.config_get(["maxmemory"]).await.unwrap();
        assert_eq!(one.len(), 1, "{one:?}");
        assert_eq!(one.get("maxmemory"), Some(&maxmemory[1]));

        // A glob returns every matching parameter, as the server lists them.
        let raw = cli_strings(&["CONFIG", "GET", "max*"]);
        let expected: HashMap<String, String> = raw
            .chunks(2)
            .map(|kv| (kv[0].clone(), kv[1].clone()))
            .collect();
        let glob: HashMap<String, String> = client.config_get(["max*"]).await.unwrap();
        assert!(glob.len() > 1, "{glob:?}");
        assert!(glob.contains_key("maxmemory"), "{glob:?}");
        assert!(glob.contains_key("maxclients"), "{glob:?}");
        assert_eq!(glob, expected);

        // Several parameters in one call (Redis 7).
        let several: HashMap<String, String> = client
            .config_get(vec!["maxmemory", "maxclients", "port"])
            .await
            .unwrap();
        assert_eq!(several.len(), 3, "{several:?}");
        assert_eq!(several["maxmemory"], maxmemory[1]);
        assert_eq!(several["port"], shared().port().to_string());

        // No match: an empty map, not an error.
        let none: HashMap<String, String> =
            client.config_get(["no-such-parameter-xyz"]).await.unwrap();
        assert!(none.is_empty(), "{none:?}");
    })
    .await;
}

// ---------------------------------------------------------------------------
// Strings
// ---------------------------------------------------------------------------

#[tokio::test]
async fn get_missing_present_and_empty() {
    each_protocol(|client| async move {
        let key = unique_key("get");
        let missing: Option<String> = client.get(&key).await.unwrap();
        assert_eq!(missing, None);

        // Written by someone else: read back as is.
        assert_eq!(cli(&["SET", &key, "from raw"]), "+OK\r\n");
        let v: Option<String> = client.get(&key).await.unwrap();
        assert_eq!(v.as_deref(), Some("from raw"));

        // An empty string is a value, not a missing key.
        assert_eq!(cli(&["SET", &key, ""]), "+OK\r\n");
        let empty: Option<String> = client.get(&key).await.unwrap();
        assert_eq!(empty.as_deref(), Some(""));
        let empty: Option<Bytes> = client.get(&key).await.unwrap();
        assert_eq!(empty, Some(Bytes::new()));

        // GET on a non-string key is the server's WRONGTYPE error.
        let hash = unique_key("get-hash");
        cli(&["HSET", &hash, "f", "v"]);
        assert_server_error(client.get::<String>(&hash).await, "WRONGTYPE", "wrong kind");
        assert_still_usable(&client).await;
    })
    .await;
}

#[tokio::test]
async fn set_plain_overwrites_and_clears_ttl() {
    each_protocol(|client| async move {
        let key = unique_key("set");
        let () = client.set(&key, "v1").await.unwrap();
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("v1"));
        assert_eq!(pttl_raw(&key), -1);

        // Overwrites, and a plain SET drops an expiry.
        cli(&["EXPIRE", &key, "100"]);
        client.set(&key, "v2").await.unwrap();
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("v2"));
        assert_eq!(pttl_raw(&key), -1);

        // Overwrites any type.
        let list = unique_key("set-list");
        cli(&["RPUSH", &list, "a"]);
        client.set(&list, "now a string").await.unwrap();
        assert_eq!(cli_status(&["TYPE", &list]), "string");

        // Values of every argument type are written as the server reads them.
        client.set(&key, 42i64).await.unwrap();
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("42"));
        client.set(&key, u64::MAX).await.unwrap();
        assert_eq!(
            cli_bulk(&["GET", &key]).as_deref(),
            Some("18446744073709551615")
        );
        client.set(&key, -0.5f64).await.unwrap();
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("-0.5"));
        client.set(&key, 0.1f64).await.unwrap();
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("0.1"));
        client.set(&key, 1e-7f64).await.unwrap();
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("0.0000001"));
        client.set(&key, -7i8).await.unwrap();
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("-7"));
        client.set(&key, 255u8).await.unwrap();
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("255"));
        client.set(&key, String::from("owned")).await.unwrap();
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("owned"));
        client
            .set(&key, Bytes::from_static(b"shared"))
            .await
            .unwrap();
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("shared"));
        client.set(&key, "").await.unwrap();
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some(""));
    })
    .await;
}

/// `Arg` promises "the shortest decimal that reads back the same": for an
/// `f32` that is the f32's own text (`0.1`), not the text of the widened f64
/// (`0.10000000149011612`).
#[tokio::test]
async fn f32_arguments_are_written_as_the_f32_reads() {
    each_protocol(|client| async move {
        let key = unique_key("f32");
        client.set(&key, 2.5f32).await.unwrap();
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("2.5"));
        for v in [0.1f32, -1.1, 3.3e-5, 16_777_217.0] {
            client.set(&key, v).await.unwrap();
            let stored = cli_bulk(&["GET", &key]).unwrap();
            assert_eq!(stored, v.to_string(), "SET k {v}f32");
        }
        let hash = unique_key("f32-hash");
        client.hset(&hash, [("f", 0.7f32)]).await.unwrap();
        assert_eq!(cli_bulk(&["HGET", &hash, "f"]).as_deref(), Some("0.7"));
        let zset = unique_key("f32-zset");
        client
            .send(Raw::<i64>::new("ZADD").arg(&zset).arg(0.3f32).arg("m"))
            .await
            .unwrap();
        assert_eq!(zscore_raw(&zset, "m"), Some(0.3));
    })
    .await;
}

#[tokio::test]
async fn set_nx_both_outcomes() {
    each_protocol(|client| async move {
        let key = unique_key("set-nx");
        let first: bool = client.set(&key, "first").nx().await.unwrap();
        assert!(first, "NX on a missing key sets it");
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("first"));

        let second: bool = client.set(&key, "second").nx().await.unwrap();
        assert!(!second, "NX on an existing key does nothing");
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("first"));
    })
    .await;
}

#[tokio::test]
async fn set_xx_both_outcomes() {
    each_protocol(|client| async move {
        let key = unique_key("set-xx");
        let on_missing: bool = client.set(&key, "v").xx().await.unwrap();
        assert!(!on_missing, "XX on a missing key does nothing");
        assert!(!exists_raw(&key), "XX must not create the key");

        cli(&["SET", &key, "old"]);
        let on_existing: bool = client.set(&key, "new").xx().await.unwrap();
        assert!(on_existing);
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("new"));

        // The last of NX/XX wins, as one option of the spec.
        let flipped: bool = client.set(&key, "newer").nx().xx().await.unwrap();
        assert!(flipped);
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("newer"));
    })
    .await;
}

#[tokio::test]
async fn set_get_returns_the_old_value() {
    each_protocol(|client| async move {
        let key = unique_key("set-get");
        let none: Option<String> = client.set(&key, "v1").get().await.unwrap();
        assert_eq!(none, None, "no old value");
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("v1"));

        let old: Option<String> = client.set(&key, "v2").get().await.unwrap();
        assert_eq!(old.as_deref(), Some("v1"));
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("v2"));

        // The old value in any type.
        client.set(&key, "7").await.unwrap();
        let old: Option<i64> = client.set(&key, "8").get().await.unwrap();
        assert_eq!(old, Some(7));
        let old: Option<Bytes> = client.set(&key, "9").get().await.unwrap();
        assert_eq!(old, Some(Bytes::from_static(b"8")));

        // GET with an expiry both returns the old value and sets the TTL.
        let old: Option<String> = client.set(&key, "10").get().ex(100).await.unwrap();
        assert_eq!(old.as_deref(), Some("9"));
        let pttl = pttl_raw(&key);
        assert!(0 < pttl && pttl <= 100_000, "pttl {pttl}");

        // SET GET on a non-string key fails and changes nothing.
        let hash = unique_key("set-get-hash");
        cli(&["HSET", &hash, "f", "v"]);
        assert_server_error(
            client.set(&hash, "x").get::<String>().await,
            "WRONGTYPE",
            "wrong kind",
        );
        assert_eq!(cli_status(&["TYPE", &hash]), "hash");
    })
    .await;
}

#[tokio::test]
async fn set_nx_or_xx_with_get() {
    each_protocol(|client| async move {
        // NX + GET on a missing key: sets it, no old value.
        let key = unique_key("set-nx-get");
        let old: Option<String> = client.set(&key, "first").nx().get().await.unwrap();
        assert_eq!(old, None);
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("first"));

        // NX + GET on an existing key: the current value, and no change.
        // (GET before NX builds the same command.)
        let old: Option<String> = client.set(&key, "second").get().nx().await.unwrap();
        assert_eq!(old.as_deref(), Some("first"));
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("first"));

        // XX + GET on a missing key: nothing set, no old value.
        let missing = unique_key("set-xx-get");
        let old: Option<String> = client.set(&missing, "v").xx().get().await.unwrap();
        assert_eq!(old, None);
        assert!(!exists_raw(&missing));

        // XX + GET on an existing key: replaced, old value returned.
        let old: Option<String> = client.set(&key, "third").xx().get().await.unwrap();
        assert_eq!(old.as_deref(), Some("first"));
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("third"));
    })
    .await;
}

#[tokio::test]
async fn set_expirations_ex_px_exat_pxat() {
    each_protocol(|client| async move {
        let ex = unique_key("set-ex");
        client.set(&ex, "v").ex(60).await.unwrap();
        assert_eq!(cli_bulk(&["GET", &ex]).as_deref(), Some("v"));
        let ttl = client.ttl(&ex).await.unwrap();
        assert!(0 < ttl && ttl <= 60, "ttl {ttl}");
        let pttl = pttl_raw(&ex);
        assert!(50_000 < pttl && pttl <= 60_000, "pttl {pttl}");

        let px = unique_key("set-px");
        client.set(&px, "v").px(1_500).await.unwrap();
        let pttl = pttl_raw(&px);
        assert!(0 < pttl && pttl <= 1_500, "pttl {pttl}");

        let exat = unique_key("set-exat");
        client
            .set(&exat, "v")
            .exat(unix_secs() + 100)
            .await
            .unwrap();
        let pttl = pttl_raw(&exat);
        assert!(90_000 < pttl && pttl <= 100_000, "pttl {pttl}");

        let pxat = unique_key("set-pxat");
        client
            .set(&pxat, "v")
            .pxat(unix_millis() + 200_000)
            .await
            .unwrap();
        let pttl = pttl_raw(&pxat);
        assert!(190_000 < pttl && pttl <= 200_000, "pttl {pttl}");

        // The last expiration given wins (one option of the spec).
        let last = unique_key("set-last-expiry");
        client.set(&last, "v").ex(1_000).px(3_000).await.unwrap();
        let pttl = pttl_raw(&last);
        assert!(0 < pttl && pttl <= 3_000, "pttl {pttl}");

        // NX with an expiry: sets both, or neither.
        let nx = unique_key("set-nx-ex");
        let set: bool = client.set(&nx, "v").ex(60).nx().await.unwrap();
        assert!(set);
        let pttl = pttl_raw(&nx);
        assert!(0 < pttl && pttl <= 60_000, "pttl {pttl}");
        let set: bool = client.set(&nx, "w").nx().ex(5).await.unwrap();
        assert!(!set);
        let pttl = pttl_raw(&nx);
        assert!(
            5_000 < pttl && pttl <= 60_000,
            "NX failed, TTL kept: {pttl}"
        );
        assert_eq!(cli_bulk(&["GET", &nx]).as_deref(), Some("v"));

        // Invalid expiries are the server's error, the key untouched.
        assert_server_error(client.set(&nx, "x").ex(0).await, "ERR", "invalid expire");
        assert_eq!(cli_bulk(&["GET", &nx]).as_deref(), Some("v"));
    })
    .await;
}

#[tokio::test]
async fn set_keepttl_keeps_the_expiry() {
    each_protocol(|client| async move {
        let key = unique_key("set-keepttl");
        client.set(&key, "v1").ex(100).await.unwrap();
        client.set(&key, "v2").keepttl().await.unwrap();
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("v2"));
        let pttl = pttl_raw(&key);
        assert!(0 < pttl && pttl <= 100_000, "KEEPTTL kept the TTL: {pttl}");

        // With GET: returns the old value and keeps the TTL.
        let old: Option<String> = client.set(&key, "v3").get().keepttl().await.unwrap();
        assert_eq!(old.as_deref(), Some("v2"));
        assert!(pttl_raw(&key) > 0);

        // Without KEEPTTL the TTL goes.
        client.set(&key, "v4").await.unwrap();
        assert_eq!(pttl_raw(&key), -1);

        // KEEPTTL on a key without a TTL leaves it without one.
        client.set(&key, "v5").keepttl().await.unwrap();
        assert_eq!(pttl_raw(&key), -1);
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("v5"));
    })
    .await;
}

#[tokio::test]
async fn getdel_returns_and_deletes() {
    each_protocol(|client| async move {
        let key = unique_key("getdel");
        cli(&["SET", &key, "gone soon"]);
        let v: Option<String> = client.getdel(&key).await.unwrap();
        assert_eq!(v.as_deref(), Some("gone soon"));
        assert!(!exists_raw(&key), "GETDEL deletes the key");

        let again: Option<String> = client.getdel(&key).await.unwrap();
        assert_eq!(again, None);

        cli(&["SET", &key, "12"]);
        let n: Option<u32> = client.getdel(&key).await.unwrap();
        assert_eq!(n, Some(12));
        assert!(!exists_raw(&key));

        // A non-string key is an error and is not deleted.
        let list = unique_key("getdel-list");
        cli(&["RPUSH", &list, "a"]);
        assert_server_error(
            client.getdel::<String>(&list).await,
            "WRONGTYPE",
            "wrong kind",
        );
        assert!(exists_raw(&list));
    })
    .await;
}

#[tokio::test]
async fn getex_sets_or_clears_the_expiry() {
    each_protocol(|client| async move {
        let key = unique_key("getex");
        cli(&["SET", &key, "v"]);

        // Without options: a plain read.
        let v: Option<String> = client.getex(&key).await.unwrap();
        assert_eq!(v.as_deref(), Some("v"));
        assert_eq!(pttl_raw(&key), -1);

        let v: Option<String> = client.getex(&key).ex(60).await.unwrap();
        assert_eq!(v.as_deref(), Some("v"));
        let pttl = pttl_raw(&key);
        assert!(50_000 < pttl && pttl <= 60_000, "pttl {pttl}");

        let v: Option<String> = client.getex(&key).persist().await.unwrap();
        assert_eq!(v.as_deref(), Some("v"));
        assert_eq!(pttl_raw(&key), -1, "PERSIST removes the TTL");

        let v: Option<Bytes> = client.getex(&key).px(2_500).await.unwrap();
        assert_eq!(v, Some(Bytes::from_static(b"v")));
        let pttl = pttl_raw(&key);
        assert!(0 < pttl && pttl <= 2_500, "pttl {pttl}");

        client
            .getex::<String>(&key)
            .exat(unix_secs() + 300)
            .await
            .unwrap();
        let pttl = pttl_raw(&key);
        assert!(290_000 < pttl && pttl <= 300_000, "pttl {pttl}");

        client
            .getex::<String>(&key)
            .pxat(unix_millis() + 400_000)
            .await
            .unwrap();
        let pttl = pttl_raw(&key);
        assert!(390_000 < pttl && pttl <= 400_000, "pttl {pttl}");
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("v"));

        // A missing key: nil, and nothing is created.
        let missing = unique_key("getex-missing");
        let none: Option<String> = client.getex(&missing).ex(60).await.unwrap();
        assert_eq!(none, None);
        assert!(!exists_raw(&missing));
    })
    .await;
}

#[tokio::test]
async fn mget_with_missing_and_wrong_type_keys() {
    each_protocol(|client| async move {
        let a = unique_key("mget-a");
        let missing = unique_key("mget-missing");
        let c = unique_key("mget-c");
        let hash = unique_key("mget-hash");
        cli(&["SET", &a, "1"]);
        cli(&["SET", &c, "3"]);
        cli(&["HSET", &hash, "f", "v"]);

        let values: Vec<Option<String>> = client.mget([&a, &missing, &c]).await.unwrap();
        assert_eq!(
            values,
            vec![Some("1".to_owned()), None, Some("3".to_owned())]
        );

        // Each element in the chosen type; a non-string key reads as nil.
        let values: Vec<Option<i64>> = client.mget(vec![&c, &hash, &a, &a]).await.unwrap();
        assert_eq!(values, vec![Some(3), None, Some(1), Some(1)]);

        // All missing: as many nils.
        let values: Vec<Option<Bytes>> = client
            .mget([unique_key("m1"), unique_key("m2")])
            .await
            .unwrap();
        assert_eq!(values, vec![None, None]);
    })
    .await;
}

#[tokio::test]
async fn mset_sets_every_pair() {
    each_protocol(|client| async move {
        let a = unique_key("mset-a");
        let b = unique_key("mset-b");
        let () = client.mset([(&a, "1"), (&b, "two")]).await.unwrap();
        assert_eq!(cli_bulk(&["GET", &a]).as_deref(), Some("1"));
        assert_eq!(cli_bulk(&["GET", &b]).as_deref(), Some("two"));

        // Overwrites; owned pairs from any iterator.
        let pairs: Vec<(String, String)> = vec![(a.clone(), "one".into()), (b.clone(), "".into())];
        client.mset(pairs).await.unwrap();
        assert_eq!(cli_bulk(&["GET", &a]).as_deref(), Some("one"));
        assert_eq!(cli_bulk(&["GET", &b]).as_deref(), Some(""));

        // Many pairs in one command.
        let keys: Vec<String> = (0..300).map(|i| unique_key(&format!("mset-{i}"))).collect();
        client
            .mset(keys.iter().enumerate().map(|(i, k)| (k, i as i64)))
            .await
            .unwrap();
        let back: Vec<Option<i64>> = client.mget(&keys).await.unwrap();
        assert_eq!(back, (0..300).map(Some).collect::<Vec<_>>());
        assert_eq!(cli_bulk(&["GET", &keys[299]]).as_deref(), Some("299"));
    })
    .await;
}

#[tokio::test]
async fn incr_and_incrby() {
    each_protocol(|client| async move {
        let key = unique_key("incr");
        assert_eq!(
            client.incr(&key).await.unwrap(),
            1,
            "a missing key counts from 0"
        );
        assert_eq!(client.incr(&key).await.unwrap(), 2);
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("2"));

        assert_eq!(client.incrby(&key, 10).await.unwrap(), 12);
        assert_eq!(client.incrby(&key, -15).await.unwrap(), -3);
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("-3"));
        assert_eq!(client.incr(&key).await.unwrap(), -2);

        let fresh = unique_key("incrby-fresh");
        assert_eq!(client.incrby(&fresh, -7).await.unwrap(), -7);
        assert_eq!(cli_bulk(&["GET", &fresh]).as_deref(), Some("-7"));

        // The full i64 range.
        let big = unique_key("incr-big");
        cli(&["SET", &big, &(i64::MAX - 1).to_string()]);
        assert_eq!(client.incr(&big).await.unwrap(), i64::MAX);
        assert_server_error(client.incr(&big).await, "ERR", "overflow");
        assert_eq!(client.incrby(&big, i64::MIN).await.unwrap(), -1);
        assert_eq!(client.incrby(&big, i64::MIN + 1).await.unwrap(), i64::MIN);

        // Not an integer: the server's error, value unchanged.
        let text = unique_key("incr-text");
        cli(&["SET", &text, "abc"]);
        assert_server_error(client.incr(&text).await, "ERR", "not an integer");
        assert_server_error(client.incrby(&text, 2).await, "ERR", "not an integer");
        assert_eq!(cli_bulk(&["GET", &text]).as_deref(), Some("abc"));
        assert_still_usable(&client).await;
    })
    .await;
}

#[tokio::test]
async fn incrbyfloat_returns_the_new_value() {
    each_protocol(|client| async move {
        let key = unique_key("incrbyfloat");
        cli(&["SET", &key, "10.5"]);
        let v: f64 = client.incrbyfloat(&key, 0.1).await.unwrap();
        assert_eq!(v, 10.6);
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("10.6"));

        let v = client.incrbyfloat(&key, -5.0).await.unwrap();
        assert_eq!(v, 5.6);
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("5.6"));

        // Small increments are written without losing digits.
        let v = client.incrbyfloat(&key, 2.5e-7).await.unwrap();
        assert!((v - 5.60000025).abs() < 1e-12, "{v}");
        let server: f64 = cli_bulk(&["GET", &key]).unwrap().parse().unwrap();
        assert_eq!(v, server, "the reply is the stored value");

        let fresh = unique_key("incrbyfloat-fresh");
        assert_eq!(client.incrbyfloat(&fresh, -1.25).await.unwrap(), -1.25);
        assert_eq!(cli_bulk(&["GET", &fresh]).as_deref(), Some("-1.25"));
        assert_eq!(client.incrbyfloat(&fresh, 3.0).await.unwrap(), 1.75);
        // Integral results.
        assert_eq!(client.incrbyfloat(&fresh, 0.25).await.unwrap(), 2.0);
        assert_eq!(cli_bulk(&["GET", &fresh]).as_deref(), Some("2"));
        assert_eq!(
            client.incrbyfloat(&fresh, 1e10).await.unwrap(),
            10_000_000_002.0
        );

        // Non-finite increments and non-numbers are the server's errors.
        assert_server_error(client.incrbyfloat(&fresh, f64::INFINITY).await, "ERR", "");
        assert_server_error(client.incrbyfloat(&fresh, f64::NAN).await, "ERR", "");
        let text = unique_key("incrbyfloat-text");
        cli(&["SET", &text, "abc"]);
        assert_server_error(
            client.incrbyfloat(&text, 1.0).await,
            "ERR",
            "not a valid float",
        );
        assert_still_usable(&client).await;
    })
    .await;
}

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

#[tokio::test]
async fn del_and_exists_count_keys() {
    each_protocol(|client| async move {
        let a = unique_key("del-a");
        let b = unique_key("del-b");
        let c = unique_key("del-c");
        let missing = unique_key("del-missing");
        cli(&["SET", &a, "1"]);
        cli(&["RPUSH", &b, "x"]);
        cli(&["HSET", &c, "f", "v"]);

        assert_eq!(client.exists([&a]).await.unwrap(), 1);
        assert_eq!(client.exists([&missing]).await.unwrap(), 0);
        assert_eq!(client.exists([&a, &b, &c, &missing]).await.unwrap(), 3);
        // Duplicates count each time they are named.
        assert_eq!(client.exists([&a, &a, &a]).await.unwrap(), 3);
        assert_eq!(client.exists(vec![&a, &missing, &a, &b]).await.unwrap(), 3);

        assert_eq!(client.del([&a, &b, &missing]).await.unwrap(), 2);
        assert!(!exists_raw(&a));
        assert!(!exists_raw(&b));
        assert!(exists_raw(&c));
        assert_eq!(client.exists([&a, &b, &c]).await.unwrap(), 1);

        // Deleted once even if named twice; nothing left to delete after.
        assert_eq!(client.del([&c, &c]).await.unwrap(), 1);
        assert!(!exists_raw(&c));
        assert_eq!(client.del([&a, &b, &c]).await.unwrap(), 0);

        // Many keys in one command.
        let keys: Vec<String> = (0..1_000)
            .map(|i| unique_key(&format!("del-{i}")))
            .collect();
        client.mset(keys.iter().map(|k| (k, "v"))).await.unwrap();
        assert_eq!(client.exists(&keys).await.unwrap(), 1_000);
        assert_eq!(client.del(&keys).await.unwrap(), 1_000);
        assert_eq!(cli_int(&["EXISTS", &keys[0], &keys[999]]), 0);

        // No keys at all is the server's arity error, not a hang.
        assert_server_error(client.del(Vec::<&str>::new()).await, "ERR", "wrong number");
        assert_server_error(
            client.exists(Vec::<&str>::new()).await,
            "ERR",
            "wrong number",
        );
        assert_still_usable(&client).await;
    })
    .await;
}

#[tokio::test]
async fn expire_plain_and_missing() {
    each_protocol(|client| async move {
        let missing = unique_key("expire-missing");
        let set: bool = client.expire(&missing, 100).await.unwrap();
        assert!(!set, "EXPIRE on a missing key is false");
        assert!(!exists_raw(&missing));

        let key = unique_key("expire");
        cli(&["SET", &key, "v"]);
        let set: bool = client.expire(&key, 100).await.unwrap();
        assert!(set);
        let pttl = pttl_raw(&key);
        assert!(90_000 < pttl && pttl <= 100_000, "pttl {pttl}");

        // A non-positive time deletes the key at once.
        let set = client.expire(&key, -1).await.unwrap();
        assert!(set);
        assert!(!exists_raw(&key), "EXPIRE -1 deletes the key");
    })
    .await;
}

#[tokio::test]
async fn expire_conditions_nx_xx_gt_lt() {
    each_protocol(|client| async move {
        // On a key without a TTL (an infinite TTL for GT/LT).
        let key = unique_key("expire-cond");
        cli(&["SET", &key, "v"]);
        assert!(
            !client.expire(&key, 100).xx().await.unwrap(),
            "XX needs a TTL"
        );
        assert_eq!(pttl_raw(&key), -1);
        assert!(
            !client.expire(&key, 100).gt().await.unwrap(),
            "nothing is greater than no TTL"
        );
        assert_eq!(pttl_raw(&key), -1);
        assert!(
            client.expire(&key, 200).lt().await.unwrap(),
            "any TTL is less than none"
        );
        let pttl = pttl_raw(&key);
        assert!(190_000 < pttl && pttl <= 200_000, "pttl {pttl}");

        // NX only without a TTL.
        let fresh = unique_key("expire-nx");
        cli(&["SET", &fresh, "v"]);
        assert!(client.expire(&fresh, 100).nx().await.unwrap());
        assert!(pttl_raw(&fresh) > 0);
        assert!(
            !client.expire(&fresh, 500).nx().await.unwrap(),
            "NX: already has a TTL"
        );
        let pttl = pttl_raw(&fresh);
        assert!(pttl <= 100_000, "NX kept the TTL: {pttl}");

        // With a TTL of ~200 s on `key`.
        assert!(client.expire(&key, 300).xx().await.unwrap());
        let pttl = pttl_raw(&key);
        assert!(290_000 < pttl && pttl <= 300_000, "pttl {pttl}");
        assert!(
            !client.expire(&key, 100).gt().await.unwrap(),
            "GT: 100 < 300"
        );
        assert!(pttl_raw(&key) > 290_000);
        assert!(
            client.expire(&key, 400).gt().await.unwrap(),
            "GT: 400 > 300"
        );
        assert!(pttl_raw(&key) > 390_000);
        assert!(
            !client.expire(&key, 500).lt().await.unwrap(),
            "LT: 500 > 400"
        );
        assert!(pttl_raw(&key) <= 400_000);
        assert!(client.expire(&key, 50).lt().await.unwrap(), "LT: 50 < 400");
        let pttl = pttl_raw(&key);
        assert!(40_000 < pttl && pttl <= 50_000, "pttl {pttl}");

        // Conditions on a missing key: false, nothing created.
        let missing = unique_key("expire-cond-missing");
        assert!(!client.expire(&missing, 10).nx().await.unwrap());
        assert!(!client.expire(&missing, 10).lt().await.unwrap());
        assert!(!exists_raw(&missing));

        // NX/XX/GT/LT are one option: the last one given is sent.
        assert!(
            client.expire(&key, 40).nx().lt().await.unwrap(),
            "LT replaces NX"
        );
        let pttl = pttl_raw(&key);
        assert!(30_000 < pttl && pttl <= 40_000, "pttl {pttl}");
        assert!(
            !client.expire(&key, 30).lt().nx().await.unwrap(),
            "NX replaces LT"
        );
        assert!(pttl_raw(&key) > 30_000);
    })
    .await;
}

#[tokio::test]
async fn ttl_missing_persistent_and_expiring() {
    each_protocol(|client| async move {
        let key = unique_key("ttl");
        assert_eq!(client.ttl(&key).await.unwrap(), -2, "missing key");
        cli(&["SET", &key, "v"]);
        assert_eq!(client.ttl(&key).await.unwrap(), -1, "no expiry");
        cli(&["EXPIRE", &key, "60"]);
        let ttl = client.ttl(&key).await.unwrap();
        assert!(0 < ttl && ttl <= 60, "ttl {ttl}");
        assert_eq!(ttl, cli_int(&["TTL", &key]));
        cli(&["PERSIST", &key]);
        assert_eq!(client.ttl(&key).await.unwrap(), -1);
    })
    .await;
}

#[tokio::test]
async fn type_of_every_kind_of_key() {
    each_protocol(|client| async move {
        let string = unique_key("type-string");
        let hash = unique_key("type-hash");
        let list = unique_key("type-list");
        let set = unique_key("type-set");
        let zset = unique_key("type-zset");
        let stream = unique_key("type-stream");
        let missing = unique_key("type-missing");
        client.set(&string, "v").await.unwrap();
        client.hset(&hash, [("f", "v")]).await.unwrap();
        client.lpush(&list, ["a"]).await.unwrap();
        client.sadd(&set, ["a"]).await.unwrap();
        client.zadd(&zset, [(1.0, "a")]).await.unwrap();
        client.xadd(&stream, "*", [("f", "v")]).await.unwrap();

        for (key, expected) in [
            (&string, "string"),
            (&hash, "hash"),
            (&list, "list"),
            (&set, "set"),
            (&zset, "zset"),
            (&stream, "stream"),
            (&missing, "none"),
        ] {
            let t: String = client.r#type(key).await.unwrap();
            assert_eq!(t, expected, "{key}");
            assert_eq!(cli_status(&["TYPE", key]), expected, "{key}");
        }
    })
    .await;
}

// ---------------------------------------------------------------------------
// Hashes
// ---------------------------------------------------------------------------

#[tokio::test]
async fn hset_counts_new_fields() {
    each_protocol(|client| async move {
        let key = unique_key("hset");
        let added = client
            .hset(&key, [("f1", "v1"), ("f2", "v2")])
            .await
            .unwrap();
        assert_eq!(added, 2);
        assert_eq!(cli_int(&["HLEN", &key]), 2);
        assert_eq!(cli_bulk(&["HGET", &key, "f1"]).as_deref(), Some("v1"));

        // Updating an existing field is not counted; the value is replaced.
        let added = client
            .hset(&key, vec![("f2", "new"), ("f3", "v3")])
            .await
            .unwrap();
        assert_eq!(added, 1);
        assert_eq!(cli_bulk(&["HGET", &key, "f2"]).as_deref(), Some("new"));
        assert_eq!(cli_int(&["HLEN", &key]), 3);

        // Owned pairs, numbers, and a map as the iterator.
        let owned = vec![(String::from("n"), 5i64.to_string())];
        assert_eq!(client.hset(&key, owned).await.unwrap(), 1);
        let numbers = [(1i64, 10i64), (2, 20)];
        assert_eq!(client.hset(&key, numbers).await.unwrap(), 2);
        assert_eq!(cli_bulk(&["HGET", &key, "2"]).as_deref(), Some("20"));
        let map: HashMap<&str, &str> = HashMap::from([("m1", "a"), ("m2", "b")]);
        assert_eq!(client.hset(&key, map).await.unwrap(), 2);
        assert_eq!(cli_int(&["HLEN", &key]), 8);

        // The same field twice in one call counts once and the last value wins.
        let dup = unique_key("hset-dup");
        assert_eq!(
            client.hset(&dup, [("f", "1"), ("f", "2")]).await.unwrap(),
            1
        );
        assert_eq!(cli_bulk(&["HGET", &dup, "f"]).as_deref(), Some("2"));

        // Against a string key: WRONGTYPE.
        let string = unique_key("hset-string");
        cli(&["SET", &string, "v"]);
        assert_server_error(
            client.hset(&string, [("f", "v")]).await,
            "WRONGTYPE",
            "wrong kind",
        );
    })
    .await;
}

#[tokio::test]
async fn hget_present_missing_field_and_key() {
    each_protocol(|client| async move {
        let key = unique_key("hget");
        cli(&["HSET", &key, "name", "ada", "age", "36", "empty", ""]);
        let name: Option<String> = client.hget(&key, "name").await.unwrap();
        assert_eq!(name.as_deref(), Some("ada"));
        let age: Option<u8> = client.hget(&key, "age").await.unwrap();
        assert_eq!(age, Some(36));
        let empty: Option<String> = client.hget(&key, "empty").await.unwrap();
        assert_eq!(empty.as_deref(), Some(""));
        let none: Option<String> = client.hget(&key, "nope").await.unwrap();
        assert_eq!(none, None);
        let none: Option<String> = client
            .hget(unique_key("hget-missing"), "name")
            .await
            .unwrap();
        assert_eq!(none, None);
    })
    .await;
}

#[tokio::test]
async fn hgetall_into_every_map_type() {
    each_protocol(|client| async move {
        let key = unique_key("hgetall");
        client
            .hset(&key, [("a", "1"), ("b", "2"), ("c", "30")])
            .await
            .unwrap();
        assert_eq!(cli_int(&["HLEN", &key]), 3);
        let expected: HashMap<String, String> = [("a", "1"), ("b", "2"), ("c", "30")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();

        let map: HashMap<String, String> = client.hgetall(&key).await.unwrap();
        assert_eq!(map, expected);

        let btree: BTreeMap<String, String> = client.hgetall(&key).await.unwrap();
        assert_eq!(
            btree.into_iter().collect::<Vec<_>>(),
            sorted(expected.clone().into_iter().collect())
        );

        let pairs: Vec<(String, String)> = client.hgetall(&key).await.unwrap();
        assert_eq!(pairs.len(), 3, "{pairs:?}");
        assert_eq!(
            sorted(pairs),
            sorted(expected.clone().into_iter().collect())
        );

        let numbers: HashMap<String, i64> = client.hgetall(&key).await.unwrap();
        assert_eq!(
            numbers,
            HashMap::from([("a".into(), 1), ("b".into(), 2), ("c".into(), 30)])
        );

        let bytes: BTreeMap<Bytes, Bytes> = client.hgetall(&key).await.unwrap();
        assert_eq!(bytes.get(&b"c"[..]), Some(&Bytes::from_static(b"30")));

        let some: Option<HashMap<String, String>> = client.hgetall(&key).await.unwrap();
        assert_eq!(some, Some(expected));

        // A missing key: an empty map, or None when asked for an Option.
        let missing = unique_key("hgetall-missing");
        let empty: HashMap<String, String> = client.hgetall(&missing).await.unwrap();
        assert!(empty.is_empty());
        let empty: Vec<(String, String)> = client.hgetall(&missing).await.unwrap();
        assert!(empty.is_empty());
        let none: Option<HashMap<String, String>> = client.hgetall(&missing).await.unwrap();
        assert_eq!(none, None);
        let none: Option<BTreeMap<String, i64>> = client.hgetall(&missing).await.unwrap();
        assert_eq!(none, None);

        // A value that does not fit the chosen type is a decode error.
        client.hset(&key, [("d", "not a number")]).await.unwrap();
        assert_decode_error(
            client.hgetall::<HashMap<String, i64>>(&key).await,
            "HGETALL",
        );
        assert_still_usable(&client).await;

        // A bigger hash (not a listpack on the server any more).
        let big = unique_key("hgetall-big");
        let fields: Vec<(String, String)> = (0..600)
            .map(|i| (format!("f{i}"), format!("v{i}")))
            .collect();
        assert_eq!(client.hset(&big, fields.clone()).await.unwrap(), 600);
        let all: HashMap<String, String> = client.hgetall(&big).await.unwrap();
        assert_eq!(all, fields.into_iter().collect::<HashMap<_, _>>());
    })
    .await;
}

#[tokio::test]
async fn hdel_counts_removed_fields() {
    each_protocol(|client| async move {
        let key = unique_key("hdel");
        cli(&["HSET", &key, "a", "1", "b", "2", "c", "3"]);
        assert_eq!(client.hdel(&key, ["a", "missing", "b"]).await.unwrap(), 2);
        assert_eq!(cli_int(&["HLEN", &key]), 1);
        assert_eq!(cli_bulk(&["HGET", &key, "a"]), None);
        assert_eq!(client.hdel(&key, ["a"]).await.unwrap(), 0);
        // The last field: the key goes.
        assert_eq!(client.hdel(&key, vec![String::from("c")]).await.unwrap(), 1);
        assert!(!exists_raw(&key));
        assert_eq!(client.hdel(&key, ["c"]).await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn hincrby_positive_negative_and_new_field() {
    each_protocol(|client| async move {
        let key = unique_key("hincrby");
        assert_eq!(client.hincrby(&key, "n", 5).await.unwrap(), 5);
        assert_eq!(client.hincrby(&key, "n", -7).await.unwrap(), -2);
        assert_eq!(cli_bulk(&["HGET", &key, "n"]).as_deref(), Some("-2"));
        assert_eq!(client.hincrby(&key, "other", 0).await.unwrap(), 0);
        assert_eq!(cli_bulk(&["HGET", &key, "other"]).as_deref(), Some("0"));

        cli(&["HSET", &key, "text", "abc"]);
        assert_server_error(
            client.hincrby(&key, "text", 1).await,
            "ERR",
            "not an integer",
        );
        assert_eq!(cli_bulk(&["HGET", &key, "text"]).as_deref(), Some("abc"));
    })
    .await;
}

// ---------------------------------------------------------------------------
// Lists
// ---------------------------------------------------------------------------

#[tokio::test]
async fn lpush_prepends_and_counts() {
    each_protocol(|client| async move {
        let key = unique_key("lpush");
        assert_eq!(client.lpush(&key, ["a", "b", "c"]).await.unwrap(), 3);
        assert_eq!(cli_strings(&["LRANGE", &key, "0", "-1"]), ["c", "b", "a"]);
        assert_eq!(
            client.lpush(&key, vec![String::from("d")]).await.unwrap(),
            4
        );
        assert_eq!(client.lpush(&key, [1i64, 2]).await.unwrap(), 6);
        assert_eq!(
            cli_strings(&["LRANGE", &key, "0", "-1"]),
            ["2", "1", "d", "c", "b", "a"]
        );

        let string = unique_key("lpush-string");
        cli(&["SET", &string, "v"]);
        assert_server_error(
            client.lpush(&string, ["x"]).await,
            "WRONGTYPE",
            "wrong kind",
        );
    })
    .await;
}

#[tokio::test]
async fn lpop_with_and_without_count() {
    each_protocol(|client| async move {
        let key = unique_key("lpop");
        cli(&["RPUSH", &key, "a", "b", "c", "d", "e"]);

        let first: Option<String> = client.lpop(&key).await.unwrap();
        assert_eq!(first.as_deref(), Some("a"));
        let two: Option<Vec<String>> = client.lpop(&key).count(2).await.unwrap();
        assert_eq!(two, Some(vec!["b".to_owned(), "c".to_owned()]));
        assert_eq!(cli_strings(&["LRANGE", &key, "0", "-1"]), ["d", "e"]);

        // Count 0 on a list: an empty array, nothing removed.
        let zero: Option<Vec<String>> = client.lpop(&key).count(0).await.unwrap();
        assert_eq!(zero, Some(vec![]));
        assert_eq!(cli_int(&["LLEN", &key]), 2);

        // More than there are: all of them; the empty list is removed.
        let rest: Option<Vec<Bytes>> = client.lpop(&key).count(10).await.unwrap();
        assert_eq!(
            rest,
            Some(vec![Bytes::from_static(b"d"), Bytes::from_static(b"e")])
        );
        assert!(!exists_raw(&key));

        // A missing key: nil either way.
        let none: Option<String> = client.lpop(&key).await.unwrap();
        assert_eq!(none, None);
        let none: Option<Vec<String>> = client.lpop(&key).count(3).await.unwrap();
        assert_eq!(none, None);

        // Elements in the chosen type.
        cli(&["RPUSH", &key, "10", "20"]);
        let n: Option<i64> = client.lpop(&key).await.unwrap();
        assert_eq!(n, Some(10));
        let ns: Option<Vec<u16>> = client.lpop(&key).count(1).await.unwrap();
        assert_eq!(ns, Some(vec![20]));

        // A negative count is the server's error.
        cli(&["RPUSH", &key, "x"]);
        assert_server_error(
            client.lpop::<String>(&key).count(-1).await,
            "ERR",
            "positive",
        );
        assert_eq!(cli_int(&["LLEN", &key]), 1);
    })
    .await;
}

#[tokio::test]
async fn lrange_ranges() {
    each_protocol(|client| async move {
        let key = unique_key("lrange");
        cli(&["RPUSH", &key, "a", "b", "c", "d"]);
        let all: Vec<String> = client.lrange(&key, 0, -1).await.unwrap();
        assert_eq!(all, ["a", "b", "c", "d"]);
        let middle: Vec<String> = client.lrange(&key, 1, 2).await.unwrap();
        assert_eq!(middle, ["b", "c"]);
        let tail: Vec<String> = client.lrange(&key, -2, -1).await.unwrap();
        assert_eq!(tail, ["c", "d"]);
        let beyond: Vec<String> = client.lrange(&key, 10, 20).await.unwrap();
        assert!(beyond.is_empty());
        let missing: Vec<String> = client
            .lrange(unique_key("lrange-missing"), 0, -1)
            .await
            .unwrap();
        assert!(missing.is_empty());

        let numbers = unique_key("lrange-numbers");
        cli(&["RPUSH", &numbers, "1", "-2", "3"]);
        let ints: Vec<i64> = client.lrange(&numbers, 0, -1).await.unwrap();
        assert_eq!(ints, [1, -2, 3]);
        let bytes: Vec<Bytes> = client.lrange(&numbers, 0, 0).await.unwrap();
        assert_eq!(bytes, [Bytes::from_static(b"1")]);
        assert_decode_error(client.lrange::<u32>(&numbers, 0, -1).await, "LRANGE");
        assert_still_usable(&client).await;
    })
    .await;
}

// ---------------------------------------------------------------------------
// Sets
// ---------------------------------------------------------------------------

#[tokio::test]
async fn sadd_counts_new_members() {
    each_protocol(|client| async move {
        let key = unique_key("sadd");
        assert_eq!(client.sadd(&key, ["a", "b", "a"]).await.unwrap(), 2);
        assert_eq!(client.sadd(&key, ["b", "c"]).await.unwrap(), 1);
        assert_eq!(client.sadd(&key, ["a"]).await.unwrap(), 0);
        assert_eq!(cli_int(&["SCARD", &key]), 3);
        assert_eq!(sorted(cli_strings(&["SMEMBERS", &key])), ["a", "b", "c"]);

        // Many members in one command.
        let big = unique_key("sadd-big");
        assert_eq!(client.sadd(&big, 0..10_000i64).await.unwrap(), 10_000);
        assert_eq!(cli_int(&["SCARD", &big]), 10_000);
        assert_eq!(cli_int(&["SISMEMBER", &big, "9999"]), 1);
    })
    .await;
}

#[tokio::test]
async fn smembers_order_insensitive() {
    each_protocol(|client| async move {
        let key = unique_key("smembers");
        cli(&["SADD", &key, "x", "y", "z", ""]);
        let members: Vec<String> = client.smembers(&key).await.unwrap();
        assert_eq!(sorted(members), ["", "x", "y", "z"]);

        let numbers = unique_key("smembers-numbers");
        cli(&["SADD", &numbers, "3", "1", "2"]);
        let ints: Vec<i32> = client.smembers(&numbers).await.unwrap();
        assert_eq!(sorted(ints), [1, 2, 3]);

        let missing: Vec<String> = client
            .smembers(unique_key("smembers-missing"))
            .await
            .unwrap();
        assert!(missing.is_empty());
    })
    .await;
}

// ---------------------------------------------------------------------------
// Sorted sets
// ---------------------------------------------------------------------------

#[tokio::test]
async fn zadd_plain_and_ch() {
    each_protocol(|client| async move {
        let key = unique_key("zadd");
        assert_eq!(
            client.zadd(&key, [(1.0, "a"), (2.0, "b")]).await.unwrap(),
            2
        );
        assert_eq!(cli_int(&["ZCARD", &key]), 2);
        // Updating a score is not counted without CH...
        assert_eq!(
            client.zadd(&key, [(5.0, "a"), (3.0, "c")]).await.unwrap(),
            1
        );
        assert_eq!(zscore_raw(&key, "a"), Some(5.0));
        // ...and is with CH; an unchanged score is not a change.
        assert_eq!(
            client
                .zadd(&key, [(6.0, "a"), (2.0, "b"), (4.0, "d")])
                .ch()
                .await
                .unwrap(),
            2
        );
        assert_eq!(zscore_raw(&key, "a"), Some(6.0));
        assert_eq!(cli_int(&["ZCARD", &key]), 4);

        // Scores are written exactly, including fractions, negatives and infinities.
        let scores = unique_key("zadd-scores");
        client
            .zadd(
                &scores,
                [
                    (0.1, "tenth"),
                    (-2.5, "neg"),
                    (1e-7, "tiny"),
                    (f64::INFINITY, "top"),
                    (f64::NEG_INFINITY, "bottom"),
                    (123456789.125, "big"),
                ],
            )
            .await
            .unwrap();
        assert_eq!(zscore_raw(&scores, "tenth"), Some(0.1));
        assert_eq!(zscore_raw(&scores, "neg"), Some(-2.5));
        assert_eq!(zscore_raw(&scores, "tiny"), Some(1e-7));
        assert_eq!(zscore_raw(&scores, "top"), Some(f64::INFINITY));
        assert_eq!(zscore_raw(&scores, "bottom"), Some(f64::NEG_INFINITY));
        assert_eq!(zscore_raw(&scores, "big"), Some(123456789.125));

        // NaN is the server's error.
        assert_server_error(client.zadd(&scores, [(f64::NAN, "nan")]).await, "ERR", "");
        assert_eq!(cli_int(&["ZCARD", &scores]), 6);
    })
    .await;
}

#[tokio::test]
async fn zadd_nx_xx_gt_lt() {
    each_protocol(|client| async move {
        let key = unique_key("zadd-cond");
        cli(&["ZADD", &key, "10", "a"]);

        // NX: only new members.
        assert_eq!(
            client
                .zadd(&key, [(1.0, "a"), (2.0, "b")])
                .nx()
                .await
                .unwrap(),
            1
        );
        assert_eq!(zscore_raw(&key, "a"), Some(10.0));
        assert_eq!(zscore_raw(&key, "b"), Some(2.0));

        // XX: only existing members (updates are not counted without CH).
        assert_eq!(
            client
                .zadd(&key, [(11.0, "a"), (3.0, "c")])
                .xx()
                .await
                .unwrap(),
            0
        );
        assert_eq!(zscore_raw(&key, "a"), Some(11.0));
        assert_eq!(zscore_raw(&key, "c"), None);
        assert_eq!(client.zadd(&key, [(12.0, "a")]).xx().ch().await.unwrap(), 1);

        // GT: only raises scores (new members are still added).
        assert_eq!(
            client
                .zadd(&key, [(5.0, "a"), (7.0, "b"), (1.0, "c")])
                .gt()
                .ch()
                .await
                .unwrap(),
            2,
            "b raised, c added, a not lowered"
        );
        assert_eq!(zscore_raw(&key, "a"), Some(12.0));
        assert_eq!(zscore_raw(&key, "b"), Some(7.0));
        assert_eq!(zscore_raw(&key, "c"), Some(1.0));

        // LT: only lowers scores.
        assert_eq!(
            client
                .zadd(&key, [(20.0, "a"), (6.0, "b")])
                .lt()
                .ch()
                .await
                .unwrap(),
            1
        );
        assert_eq!(zscore_raw(&key, "a"), Some(12.0));
        assert_eq!(zscore_raw(&key, "b"), Some(6.0));

        // XX + GT: update existing members upwards only, add nothing.
        assert_eq!(
            client
                .zadd(&key, [(13.0, "a"), (0.0, "b"), (1.0, "new")])
                .xx()
                .gt()
                .ch()
                .await
                .unwrap(),
            1
        );
        assert_eq!(zscore_raw(&key, "a"), Some(13.0));
        assert_eq!(zscore_raw(&key, "b"), Some(6.0));
        assert_eq!(zscore_raw(&key, "new"), None);

        // NX with GT is rejected by the server.
        assert_server_error(client.zadd(&key, [(1.0, "z")]).nx().gt().await, "ERR", "");
        assert_eq!(zscore_raw(&key, "z"), None);
    })
    .await;
}

#[tokio::test]
async fn zadd_incr() {
    each_protocol(|client| async move {
        let key = unique_key("zadd-incr");
        let score: Option<f64> = client.zadd(&key, [(1.5, "m")]).incr().await.unwrap();
        assert_eq!(score, Some(1.5));
        let score = client.zadd(&key, [(2.25, "m")]).incr().await.unwrap();
        assert_eq!(score, Some(3.75));
        assert_eq!(zscore_raw(&key, "m"), Some(3.75));
        let score = client.zadd(&key, [(-0.75, "m")]).incr().await.unwrap();
        assert_eq!(score, Some(3.0));

        // Blocked by a condition: nil, and the score is unchanged.
        let blocked = client.zadd(&key, [(1.0, "m")]).nx().incr().await.unwrap();
        assert_eq!(blocked, None, "NX blocks INCR of an existing member");
        assert_eq!(zscore_raw(&key, "m"), Some(3.0));
        let blocked = client
            .zadd(&key, [(1.0, "other")])
            .xx()
            .incr()
            .await
            .unwrap();
        assert_eq!(blocked, None, "XX blocks INCR of a new member");
        assert_eq!(zscore_raw(&key, "other"), None);
        let blocked = client.zadd(&key, [(-1.0, "m")]).gt().incr().await.unwrap();
        assert_eq!(blocked, None, "GT blocks a decrement");
        assert_eq!(zscore_raw(&key, "m"), Some(3.0));

        // NX + INCR of a new member goes through.
        let added = client
            .zadd(&key, [(4.0, "fresh")])
            .nx()
            .incr()
            .await
            .unwrap();
        assert_eq!(added, Some(4.0));

        // INCR takes exactly one pair.
        assert_server_error(
            client.zadd(&key, [(1.0, "a"), (2.0, "b")]).incr().await,
            "ERR",
            "INCR",
        );
        assert_still_usable(&client).await;
    })
    .await;
}

#[tokio::test]
async fn zrange_by_rank_score_and_lex() {
    each_protocol(|client| async move {
        let key = unique_key("zrange");
        cli(&["ZADD", &key, "1", "a", "2", "b", "3", "c", "4", "d"]);

        let all: Vec<String> = client.zrange(&key, 0, -1).await.unwrap();
        assert_eq!(all, ["a", "b", "c", "d"]);
        let some: Vec<String> = client.zrange(&key, 1, 2).await.unwrap();
        assert_eq!(some, ["b", "c"]);

        let scored: Vec<(String, f64)> = client.zrange(&key, 0, -1).withscores().await.unwrap();
        assert_eq!(
            scored,
            [
                ("a".to_owned(), 1.0),
                ("b".to_owned(), 2.0),
                ("c".to_owned(), 3.0),
                ("d".to_owned(), 4.0)
            ]
        );

        let rev: Vec<String> = client.zrange(&key, 0, -1).rev().await.unwrap();
        assert_eq!(rev, ["d", "c", "b", "a"]);
        let rev_top: Vec<(String, f64)> =
            client.zrange(&key, 0, 0).rev().withscores().await.unwrap();
        assert_eq!(rev_top, [("d".to_owned(), 4.0)]);

        let by_score: Vec<String> = client.zrange(&key, "-inf", "+inf").byscore().await.unwrap();
        assert_eq!(by_score, ["a", "b", "c", "d"]);
        let exclusive: Vec<String> = client.zrange(&key, "(1", "3").byscore().await.unwrap();
        assert_eq!(exclusive, ["b", "c"]);
        let numeric: Vec<String> = client.zrange(&key, 2.5, 10).byscore().await.unwrap();
        assert_eq!(numeric, ["c", "d"]);
        let limited: Vec<String> = client
            .zrange(&key, "-inf", "+inf")
            .byscore()
            .limit(1, 2)
            .await
            .unwrap();
        assert_eq!(limited, ["b", "c"]);
        let limited_rev: Vec<(String, f64)> = client
            .zrange(&key, "+inf", "(1")
            .byscore()
            .rev()
            .limit(0, 2)
            .withscores()
            .await
            .unwrap();
        assert_eq!(limited_rev, [("d".to_owned(), 4.0), ("c".to_owned(), 3.0)]);
        // Options in any order build the same command.
        let reordered: Vec<(String, f64)> = client
            .zrange(&key, "+inf", "(1")
            .withscores()
            .limit(0, 2)
            .rev()
            .byscore()
            .await
            .unwrap();
        assert_eq!(reordered, limited_rev);
        let none: Vec<String> = client.zrange(&key, "(4", "+inf").byscore().await.unwrap();
        assert!(none.is_empty());

        // BYLEX over members of equal score.
        let lex = unique_key("zrange-lex");
        cli(&[
            "ZADD", &lex, "0", "apple", "0", "banana", "0", "cherry", "0", "date",
        ]);
        let range: Vec<String> = client.zrange(&lex, "[b", "(d").bylex().await.unwrap();
        assert_eq!(range, ["banana", "cherry"]);
        let range: Vec<String> = client
            .zrange(&lex, "+", "-")
            .bylex()
            .rev()
            .limit(1, 2)
            .await
            .unwrap();
        assert_eq!(range, ["cherry", "banana"]);

        // Members in other types; scores of every form.
        let numbers = unique_key("zrange-numbers");
        cli(&["ZADD", &numbers, "0.5", "10", "-inf", "20", "inf", "30"]);
        let scored: Vec<(i64, f64)> = client.zrange(&numbers, 0, -1).withscores().await.unwrap();
        assert_eq!(
            scored,
            [(20, f64::NEG_INFINITY), (10, 0.5), (30, f64::INFINITY)]
        );
        let bytes: Vec<Bytes> = client.zrange(&numbers, 0, 0).await.unwrap();
        assert_eq!(bytes, [Bytes::from_static(b"20")]);

        // A missing key: empty.
        let missing: Vec<(String, f64)> = client
            .zrange(unique_key("zrange-missing"), 0, -1)
            .withscores()
            .await
            .unwrap();
        assert!(missing.is_empty());

        // LIMIT without BYSCORE/BYLEX is the server's error.
        assert_server_error(
            client.zrange::<String>(&key, 0, -1).limit(0, 1).await,
            "ERR",
            "LIMIT",
        );
        assert_still_usable(&client).await;
    })
    .await;
}

#[tokio::test]
async fn zscore_present_and_missing() {
    each_protocol(|client| async move {
        let key = unique_key("zscore");
        cli(&["ZADD", &key, "1.5", "a", "0.1", "b", "inf", "c", "-3", "d"]);
        assert_eq!(client.zscore(&key, "a").await.unwrap(), Some(1.5));
        assert_eq!(client.zscore(&key, "b").await.unwrap(), Some(0.1));
        assert_eq!(client.zscore(&key, "c").await.unwrap(), Some(f64::INFINITY));
        assert_eq!(client.zscore(&key, "d").await.unwrap(), Some(-3.0));
        assert_eq!(client.zscore(&key, "nope").await.unwrap(), None);
        assert_eq!(
            client
                .zscore(unique_key("zscore-missing"), "a")
                .await
                .unwrap(),
            None
        );

        // What ZADD wrote reads back the same.
        client.zadd(&key, [(1.0 / 3.0, "third")]).await.unwrap();
        assert_eq!(client.zscore(&key, "third").await.unwrap(), Some(1.0 / 3.0));
    })
    .await;
}

// ---------------------------------------------------------------------------
// Streams
// ---------------------------------------------------------------------------

#[tokio::test]
async fn xadd_auto_and_explicit_ids() {
    each_protocol(|client| async move {
        let key = unique_key("xadd");
        let id: String = client
            .xadd(&key, "*", [("field", "value"), ("other", "2")])
            .await
            .unwrap();
        let (ms, _) = parse_stream_id(&id);
        let now = unix_millis() as u64;
        assert!(
            ms <= now && now - ms < 60_000,
            "id {id} is about now ({now})"
        );
        assert_eq!(cli_int(&["XLEN", &key]), 1);
        let entries = cli(&["XRANGE", &key, "-", "+"]);
        assert!(entries.contains(&id), "{entries}");
        assert!(
            entries.contains("field") && entries.contains("value") && entries.contains("other")
        );

        // Auto ids grow.
        let next = client.xadd(&key, "*", [("n", "2")]).await.unwrap();
        assert!(
            parse_stream_id(&next) > parse_stream_id(&id),
            "{next} after {id}"
        );
        assert_eq!(cli_int(&["XLEN", &key]), 2);

        // The spec's `*` token as a value.
        let third = client
            .xadd(&key, cmd::XaddIdOrAuto::AutoId, [("n", "3")])
            .await
            .unwrap();
        assert!(parse_stream_id(&third) > parse_stream_id(&next));
        assert_eq!(cli_int(&["XLEN", &key]), 3);

        // On a key of another type: WRONGTYPE, with or without NOMKSTREAM.
        let string = unique_key("xadd-string");
        cli(&["SET", &string, "v"]);
        assert_server_error(
            client.xadd(&string, "*", [("f", "v")]).await,
            "WRONGTYPE",
            "wrong kind",
        );
        assert_server_error(
            client.xadd(&string, "*", [("f", "v")]).nomkstream().await,
            "WRONGTYPE",
            "wrong kind",
        );

        // An explicit id is used as given.
        let explicit = unique_key("xadd-explicit");
        let id = client.xadd(&explicit, "5-1", [("f", "v")]).await.unwrap();
        assert_eq!(id, "5-1");
        let id = client
            .xadd(&explicit, String::from("5-*"), [("f", "v")])
            .await
            .unwrap();
        assert_eq!(id, "5-2");
        let id = client.xadd(&explicit, "7", [("f", "v")]).await.unwrap();
        assert_eq!(id, "7-0");
        assert_eq!(cli_int(&["XLEN", &explicit]), 3);
        assert!(cli(&["XRANGE", &explicit, "-", "+"]).contains("5-2"));

        // An id not above the last is the server's error; nothing is added.
        assert_server_error(
            client.xadd(&explicit, "6-0", [("f", "v")]).await,
            "ERR",
            "equal or smaller",
        );
        assert_eq!(cli_int(&["XLEN", &explicit]), 3);
        assert_still_usable(&client).await;
    })
    .await;
}

#[tokio::test]
async fn xadd_trims_with_maxlen_and_minid() {
    each_protocol(|client| async move {
        // MAXLEN (exact): keeps the newest entries.
        let key = unique_key("xadd-maxlen");
        for i in 1..=5 {
            client
                .xadd(&key, format!("{i}-0"), [("i", i)])
                .await
                .unwrap();
        }
        let id = client
            .xadd(&key, "6-0", [("i", 6)])
            .maxlen(3)
            .await
            .unwrap();
        assert_eq!(id, "6-0");
        assert_eq!(cli_int(&["XLEN", &key]), 3);
        assert!(cli(&["XRANGE", &key, "-", "+"]).starts_with("*3\r\n*2\r\n$3\r\n4-0\r\n"));
        client
            .xadd(&key, "7-0", [("i", 7)])
            .maxlen("2")
            .equal()
            .await
            .unwrap();
        assert_eq!(cli_int(&["XLEN", &key]), 2);

        // MINID (exact): drops entries below the id.
        let minid = unique_key("xadd-minid");
        for i in 1..=5 {
            client
                .xadd(&minid, format!("{i}-1"), [("i", i)])
                .await
                .unwrap();
        }
        client
            .xadd(&minid, "6-1", [("i", 6)])
            .minid("3")
            .await
            .unwrap();
        assert_eq!(cli_int(&["XLEN", &minid]), 4, "3-1, 4-1, 5-1, 6-1 remain");
        assert!(cli(&["XRANGE", &minid, "-", "+"]).starts_with("*4\r\n*2\r\n$3\r\n3-1\r\n"));
        client
            .xadd(&minid, "7-1", [("i", 7)])
            .equal()
            .minid("5-1")
            .await
            .unwrap();
        assert_eq!(cli_int(&["XLEN", &minid]), 3);

        // Approximate trimming only removes whole nodes: a stream within one
        // node (default stream-node-max-entries 100) is left as it is.
        let node_max = cli_strings(&["CONFIG", "GET", "stream-node-max-entries"]);
        assert_eq!(node_max[1], "100");
        let approx = unique_key("xadd-approx");
        for i in 1..=10 {
            client.xadd(&approx, "*", [("i", i)]).await.unwrap();
        }
        client
            .xadd(&approx, "*", [("i", 11)])
            .maxlen(3)
            .approximately()
            .await
            .unwrap();
        assert_eq!(
            cli_int(&["XLEN", &approx]),
            11,
            "~ trims nothing within a node"
        );
        client
            .xadd(&approx, "*", [("i", 12)])
            .approximately()
            .maxlen(3)
            .limit(50)
            .await
            .unwrap();
        assert_eq!(cli_int(&["XLEN", &approx]), 12);

        // LIMIT needs `~`: the server says so.
        assert_server_error(
            client
                .xadd(&approx, "*", [("i", 13)])
                .maxlen(3)
                .limit(10)
                .await,
            "ERR",
            "LIMIT",
        );
        assert_eq!(cli_int(&["XLEN", &approx]), 12);
    })
    .await;
}

#[tokio::test]
async fn xadd_approximate_trim_honours_limit() {
    // Small stream nodes so that `~` trimming is observable: a server of its own.
    let server = Server::builder()
        .config("stream-node-max-entries", "2")
        .start();
    for protocol in PROTOCOLS {
        let client = client_on(&server, protocol).await;
        let key = unique_key("xadd-limit");
        for i in 1..=10 {
            client
                .xadd(&key, format!("{i}-0"), [("i", i)])
                .await
                .unwrap();
        }
        assert_eq!(server.cli(&["XLEN", &key]), ":10\r\n");

        // At most 2 entries (one node) may go with LIMIT 2.
        client
            .xadd(&key, "11-0", [("i", 11)])
            .maxlen(0)
            .approximately()
            .limit(2)
            .await
            .unwrap();
        assert_eq!(server.cli(&["XLEN", &key]), ":9\r\n", "{protocol:?}");
        assert!(
            server
                .cli(&["XRANGE", &key, "-", "+"])
                .starts_with("*9\r\n*2\r\n$3\r\n3-0\r\n"),
            "{protocol:?}: the oldest node went"
        );

        // Without LIMIT every whole node above the threshold goes.
        client
            .xadd(&key, "12-0", [("i", 12)])
            .minid("9")
            .approximately()
            .await
            .unwrap();
        let len: i64 = parse_int(&server.cli(&["XLEN", &key])).unwrap();
        assert!((4..=6).contains(&len), "{protocol:?}: XLEN {len}");
        assert!(
            server.cli(&["XRANGE", &key, "-", "+"]).contains("12-0"),
            "{protocol:?}: the new entry stays"
        );
    }
}

#[tokio::test]
async fn xadd_nomkstream() {
    each_protocol(|client| async move {
        let key = unique_key("xadd-nomkstream");
        let none: Option<String> = client
            .xadd(&key, "*", [("f", "v")])
            .nomkstream()
            .await
            .unwrap();
        assert_eq!(none, None, "NOMKSTREAM on a missing key adds nothing");
        assert!(!exists_raw(&key), "and does not create the stream");

        client.xadd(&key, "1-0", [("f", "v")]).await.unwrap();
        let some: Option<String> = client
            .xadd(&key, "2-0", [("f", "v")])
            .nomkstream()
            .await
            .unwrap();
        assert_eq!(some.as_deref(), Some("2-0"));
        assert_eq!(cli_int(&["XLEN", &key]), 2);

        // With trimming too.
        let some = client
            .xadd(&key, "3-0", [("f", "v")])
            .nomkstream()
            .maxlen(1)
            .await
            .unwrap();
        assert_eq!(some.as_deref(), Some("3-0"));
        assert_eq!(cli_int(&["XLEN", &key]), 1);
    })
    .await;
}

// ---------------------------------------------------------------------------
// Decoding user data into the type the caller picks
// ---------------------------------------------------------------------------

#[tokio::test]
async fn user_data_decodes_into_the_chosen_type() {
    each_protocol(|client| async move {
        let key = unique_key("decode");
        let missing = unique_key("decode-missing");

        cli(&["SET", &key, "123"]);
        let s: Option<String> = client.get(&key).await.unwrap();
        assert_eq!(s.as_deref(), Some("123"));
        let v: Option<Vec<u8>> = client.get(&key).await.unwrap();
        assert_eq!(v.as_deref(), Some(&b"123"[..]));
        let b: Option<Bytes> = client.get(&key).await.unwrap();
        assert_eq!(b, Some(Bytes::from_static(b"123")));
        let i: Option<i64> = client.get(&key).await.unwrap();
        assert_eq!(i, Some(123));
        let u: Option<u32> = client.get(&key).await.unwrap();
        assert_eq!(u, Some(123));
        let f: Option<f64> = client.get(&key).await.unwrap();
        assert_eq!(f, Some(123.0));
        let raw: Option<Value> = client.get(&key).await.unwrap();
        assert_eq!(raw, Some(Value::Bulk(Bytes::from_static(b"123"))));

        // Missing: None for every type.
        assert_eq!(client.get::<String>(&missing).await.unwrap(), None);
        assert_eq!(client.get::<Vec<u8>>(&missing).await.unwrap(), None);
        assert_eq!(client.get::<Bytes>(&missing).await.unwrap(), None);
        assert_eq!(client.get::<i64>(&missing).await.unwrap(), None);
        assert_eq!(client.get::<u32>(&missing).await.unwrap(), None);
        assert_eq!(client.get::<f64>(&missing).await.unwrap(), None);
        assert_eq!(client.get::<bool>(&missing).await.unwrap(), None);

        // Integers: sign, range and limits.
        cli(&["SET", &key, "-42"]);
        assert_eq!(client.get::<i64>(&key).await.unwrap(), Some(-42));
        assert_decode_error(client.get::<u32>(&key).await, "GET");
        cli(&["SET", &key, &i64::MIN.to_string()]);
        assert_eq!(client.get::<i64>(&key).await.unwrap(), Some(i64::MIN));
        cli(&["SET", &key, &u32::MAX.to_string()]);
        assert_eq!(client.get::<u32>(&key).await.unwrap(), Some(u32::MAX));
        cli(&["SET", &key, &(u64::from(u32::MAX) + 1).to_string()]);
        assert_decode_error(client.get::<u32>(&key).await, "GET");
        cli(&["SET", &key, "12abc"]);
        assert_decode_error(client.get::<i64>(&key).await, "GET");
        cli(&["SET", &key, "1.5"]);
        assert_decode_error(client.get::<i64>(&key).await, "GET");

        // Floats: Redis's float text.
        assert_eq!(client.get::<f64>(&key).await.unwrap(), Some(1.5));
        for (text, expected) in [
            ("-0.25", -0.25),
            ("1e3", 1000.0),
            ("inf", f64::INFINITY),
            ("-inf", f64::NEG_INFINITY),
            ("0.1", 0.1),
        ] {
            cli(&["SET", &key, text]);
            assert_eq!(
                client.get::<f64>(&key).await.unwrap(),
                Some(expected),
                "{text}"
            );
        }
        cli(&["SET", &key, "one"]);
        assert_decode_error(client.get::<f64>(&key).await, "GET");

        // Booleans: 1/0 and true/false.
        for (text, expected) in [("1", true), ("0", false), ("true", true), ("false", false)] {
            cli(&["SET", &key, text]);
            assert_eq!(
                client.get::<bool>(&key).await.unwrap(),
                Some(expected),
                "{text}"
            );
        }
        cli(&["SET", &key, "2"]);
        assert_decode_error(client.get::<bool>(&key).await, "GET");
        cli(&["SET", &key, "yes"]);
        assert_decode_error(client.get::<bool>(&key).await, "GET");

        // Text must be UTF-8 for String; bytes take anything.
        client.set(&key, &b"\xff\xfe"[..]).await.unwrap();
        assert_decode_error(client.get::<String>(&key).await, "GET");
        assert_eq!(
            client.get::<Vec<u8>>(&key).await.unwrap(),
            Some(vec![0xff, 0xfe])
        );
        // Non-ASCII UTF-8 is text.
        client.set(&key, "grüße, 世界 🦀").await.unwrap();
        assert_eq!(
            client.get::<String>(&key).await.unwrap().as_deref(),
            Some("grüße, 世界 🦀")
        );
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("grüße, 世界 🦀"));

        // After all those decode errors the connection is in step.
        assert_still_usable(&client).await;
    })
    .await;
}

#[tokio::test]
async fn binary_values_round_trip_exactly() {
    each_protocol(|client| async move {
        let key = unique_key("binary");
        let tricky: &[u8] =
            b"\0a\r\nb\r\n\r\n$-1\r\n*1\r\n:1\r\n+OK\r\n-ERR x\r\n\xff\x00\xc3\x28\0";

        client.set(&key, tricky).await.unwrap();
        assert_eq!(cli_int(&["STRLEN", &key]), tricky.len() as i64);
        let v: Option<Vec<u8>> = client.get(&key).await.unwrap();
        assert_eq!(v.as_deref(), Some(tricky));
        let b: Option<Bytes> = client.get(&key).await.unwrap();
        assert_eq!(b.as_deref(), Some(tricky));

        // Owned and shared argument forms write the same bytes.
        client.set(&key, tricky.to_vec()).await.unwrap();
        assert_eq!(
            client.get::<Vec<u8>>(&key).await.unwrap().as_deref(),
            Some(tricky)
        );
        client
            .set(&key, Bytes::copy_from_slice(tricky))
            .await
            .unwrap();
        assert_eq!(
            client.get::<Bytes>(&key).await.unwrap().as_deref(),
            Some(tricky)
        );

        // Every byte value.
        let all: Vec<u8> = (0..=255u8).collect();
        client.set(&key, &all).await.unwrap();
        assert_eq!(cli_int(&["STRLEN", &key]), 256);
        assert_eq!(
            cli_bulk(&["GETRANGE", &key, "48", "57"]).as_deref(),
            Some("0123456789")
        );
        assert_eq!(
            client.get::<Vec<u8>>(&key).await.unwrap(),
            Some(all.clone())
        );

        // Binary keys, with CR, LF and NUL in them.
        let bin_key = format!("{}\0\r\n key", unique_key("binary-key"));
        client.set(&bin_key, "under a binary key").await.unwrap();
        assert_eq!(
            cli_bulk(&["GET", &bin_key]).as_deref(),
            Some("under a binary key")
        );
        assert_eq!(
            client
                .get::<String>(bin_key.as_bytes())
                .await
                .unwrap()
                .as_deref(),
            Some("under a binary key")
        );

        // In hashes, lists, sets, sorted sets and streams too.
        let hash = unique_key("binary-hash");
        client.hset(&hash, [(tricky, tricky)]).await.unwrap();
        let map: HashMap<Bytes, Bytes> = client.hgetall(&hash).await.unwrap();
        assert_eq!(map.len(), 1);
        assert_eq!(map.get(tricky).map(|v| &v[..]), Some(tricky));
        assert_eq!(
            client
                .hget::<Vec<u8>>(&hash, tricky)
                .await
                .unwrap()
                .as_deref(),
            Some(tricky)
        );

        let list = unique_key("binary-list");
        client
            .lpush(&list, [tricky, &b"\r\n"[..], &b""[..]])
            .await
            .unwrap();
        let items: Vec<Vec<u8>> = client.lrange(&list, 0, -1).await.unwrap();
        assert_eq!(items, [b"".to_vec(), b"\r\n".to_vec(), tricky.to_vec()]);

        let set = unique_key("binary-set");
        client.sadd(&set, [tricky, &b"\0"[..]]).await.unwrap();
        let members: Vec<Vec<u8>> = client.smembers(&set).await.unwrap();
        assert_eq!(
            sorted(members),
            sorted(vec![tricky.to_vec(), b"\0".to_vec()])
        );

        let zset = unique_key("binary-zset");
        client.zadd(&zset, [(1.0, tricky)]).await.unwrap();
        let scored: Vec<(Bytes, f64)> = client.zrange(&zset, 0, -1).withscores().await.unwrap();
        assert_eq!(scored, [(Bytes::copy_from_slice(tricky), 1.0)]);
        assert_eq!(client.zscore(&zset, tricky).await.unwrap(), Some(1.0));

        // Large values cross many socket reads intact.
        let big: Vec<u8> = (0..(3 << 20) + 7).map(|i: u32| (i % 251) as u8).collect();
        client.set(&key, &big).await.unwrap();
        assert_eq!(cli_int(&["STRLEN", &key]), big.len() as i64);
        let back: Option<Bytes> = client.get(&key).await.unwrap();
        assert!(back.as_deref() == Some(&big[..]), "3 MiB value differs");
        assert_still_usable(&client).await;
    })
    .await;
}

// ---------------------------------------------------------------------------
// Commands as values, and raw commands
// ---------------------------------------------------------------------------

#[tokio::test]
async fn cmd_values_sent_with_send() {
    each_protocol(|client| async move {
        let key = unique_key("send");
        let () = client.send(cmd::set(&key, "v")).await.unwrap();
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("v"));
        let v: Option<String> = client.send(cmd::get(&key)).await.unwrap();
        assert_eq!(v.as_deref(), Some("v"));
        let set: bool = client.send(cmd::set(&key, "w").nx()).await.unwrap();
        assert!(!set);
        let old: Option<String> = client
            .send(cmd::set(&key, "w").get().ex(100))
            .await
            .unwrap();
        assert_eq!(old.as_deref(), Some("v"));
        assert!(pttl_raw(&key) > 0);

        let counter = unique_key("send-counter");
        let n: i64 = client.send(cmd::incr(&counter)).await.unwrap();
        assert_eq!(n, 1);
        assert_eq!(client.send(cmd::incrby(&counter, 41)).await.unwrap(), 42);
        assert_eq!(cli_bulk(&["GET", &counter]).as_deref(), Some("42"));

        let pong: String = client.send(cmd::ping()).await.unwrap();
        assert_eq!(pong, "PONG");

        let zset = unique_key("send-zset");
        assert_eq!(
            client
                .send(cmd::zadd(&zset, [(1.0, "a"), (2.0, "b")]))
                .await
                .unwrap(),
            2
        );
        let scored: Vec<(String, f64)> = client
            .send(cmd::zrange(&zset, 0, -1).rev().withscores())
            .await
            .unwrap();
        assert_eq!(scored, [("b".to_owned(), 2.0), ("a".to_owned(), 1.0)]);

        let hash = unique_key("send-hash");
        client.send(cmd::hset(&hash, [("f", "1")])).await.unwrap();
        let map: BTreeMap<String, u8> = client.send(cmd::hgetall(&hash)).await.unwrap();
        assert_eq!(map, BTreeMap::from([("f".to_owned(), 1)]));

        let stream = unique_key("send-stream");
        let none: Option<String> = client
            .send(cmd::xadd(&stream, "*", [("f", "v")]).nomkstream())
            .await
            .unwrap();
        assert_eq!(none, None);

        // A command value can be built first and sent later, also concurrently.
        let a = cmd::get::<String>(&key);
        let b = cmd::exists([&key, &counter, &hash]);
        let c = cmd::lpop::<String>(unique_key("send-missing")).count(2);
        let (a, b, c) = tokio::join!(client.send(a), client.send(b), client.send(c));
        assert_eq!(a.unwrap().as_deref(), Some("w"));
        assert_eq!(b.unwrap(), 3);
        assert_eq!(c.unwrap(), None);

        // Server errors come back the same way.
        assert_server_error(client.send(cmd::incr(&key)).await, "ERR", "not an integer");
    })
    .await;
}

#[tokio::test]
async fn raw_commands_with_a_chosen_reply_type() {
    each_protocol(|client| async move {
        let key = unique_key("raw");
        let () = client
            .send(Raw::<()>::new("SET").arg(&key).arg("hello"))
            .await
            .unwrap();
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("hello"));

        let len: i64 = client
            .send(Raw::<i64>::new("STRLEN").arg(&key))
            .await
            .unwrap();
        assert_eq!(len, 5);
        let v: Value = client
            .send(Raw::<Value>::new("GET").arg(&key))
            .await
            .unwrap();
        assert_eq!(v, Value::Bulk(Bytes::from_static(b"hello")));
        let v: Value = client.send(Raw::new("STRLEN").arg(&key)).await.unwrap();
        assert_eq!(v, Value::Int(5));
        let v: Value = client
            .send(Raw::new("GET").arg(unique_key("raw-missing")))
            .await
            .unwrap();
        assert_eq!(v, Value::Nil);
        let ok: Value = client
            .send(Raw::new("SET").arg(&key).arg("hello"))
            .await
            .unwrap();
        assert_eq!(ok, Value::Status("OK".into()));

        let s: Option<String> = client.send(Raw::new("GET").arg(&key)).await.unwrap();
        assert_eq!(s.as_deref(), Some("hello"));
        let none: Option<String> = client
            .send(Raw::new("GET").arg(unique_key("raw-missing")))
            .await
            .unwrap();
        assert_eq!(none, None);
        let b: Bytes = client.send(Raw::new("GET").arg(&key)).await.unwrap();
        assert_eq!(b, Bytes::from_static(b"hello"));

        // Arguments of every kind; several at once with .args().
        let n: i64 = client
            .send(Raw::new("INCRBY").arg(unique_key("raw-n")).arg(-5i64))
            .await
            .unwrap();
        assert_eq!(n, -5);
        let list = unique_key("raw-list");
        let pushed: u64 = client
            .send(Raw::new("RPUSH").arg(&list).args(["a", "b", "c"]))
            .await
            .unwrap();
        assert_eq!(pushed, 3);
        let items: Vec<String> = client
            .send(Raw::new("LRANGE").arg(&list).arg(0).arg(-1))
            .await
            .unwrap();
        assert_eq!(items, ["a", "b", "c"]);
        let f: f64 = client
            .send(Raw::new("INCRBYFLOAT").arg(unique_key("raw-f")).arg(1.5f64))
            .await
            .unwrap();
        assert_eq!(f, 1.5);

        // Maps and tuples; the untyped tree differs by protocol as sent.
        let hash = unique_key("raw-hash");
        cli(&["HSET", &hash, "f", "v"]);
        let map: HashMap<String, String> =
            client.send(Raw::new("HGETALL").arg(&hash)).await.unwrap();
        assert_eq!(map, HashMap::from([("f".to_owned(), "v".to_owned())]));
        let tree: Value = client.send(Raw::new("HGETALL").arg(&hash)).await.unwrap();
        let (f, v) = (Value::Bulk("f".into()), Value::Bulk("v".into()));
        match client.resp() {
            Resp::V2 => assert_eq!(tree, Value::Array(vec![f, v])),
            Resp::V3 => assert_eq!(tree, Value::Map(vec![(f, v)])),
        }
        let conf: HashMap<String, i64> = client
            .send(Raw::new("CONFIG").arg("GET").arg("maxclients"))
            .await
            .unwrap();
        let raw = cli_strings(&["CONFIG", "GET", "maxclients"]);
        assert_eq!(
            conf,
            HashMap::from([(raw[0].clone(), raw[1].parse().unwrap())])
        );
        let mixed: Vec<Option<String>> = client
            .send(Raw::new("MGET").arg(&key).arg(unique_key("raw-missing")))
            .await
            .unwrap();
        assert_eq!(mixed, [Some("hello".to_owned()), None]);
        let zset = unique_key("raw-zset");
        cli(&["ZADD", &zset, "2", "m"]);
        // ZPOPMIN without a count: one flat pair in both protocols.
        let popped: (String, f64) = client.send(Raw::new("ZPOPMIN").arg(&zset)).await.unwrap();
        assert_eq!(popped, ("m".to_owned(), 2.0));

        // Replies of every RESP3 type (downgraded by the server for RESP2)
        // decode into the same Rust values.
        let info: String = client.send(Raw::new("CLIENT").arg("INFO")).await.unwrap();
        assert!(
            info.starts_with("id="),
            "a verbatim string's text only: {info:?}"
        );
        let set = unique_key("raw-set");
        cli(&["SADD", &set, "only"]);
        let set_tree: Value = client.send(Raw::new("SMEMBERS").arg(&set)).await.unwrap();
        cli(&["ZADD", &zset, "2.5", "m"]);
        let score_tree: Value = client
            .send(Raw::new("ZSCORE").arg(&zset).arg("m"))
            .await
            .unwrap();
        let only = vec![Value::Bulk("only".into())];
        match client.resp() {
            Resp::V2 => {
                assert_eq!(set_tree, Value::Array(only));
                assert_eq!(score_tree, Value::Bulk("2.5".into()));
            }
            Resp::V3 => {
                assert_eq!(set_tree, Value::Set(only));
                assert_eq!(score_tree, Value::Double(2.5));
            }
        }
        let score: f64 = client
            .send(Raw::new("ZSCORE").arg(&zset).arg("m"))
            .await
            .unwrap();
        assert_eq!(score, 2.5);
        let t: bool = client
            .send(lua("redis.setresp(3); return true"))
            .await
            .unwrap();
        assert!(t);
        let d: f64 = client
            .send(lua("redis.setresp(3); return {double=3.5}"))
            .await
            .unwrap();
        assert_eq!(d, 3.5);
        let big: i128 = client
            .send(lua(
                "redis.setresp(3); return {big_number='123456789012345678901234567890'}",
            ))
            .await
            .unwrap();
        assert_eq!(big, 123456789012345678901234567890);
        let verbatim: String = client
            .send(lua(
                "redis.setresp(3); return {verbatim_string={format='txt', string='hi there'}}",
            ))
            .await
            .unwrap();
        assert_eq!(verbatim, "hi there");
        let verbatim: Value = client
            .send(lua(
                "redis.setresp(3); return {verbatim_string={format='txt', string='hi there'}}",
            ))
            .await
            .unwrap();
        match client.resp() {
            Resp::V2 => assert_eq!(verbatim, Value::Bulk("hi there".into())),
            Resp::V3 => assert_eq!(verbatim, Value::Verbatim("txt".into(), "hi there".into())),
        }
        let nested: Value = client.send(lua("return {1, 'two', {3}}")).await.unwrap();
        assert_eq!(
            nested,
            Value::Array(vec![
                Value::Int(1),
                Value::Bulk("two".into()),
                Value::Array(vec![Value::Int(3)])
            ])
        );

        // A reply that does not fit is a decode error; server errors are errors.
        let err = client
            .send(Raw::<i64>::new("GET").arg(&key))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
        let err = client
            .send(Raw::<String>::new("GET").arg(unique_key("raw-missing")))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
        assert_server_error(
            client
                .send(Raw::<Value>::new("LPUSH").arg(&key).arg("x"))
                .await,
            "WRONGTYPE",
            "",
        );
        assert_server_error(
            client.send(Raw::<Value>::new("NO-SUCH-COMMAND")).await,
            "ERR",
            "unknown command",
        );
        assert_still_usable(&client).await;
    })
    .await;
}

#[tokio::test]
async fn concurrent_commands_get_their_own_typed_replies() {
    each_protocol(|client| async move {
        let s = unique_key("concurrent-s");
        let h = unique_key("concurrent-h");
        let z = unique_key("concurrent-z");
        cli(&["SET", &s, "7"]);
        cli(&["HSET", &h, "f", "v"]);
        cli(&["ZADD", &z, "1", "a"]);
        let (get, incr, hash, range, score, ty, missing) = tokio::join!(
            client.get::<String>(&s),
            client.incr(&s),
            client.hgetall::<HashMap<String, String>>(&h),
            client.zrange::<String>(&z, 0, -1).withscores(),
            client.zscore(&z, "a"),
            client.r#type(&h),
            client.lpop::<String>(unique_key("concurrent-missing")),
        );
        assert_eq!(get.unwrap().as_deref(), Some("7"));
        assert_eq!(incr.unwrap(), 8);
        assert_eq!(hash.unwrap().get("f").map(String::as_str), Some("v"));
        assert_eq!(range.unwrap(), [("a".to_owned(), 1.0)]);
        assert_eq!(score.unwrap(), Some(1.0));
        assert_eq!(ty.unwrap(), "hash");
        assert_eq!(missing.unwrap(), None);

        // Many in flight at once, each in order.
        let counter = unique_key("concurrent-counter");
        // `send` queues at once; the replies are awaited afterwards.
        let mut futures = Vec::new();
        for _ in 0..200 {
            futures.push(client.send(cmd::incr(&counter)));
        }
        let mut results = Vec::new();
        for f in futures {
            results.push(f.await.unwrap());
        }
        assert_eq!(results, (1..=200).collect::<Vec<i64>>());
        assert_eq!(cli_bulk(&["GET", &counter]).as_deref(), Some("200"));
    })
    .await;
}
