//! `#[derive(ToHash, FromHash, ValueEnum)]` against a real server, under RESP2
//! and RESP3: every supported field type written with HSET (and checked as
//! the server stores it, on an independent raw connection), read back with
//! HGETALL and HMGET, and the errors a user sees when a hash does not fit.

use std::borrow::Cow;
use std::collections::HashMap;

use bytes::Bytes;
use redtyped::{Client, DecodeError, ErrorKind, FromHash, ToHash, ValueEnum, cmd, hash};
use redtyped_tests::unique_key;
use serde::{Deserialize, Serialize};

use crate::commands::{cli, cli_int, cli_strings};
use crate::support::each_protocol;

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq)]
#[redis(rename_all = "snake_case")]
enum Plan {
    Free,
    ProMonthly,
    #[redis(rename = "ent")]
    Enterprise,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Prefs {
    theme: String,
    tags: Vec<String>,
}

/// `with = unix_seconds`: a custom encoding, here a duration as whole seconds
/// with an `s` suffix.
mod seconds {
    use std::time::Duration;

    pub fn encode(d: &Duration) -> String {
        format!("{}s", d.as_secs())
    }

    pub fn decode(b: &[u8]) -> Result<Duration, String> {
        let s = std::str::from_utf8(b).map_err(|e| e.to_string())?;
        let n = s.strip_suffix('s').ok_or("no `s` suffix")?;
        n.parse()
            .map(Duration::from_secs)
            .map_err(|e| format!("{e}"))
    }
}

#[derive(ToHash, FromHash, Debug, Clone, PartialEq)]
struct Address {
    street: String,
    city: String,
    zip: Option<String>,
}

fn default_level() -> u8 {
    7
}

/// Every supported field type, once.
#[derive(ToHash, FromHash, Debug, Clone, PartialEq)]
struct Everything {
    text: String,
    raw: Vec<u8>,
    shared: Bytes,
    i8: i8,
    i16: i16,
    i32: i32,
    i64: i64,
    isize: isize,
    u8: u8,
    u16: u16,
    u32: u32,
    u64: u64,
    usize: usize,
    f32: f32,
    f64: f64,
    yes: bool,
    no: bool,
    plan: Plan,
    present: Option<String>,
    absent: Option<i64>,
    #[redis(json)]
    prefs: Prefs,
    #[redis(json)]
    maybe_prefs: Option<Prefs>,
    #[redis(with = seconds)]
    ttl: std::time::Duration,
    #[redis(flatten, prefix = "home.")]
    home: Address,
    #[redis(skip)]
    cache: Vec<u32>,
    #[redis(default = "default_level")]
    level: u8,
    r#type: String,
}

fn everything() -> Everything {
    Everything {
        text: "héllo\r\nworld".into(),
        raw: b"\x00bin\r\n\xc3\xa9".to_vec(),
        shared: Bytes::from_static(b"\x00shared"),
        i8: i8::MIN,
        i16: -300,
        i32: i32::MIN,
        i64: i64::MIN,
        isize: -5,
        u8: u8::MAX,
        u16: 65_000,
        u32: u32::MAX,
        u64: u64::MAX,
        usize: 12,
        f32: 0.1,
        f64: -1234.5678,
        yes: true,
        no: false,
        plan: Plan::ProMonthly,
        present: Some("here".into()),
        absent: None,
        prefs: Prefs {
            theme: "dark".into(),
            tags: vec!["a".into(), "b".into()],
        },
        maybe_prefs: None,
        ttl: std::time::Duration::from_secs(90),
        home: Address {
            street: "1 Main St".into(),
            city: "Springfield".into(),
            zip: None,
        },
        cache: vec![],
        level: 3,
        r#type: "kind".into(),
    }
}

/// The hash as the server holds it (RESP2, raw), by field.
fn raw_hash(key: &str) -> HashMap<String, String> {
    let flat = cli_strings(&["HGETALL", key]);
    flat.chunks(2)
        .map(|kv| (kv[0].clone(), kv[1].clone()))
        .collect()
}

#[tokio::test]
async fn every_field_type_round_trips() {
    each_protocol(async |client| {
        let key = unique_key("derive-all");
        let value = everything();
        let written: i64 = client.hset(&key, &value).await.unwrap();
        // 27 fields, less the skipped one and the two `None`s, with `home` as its street and city.
        assert_eq!(written, 25);

        // What the server stores: names, renames, prefixes, encodings.
        let raw = raw_hash(&key);
        let expected: HashMap<&str, &str> = HashMap::from([
            ("i8", "-128"),
            ("i64", "-9223372036854775808"),
            ("u64", "18446744073709551615"),
            ("f32", "0.1"),
            ("f64", "-1234.5678"),
            ("raw", "\0bin\r\né"),
            ("shared", "\0shared"),
            ("yes", "1"),
            ("no", "0"),
            ("plan", "pro_monthly"),
            ("present", "here"),
            ("prefs", r#"{"theme":"dark","tags":["a","b"]}"#),
            ("ttl", "90s"),
            ("home.street", "1 Main St"),
            ("home.city", "Springfield"),
            ("level", "3"),
            ("type", "kind"),
            ("text", "héllo\r\nworld"),
        ]);
        for (field, stored) in expected {
            assert_eq!(
                raw.get(field).map(String::as_str),
                Some(stored),
                "{field} in {raw:?}"
            );
        }
        for field in ["absent", "maybe_prefs", "cache", "home.zip", "zip"] {
            assert!(
                !raw.contains_key(field),
                "{field} should not be written: {raw:?}"
            );
        }
        assert_eq!(cli_int(&["HSTRLEN", &key, "raw"]), 8);
        assert_eq!(raw.len(), 25);

        // HGETALL into the struct, its Option, and HMGET of its fields.
        let back: Everything = client.hgetall(&key).await.unwrap();
        assert_eq!(back, value);
        let back: Option<Everything> = client.hgetall(&key).await.unwrap();
        assert_eq!(back.as_ref(), Some(&value));
        let back: Everything = client.send(hash::hmget(&key)).await.unwrap();
        assert_eq!(back, value);
        let back: Option<Everything> = client.send(hash::hmget(&key)).await.unwrap();
        assert_eq!(back, Some(value.clone()));

        // The generated HMGET with the struct's field list, in that order.
        let names: Vec<_> = Everything::field_names().collect();
        assert_eq!(names.len(), Everything::FIELD_COUNT);
        assert_eq!(names[0], "text");
        assert!(names.contains(&"home.zip".into()) && !names.contains(&"cache".into()));
        let values: Vec<Option<Bytes>> =
            client.hmget(&key, Everything::field_names()).await.unwrap();
        let at = |name: &str| values[names.iter().position(|n| n == name).unwrap()].clone();
        assert_eq!(at("plan").as_deref(), Some(&b"pro_monthly"[..]));
        assert_eq!(at("absent"), None);
        assert_eq!(at("raw").as_deref(), Some(&value.raw[..]));
    })
    .await;
}

/// A type of the user's with the two conversions commands use.
#[derive(Debug, PartialEq)]
struct UserId(u64);

impl<'a> From<&'a UserId> for redtyped::Arg<'a> {
    fn from(id: &'a UserId) -> Self {
        redtyped::Arg::Owned(format!("u-{}", id.0).into_bytes())
    }
}

impl redtyped::FromValue for UserId {
    fn from_value<'a>(
        item: redtyped::resp::Item<'a>,
        reader: &mut redtyped::resp::Reader<'a>,
    ) -> Result<Self, redtyped::DecodeError> {
        let text = String::from_value(item, reader)?;
        text.strip_prefix("u-")
            .and_then(|n| n.parse().ok())
            .map(UserId)
            .ok_or_else(|| redtyped::DecodeError::new("a user id", text))
    }
}

