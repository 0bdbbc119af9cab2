//! Reply types of the spec's commands, part A, against a live server under RESP2 and RESP3:
//! the string, bitmap, hyperloglog, geo and generic groups. Each test checks the
//! typed reply, and the command's effect as the server sees it over an
//! independent raw connection.

use bytes::Bytes;
use redtyped::cmd::{
    BitfieldOperation, BitfieldOperationWriteWrapSatFail as Overflow,
    BitfieldOperationWriteWriteOperation as Write, GeoradiusRoUnit, GeoradiusUnit,
    GeoradiusbymemberRoUnit, GeoradiusbymemberUnit, GeosearchBy, GeosearchByBoxUnit,
    GeosearchByCircleUnit, GeosearchFrom, GeosearchstoreBy, GeosearchstoreByCircleUnit,
    GeosearchstoreFrom, MigrateKeyOrEmptyString,
};
use redtyped::reply::{GeoMatch, GeoPosition, LcsRange, ScanPage};
use redtyped::{Client, Value, cmd};
use redtyped_tests::{Server, shared, unique_key};

use crate::commands::{
    assert_decode_error, assert_server_error, cli, cli_bulk, cli_int, cli_status, cli_strings,
    exists_raw, pttl_raw, sorted, unix_millis, unix_secs,
};
use crate::support::{PROTOCOLS, call_dedicated, client_on, each_protocol};

/// `EXISTS key` in database `db`, per the server (a script's SELECT stays in the script).
#[track_caller]
fn exists_in_db(db: i64, key: &str) -> bool {
    let script = "redis.call('SELECT', ARGV[1]) return redis.call('EXISTS', KEYS[1])";
    cli_int(&["EVAL", script, "1", key, &db.to_string()]) == 1
}

#[track_caller]
fn assert_close(got: f64, want: f64, tolerance: f64) {
    assert!(
        (got - want).abs() <= tolerance,
        "{got} is not within {tolerance} of {want}"
    );
}

#[track_caller]
fn assert_range(range: &LcsRange, start: i64, end: i64) {
    assert_eq!((range.start, range.end), (start, end), "{range:?}");
}

// ---------------------------------------------------------------------------
// Strings
// ---------------------------------------------------------------------------

#[tokio::test]
async fn append_and_strlen_count_bytes() {
    each_protocol(|client| async move {
        let key = unique_key("append");
        assert_eq!(client.strlen(&key).await.unwrap(), 0, "missing key");
        assert_eq!(client.append(&key, "Hello").await.unwrap(), 5);
        assert_eq!(client.append(&key, " World").await.unwrap(), 11);
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("Hello World"));
        assert_eq!(client.strlen(&key).await.unwrap(), 11);

        // Binary safe: the length is in bytes.
        assert_eq!(client.append(&key, &b"\0\xff"[..]).await.unwrap(), 13);
        assert_eq!(client.strlen(&key).await.unwrap(), 13);

        let list = unique_key("append-list");
        cli(&["RPUSH", &list, "a"]);
        assert_server_error(client.append(&list, "x").await, "WRONGTYPE", "wrong kind");
        assert_server_error(client.strlen(&list).await, "WRONGTYPE", "wrong kind");
    })
    .await;
}

#[tokio::test]
async fn decr_and_decrby() {
    each_protocol(|client| async move {
        let key = unique_key("decr");
        assert_eq!(
            client.decr(&key).await.unwrap(),
            -1,
            "a missing key counts as 0"
        );
        assert_eq!(client.decrby(&key, 10).await.unwrap(), -11);
        assert_eq!(client.decrby(&key, -20).await.unwrap(), 9);
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("9"));

        let text = unique_key("decr-text");
        cli(&["SET", &text, "ten"]);
        assert_server_error(client.decr(&text).await, "ERR", "not an integer");
        let min = unique_key("decr-min");
        cli(&["SET", &min, &i64::MIN.to_string()]);
        assert_server_error(client.decr(&min).await, "ERR", "overflow");
        assert_eq!(cli_bulk(&["GET", &min]), Some(i64::MIN.to_string()));
    })
    .await;
}

#[tokio::test]
async fn getrange_and_substr_are_user_data_never_nil() {
    each_protocol(|client| async move {
        let key = unique_key("getrange");
        cli(&["SET", &key, "This is a string"]);
        let head: String = client.getrange(&key, 0, 3).await.unwrap();
        assert_eq!(head, "This");
        let tail: String = client.getrange(&key, -3, -1).await.unwrap();
        assert_eq!(tail, "ing");
        let past_the_end: String = client.getrange(&key, 10, 100).await.unwrap();
        assert_eq!(past_the_end, "string");
        let bytes: Bytes = client.getrange(&key, 0, -1).await.unwrap();
        assert_eq!(bytes, Bytes::from_static(b"This is a string"));
        // SUBSTR is the old name of the same command.
        let sub: String = client.substr(&key, 5, 6).await.unwrap();
        assert_eq!(sub, "is");

        // A missing key or an empty range is the empty string, not nil.
        let missing = unique_key("getrange-missing");
        let empty: String = client.getrange(&missing, 0, -1).await.unwrap();
        assert_eq!(empty, "");
        let empty: Vec<u8> = client.substr(&key, 5, 2).await.unwrap();
        assert!(empty.is_empty());

        // The range is user data in any type.
        let number = unique_key("getrange-number");
        cli(&["SET", &number, "12345"]);
        let n: i64 = client.getrange(&number, 1, 3).await.unwrap();
        assert_eq!(n, 234);
        assert_decode_error(client.getrange::<i64>(&key, 0, 3).await, "GETRANGE");
    })
    .await;
}

#[tokio::test]
async fn getset_returns_the_old_value_and_clears_the_ttl() {
    each_protocol(|client| async move {
        let key = unique_key("getset");
        let old: Option<String> = client.getset(&key, "one").await.unwrap();
        assert_eq!(old, None);
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("one"));

        cli(&["EXPIRE", &key, "100"]);
        let old: Option<Bytes> = client.getset(&key, 2).await.unwrap();
        assert_eq!(old, Some(Bytes::from_static(b"one")));
        assert_eq!(pttl_raw(&key), -1, "GETSET, like SET, clears the TTL");
        let old: Option<i64> = client.getset(&key, "three").await.unwrap();
        assert_eq!(old, Some(2));

        let hash = unique_key("getset-hash");
        cli(&["HSET", &hash, "f", "v"]);
        assert_server_error(
            client.getset::<String>(&hash, "x").await,
            "WRONGTYPE",
            "wrong kind",
        );
    })
    .await;
}

