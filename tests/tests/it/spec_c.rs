//! Reply types of the spec's commands, part C, against a live server under RESP2 and RESP3.
//!
//! The sorted-set and stream commands: every reply type and each option that
//! changes it, checked against what the server did as an independent raw
//! RESP2 connection of the harness sees it.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use redtyped::reply::{
    AutoClaimed, AutoClaimedIds, DeliveredEntry, PendingEntry, PendingSummary, PoppedMember,
    PoppedMembers, ScoredScanPage, StreamConsumerInfo, StreamEntry, StreamGroupInfo, StreamInfo,
    StreamInfoFull,
};
use redtyped::{ErrorKind, cmd};
use redtyped_tests::{Server, shared, unique_key, wait_until_async};

use crate::support::{PROTOCOLS, call_dedicated, each_protocol};

// ---------------------------------------------------------------------------
// The server's own view, over a raw RESP2 connection of the harness.
// ---------------------------------------------------------------------------

/// A RESP2 reply as the harness reads it.
#[derive(Debug, Clone, PartialEq)]
enum Reply {
    Nil,
    Int(i64),
    Text(String),
    Error(String),
    Array(Vec<Reply>),
}

/// One RESP2 value at the start of `s`, and what follows it.
fn parse_reply(s: &str) -> Option<(Reply, &str)> {
    let (head, rest) = s.split_once("\r\n")?;
    let kind = head.get(..1)?;
    let body = head.get(1..)?;
    match kind {
        "+" => Some((Reply::Text(body.to_owned()), rest)),
        "-" => Some((Reply::Error(body.to_owned()), rest)),
        ":" => Some((Reply::Int(body.parse().ok()?), rest)),
        "$" => {
            let n: i64 = body.parse().ok()?;
            if n < 0 {
                return Some((Reply::Nil, rest));
            }
            let n = n as usize;
            let data = rest.get(..n)?;
            let rest = rest.get(n..)?.strip_prefix("\r\n")?;
            Some((Reply::Text(data.to_owned()), rest))
        }
        "*" => {
            let n: i64 = body.parse().ok()?;
            if n < 0 {
                return Some((Reply::Nil, rest));
            }
            let mut items = Vec::new();
            let mut rest = rest;
            for _ in 0..n {
                let (item, r) = parse_reply(rest)?;
                items.push(item);
                rest = r;
            }
            Some((Reply::Array(items), rest))
        }
        _ => None,
    }
}

impl Reply {
    #[track_caller]
    fn int(&self) -> i64 {
        match self {
            Reply::Int(i) => *i,
            other => panic!("expected an integer, got {other:?}"),
        }
    }

    #[track_caller]
    fn text(&self) -> &str {
        match self {
            Reply::Text(s) => s,
            other => panic!("expected a string, got {other:?}"),
        }
    }

    #[track_caller]
    fn items(&self) -> &[Reply] {
        match self {
            Reply::Array(items) => items,
            other => panic!("expected an array, got {other:?}"),
        }
    }

    /// The value after `name` in a flat `name value …` array (XINFO replies).
    #[track_caller]
    fn field(&self, name: &str) -> &Reply {
        self.field_if_any(name)
            .unwrap_or_else(|| panic!("no field {name:?} in {self:?}"))
    }

    /// Like [`field`](Self::field), for fields newer servers add.
    #[track_caller]
    fn field_if_any(&self, name: &str) -> Option<&Reply> {
        self.items()
            .chunks(2)
            .find(|kv| kv[0] == Reply::Text(name.to_owned()))
            .map(|kv| &kv[1])
    }
}

/// A raw command on `server`, its reply parsed.
#[track_caller]
fn raw_on(server: &Server, args: &[&str]) -> Reply {
    let text = server.cli(args);
    match parse_reply(&text) {
        Some((reply, "")) => reply,
        _ => panic!("raw {args:?}: unparsable reply {text:?}"),
    }
}

/// A raw command on the shared server, its reply parsed.
#[track_caller]
fn raw(args: &[&str]) -> Reply {
    raw_on(shared(), args)
}

#[track_caller]
fn raw_int(args: &[&str]) -> i64 {
    raw(args).int()
}

/// A score as the server writes it.
#[track_caller]
fn score(text: &str) -> f64 {
    match text {
        "inf" => f64::INFINITY,
        "-inf" => f64::NEG_INFINITY,
        _ => text
            .parse()
            .unwrap_or_else(|_| panic!("not a score: {text:?}")),
    }
}

/// Every member of a sorted set with its score, per the server, lowest first.
#[track_caller]
fn zset_raw(key: &str) -> Vec<(String, f64)> {
    raw(&["ZRANGE", key, "0", "-1", "WITHSCORES"])
        .items()
        .chunks(2)
        .map(|ms| (ms[0].text().to_owned(), score(ms[1].text())))
        .collect()
}

/// The members of a sorted set, per the server, lowest score first.
#[track_caller]
fn members_raw(key: &str) -> Vec<String> {
    zset_raw(key).into_iter().map(|(m, _)| m).collect()
}

#[track_caller]
fn exists_raw(key: &str) -> bool {
    raw_int(&["EXISTS", key]) == 1
}

/// A stream entry's field/value pairs as plain strings.
type Fields = Vec<(String, String)>;

/// A stream entry as plain strings.
type Entry = (String, Fields);

#[track_caller]
fn entry_of(reply: &Reply) -> Entry {
    let [id, fields] = reply.items() else {
        panic!("not a stream entry: {reply:?}")
    };
    let fields = fields
        .items()
        .chunks(2)
        .map(|fv| (fv[0].text().to_owned(), fv[1].text().to_owned()))
        .collect();
    (id.text().to_owned(), fields)
}

/// Every entry of a stream, per the server.
#[track_caller]
fn stream_raw(key: &str) -> Vec<Entry> {
    raw(&["XRANGE", key, "-", "+"])
        .items()
        .iter()
        .map(entry_of)
        .collect()
}

#[track_caller]
fn stream_ids_raw(key: &str) -> Vec<String> {
    stream_raw(key).into_iter().map(|(id, _)| id).collect()
}

/// A typed entry as plain strings.
fn typed(entry: &StreamEntry<String>) -> Entry {
    (entry.id.clone(), entry.fields.clone())
}

/// Field/value pairs as owned strings.
fn fv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(f, v)| ((*f).to_owned(), (*v).to_owned()))
        .collect()
}

/// A group's pending entries (id, consumer, deliveries), per the server.
#[track_caller]
fn pending_raw(key: &str, group: &str) -> Vec<(String, String, i64)> {
    raw(&["XPENDING", key, group, "-", "+", "1000"])
        .items()
        .iter()
        .map(|p| {
            let p = p.items();
            (p[0].text().to_owned(), p[1].text().to_owned(), p[3].int())
        })
        .collect()
}

/// A consumer group's description in XINFO GROUPS, per the server.
#[track_caller]
fn group_raw(key: &str, group: &str) -> Reply {
    raw(&["XINFO", "GROUPS", key])
        .items()
        .iter()
        .find(|g| g.field("name").text() == group)
        .cloned()
        .unwrap_or_else(|| panic!("no group {group} on {key}"))
}

/// The stream commands' Lua loop: `n` entries with ids `1-0` … `n-0`.
#[track_caller]
fn fill_stream(key: &str, n: usize) {
    raw(&[
        "EVAL",
        "for i = 1, tonumber(ARGV[1]) do redis.call('XADD', KEYS[1], i .. '-0', 'i', i) end",
        "1",
        key,
        &n.to_string(),
    ]);
}

