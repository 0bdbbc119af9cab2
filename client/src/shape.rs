//! Reply shapes: how each type of the spec's reply vocabulary decodes.
//!
//! Every generated command carries its reply shape as a type parameter, so the
//! type a caller gets back is fixed by the command and the options given:
//! `client.set(k, v)` has shape [`Okay`] and gives `()`, `.nx()` turns it into
//! [`Bool`], `.get()` into `Nullable<Bulk<V>>`, which gives `Option<V>`. Shapes
//! decode straight from the reply's bytes, the same from RESP2 and RESP3.
//!
//! | spec | shape | Rust |
//! |---|---|---|
//! | `ok` | [`Okay`] | `()` |
//! | `status` | [`Status`] | `String` |
//! | `string` | [`Text`] | `String` |
//! | `int` | [`Int`] | `i64` |
//! | `bool` | [`Bool`] | `bool` |
//! | `double` | [`Double`] | `f64` |
//! | `bulk` | [`Bulk<V>`] | `V: FromValue` |
//! | `value` | [`Any`] | [`Value`] |
//! | `T?` | [`Nullable<T>`] | `Option<T>` |
//! | `array<T>`, `set<T>` | [`Array<T>`] | `Vec<T>` |
//! | `pairs<K,V>` | [`Pairs<K, V>`] | `Vec<(K, V)>` |
//! | `map<K,V>` (structural) | [`Map<K, V>`] | `HashMap<K, V>` |
//! | `map<K,V>` (user data) | [`UserMap<M>`] | `M: FromMap` |

use std::collections::HashMap;
use std::hash::Hash;
use std::marker::PhantomData;

use crate::error::DecodeError;
use crate::resp::{Item, Reader};
use crate::value::{FromMap, FromValue, MapEntries, Value, capacity, mismatch, text};

/// How one reply decodes.
pub trait Shape {
    /// What the caller gets.
    type Output;

    /// Decodes from `item`, whose children (if any) follow in `reader`.
    fn decode<'a>(item: Item<'a>, reader: &mut Reader<'a>) -> Result<Self::Output, DecodeError>;

    /// Decodes one whole value from `reader`.
    fn read(reader: &mut Reader<'_>) -> Result<Self::Output, DecodeError> {
        let item = reader.next()?;
        Self::decode(item, reader)
    }
}

/// `ok`: the status `OK`, as `()`.
pub struct Okay;

impl Shape for Okay {
    type Output = ();
    fn decode<'a>(item: Item<'a>, _: &mut Reader<'a>) -> Result<(), DecodeError> {
        match item {
            Item::Simple(b"OK") => Ok(()),
            _ => Err(mismatch("OK", &item)),
        }
    }
}

fn utf8(item: &Item<'_>, expected: &'static str) -> Result<String, DecodeError> {
    let b = text(item).ok_or_else(|| mismatch(expected, item))?;
    String::from_utf8(b.to_vec()).map_err(|_| mismatch("UTF-8 text", item))
}

/// `status`: a simple string, as `String`.
pub struct Status;

impl Shape for Status {
    type Output = String;
    fn decode<'a>(item: Item<'a>, _: &mut Reader<'a>) -> Result<String, DecodeError> {
        utf8(&item, "a status")
    }
}

/// `string`: text the server made (an id, a name), as `String`.
pub struct Text;

impl Shape for Text {
    type Output = String;
    fn decode<'a>(item: Item<'a>, _: &mut Reader<'a>) -> Result<String, DecodeError> {
        utf8(&item, "a string")
    }
}

/// `int`: an integer, as `i64`; also integer text, which some replies use for
/// counts (XPENDING's per-consumer counts).
pub struct Int;

impl Shape for Int {
    type Output = i64;
    fn decode<'a>(item: Item<'a>, _: &mut Reader<'a>) -> Result<i64, DecodeError> {
        match item {
            Item::Integer(i) => Ok(i),
            _ => text(&item)
                .and_then(|b| std::str::from_utf8(b).ok())
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| mismatch("an integer", &item)),
        }
    }
}