#[tokio::test]
async fn lcs_string_len_and_idx() {
    each_protocol(|client| async move {
        let a = unique_key("lcs-a");
        let b = unique_key("lcs-b");
        cli(&["SET", &a, "ohmytext"]);
        cli(&["SET", &b, "mynewtext"]);

        let common: String = client.lcs(&a, &b).await.unwrap();
        assert_eq!(common, "mytext");
        let common: Bytes = client.lcs(&a, &b).await.unwrap();
        assert_eq!(common, Bytes::from_static(b"mytext"));
        // MINMATCHLEN and WITHMATCHLEN only shape IDX's reply: alone they keep the string.
        let common: String = client
            .lcs(&a, &b)
            .minmatchlen(4)
            .withmatchlen()
            .await
            .unwrap();
        assert_eq!(common, "mytext");

        // LEN: the length only (the value type is never named).
        let len: i64 = client.lcs(&a, &b).len().await.unwrap();
        assert_eq!(len, 6);

        // IDX: the matches, the last one first, as ranges in both strings.
        let idx = client.lcs(&a, &b).idx().await.unwrap();
        assert_eq!(idx.len, 6);
        assert_eq!(idx.matches.len(), 2, "{idx:?}");
        assert_range(&idx.matches[0].key1, 4, 7);
        assert_range(&idx.matches[0].key2, 5, 8);
        assert_eq!(idx.matches[0].len, None, "no WITHMATCHLEN");
        assert_range(&idx.matches[1].key1, 2, 3);
        assert_range(&idx.matches[1].key2, 0, 1);

        // WITHMATCHLEN adds each match's length; MINMATCHLEN drops the short ones.
        let idx = client.lcs(&a, &b).idx().withmatchlen().await.unwrap();
        let lens: Vec<Option<i64>> = idx.matches.iter().map(|m| m.len).collect();
        assert_eq!(lens, [Some(4), Some(2)]);
        let idx = client
            .lcs(&a, &b)
            .minmatchlen(4)
            .withmatchlen()
            .idx()
            .await
            .unwrap();
        assert_eq!(idx.len, 6, "the LCS length is of the whole subsequence");
        assert_eq!(idx.matches.len(), 1);
        assert_range(&idx.matches[0].key1, 4, 7);
        assert_eq!(idx.matches[0].len, Some(4));

        // Missing keys are empty strings.
        let missing = unique_key("lcs-missing");
        let none: String = client.lcs(&a, &missing).await.unwrap();
        assert_eq!(none, "");
        let idx = client.lcs(&missing, &a).idx().await.unwrap();
        assert_eq!((idx.len, idx.matches.len()), (0, 0));

        // LEN and IDX together are refused by the server (the reply type is IDX's).
        assert_server_error(client.lcs(&a, &b).len().idx().await, "ERR", "IDX");
    })
    .await;
}

#[tokio::test]
async fn msetnx_sets_all_or_nothing() {
    each_protocol(|client| async move {
        let (a, b, c) = (
            unique_key("msetnx-a"),
            unique_key("msetnx-b"),
            unique_key("msetnx-c"),
        );
        assert!(client.msetnx([(&a, "1"), (&b, "2")]).await.unwrap());
        assert_eq!(cli_bulk(&["GET", &a]).as_deref(), Some("1"));
        assert_eq!(cli_bulk(&["GET", &b]).as_deref(), Some("2"));

        // One existing key: nothing is set.
        assert!(!client.msetnx([(&c, "3"), (&b, "x")]).await.unwrap());
        assert!(!exists_raw(&c));
        assert_eq!(cli_bulk(&["GET", &b]).as_deref(), Some("2"));
    })
    .await;
}

#[tokio::test]
async fn setex_and_psetex_set_with_a_ttl() {
    each_protocol(|client| async move {
        let key = unique_key("setex");
        client.setex(&key, 100, "v").await.unwrap();
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("v"));
        let pttl = pttl_raw(&key);
        assert!(90_000 < pttl && pttl <= 100_000, "pttl {pttl}");

        let pkey = unique_key("psetex");
        client.psetex(&pkey, 50_000, 42).await.unwrap();
        assert_eq!(cli_bulk(&["GET", &pkey]).as_deref(), Some("42"));
        let pttl = pttl_raw(&pkey);
        assert!(40_000 < pttl && pttl <= 50_000, "pttl {pttl}");

        assert_server_error(
            client.setex(&key, 0, "v").await,
            "ERR",
            "invalid expire time",
        );
        assert_server_error(
            client.psetex(&key, -5, "v").await,
            "ERR",
            "invalid expire time",
        );
    })
    .await;
}

#[tokio::test]
async fn setnx_sets_only_a_missing_key() {
    each_protocol(|client| async move {
        let key = unique_key("setnx");
        assert!(client.setnx(&key, "first").await.unwrap());
        assert!(!client.setnx(&key, "second").await.unwrap());
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("first"));
    })
    .await;
}

#[tokio::test]
async fn setrange_overwrites_and_pads() {
    each_protocol(|client| async move {
        let key = unique_key("setrange");
        cli(&["SET", &key, "Hello World"]);
        assert_eq!(client.setrange(&key, 6, "Redis").await.unwrap(), 11);
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("Hello Redis"));

        // Past the end of a missing key: zero bytes fill the gap.
        let missing = unique_key("setrange-missing");
        assert_eq!(client.setrange(&missing, 3, "x").await.unwrap(), 4);
        assert_eq!(cli_bulk(&["GET", &missing]).as_deref(), Some("\0\0\0x"));

        assert_server_error(client.setrange(&key, -1, "x").await, "ERR", "out of range");
    })
    .await;
}

// ---------------------------------------------------------------------------
// Bitmaps
// ---------------------------------------------------------------------------

#[tokio::test]
async fn setbit_and_getbit() {
    each_protocol(|client| async move {
        let key = unique_key("setbit");
        assert_eq!(client.setbit(&key, 7, 1).await.unwrap(), 0, "the old bit");
        assert_eq!(cli_bulk(&["GET", &key]).as_deref(), Some("\x01"));
        assert_eq!(client.getbit(&key, 7).await.unwrap(), 1);
        assert_eq!(client.setbit(&key, 7, 0).await.unwrap(), 1);
        assert_eq!(client.getbit(&key, 7).await.unwrap(), 0);
        assert_eq!(
            client.getbit(&key, 10_000).await.unwrap(),
            0,
            "past the end"
        );
        assert_eq!(
            client
                .getbit(unique_key("getbit-missing"), 0)
                .await
                .unwrap(),
            0
        );

        assert_server_error(
            client.setbit(&key, 0, 2).await,
            "ERR",
            "bit is not an integer",
        );
    })
    .await;
}

