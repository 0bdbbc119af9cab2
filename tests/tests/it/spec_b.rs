//! Reply types of the spec's commands, part B, against a live server under RESP2 and RESP3.
//!
//! Hashes, lists, sets, transactions and scripting: each typed reply is checked
//! against what the server did, read back over the harness's own raw
//! connection. Dedicated commands (blocking pops, MULTI/EXEC/WATCH, SCRIPT
//! DEBUG) run on a connection of their own through [`Session`]; the shared
//! client refuses them. Commands that change the whole server (FLUSH, KILL,
//! RESTORE) get a server of their own.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Debug;
use std::time::Duration;

use bytes::Bytes;
use redtyped::cmd::{
    BlmoveWherefrom, BlmoveWhereto, BlmpopWhere, LinsertWhere, LmoveWherefrom, LmoveWhereto,
    LmpopWhere, ScriptDebugMode,
};
use redtyped::reply::{
    FunctionLibrary, FunctionStatsReport, HashScanPage, PoppedElement, PoppedElements, SetScanPage,
};
use redtyped::{ErrorKind, Protocol, Value, cmd};
use redtyped_tests::{Server, shared, unique_key, wait_until_async};

use crate::support::{PROTOCOLS, Session, call_dedicated, client_on, each_protocol};

// ---------------------------------------------------------------------------
// The server's own view, over the harness's raw RESP2 connection.
// ---------------------------------------------------------------------------

/// A RESP2 reply as the harness read it.
#[derive(Debug, Clone, PartialEq)]
enum Raw {
    Nil,
    Int(i64),
    Text(String),
    Error(String),
    Array(Vec<Raw>),
}

fn parse_raw(s: &mut &str) -> Raw {
    let (line, rest) = s.split_once("\r\n").expect("a CRLF-terminated line");
    *s = rest;
    let (kind, body) = line.split_at(1);
    match kind {
        "+" => Raw::Text(body.to_owned()),
        "-" => Raw::Error(body.to_owned()),
        ":" => Raw::Int(body.parse().unwrap()),
        "$" if body == "-1" => Raw::Nil,
        "$" => {
            let len: usize = body.parse().unwrap();
            let text = s[..len].to_owned();
            *s = &s[len + 2..];
            Raw::Text(text)
        }
        "*" if body == "-1" => Raw::Nil,
        "*" => {
            let n: usize = body.parse().unwrap();
            Raw::Array((0..n).map(|_| parse_raw(s)).collect())
        }
        _ => panic!("unexpected RESP2 line {line:?}"),
    }
}

/// A raw command on `server` and its reply.
#[track_caller]
fn raw_on(server: &Server, args: &[&str]) -> Raw {
    let reply = server.cli(args);
    let mut rest = reply.as_str();
    let value = parse_raw(&mut rest);
    assert!(rest.is_empty(), "raw {args:?}: trailing bytes {rest:?}");
    value
}

/// A raw command on the shared server and its reply.
#[track_caller]
fn raw(args: &[&str]) -> Raw {
    raw_on(shared(), args)
}

#[track_caller]
fn raw_int(args: &[&str]) -> i64 {
    match raw(args) {
        Raw::Int(n) => n,
        other => panic!("raw {args:?}: expected an integer, got {other:?}"),
    }
}

#[track_caller]
fn raw_bulk(args: &[&str]) -> Option<String> {
    match raw(args) {
        Raw::Nil => None,
        Raw::Text(s) => Some(s),
        other => panic!("raw {args:?}: expected a string, got {other:?}"),
    }
}

#[track_caller]
fn texts(value: Raw) -> Vec<String> {
    match value {
        Raw::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Raw::Text(s) => s,
                other => panic!("expected a string item, got {other:?}"),
            })
            .collect(),
        other => panic!("expected an array of strings, got {other:?}"),
    }
}

#[track_caller]
fn raw_strings(args: &[&str]) -> Vec<String> {
    texts(raw(args))
}

/// A list's elements, per the server.
#[track_caller]
fn list(key: &str) -> Vec<String> {
    raw_strings(&["LRANGE", key, "0", "-1"])
}

/// A set's members, sorted, per the server.
#[track_caller]
fn members(key: &str) -> Vec<String> {
    sorted(raw_strings(&["SMEMBERS", key]))
}

