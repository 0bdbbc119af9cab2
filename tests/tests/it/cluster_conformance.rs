//! The conformance test on a cluster: every command of the spec that a
//! cluster client can run is called through the typed [`ClusterClient`] API
//! against a real cluster (three masters with a replica each), under RESP2
//! and RESP3, and its reply is checked.
//!
//! "Cluster-capable" is computed from `commands.json`: every command not
//! marked `x_connection: "dedicated"` (the cluster client refuses those by
//! design) and not in [`EXCLUDED`]. One test per spec group calls its
//! commands and asserts that the commands it called are exactly the group's
//! cluster-capable commands, recorded as each call is made; a meta-test
//! asserts that every group with cluster-capable commands has such a test.
//! So a command added to the spec fails here until it is called on a cluster.
//!
//! Commands whose keys are several take keys of one `{hash tag}`. The server
//! and scripting groups flush and restore whole nodes, so they run on a
//! cluster of their own, one at a time.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use redtyped::cluster::slot;
use redtyped::cmd::{
    BitfieldOperation, BitfieldOperationWriteWrapSatFail as Overflow,
    BitfieldOperationWriteWriteOperation as Write, BlmoveWherefrom, BlmoveWhereto, BlmpopWhere,
    BzmpopWhere, ClientKillFilter, ClientKillFilterNewFormat, ClientNoEvictEnabled,
    GeoradiusRoUnit, GeoradiusUnit, GeoradiusbymemberRoUnit, GeoradiusbymemberUnit, GeosearchBy,
    GeosearchByCircleUnit, GeosearchFrom, GeosearchstoreBy, GeosearchstoreByCircleUnit,
    LinsertWhere, LmoveWherefrom, LmoveWhereto, LmpopWhere, MigrateKeyOrEmptyString, ReplicaofArgs,
    SlaveofArgs, XaddIdOrAuto, XgroupCreateId, XgroupSetidId, XtrimStrategy, ZmpopWhere,
};
use redtyped::shape::Shape;
use redtyped::{ClusterClient, Command, ErrorKind, Protocol, Value, cmd};
use redtyped_tests::{Cluster, unique_key, wait_until};

use crate::cluster::{cluster_client, shared_cluster};
use crate::support::PROTOCOLS;

/// Commands that are not dedicated but are never called here, each with why.
const EXCLUDED: &[(&str, &str)] = &[
    ("CLUSTER ADDSLOTS", "changes the slot map"),
    ("CLUSTER ADDSLOTSRANGE", "changes the slot map"),
    ("CLUSTER BUMPEPOCH", "changes the node's config epoch"),
    ("CLUSTER DELSLOTS", "changes the slot map"),
    ("CLUSTER DELSLOTSRANGE", "changes the slot map"),
    ("CLUSTER FAILOVER", "changes which node is master"),
    ("CLUSTER FLUSHSLOTS", "changes the slot map"),
    ("CLUSTER FORGET", "changes the cluster's membership"),
    ("CLUSTER MEET", "changes the cluster's membership"),
    ("CLUSTER REPLICATE", "changes which node is master"),
    ("CLUSTER RESET", "takes a node out of the cluster"),
    (
        "CLUSTER SET-CONFIG-EPOCH",
        "changes the node's config epoch",
    ),
    ("CLUSTER SETSLOT", "changes the slot map"),
];

// ---------------------------------------------------------------------------
// The spec's view: which commands a cluster client must run
// ---------------------------------------------------------------------------

/// Each command of `commands.json` with its group, and whether the cluster
/// client runs it (not dedicated).
fn spec() -> &'static BTreeMap<String, (String, bool)> {
    static SPEC: OnceLock<BTreeMap<String, (String, bool)>> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../commands.json");
        let text = std::fs::read_to_string(path).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        json["commands"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(name, command)| {
                let group = command["group"].as_str().unwrap().to_string();
                let dedicated = command["x_connection"].as_str() == Some("dedicated");
                (name.clone(), (group, !dedicated))
            })
            .collect()
    })
}

/// The cluster-capable commands of the spec group `group`.
fn cluster_capable(group: &str) -> BTreeSet<String> {
    spec()
        .iter()
        .filter(|(name, (g, runs))| g == group && *runs && !EXCLUDED.iter().any(|(e, _)| e == name))
        .map(|(name, _)| name.clone())
        .collect()
}

// ---------------------------------------------------------------------------
// Calling and recording
// ---------------------------------------------------------------------------

/// A cluster client that records the name of every command it sends, with a
/// hash tag of its own for the keys.
#[derive(Clone)]
struct Conformance {
    client: ClusterClient,
    called: Arc<Mutex<BTreeSet<&'static str>>>,
    tag: String,
}

impl Conformance {
    async fn new(cluster: &Cluster, protocol: Protocol) -> Conformance {
        Conformance {
            client: cluster_client(cluster, protocol).await,
            called: Arc::default(),
            tag: unique_key("conf"),
        }
    }

    /// A key in this run's hash slot.
    fn key(&self, name: &str) -> String {
        format!("{{{}}}:{name}", self.tag)
    }

    /// A key served by the master at `index` of the slot map, outside this run's slot.
    fn key_on(&self, index: usize, name: &str) -> String {
        let master = &self.client.masters()[index];
        (0..)
            .map(|i| format!("{}:{name}:{i}", self.tag))
            .find(|k| self.client.master_of(slot(k.as_bytes())).as_ref() == Some(master))
            .unwrap()
    }

    fn record(&self, name: &'static str) {
        self.called.lock().unwrap().insert(name);
    }

    /// Sends `command` through the cluster client and returns its typed reply.
    async fn call<C: Command>(&self, command: C) -> <C::Shape as Shape>::Output {
        let name = C::META.name;
        self.record(name);
        self.client
            .send(command)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// Sends `command` and asserts the server refused it with a message containing `text`.
    async fn refused<C: Command>(&self, command: C, text: &str) {
        let name = C::META.name;
        self.record(name);
        match self.client.send(command).await {
            Ok(_) => panic!("{name} should have been refused with `{text}`"),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Server, "{name}: {e}");
                assert!(e.to_string().contains(text), "{name}: {e}");
            }
        }
    }

    fn called(&self) -> BTreeSet<String> {
        self.called
            .lock()
            .unwrap()
            .iter()
            .map(|n| n.to_string())
            .collect()
    }
}

/// Where a group's commands run.
#[derive(Clone, Copy)]
enum On {
    /// The cluster shared by tests that only touch their own keys.
    Shared,
    /// A cluster of this module's own, one group at a time (FLUSHALL, SCRIPT FLUSH).
    Own,
}

fn own_cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| Cluster::start(3, 1))
}