#[tokio::test]
async fn bitcount_whole_by_byte_and_by_bit() {
    each_protocol(|client| async move {
        let key = unique_key("bitcount");
        cli(&["SET", &key, "foobar"]);
        assert_eq!(client.bitcount(&key).await.unwrap(), 26);
        assert_eq!(client.bitcount(&key).index(0, 0).await.unwrap(), 4);
        assert_eq!(client.bitcount(&key).index(1, 1).await.unwrap(), 6);
        assert_eq!(client.bitcount(&key).index(1, 1).byte().await.unwrap(), 6);
        assert_eq!(client.bitcount(&key).index(5, 30).bit().await.unwrap(), 17);
        // A unit without a range is not written (it belongs to the range).
        assert_eq!(client.bitcount(&key).bit().await.unwrap(), 26);
        assert_eq!(
            client
                .bitcount(unique_key("bitcount-missing"))
                .await
                .unwrap(),
            0
        );
    })
    .await;
}

#[tokio::test]
async fn bitpos_finds_the_first_bit() {
    each_protocol(|client| async move {
        let key = unique_key("bitpos");
        client.set(&key, &b"\xff\xf0\x00"[..]).await.unwrap();
        assert_eq!(client.bitpos(&key, 0).await.unwrap(), 12);
        let ones = unique_key("bitpos-ones");
        client.set(&ones, &b"\x00\xff\xf0"[..]).await.unwrap();
        assert_eq!(client.bitpos(&ones, 1).await.unwrap(), 8);
        assert_eq!(client.bitpos(&ones, 1).index(2).await.unwrap(), 16);
        assert_eq!(
            client
                .bitpos(&ones, 1)
                .index(2)
                .end_index(-1)
                .byte()
                .await
                .unwrap(),
            16
        );
        assert_eq!(
            client
                .bitpos(&ones, 1)
                .index(7)
                .end_index(15)
                .bit()
                .await
                .unwrap(),
            8
        );

        // No such bit: -1.
        let zeros = unique_key("bitpos-zeros");
        client.set(&zeros, &b"\x00\x00"[..]).await.unwrap();
        assert_eq!(client.bitpos(&zeros, 1).await.unwrap(), -1);
        assert_eq!(
            client
                .bitpos(unique_key("bitpos-missing"), 1)
                .await
                .unwrap(),
            -1
        );
        assert_eq!(
            client
                .bitpos(unique_key("bitpos-missing"), 0)
                .await
                .unwrap(),
            0
        );
    })
    .await;
}

#[tokio::test]
async fn bitop_returns_the_destination_length() {
    each_protocol(|client| async move {
        let (a, b, dest) = (
            unique_key("bitop-a"),
            unique_key("bitop-b"),
            unique_key("bitop-dest"),
        );
        client.set(&a, &b"\x0f\xff"[..]).await.unwrap();
        client.set(&b, &b"\xf1"[..]).await.unwrap();
        assert_eq!(client.bitop("AND", &dest, [&a, &b]).await.unwrap(), 2);
        let and: Vec<u8> = client.get(&dest).await.unwrap().unwrap();
        assert_eq!(and, b"\x01\x00");
        assert_eq!(client.bitop("OR", &dest, [&a, &b]).await.unwrap(), 2);
        let or: Vec<u8> = client.get(&dest).await.unwrap().unwrap();
        assert_eq!(or, b"\xff\xff");
        assert_eq!(client.bitop("NOT", &dest, [&b]).await.unwrap(), 1);
        let not: Vec<u8> = client.get(&dest).await.unwrap().unwrap();
        assert_eq!(not, b"\x0e");

        assert_server_error(
            client.bitop("NOT", &dest, [&a, &b]).await,
            "ERR",
            "BITOP NOT",
        );
    })
    .await;
}

#[tokio::test]
async fn bitfield_results_per_operation_with_nil_on_overflow_fail() {
    each_protocol(|client| async move {
        let key = unique_key("bitfield");
        let set = BitfieldOperation::Write(None, Write::Set("u8".into(), 0, 255));
        let get = BitfieldOperation::Get("u8".into(), 0);
        let results = client.bitfield(&key).operation([set, get]).await.unwrap();
        assert_eq!(results, [Some(0), Some(255)]);

        // OVERFLOW FAIL: nil for the operation that would overflow, nothing changed.
        let incr =
            |overflow| BitfieldOperation::Write(Some(overflow), Write::Incrby("u8".into(), 0, 10));
        let results = client
            .bitfield(&key)
            .operation([incr(Overflow::Fail)])
            .await
            .unwrap();
        assert_eq!(results, [None]);
        assert_eq!(cli(&["BITFIELD", &key, "GET", "u8", "0"]), "*1\r\n:255\r\n");
        let results = client
            .bitfield(&key)
            .operation([incr(Overflow::Sat), incr(Overflow::Wrap)])
            .await
            .unwrap();
        assert_eq!(results, [Some(255), Some(9)]);

        // No operations: an empty reply.
        let none = client.bitfield(&key).await.unwrap();
        assert!(none.is_empty());

        // BITFIELD_RO reads only, so its results are never nil.
        let read: Vec<i64> = client
            .bitfield_ro(&key)
            .get([("u8", 0), ("u4", 4), ("i8", 0)])
            .await
            .unwrap();
        assert_eq!(read, [9, 9, 9]);
        let read: Vec<i64> = client
            .bitfield_ro(unique_key("bitfield-missing"))
            .get([("u8", 0)])
            .await
            .unwrap();
        assert_eq!(read, [0]);
    })
    .await;
}

// ---------------------------------------------------------------------------
// HyperLogLog
// ---------------------------------------------------------------------------

#[tokio::test]
async fn pfadd_pfcount_and_pfmerge() {
    each_protocol(|client| async move {
        let (a, b, dest) = (
            unique_key("pf-a"),
            unique_key("pf-b"),
            unique_key("pf-dest"),
        );
        assert!(client.pfadd(&a).element(["x", "y", "z"]).await.unwrap());
        assert!(
            !client.pfadd(&a).element(["x", "y"]).await.unwrap(),
            "nothing new"
        );
        assert!(
            !client.pfadd(&a).await.unwrap(),
            "no elements on an existing key"
        );
        assert!(
            client.pfadd(&b).await.unwrap(),
            "no elements creates the key"
        );
        assert_eq!(cli_status(&["TYPE", &b]), "string");
        assert!(client.pfadd(&b).element(["z", "w"]).await.unwrap());

        assert_eq!(client.pfcount([&a]).await.unwrap(), 3);
        assert_eq!(client.pfcount([&a, &b]).await.unwrap(), 4, "the union");
        assert_eq!(client.pfcount([unique_key("pf-missing")]).await.unwrap(), 0);

        client.pfmerge(&dest, [&a, &b]).await.unwrap();
        assert_eq!(cli_int(&["PFCOUNT", &dest]), 4);

        let text = unique_key("pf-text");
        cli(&["SET", &text, "not a hyperloglog"]);
        assert_server_error(client.pfcount([&text]).await, "WRONGTYPE", "HyperLogLog");
    })
    .await;
}