/// `bool`: integer 1/0, a RESP3 boolean, or `OK`/nil (SET NX), as `bool`.
pub struct Bool;

impl Shape for Bool {
    type Output = bool;
    fn decode<'a>(item: Item<'a>, _: &mut Reader<'a>) -> Result<bool, DecodeError> {
        match item {
            Item::Integer(1) | Item::Boolean(true) | Item::Simple(b"OK") => Ok(true),
            Item::Integer(0) | Item::Boolean(false) | Item::Null => Ok(false),
            _ => Err(mismatch("a boolean (1/0, OK/nil)", &item)),
        }
    }
}

/// `double`: a RESP3 double or its bulk-string form, as `f64`.
pub struct Double;

impl Shape for Double {
    type Output = f64;
    fn decode<'a>(item: Item<'a>, reader: &mut Reader<'a>) -> Result<f64, DecodeError> {
        f64::from_value(item, reader)
    }
}

/// `bulk`: user data of the caller's choice of type.
pub struct Bulk<V>(PhantomData<fn() -> V>);

impl<V: FromValue> Shape for Bulk<V> {
    type Output = V;
    fn decode<'a>(item: Item<'a>, reader: &mut Reader<'a>) -> Result<V, DecodeError> {
        if let Item::Null = item {
            return Err(mismatch(
                "a value (use Option for replies that may be nil)",
                &item,
            ));
        }
        V::from_value(item, reader)
    }
}

/// `value`: any reply, as a [`Value`] tree.
pub struct Any;

impl Shape for Any {
    type Output = Value;
    fn decode<'a>(item: Item<'a>, reader: &mut Reader<'a>) -> Result<Value, DecodeError> {
        Value::from_value(item, reader)
    }
}

/// `T?`: `T` or nil, as `Option<T>`.
pub struct Nullable<S>(PhantomData<fn() -> S>);

impl<S: Shape> Shape for Nullable<S> {
    type Output = Option<S::Output>;
    fn decode<'a>(item: Item<'a>, reader: &mut Reader<'a>) -> Result<Self::Output, DecodeError> {
        match item {
            Item::Null => Ok(None),
            item => S::decode(item, reader).map(Some),
        }
    }
}

/// `array<T>` and `set<T>`: as `Vec<T>`.
pub struct Array<S>(PhantomData<fn() -> S>);

impl<S: Shape> Shape for Array<S> {
    type Output = Vec<S::Output>;
    fn decode<'a>(item: Item<'a>, reader: &mut Reader<'a>) -> Result<Self::Output, DecodeError> {
        let n = match item {
            Item::Array(n) | Item::Set(n) | Item::Push(n) => n,
            _ => return Err(mismatch("an array", &item)),
        };
        let mut out = Vec::with_capacity(capacity(n, reader));
        for _ in 0..n {
            out.push(S::read(reader)?);
        }
        Ok(out)
    }
}

/// `pairs<K,V>`: a RESP2 flat array `k v k v …`, a RESP3 array of pairs, or a
/// map, as `Vec<(K, V)>`.
pub struct Pairs<K, V>(PhantomData<fn() -> (K, V)>);

impl<K: Shape, V: Shape> Shape for Pairs<K, V> {
    type Output = Vec<(K::Output, V::Output)>;
    fn decode<'a>(item: Item<'a>, reader: &mut Reader<'a>) -> Result<Self::Output, DecodeError> {
        let n = match item {
            Item::Map(n) => {
                let mut out = Vec::with_capacity(capacity(n, reader));
                for _ in 0..n {
                    out.push((K::read(reader)?, V::read(reader)?));
                }
                return Ok(out);
            }
            Item::Array(n) | Item::Set(n) => n,
            _ => {
                return Err(mismatch(
                    "pairs (a flat array, an array of pairs or a map)",
                    &item,
                ));
            }
        };
        let mut out = Vec::with_capacity(capacity(n, reader));
        if n == 0 {
            return Ok(out);
        }
        let first = reader.next()?;
        if let Item::Array(2) = first {
            // RESP3: n nested pairs.
            out.push((K::read(reader)?, V::read(reader)?));
            for _ in 1..n {
                match reader.next()? {
                    Item::Array(2) => out.push((K::read(reader)?, V::read(reader)?)),
                    other => return Err(mismatch("a pair", &other)),
                }
            }
        } else {
            // RESP2: a flat array of 2n items.
            if n % 2 != 0 {
                return Err(DecodeError::new(
                    "an even number of items",
                    format!("{n} items"),
                ));
            }
            out.push((K::decode(first, reader)?, V::read(reader)?));
            for _ in 1..n / 2 {
                out.push((K::read(reader)?, V::read(reader)?));
            }
        }
        Ok(out)
    }
}