/// Runs `calls` under each protocol and asserts that of the commands of
/// `group` it called exactly the cluster-capable ones.
async fn check_group<F, Fut>(group: &str, on: On, calls: F)
where
    F: Fn(Conformance) -> Fut,
    Fut: Future<Output = ()>,
{
    static OWN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let expected = cluster_capable(group);
    assert!(
        !expected.is_empty(),
        "no cluster-capable command in {group}"
    );
    for protocol in PROTOCOLS {
        eprintln!("-- {group} {protocol:?}");
        let _alone = match on {
            On::Own => Some(OWN.lock().await),
            On::Shared => None,
        };
        let cluster = match on {
            On::Shared => shared_cluster(),
            On::Own => own_cluster(),
        };
        let conformance = Conformance::new(cluster, protocol).await;
        calls(conformance.clone()).await;
        // Commands of other groups may help (a SET to have a key); the
        // group's own must be exactly its cluster-capable ones.
        let called: BTreeSet<String> = conformance
            .called()
            .into_iter()
            .filter(|name| spec().get(name).is_none_or(|(g, _)| g == group))
            .collect();
        let missing: Vec<_> = expected.difference(&called).collect();
        let extra: Vec<_> = called.difference(&expected).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{group} under {protocol:?}: not called {missing:?}; called but not cluster-capable {extra:?}"
        );
    }
}

macro_rules! group_tests {
    ($($test:ident: $group:literal on $on:ident => $calls:ident;)*) => {
        /// The spec groups that have a test below.
        const TESTED_GROUPS: &[&str] = &[$($group),*];
        $(
            #[tokio::test]
            async fn $test() {
                check_group($group, On::$on, $calls).await;
            }
        )*
    };
}

group_tests! {
    string_commands: "string" on Shared => strings;
    bitmap_commands: "bitmap" on Shared => bitmaps;
    hyperloglog_commands: "hyperloglog" on Shared => hyperloglogs;
    list_commands: "list" on Shared => lists;
    hash_commands: "hash" on Shared => hashes;
    set_commands: "set" on Shared => sets;
    sorted_set_commands: "sorted-set" on Shared => sorted_sets;
    stream_commands: "stream" on Shared => streams;
    geo_commands: "geo" on Shared => geo;
    generic_commands: "generic" on Shared => generic;
    pubsub_commands: "pubsub" on Shared => pubsub;
    connection_commands: "connection" on Shared => connection;
    cluster_commands: "cluster" on Shared => cluster;
    scripting_commands: "scripting" on Own => scripting;
    server_commands: "server" on Own => server;
}