/// A hash's fields and values, per the server.
#[track_caller]
fn hash(key: &str) -> BTreeMap<String, String> {
    let flat = raw_strings(&["HGETALL", key]);
    flat.chunks(2)
        .map(|kv| (kv[0].clone(), kv[1].clone()))
        .collect()
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Asserts a server error reply with `code` whose message contains `text`.
#[track_caller]
fn assert_server_error<T: Debug>(result: redtyped::Result<T>, code: &str, text: &str) {
    let err = result.expect_err("expected a server error reply");
    assert_eq!(err.kind(), ErrorKind::Server, "{err}");
    assert_eq!(err.server_code(), Some(code), "{err}");
    assert!(
        err.message().contains(text),
        "error {err} does not mention {text:?}"
    );
}

/// Asserts that the shared client refuses a dedicated command without sending it.
#[track_caller]
fn assert_refused<T: Debug>(result: redtyped::Result<T>, command: &str) {
    let err = result.expect_err("the shared client runs no dedicated command");
    assert_eq!(err.kind(), ErrorKind::Usage, "{command}: {err}");
    assert_eq!(
        err.outcome(),
        redtyped::Outcome::NotSent,
        "{command}: {err}"
    );
}

/// A name usable as a Lua library or function name (letters, digits, underscores).
fn unique_name(prefix: &str) -> String {
    unique_key(prefix).replace(':', "_")
}

/// A server of its own with `busy-reply-threshold` low, so a looping script
/// becomes killable at once.
fn server_for_busy_scripts() -> Server {
    Server::builder()
        .config("busy-reply-threshold", "10")
        .start()
}

// ---------------------------------------------------------------------------
// Hashes
// ---------------------------------------------------------------------------

#[tokio::test]
async fn hexists_hsetnx_hlen_hstrlen() {
    each_protocol(|client| async move {
        let key = unique_key("hexists");
        let missing = unique_key("hexists-missing");
        raw(&["HSET", &key, "name", "ada", "empty", ""]);

        assert!(client.hexists(&key, "name").await.unwrap());
        assert!(client.hexists(&key, "empty").await.unwrap());
        assert!(!client.hexists(&key, "nope").await.unwrap());
        assert!(!client.hexists(&missing, "name").await.unwrap());

        // HSETNX writes a new field only.
        assert!(client.hsetnx(&key, "lang", "en").await.unwrap());
        assert!(!client.hsetnx(&key, "name", "grace").await.unwrap());
        assert_eq!(raw_bulk(&["HGET", &key, "name"]).as_deref(), Some("ada"));
        assert_eq!(raw_bulk(&["HGET", &key, "lang"]).as_deref(), Some("en"));
        assert!(client.hsetnx(&missing, "f", 1).await.unwrap());
        assert_eq!(hash(&missing), BTreeMap::from([("f".into(), "1".into())]));

        assert_eq!(client.hlen(&key).await.unwrap(), 3);
        assert_eq!(client.hlen(&key).await.unwrap(), raw_int(&["HLEN", &key]));
        assert_eq!(client.hlen(unique_key("hlen-missing")).await.unwrap(), 0);

        assert_eq!(client.hstrlen(&key, "name").await.unwrap(), 3);
        assert_eq!(client.hstrlen(&key, "empty").await.unwrap(), 0);
        assert_eq!(client.hstrlen(&key, "nope").await.unwrap(), 0);
        raw(&["HSET", &key, "utf8", "żółw"]);
        assert_eq!(
            client.hstrlen(&key, "utf8").await.unwrap(),
            7,
            "bytes, not chars"
        );

        let string = unique_key("hexists-string");
        raw(&["SET", &string, "v"]);
        assert_server_error(
            client.hexists(&string, "f").await,
            "WRONGTYPE",
            "wrong kind",
        );
        assert_server_error(client.hlen(&string).await, "WRONGTYPE", "wrong kind");
    })
    .await;
}

#[tokio::test]
async fn hincrbyfloat_returns_the_value_the_server_stored() {
    each_protocol(|client| async move {
        let key = unique_key("hincrbyfloat");
        let v: f64 = client.hincrbyfloat(&key, "f", 10.5).await.unwrap();
        assert_eq!(v, 10.5);
        let v = client.hincrbyfloat(&key, "f", 0.1).await.unwrap();
        let stored: f64 = raw_bulk(&["HGET", &key, "f"]).unwrap().parse().unwrap();
        assert_eq!(v, stored);
        assert!((v - 10.6).abs() < 1e-9, "{v}");
        let v = client.hincrbyfloat(&key, "f", -20.6).await.unwrap();
        assert!((v + 10.0).abs() < 1e-9, "{v}");

        // An integer field, and exponent notation.
        raw(&["HSET", &key, "n", "5"]);
        assert_eq!(client.hincrbyfloat(&key, "n", 2e3).await.unwrap(), 2005.0);
        assert_eq!(raw_bulk(&["HGET", &key, "n"]).as_deref(), Some("2005"));

        raw(&["HSET", &key, "text", "abc"]);
        assert_server_error(
            client.hincrbyfloat(&key, "text", 1.0).await,
            "ERR",
            "not a float",
        );
        assert_eq!(raw_bulk(&["HGET", &key, "text"]).as_deref(), Some("abc"));
    })
    .await;
}

#[tokio::test]
async fn hkeys_and_hvals_follow_the_hash() {
    each_protocol(|client| async move {
        let key = unique_key("hkeys");
        raw(&["HSET", &key, "a", "1", "b", "2", "c", "30"]);
        let keys: Vec<String> = client.hkeys(&key).await.unwrap();
        let vals: Vec<i64> = client.hvals(&key).await.unwrap();
        // Same order as the server's own field list, so they zip into the hash.
        assert_eq!(keys, raw_strings(&["HKEYS", &key]));
        let zipped: BTreeMap<String, String> = keys
            .into_iter()
            .zip(vals.iter().map(|v| v.to_string()))
            .collect();
        assert_eq!(zipped, hash(&key));

        let bytes: Vec<Bytes> = client.hvals(&key).await.unwrap();
        assert_eq!(bytes.len(), 3);

        let missing = unique_key("hkeys-missing");
        assert!(client.hkeys::<String>(&missing).await.unwrap().is_empty());
        assert!(client.hvals::<String>(&missing).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn hmset_and_hmget() {
    each_protocol(|client| async move {
        let key = unique_key("hmset");
        let () = client
            .hmset(&key, [("name", "ada"), ("born", "1815")])
            .await
            .unwrap();
        assert_eq!(
            hash(&key),
            BTreeMap::from([
                ("born".into(), "1815".into()),
                ("name".into(), "ada".into())
            ])
        );
        // Overwrites, and values of any argument type.
        client.hmset(&key, [("born", 1816)]).await.unwrap();
        assert_eq!(raw_bulk(&["HGET", &key, "born"]).as_deref(), Some("1816"));

        let got: Vec<Option<String>> = client.hmget(&key, ["name", "nope", "born"]).await.unwrap();
        assert_eq!(got, [Some("ada".to_owned()), None, Some("1816".to_owned())]);
        let numbers: Vec<Option<i64>> = client.hmget(&key, ["born"]).await.unwrap();
        assert_eq!(numbers, [Some(1816)]);
        let none: Vec<Option<String>> = client
            .hmget(unique_key("hmget-missing"), ["a", "b"])
            .await
            .unwrap();
        assert_eq!(none, [None, None]);
    })
    .await;
}

#[tokio::test]
async fn hrandfield_plain_count_and_withvalues() {
    each_protocol(|client| async move {
        let key = unique_key("hrandfield");
        raw(&["HSET", &key, "a", "1", "b", "2", "c", "3"]);
        let all = hash(&key);

        let one: Option<String> = client.hrandfield(&key).await.unwrap();
        assert!(all.contains_key(&one.unwrap()));
        let missing = unique_key("hrandfield-missing");
        assert_eq!(client.hrandfield::<String>(&missing).await.unwrap(), None);

        // COUNT: distinct fields when positive, repeats allowed when negative.
        let two: Vec<String> = client.hrandfield(&key).count(2).await.unwrap();
        assert_eq!(two.len(), 2);
        assert_eq!(two.iter().collect::<BTreeSet<_>>().len(), 2);
        assert!(two.iter().all(|f| all.contains_key(f)), "{two:?}");
        let many: Vec<String> = client.hrandfield(&key).count(-7).await.unwrap();
        assert_eq!(many.len(), 7);
        assert!(many.iter().all(|f| all.contains_key(f)), "{many:?}");
        let capped: Vec<String> = client.hrandfield(&key).count(10).await.unwrap();
        assert_eq!(sorted(capped), ["a", "b", "c"]);
        let empty: Vec<String> = client.hrandfield(&missing).count(3).await.unwrap();
        assert!(empty.is_empty());

        // WITHVALUES: each field with its own value, field and value typed apart.
        let pairs: Vec<(String, i64)> =
            client.hrandfield(&key).count(3).withvalues().await.unwrap();
        assert_eq!(pairs.len(), 3);
        for (field, value) in &pairs {
            assert_eq!(all[field], value.to_string());
        }
        let repeated: Vec<(Bytes, String)> = client
            .hrandfield(&key)
            .withvalues()
            .count(-5)
            .await
            .unwrap();
        assert_eq!(repeated.len(), 5);
        for (field, value) in &repeated {
            assert_eq!(&all[std::str::from_utf8(field).unwrap()], value);
        }
        let none: Vec<(String, String)> = client
            .hrandfield(&missing)
            .count(2)
            .withvalues()
            .await
            .unwrap();
        assert!(none.is_empty());
    })
    .await;
}

#[tokio::test]
async fn hscan_pages_through_a_whole_hash() {
    each_protocol(|client| async move {
        // Big enough to be a real hash table, so the scan takes several pages.
        let key = unique_key("hscan");
        let mut args = vec!["HSET".to_owned(), key.clone()];
        for i in 0..1000 {
            args.push(format!("field{i}"));
            args.push(i.to_string());
        }
        raw(&args.iter().map(String::as_str).collect::<Vec<_>>());

        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        let mut cursor = 0i64;
        let mut pages = 0;
        loop {
            let page: HashScanPage<String> = client.hscan(&key, cursor).count(20).await.unwrap();
            pages += 1;
            seen.extend(page.entries);
            cursor = page.cursor.parse().expect("a numeric cursor");
            if cursor == 0 {
                break;
            }
            assert!(pages < 1000, "the scan does not end");
        }
        assert!(pages > 1, "one page for 1000 fields");
        assert_eq!(seen, hash(&key));

        // MATCH filters by field name; values keep their own type.
        let small = unique_key("hscan-small");
        raw(&["HSET", &small, "f1", "10", "f2", "20", "g1", "30"]);
        let page: HashScanPage<String> = client.hscan(&small, 0).pattern("f*").await.unwrap();
        assert_eq!(page.cursor, "0");
        assert_eq!(
            sorted(page.entries),
            [
                ("f1".to_owned(), "10".to_owned()),
                ("f2".to_owned(), "20".to_owned())
            ]
        );
        let missing: HashScanPage<Bytes> =
            client.hscan(unique_key("hscan-missing"), 0).await.unwrap();
        assert_eq!(missing.cursor, "0");
        assert!(missing.entries.is_empty());
    })
    .await;
}

// ---------------------------------------------------------------------------
// Lists
// ---------------------------------------------------------------------------

#[tokio::test]
async fn rpush_lpushx_rpushx_llen() {
    each_protocol(|client| async move {
        let key = unique_key("rpush");
        assert_eq!(client.rpush(&key, ["a", "b"]).await.unwrap(), 2);
        assert_eq!(client.rpush(&key, [3, 4]).await.unwrap(), 4);
        assert_eq!(list(&key), ["a", "b", "3", "4"]);
        assert_eq!(client.llen(&key).await.unwrap(), 4);

        assert_eq!(client.lpushx(&key, ["z"]).await.unwrap(), 5);
        assert_eq!(client.rpushx(&key, ["y", "x"]).await.unwrap(), 7);
        assert_eq!(list(&key), ["z", "a", "b", "3", "4", "y", "x"]);

        // The X forms do nothing to a missing key.
        let missing = unique_key("pushx-missing");
        assert_eq!(client.lpushx(&missing, ["a"]).await.unwrap(), 0);
        assert_eq!(client.rpushx(&missing, ["a"]).await.unwrap(), 0);
        assert_eq!(raw_int(&["EXISTS", &missing]), 0);
        assert_eq!(client.llen(&missing).await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn lindex_linsert_lset_ltrim_lrem() {
    each_protocol(|client| async move {
        let key = unique_key("lindex");
        raw(&["RPUSH", &key, "a", "b", "c", "b", "7"]);

        let first: Option<String> = client.lindex(&key, 0).await.unwrap();
        assert_eq!(first.as_deref(), Some("a"));
        let last: Option<i64> = client.lindex(&key, -1).await.unwrap();
        assert_eq!(last, Some(7));
        assert_eq!(client.lindex::<String>(&key, 99).await.unwrap(), None);
        let missing = unique_key("lindex-missing");
        assert_eq!(client.lindex::<String>(&missing, 0).await.unwrap(), None);

        // LINSERT: the new length, -1 without the pivot, 0 without the list.
        assert_eq!(
            client
                .linsert(&key, LinsertWhere::Before, "b", "x")
                .await
                .unwrap(),
            6
        );
        assert_eq!(
            client
                .linsert(&key, LinsertWhere::After, "c", "y")
                .await
                .unwrap(),
            7
        );
        assert_eq!(list(&key), ["a", "x", "b", "c", "y", "b", "7"]);
        assert_eq!(
            client
                .linsert(&key, LinsertWhere::After, "nope", "y")
                .await
                .unwrap(),
            -1
        );
        assert_eq!(
            client
                .linsert(&missing, LinsertWhere::After, "a", "y")
                .await
                .unwrap(),
            0
        );

        let () = client.lset(&key, 1, "X").await.unwrap();
        assert_eq!(raw_bulk(&["LINDEX", &key, "1"]).as_deref(), Some("X"));
        assert_server_error(client.lset(&key, 99, "z").await, "ERR", "out of range");
        assert_server_error(client.lset(&missing, 0, "z").await, "ERR", "no such key");

        // LREM: by count from the head, from the tail, or all.
        raw(&["RPUSH", &key, "b", "b"]);
        assert_eq!(client.lrem(&key, 1, "b").await.unwrap(), 1);
        assert_eq!(list(&key), ["a", "X", "c", "y", "b", "7", "b", "b"]);
        assert_eq!(client.lrem(&key, -1, "b").await.unwrap(), 1);
        assert_eq!(list(&key), ["a", "X", "c", "y", "b", "7", "b"]);
        assert_eq!(client.lrem(&key, 0, "b").await.unwrap(), 2);
        assert_eq!(client.lrem(&key, 0, "b").await.unwrap(), 0);
        assert_eq!(list(&key), ["a", "X", "c", "y", "7"]);

        let () = client.ltrim(&key, 1, -2).await.unwrap();
        assert_eq!(list(&key), ["X", "c", "y"]);
        client.ltrim(&key, 5, 10).await.unwrap();
        assert_eq!(
            raw_int(&["EXISTS", &key]),
            0,
            "an empty range removes the list"
        );
        client.ltrim(&missing, 0, 1).await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn lpos_plain_rank_count_maxlen() {
    each_protocol(|client| async move {
        let key = unique_key("lpos");
        raw(&["RPUSH", &key, "a", "b", "c", "b", "b", "d"]);

        let first: Option<i64> = client.lpos(&key, "b").await.unwrap();
        assert_eq!(first, Some(1));
        assert_eq!(client.lpos(&key, "z").await.unwrap(), None);
        assert_eq!(
            client.lpos(unique_key("lpos-missing"), "a").await.unwrap(),
            None
        );
        assert_eq!(client.lpos(&key, "b").rank(2).await.unwrap(), Some(3));
        assert_eq!(client.lpos(&key, "b").rank(-1).await.unwrap(), Some(4));
        assert_eq!(client.lpos(&key, "b").rank(9).await.unwrap(), None);
        assert_eq!(client.lpos(&key, "d").maxlen(3).await.unwrap(), None);

        // COUNT makes it every matching index (0: all of them), in scan order.
        let all: Vec<i64> = client.lpos(&key, "b").count(0).await.unwrap();
        assert_eq!(all, [1, 3, 4]);
        assert_eq!(client.lpos(&key, "b").count(2).await.unwrap(), [1, 3]);
        assert_eq!(
            client.lpos(&key, "b").count(0).rank(-1).await.unwrap(),
            [4, 3, 1]
        );
        assert_eq!(
            client.lpos(&key, "b").maxlen(4).count(0).await.unwrap(),
            [1, 3]
        );
        assert!(client.lpos(&key, "z").count(0).await.unwrap().is_empty());
        assert_eq!(
            raw(&["LPOS", &key, "b", "COUNT", "0"]),
            Raw::Array(vec![Raw::Int(1), Raw::Int(3), Raw::Int(4)])
        );

        assert_server_error(client.lpos(&key, "b").rank(0).await, "ERR", "RANK");
    })
    .await;
}

#[tokio::test]
async fn rpop_with_and_without_count() {
    each_protocol(|client| async move {
        let key = unique_key("rpop");
        raw(&["RPUSH", &key, "a", "b", "c", "4"]);

        let last: Option<i64> = client.rpop(&key).await.unwrap();
        assert_eq!(last, Some(4));
        let two: Option<Vec<String>> = client.rpop(&key).count(2).await.unwrap();
        assert_eq!(two, Some(strings(&["c", "b"])));
        assert_eq!(list(&key), ["a"]);
        let zero: Option<Vec<String>> = client.rpop(&key).count(0).await.unwrap();
        assert_eq!(zero, Some(vec![]));
        let rest: Option<Vec<Bytes>> = client.rpop(&key).count(5).await.unwrap();
        assert_eq!(rest, Some(vec![Bytes::from_static(b"a")]));
        assert_eq!(raw_int(&["EXISTS", &key]), 0);

        assert_eq!(client.rpop::<String>(&key).await.unwrap(), None);
        assert_eq!(client.rpop::<String>(&key).count(2).await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn lmove_and_rpoplpush() {
    each_protocol(|client| async move {
        let src = unique_key("lmove-src");
        let dst = unique_key("lmove-dst");
        raw(&["RPUSH", &src, "a", "b", "c"]);

        let moved: Option<String> = client
            .lmove(&src, &dst, LmoveWherefrom::Left, LmoveWhereto::Right)
            .await
            .unwrap();
        assert_eq!(moved.as_deref(), Some("a"));
        let moved: Option<String> = client
            .lmove(&src, &dst, LmoveWherefrom::Right, LmoveWhereto::Left)
            .await
            .unwrap();
        assert_eq!(moved.as_deref(), Some("c"));
        assert_eq!(list(&src), ["b"]);
        assert_eq!(list(&dst), ["c", "a"]);

        // RPOPLPUSH is LMOVE RIGHT LEFT; a list onto itself rotates it.
        let moved: Option<Bytes> = client.rpoplpush(&dst, &dst).await.unwrap();
        assert_eq!(moved, Some(Bytes::from_static(b"a")));
        assert_eq!(list(&dst), ["a", "c"]);
        let moved: Option<String> = client.rpoplpush(&src, &dst).await.unwrap();
        assert_eq!(moved.as_deref(), Some("b"));
        assert_eq!(list(&dst), ["b", "a", "c"]);

        // An empty source: nil, nothing created.
        let none = unique_key("lmove-none");
        assert_eq!(client.rpoplpush::<String>(&src, &none).await.unwrap(), None);
        assert_eq!(
            client
                .lmove::<String>(&src, &none, LmoveWherefrom::Left, LmoveWhereto::Left)
                .await
                .unwrap(),
            None
        );
        assert_eq!(raw_int(&["EXISTS", &none]), 0);

        let string = unique_key("lmove-string");
        raw(&["SET", &string, "v"]);
        assert_server_error(
            client.rpoplpush::<String>(&dst, &string).await,
            "WRONGTYPE",
            "wrong kind",
        );
        assert_eq!(list(&dst), ["b", "a", "c"], "nothing moved");
    })
    .await;
}

#[tokio::test]
async fn lmpop_pops_from_the_first_non_empty_list() {
    each_protocol(|client| async move {
        let empty = unique_key("lmpop-empty");
        let key = unique_key("lmpop");
        raw(&["RPUSH", &key, "a", "b", "c", "d"]);

        let popped: Option<PoppedElements<String>> = client
            .lmpop(2, [&empty, &key], LmpopWhere::Left)
            .await
            .unwrap();
        let popped = popped.unwrap();
        assert_eq!(popped.key, key);
        assert_eq!(popped.elements, ["a"]);

        let popped: PoppedElements<String> = client
            .lmpop(2, [&empty, &key], LmpopWhere::Right)
            .count(2)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(popped.key, key);
        assert_eq!(popped.elements, ["d", "c"]);
        assert_eq!(list(&key), ["b"]);

        let popped: PoppedElements<Bytes> = client
            .lmpop(1, [&key], LmpopWhere::Left)
            .count(10)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(popped.elements, [Bytes::from_static(b"b")]);

        let none: Option<PoppedElements<String>> = client
            .lmpop(2, [&empty, &key], LmpopWhere::Left)
            .await
            .unwrap();
        assert_eq!(none, None);
    })
    .await;
}

#[tokio::test]
async fn blocking_pops_reply_on_a_connection_of_their_own() {
    let server = shared();
    for protocol in PROTOCOLS {
        let a = unique_key("bpop-a");
        let b = unique_key("bpop-b");
        let empty = unique_key("bpop-empty");
        raw(&["RPUSH", &a, "1", "2", "3", "4", "5", "6"]);

        let left: Option<PoppedElement<String>> =
            call_dedicated(server, protocol, cmd::blpop([&empty, &a], 1.0))
                .await
                .unwrap();
        let left = left.unwrap();
        assert_eq!(
            (left.key.as_str(), left.element.as_str()),
            (a.as_str(), "1")
        );
        let right: PoppedElement<i64> = call_dedicated(server, protocol, cmd::brpop([&a], 1.0))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((right.key.as_str(), right.element), (a.as_str(), 6));

        let moved: Option<String> = call_dedicated(
            server,
            protocol,
            cmd::blmove(&a, &b, BlmoveWherefrom::Left, BlmoveWhereto::Right, 1.0),
        )
        .await
        .unwrap();
        assert_eq!(moved.as_deref(), Some("2"));
        let moved: Option<Bytes> = call_dedicated(server, protocol, cmd::brpoplpush(&a, &b, 1.0))
            .await
            .unwrap();
        assert_eq!(moved, Some(Bytes::from_static(b"5")));
        assert_eq!(list(&b), ["5", "2"]);

        let popped: PoppedElements<String> = call_dedicated(
            server,
            protocol,
            cmd::blmpop(1.0, 2, [&empty, &a], BlmpopWhere::Left).count(5),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(popped.key, a);
        assert_eq!(popped.elements, ["3", "4"]);
        assert_eq!(raw_int(&["EXISTS", &a]), 0);

        // Nothing to pop before the timeout: nil.
        let t = 0.05;
        let none: Option<PoppedElement<String>> =
            call_dedicated(server, protocol, cmd::blpop([&empty], t))
                .await
                .unwrap();
        assert_eq!(none, None);
        let none: Option<PoppedElement<String>> =
            call_dedicated(server, protocol, cmd::brpop([&empty], t))
                .await
                .unwrap();
        assert_eq!(none, None);
        let none: Option<String> = call_dedicated(
            server,
            protocol,
            cmd::blmove(&empty, &b, BlmoveWherefrom::Right, BlmoveWhereto::Left, t),
        )
        .await
        .unwrap();
        assert_eq!(none, None);
        let none: Option<String> = call_dedicated(server, protocol, cmd::brpoplpush(&empty, &b, t))
            .await
            .unwrap();
        assert_eq!(none, None);
        let none: Option<PoppedElements<String>> = call_dedicated(
            server,
            protocol,
            cmd::blmpop(t, 1, [&empty], BlmpopWhere::Right),
        )
        .await
        .unwrap();
        assert_eq!(none, None);
        assert_eq!(list(&b), ["5", "2"]);
    }

    // The shared client runs every one of them on a connection its pool lends.
    for protocol in PROTOCOLS {
        let client = client_on(shared(), protocol).await;
        let key = unique_key("bpop-pooled");
        let other = unique_key("bpop-pooled");
        raw(&["RPUSH", &key, "1", "2", "3", "4", "5"]);
        let popped = client
            .blpop::<String, _>([&key], 1.0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (popped.key.as_str(), popped.element.as_str()),
            (key.as_str(), "1")
        );
        let popped = client
            .brpop::<String, _>([&key], 1.0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(popped.element, "5");
        let moved = client
            .blmove::<String>(
                &key,
                &other,
                BlmoveWherefrom::Left,
                BlmoveWhereto::Left,
                1.0,
            )
            .await
            .unwrap();
        assert_eq!(moved.as_deref(), Some("2"));
        let moved = client
            .brpoplpush::<String>(&key, &other, 1.0)
            .await
            .unwrap();
        assert_eq!(moved.as_deref(), Some("4"));
        let popped = client
            .blmpop::<String, _>(1.0, 1, [&key], BlmpopWhere::Left)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(popped.elements, ["3"]);
        assert_eq!(list(&other), ["4", "2"]);
        // Timed out: nil, and the lent connection went back to the pool.
        let none = client.blpop::<String, _>([&key], 0.01).await.unwrap();
        assert_eq!(none, None);
        let status = client.pool().status();
        assert_eq!((status.in_use, status.idle), (0, 1), "{status:?}");
        // The shared connection never saw them.
        assert_eq!(client.stats().commands_sent, 0);
    }
}

#[tokio::test]
async fn blpop_waits_for_a_push() {
    // Its own server, so "one blocked client" can only be this one.
    let server = Server::start();
    for protocol in PROTOCOLS {
        let key = unique_key("blpop-wait");
        let mut session = Session::open(&server, protocol).await;
        let waiting = tokio::spawn({
            let key = key.clone();
            async move { session.call(cmd::blpop::<String, _>([key], 10.0)).await }
        });
        wait_until_async(Duration::from_secs(5), "BLPOP to block", || async {
            server
                .cli(&["INFO", "clients"])
                .contains("blocked_clients:1\r\n")
        })
        .await;
        assert_eq!(server.cli(&["RPUSH", &key, "late", "later"]), ":2\r\n");
        let popped = waiting.await.unwrap().unwrap().expect("an element");
        assert_eq!(popped.key, key);
        assert_eq!(popped.element, "late");
        assert_eq!(
            raw_on(&server, &["LRANGE", &key, "0", "-1"]),
            Raw::Array(vec![Raw::Text("later".into())])
        );
    }
}

// ---------------------------------------------------------------------------
// Sets
// ---------------------------------------------------------------------------

#[tokio::test]
async fn scard_sismember_smismember_srem_smove() {
    each_protocol(|client| async move {
        let key = unique_key("scard");
        let other = unique_key("scard-other");
        let missing = unique_key("scard-missing");
        raw(&["SADD", &key, "a", "b", "c", "1"]);

        assert_eq!(client.scard(&key).await.unwrap(), 4);
        assert_eq!(client.scard(&missing).await.unwrap(), 0);

        assert!(client.sismember(&key, "a").await.unwrap());
        assert!(client.sismember(&key, 1).await.unwrap());
        assert!(!client.sismember(&key, "z").await.unwrap());
        assert!(!client.sismember(&missing, "a").await.unwrap());
        assert_eq!(
            client.smismember(&key, ["a", "z", "c"]).await.unwrap(),
            [true, false, true]
        );
        assert_eq!(client.smismember(&missing, ["a"]).await.unwrap(), [false]);

        assert_eq!(client.srem(&key, ["a", "z", "a"]).await.unwrap(), 1);
        assert_eq!(members(&key), ["1", "b", "c"]);
        assert_eq!(client.srem(&missing, ["a"]).await.unwrap(), 0);

        assert!(client.smove(&key, &other, "b").await.unwrap());
        assert!(!client.smove(&key, &other, "b").await.unwrap());
        assert!(!client.smove(&missing, &other, "c").await.unwrap());
        assert_eq!(members(&key), ["1", "c"]);
        assert_eq!(members(&other), ["b"]);

        let string = unique_key("scard-string");
        raw(&["SET", &string, "v"]);
        assert_server_error(client.scard(&string).await, "WRONGTYPE", "wrong kind");
        assert_server_error(
            client.smove(&key, &string, "c").await,
            "WRONGTYPE",
            "wrong kind",
        );
        assert_eq!(members(&key), ["1", "c"]);
    })
    .await;
}

#[tokio::test]
async fn sdiff_sinter_sunion_and_their_stores() {
    each_protocol(|client| async move {
        let a = unique_key("sops-a");
        let b = unique_key("sops-b");
        let missing = unique_key("sops-missing");
        let dst = unique_key("sops-dst");
        raw(&["SADD", &a, "1", "2", "3", "4"]);
        raw(&["SADD", &b, "3", "4", "5"]);

        let diff: Vec<i64> = client.sdiff([&a, &b]).await.unwrap();
        assert_eq!(sorted(diff), [1, 2]);
        let inter: Vec<String> = client.sinter([&a, &b]).await.unwrap();
        assert_eq!(sorted(inter), ["3", "4"]);
        let union: Vec<Bytes> = client.sunion([&a, &b]).await.unwrap();
        assert_eq!(union.len(), 5);
        let union: Vec<u8> = client.sunion([&a, &b, &missing]).await.unwrap();
        assert_eq!(sorted(union), [1, 2, 3, 4, 5]);
        assert!(
            client
                .sinter::<String, _>([&a, &missing])
                .await
                .unwrap()
                .is_empty()
        );

        assert_eq!(client.sdiffstore(&dst, [&a, &b]).await.unwrap(), 2);
        assert_eq!(members(&dst), ["1", "2"]);
        assert_eq!(client.sinterstore(&dst, [&a, &b]).await.unwrap(), 2);
        assert_eq!(members(&dst), ["3", "4"]);
        assert_eq!(client.sunionstore(&dst, [&a, &b]).await.unwrap(), 5);
        assert_eq!(members(&dst), ["1", "2", "3", "4", "5"]);
        // An empty result removes the destination.
        assert_eq!(client.sinterstore(&dst, [&a, &missing]).await.unwrap(), 0);
        assert_eq!(raw_int(&["EXISTS", &dst]), 0);
    })
    .await;
}

#[tokio::test]
async fn sintercard_with_and_without_limit() {
    each_protocol(|client| async move {
        let a = unique_key("sintercard-a");
        let b = unique_key("sintercard-b");
        raw(&["SADD", &a, "1", "2", "3", "4"]);
        raw(&["SADD", &b, "2", "3", "4", "5"]);
        assert_eq!(client.sintercard(2, [&a, &b]).await.unwrap(), 3);
        assert_eq!(client.sintercard(2, [&a, &b]).limit(2).await.unwrap(), 2);
        assert_eq!(client.sintercard(2, [&a, &b]).limit(0).await.unwrap(), 3);
        assert_eq!(client.sintercard(1, [&a]).await.unwrap(), 4);
        assert_eq!(
            client
                .sintercard(2, [&a, &unique_key("sintercard-missing")])
                .await
                .unwrap(),
            0
        );
        assert_server_error(
            client.sintercard(3, [&a, &b]).await,
            "ERR",
            "number of args",
        );
    })
    .await;
}

#[tokio::test]
async fn spop_with_and_without_count() {
    each_protocol(|client| async move {
        let key = unique_key("spop");
        raw(&["SADD", &key, "1", "2", "3", "4", "5"]);

        let one: Option<i64> = client.spop(&key).await.unwrap();
        let one = one.unwrap();
        assert!((1..=5).contains(&one));
        assert_eq!(raw_int(&["SISMEMBER", &key, &one.to_string()]), 0);

        let two: Vec<String> = client.spop(&key).count(2).await.unwrap();
        assert_eq!(two.len(), 2);
        for m in &two {
            assert_eq!(raw_int(&["SISMEMBER", &key, m]), 0, "{m} was removed");
        }
        assert_eq!(raw_int(&["SCARD", &key]), 2);
        let rest: Vec<Bytes> = client.spop(&key).count(10).await.unwrap();
        assert_eq!(rest.len(), 2);
        assert_eq!(raw_int(&["EXISTS", &key]), 0);

        assert_eq!(client.spop::<String>(&key).await.unwrap(), None);
        assert!(
            client
                .spop::<String>(&key)
                .count(3)
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

#[tokio::test]
async fn srandmember_with_and_without_count() {
    each_protocol(|client| async move {
        let key = unique_key("srandmember");
        raw(&["SADD", &key, "a", "b", "c"]);
        let all = members(&key);

        let one: Option<String> = client.srandmember(&key).await.unwrap();
        assert!(all.contains(&one.unwrap()));
        let two: Vec<String> = client.srandmember(&key).count(2).await.unwrap();
        assert_eq!(two.len(), 2);
        assert_eq!(two.iter().collect::<BTreeSet<_>>().len(), 2, "distinct");
        let many: Vec<String> = client.srandmember(&key).count(-6).await.unwrap();
        assert_eq!(many.len(), 6, "a negative count may repeat");
        assert!(many.iter().all(|m| all.contains(m)), "{many:?}");
        assert_eq!(members(&key), all, "nothing removed");

        let missing = unique_key("srandmember-missing");
        assert_eq!(client.srandmember::<String>(&missing).await.unwrap(), None);
        assert!(
            client
                .srandmember::<String>(&missing)
                .count(2)
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

#[tokio::test]
async fn sscan_pages_through_a_whole_set() {
    each_protocol(|client| async move {
        let key = unique_key("sscan");
        let mut args = vec!["SADD".to_owned(), key.clone()];
        args.extend((0..1000).map(|i| format!("m{i}")));
        raw(&args.iter().map(String::as_str).collect::<Vec<_>>());

        let mut seen = BTreeSet::new();
        let mut cursor = 0i64;
        let mut pages = 0;
        loop {
            let page: SetScanPage<String> = client.sscan(&key, cursor).count(20).await.unwrap();
            pages += 1;
            seen.extend(page.members);
            cursor = page.cursor.parse().expect("a numeric cursor");
            if cursor == 0 {
                break;
            }
            assert!(pages < 1000, "the scan does not end");
        }
        assert!(pages > 1, "one page for 1000 members");
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), members(&key));

        let small = unique_key("sscan-small");
        raw(&["SADD", &small, "10", "11", "20"]);
        let page: SetScanPage<i64> = client.sscan(&small, 0).pattern("1*").await.unwrap();
        assert_eq!(page.cursor, "0");
        assert_eq!(sorted(page.members), [10, 11]);
    })
    .await;
}

// ---------------------------------------------------------------------------
// Transactions: dedicated, so they run through a Session of their own.
// ---------------------------------------------------------------------------

#[tokio::test]
async fn multi_exec_replies_with_each_queued_reply() {
    for protocol in PROTOCOLS {
        let key = unique_key("multi");
        let counter = unique_key("multi-counter");
        let mut tx = Session::open(shared(), protocol).await;

        let () = tx.call(cmd::multi()).await.unwrap();
        assert_eq!(&tx.frame(cmd::set(&key, "v")).await[..], b"+QUEUED\r\n");
        assert_eq!(&tx.frame(cmd::incr(&counter)).await[..], b"+QUEUED\r\n");
        assert_eq!(
            &tx.frame(cmd::get::<String>(&key)).await[..],
            b"+QUEUED\r\n"
        );
        assert_eq!(
            raw_int(&["EXISTS", &key]),
            0,
            "{protocol:?}: queued, not run"
        );
        let replies: Option<Vec<Value>> = tx.call(cmd::exec()).await.unwrap();
        assert_eq!(
            replies,
            Some(vec![
                Value::Status("OK".into()),
                Value::Int(1),
                Value::Bulk(Bytes::from_static(b"v")),
            ]),
            "{protocol:?}"
        );
        assert_eq!(raw_bulk(&["GET", &key]).as_deref(), Some("v"));

        // An error inside the transaction is a value in its place, not a failure of EXEC.
        tx.call(cmd::multi()).await.unwrap();
        tx.frame(cmd::lpush(&key, ["x"])).await;
        tx.frame(cmd::incr(&counter)).await;
        let replies = tx.call(cmd::exec()).await.unwrap().unwrap();
        assert!(
            matches!(&replies[0], Value::Error(e) if e.starts_with("WRONGTYPE")),
            "{replies:?}"
        );
        assert_eq!(replies[1], Value::Int(2));

        // DISCARD drops the queue.
        tx.call(cmd::multi()).await.unwrap();
        tx.frame(cmd::incr(&counter)).await;
        let () = tx.call(cmd::discard()).await.unwrap();
        assert_eq!(raw_bulk(&["GET", &counter]).as_deref(), Some("2"));
        assert!(
            tx.call(cmd::exec())
                .await
                .unwrap_err()
                .contains("without MULTI")
        );
    }
}

#[tokio::test]
async fn watch_makes_exec_nil_on_conflict_and_unwatch_forgets() {
    for protocol in PROTOCOLS {
        let key = unique_key("watch");
        raw(&["SET", &key, "1"]);
        let mut tx = Session::open(shared(), protocol).await;

        // Someone else writes the watched key: EXEC runs nothing and is nil.
        let () = tx.call(cmd::watch([&key])).await.unwrap();
        raw(&["SET", &key, "changed"]);
        tx.call(cmd::multi()).await.unwrap();
        tx.frame(cmd::set(&key, "mine")).await;
        let aborted: Option<Vec<Value>> = tx.call(cmd::exec()).await.unwrap();
        assert_eq!(aborted, None, "{protocol:?}");
        assert_eq!(raw_bulk(&["GET", &key]).as_deref(), Some("changed"));

        // UNWATCH forgets the key, so the same conflict no longer aborts.
        tx.call(cmd::watch([&key])).await.unwrap();
        let () = tx.call(cmd::unwatch()).await.unwrap();
        raw(&["SET", &key, "again"]);
        tx.call(cmd::multi()).await.unwrap();
        tx.frame(cmd::set(&key, "mine")).await;
        let done = tx.call(cmd::exec()).await.unwrap();
        assert_eq!(done, Some(vec![Value::Status("OK".into())]), "{protocol:?}");
        assert_eq!(raw_bulk(&["GET", &key]).as_deref(), Some("mine"));

        // WATCH is not allowed inside MULTI.
        tx.call(cmd::multi()).await.unwrap();
        let err = tx.call(cmd::watch([&key])).await.unwrap_err();
        assert!(err.contains("inside MULTI"), "{err}");
        tx.call(cmd::discard()).await.unwrap();
    }
}

#[tokio::test]
async fn the_shared_client_refuses_transaction_commands() {
    let client = client_on(shared(), Protocol::Resp2).await;
    let key = unique_key("tx-refused");
    assert_refused(client.send(cmd::multi()).await, "MULTI");
    assert_refused(client.send(cmd::exec()).await, "EXEC");
    assert_refused(client.send(cmd::discard()).await, "DISCARD");
    assert_refused(client.send(cmd::watch([&key])).await, "WATCH");
    assert_refused(client.send(cmd::unwatch()).await, "UNWATCH");
    // Nothing reached the connection: it is not in a transaction.
    client.set(&key, "v").await.unwrap();
    assert_eq!(raw_bulk(&["GET", &key]).as_deref(), Some("v"));
}

// ---------------------------------------------------------------------------
// Scripting
// ---------------------------------------------------------------------------

#[tokio::test]
async fn eval_family_returns_the_script_value() {
    each_protocol(|client| async move {
        let key = unique_key("eval");
        raw(&["SET", &key, "stored"]);
        let resp3 = client.resp() == redtyped::Resp::V3;

        let v: Value = client
            .eval("return {KEYS[1], ARGV[1], 7, {ARGV[2]}}", 1)
            .key([&key])
            .arg(["x", "y"])
            .await
            .unwrap();
        assert_eq!(
            v,
            Value::Array(vec![
                Value::Bulk(Bytes::from(key.clone())),
                Value::Bulk(Bytes::from_static(b"x")),
                Value::Int(7),
                Value::Array(vec![Value::Bulk(Bytes::from_static(b"y"))]),
            ])
        );
        assert_eq!(client.eval("return nil", 0).await.unwrap(), Value::Nil);
        assert_eq!(
            client
                .eval("return redis.status_reply('fine')", 0)
                .await
                .unwrap(),
            Value::Status("fine".into())
        );
        assert_eq!(
            client
                .eval("return redis.call('GET', KEYS[1])", 1)
                .key([&key])
                .await
                .unwrap(),
            Value::Bulk(Bytes::from_static(b"stored"))
        );
        // A script's RESP3 reply reaches a RESP3 client as such; RESP2 gets its old form.
        let double = client.eval("return {double=3.5}", 0).await.unwrap();
        let expected = if resp3 {
            Value::Double(3.5)
        } else {
            Value::Bulk(Bytes::from_static(b"3.5"))
        };
        assert_eq!(double, expected);
        let map = client.eval("return {map={a=1}}", 0).await.unwrap();
        if resp3 {
            assert_eq!(
                map,
                Value::Map(vec![(Value::Bulk(Bytes::from_static(b"a")), Value::Int(1))])
            );
        } else {
            assert_eq!(
                map,
                Value::Array(vec![Value::Bulk(Bytes::from_static(b"a")), Value::Int(1)])
            );
        }
        assert_server_error(
            client
                .eval("return redis.error_reply('MYERR broken')", 0)
                .await,
            "MYERR",
            "broken",
        );

        // The read-only forms run reads and refuse writes.
        assert_eq!(
            client
                .eval_ro("return redis.call('GET', KEYS[1])", 1)
                .key([&key])
                .await
                .unwrap(),
            Value::Bulk(Bytes::from_static(b"stored"))
        );
        assert_server_error(
            client
                .eval_ro("return redis.call('SET', KEYS[1], 'w')", 1)
                .key([&key])
                .await,
            "ERR",
            "Write commands are not allowed",
        );
        assert_eq!(raw_bulk(&["GET", &key]).as_deref(), Some("stored"));

        // SCRIPT LOAD gives the digest the server knows the script by.
        let script = format!("return {{'{}', ARGV[1]}}", unique_key("script"));
        let sha: String = client.script_load(&script).await.unwrap();
        assert_eq!(sha.len(), 40);
        assert_eq!(
            raw_bulk(&["SCRIPT", "LOAD", &script]).as_deref(),
            Some(sha.as_str())
        );
        let bogus = "0".repeat(40);
        assert_eq!(
            client.script_exists([&sha, &bogus]).await.unwrap(),
            [true, false]
        );
        let v = client.evalsha(&sha, 0).arg(["a1"]).await.unwrap();
        let Value::Array(items) = v else {
            panic!("{v:?}")
        };
        assert_eq!(items[1], Value::Bulk(Bytes::from_static(b"a1")));
        let read = client
            .script_load("return redis.call('GET', KEYS[1])")
            .await
            .unwrap();
        assert_eq!(
            client.evalsha_ro(&read, 1).key([&key]).await.unwrap(),
            Value::Bulk(Bytes::from_static(b"stored"))
        );
        assert_server_error(client.evalsha(&bogus, 0).await, "NOSCRIPT", "");
        assert_server_error(client.evalsha_ro(&bogus, 0).await, "NOSCRIPT", "");
    })
    .await;
}

/// A library with one read-write and one read-only function, named after `lib`.
fn library(lib: &str) -> String {
    format!(
        "#!lua name={lib}\n\
         redis.register_function('{lib}_set', function(keys, args) \
             return redis.call('SET', keys[1], args[1]) end)\n\
         redis.register_function{{function_name='{lib}_get', \
             callback=function(keys, args) return {{redis.call('GET', keys[1]), #args}} end, \
             flags={{'no-writes'}}, description='reads a key'}}\n"
    )
}

#[tokio::test]
async fn function_load_fcall_list_delete() {
    each_protocol(|client| async move {
        let lib = unique_name("lib");
        let code = library(&lib);
        let key = unique_key("fcall");

        let name: String = client.function_load(&code).await.unwrap();
        assert_eq!(name, lib);
        assert_server_error(client.function_load(&code).await, "ERR", "already exists");
        assert_eq!(client.function_load(&code).replace().await.unwrap(), lib);

        let set = format!("{lib}_set");
        let get = format!("{lib}_get");
        let ok: Value = client.fcall(&set, 1).key([&key]).arg(["v1"]).await.unwrap();
        assert_eq!(ok, Value::Status("OK".into()));
        assert_eq!(raw_bulk(&["GET", &key]).as_deref(), Some("v1"));
        let read = client
            .fcall_ro(&get, 1)
            .key([&key])
            .arg(["a", "b"])
            .await
            .unwrap();
        assert_eq!(
            read,
            Value::Array(vec![Value::Bulk(Bytes::from_static(b"v1")), Value::Int(2)])
        );
        assert_eq!(
            client.fcall(&get, 1).key([&key]).await.unwrap(),
            Value::Array(vec![Value::Bulk(Bytes::from_static(b"v1")), Value::Int(0)]),
            "FCALL runs read-only functions too"
        );
        assert_server_error(
            client.fcall_ro(&set, 1).key([&key]).arg(["v2"]).await,
            "ERR",
            "write flag",
        );
        assert_eq!(raw_bulk(&["GET", &key]).as_deref(), Some("v1"));

        // FUNCTION LIST, filtered to this library; the code only WITHCODE.
        let libs: Vec<FunctionLibrary> = client.function_list().libraryname(&lib).await.unwrap();
        assert_eq!(libs.len(), 1, "{libs:?}");
        let listed = &libs[0];
        assert_eq!(listed.library_name, lib);
        assert_eq!(listed.engine, "LUA");
        assert_eq!(listed.library_code, None);
        let functions: BTreeMap<&str, _> = listed
            .functions
            .iter()
            .map(|f| (f.name.as_str(), f))
            .collect();
        assert_eq!(
            functions.keys().copied().collect::<Vec<_>>(),
            [get.as_str(), set.as_str()]
        );
        assert_eq!(
            functions[get.as_str()].description.as_deref(),
            Some("reads a key")
        );
        assert_eq!(functions[get.as_str()].flags, ["no-writes"]);
        assert_eq!(functions[set.as_str()].description, None);
        assert!(functions[set.as_str()].flags.is_empty());
        let with_code = client
            .function_list()
            .withcode()
            .libraryname(&lib)
            .await
            .unwrap();
        assert_eq!(with_code[0].library_code.as_deref(), Some(code.as_str()));
        let other = client
            .function_list()
            .libraryname(unique_name("nolib"))
            .await
            .unwrap();
        assert!(other.is_empty());

        let () = client.function_delete(&lib).await.unwrap();
        assert!(
            client
                .function_list()
                .libraryname(&lib)
                .await
                .unwrap()
                .is_empty()
        );
        assert_server_error(client.fcall(&set, 1).key([&key]).await, "ERR", "not found");
        assert_server_error(client.function_delete(&lib).await, "ERR", "not found");
    })
    .await;
}

#[tokio::test]
async fn function_dump_flush_restore() {
    let server = Server::start();
    for protocol in PROTOCOLS {
        let client = client_on(&server, protocol).await;
        let lib = unique_name("dumped");
        client.function_load(library(&lib)).await.unwrap();

        let dump: Vec<u8> = client.function_dump().await.unwrap();
        assert!(!dump.is_empty());
        let as_bytes: Bytes = client.function_dump().await.unwrap();
        assert_eq!(&as_bytes[..], &dump[..]);

        let () = client.function_flush().synchronous().await.unwrap();
        assert!(client.function_list().await.unwrap().is_empty());
        assert_eq!(raw_on(&server, &["FUNCTION", "LIST"]), Raw::Array(vec![]));

        let () = client.function_restore(&dump[..]).await.unwrap();
        let libs = client.function_list().await.unwrap();
        assert_eq!(libs.len(), 1);
        assert_eq!(libs[0].library_name, lib);
        // Restoring over the same library: refused by default, fine with REPLACE or FLUSH.
        assert_server_error(
            client.function_restore(&dump[..]).await,
            "ERR",
            "already exists",
        );
        client.function_restore(&dump[..]).replace().await.unwrap();
        client.function_restore(&dump[..]).flush().await.unwrap();
        assert_eq!(client.function_list().await.unwrap().len(), 1);
        client.function_flush().asynchronous().await.unwrap();
        client.function_restore(&dump[..]).append().await.unwrap();
        assert_eq!(client.function_list().await.unwrap().len(), 1);
        client.function_flush().await.unwrap();
        assert!(client.function_list().await.unwrap().is_empty());
        assert_server_error(client.function_restore("garbage").await, "ERR", "payload");
    }
}

#[tokio::test]
async fn function_stats_and_kill_a_running_function() {
    let server = server_for_busy_scripts();
    let admin = client_on(&server, Protocol::Resp2).await;
    admin
        .function_load(
            "#!lua name=spinning\n\
             redis.register_function{function_name='spin', \
             callback=function(keys, args) while true do end end, flags={'no-writes'}}",
        )
        .await
        .unwrap();
    for protocol in PROTOCOLS {
        let client = client_on(&server, protocol).await;
        let idle: FunctionStatsReport<String> = client.function_stats().await.unwrap();
        assert_eq!(idle.running_script, None);
        let lua = &idle.engines["LUA"];
        assert_eq!((lua.libraries_count, lua.functions_count), (1, 1));
        assert_server_error(client.function_kill().await, "NOTBUSY", "");

        let caller = client_on(&server, protocol).await;
        let spinning = tokio::spawn(async move { caller.fcall("spin", 0).arg(["arg1"]).await });
        wait_until_async(Duration::from_secs(10), "the function to run", || {
            let client = client.clone();
            async move {
                let stats: FunctionStatsReport<String> = client.function_stats().await.unwrap();
                stats.running_script.is_some()
            }
        })
        .await;
        // It loops until killed, so it is still running now.
        let stats: FunctionStatsReport<String> = client.function_stats().await.unwrap();
        let running = stats.running_script.expect("the function still runs");
        assert_eq!(running.name, "spin");
        assert_eq!(running.command, ["FCALL", "spin", "0", "arg1"]);
        assert!(running.duration_ms >= 0);

        let () = client.function_kill().await.unwrap();
        let killed = spinning.await.unwrap();
        assert_server_error(killed, "ERR", "killed");
        let after: FunctionStatsReport<Bytes> = client.function_stats().await.unwrap();
        assert_eq!(after.running_script, None);
    }
}

#[tokio::test]
async fn script_kill_flush_and_debug() {
    let server = server_for_busy_scripts();
    for protocol in PROTOCOLS {
        let client = client_on(&server, protocol).await;
        assert_server_error(client.script_kill().await, "NOTBUSY", "");

        let caller = client_on(&server, protocol).await;
        let spinning = tokio::spawn(async move { caller.eval("while true do end", 0).await });
        wait_until_async(
            Duration::from_secs(10),
            "SCRIPT KILL to find the script",
            || {
                let client = client.clone();
                async move { client.script_kill().await.is_ok() }
            },
        )
        .await;
        assert_server_error(spinning.await.unwrap(), "ERR", "killed");
        assert_eq!(server.cli(&["PING"]), "+PONG\r\n");

        // SCRIPT FLUSH empties the cache, in any mode.
        for flush in 0..3 {
            let sha = client.script_load("return 1").await.unwrap();
            assert_eq!(client.script_exists([&sha]).await.unwrap(), [true]);
            let () = match flush {
                0 => client.script_flush().await.unwrap(),
                1 => client.script_flush().synchronous().await.unwrap(),
                _ => client.script_flush().asynchronous().await.unwrap(),
            };
            assert_eq!(client.script_exists([&sha]).await.unwrap(), [false]);
        }

        // SCRIPT DEBUG changes its own connection only.
        for mode in [
            ScriptDebugMode::Yes,
            ScriptDebugMode::Sync,
            ScriptDebugMode::No,
        ] {
            let () = call_dedicated(&server, protocol, cmd::script_debug(mode))
                .await
                .unwrap();
        }
        assert_eq!(
            client.eval("return 'normal'", 0).await.unwrap(),
            Value::Bulk(Bytes::from_static(b"normal"))
        );
        assert_refused(
            client.send(cmd::script_debug(ScriptDebugMode::No)).await,
            "SCRIPT DEBUG",
        );
    }
}

#[tokio::test]
async fn script_and_function_help() {
    each_protocol(|client| async move {
        let script: Vec<String> = client.script_help().await.unwrap();
        assert_eq!(script, raw_strings(&["SCRIPT", "HELP"]));
        assert!(script[0].starts_with("SCRIPT <subcommand>"), "{script:?}");
        assert!(script.iter().any(|l| l.starts_with("FLUSH")), "{script:?}");
        let function: Vec<String> = client.function_help().await.unwrap();
        assert_eq!(function, raw_strings(&["FUNCTION", "HELP"]));
        assert!(
            function[0].starts_with("FUNCTION <subcommand>"),
            "{function:?}"
        );
    })
    .await;
}

/// A record holding user data decodes it into the caller's type, or fails as a decode error.
#[tokio::test]
async fn records_of_user_data_take_the_callers_type() {
    each_protocol(|client| async move {
        let key = unique_key("records");
        raw(&["HSET", &key, "1", "10", "2", "20"]);
        let page: HashScanPage<i64> = client.hscan(&key, 0).await.unwrap();
        let entries: HashMap<i64, i64> = page.entries.into_iter().collect();
        assert_eq!(entries, HashMap::from([(1, 10), (2, 20)]));
        let err = client
            .hscan::<bool>(&key, 0)
            .await
            .expect_err("10 is not a bool");
        assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
        assert_eq!(err.command(), Some("HSCAN"));
        // The connection still answers in order after a decode error.
        assert_eq!(client.hlen(&key).await.unwrap(), 2);
    })
    .await;
}