/// `map<K,V>` of structural data: as `HashMap<K, V>`.
pub struct Map<K, V>(PhantomData<fn() -> (K, V)>);

impl<K: Shape, V: Shape> Shape for Map<K, V>
where
    K::Output: Eq + Hash,
{
    type Output = HashMap<K::Output, V::Output>;
    fn decode<'a>(item: Item<'a>, reader: &mut Reader<'a>) -> Result<Self::Output, DecodeError> {
        let n = match item {
            Item::Map(n) => n,
            Item::Array(n) | Item::Set(n) if n % 2 == 0 => n / 2,
            _ => return Err(mismatch("a map (or a flat array of pairs)", &item)),
        };
        let mut out = HashMap::with_capacity(capacity(n, reader));
        for _ in 0..n {
            let k = K::read(reader)?;
            out.insert(k, V::read(reader)?);
        }
        Ok(out)
    }
}

/// `map<K,V>` holding user data: any `M: FromMap` the caller chooses.
pub struct UserMap<M>(PhantomData<fn() -> M>);

impl<M: FromMap> Shape for UserMap<M> {
    type Output = M;
    fn decode<'a>(item: Item<'a>, reader: &mut Reader<'a>) -> Result<M, DecodeError> {
        M::from_map(MapEntries::open(item, reader)?)
    }
}

/// A named record (`redtyped::reply::*`).
pub struct Record<R>(PhantomData<fn() -> R>);

impl<R: crate::record::FromRecord> Shape for Record<R> {
    type Output = R;
    fn decode<'a>(item: Item<'a>, reader: &mut Reader<'a>) -> Result<R, DecodeError> {
        R::decode(item, reader)
    }
}

/// `lines<R>`: a text reply whose lines are each a text record, as `Vec`.
pub struct Lines<S>(PhantomData<fn() -> S>);

impl<S: Shape> Shape for Lines<S> {
    type Output = Vec<S::Output>;
    fn decode<'a>(item: Item<'a>, reader: &mut Reader<'a>) -> Result<Self::Output, DecodeError> {
        let body = text(&item).ok_or_else(|| mismatch("text lines", &item))?;
        crate::record::lines(body)
            .map(|line| S::decode(Item::Bulk(line), reader))
            .collect()
    }
}

/// `info`: `key:value` lines (INFO, CLUSTER INFO), as a map; `# Section` headers are skipped.
pub struct Info;

impl Shape for Info {
    type Output = HashMap<String, String>;
    fn decode<'a>(item: Item<'a>, _: &mut Reader<'a>) -> Result<Self::Output, DecodeError> {
        let body = text(&item).ok_or_else(|| mismatch("INFO text", &item))?;
        let mut out = HashMap::new();
        for line in crate::record::lines(body).filter(|l| !l.starts_with(b"#")) {
            let line = String::from_utf8_lossy(line);
            if let Some((k, v)) = line.split_once(':') {
                out.insert(k.to_string(), v.to_string());
            }
        }
        Ok(out)
    }
}

/// A caller-chosen type decoded through [`FromReply`](crate::FromReply): the
/// shape of [`Raw`](crate::Raw) commands.
pub struct Typed<R>(PhantomData<fn() -> R>);

impl<R: crate::FromReply> Shape for Typed<R> {
    type Output = R;
    fn decode<'a>(item: Item<'a>, reader: &mut Reader<'a>) -> Result<R, DecodeError> {
        R::from_reply(item, reader)
    }
}