/// How many clients the server has blocked.
#[track_caller]
fn blocked_clients(server: &Server) -> i64 {
    let info = raw_on(server, &["INFO", "clients"]);
    info.text()
        .lines()
        .find_map(|l| l.strip_prefix("blocked_clients:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("INFO clients lacks blocked_clients: {info:?}"))
}

/// The milliseconds part of a stream id.
#[track_caller]
fn parse_ms(id: &str) -> u64 {
    id.split_once('-')
        .and_then(|(ms, _)| ms.parse().ok())
        .unwrap_or_else(|| panic!("not a stream id: {id:?}"))
}

fn unix_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
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

// ---------------------------------------------------------------------------
// Sorted sets: counts, ranks, scores
// ---------------------------------------------------------------------------

#[tokio::test]
async fn zcard_zcount_zlexcount_count_members() {
    each_protocol(|client| async move {
        let key = unique_key("zcard");
        assert_eq!(client.zcard(&key).await.unwrap(), 0, "a missing key");
        raw(&[
            "ZADD", &key, "1", "a", "2", "b", "3", "c", "-inf", "lo", "inf", "hi",
        ]);
        assert_eq!(client.zcard(&key).await.unwrap(), 5);

        assert_eq!(client.zcount(&key, 1.0, 2.0).await.unwrap(), 2);
        assert_eq!(client.zcount(&key, 1.5, 100.0).await.unwrap(), 2);
        assert_eq!(client.zcount(&key, 5.0, 1.0).await.unwrap(), 0);
        // Infinite bounds are written as the server reads them.
        assert_eq!(
            client
                .zcount(&key, f64::NEG_INFINITY, f64::INFINITY)
                .await
                .unwrap(),
            5
        );
        assert_eq!(
            client.zcount(&key, 2.0, f64::INFINITY).await.unwrap(),
            raw_int(&["ZCOUNT", &key, "2", "+inf"])
        );
        assert_eq!(
            client.zcount(unique_key("none"), 0.0, 1.0).await.unwrap(),
            0
        );

        let lex = unique_key("zlexcount");
        raw(&[
            "ZADD", &lex, "0", "a", "0", "b", "0", "c", "0", "d", "0", "e",
        ]);
        assert_eq!(client.zlexcount(&lex, "-", "+").await.unwrap(), 5);
        assert_eq!(client.zlexcount(&lex, "[b", "(d").await.unwrap(), 2);
        assert_eq!(client.zlexcount(&lex, "(e", "+").await.unwrap(), 0);
        assert_server_error(client.zlexcount(&lex, "b", "+").await, "ERR", "");

        let string = unique_key("zcard-string");
        raw(&["SET", &string, "v"]);
        assert_server_error(client.zcard(&string).await, "WRONGTYPE", "wrong kind");
    })
    .await;
}

#[tokio::test]
async fn zrank_and_zrevrank_present_and_missing() {
    each_protocol(|client| async move {
        let key = unique_key("zrank");
        raw(&["ZADD", &key, "10", "a", "20", "b", "30", "c", "40", "7"]);
        assert_eq!(client.zrank(&key, "a").await.unwrap(), Some(0));
        assert_eq!(client.zrank(&key, "c").await.unwrap(), Some(2));
        assert_eq!(client.zrank(&key, 7).await.unwrap(), Some(3));
        assert_eq!(client.zrank(&key, "nope").await.unwrap(), None);
        assert_eq!(client.zrank(unique_key("none"), "a").await.unwrap(), None);

        assert_eq!(client.zrevrank(&key, "a").await.unwrap(), Some(3));
        assert_eq!(client.zrevrank(&key, 7).await.unwrap(), Some(0));
        assert_eq!(client.zrevrank(&key, "nope").await.unwrap(), None);
        assert_eq!(
            client.zrevrank(&key, "b").await.unwrap(),
            Some(raw_int(&["ZREVRANK", &key, "b"]))
        );
    })
    .await;
}

#[tokio::test]
async fn zincrby_returns_the_new_score() {
    each_protocol(|client| async move {
        let key = unique_key("zincrby");
        let new: f64 = client.zincrby(&key, 5.0, "m").await.unwrap();
        assert_eq!(new, 5.0, "a new member starts from 0");
        assert_eq!(zset_raw(&key), [("m".to_owned(), 5.0)]);
        assert_eq!(client.zincrby(&key, -7.0, "m").await.unwrap(), -2.0);
        assert_eq!(zset_raw(&key), [("m".to_owned(), -2.0)]);

        // Fractions and infinities come back as the server holds them.
        raw(&["ZADD", &key, "0.5", "half", "inf", "top"]);
        assert_eq!(client.zincrby(&key, 1.0, "half").await.unwrap(), 1.5);
        assert_eq!(
            client.zincrby(&key, 1.0, "top").await.unwrap(),
            f64::INFINITY
        );

        let string = unique_key("zincrby-string");
        raw(&["SET", &string, "v"]);
        assert_server_error(
            client.zincrby(&string, 1.0, "m").await,
            "WRONGTYPE",
            "wrong kind",
        );
    })
    .await;
}

#[tokio::test]
async fn zmscore_scores_or_nil_per_member() {
    each_protocol(|client| async move {
        let key = unique_key("zmscore");
        raw(&["ZADD", &key, "1.5", "a", "2", "b", "-inf", "c"]);
        let scores: Vec<Option<f64>> = client.zmscore(&key, ["a", "nope", "b", "c"]).await.unwrap();
        assert_eq!(
            scores,
            [Some(1.5), None, Some(2.0), Some(f64::NEG_INFINITY)]
        );
        let missing = client
            .zmscore(unique_key("none"), ["a", "b"])
            .await
            .unwrap();
        assert_eq!(missing, [None, None]);
    })
    .await;
}

// ---------------------------------------------------------------------------
// Sorted sets: removing and popping
// ---------------------------------------------------------------------------

#[tokio::test]
async fn zrem_and_zremrange_count_removed_members() {
    each_protocol(|client| async move {
        let key = unique_key("zrem");
        raw(&["ZADD", &key, "1", "a", "2", "b", "3", "c"]);
        assert_eq!(client.zrem(&key, ["a", "nope"]).await.unwrap(), 1);
        assert_eq!(members_raw(&key), ["b", "c"]);
        assert_eq!(client.zrem(&key, ["b", "c"]).await.unwrap(), 2);
        assert!(!exists_raw(&key), "the last member removed deletes the key");
        assert_eq!(client.zrem(&key, ["b"]).await.unwrap(), 0);

        raw(&[
            "ZADD", &key, "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
        ]);
        assert_eq!(client.zremrangebyrank(&key, 0, 1).await.unwrap(), 2);
        assert_eq!(members_raw(&key), ["c", "d", "e"]);
        assert_eq!(client.zremrangebyrank(&key, -1, -1).await.unwrap(), 1);
        assert_eq!(members_raw(&key), ["c", "d"]);

        assert_eq!(client.zremrangebyscore(&key, 3.5, 10.0).await.unwrap(), 1);
        assert_eq!(members_raw(&key), ["c"]);
        assert_eq!(
            client
                .zremrangebyscore(&key, f64::NEG_INFINITY, f64::INFINITY)
                .await
                .unwrap(),
            1
        );
        assert!(!exists_raw(&key));

        raw(&["ZADD", &key, "0", "a", "0", "b", "0", "c", "0", "d"]);
        assert_eq!(client.zremrangebylex(&key, "[b", "(d").await.unwrap(), 2);
        assert_eq!(members_raw(&key), ["a", "d"]);
        assert_eq!(client.zremrangebylex(&key, "(d", "+").await.unwrap(), 0);
        assert_eq!(
            client
                .zremrangebyrank(unique_key("none"), 0, -1)
                .await
                .unwrap(),
            0
        );
    })
    .await;
}

#[tokio::test]
async fn zpopmin_and_zpopmax_with_and_without_count() {
    each_protocol(|client| async move {
        let key = unique_key("zpop");
        raw(&[
            "ZADD", &key, "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
        ]);

        // Without COUNT: at most one member.
        let min: Vec<(String, f64)> = client.zpopmin(&key).await.unwrap();
        assert_eq!(min, [("a".to_owned(), 1.0)]);
        let max: Vec<(String, f64)> = client.zpopmax(&key).await.unwrap();
        assert_eq!(max, [("e".to_owned(), 5.0)]);
        assert_eq!(members_raw(&key), ["b", "c", "d"]);

        // COUNT 1 (a nested pair under RESP3) and a COUNT larger than the set.
        let one: Vec<(String, f64)> = client.zpopmax(&key).count(1).await.unwrap();
        assert_eq!(one, [("d".to_owned(), 4.0)]);
        let rest: Vec<(String, f64)> = client.zpopmin(&key).count(10).await.unwrap();
        assert_eq!(rest, [("b".to_owned(), 2.0), ("c".to_owned(), 3.0)]);
        assert!(!exists_raw(&key));

        // A missing key: nothing, with and without COUNT.
        let none: Vec<(String, f64)> = client.zpopmin(&key).await.unwrap();
        assert!(none.is_empty());
        let none: Vec<(String, f64)> = client.zpopmax(&key).count(3).await.unwrap();
        assert!(none.is_empty());

        // Members in the caller's type, highest first for ZPOPMAX.
        raw(&["ZADD", &key, "1", "10", "2", "20", "3", "30"]);
        let numbers: Vec<(i64, f64)> = client.zpopmax(&key).count(2).await.unwrap();
        assert_eq!(numbers, [(30, 3.0), (20, 2.0)]);
        assert_eq!(members_raw(&key), ["10"]);
    })
    .await;
}

#[tokio::test]
async fn zmpop_names_the_key_it_popped_from() {
    each_protocol(|client| async move {
        let empty = unique_key("zmpop-empty");
        let key = unique_key("zmpop");
        raw(&["ZADD", &key, "1", "a", "2", "b", "3", "c"]);

        let popped: Option<PoppedMembers<String>> = client
            .zmpop(2, [&empty, &key], cmd::ZmpopWhere::Min)
            .await
            .unwrap();
        let popped = popped.expect("a member to pop");
        assert_eq!(popped.key, key, "the first non-empty key");
        assert_eq!(popped.members, [("a".to_owned(), 1.0)]);
        assert_eq!(members_raw(&key), ["b", "c"]);

        let popped: Option<PoppedMembers<String>> = client
            .zmpop(2, [&empty, &key], cmd::ZmpopWhere::Max)
            .count(10)
            .await
            .unwrap();
        let popped = popped.unwrap();
        assert_eq!(popped.key, key);
        assert_eq!(
            popped.members,
            [("c".to_owned(), 3.0), ("b".to_owned(), 2.0)]
        );
        assert!(!exists_raw(&key));

        // Nothing to pop: nil.
        let none: Option<PoppedMembers<String>> = client
            .zmpop(2, [&empty, &key], cmd::ZmpopWhere::Min)
            .await
            .unwrap();
        assert_eq!(none, None);

        // Members in the caller's type; the key stays text.
        raw(&["ZADD", &empty, "1.5", "100", "2.5", "200"]);
        let numbers: Option<PoppedMembers<i64>> = client
            .zmpop(1, [&empty], cmd::ZmpopWhere::Min)
            .count(1)
            .await
            .unwrap();
        let numbers = numbers.unwrap();
        assert_eq!(numbers.key, empty);
        assert_eq!(numbers.members, [(100, 1.5)]);
    })
    .await;
}

#[tokio::test]
async fn zrandmember_one_some_or_with_scores() {
    each_protocol(|client| async move {
        let key = unique_key("zrandmember");
        raw(&["ZADD", &key, "1", "a", "2", "b", "3", "c"]);
        let all = ["a", "b", "c"];

        let one: Option<String> = client.zrandmember(&key).await.unwrap();
        let one = one.expect("a member of a non-empty set");
        assert!(all.contains(&one.as_str()), "{one}");
        let missing: Option<String> = client.zrandmember(unique_key("none")).await.unwrap();
        assert_eq!(missing, None);

        // A positive count: distinct members, at most the whole set.
        let two: Vec<String> = client.zrandmember(&key).count(2).await.unwrap();
        assert_eq!(two.len(), 2);
        assert_ne!(two[0], two[1]);
        assert!(two.iter().all(|m| all.contains(&m.as_str())), "{two:?}");
        let every: Vec<String> = client.zrandmember(&key).count(10).await.unwrap();
        assert_eq!(sorted(every), all);
        // A negative count: exactly that many, repeats allowed.
        let many: Vec<String> = client.zrandmember(&key).count(-7).await.unwrap();
        assert_eq!(many.len(), 7);
        assert!(many.iter().all(|m| all.contains(&m.as_str())), "{many:?}");

        // WITHSCORES: each member with its own score.
        let scored: Vec<(String, f64)> = client
            .zrandmember(&key)
            .count(-5)
            .withscores()
            .await
            .unwrap();
        assert_eq!(scored.len(), 5);
        let scores: BTreeMap<String, f64> = zset_raw(&key).into_iter().collect();
        for (member, s) in &scored {
            assert_eq!(scores.get(member), Some(s), "{member}");
        }
        let scored: Vec<(String, f64)> = client
            .zrandmember(&key)
            .withscores()
            .count(3)
            .await
            .unwrap();
        assert_eq!(sorted(scored.iter().map(|(m, _)| m.clone()).collect()), all);

        // A missing key with a count: empty.
        let none: Vec<String> = client
            .zrandmember(unique_key("none"))
            .count(3)
            .await
            .unwrap();
        assert!(none.is_empty());
        let none: Vec<(String, f64)> = client
            .zrandmember(unique_key("none"))
            .count(3)
            .withscores()
            .await
            .unwrap();
        assert!(none.is_empty());
    })
    .await;
}

// ---------------------------------------------------------------------------
// Sorted sets: ranges
// ---------------------------------------------------------------------------

#[tokio::test]
async fn zrangebylex_and_zrevrangebylex() {
    each_protocol(|client| async move {
        let key = unique_key("zrangebylex");
        raw(&[
            "ZADD", &key, "0", "a", "0", "b", "0", "c", "0", "d", "0", "e",
        ]);
        let range: Vec<String> = client.zrangebylex(&key, "[b", "(e").await.unwrap();
        assert_eq!(range, ["b", "c", "d"]);
        let limited: Vec<String> = client
            .zrangebylex(&key, "-", "+")
            .limit(1, 2)
            .await
            .unwrap();
        assert_eq!(limited, ["b", "c"]);
        let rev: Vec<String> = client.zrevrangebylex(&key, "+", "-").await.unwrap();
        assert_eq!(rev, ["e", "d", "c", "b", "a"]);
        let rev: Vec<String> = client
            .zrevrangebylex(&key, "(d", "[a")
            .limit(0, 2)
            .await
            .unwrap();
        assert_eq!(rev, ["c", "b"]);
        let bytes: Vec<Bytes> = client.zrangebylex(&key, "[e", "+").await.unwrap();
        assert_eq!(bytes, [Bytes::from_static(b"e")]);
        let none: Vec<String> = client
            .zrangebylex(unique_key("none"), "-", "+")
            .await
            .unwrap();
        assert!(none.is_empty());
    })
    .await;
}

#[tokio::test]
async fn zrangebyscore_zrevrangebyscore_zrevrange_with_and_without_scores() {
    each_protocol(|client| async move {
        let key = unique_key("zrangebyscore");
        raw(&["ZADD", &key, "1", "a", "2", "b", "3", "c", "4.5", "d"]);
        let owned = |v: &[(&str, f64)]| -> Vec<(String, f64)> {
            v.iter().map(|(m, s)| ((*m).to_owned(), *s)).collect()
        };

        let mid: Vec<String> = client.zrangebyscore(&key, 2.0, 3.0).await.unwrap();
        assert_eq!(mid, ["b", "c"]);
        let all: Vec<(String, f64)> = client
            .zrangebyscore(&key, f64::NEG_INFINITY, f64::INFINITY)
            .withscores()
            .await
            .unwrap();
        assert_eq!(all, zset_raw(&key));
        let page: Vec<String> = client
            .zrangebyscore(&key, 0.0, 10.0)
            .limit(1, 2)
            .await
            .unwrap();
        assert_eq!(page, ["b", "c"]);
        let page: Vec<(String, f64)> = client
            .zrangebyscore(&key, 0.0, 10.0)
            .withscores()
            .limit(3, 5)
            .await
            .unwrap();
        assert_eq!(page, owned(&[("d", 4.5)]));

        let rev: Vec<String> = client.zrevrangebyscore(&key, 3.0, 1.0).await.unwrap();
        assert_eq!(rev, ["c", "b", "a"]);
        let rev: Vec<(String, f64)> = client
            .zrevrangebyscore(&key, f64::INFINITY, f64::NEG_INFINITY)
            .limit(0, 2)
            .withscores()
            .await
            .unwrap();
        assert_eq!(rev, owned(&[("d", 4.5), ("c", 3.0)]));

        let top: Vec<String> = client.zrevrange(&key, 0, 1).await.unwrap();
        assert_eq!(top, ["d", "c"]);
        let bottom: Vec<String> = client.zrevrange(&key, -1, -1).await.unwrap();
        assert_eq!(bottom, ["a"]);
        let scored: Vec<(String, f64)> = client.zrevrange(&key, 0, -1).withscores().await.unwrap();
        let mut expected = zset_raw(&key);
        expected.reverse();
        assert_eq!(scored, expected);

        let none: Vec<(String, f64)> = client
            .zrevrange(unique_key("none"), 0, -1)
            .withscores()
            .await
            .unwrap();
        assert!(none.is_empty());
        let none: Vec<String> = client.zrangebyscore(&key, 10.0, 20.0).await.unwrap();
        assert!(none.is_empty());
    })
    .await;
}

#[tokio::test]
async fn zrangestore_counts_what_it_stored() {
    each_protocol(|client| async move {
        let src = unique_key("zrangestore-src");
        let dst = unique_key("zrangestore-dst");
        raw(&["ZADD", &src, "1", "a", "2", "b", "3", "c", "4", "d"]);

        assert_eq!(client.zrangestore(&dst, &src, 0, 1).await.unwrap(), 2);
        assert_eq!(
            zset_raw(&dst),
            [("a".to_owned(), 1.0), ("b".to_owned(), 2.0)]
        );
        assert_eq!(
            client
                .zrangestore(&dst, &src, "(1", 3)
                .byscore()
                .await
                .unwrap(),
            2
        );
        assert_eq!(members_raw(&dst), ["b", "c"]);
        assert_eq!(
            client
                .zrangestore(&dst, &src, "+inf", "-inf")
                .byscore()
                .rev()
                .limit(0, 3)
                .await
                .unwrap(),
            3
        );
        assert_eq!(members_raw(&dst), ["b", "c", "d"]);

        let lex = unique_key("zrangestore-lex");
        raw(&["ZADD", &lex, "0", "x", "0", "y", "0", "z"]);
        assert_eq!(
            client
                .zrangestore(&dst, &lex, "[y", "+")
                .bylex()
                .await
                .unwrap(),
            2
        );
        assert_eq!(members_raw(&dst), ["y", "z"]);

        // An empty range stores nothing and deletes the destination.
        assert_eq!(client.zrangestore(&dst, &src, 10, 20).await.unwrap(), 0);
        assert!(!exists_raw(&dst));
    })
    .await;
}

#[tokio::test]
async fn zdiff_zinter_zunion_and_their_store_and_card_forms() {
    each_protocol(|client| async move {
        let a = unique_key("zset-a");
        let b = unique_key("zset-b");
        let dst = unique_key("zset-dst");
        let none = unique_key("zset-none");
        raw(&["ZADD", &a, "1", "x", "2", "y", "3", "z"]);
        raw(&["ZADD", &b, "10", "y", "20", "z", "30", "w"]);
        let owned = |v: &[(&str, f64)]| -> Vec<(String, f64)> {
            v.iter().map(|(m, s)| ((*m).to_owned(), *s)).collect()
        };

        // ZDIFF
        let diff: Vec<String> = client.zdiff(2, [&a, &b]).await.unwrap();
        assert_eq!(diff, ["x"]);
        let diff: Vec<(String, f64)> = client.zdiff(2, [&a, &b]).withscores().await.unwrap();
        assert_eq!(diff, owned(&[("x", 1.0)]));
        assert_eq!(client.zdiffstore(&dst, 2, [&b, &a]).await.unwrap(), 1);
        assert_eq!(zset_raw(&dst), owned(&[("w", 30.0)]));

        // ZINTER: scores summed by default, weighted, or aggregated.
        let inter: Vec<String> = client.zinter(2, [&a, &b]).await.unwrap();
        assert_eq!(inter, ["y", "z"]);
        let inter: Vec<(String, f64)> = client.zinter(2, [&a, &b]).withscores().await.unwrap();
        assert_eq!(inter, owned(&[("y", 12.0), ("z", 23.0)]));
        let weighted: Vec<(String, f64)> = client
            .zinter(2, [&a, &b])
            .weights([2.0, 1.0])
            .withscores()
            .await
            .unwrap();
        assert_eq!(weighted, owned(&[("y", 14.0), ("z", 26.0)]));
        let min: Vec<(String, f64)> = client
            .zinter(2, [&a, &b])
            .aggregate_min()
            .withscores()
            .await
            .unwrap();
        assert_eq!(min, owned(&[("y", 2.0), ("z", 3.0)]));
        let max: Vec<(String, f64)> = client
            .zinter(2, [&a, &b])
            .withscores()
            .aggregate_max()
            .await
            .unwrap();
        assert_eq!(max, owned(&[("y", 10.0), ("z", 20.0)]));
        let empty: Vec<String> = client.zinter(2, [&a, &none]).await.unwrap();
        assert!(empty.is_empty());

        assert_eq!(
            client
                .zinterstore(&dst, 2, [&a, &b])
                .weights([1.0, 0.0])
                .aggregate_sum()
                .await
                .unwrap(),
            2
        );
        assert_eq!(zset_raw(&dst), owned(&[("y", 2.0), ("z", 3.0)]));
        assert_eq!(client.zintercard(2, [&a, &b]).await.unwrap(), 2);
        assert_eq!(client.zintercard(2, [&a, &b]).limit(1).await.unwrap(), 1);
        assert_eq!(client.zintercard(2, [&a, &none]).await.unwrap(), 0);

        // ZUNION
        let union: Vec<String> = client.zunion(2, [&a, &b]).await.unwrap();
        assert_eq!(union, ["x", "y", "z", "w"]);
        let union: Vec<(String, f64)> = client.zunion(2, [&a, &b]).withscores().await.unwrap();
        assert_eq!(
            union,
            owned(&[("x", 1.0), ("y", 12.0), ("z", 23.0), ("w", 30.0)])
        );
        let union: Vec<(String, f64)> = client
            .zunion(2, [&a, &b])
            .weights([3.0, 0.0])
            .aggregate_max()
            .withscores()
            .await
            .unwrap();
        assert_eq!(
            union,
            owned(&[("w", 0.0), ("x", 3.0), ("y", 6.0), ("z", 9.0)])
        );
        assert_eq!(
            client
                .zunionstore(&dst, 2, [&a, &b])
                .aggregate_min()
                .await
                .unwrap(),
            4
        );
        assert_eq!(
            zset_raw(&dst),
            owned(&[("x", 1.0), ("y", 2.0), ("z", 3.0), ("w", 30.0)])
        );

        // Stores of an empty result delete the destination.
        assert_eq!(client.zinterstore(&dst, 2, [&a, &none]).await.unwrap(), 0);
        assert!(!exists_raw(&dst));
    })
    .await;
}

#[tokio::test]
async fn zscan_pages_through_every_member_with_its_score() {
    each_protocol(|client| async move {
        // Large enough for a hash table, so the scan takes several pages.
        let key = unique_key("zscan");
        raw(&[
            "EVAL",
            "for i = 1, 300 do redis.call('ZADD', KEYS[1], i / 4, 'm' .. i) end",
            "1",
            &key,
        ]);
        let mut seen = BTreeMap::new();
        let mut pages = 0;
        let mut cursor = 0;
        loop {
            let page: ScoredScanPage<String> = client.zscan(&key, cursor).count(20).await.unwrap();
            pages += 1;
            seen.extend(page.members);
            cursor = page.cursor.parse().expect("the cursor is a number");
            if cursor == 0 {
                break;
            }
            assert!(pages < 1000, "the scan does not end");
        }
        assert!(pages > 1, "a 300-member set scans in several pages");
        let expected: BTreeMap<String, f64> = zset_raw(&key).into_iter().collect();
        assert_eq!(seen.len(), 300);
        assert_eq!(seen, expected);

        // MATCH filters members; a small set comes back in one page.
        let small = unique_key("zscan-small");
        raw(&[
            "ZADD", &small, "1", "apple", "2.5", "avocado", "3", "banana",
        ]);
        let page: ScoredScanPage<String> = client.zscan(&small, 0).pattern("a*").await.unwrap();
        assert_eq!(page.cursor, "0");
        let mut members = page.members;
        members.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            members,
            [("apple".to_owned(), 1.0), ("avocado".to_owned(), 2.5)]
        );
        let page: ScoredScanPage<Bytes> = client.zscan(unique_key("none"), 0).await.unwrap();
        assert_eq!(page.cursor, "0");
        assert!(page.members.is_empty());
    })
    .await;
}

// ---------------------------------------------------------------------------
// Sorted sets: blocking pops, on dedicated connections
// ---------------------------------------------------------------------------

#[tokio::test]
async fn bzpopmin_bzpopmax_bzmpop_pop_or_time_out() {
    for protocol in PROTOCOLS {
        let server = shared();
        let empty = unique_key("bzpop-empty");
        let key = unique_key("bzpop");
        raw(&["ZADD", &key, "1", "a", "2", "b", "3", "c", "4", "d"]);

        let min: Option<PoppedMember<String>> =
            call_dedicated(server, protocol, cmd::bzpopmin([&empty, &key], 1.0))
                .await
                .unwrap();
        let min = min.expect("a member was there to pop");
        assert_eq!((min.key.as_str(), min.member.as_str()), (key.as_str(), "a"));
        assert_eq!(min.score, 1.0);
        let max: Option<PoppedMember<String>> =
            call_dedicated(server, protocol, cmd::bzpopmax([&key], 1.0))
                .await
                .unwrap();
        let max = max.unwrap();
        assert_eq!((max.member.as_str(), max.score), ("d", 4.0));
        assert_eq!(members_raw(&key), ["b", "c"]);

        let popped: Option<PoppedMembers<String>> = call_dedicated(
            server,
            protocol,
            cmd::bzmpop(1.0, 2, [&empty, &key], cmd::BzmpopWhere::Max).count(5),
        )
        .await
        .unwrap();
        let popped = popped.unwrap();
        assert_eq!(popped.key, key);
        assert_eq!(
            popped.members,
            [("c".to_owned(), 3.0), ("b".to_owned(), 2.0)]
        );
        assert!(!exists_raw(&key));

        // Nothing arrives before the timeout: nil.
        let none: Option<PoppedMember<String>> =
            call_dedicated(server, protocol, cmd::bzpopmin([&empty], 0.01))
                .await
                .unwrap();
        assert_eq!(none, None);
        let none: Option<PoppedMember<String>> =
            call_dedicated(server, protocol, cmd::bzpopmax([&empty], 0.01))
                .await
                .unwrap();
        assert_eq!(none, None);
        let none: Option<PoppedMembers<String>> = call_dedicated(
            server,
            protocol,
            cmd::bzmpop(0.01, 1, [&empty], cmd::BzmpopWhere::Min),
        )
        .await
        .unwrap();
        assert_eq!(none, None);

        // The shared client runs them on connections its pool lends.
        let client = crate::support::client_on(server, protocol).await;
        raw(&["ZADD", &key, "1", "a", "2", "b", "3", "c", "4", "d"]);
        let min = client
            .bzpopmin::<String, _>([&key], 1.0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((min.member.as_str(), min.score), ("a", 1.0));
        let max = client
            .bzpopmax::<String, _>([&key], 1.0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((max.member.as_str(), max.score), ("d", 4.0));
        let popped = client
            .bzmpop::<String, _>(1.0, 1, [&key], cmd::BzmpopWhere::Min)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(popped.members, [("b".to_owned(), 2.0)]);
        assert_eq!(members_raw(&key), ["c"]);
        assert_eq!(
            client.stats().commands_sent,
            0,
            "not on the shared connection"
        );
    }
}

#[tokio::test]
async fn bzpopmax_and_bzmpop_wake_up_when_a_member_arrives() {
    let server = Server::start();
    for protocol in PROTOCOLS {
        let key = unique_key("bzpop-wake");
        let added = async {
            wait_until_async(Duration::from_secs(10), "BZPOPMAX to block", || async {
                blocked_clients(&server) == 1
            })
            .await;
            raw_on(&server, &["ZADD", &key, "7.5", "late"]);
        };
        let (popped, ()) = tokio::join!(
            call_dedicated(&server, protocol, cmd::bzpopmax::<String, _>([&key], 30.0)),
            added
        );
        let popped: PoppedMember<String> = popped.unwrap().expect("the member that arrived");
        assert_eq!(popped.key, key);
        assert_eq!((popped.member.as_str(), popped.score), ("late", 7.5));

        let added = async {
            wait_until_async(Duration::from_secs(10), "BZMPOP to block", || async {
                blocked_clients(&server) == 1
            })
            .await;
            raw_on(&server, &["ZADD", &key, "1", "x", "2", "y"]);
        };
        let (popped, ()) = tokio::join!(
            call_dedicated(
                &server,
                protocol,
                cmd::bzmpop::<String, _>(30.0, 1, [&key], cmd::BzmpopWhere::Min).count(10)
            ),
            added
        );
        let popped: PoppedMembers<String> = popped.unwrap().unwrap();
        assert_eq!(popped.key, key);
        assert_eq!(
            popped.members,
            [("x".to_owned(), 1.0), ("y".to_owned(), 2.0)]
        );
    }
}

// ---------------------------------------------------------------------------
// Streams: reading ranges, length, deleting, trimming
// ---------------------------------------------------------------------------

#[tokio::test]
async fn xrange_and_xrevrange_give_entries_in_order() {
    each_protocol(|client| async move {
        let key = unique_key("xrange");
        raw(&["XADD", &key, "1-1", "f", "v", "g", "w"]);
        raw(&["XADD", &key, "2-1", "f", "v2"]);
        raw(&["XADD", &key, "3-1", "f", "v3"]);

        let all: Vec<StreamEntry<String>> = client.xrange(&key, "-", "+").await.unwrap();
        assert_eq!(all.iter().map(typed).collect::<Vec<_>>(), stream_raw(&key));
        assert_eq!(all[0].id, "1-1");
        assert_eq!(
            all[0].fields,
            fv(&[("f", "v"), ("g", "w")]),
            "in order added"
        );

        let first: Vec<StreamEntry<String>> = client.xrange(&key, "-", "+").count(2).await.unwrap();
        assert_eq!(
            first.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            ["1-1", "2-1"]
        );
        let after: Vec<StreamEntry<String>> = client.xrange(&key, "(1-1", "+").await.unwrap();
        assert_eq!(
            after.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            ["2-1", "3-1"]
        );

        let rev: Vec<StreamEntry<String>> =
            client.xrevrange(&key, "+", "-").count(2).await.unwrap();
        assert_eq!(
            rev.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            ["3-1", "2-1"]
        );
        assert_eq!(rev[0].fields, fv(&[("f", "v3")]));
        let rev: Vec<StreamEntry<String>> = client.xrevrange(&key, "2", "-").await.unwrap();
        assert_eq!(
            rev.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            ["2-1", "1-1"]
        );

        // Values in the caller's type, binary safe.
        raw(&["XADD", &key, "4-1", "bin", "a\r\nb"]);
        let bytes: Vec<StreamEntry<Bytes>> = client.xrange(&key, "4-1", "4-1").await.unwrap();
        assert_eq!(
            bytes[0].fields,
            [(Bytes::from_static(b"bin"), Bytes::from_static(b"a\r\nb"))]
        );

        let none: Vec<StreamEntry<String>> =
            client.xrange(unique_key("none"), "-", "+").await.unwrap();
        assert!(none.is_empty());
        assert_server_error(
            client.xrange::<String>(&key, "x", "+").await,
            "ERR",
            "Invalid stream ID",
        );
    })
    .await;
}

#[tokio::test]
async fn xlen_xdel_xtrim_count_entries() {
    each_protocol(|client| async move {
        let key = unique_key("xtrim");
        fill_stream(&key, 5);
        assert_eq!(client.xlen(&key).await.unwrap(), 5);
        assert_eq!(client.xlen(unique_key("none")).await.unwrap(), 0);

        assert_eq!(client.xdel(&key, ["2-0", "9-0"]).await.unwrap(), 1);
        assert_eq!(stream_ids_raw(&key), ["1-0", "3-0", "4-0", "5-0"]);
        assert_eq!(client.xlen(&key).await.unwrap(), 4);

        let removed = client
            .xtrim(&key, cmd::XtrimStrategy::Maxlen, 2)
            .await
            .unwrap();
        assert_eq!(removed, 2);
        assert_eq!(stream_ids_raw(&key), ["4-0", "5-0"]);
        let removed = client
            .xtrim(&key, cmd::XtrimStrategy::Minid, "5")
            .equal()
            .await
            .unwrap();
        assert_eq!(removed, 1);
        assert_eq!(stream_ids_raw(&key), ["5-0"]);
        assert_eq!(
            client
                .xtrim(&key, cmd::XtrimStrategy::Maxlen, 0)
                .await
                .unwrap(),
            1
        );
        assert!(exists_raw(&key), "an emptied stream stays");
        assert_eq!(client.xlen(&key).await.unwrap(), 0);

        // Approximate trimming removes whole nodes only, at most LIMIT entries.
        let big = unique_key("xtrim-big");
        fill_stream(&big, 450);
        let removed = client
            .xtrim(&big, cmd::XtrimStrategy::Maxlen, 10)
            .approximately()
            .limit(100)
            .await
            .unwrap();
        let after_limit = raw_int(&["XLEN", &big]);
        assert!(0 < removed && removed <= 100, "{removed}");
        assert_eq!(removed, 450 - after_limit);
        let removed = client
            .xtrim(&big, cmd::XtrimStrategy::Maxlen, 10)
            .approximately()
            .await
            .unwrap();
        let left = raw_int(&["XLEN", &big]);
        assert_eq!(removed, after_limit - left);
        assert!(removed > 0 && left >= 10, "{removed} removed, {left} left");

        assert_eq!(
            client
                .xtrim(unique_key("none"), cmd::XtrimStrategy::Maxlen, 0)
                .await
                .unwrap(),
            0
        );
    })
    .await;
}

#[tokio::test]
async fn xsetid_moves_the_last_id() {
    each_protocol(|client| async move {
        let key = unique_key("xsetid");
        raw(&["XADD", &key, "5-5", "f", "v"]);
        let () = client.xsetid(&key, "10-0").await.unwrap();
        let info = raw(&["XINFO", "STREAM", &key]);
        assert_eq!(info.field("last-generated-id").text(), "10-0");
        let next = raw(&["XADD", &key, "*", "f", "v"]);
        assert!(parse_ms(next.text()) > 10, "{next:?}");

        client
            .xsetid(&key, "99999999999999-0")
            .entriesadded(50)
            .maxdeletedid("15-0")
            .await
            .unwrap();
        let info = raw(&["XINFO", "STREAM", &key]);
        assert_eq!(info.field("last-generated-id").text(), "99999999999999-0");
        assert_eq!(info.field("entries-added").int(), 50);
        assert_eq!(info.field("max-deleted-entry-id").text(), "15-0");

        assert_server_error(client.xsetid(&key, "1-0").await, "ERR", "smaller");
        assert_server_error(
            client.xsetid(unique_key("none"), "1-0").await,
            "ERR",
            "no such key",
        );
    })
    .await;
}

// ---------------------------------------------------------------------------
// Streams: consumer groups
// ---------------------------------------------------------------------------

#[tokio::test]
async fn xgroup_create_setid_consumers_and_destroy() {
    each_protocol(|client| async move {
        let key = unique_key("xgroup");
        fill_stream(&key, 2);

        let () = client.xgroup_create(&key, "g", "0").await.unwrap();
        assert_eq!(
            group_raw(&key, "g").field("last-delivered-id").text(),
            "0-0"
        );
        assert_server_error(client.xgroup_create(&key, "g", "0").await, "BUSYGROUP", "");

        client
            .xgroup_create(&key, "g2", cmd::XgroupCreateId::NewId)
            .entriesread(2)
            .await
            .unwrap();
        let g2 = group_raw(&key, "g2");
        assert_eq!(g2.field("last-delivered-id").text(), "2-0");
        assert_eq!(g2.field("entries-read").int(), 2);

        // Without MKSTREAM the stream must exist.
        let fresh = unique_key("xgroup-mkstream");
        assert_server_error(client.xgroup_create(&fresh, "g", "$").await, "ERR", "");
        assert!(!exists_raw(&fresh));
        client
            .xgroup_create(&fresh, "g", "$")
            .mkstream()
            .await
            .unwrap();
        assert_eq!(raw(&["TYPE", &fresh]), Reply::Text("stream".into()));

        assert!(
            client
                .xgroup_createconsumer(&key, "g", "alice")
                .await
                .unwrap()
        );
        assert!(
            !client
                .xgroup_createconsumer(&key, "g", "alice")
                .await
                .unwrap(),
            "exists"
        );
        raw(&["XREADGROUP", "GROUP", "g", "bob", "STREAMS", &key, ">"]);
        assert_eq!(group_raw(&key, "g").field("consumers").int(), 2);

        // DELCONSUMER: the number of entries the consumer had pending.
        assert_eq!(
            client.xgroup_delconsumer(&key, "g", "bob").await.unwrap(),
            2
        );
        assert_eq!(
            client.xgroup_delconsumer(&key, "g", "alice").await.unwrap(),
            0
        );
        assert_eq!(
            client
                .xgroup_delconsumer(&key, "g", "nobody")
                .await
                .unwrap(),
            0
        );
        assert_eq!(group_raw(&key, "g").field("consumers").int(), 0);

        let () = client.xgroup_setid(&key, "g", "1-0").await.unwrap();
        assert_eq!(
            group_raw(&key, "g").field("last-delivered-id").text(),
            "1-0"
        );
        client
            .xgroup_setid(&key, "g", cmd::XgroupSetidId::NewId)
            .entriesread(2)
            .await
            .unwrap();
        let g = group_raw(&key, "g");
        assert_eq!(g.field("last-delivered-id").text(), "2-0");
        assert_eq!(g.field("entries-read").int(), 2);
        assert_server_error(
            client.xgroup_setid(&key, "nogroup", "0").await,
            "NOGROUP",
            "",
        );

        assert!(client.xgroup_destroy(&key, "g2").await.unwrap());
        assert!(
            !client.xgroup_destroy(&key, "g2").await.unwrap(),
            "already gone"
        );
        assert_eq!(raw(&["XINFO", "GROUPS", &key]).items().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn xgroup_help_and_xinfo_help_list_their_lines() {
    each_protocol(|client| async move {
        let lines = client.xgroup_help().await.unwrap();
        let expected: Vec<String> = raw(&["XGROUP", "HELP"])
            .items()
            .iter()
            .map(|l| l.text().to_owned())
            .collect();
        assert_eq!(lines, expected);
        assert!(lines[0].starts_with("XGROUP <subcommand>"), "{lines:?}");
        assert!(
            lines.iter().any(|l| l.starts_with("CREATECONSUMER")),
            "{lines:?}"
        );

        let lines = client.xinfo_help().await.unwrap();
        let expected: Vec<String> = raw(&["XINFO", "HELP"])
            .items()
            .iter()
            .map(|l| l.text().to_owned())
            .collect();
        assert_eq!(lines, expected);
        assert!(
            lines.iter().any(|l| l.starts_with("STREAM <key>")),
            "{lines:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn xinfo_groups_and_consumers_describe_each() {
    each_protocol(|client| async move {
        let key = unique_key("xinfo-groups");
        fill_stream(&key, 4);
        raw(&["XGROUP", "CREATE", &key, "g", "0"]);
        raw(&["XGROUP", "CREATE", &key, "late", "$"]);
        raw(&["XGROUP", "CREATE", &key, "behind", "0"]);
        raw(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "alice",
            "COUNT",
            "3",
            "STREAMS",
            &key,
            ">",
        ]);
        raw(&["XGROUP", "CREATECONSUMER", &key, "g", "bob"]);
        raw(&[
            "XREADGROUP",
            "GROUP",
            "behind",
            "carol",
            "COUNT",
            "1",
            "STREAMS",
            &key,
            ">",
        ]);
        // A deletion past a group's position makes its lag unknown.
        raw(&["XDEL", &key, "2-0"]);

        let groups: Vec<StreamGroupInfo> = client.xinfo_groups(&key).await.unwrap();
        let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["behind", "g", "late"]);
        let g = &groups[1];
        assert_eq!((g.consumers, g.pending), (2, 3));
        assert_eq!(g.last_delivered_id, "3-0");
        assert_eq!(g.entries_read, Some(3));
        assert_eq!(g.lag, Some(1));
        let late = &groups[2];
        assert_eq!((late.consumers, late.pending), (0, 0));
        assert_eq!(late.last_delivered_id, "4-0");
        assert_eq!(late.entries_read, None, "created at $ without ENTRIESREAD");
        assert_eq!(late.lag, Some(0));
        let behind = &groups[0];
        assert_eq!(behind.entries_read, Some(1));
        assert_eq!(behind.lag, None);
        for g in &groups {
            let raw_g = group_raw(&key, &g.name);
            assert_eq!(g.pending, raw_g.field("pending").int());
            let raw_lag = match raw_g.field("lag") {
                Reply::Int(i) => Some(*i),
                _ => None,
            };
            assert_eq!(g.lag, raw_lag, "{}", g.name);
        }

        let consumers: Vec<StreamConsumerInfo> = client.xinfo_consumers(&key, "g").await.unwrap();
        let summary: Vec<(&str, i64)> = consumers
            .iter()
            .map(|c| (c.name.as_str(), c.pending))
            .collect();
        assert_eq!(summary, [("alice", 3), ("bob", 0)]);
        assert!(consumers.iter().all(|c| c.idle >= 0));
        let raw_consumers = raw(&["XINFO", "CONSUMERS", &key, "g"]);
        assert_eq!(raw_consumers.items()[0].field("pending").int(), 3);
        // `inactive` exists from Redis 7.2 on: present exactly when the server sends it.
        for (c, r) in consumers.iter().zip(raw_consumers.items()) {
            let sent = r.field_if_any("inactive").map(Reply::int);
            assert_eq!(c.inactive.is_some(), sent.is_some(), "{}", c.name);
        }
        let none: Vec<StreamConsumerInfo> = client.xinfo_consumers(&key, "late").await.unwrap();
        assert!(none.is_empty());
        let none: Vec<StreamGroupInfo> = {
            let empty = unique_key("xinfo-groups-empty");
            raw(&["XADD", &empty, "*", "f", "v"]);
            client.xinfo_groups(&empty).await.unwrap()
        };
        assert!(none.is_empty());

        assert_server_error(client.xinfo_consumers(&key, "nogroup").await, "NOGROUP", "");
        assert_server_error(
            client.xinfo_groups(unique_key("none")).await,
            "ERR",
            "no such key",
        );
    })
    .await;
}

#[tokio::test]
async fn xinfo_stream_summary_and_full() {
    each_protocol(|client| async move {
        let key = unique_key("xinfo-stream");
        raw(&["XADD", &key, "1-1", "f", "v", "g", "w"]);
        raw(&["XADD", &key, "2-1", "f", "v2"]);
        raw(&["XADD", &key, "3-1", "f", "v3"]);
        raw(&["XADD", &key, "4-1", "f", "v4"]);
        raw(&["XDEL", &key, "1-1"]);
        raw(&["XGROUP", "CREATE", &key, "g", "0"]);
        raw(&["XGROUP", "CREATE", &key, "idle", "$"]);
        raw(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "alice",
            "COUNT",
            "2",
            "STREAMS",
            &key,
            ">",
        ]);
        raw(&["XGROUP", "CREATECONSUMER", &key, "g", "bob"]);

        let info: StreamInfo<String> = client.xinfo_stream(&key).await.unwrap();
        let r = raw(&["XINFO", "STREAM", &key]);
        assert_eq!(info.length, 3);
        assert_eq!(info.radix_tree_keys, r.field("radix-tree-keys").int());
        assert_eq!(info.radix_tree_nodes, r.field("radix-tree-nodes").int());
        assert_eq!(info.last_generated_id, "4-1");
        assert_eq!(info.max_deleted_entry_id, "1-1");
        assert_eq!(info.entries_added, 4);
        assert_eq!(info.recorded_first_entry_id, "2-1");
        assert_eq!(info.groups, 2);
        let first = info.first_entry.expect("a first entry");
        assert_eq!(typed(&first), ("2-1".to_owned(), fv(&[("f", "v2")])));
        let last = info.last_entry.expect("a last entry");
        assert_eq!(typed(&last), entry_of(r.field("last-entry")));

        // An empty stream has no first or last entry.
        let empty = unique_key("xinfo-stream-empty");
        raw(&["XGROUP", "CREATE", &empty, "g", "$", "MKSTREAM"]);
        let info: StreamInfo<String> = client.xinfo_stream(&empty).await.unwrap();
        assert_eq!((info.length, info.groups), (0, 1));
        assert_eq!(info.first_entry, None);
        assert_eq!(info.last_entry, None);
        assert_eq!(info.last_generated_id, "0-0");

        // FULL: every entry, every group with its pending entries and consumers.
        let full: StreamInfoFull<String> = client.xinfo_stream(&key).full().await.unwrap();
        assert_eq!(full.length, 3);
        assert_eq!(full.last_generated_id, "4-1");
        assert_eq!(
            full.stream_entries.iter().map(typed).collect::<Vec<_>>(),
            stream_raw(&key)
        );
        let names: Vec<&str> = full.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["g", "idle"]);
        let g = &full.groups[0];
        assert_eq!(g.last_delivered_id, "3-1");
        assert_eq!((g.entries_read, g.lag), (Some(3), Some(1)));
        assert_eq!(g.pel_count, 2);
        let pel: Vec<(String, String, i64)> = g
            .pending
            .iter()
            .map(|p| (p.id.clone(), p.consumer.clone(), p.deliveries))
            .collect();
        assert_eq!(pel, pending_raw(&key, "g"));
        let now = unix_millis();
        assert!(
            g.pending
                .iter()
                .all(|p| p.delivered_at_ms <= now + 1000 && p.delivered_at_ms > now - 60_000),
            "delivery times are Unix milliseconds: {:?}",
            g.pending
        );
        let consumers: Vec<(&str, i64)> = g
            .consumers
            .iter()
            .map(|c| (c.name.as_str(), c.pel_count))
            .collect();
        assert_eq!(consumers, [("alice", 2), ("bob", 0)]);
        let alice = &g.consumers[0];
        assert_eq!(
            alice
                .pending
                .iter()
                .map(|p| p.id.as_str())
                .collect::<Vec<_>>(),
            ["2-1", "3-1"]
        );
        assert!(alice.pending.iter().all(|p| p.deliveries == 1));
        assert!(alice.seen_time_ms > now - 60_000 && alice.seen_time_ms <= now + 1000);
        assert!(alice.pending[0].delivered_at_ms > now - 60_000);
        // `active-time` exists from Redis 7.2 on: present exactly when the server sends it.
        let raw_full = raw(&["XINFO", "STREAM", &key, "FULL"]);
        let raw_alice = &raw_full.field("groups").items()[0]
            .field("consumers")
            .items()[0];
        assert_eq!(
            alice.active_time_ms.is_some(),
            raw_alice.field_if_any("active-time").is_some()
        );
        let idle = &full.groups[1];
        assert_eq!((idle.entries_read, idle.pel_count), (None, 0));
        assert!(idle.pending.is_empty() && idle.consumers.is_empty());

        // FULL COUNT limits the entries listed.
        let limited: StreamInfoFull<String> =
            client.xinfo_stream(&key).full().count(1).await.unwrap();
        assert_eq!(limited.stream_entries.len(), 1);
        assert_eq!(limited.stream_entries[0].id, "2-1");
        assert_eq!(limited.length, 3);

        assert_server_error(
            client.xinfo_stream::<String>(unique_key("none")).await,
            "ERR",
            "no such key",
        );
    })
    .await;
}

#[tokio::test]
async fn xreadgroup_delivers_new_and_pending_entries() {
    each_protocol(|client| async move {
        let key = unique_key("xreadgroup");
        fill_stream(&key, 3);
        raw(&["XGROUP", "CREATE", &key, "g", "0"]);

        let read: Option<Vec<(String, Vec<DeliveredEntry<String>>)>> = client
            .xreadgroup("g", "alice", [&key], [">"])
            .count(2)
            .await
            .unwrap();
        let read = read.expect("new entries");
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].0, key);
        let entries: Vec<(&str, Option<Fields>)> = read[0]
            .1
            .iter()
            .map(|e| (e.id.as_str(), e.fields.clone()))
            .collect();
        assert_eq!(
            entries,
            [
                ("1-0", Some(fv(&[("i", "1")]))),
                ("2-0", Some(fv(&[("i", "2")])))
            ]
        );
        assert_eq!(
            pending_raw(&key, "g"),
            [
                ("1-0".to_owned(), "alice".to_owned(), 1),
                ("2-0".to_owned(), "alice".to_owned(), 1)
            ]
        );

        let rest: Option<Vec<(String, Vec<DeliveredEntry<String>>)>> = client
            .xreadgroup("g", "alice", [&key], [">"])
            .await
            .unwrap();
        let rest = rest.unwrap();
        assert_eq!(rest[0].1.len(), 1);
        assert_eq!(rest[0].1[0].id, "3-0");
        let nothing: Option<Vec<(String, Vec<DeliveredEntry<String>>)>> = client
            .xreadgroup("g", "alice", [&key], [">"])
            .await
            .unwrap();
        assert_eq!(nothing, None, "no new entries");

        // The pending history: a deleted entry comes back without fields.
        raw(&["XDEL", &key, "1-0"]);
        let history: Option<Vec<(String, Vec<DeliveredEntry<String>>)>> = client
            .xreadgroup("g", "alice", [&key], ["0"])
            .await
            .unwrap();
        let history = history.unwrap();
        let entries: Vec<(&str, Option<Fields>)> = history[0]
            .1
            .iter()
            .map(|e| (e.id.as_str(), e.fields.clone()))
            .collect();
        assert_eq!(
            entries,
            [
                ("1-0", None),
                ("2-0", Some(fv(&[("i", "2")]))),
                ("3-0", Some(fv(&[("i", "3")])))
            ]
        );
        // Another consumer has no history: the stream with no entries.
        let empty: Option<Vec<(String, Vec<DeliveredEntry<String>>)>> =
            client.xreadgroup("g", "bob", [&key], ["0"]).await.unwrap();
        assert_eq!(empty.unwrap(), [(key.clone(), vec![])]);

        // NOACK: delivered without entering the pending list.
        raw(&["XGROUP", "CREATE", &key, "g2", "0"]);
        let other = unique_key("xreadgroup-other");
        raw(&["XADD", &other, "7-0", "k", "v"]);
        raw(&["XGROUP", "CREATE", &other, "g2", "0"]);
        let both: Option<Vec<(String, Vec<DeliveredEntry<Bytes>>)>> = client
            .xreadgroup("g2", "carol", [&key, &other], [">", ">"])
            .noack()
            .await
            .unwrap();
        let both = both.unwrap();
        let streams: Vec<(&str, usize)> = both.iter().map(|(k, e)| (k.as_str(), e.len())).collect();
        assert_eq!(streams, [(key.as_str(), 2), (other.as_str(), 1)]);
        assert_eq!(
            both[1].1[0].fields,
            Some(vec![(Bytes::from_static(b"k"), Bytes::from_static(b"v"))])
        );
        assert!(pending_raw(&key, "g2").is_empty());
        assert!(pending_raw(&other, "g2").is_empty());

        assert_server_error(
            client
                .xreadgroup::<String, _, _>("nogroup", "alice", [&key], [">"])
                .await,
            "NOGROUP",
            "",
        );
    })
    .await;
}

#[tokio::test]
async fn xread_gives_each_stream_with_entries() {
    each_protocol(|client| async move {
        let k1 = unique_key("xread-1");
        let k2 = unique_key("xread-2");
        let missing = unique_key("xread-missing");
        fill_stream(&k1, 2);
        raw(&["XADD", &k2, "5-0", "a", "b", "c", "d"]);

        let read: Option<Vec<(String, Vec<StreamEntry<String>>)>> = client
            .xread([&k1, &missing, &k2], ["0", "0", "0"])
            .await
            .unwrap();
        let read = read.expect("entries");
        let streams: Vec<&str> = read.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            streams,
            [k1.as_str(), k2.as_str()],
            "streams without entries are left out"
        );
        assert_eq!(
            read[0].1.iter().map(typed).collect::<Vec<_>>(),
            stream_raw(&k1)
        );
        assert_eq!(read[1].1[0].fields, fv(&[("a", "b"), ("c", "d")]));

        let one_each: Option<Vec<(String, Vec<StreamEntry<String>>)>> =
            client.xread([&k1, &k2], ["0", "0"]).count(1).await.unwrap();
        let counts: Vec<usize> = one_each.unwrap().iter().map(|(_, e)| e.len()).collect();
        assert_eq!(counts, [1, 1]);
        let after: Option<Vec<(String, Vec<StreamEntry<String>>)>> =
            client.xread([&k1], ["1-0"]).await.unwrap();
        assert_eq!(after.unwrap()[0].1[0].id, "2-0");

        // Nothing newer: nil.
        let none: Option<Vec<(String, Vec<StreamEntry<String>>)>> =
            client.xread([&k1], ["2-0"]).await.unwrap();
        assert_eq!(none, None);
        let none: Option<Vec<(String, Vec<StreamEntry<String>>)>> =
            client.xread([&k1, &k2], ["$", "$"]).await.unwrap();
        assert_eq!(none, None);
    })
    .await;
}

#[tokio::test]
async fn xread_and_xreadgroup_block_on_pooled_connections() {
    for protocol in PROTOCOLS {
        let key = unique_key("xread-block");
        raw(&["XADD", &key, "1-0", "f", "v"]);
        raw(&["XGROUP", "CREATE", &key, "g", "$"]);
        let client = crate::support::client_on(shared(), protocol).await;

        // BLOCK makes the client lend the command a pooled connection; without it
        // the same command runs on the shared one.
        let none = client
            .xread::<String, _, _>([&key], ["$"])
            .block(10)
            .await
            .unwrap();
        assert_eq!(none, None);
        let none = client
            .xreadgroup::<String, _, _>("g", "alice", [&key], [">"])
            .block(10)
            .await
            .unwrap();
        assert_eq!(none, None);
        assert_eq!(
            client.stats().commands_sent,
            0,
            "both ran on the pool's connection"
        );
        let plain = client
            .send(cmd::xread::<String, _, _>([&key], ["0"]))
            .await
            .unwrap();
        assert_eq!(plain.unwrap()[0].1[0].id, "1-0");
        assert_eq!(client.stats().commands_sent, 1);

        // Timed out: nil.
        let none = call_dedicated(
            shared(),
            protocol,
            cmd::xread::<String, _, _>([&key], ["$"]).block(10),
        )
        .await
        .unwrap();
        assert_eq!(none, None);
        let none = call_dedicated(
            shared(),
            protocol,
            cmd::xreadgroup::<String, _, _>("g", "alice", [&key], [">"])
                .block(10)
                .count(5),
        )
        .await
        .unwrap();
        assert_eq!(none, None);

        // Data already there: no wait.
        let there = call_dedicated(
            shared(),
            protocol,
            cmd::xread::<String, _, _>([&key], ["0"]).block(10_000),
        )
        .await
        .unwrap();
        assert_eq!(there.unwrap()[0].1[0].fields, fv(&[("f", "v")]));
    }
}

#[tokio::test]
async fn xread_and_xreadgroup_wake_up_when_an_entry_arrives() {
    let server = Server::start();
    for protocol in PROTOCOLS {
        let key = unique_key("xread-wake");
        raw_on(&server, &["XGROUP", "CREATE", &key, "g", "$", "MKSTREAM"]);

        let added = async {
            wait_until_async(Duration::from_secs(10), "XREAD to block", || async {
                blocked_clients(&server) == 1
            })
            .await;
            raw_on(&server, &["XADD", &key, "5-0", "new", "entry"]);
        };
        let (read, ()) = tokio::join!(
            call_dedicated(
                &server,
                protocol,
                cmd::xread::<String, _, _>([&key], ["$"]).block(30_000)
            ),
            added
        );
        let read = read.unwrap().expect("the entry that arrived");
        assert_eq!(read[0].0, key);
        assert_eq!(
            typed(&read[0].1[0]),
            ("5-0".to_owned(), fv(&[("new", "entry")]))
        );

        // The group starts after what is there, so XREADGROUP waits.
        raw_on(&server, &["XGROUP", "SETID", &key, "g", "$"]);
        let added = async {
            wait_until_async(Duration::from_secs(10), "XREADGROUP to block", || async {
                blocked_clients(&server) == 1
            })
            .await;
            raw_on(&server, &["XADD", &key, "6-0", "next", "one"]);
        };
        let (read, ()) = tokio::join!(
            call_dedicated(
                &server,
                protocol,
                cmd::xreadgroup::<String, _, _>("g", "alice", [&key], [">"]).block(30_000)
            ),
            added
        );
        let read = read.unwrap().expect("the entries delivered");
        let ids: Vec<&str> = read[0].1.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["6-0"]);
        assert_eq!(read[0].1[0].fields, Some(fv(&[("next", "one")])));
        assert_eq!(
            raw_on(&server, &["XPENDING", &key, "g"]).items()[0],
            Reply::Int(1),
            "delivered to alice and pending"
        );
    }
}

#[tokio::test]
async fn xpending_summary_and_extended_forms() {
    each_protocol(|client| async move {
        let key = unique_key("xpending");
        fill_stream(&key, 3);
        raw(&["XGROUP", "CREATE", &key, "g", "0"]);

        let empty: PendingSummary = client.xpending(&key, "g").await.unwrap();
        assert_eq!(empty.count, 0);
        assert_eq!((empty.first_id, empty.last_id), (None, None));
        assert_eq!(empty.consumers, None);

        raw(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "alice",
            "COUNT",
            "2",
            "STREAMS",
            &key,
            ">",
        ]);
        raw(&["XREADGROUP", "GROUP", "g", "bob", "STREAMS", &key, ">"]);
        let summary: PendingSummary = client.xpending(&key, "g").await.unwrap();
        assert_eq!(summary.count, 3);
        assert_eq!(summary.first_id.as_deref(), Some("1-0"));
        assert_eq!(summary.last_id.as_deref(), Some("3-0"));
        assert_eq!(
            summary.consumers,
            Some(vec![
                ("alice".to_owned(), "2".to_owned()),
                ("bob".to_owned(), "1".to_owned())
            ])
        );

        // The extended form: one record per pending entry.
        let entries: Vec<PendingEntry> = client
            .xpending(&key, "g")
            .range("-", "+", 10)
            .await
            .unwrap();
        let seen: Vec<(String, String, i64)> = entries
            .iter()
            .map(|p| (p.id.clone(), p.consumer.clone(), p.deliveries))
            .collect();
        assert_eq!(seen, pending_raw(&key, "g"));
        assert!(entries.iter().all(|p| (0..60_000).contains(&p.idle_ms)));
        let first: Vec<PendingEntry> = client.xpending(&key, "g").range("-", "+", 1).await.unwrap();
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].id, "1-0");
        let bob: Vec<PendingEntry> = client
            .xpending(&key, "g")
            .range("-", "+", 10)
            .consumer("bob")
            .await
            .unwrap();
        assert_eq!(bob.len(), 1);
        assert_eq!(
            (bob[0].id.as_str(), bob[0].consumer.as_str()),
            ("3-0", "bob")
        );
        let idle: Vec<PendingEntry> = client
            .xpending(&key, "g")
            .idle(3_600_000)
            .range("-", "+", 10)
            .await
            .unwrap();
        assert!(idle.is_empty(), "nothing pending for an hour: {idle:?}");
        let none: Vec<PendingEntry> = client
            .xpending(&key, "g")
            .range("-", "+", 10)
            .consumer("nobody")
            .await
            .unwrap();
        assert!(none.is_empty());

        assert_server_error(client.xpending(&key, "nogroup").await, "NOGROUP", "");
    })
    .await;
}