#[tokio::test]
async fn pfdebug_and_pfselftest() {
    each_protocol(|client| async move {
        let key = unique_key("pfdebug");
        cli(&["PFADD", &key, "a", "b", "c"]);
        // PFDEBUG's reply depends on its subcommand, so it is a `Value`.
        let encoding = client.pfdebug("ENCODING", &key).await.unwrap();
        assert_eq!(encoding, Value::Status("sparse".into()));
        let registers = client.pfdebug("GETREG", &key).await.unwrap();
        let Value::Array(registers) = registers else {
            panic!("GETREG: {registers:?}")
        };
        assert_eq!(registers.len(), 16384);
        let set = registers.iter().filter(|r| **r != Value::Int(0)).count();
        assert_eq!(set, 3, "one register per element");

        client.pfselftest().await.unwrap();
    })
    .await;
}

// ---------------------------------------------------------------------------
// Geo
// ---------------------------------------------------------------------------

const PALERMO: (f64, f64) = (13.361389, 38.115556);
const CATANIA: (f64, f64) = (15.087269, 37.502669);

/// A key holding Palermo and Catania, per the server.
fn sicily() -> String {
    let key = unique_key("sicily");
    cli(&[
        "GEOADD",
        &key,
        &PALERMO.0.to_string(),
        &PALERMO.1.to_string(),
        "Palermo",
        &CATANIA.0.to_string(),
        &CATANIA.1.to_string(),
        "Catania",
    ]);
    key
}

#[track_caller]
fn assert_position(position: &GeoPosition, (longitude, latitude): (f64, f64)) {
    assert_close(position.longitude, longitude, 1e-5);
    assert_close(position.latitude, latitude, 1e-5);
}

#[tokio::test]
async fn geoadd_counts_added_or_changed() {
    each_protocol(|client| async move {
        let key = unique_key("geoadd");
        let added = client
            .geoadd(
                &key,
                [
                    (PALERMO.0, PALERMO.1, "Palermo"),
                    (CATANIA.0, CATANIA.1, "Catania"),
                ],
            )
            .await
            .unwrap();
        assert_eq!(added, 2);
        assert_eq!(cli_int(&["ZCARD", &key]), 2);

        // Moving a member adds nothing; CH counts it as changed.
        let moved = client
            .geoadd(&key, [(13.0, 38.0, "Palermo")])
            .await
            .unwrap();
        assert_eq!(moved, 0);
        let changed = client
            .geoadd(&key, [(13.1, 38.0, "Palermo")])
            .ch()
            .await
            .unwrap();
        assert_eq!(changed, 1);
        // XX only updates, NX only adds.
        let xx = client
            .geoadd(&key, [(13.2, 38.0, "Palermo"), (2.35, 48.85, "Paris")])
            .xx()
            .ch()
            .await
            .unwrap();
        assert_eq!(xx, 1);
        assert_eq!(cli_int(&["ZCARD", &key]), 2, "XX added no member");
        let nx = client
            .geoadd(&key, [(0.0, 0.0, "Palermo"), (2.35, 48.85, "Paris")])
            .nx()
            .await
            .unwrap();
        assert_eq!(nx, 1);
        assert_ne!(
            cli_strings(&["GEOHASH", &key, "Palermo"]),
            ["s0000000000"],
            "NX left Palermo where it was"
        );

        assert_server_error(
            client.geoadd(&key, [(200.0, 0.0, "nowhere")]).await,
            "ERR",
            "invalid longitude,latitude",
        );
    })
    .await;
}

#[tokio::test]
async fn geodist_in_each_unit_or_nil() {
    each_protocol(|client| async move {
        let key = sicily();
        let meters = client.geodist(&key, "Palermo", "Catania").await.unwrap();
        assert_close(meters.unwrap(), 166_274.151_6, 0.01);
        let km = client
            .geodist(&key, "Palermo", "Catania")
            .km()
            .await
            .unwrap();
        assert_close(km.unwrap(), 166.2742, 0.0001);
        let miles = client
            .geodist(&key, "Palermo", "Catania")
            .mi()
            .await
            .unwrap();
        assert_close(miles.unwrap(), 103.3182, 0.0001);
        let none = client.geodist(&key, "Palermo", "Atlantis").await.unwrap();
        assert_eq!(none, None);
        let none = client
            .geodist(unique_key("geodist-missing"), "a", "b")
            .await
            .unwrap();
        assert_eq!(none, None);
    })
    .await;
}

#[tokio::test]
async fn geohash_and_geopos_per_member() {
    each_protocol(|client| async move {
        let key = sicily();
        let hashes = client
            .geohash(&key, ["Palermo", "Atlantis", "Catania"])
            .await
            .unwrap();
        assert_eq!(
            hashes,
            [
                Some("sqc8b49rny0".to_string()),
                None,
                Some("sqdtr74hyu0".to_string())
            ]
        );

        let positions = client
            .geopos(&key, ["Palermo", "Atlantis", "Catania"])
            .await
            .unwrap();
        assert_eq!(positions.len(), 3);
        assert_position(positions[0].as_ref().unwrap(), PALERMO);
        assert_eq!(positions[1], None);
        assert_position(positions[2].as_ref().unwrap(), CATANIA);

        let none = client
            .geopos(unique_key("geopos-missing"), ["a"])
            .await
            .unwrap();
        assert_eq!(none, [None]);
    })
    .await;
}

/// Asserts the two Sicilian matches of a search from (15, 37), nearest first,
/// with exactly the fields the options asked for.
#[track_caller]
fn assert_sicily_matches(matches: &[GeoMatch<String>], dist: bool, hash: bool, coord: bool) {
    let members: Vec<&str> = matches.iter().map(|m| m.member.as_str()).collect();
    assert_eq!(members, ["Catania", "Palermo"]);
    let (catania, palermo) = (&matches[0], &matches[1]);
    if dist {
        assert_close(catania.distance.unwrap(), 56.4413, 0.0001);
        assert_close(palermo.distance.unwrap(), 190.4424, 0.0001);
    } else {
        assert_eq!((catania.distance, palermo.distance), (None, None));
    }
    if hash {
        assert_eq!(catania.hash, Some(3_479_447_370_796_909));
        assert_eq!(palermo.hash, Some(3_479_099_956_230_698));
    } else {
        assert_eq!((catania.hash, palermo.hash), (None, None));
    }
    if coord {
        assert_position(catania.position.as_ref().unwrap(), CATANIA);
        assert_position(palermo.position.as_ref().unwrap(), PALERMO);
    } else {
        assert_eq!((&catania.position, &palermo.position), (&None, &None));
    }
}