#[test]
fn every_group_with_cluster_capable_commands_has_a_test() {
    let groups: BTreeSet<&str> = spec()
        .values()
        .map(|(group, _)| group.as_str())
        .filter(|group| !cluster_capable(group).is_empty())
        .collect();
    let tested: BTreeSet<&str> = TESTED_GROUPS.iter().copied().collect();
    assert_eq!(tested, groups);
    // The exclusions name commands the cluster client would otherwise run.
    for (name, _) in EXCLUDED {
        assert_eq!(
            spec().get(*name).map(|(_, runs)| *runs),
            Some(true),
            "{name}"
        );
    }
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

// ---------------------------------------------------------------------------
// Strings, bitmaps, hyperloglogs
// ---------------------------------------------------------------------------

async fn strings(c: Conformance) {
    let k = c.key("s");
    c.call(cmd::set(&k, "hello")).await;
    assert_eq!(
        c.call(cmd::get::<String>(&k)).await.as_deref(),
        Some("hello")
    );
    assert_eq!(c.call(cmd::append(&k, " world")).await, 11);
    assert_eq!(c.call(cmd::strlen(&k)).await, 11);
    assert_eq!(c.call(cmd::getrange::<String>(&k, 0, 4)).await, "hello");
    assert_eq!(c.call(cmd::substr::<String>(&k, 6, 10)).await, "world");
    assert_eq!(c.call(cmd::setrange(&k, 6, "there")).await, 11);
    let old: Option<String> = c.call(cmd::getset(&k, "v2")).await;
    assert_eq!(old.as_deref(), Some("hello there"));
    let v: Option<String> = c.call(cmd::getex(&k).ex(100)).await;
    assert_eq!(v.as_deref(), Some("v2"));
    let v: Option<String> = c.call(cmd::getdel(&k)).await;
    assert_eq!(v.as_deref(), Some("v2"));
    assert_eq!(c.call(cmd::get::<String>(&k)).await, None);

    let n = c.key("n");
    assert_eq!(c.call(cmd::incr(&n)).await, 1);
    assert_eq!(c.call(cmd::incrby(&n, 10)).await, 11);
    assert_eq!(c.call(cmd::decr(&n)).await, 10);
    assert_eq!(c.call(cmd::decrby(&n, 4)).await, 6);
    assert_eq!(c.call(cmd::incrbyfloat(&n, 1.5)).await, 7.5);

    let (a, b, m) = (c.key("a"), c.key("b"), c.key("m"));
    assert!(c.call(cmd::setnx(&a, "x")).await);
    assert!(!c.call(cmd::setnx(&a, "y")).await);
    c.call(cmd::setex(&a, 100, "y")).await;
    c.call(cmd::psetex(&b, 100_000, "z")).await;
    let values: Vec<Option<String>> = c.call(cmd::mget([&a, &b, &m])).await;
    assert_eq!(values, [Some("y".into()), Some("z".into()), None]);
    c.call(cmd::mset([(&a, "1"), (&b, "2")])).await;
    assert!(!c.call(cmd::msetnx([(&m, "1"), (&a, "3")])).await);
    assert!(c.call(cmd::msetnx([(&m, "1")])).await);
    // MGET and MSET across shards split by slot.
    let spread: Vec<String> = (0..3).map(|i| c.key_on(i, "spread")).collect();
    c.call(cmd::mset(spread.iter().map(|k| (k.as_str(), k.as_str()))))
        .await;
    let values: Vec<Option<String>> = c.call(cmd::mget(&spread)).await;
    assert_eq!(values, spread.iter().cloned().map(Some).collect::<Vec<_>>());

    let (l1, l2) = (c.key("lcs1"), c.key("lcs2"));
    c.call(cmd::mset([(&l1, "ohmytext"), (&l2, "mynewtext")]))
        .await;
    assert_eq!(c.call(cmd::lcs::<String>(&l1, &l2)).await, "mytext");
    assert_eq!(c.call(cmd::lcs::<()>(&l1, &l2).len()).await, 6);
}

async fn bitmaps(c: Conformance) {
    let (k, other, dest) = (c.key("bits"), c.key("bits2"), c.key("bits-and"));
    assert_eq!(c.call(cmd::setbit(&k, 7, 1)).await, 0);
    assert_eq!(c.call(cmd::getbit(&k, 7)).await, 1);
    assert_eq!(c.call(cmd::setbit(&other, 7, 1)).await, 0);
    assert_eq!(c.call(cmd::bitcount(&k)).await, 1);
    assert_eq!(c.call(cmd::bitpos(&k, 1)).await, 7);
    assert_eq!(c.call(cmd::bitop("AND", &dest, [&k, &other])).await, 1);
    assert_eq!(c.call(cmd::bitcount(&dest)).await, 1);
    let set = BitfieldOperation::Write(None, Write::Set("u8".into(), 8, 200));
    let incr = BitfieldOperation::Write(Some(Overflow::Fail), Write::Incrby("u8".into(), 8, 100));
    let results = c.call(cmd::bitfield(&k).operation([set, incr])).await;
    assert_eq!(results, [Some(0), None]);
    assert_eq!(c.call(cmd::bitfield_ro(&k).get([("u8", 8)])).await, [200]);
}

async fn hyperloglogs(c: Conformance) {
    let (a, b, merged) = (c.key("hll-a"), c.key("hll-b"), c.key("hll"));
    assert!(c.call(cmd::pfadd(&a).element(["x", "y"])).await);
    assert!(c.call(cmd::pfadd(&b).element(["y", "z"])).await);
    assert_eq!(c.call(cmd::pfcount([&a])).await, 2);
    assert_eq!(c.call(cmd::pfcount([&a, &b])).await, 3);
    c.call(cmd::pfmerge(&merged, [&a, &b])).await;
    assert_eq!(c.call(cmd::pfcount([&merged])).await, 3);
    let Value::Array(registers) = c.call(cmd::pfdebug("GETREG", &a)).await else {
        panic!("PFDEBUG GETREG is an array");
    };
    assert_eq!(registers.len(), 16384);
    c.call(cmd::pfselftest()).await;
}

// ---------------------------------------------------------------------------
// Lists, hashes, sets, sorted sets
// ---------------------------------------------------------------------------

async fn lists(c: Conformance) {
    let (k, other, missing) = (c.key("list"), c.key("list2"), c.key("none"));
    assert_eq!(c.call(cmd::rpush(&k, ["b", "c"])).await, 2);
    assert_eq!(c.call(cmd::lpush(&k, ["a"])).await, 3);
    assert_eq!(c.call(cmd::lpushx(&missing, ["x"])).await, 0);
    assert_eq!(c.call(cmd::rpushx(&k, ["d"])).await, 4);
    assert_eq!(c.call(cmd::llen(&k)).await, 4);
    let all: Vec<String> = c.call(cmd::lrange(&k, 0, -1)).await;
    assert_eq!(all, ["a", "b", "c", "d"]);
    let at: Option<String> = c.call(cmd::lindex(&k, 1)).await;
    assert_eq!(at.as_deref(), Some("b"));
    assert_eq!(
        c.call(cmd::linsert(&k, LinsertWhere::Before, "b", "x"))
            .await,
        5
    );
    c.call(cmd::lset(&k, 0, "A")).await;
    assert_eq!(c.call(cmd::lrem(&k, 0, "x")).await, 1);
    assert_eq!(c.call(cmd::lpos(&k, "c")).await, Some(2));
    c.call(cmd::ltrim(&k, 0, 2)).await;
    let all: Vec<String> = c.call(cmd::lrange(&k, 0, -1)).await;
    assert_eq!(all, ["A", "b", "c"]);
    let first: Option<String> = c.call(cmd::lpop(&k)).await;
    assert_eq!(first.as_deref(), Some("A"));
    let last: Option<String> = c.call(cmd::rpop(&k)).await;
    assert_eq!(last.as_deref(), Some("c"));
    c.call(cmd::rpush(&k, ["c", "d", "e", "f", "g", "h"])).await;
    let moved: Option<String> = c
        .call(cmd::lmove(
            &k,
            &other,
            LmoveWherefrom::Left,
            LmoveWhereto::Right,
        ))
        .await;
    assert_eq!(moved.as_deref(), Some("b"));
    let moved: Option<String> = c.call(cmd::rpoplpush(&k, &other)).await;
    assert_eq!(moved.as_deref(), Some("h"));
    let popped = c
        .call(cmd::lmpop::<String, _>(2, [&missing, &k], LmpopWhere::Left))
        .await
        .unwrap();
    assert_eq!((popped.key, popped.elements), (k.clone(), vec!["c".into()]));
    // The blocking forms find elements at once (they run on a pooled connection).
    let moved: Option<String> = c
        .call(cmd::blmove(
            &k,
            &other,
            BlmoveWherefrom::Left,
            BlmoveWhereto::Left,
            1.0,
        ))
        .await;
    assert_eq!(moved.as_deref(), Some("d"));
    let popped = c
        .call(cmd::blmpop::<String, _>(1.0, 1, [&k], BlmpopWhere::Right))
        .await
        .unwrap();
    assert_eq!(popped.elements, ["g"]);
    let popped = c
        .call(cmd::blpop::<String, _>([&missing, &k], 1.0))
        .await
        .unwrap();
    assert_eq!((popped.key, popped.element), (k.clone(), "e".to_string()));
    let popped = c.call(cmd::brpop::<String, _>([&k], 1.0)).await.unwrap();
    assert_eq!(popped.element, "f");
    let moved: Option<String> = c.call(cmd::brpoplpush(&other, &k, 1.0)).await;
    assert_eq!(moved.as_deref(), Some("b"));
}

async fn hashes(c: Conformance) {
    let k = c.key("hash");
    assert_eq!(c.call(cmd::hset(&k, [("a", "1"), ("b", "2")])).await, 2);
    assert!(c.call(cmd::hsetnx(&k, "c", "3")).await);
    assert!(!c.call(cmd::hsetnx(&k, "c", "4")).await);
    c.call(cmd::hmset(&k, [("d", "hello")])).await;
    let v: Option<String> = c.call(cmd::hget(&k, "a")).await;
    assert_eq!(v.as_deref(), Some("1"));
    let vs: Vec<Option<String>> = c.call(cmd::hmget(&k, ["b", "zz"])).await;
    assert_eq!(vs, [Some("2".into()), None]);
    assert!(c.call(cmd::hexists(&k, "c")).await);
    assert_eq!(c.call(cmd::hstrlen(&k, "d")).await, 5);
    assert_eq!(c.call(cmd::hlen(&k)).await, 4);
    assert_eq!(c.call(cmd::hincrby(&k, "a", 9)).await, 10);
    assert_eq!(c.call(cmd::hincrbyfloat(&k, "b", 0.5)).await, 2.5);
    assert_eq!(c.call(cmd::hdel(&k, ["c"])).await, 1);
    let keys: Vec<String> = c.call(cmd::hkeys(&k)).await;
    assert_eq!(sorted(keys), ["a", "b", "d"]);
    let vals: Vec<String> = c.call(cmd::hvals(&k)).await;
    assert_eq!(sorted(vals), ["10", "2.5", "hello"]);
    let all: BTreeMap<String, String> = c.call(cmd::hgetall(&k)).await;
    assert_eq!(all.len(), 3);
    assert_eq!(all["a"], "10");
    let field: Option<String> = c.call(cmd::hrandfield(&k)).await;
    assert!(all.contains_key(&field.unwrap()));
    let page = c.call(cmd::hscan::<String>(&k, 0).count(100)).await;
    assert_eq!(page.cursor, "0");
    assert_eq!(sorted(page.entries).len(), 3);
}

async fn sets(c: Conformance) {
    let (a, b, dest, missing) = (
        c.key("set-a"),
        c.key("set-b"),
        c.key("set-d"),
        c.key("none"),
    );
    assert_eq!(c.call(cmd::sadd(&a, ["x", "y", "z"])).await, 3);
    assert_eq!(c.call(cmd::sadd(&b, ["y", "z", "w"])).await, 3);
    assert_eq!(c.call(cmd::scard(&a)).await, 3);
    assert!(c.call(cmd::sismember(&a, "x")).await);
    assert_eq!(c.call(cmd::smismember(&a, ["x", "w"])).await, [true, false]);
    let members: Vec<String> = c.call(cmd::smembers(&a)).await;
    assert_eq!(sorted(members), ["x", "y", "z"]);
    let diff: Vec<String> = c.call(cmd::sdiff([&a, &b])).await;
    assert_eq!(diff, ["x"]);
    let inter: Vec<String> = c.call(cmd::sinter([&a, &b])).await;
    assert_eq!(sorted(inter), ["y", "z"]);
    let union: Vec<String> = c.call(cmd::sunion([&a, &b])).await;
    assert_eq!(sorted(union), ["w", "x", "y", "z"]);
    assert_eq!(c.call(cmd::sintercard(2, [&a, &b])).await, 2);
    assert_eq!(c.call(cmd::sdiffstore(&dest, [&a, &b])).await, 1);
    assert_eq!(c.call(cmd::sinterstore(&dest, [&a, &b])).await, 2);
    assert_eq!(c.call(cmd::sunionstore(&dest, [&a, &b])).await, 4);
    assert!(c.call(cmd::smove(&a, &missing, "x")).await);
    assert_eq!(c.call(cmd::srem(&a, ["y"])).await, 1);
    let one: Option<String> = c.call(cmd::srandmember(&a)).await;
    assert_eq!(one.as_deref(), Some("z"));
    let popped: Option<String> = c.call(cmd::spop(&a)).await;
    assert_eq!(popped.as_deref(), Some("z"));
    let page = c.call(cmd::sscan::<String>(&b, 0).count(100)).await;
    assert_eq!(page.cursor, "0");
    assert_eq!(sorted(page.members), ["w", "y", "z"]);
}

async fn sorted_sets(c: Conformance) {
    let (z, other, dest, missing) = (c.key("z"), c.key("z2"), c.key("zd"), c.key("none"));
    assert_eq!(
        c.call(cmd::zadd(&z, [(1.0, "a"), (2.0, "b"), (3.0, "c")]))
            .await,
        3
    );
    assert_eq!(
        c.call(cmd::zadd(&other, [(10.0, "b"), (20.0, "d")])).await,
        2
    );
    assert_eq!(c.call(cmd::zadd(&z, [(1.0, "a")]).incr()).await, Some(2.0));
    assert_eq!(c.call(cmd::zincrby(&z, -1.0, "a")).await, 1.0);
    assert_eq!(c.call(cmd::zcard(&z)).await, 3);
    assert_eq!(c.call(cmd::zcount(&z, "2", "+inf")).await, 2);
    assert_eq!(c.call(cmd::zlexcount(&z, "-", "+")).await, 3);
    assert_eq!(c.call(cmd::zscore(&z, "b")).await, Some(2.0));
    assert_eq!(
        c.call(cmd::zmscore(&z, ["c", "x"])).await,
        [Some(3.0), None]
    );
    assert_eq!(c.call(cmd::zrank(&z, "c")).await, Some(2));
    assert_eq!(c.call(cmd::zrevrank(&z, "c")).await, Some(0));
    let range: Vec<(String, f64)> = c.call(cmd::zrange(&z, "0", "-1").withscores()).await;
    assert_eq!(
        range,
        [("a".into(), 1.0), ("b".into(), 2.0), ("c".into(), 3.0)]
    );
    let names: Vec<String> = c.call(cmd::zrangebyscore(&z, "2", "3")).await;
    assert_eq!(names, ["b", "c"]);
    let names: Vec<String> = c.call(cmd::zrangebylex(&z, "[b", "+")).await;
    assert_eq!(names, ["b", "c"]);
    let names: Vec<String> = c.call(cmd::zrevrange(&z, 0, 0)).await;
    assert_eq!(names, ["c"]);
    let names: Vec<String> = c.call(cmd::zrevrangebyscore(&z, "+inf", "2")).await;
    assert_eq!(names, ["c", "b"]);
    let names: Vec<String> = c.call(cmd::zrevrangebylex(&z, "+", "(b")).await;
    assert_eq!(names, ["c"]);
    let diff: Vec<String> = c.call(cmd::zdiff(2, [&z, &other])).await;
    assert_eq!(diff, ["a", "c"]);
    let inter: Vec<(String, f64)> = c.call(cmd::zinter(2, [&z, &other]).withscores()).await;
    assert_eq!(inter, [("b".into(), 12.0)]);
    let union: Vec<String> = c.call(cmd::zunion(2, [&z, &other])).await;
    assert_eq!(union, ["a", "c", "b", "d"]);
    assert_eq!(c.call(cmd::zintercard(2, [&z, &other])).await, 1);
    assert_eq!(c.call(cmd::zdiffstore(&dest, 2, [&z, &other])).await, 2);
    assert_eq!(c.call(cmd::zinterstore(&dest, 2, [&z, &other])).await, 1);
    assert_eq!(c.call(cmd::zunionstore(&dest, 2, [&z, &other])).await, 4);
    assert_eq!(c.call(cmd::zrangestore(&dest, &z, "0", "1")).await, 2);
    let member: Option<String> = c.call(cmd::zrandmember(&dest)).await;
    assert!(matches!(member.as_deref(), Some("a" | "b")));
    let page = c.call(cmd::zscan::<String>(&dest, 0).count(100)).await;
    assert_eq!(page.cursor, "0");
    assert_eq!(page.members.len(), 2);
    assert_eq!(c.call(cmd::zremrangebyrank(&dest, 0, 0)).await, 1);
    c.call(cmd::zadd(&dest, [(5.0, "p"), (0.0, "q")])).await;
    assert_eq!(c.call(cmd::zremrangebyscore(&dest, "5", "5")).await, 1);
    assert_eq!(c.call(cmd::zremrangebylex(&dest, "[q", "[q")).await, 0);
    assert_eq!(c.call(cmd::zrem(&dest, ["b", "q"])).await, 2);
    let min: Vec<(String, f64)> = c.call(cmd::zpopmin(&z)).await;
    assert_eq!(min, [("a".into(), 1.0)]);
    let max: Vec<(String, f64)> = c.call(cmd::zpopmax(&z)).await;
    assert_eq!(max, [("c".into(), 3.0)]);
    let popped = c
        .call(cmd::zmpop::<String, _>(
            2,
            [&missing, &other],
            ZmpopWhere::Max,
        ))
        .await
        .unwrap();
    assert_eq!(
        (popped.key, popped.members),
        (other.clone(), vec![("d".into(), 20.0)])
    );
    let popped = c
        .call(cmd::bzpopmin::<String, _>([&missing, &z], 1.0))
        .await
        .unwrap();
    assert_eq!((popped.member.as_str(), popped.score), ("b", 2.0));
    c.call(cmd::zadd(&z, [(7.0, "m"), (8.0, "n")])).await;
    let popped = c.call(cmd::bzpopmax::<String, _>([&z], 1.0)).await.unwrap();
    assert_eq!(popped.member, "n");
    let popped = c
        .call(cmd::bzmpop::<String, _>(
            1.0,
            2,
            [&z, &other],
            BzmpopWhere::Min,
        ))
        .await
        .unwrap();
    assert_eq!(popped.members, [("m".to_string(), 7.0)]);
}

// ---------------------------------------------------------------------------
// Streams, geo
// ---------------------------------------------------------------------------

async fn streams(c: Conformance) {
    let (s, other) = (c.key("stream"), c.key("stream2"));
    let one = c
        .call(cmd::xadd(&s, XaddIdOrAuto::Id("1-0".into()), [("n", "1")]))
        .await;
    assert_eq!(one, "1-0");
    c.call(cmd::xadd(&s, XaddIdOrAuto::Id("2-0".into()), [("n", "2")]))
        .await;
    c.call(cmd::xadd(&other, XaddIdOrAuto::AutoId, [("n", "x")]))
        .await;
    assert_eq!(c.call(cmd::xlen(&s)).await, 2);
    let entries = c.call(cmd::xrange::<String>(&s, "-", "+")).await;
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].fields, [("n".to_string(), "1".to_string())]);
    let entries = c
        .call(cmd::xrevrange::<String>(&s, "+", "-").count(1))
        .await;
    assert_eq!(entries[0].id, "2-0");
    let read = c
        .call(cmd::xread::<String, _, _>([&s, &other], ["1-0", "0"]))
        .await
        .unwrap();
    assert_eq!(read.len(), 2);
    assert_eq!((read[0].0.as_str(), read[0].1.len()), (s.as_str(), 1));

    c.call(cmd::xgroup_create(&s, "g", XgroupCreateId::Id("0".into())))
        .await;
    assert!(c.call(cmd::xgroup_createconsumer(&s, "g", "alice")).await);
    let help = c.call(cmd::xgroup_help()).await;
    assert!(help.len() > 5, "{help:?}");
    let delivered = c
        .call(cmd::xreadgroup::<String, _, _>("g", "alice", [&s], [">"]))
        .await
        .unwrap();
    assert_eq!(delivered[0].1.len(), 2);
    let summary = c.call(cmd::xpending(&s, "g")).await;
    assert_eq!(summary.count, 2);
    let claimed = c
        .call(cmd::xclaim::<String, _>(&s, "g", "bob", "0", ["1-0"]))
        .await;
    assert_eq!(claimed[0].id, "1-0");
    let auto = c
        .call(cmd::xautoclaim::<String>(&s, "g", "carol", "0", "0"))
        .await;
    assert_eq!(auto.entries.len(), 2);
    assert_eq!(c.call(cmd::xack(&s, "g", ["1-0"])).await, 1);
    let consumers = c.call(cmd::xinfo_consumers(&s, "g")).await;
    assert_eq!(consumers.len(), 3);
    let groups = c.call(cmd::xinfo_groups(&s)).await;
    assert_eq!((groups[0].name.as_str(), groups[0].pending), ("g", 1));
    let info = c.call(cmd::xinfo_stream::<String>(&s)).await;
    assert_eq!((info.length, info.groups), (2, 1));
    assert!(c.call(cmd::xinfo_help()).await.len() > 3);
    assert_eq!(c.call(cmd::xgroup_delconsumer(&s, "g", "carol")).await, 1);
    c.call(cmd::xgroup_setid(&s, "g", XgroupSetidId::Id("0".into())))
        .await;
    assert!(c.call(cmd::xgroup_destroy(&s, "g")).await);
    assert_eq!(c.call(cmd::xdel(&s, ["1-0"])).await, 1);
    c.call(cmd::xsetid(&s, "5-0")).await;
    assert_eq!(c.call(cmd::xtrim(&s, XtrimStrategy::Maxlen, 0)).await, 1);
    assert_eq!(c.call(cmd::xlen(&s)).await, 0);
}