#[derive(ToHash, FromHash, Debug, PartialEq)]
struct Blob {
    data: Vec<u8>,
    shared: Bytes,
    big: f64,
    small: f32,
    id: UserId,
    owner: Option<UserId>,
    #[redis(json)]
    prefs: Option<Prefs>,
    #[redis(with = seconds)]
    ttl: Option<std::time::Duration>,
}

#[tokio::test]
async fn binary_values_extreme_numbers_and_custom_types_round_trip() {
    each_protocol(async |client| {
        let key = unique_key("derive-blob");
        let all: Vec<u8> = (0..=255).collect();
        let blob = Blob {
            data: all.clone(),
            shared: Bytes::from(all.into_iter().rev().collect::<Vec<u8>>()),
            big: -1.5e300,
            small: f32::MIN_POSITIVE,
            id: UserId(7),
            owner: Some(UserId(8)),
            prefs: Some(Prefs {
                theme: "light".into(),
                tags: vec![],
            }),
            ttl: Some(std::time::Duration::from_secs(5)),
        };
        client.hset(&key, &blob).await.unwrap();
        assert_eq!(cli_int(&["HSTRLEN", &key, "data"]), 256);
        assert_eq!(cli_int(&["HSTRLEN", &key, "shared"]), 256);
        let raw = cli_strings(&["HMGET", &key, "id", "owner", "prefs", "ttl"]);
        assert_eq!(raw, ["u-7", "u-8", r#"{"theme":"light","tags":[]}"#, "5s"]);
        let back: Blob = client.hgetall(&key).await.unwrap();
        assert_eq!(back, blob);
        let back: Blob = client.send(hash::hmget(&key)).await.unwrap();
        assert_eq!(back, blob);
    })
    .await;
}

#[tokio::test]
async fn a_struct_goes_wherever_the_commands_go() {
    each_protocol(async |client| {
        let key = unique_key("derive-cmd");
        let address = Address {
            street: "2 Side St".into(),
            city: "Shelbyville".into(),
            zip: Some("12345".into()),
        };
        // The same command value a pipeline or transaction takes.
        let n: i64 = client.send(cmd::hset(&key, &address)).await.unwrap();
        assert_eq!(n, 3);
        // HMSET takes the same pairs.
        let _: () = client.hmset(&key, &address).await.unwrap();
        // The pairs themselves, for any other use.
        let pairs: Vec<_> = address.hash_fields().collect();
        assert_eq!(pairs.len(), 3);
        let back: Option<Address> = client.send(cmd::hgetall(&key)).await.unwrap();
        assert_eq!(back, Some(address));
    })
    .await;
}

#[tokio::test]
async fn a_missing_key_is_none_and_missing_fields_are_named() {
    each_protocol(async |client| {
        let key = unique_key("derive-missing");
        let none: Option<Address> = client.hgetall(&key).await.unwrap();
        assert_eq!(none, None);
        let none: Option<Address> = client.send(hash::hmget(&key)).await.unwrap();
        assert_eq!(none, None);

        // Asked for the struct itself, a missing key is a missing field.
        let e = client.hgetall::<Address>(&key).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode);
        assert!(
            e.message()
                .contains(r#"Address.street: expected the hash field "street", got no such field"#),
            "{e}"
        );
        let e = client.send(hash::hmget::<Address>(&key)).await.unwrap_err();
        assert!(e.message().contains("Address.street"), "{e}");
        // The field, for code that handles it.
        let source = std::error::Error::source(&e).and_then(|s| s.downcast_ref::<DecodeError>());
        assert_eq!(source.and_then(DecodeError::field), Some("Address.street"));

        // Optional and defaulted fields may be missing; others not.
        cli(&["HSET", &key, "street", "s", "city", "c", "unrelated", "x"]);
        let a: Address = client.hgetall(&key).await.unwrap();
        assert_eq!(a.zip, None);
        let e = client.hgetall::<Everything>(&key).await.unwrap_err();
        assert!(e.message().contains("Everything.text"), "{e}");
    })
    .await;
}

#[derive(ToHash, FromHash, Debug, PartialEq)]
struct Defaults {
    name: String,
    #[redis(default)]
    visits: u64,
    #[redis(default = "default_level")]
    level: u8,
    #[redis(skip, default = "default_level")]
    local: u8,
    #[redis(default)]
    tags: Option<String>,
}

#[tokio::test]
async fn defaults_fill_missing_fields() {
    each_protocol(async |client| {
        let key = unique_key("derive-defaults");
        cli(&["HSET", &key, "name", "n"]);
        let d: Defaults = client.hgetall(&key).await.unwrap();
        assert_eq!(
            d,
            Defaults {
                name: "n".into(),
                visits: 0,
                level: 7,
                local: 7,
                tags: None
            }
        );
        let d: Defaults = client.send(hash::hmget(&key)).await.unwrap();
        assert_eq!((d.visits, d.level, d.local), (0, 7, 7));
    })
    .await;
}

#[tokio::test]
async fn bad_values_are_errors_naming_struct_field_and_value() {
    each_protocol(async |client| {
        let key = unique_key("derive-bad");
        let value = everything();
        client.hset(&key, &value).await.unwrap();

        let cases: [(&str, &str, &[&str]); 5] = [
            ("u8", "256", &["Everything.u8", "fits u8", r#""256""#]),
            (
                "yes",
                "maybe",
                &["Everything.yes", "a boolean", r#""maybe""#],
            ),
            (
                "plan",
                "gold",
                &[
                    "Everything.plan",
                    r#""free", "pro_monthly", "ent""#,
                    r#""gold""#,
                ],
            ),
            (
                "prefs",
                "{not json",
                &["Everything.prefs", "JSON", r#""{not json""#],
            ),
            (
                "ttl",
                "90",
                &[
                    "Everything.ttl",
                    "seconds::decode",
                    "no `s` suffix",
                    r#""90""#,
                ],
            ),
        ];
        for (field, stored, needles) in cases {
            let broken = unique_key("derive-bad-one");
            client.hset(&broken, &value).await.unwrap();
            cli(&["HSET", &broken, field, stored]);
            for result in [
                client.hgetall::<Everything>(&broken).await.map(drop),
                client
                    .send(hash::hmget::<Everything>(&broken))
                    .await
                    .map(drop),
            ] {
                let e = result.unwrap_err();
                assert_eq!(e.kind(), ErrorKind::Decode, "{field}: {e}");
                for needle in needles {
                    assert!(
                        e.message().contains(needle),
                        "{field}: {needle:?} not in {e}"
                    );
                }
            }
        }

        // A flattened struct's field names the outer field too.
        cli(&["HDEL", &key, "home.city"]);
        let e = client.hgetall::<Everything>(&key).await.unwrap_err();
        assert!(
            e.message()
                .starts_with("Address.city in Everything.home: expected the hash field \"city\""),
            "{e}"
        );
    })
    .await;
}

#[derive(ToHash, FromHash, Debug, PartialEq)]
#[redis(rename_all = "kebab-case")]
struct Pair<T, U = String>
where
    U: Clone,
{
    first_value: T,
    second_value: Option<U>,
    #[redis(flatten, prefix = "inner-")]
    inner: Wrapper<T>,
}

#[derive(ToHash, FromHash, Debug, PartialEq)]
struct Wrapper<T> {
    value: T,
    #[redis(skip)]
    marker: std::marker::PhantomData<T>,
}

#[derive(ToHash, FromHash, Debug, PartialEq)]
struct Doc<'a> {
    title: Cow<'a, str>,
    body: Cow<'a, [u8]>,
}

#[derive(ToHash)]
struct View<'a> {
    title: &'a str,
    body: &'a [u8],
}

#[tokio::test]
async fn generic_and_borrowing_structs() {
    each_protocol(async |client| {
        let key = unique_key("derive-generic");
        let pair = Pair::<u32, String> {
            first_value: 4,
            second_value: Some("two".into()),
            inner: Wrapper {
                value: 9,
                marker: Default::default(),
            },
        };
        client.hset(&key, &pair).await.unwrap();
        let raw = raw_hash(&key);
        assert_eq!(raw.get("first-value").map(String::as_str), Some("4"));
        assert_eq!(raw.get("inner-value").map(String::as_str), Some("9"));
        let back: Option<Pair<u32>> = client.hgetall(&key).await.unwrap();
        assert_eq!(back, Some(pair));
        // The same hash read with other type parameters.
        let text: Pair<String, String> = client.hgetall(&key).await.unwrap();
        assert_eq!(
            (text.first_value.as_str(), text.inner.value.as_str()),
            ("4", "9")
        );
        let e = client.hgetall::<Pair<u32, u64>>(&key).await.unwrap_err();
        assert!(e.message().contains("Pair.second_value"), "{e}");

        let key = unique_key("derive-borrowed");
        let title = String::from("borrowed");
        let view = View {
            title: &title,
            body: b"\x00\x01",
        };
        client.hset(&key, &view).await.unwrap();
        let doc: Doc<'static> = client.hgetall(&key).await.unwrap();
        assert_eq!(doc.title, "borrowed");
        assert_eq!(&doc.body[..], b"\x00\x01");
        let doc = Doc {
            title: Cow::Borrowed(&title),
            body: Cow::Borrowed(b"b"),
        };
        client.hset(&key, &doc).await.unwrap();
        let back: Doc = client.send(hash::hmget(&key)).await.unwrap();
        assert_eq!(back, doc);
    })
    .await;
}

#[tokio::test]
async fn value_enums_are_values_everywhere() {
    each_protocol(async |client: Client| {
        let key = unique_key("derive-enum");
        client.set(&key, Plan::Enterprise).await.unwrap();
        assert_eq!(cli_strings(&["MGET", &key]), ["ent"]);
        let plan: Option<Plan> = client.get(&key).await.unwrap();
        assert_eq!(plan, Some(Plan::Enterprise));
        client.set(&key, Plan::Free).await.unwrap();
        let plan: Plan = client.getdel(&key).await.unwrap().unwrap();
        assert_eq!(plan, Plan::Free);

        client.set(&key, "Free").await.unwrap();
        let e = client.get::<Plan>(&key).await.unwrap_err();
        assert!(
            e.message().contains(
                r#"expected a Plan: one of "free", "pro_monthly", "ent", got bulk string "Free""#
            ),
            "{e}"
        );
    })
    .await;
}

#[derive(ToHash, FromHash, Debug, Clone, PartialEq)]
struct Account {
    owner: String,
    balance: i64,
    #[redis(rename = "e")]
    email: Option<String>,
}

#[tokio::test]
async fn structs_work_in_pipelines_transactions_and_deferred_batches() {
    use redtyped::prelude::*;
    each_protocol(|client| async move {
        let (a, b) = (unique_key("acct-a"), unique_key("acct-b"));
        let alice = Account {
            owner: "alice".into(),
            balance: 10,
            email: Some("a@x".into()),
        };
        let bob = Account {
            owner: "bob".into(),
            balance: 5,
            email: None,
        };

        // Pipeline: write both, read one back as the struct, one field with HMGET.
        let (new_a, new_b, read, missing): (i64, i64, Option<Account>, Option<Account>) = client
            .pipeline()
            .hset(&a, &alice)
            .hset(&b, &bob)
            .hgetall(&a)
            .hgetall(unique_key("acct-none"))
            .execute()
            .await
            .unwrap();
        assert_eq!((new_a, new_b), (3, 2));
        assert_eq!(read.as_ref(), Some(&alice));
        assert_eq!(missing, None);

        // Transaction: a transfer, then both accounts as structs.
        let (_, _, after_a, after_b): (i64, i64, Account, Account) = client
            .transaction()
            .hincrby(&a, "balance", -3)
            .hincrby(&b, "balance", 3)
            .hgetall(&a)
            .hgetall(&b)
            .execute()
            .await
            .unwrap();
        assert_eq!((after_a.balance, after_b.balance), (7, 8));
        assert_eq!(after_b.email, None);

        // Deferred: HMGET of exactly the struct's fields.
        let mut batch = client.deferred();
        let handle = batch.add(hash::hmget::<Account>(&b));
        batch.execute().await.unwrap();
        assert_eq!(handle.await.unwrap().owner, "bob");
    })
    .await;
}