#[tokio::test]
async fn geosearch_names_or_matches_with_the_fields_asked_for() {
    each_protocol(|client| async move {
        let key = sicily();
        let from = || GeosearchFrom::Fromlonlat(15.0, 37.0);
        let within = || GeosearchBy::Circle(200.0, GeosearchByCircleUnit::Km);

        let names: Vec<String> = client
            .geosearch(&key, from(), within())
            .asc()
            .await
            .unwrap();
        assert_eq!(names, ["Catania", "Palermo"]);
        let nearest: Vec<Bytes> = client
            .geosearch(&key, from(), within())
            .asc()
            .count(1)
            .await
            .unwrap();
        assert_eq!(nearest, [Bytes::from_static(b"Catania")]);
        let boxed: Vec<String> = client
            .geosearch(
                &key,
                from(),
                GeosearchBy::Box(400.0, 400.0, GeosearchByBoxUnit::Km),
            )
            .desc()
            .await
            .unwrap();
        assert_eq!(boxed, ["Palermo", "Catania"]);

        // Every combination of WITHDIST, WITHHASH and WITHCOORD, in any order.
        let s = || client.geosearch(&key, from(), within()).asc();
        assert_sicily_matches(&s().withdist().await.unwrap(), true, false, false);
        assert_sicily_matches(&s().withhash().await.unwrap(), false, true, false);
        assert_sicily_matches(&s().withcoord().await.unwrap(), false, false, true);
        assert_sicily_matches(&s().withhash().withdist().await.unwrap(), true, true, false);
        assert_sicily_matches(
            &s().withcoord().withdist().await.unwrap(),
            true,
            false,
            true,
        );
        assert_sicily_matches(
            &s().withcoord().withhash().await.unwrap(),
            false,
            true,
            true,
        );
        assert_sicily_matches(
            &s().withcoord().withhash().withdist().await.unwrap(),
            true,
            true,
            true,
        );

        // From a member; the member is user data in any type.
        let from_palermo = client
            .geosearch::<Bytes>(
                &key,
                GeosearchFrom::Frommember("Palermo".into()),
                GeosearchBy::Circle(100.0, GeosearchByCircleUnit::Km),
            )
            .withdist()
            .await
            .unwrap();
        assert_eq!(from_palermo.len(), 1);
        assert_eq!(from_palermo[0].member, Bytes::from_static(b"Palermo"));
        assert_eq!(from_palermo[0].distance, Some(0.0));

        let none: Vec<String> = client
            .geosearch(unique_key("geosearch-missing"), from(), within())
            .await
            .unwrap();
        assert!(none.is_empty());
        assert_server_error(
            client
                .geosearch::<String>(&key, GeosearchFrom::Frommember("Atlantis".into()), within())
                .await,
            "ERR",
            "could not decode requested zset member",
        );
    })
    .await;
}

#[tokio::test]
async fn geosearchstore_counts_and_stores_members_or_distances() {
    each_protocol(|client| async move {
        let key = sicily();
        let dest = unique_key("geosearchstore");
        let from = || GeosearchstoreFrom::Fromlonlat(15.0, 37.0);
        let within = |km| GeosearchstoreBy::Circle(km, GeosearchstoreByCircleUnit::Km);

        assert_eq!(
            client
                .geosearchstore(&dest, &key, from(), within(200.0))
                .await
                .unwrap(),
            2
        );
        assert_eq!(cli_int(&["ZCARD", &dest]), 2);
        assert_eq!(
            cli_strings(&["GEOHASH", &dest, "Catania"]),
            ["sqdtr74hyu0"],
            "the members keep their positions"
        );

        let stored = client
            .geosearchstore(&dest, &key, from(), within(100.0))
            .storedist()
            .await
            .unwrap();
        assert_eq!(stored, 1);
        let score: f64 = cli_bulk(&["ZSCORE", &dest, "Catania"])
            .unwrap()
            .parse()
            .unwrap();
        assert_close(score, 56.4413, 0.0001);

        assert_eq!(
            client
                .geosearchstore(&dest, &key, from(), within(1.0))
                .await
                .unwrap(),
            0
        );
        assert!(
            !exists_raw(&dest),
            "an empty result deletes the destination"
        );
    })
    .await;
}

#[tokio::test]
async fn georadius_and_georadiusbymember_names_matches_or_stored_count() {
    each_protocol(|client| async move {
        let key = sicily();
        let names: Vec<String> = client
            .georadius(&key, 15.0, 37.0, 200.0, GeoradiusUnit::Km)
            .asc()
            .await
            .unwrap();
        assert_eq!(names, ["Catania", "Palermo"]);
        let matches = client
            .georadius(&key, 15.0, 37.0, 200.0, GeoradiusUnit::Km)
            .withdist()
            .withcoord()
            .asc()
            .await
            .unwrap();
        assert_sicily_matches(&matches, true, false, true);
        let matches = client
            .georadius_ro(&key, 15.0, 37.0, 200.0, GeoradiusRoUnit::Km)
            .withhash()
            .asc()
            .await
            .unwrap();
        assert_sicily_matches(&matches, false, true, false);
        let nearest: Vec<String> = client
            .georadius_ro(&key, 15.0, 37.0, 200.0, GeoradiusRoUnit::Km)
            .asc()
            .count(1)
            .await
            .unwrap();
        assert_eq!(nearest, ["Catania"]);

        // STORE and STOREDIST reply with the number stored (no value type to name).
        let dest = unique_key("georadius-store");
        let stored = client
            .georadius(&key, 15.0, 37.0, 200.0, GeoradiusUnit::Km)
            .store(&dest)
            .await
            .unwrap();
        assert_eq!(stored, 2);
        assert_eq!(cli_int(&["ZCARD", &dest]), 2);
        let dists = unique_key("georadius-storedist");
        let stored = client
            .georadius(&key, 15.0, 37.0, 200.0, GeoradiusUnit::Km)
            .asc()
            .storedist(&dists)
            .await
            .unwrap();
        assert_eq!(stored, 2);
        let score: f64 = cli_bulk(&["ZSCORE", &dists, "Palermo"])
            .unwrap()
            .parse()
            .unwrap();
        assert_close(score, 190.4424, 0.0001);

        // By member.
        let names: Vec<String> = client
            .georadiusbymember(&key, "Palermo", 200.0, GeoradiusbymemberUnit::Km)
            .asc()
            .await
            .unwrap();
        assert_eq!(names, ["Palermo", "Catania"]);
        let matches = client
            .georadiusbymember_ro(&key, "Palermo", 200.0, GeoradiusbymemberRoUnit::Km)
            .withdist()
            .desc()
            .await
            .unwrap();
        let members: Vec<(&str, Option<f64>)> = matches
            .iter()
            .map(|m: &GeoMatch<String>| (m.member.as_str(), m.distance))
            .collect();
        assert_eq!(
            members,
            [("Catania", Some(166.2742)), ("Palermo", Some(0.0))]
        );
        let dest = unique_key("georadiusbymember-store");
        let stored = client
            .georadiusbymember(&key, "Catania", 1.0, GeoradiusbymemberUnit::Km)
            .store(&dest)
            .await
            .unwrap();
        assert_eq!(stored, 1);
        assert_eq!(cli_strings(&["ZRANGE", &dest, "0", "-1"]), ["Catania"]);

        // STORE with WITH* is refused by the server.
        assert_server_error(
            client
                .georadius(&key, 15.0, 37.0, 200.0, GeoradiusUnit::Km)
                .withdist()
                .store(&dest)
                .await,
            "ERR",
            "not compatible",
        );
    })
    .await;
}

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