#[tokio::test]
async fn xclaim_entries_or_ids() {
    each_protocol(|client| async move {
        let key = unique_key("xclaim");
        fill_stream(&key, 4);
        raw(&["XGROUP", "CREATE", &key, "g", "0"]);
        raw(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "alice",
            "COUNT",
            "3",
            "STREAMS",
            &key,
            ">",
        ]);

        let claimed: Vec<StreamEntry<String>> =
            client.xclaim(&key, "g", "bob", 0, ["1-0"]).await.unwrap();
        assert_eq!(
            claimed.iter().map(typed).collect::<Vec<_>>(),
            [("1-0".to_owned(), fv(&[("i", "1")]))]
        );
        assert_eq!(
            pending_raw(&key, "g")[0],
            ("1-0".to_owned(), "bob".to_owned(), 2)
        );

        // JUSTID: ids only, and the delivery count stays.
        let ids: Vec<String> = client
            .xclaim(&key, "g", "bob", 0, ["2-0", "3-0"])
            .justid()
            .await
            .unwrap();
        assert_eq!(ids, ["2-0", "3-0"]);
        assert_eq!(
            pending_raw(&key, "g"),
            [
                ("1-0".to_owned(), "bob".to_owned(), 2),
                ("2-0".to_owned(), "bob".to_owned(), 1),
                ("3-0".to_owned(), "bob".to_owned(), 1)
            ]
        );

        // Not idle long enough: nothing claimed.
        let none: Vec<StreamEntry<String>> = client
            .xclaim(&key, "g", "carol", 3_600_000, ["1-0"])
            .await
            .unwrap();
        assert!(none.is_empty());

        // IDLE / TIME / RETRYCOUNT set what the pending list records.
        client
            .xclaim::<String, _>(&key, "g", "carol", 0, ["1-0"])
            .idle(50_000)
            .retrycount(7)
            .await
            .unwrap();
        let p = raw(&["XPENDING", &key, "g", "1-0", "1-0", "1"]).items()[0].clone();
        assert_eq!(p.items()[1].text(), "carol");
        assert!(p.items()[2].int() >= 50_000, "{p:?}");
        assert_eq!(p.items()[3].int(), 7);
        let ids: Vec<String> = client
            .xclaim(&key, "g", "carol", 0, ["2-0"])
            .time(unix_millis() - 80_000)
            .justid()
            .await
            .unwrap();
        assert_eq!(ids, ["2-0"]);
        let p = raw(&["XPENDING", &key, "g", "2-0", "2-0", "1"]).items()[0].clone();
        assert!(p.items()[2].int() >= 80_000, "{p:?}");

        // FORCE claims an entry no one read; LASTID moves the group on.
        let forced: Vec<StreamEntry<String>> = client
            .xclaim(&key, "g", "dan", 0, ["4-0"])
            .force()
            .lastid("9-0")
            .await
            .unwrap();
        assert_eq!(forced[0].id, "4-0");
        assert!(
            pending_raw(&key, "g")
                .iter()
                .any(|(id, consumer, _)| id == "4-0" && consumer == "dan"),
            "4-0 is now pending for dan"
        );
        assert_eq!(
            group_raw(&key, "g").field("last-delivered-id").text(),
            "9-0"
        );

        // A deleted entry is not claimed.
        raw(&["XDEL", &key, "3-0"]);
        let gone: Vec<StreamEntry<String>> =
            client.xclaim(&key, "g", "bob", 0, ["3-0"]).await.unwrap();
        assert!(gone.is_empty());
    })
    .await;
}