async fn geo(c: Conformance) {
    let (k, dest) = (c.key("geo"), c.key("geo-dest"));
    let places = [
        (13.361389, 38.115556, "Palermo"),
        (15.087269, 37.502669, "Catania"),
    ];
    assert_eq!(c.call(cmd::geoadd(&k, places)).await, 2);
    let dist = c
        .call(cmd::geodist(&k, "Palermo", "Catania"))
        .await
        .unwrap();
    assert!((dist - 166274.1516).abs() < 1.0, "{dist}");
    let hashes = c.call(cmd::geohash(&k, ["Palermo", "nowhere"])).await;
    assert_eq!(hashes, [Some("sqc8b49rny0".to_string()), None]);
    let positions = c.call(cmd::geopos(&k, ["Catania"])).await;
    assert!((positions[0].as_ref().unwrap().longitude - 15.087269).abs() < 1e-4);
    let within = || GeosearchBy::Circle(200.0, GeosearchByCircleUnit::Km);
    let found: Vec<String> = c
        .call(cmd::geosearch(&k, GeosearchFrom::Fromlonlat(15.0, 37.0), within()).asc())
        .await;
    assert_eq!(found, ["Catania", "Palermo"]);
    let by = GeosearchstoreBy::Circle(100.0, GeosearchstoreByCircleUnit::Km);
    assert_eq!(
        c.call(cmd::geosearchstore(&dest, &k, "Catania", by)).await,
        1
    );
    let found: Vec<String> = c
        .call(cmd::georadius(&k, 15.0, 37.0, 100.0, GeoradiusUnit::Km))
        .await;
    assert_eq!(found, ["Catania"]);
    let found: Vec<String> = c
        .call(cmd::georadius_ro(&k, 15.0, 37.0, 200.0, GeoradiusRoUnit::Km).asc())
        .await;
    assert_eq!(found, ["Catania", "Palermo"]);
    let found: Vec<String> = c
        .call(cmd::georadiusbymember(
            &k,
            "Palermo",
            10.0,
            GeoradiusbymemberUnit::Km,
        ))
        .await;
    assert_eq!(found, ["Palermo"]);
    let found: Vec<String> = c
        .call(cmd::georadiusbymember_ro(
            &k,
            "Catania",
            10.0,
            GeoradiusbymemberRoUnit::Km,
        ))
        .await;
    assert_eq!(found, ["Catania"]);
}