#[tokio::test]
async fn copy_to_a_new_key_another_db_or_with_replace() {
    each_protocol(|client| async move {
        let (src, dst) = (unique_key("copy-src"), unique_key("copy-dst"));
        cli(&["SET", &src, "v1"]);
        assert!(client.copy(&src, &dst).await.unwrap());
        assert_eq!(cli_bulk(&["GET", &dst]).as_deref(), Some("v1"));
        assert_eq!(
            cli_bulk(&["GET", &src]).as_deref(),
            Some("v1"),
            "the source stays"
        );

        cli(&["SET", &src, "v2"]);
        assert!(
            !client.copy(&src, &dst).await.unwrap(),
            "the destination exists"
        );
        assert_eq!(cli_bulk(&["GET", &dst]).as_deref(), Some("v1"));
        assert!(client.copy(&src, &dst).replace().await.unwrap());
        assert_eq!(cli_bulk(&["GET", &dst]).as_deref(), Some("v2"));

        assert!(client.copy(&src, &dst).db(1).await.unwrap());
        assert!(exists_in_db(1, &dst));
        assert!(
            !client
                .copy(unique_key("copy-missing"), &dst)
                .replace()
                .await
                .unwrap()
        );
    })
    .await;
}

#[tokio::test]
async fn dump_and_restore_round_trip() {
    each_protocol(|client| async move {
        let key = unique_key("dump");
        cli(&["RPUSH", &key, "a", "b", "c"]);
        let dump: Vec<u8> = client.dump(&key).await.unwrap().expect("a dump");
        assert!(dump.len() > 10, "{dump:?}");
        let missing: Option<Bytes> = client.dump(unique_key("dump-missing")).await.unwrap();
        assert_eq!(missing, None);

        let copy = unique_key("restore");
        client.restore(&copy, 0, &dump[..]).await.unwrap();
        assert_eq!(cli_strings(&["LRANGE", &copy, "0", "-1"]), ["a", "b", "c"]);
        assert_eq!(pttl_raw(&copy), -1);

        // The key exists: BUSYKEY unless REPLACE.
        assert_server_error(
            client.restore(&copy, 0, &dump[..]).await,
            "BUSYKEY",
            "already exists",
        );
        client
            .restore(&copy, 100_000, &dump[..])
            .replace()
            .await
            .unwrap();
        let pttl = pttl_raw(&copy);
        assert!(90_000 < pttl && pttl <= 100_000, "pttl {pttl}");

        // ABSTTL takes a Unix time in milliseconds; IDLETIME sets the idle time.
        let at = unix_millis() + 200_000;
        client
            .restore(&copy, at, &dump[..])
            .replace()
            .absttl()
            .idletime(1000)
            .await
            .unwrap();
        assert_eq!(cli_int(&["PEXPIRETIME", &copy]), at);
        assert!(cli_int(&["OBJECT", "IDLETIME", &copy]) >= 1000);

        assert_server_error(
            client.restore(&copy, 0, "garbage").replace().await,
            "ERR",
            "payload",
        );
    })
    .await;
}

#[tokio::test]
async fn expireat_pexpire_pexpireat_and_persist() {
    each_protocol(|client| async move {
        let key = unique_key("expireat");
        cli(&["SET", &key, "v"]);
        let at = unix_secs() + 100;
        assert!(client.expireat(&key, at).await.unwrap());
        assert_eq!(client.expiretime(&key).await.unwrap(), at);
        assert_eq!(client.pexpiretime(&key).await.unwrap(), at * 1000);
        assert!(
            !client.expireat(&key, at + 100).nx().await.unwrap(),
            "NX: has a TTL"
        );
        assert!(client.expireat(&key, at + 100).gt().await.unwrap());
        assert_eq!(cli_int(&["EXPIRETIME", &key]), at + 100);

        assert!(client.pexpire(&key, 50_000).await.unwrap());
        let pttl = client.pttl(&key).await.unwrap();
        assert!(40_000 < pttl && pttl <= 50_000, "pttl {pttl}");
        assert!(
            !client.pexpire(&key, 60_000).lt().await.unwrap(),
            "LT: 60 s > 50 s"
        );
        assert!(pttl_raw(&key) <= 50_000);

        let pat = unix_millis() + 70_000;
        assert!(client.pexpireat(&key, pat).xx().await.unwrap());
        assert_eq!(cli_int(&["PEXPIRETIME", &key]), pat);

        assert!(client.persist(&key).await.unwrap());
        assert_eq!(client.pttl(&key).await.unwrap(), -1);
        assert_eq!(client.expiretime(&key).await.unwrap(), -1);
        assert_eq!(client.pexpiretime(&key).await.unwrap(), -1);
        assert!(!client.persist(&key).await.unwrap(), "no TTL to remove");

        // A missing key: false, and -2 for its times.
        let missing = unique_key("expireat-missing");
        assert!(!client.expireat(&missing, at).await.unwrap());
        assert!(!client.pexpire(&missing, 1000).await.unwrap());
        assert!(!client.pexpireat(&missing, pat).await.unwrap());
        assert!(!client.persist(&missing).await.unwrap());
        assert_eq!(client.pttl(&missing).await.unwrap(), -2);
        assert_eq!(client.expiretime(&missing).await.unwrap(), -2);
        assert_eq!(client.pexpiretime(&missing).await.unwrap(), -2);

        // A time in the past deletes the key.
        assert!(client.pexpireat(&key, 1).await.unwrap());
        assert!(!exists_raw(&key));
    })
    .await;
}