#[tokio::test]
async fn xautoclaim_pages_entries_or_ids_and_reports_deleted() {
    each_protocol(|client| async move {
        let key = unique_key("xautoclaim");
        fill_stream(&key, 5);
        raw(&["XGROUP", "CREATE", &key, "g", "0"]);
        raw(&["XREADGROUP", "GROUP", "g", "alice", "STREAMS", &key, ">"]);
        raw(&["XDEL", &key, "2-0"]);

        let page: AutoClaimed<String> = client
            .xautoclaim(&key, "g", "bob", 0, "0-0")
            .count(2)
            .await
            .unwrap();
        assert_eq!(
            page.entries.iter().map(typed).collect::<Vec<_>>(),
            [("1-0".to_owned(), fv(&[("i", "1")]))]
        );
        assert_eq!(
            page.deleted,
            ["2-0"],
            "a deleted entry leaves the pending list"
        );
        assert_eq!(page.next, "3-0");

        let ids: AutoClaimedIds = client
            .xautoclaim(&key, "g", "bob", 0, &page.next)
            .justid()
            .await
            .unwrap();
        assert_eq!(ids.ids, ["3-0", "4-0", "5-0"]);
        assert!(ids.deleted.is_empty());
        assert_eq!(ids.next, "0-0", "the scan is complete");
        let owners: Vec<(String, String, i64)> = pending_raw(&key, "g");
        assert_eq!(
            owners
                .iter()
                .map(|(id, c, _)| (id.as_str(), c.as_str()))
                .collect::<Vec<_>>(),
            [
                ("1-0", "bob"),
                ("3-0", "bob"),
                ("4-0", "bob"),
                ("5-0", "bob")
            ]
        );

        // Nothing idle long enough: an empty page.
        let page: AutoClaimed<String> = client
            .xautoclaim(&key, "g", "carol", 3_600_000, "0-0")
            .await
            .unwrap();
        assert!(page.entries.is_empty() && page.deleted.is_empty());
        assert_eq!(page.next, "0-0");
    })
    .await;
}

#[tokio::test]
async fn xack_counts_acknowledged_entries() {
    each_protocol(|client| async move {
        let key = unique_key("xack");
        fill_stream(&key, 3);
        raw(&["XGROUP", "CREATE", &key, "g", "0"]);
        raw(&["XREADGROUP", "GROUP", "g", "alice", "STREAMS", &key, ">"]);

        assert_eq!(
            client.xack(&key, "g", ["1-0", "2-0", "9-0"]).await.unwrap(),
            2
        );
        assert_eq!(
            client.xack(&key, "g", ["1-0"]).await.unwrap(),
            0,
            "already acknowledged"
        );
        assert_eq!(
            pending_raw(&key, "g"),
            [("3-0".to_owned(), "alice".to_owned(), 1)]
        );
        assert_eq!(client.xack(&key, "nogroup", ["3-0"]).await.unwrap(), 0);
        assert_eq!(
            client.xack(unique_key("none"), "g", ["3-0"]).await.unwrap(),
            0
        );
    })
    .await;
}