// ---------------------------------------------------------------------------
// Keyspace
// ---------------------------------------------------------------------------

async fn generic(c: Conformance) {
    let (k, copy, renamed, missing) = (c.key("g"), c.key("g-copy"), c.key("g-new"), c.key("none"));
    c.call(cmd::rpush(&k, ["3", "1", "2"])).await;
    assert_eq!(c.call(cmd::r#type(&k)).await, "list");
    assert!(c.call(cmd::copy(&k, &copy)).await);
    assert_eq!(c.call(cmd::exists([&k, &copy, &missing])).await, 2);
    assert_eq!(c.call(cmd::touch([&k, &copy])).await, 2);
    let sorted_values: Vec<String> = c.call(cmd::sort(&k)).await;
    assert_eq!(sorted_values, ["1", "2", "3"]);
    let sorted_values: Vec<String> = c.call(cmd::sort_ro(&k).desc()).await;
    assert_eq!(sorted_values, ["3", "2", "1"]);
    assert_eq!(c.call(cmd::sort::<()>(&k).store(&renamed)).await, 3);
    c.call(cmd::rename(&renamed, &missing)).await;
    assert!(!c.call(cmd::renamenx(&missing, &copy)).await);
    assert!(c.call(cmd::renamenx(&missing, &renamed)).await);
    assert_eq!(c.call(cmd::unlink([&renamed, &copy])).await, 2);

    assert!(c.call(cmd::expire(&k, 100)).await);
    let ttl = c.call(cmd::ttl(&k)).await;
    assert!((1..=100).contains(&ttl), "{ttl}");
    assert!(c.call(cmd::pexpire(&k, 100_000)).await);
    let pttl = c.call(cmd::pttl(&k)).await;
    assert!((1..=100_000).contains(&pttl), "{pttl}");
    assert!(c.call(cmd::expireat(&k, 4_000_000_000)).await);
    assert_eq!(c.call(cmd::expiretime(&k)).await, 4_000_000_000);
    assert!(c.call(cmd::pexpireat(&k, 4_000_000_000_123)).await);
    assert_eq!(c.call(cmd::pexpiretime(&k)).await, 4_000_000_000_123);
    assert!(c.call(cmd::persist(&k)).await);
    assert_eq!(c.call(cmd::ttl(&k)).await, -1);

    let dumped: Option<Bytes> = c.call(cmd::dump(&k)).await;
    c.call(cmd::restore(&copy, 0, dumped.unwrap())).await;
    let restored: Vec<String> = c.call(cmd::lrange(&copy, 0, -1)).await;
    assert_eq!(restored, ["3", "1", "2"]);

    assert_eq!(
        c.call(cmd::object_encoding(&k)).await.as_deref(),
        Some("quicklist")
    );
    assert_eq!(c.call(cmd::object_refcount(&k)).await, Some(1));
    assert!(c.call(cmd::object_idletime(&k)).await.is_some());
    assert!(c.call(cmd::object_help()).await.len() > 3);
    c.refused(cmd::object_freq(&k), "LFU").await;
    let reply = c
        .call(cmd::migrate(
            "127.0.0.1",
            1,
            MigrateKeyOrEmptyString::Key(missing.as_str().into()),
            0,
            100,
        ))
        .await;
    assert_eq!(reply, "NOKEY", "MIGRATE of a missing key moves nothing");
    c.refused(cmd::r#move(&k, 1), "").await;

    // Keys on every master, for the commands sent to every shard.
    let spread: Vec<String> = (0..3).map(|i| c.key_on(i, "everywhere")).collect();
    for key in &spread {
        c.call(cmd::set(key, "1")).await;
    }
    let found: Vec<String> = c.call(cmd::keys(format!("{}:everywhere:*", c.tag))).await;
    assert_eq!(sorted(found), sorted(spread.clone()));
    let any: Option<String> = c.call(cmd::randomkey()).await;
    assert!(any.is_some());
    // SCAN's request policy is `special`: it goes to one master, the first.
    let mut cursor = 0;
    let mut scanned = Vec::new();
    loop {
        let page = c
            .call(cmd::scan::<String>(cursor).r#match(format!("{}:everywhere:*", c.tag)))
            .await;
        scanned.extend(page.items);
        cursor = page.cursor;
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(scanned, [spread[0].clone()]);
    assert_eq!(c.call(cmd::del(&spread)).await, 3, "DEL across shards sums");
    assert_eq!(c.call(cmd::del([&k])).await, 1);
    // WAIT goes to every master and takes the smallest count: one replica each.
    assert_eq!(c.call(cmd::wait(1, 10_000)).await, 1);
}

// ---------------------------------------------------------------------------
// Pub/sub, connection, cluster
// ---------------------------------------------------------------------------

async fn pubsub(c: Conformance) {
    let channel = c.key("channel");
    assert_eq!(c.call(cmd::publish(&channel, "hi")).await, 0);
    assert_eq!(c.call(cmd::spublish(&channel, "hi")).await, 0);
    let channels: Vec<String> = c.call(cmd::pubsub_channels().pattern(&channel)).await;
    assert!(channels.is_empty());
    let channels: Vec<String> = c.call(cmd::pubsub_shardchannels().pattern(&channel)).await;
    assert!(channels.is_empty());
    let counts: Vec<(String, i64)> = c.call(cmd::pubsub_numsub().channels([&channel])).await;
    assert_eq!(counts, [(channel.clone(), 0)]);
    let counts: Vec<(String, i64)> = c
        .call(cmd::pubsub_shardnumsub().shardchannels([&channel]))
        .await;
    assert_eq!(counts, [(channel.clone(), 0)]);
    assert!(c.call(cmd::pubsub_numpat()).await >= 0);
    assert!(c.call(cmd::pubsub_help()).await.len() > 3);
}

async fn connection(c: Conformance) {
    assert_eq!(c.call(cmd::ping()).await, "PONG");
    let echoed: String = c.call(cmd::echo("hello")).await;
    assert_eq!(echoed, "hello");
    let name = format!("conf-{}", std::process::id());
    c.call(cmd::client_setname(&name)).await;
    assert_eq!(
        c.call(cmd::client_getname()).await.as_deref(),
        Some(name.as_str())
    );
    let id = c.call(cmd::client_id()).await;
    let me = c.call(cmd::client_info()).await;
    assert_eq!((me.id, me.name.as_str()), (id, name.as_str()));
    let everyone = c.call(cmd::client_list()).await;
    assert!(everyone.iter().any(|row| row.id == id));
    assert_eq!(c.call(cmd::client_getredir()).await, -1);
    assert!(c.call(cmd::client_help()).await.len() > 10);
    let tracking = c.call(cmd::client_trackinginfo::<String>()).await;
    assert_eq!(tracking.flags, ["off"]);
    c.call(cmd::client_no_evict(ClientNoEvictEnabled::Off))
        .await;
    assert!(!c.call(cmd::client_unblock(i64::MAX)).await);
    let killed = c
        .call(cmd::client_kill(ClientKillFilter::NewFormat(vec![
            ClientKillFilterNewFormat::Id(i64::MAX),
        ])))
        .await;
    assert_eq!(killed, Value::Int(0));
    c.call(cmd::client_pause(1)).await;
    c.call(cmd::client_unpause()).await;
}

async fn cluster(c: Conformance) {
    let info = c.call(cmd::cluster_info()).await;
    assert_eq!(info["cluster_state"], "ok");
    assert_eq!(info["cluster_size"], "3");
    let shards = c.call(cmd::cluster_shards()).await;
    assert_eq!(shards.len(), 3);
    let ranges = c.call(cmd::cluster_slots()).await;
    assert_eq!(
        ranges.iter().map(|r| r.end - r.start + 1).sum::<i64>(),
        16384
    );
    let nodes = c.call(cmd::cluster_nodes()).await;
    assert_eq!(nodes.len(), 6);
    let myid = c.call(cmd::cluster_myid()).await;
    let me = nodes.iter().find(|n| n.id == myid).unwrap();
    assert!(
        me.flags.contains("myself") && me.flags.contains("master"),
        "{me:?}"
    );
    assert_eq!(c.call(cmd::cluster_replicas(&myid)).await.len(), 1);
    assert_eq!(c.call(cmd::cluster_slaves(&myid)).await.len(), 1);
    assert_eq!(c.call(cmd::cluster_count_failure_reports(&myid)).await, 0);
    // Bus links are made as nodes gossip: wait (with a deadline) for two to
    // each of the five other nodes.
    let all_links = async { while c.call(cmd::cluster_links()).await.len() != 10 {} };
    tokio::time::timeout(std::time::Duration::from_secs(30), all_links)
        .await
        .expect("two links to each other node");
    assert!(c.call(cmd::cluster_help()).await.len() > 10);
    let key = c.key("in-slot");
    assert_eq!(
        c.call(cmd::cluster_keyslot(&key)).await,
        i64::from(slot(key.as_bytes()))
    );
    c.call(cmd::cluster_saveconfig()).await;
    // These take a slot, not a key, so they go to any master: the first, here.
    let key = c.key_on(0, "counted");
    c.call(cmd::set(&key, "1")).await;
    let s = i64::from(slot(key.as_bytes()));
    // Other tests on the shared cluster may have keys in the same slot.
    let count = c.call(cmd::cluster_countkeysinslot(s)).await;
    assert!(count >= 1, "{count}");
    let keys: Vec<String> = c.call(cmd::cluster_getkeysinslot(s, count)).await;
    assert!(keys.contains(&key), "{keys:?}");
}

// ---------------------------------------------------------------------------
// Scripting and server, on a cluster of their own
// ---------------------------------------------------------------------------

const LIBRARY: &str = "#!lua name=conformance\n\
    redis.register_function('conf_get', function(keys, args) return redis.call('GET', keys[1]) end)\n\
    redis.register_function{function_name='conf_ro', callback=function(keys, args) \
    return redis.call('STRLEN', keys[1]) end, flags={'no-writes'}}";

async fn scripting(c: Conformance) {
    let key = c.key("script");
    let script = "redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])";
    let reply = c.call(cmd::eval(script, 1).key([&key]).arg(["v"])).await;
    assert_eq!(reply, Value::Bulk(Bytes::from_static(b"v")));
    let reply = c
        .call(cmd::eval_ro("return redis.call('STRLEN', KEYS[1])", 1).key([&key]))
        .await;
    assert_eq!(reply, Value::Int(1));
    // SCRIPT LOAD reaches every node, so EVALSHA works on the master of any key.
    let sha = c
        .call(cmd::script_load("return redis.call('EXISTS', KEYS[1])"))
        .await;
    for i in 0..3 {
        let k = c.key_on(i, "sha");
        assert_eq!(c.call(cmd::evalsha(&sha, 1).key([&k])).await, Value::Int(0));
    }
    assert_eq!(
        c.call(cmd::evalsha_ro(&sha, 1).key([&key])).await,
        Value::Int(1)
    );
    assert_eq!(
        c.call(cmd::script_exists([&sha, "0000"])).await,
        [true, false]
    );
    assert!(c.call(cmd::script_help()).await.len() > 3);
    c.refused(cmd::script_kill(), "NOTBUSY").await;
    c.call(cmd::script_flush()).await;
    assert_eq!(c.call(cmd::script_exists([&sha])).await, [false]);

    // Functions are loaded on every master.
    assert_eq!(
        c.call(cmd::function_load(LIBRARY).replace()).await,
        "conformance"
    );
    for i in 0..3 {
        let k = c.key_on(i, "fcall");
        assert_eq!(
            c.call(cmd::fcall("conf_get", 1).key([&k])).await,
            Value::Nil
        );
    }
    assert_eq!(
        c.call(cmd::fcall_ro("conf_ro", 1).key([&key])).await,
        Value::Int(1)
    );
    let libraries = c.call(cmd::function_list()).await;
    assert_eq!(libraries.len(), 1);
    assert_eq!(libraries[0].functions.len(), 2);
    let stats = c.call(cmd::function_stats::<String>()).await;
    assert!(stats.running_script.is_none());
    assert!(c.call(cmd::function_help()).await.len() > 3);
    c.refused(cmd::function_kill(), "NOTBUSY").await;
    let dump: Bytes = c.call(cmd::function_dump()).await;
    c.call(cmd::function_delete("conformance")).await;
    assert!(c.call(cmd::function_list()).await.is_empty());
    c.call(cmd::function_restore(dump)).await;
    let k = c.key_on(2, "restored");
    assert_eq!(
        c.call(cmd::fcall("conf_get", 1).key([&k])).await,
        Value::Nil
    );
    c.call(cmd::function_flush()).await;
    assert!(c.call(cmd::function_list()).await.is_empty());
}

async fn server(c: Conformance) {
    // Every master is emptied and counted.
    c.call(cmd::flushall()).await;
    assert_eq!(c.call(cmd::dbsize()).await, 0);
    let spread: Vec<String> = (0..3).map(|i| c.key_on(i, "db")).collect();
    for key in &spread {
        c.call(cmd::set(key, "1")).await;
    }
    assert_eq!(c.call(cmd::dbsize()).await, 3, "DBSIZE sums the masters");
    c.call(cmd::flushdb()).await;
    assert_eq!(c.call(cmd::dbsize()).await, 0);
    let key = c.key("server");
    c.call(cmd::set(&key, "value")).await;
    let dumped: Option<Bytes> = c.call(cmd::dump(&key)).await;
    c.call(cmd::restore_asking(c.key("asked"), 0, dumped.unwrap()))
        .await;
    assert_eq!(
        c.call(cmd::get::<String>(c.key("asked"))).await.as_deref(),
        Some("value")
    );
    assert!(c.call(cmd::memory_usage(&key)).await.unwrap() > 0);

    // ACL, on one master; the user is its own.
    let user = unique_key("conf-user");
    c.call(cmd::acl_setuser(&user).rule(["on", ">secret", "~*", "+get"]))
        .await;
    let info = c.call(cmd::acl_getuser(&user)).await.unwrap();
    assert!(info.flags.contains(&"on".to_string()), "{info:?}");
    assert!(c.call(cmd::acl_users()).await.contains(&user));
    assert!(
        c.call(cmd::acl_list())
            .await
            .iter()
            .any(|l| l.contains(&user))
    );
    assert_eq!(c.call(cmd::acl_dryrun(&user, "GET").arg(["k"])).await, "OK");
    assert_eq!(c.call(cmd::acl_deluser([&user])).await, 1);
    assert_eq!(c.call(cmd::acl_whoami()).await, "default");
    assert!(
        c.call(cmd::acl_cat())
            .await
            .contains(&"keyspace".to_string())
    );
    assert_eq!(c.call(cmd::acl_genpass()).await.len(), 64);
    assert!(c.call(cmd::acl_help()).await.len() > 3);
    c.call(cmd::acl_log::<String>()).await;
    c.refused(cmd::acl_load(), "ACL file").await;
    c.refused(cmd::acl_save(), "ACL file").await;

    // COMMAND and CONFIG.
    // Redis 7.0.15: 225 commands and 15 containers (ACL, CLIENT, …).
    assert_eq!(c.call(cmd::command_count()).await, 240);
    assert!(c.call(cmd::command_list()).await.len() >= 240);
    let docs = c.call(cmd::command_docs().command_name(["get"])).await;
    assert_eq!(docs["get"].group, "string");
    let info = c.call(cmd::command_info().command_name(["get"])).await;
    assert_eq!(info[0].as_ref().unwrap().arity, 2);
    let keys: Vec<String> = c.call(cmd::command_getkeys("SET").args(["a", "b"])).await;
    assert_eq!(keys, ["a"]);
    let keys = c
        .call(cmd::command_getkeysandflags::<String>("SET").args(["a", "b"]))
        .await;
    assert_eq!(keys[0].key, "a");
    assert!(c.call(cmd::command_help()).await.len() > 3);
    let config = c.call(cmd::config_get(["slowlog-max-len"])).await;
    let len = config["slowlog-max-len"].clone();
    c.call(cmd::config_set([("slowlog-max-len", len.as_str())]))
        .await;
    assert!(c.call(cmd::config_help()).await.len() > 3);
    c.call(cmd::config_resetstat()).await;
    c.call(cmd::config_rewrite()).await;

    // Introspection.
    let info = c.call(cmd::info()).await;
    assert_eq!(info["cluster_enabled"], "1");
    let role = c.call(cmd::role()).await;
    assert_eq!(role.role, "master");
    let time = c.call(cmd::time()).await;
    assert!(time.seconds.parse::<i64>().unwrap() > 1_600_000_000);
    assert!(c.call(cmd::lolwut()).await.contains("Redis ver."));
    c.call(cmd::debug("SLEEP").args(["0"])).await;
    assert!(!c.call(cmd::memory_doctor()).await.is_empty());
    assert!(!c.call(cmd::memory_malloc_stats()).await.is_empty());
    assert!(c.call(cmd::memory_stats()).await.contains_key("keys.count"));
    c.call(cmd::memory_purge()).await;
    assert!(c.call(cmd::memory_help()).await.len() > 3);
    assert!(!c.call(cmd::latency_doctor()).await.is_empty());
    c.refused(cmd::latency_graph("command"), "No samples").await;
    assert!(c.call(cmd::latency_history("command")).await.is_empty());
    assert!(c.call(cmd::latency_latest()).await.is_empty());
    assert!(c.call(cmd::latency_histogram()).await.contains_key("set"));
    c.call(cmd::latency_reset()).await;
    assert!(c.call(cmd::latency_help()).await.len() > 3);
    assert!(c.call(cmd::slowlog_len()).await >= 0);
    c.call(cmd::slowlog_get::<String>()).await;
    c.call(cmd::slowlog_reset()).await;
    assert!(c.call(cmd::slowlog_help()).await.len() > 3);
    assert!(c.call(cmd::module_list()).await.is_empty());
    assert!(c.call(cmd::module_help()).await.len() > 3);
    c.refused(cmd::module_load("/nonexistent.so"), "not allowed")
        .await;
    c.refused(cmd::module_loadex("/nonexistent.so"), "not allowed")
        .await;
    c.refused(cmd::module_unload("none"), "not allowed").await;

    // Refused in cluster mode.
    c.refused(cmd::replicaof(ReplicaofArgs::NoOne), "cluster mode")
        .await;
    c.refused(cmd::slaveof(SlaveofArgs::NoOne), "cluster mode")
        .await;
    c.refused(cmd::failover(), "cluster mode").await;
    c.refused(cmd::swapdb(0, 1), "cluster mode").await;

    // Persistence, on the first master; one child process at a time.
    let before = c.call(cmd::lastsave()).await;
    c.call(cmd::save()).await;
    assert!(c.call(cmd::lastsave()).await >= before);
    let started = c.call(cmd::bgrewriteaof()).await;
    assert!(
        started.starts_with("Background append only file rewriting"),
        "{started}"
    );
    no_child_process(own_cluster());
    let started = c.call(cmd::bgsave()).await;
    assert_eq!(started, "Background saving started");
    no_child_process(own_cluster());
}

/// Waits until no node of `cluster` runs or has scheduled a save or rewrite.
fn no_child_process(cluster: &Cluster) {
    wait_until(
        Duration::from_secs(30),
        "saves and rewrites to finish",
        || {
            cluster.nodes().iter().all(|node| {
                let persistence = node.cli(&["INFO", "persistence"]);
                [
                    "rdb_bgsave_in_progress:0",
                    "aof_rewrite_in_progress:0",
                    "aof_rewrite_scheduled:0",
                ]
                .iter()
                .all(|line| persistence.contains(line))
            })
        },
    );
}