#[tokio::test]
async fn keys_matching_a_pattern() {
    each_protocol(|client| async move {
        let prefix = unique_key("keys");
        for suffix in ["a", "b", "c"] {
            cli(&["SET", &format!("{prefix}:{suffix}"), "v"]);
        }
        let keys: Vec<String> = client.keys(format!("{prefix}:*")).await.unwrap();
        assert_eq!(
            sorted(keys),
            ["a", "b", "c"].map(|s| format!("{prefix}:{s}"))
        );
        let keys: Vec<Bytes> = client.keys(format!("{prefix}:[ab]")).await.unwrap();
        assert_eq!(sorted(keys).len(), 2);
        let none: Vec<String> = client.keys(format!("{prefix}:nothing*")).await.unwrap();
        assert!(none.is_empty());
    })
    .await;
}

#[tokio::test]
async fn migrate_moves_copies_or_reports_nokey() {
    let target = Server::start();
    let port = i64::from(target.port());
    each_protocol(|client| {
        let target = &target;
        async move {
            let key = unique_key("migrate");
            cli(&["SET", &key, "v"]);
            let reply = client
                .migrate("127.0.0.1", port, &key, 0, 5000)
                .await
                .unwrap();
            assert_eq!(reply, "OK");
            assert!(!exists_raw(&key), "moved away");
            assert_eq!(target.cli(&["GET", &key]), "$1\r\nv\r\n");

            // COPY keeps the source; REPLACE overwrites the target's key (without
            // it, MIGRATE relays the target's BUSYKEY inside an ERR).
            cli(&["SET", &key, "w"]);
            assert_server_error(
                client
                    .migrate("127.0.0.1", port, &key, 0, 5000)
                    .copy()
                    .await,
                "ERR",
                "BUSYKEY",
            );
            let reply = client
                .migrate("127.0.0.1", port, &key, 0, 5000)
                .copy()
                .replace()
                .await
                .unwrap();
            assert_eq!(reply, "OK");
            assert!(exists_raw(&key), "COPY keeps the source");
            assert_eq!(target.cli(&["GET", &key]), "$1\r\nw\r\n");

            // Several keys after KEYS, with the empty key argument.
            let (a, b) = (unique_key("migrate-a"), unique_key("migrate-b"));
            cli(&["SET", &a, "1"]);
            cli(&["SET", &b, "2"]);
            let reply = client
                .migrate(
                    "127.0.0.1",
                    port,
                    MigrateKeyOrEmptyString::EmptyString,
                    0,
                    5000,
                )
                .keys([&a, &b])
                .await
                .unwrap();
            assert_eq!(reply, "OK");
            assert_eq!(
                target.cli(&["MGET", &a, &b]),
                "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"
            );

            // Nothing to move: the status NOKEY.
            let reply = client
                .migrate("127.0.0.1", port, unique_key("migrate-missing"), 0, 5000)
                .await
                .unwrap();
            assert_eq!(reply, "NOKEY");
        }
    })
    .await;
}

#[tokio::test]
async fn move_to_another_db() {
    each_protocol(|client| async move {
        let key = unique_key("move");
        cli(&["SET", &key, "v"]);
        assert!(client.r#move(&key, 1).await.unwrap());
        assert!(!exists_raw(&key));
        assert!(exists_in_db(1, &key));
        assert!(
            !client.r#move(&key, 1).await.unwrap(),
            "nothing left to move"
        );

        cli(&["SET", &key, "again"]);
        assert!(
            !client.r#move(&key, 1).await.unwrap(),
            "the target db has the key"
        );
        assert!(exists_raw(&key));
        assert_server_error(client.r#move(&key, 0).await, "ERR", "same");
    })
    .await;
}

#[tokio::test]
async fn object_encoding_refcount_idletime_and_help() {
    each_protocol(|client| async move {
        let (int, short, long) = (
            unique_key("object-int"),
            unique_key("object-short"),
            unique_key("object-long"),
        );
        cli(&["SET", &int, "12345"]);
        cli(&["SET", &short, "abc"]);
        cli(&["SET", &long, &"x".repeat(100)]);
        let missing = unique_key("object-missing");
        assert_eq!(
            client.object_encoding(&int).await.unwrap().as_deref(),
            Some("int")
        );
        assert_eq!(
            client.object_encoding(&short).await.unwrap().as_deref(),
            Some("embstr")
        );
        assert_eq!(
            client.object_encoding(&long).await.unwrap().as_deref(),
            Some("raw")
        );
        assert_eq!(client.object_encoding(&missing).await.unwrap(), None);

        assert_eq!(client.object_refcount(&short).await.unwrap(), Some(1));
        assert_eq!(client.object_refcount(&missing).await.unwrap(), None);
        let idle = client.object_idletime(&short).await.unwrap().unwrap();
        assert!((0..10).contains(&idle), "idle {idle}");
        assert_eq!(client.object_idletime(&missing).await.unwrap(), None);

        // FREQ needs an LFU policy (see object_freq_under_lfu).
        assert_server_error(client.object_freq(&short).await, "ERR", "LFU");

        let help = client.object_help().await.unwrap();
        assert!(help[0].starts_with("OBJECT <subcommand>"), "{help:?}");
        assert!(
            help.iter().any(|line| line.starts_with("ENCODING")),
            "{help:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn object_freq_under_lfu() {
    let server = Server::builder()
        .config("maxmemory-policy", "allkeys-lfu")
        .start();
    for protocol in PROTOCOLS {
        let client = client_on(&server, protocol).await;
        let key = unique_key("object-freq");
        server.cli(&["SET", &key, "v"]);
        let freq = client.object_freq(&key).await.unwrap();
        assert!(freq.is_some_and(|f| f > 0), "{freq:?}");
        assert_eq!(
            client
                .object_freq(unique_key("object-freq-missing"))
                .await
                .unwrap(),
            None
        );
        assert_server_error(client.object_idletime(&key).await, "ERR", "LFU");
    }
}

#[tokio::test]
async fn randomkey_on_an_empty_and_a_one_key_database() {
    let server = Server::start();
    for protocol in PROTOCOLS {
        let client = client_on(&server, protocol).await;
        server.cli(&["FLUSHALL"]);
        let none: Option<String> = client.randomkey().await.unwrap();
        assert_eq!(none, None);
        server.cli(&["SET", "only", "v"]);
        let key: Option<String> = client.randomkey().await.unwrap();
        assert_eq!(key.as_deref(), Some("only"));
        let key: Option<Bytes> = client.randomkey().await.unwrap();
        assert_eq!(key, Some(Bytes::from_static(b"only")));
    }
}

#[tokio::test]
async fn rename_and_renamenx() {
    each_protocol(|client| async move {
        let (a, b, c) = (
            unique_key("rename-a"),
            unique_key("rename-b"),
            unique_key("rename-c"),
        );
        cli(&["SET", &a, "1"]);
        client.rename(&a, &b).await.unwrap();
        assert!(!exists_raw(&a));
        assert_eq!(cli_bulk(&["GET", &b]).as_deref(), Some("1"));
        assert_server_error(client.rename(&a, &c).await, "ERR", "no such key");

        cli(&["SET", &c, "3"]);
        assert!(
            !client.renamenx(&b, &c).await.unwrap(),
            "the new name exists"
        );
        assert_eq!(cli_bulk(&["GET", &c]).as_deref(), Some("3"));
        assert!(client.renamenx(&b, &a).await.unwrap());
        assert_eq!(cli_bulk(&["GET", &a]).as_deref(), Some("1"));
        // RENAME overwrites.
        client.rename(&a, &c).await.unwrap();
        assert_eq!(cli_bulk(&["GET", &c]).as_deref(), Some("1"));
    })
    .await;
}

#[tokio::test]
async fn scan_pages_through_matching_keys() {
    each_protocol(|client| async move {
        let prefix = unique_key("scan");
        let expected: Vec<String> = (0..25).map(|i| format!("{prefix}:{i:02}")).collect();
        for key in &expected {
            cli(&["SET", key, "v"]);
        }
        let hash = format!("{prefix}:hash");
        cli(&["HSET", &hash, "f", "v"]);

        // The cursor comes back as a number to pass on; 0 ends the scan.
        let mut found = Vec::new();
        let mut cursor = 0;
        let mut pages = 0;
        loop {
            let page: ScanPage<String> = client
                .scan(cursor)
                .r#match(format!("{prefix}:*"))
                .count(10)
                .r#type("string")
                .await
                .unwrap();
            found.extend(page.items);
            pages += 1;
            cursor = page.cursor;
            if cursor == 0 {
                break;
            }
            assert!(pages < 10_000, "the scan does not end");
        }
        found.sort();
        found.dedup();
        assert_eq!(found, expected, "every string key once, not the hash");

        // One page into bytes.
        let page: ScanPage<Bytes> = client.scan(0).count(1000).r#match(&hash).await.unwrap();
        assert!(page.cursor >= 0);
        assert!(page.items.len() <= 1);
    })
    .await;
}

#[tokio::test]
async fn sort_and_sort_ro_values_lookups_and_store() {
    each_protocol(|client| async move {
        let list = unique_key("sort");
        cli(&["RPUSH", &list, "3", "1", "2"]);
        let numbers: Vec<i64> = client.sort(&list).await.unwrap();
        assert_eq!(numbers, [1, 2, 3]);
        let numbers: Vec<String> = client.sort(&list).desc().limit(0, 2).await.unwrap();
        assert_eq!(numbers, ["3", "2"]);
        let numbers: Vec<i64> = client.sort_ro(&list).desc().await.unwrap();
        assert_eq!(numbers, [3, 2, 1]);

        let words = unique_key("sort-words");
        cli(&["RPUSH", &words, "banana", "apple", "cherry"]);
        let alpha: Vec<String> = client.sort(&words).alpha().await.unwrap();
        assert_eq!(alpha, ["apple", "banana", "cherry"]);
        assert_server_error(client.sort::<String>(&words).await, "ERR", "convert");

        // BY weights keys: the values stay plain (BY is not GET, though both are `pattern`).
        let prefix = unique_key("sort-by");
        for (item, weight) in [("1", "30"), ("2", "10"), ("3", "20")] {
            cli(&["SET", &format!("{prefix}:w:{item}"), weight]);
        }
        cli(&["SET", &format!("{prefix}:name:1"), "one"]);
        cli(&["SET", &format!("{prefix}:name:3"), "three"]);
        let by_weight: Vec<i64> = client
            .sort(&list)
            .by(format!("{prefix}:w:*"))
            .await
            .unwrap();
        assert_eq!(by_weight, [2, 3, 1]);

        // GET looks values up, and a missing one is nil.
        let names: Vec<Option<String>> = client
            .sort(&list)
            .get([format!("{prefix}:name:*")])
            .await
            .unwrap();
        assert_eq!(names, [Some("one".into()), None, Some("three".into())]);
        let pairs: Vec<Option<String>> = client
            .sort_ro(&list)
            .by(format!("{prefix}:w:*"))
            .get(["#".to_string(), format!("{prefix}:name:*")])
            .await
            .unwrap();
        assert_eq!(
            pairs,
            [
                Some("2".into()),
                None,
                Some("3".into()),
                Some("three".into()),
                Some("1".into()),
                Some("one".into())
            ]
        );

        // STORE: the number of elements stored (no value type to name).
        let dest = unique_key("sort-store");
        let stored = client.sort(&list).desc().store(&dest).await.unwrap();
        assert_eq!(stored, 3);
        assert_eq!(cli_strings(&["LRANGE", &dest, "0", "-1"]), ["3", "2", "1"]);
        let stored = client
            .sort(&list)
            .get([format!("{prefix}:name:*")])
            .store(&dest)
            .await
            .unwrap();
        assert_eq!(stored, 3);
        assert_eq!(
            cli_strings(&["LRANGE", &dest, "0", "-1"]),
            ["one", "", "three"]
        );

        let missing: Vec<String> = client.sort(unique_key("sort-missing")).await.unwrap();
        assert!(missing.is_empty());
    })
    .await;
}

#[tokio::test]
async fn touch_and_unlink_count_existing_keys() {
    each_protocol(|client| async move {
        let (a, b, missing) = (
            unique_key("touch-a"),
            unique_key("touch-b"),
            unique_key("touch-missing"),
        );
        cli(&["SET", &a, "1"]);
        cli(&["SET", &b, "2"]);
        assert_eq!(client.touch([&a, &b, &missing]).await.unwrap(), 2);
        assert_eq!(client.unlink([&a, &missing]).await.unwrap(), 1);
        assert!(!exists_raw(&a));
        assert!(exists_raw(&b));
        assert_eq!(client.unlink([&a, &b]).await.unwrap(), 1);
        assert_eq!(client.touch([&a, &b]).await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn wait_runs_on_a_pooled_connection() {
    each_protocol(|client: Client| async move {
        // It would hold every caller's replies on the shared connection, so
        // the client lends it a connection of its pool.
        assert_eq!(client.wait(0, 0).await.unwrap(), 0);
        assert_eq!(client.stats().commands_sent, 0);
        client.ping().await.unwrap();
    })
    .await;
    for protocol in PROTOCOLS {
        // No replicas: nothing to wait for.
        let acked = call_dedicated(shared(), protocol, cmd::wait(0, 0))
            .await
            .unwrap();
        assert_eq!(acked, 0);
    }
}
