//! Structs as Redis hashes: the traits `#[derive(ToHash, FromHash)]`
//! implements, and what the commands do with them.
//!
//! ```no_run
//! use redtyped::{Client, FromHash, ToHash};
//!
//! #[derive(ToHash, FromHash, Debug, PartialEq)]
//! struct User {
//!     name: String,
//!     age: u32,
//!     #[redis(rename = "e")]
//!     email: Option<String>, // not written when None; None when the field is missing
//! }
//!
//! # async fn demo(client: Client) -> redtyped::Result<()> {
//! let user = User { name: "Ada".into(), age: 36, email: None };
//! client.hset("user:1", &user).await?;                               // HSET user:1 name Ada age 36
//! let back: Option<User> = client.hgetall("user:1").await?;         // None when the key is missing
//! assert_eq!(back, Some(user));
//! let same: Option<User> = client.send(redtyped::hash::hmget("user:1")).await?; // HMGET user:1 name age e
//! # Ok(()) }
//! ```
//!
//! - Writing: [`ToHash`] lists a value's fields as `(name, value)` [`Arg`]
//!   pairs, borrowed from the value (no copy of strings or bytes, numbers
//!   as numbers). The derive also makes `&T` an `IntoIterator` of those
//!   pairs, which is what HSET (and HMSET) take, so `hset(key, &value)`
//!   works on a client and, through the same generated commands, on any
//!   other command target.
//! - Reading: [`FromHash`] takes fields in any order, by name; the derive
//!   also implements [`FromMap`](crate::FromMap), so HGETALL decodes into
//!   `T` or `Option<T>` (`None` for a missing key). [`hmget`] asks for exactly
//!   the struct's fields.
//! - A field that fails to decode, or a required field that is missing, is a
//!   [`DecodeError`] naming the struct, the field and the raw value.

use std::borrow::Cow;
use std::marker::PhantomData;

use crate::arg::Arg;
use crate::command::{Command, CommandMeta};
use crate::error::DecodeError;
use crate::resp::{ArgWriter, Item, Reader};
use crate::shape::Shape;
use crate::value::{FromValue, MapEntries, describe, mismatch, text};

/// A value that is written as the fields of a Redis hash.
///
/// Derive it with `#[derive(redtyped::ToHash)]` (see the
/// [`redtyped_macros`](https://docs.rs/redtyped-macros) docs for the
/// attributes). A value has a fixed number of field *slots*, one per struct
/// field (a flattened struct contributes its own); a slot may be empty (an
/// `Option` field that is `None`), and empty slots are not written.
///
/// ```
/// use redtyped::{Arg, ToHash};
///
/// #[derive(ToHash)]
/// struct Point { x: i64, y: i64, label: Option<String> }
///
/// let p = Point { x: 1, y: -2, label: None };
/// let fields: Vec<(Arg, Arg)> = p.hash_fields().collect();
/// assert_eq!(fields, [("x".into(), Arg::Int(1)), ("y".into(), Arg::Int(-2))]);
/// // `&Point` is what HSET takes: `client.hset("point:1", &p)`.
/// assert_eq!((&p).into_iter().count(), 2);
/// ```
pub trait ToHash {
    /// How many field slots the value has.
    const FIELD_SLOTS: usize;

    /// The field name and value in `slot` (`0..FIELD_SLOTS`), or `None` when
    /// the slot is empty or out of range.
    fn hash_field(&self, slot: usize) -> Option<(Arg<'_>, Arg<'_>)>;

    /// The non-empty fields, in declaration order.
    fn hash_fields(&self) -> HashFields<'_, Self> {
        HashFields {
            value: self,
            slot: 0,
        }
    }
}

/// The `(name, value)` pairs of a [`ToHash`] value, borrowed from it: what
/// `hset(key, &value)` writes.
///
/// ```
/// # use redtyped::ToHash;
/// #[derive(ToHash)]
/// struct Flag { on: bool }
/// let mut fields = Flag { on: true }.hash_fields();
/// assert!(fields.next().is_some() && fields.next().is_none());
/// ```
pub struct HashFields<'r, H: ?Sized> {
    value: &'r H,
    slot: usize,
}

impl<H: ?Sized> Clone for HashFields<'_, H> {
    fn clone(&self) -> Self {
        HashFields {
            value: self.value,
            slot: self.slot,
        }
    }
}

impl<H: ?Sized> std::fmt::Debug for HashFields<'_, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashFields")
            .field("slot", &self.slot)
            .finish_non_exhaustive()
    }
}

impl<'r, H: ToHash + ?Sized> Iterator for HashFields<'r, H> {
    type Item = (Arg<'r>, Arg<'r>);

    fn next(&mut self) -> Option<Self::Item> {
        while self.slot < H::FIELD_SLOTS {
            let slot = self.slot;
            self.slot += 1;
            if let Some(field) = self.value.hash_field(slot) {
                return Some(field);
            }
        }
        None
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(H::FIELD_SLOTS.saturating_sub(self.slot)))
    }
}

impl<H: ToHash + ?Sized> std::iter::FusedIterator for HashFields<'_, H> {}

/// A value that is read from the fields of a Redis hash, by name and in any
/// order.
///
/// Derive it with `#[derive(redtyped::FromHash)]`, which also implements
/// [`FromMap`](crate::FromMap) (HGETALL) for the type. Decoding starts from
/// an empty [`Partial`](Self::Partial), offers it every field of the reply
/// ([`decode_field`](Self::decode_field)), and [`finish`](Self::finish)es it,
/// which fills defaults and fails on a missing required field.
///
/// ```
/// use redtyped::FromHash;
///
/// #[derive(FromHash)]
/// struct Point { x: i64, #[redis(rename = "Y")] y: i64 }
///
/// let names: Vec<_> = Point::field_names().collect();
/// assert_eq!(names, ["x", "Y"]);
/// ```
pub trait FromHash: Sized {
    /// The fields decoded so far.
    type Partial: Default;

    /// How many fields the type reads (a flattened struct counts its own).
    const FIELD_COUNT: usize;

    /// The hash field name at `index` (`0..FIELD_COUNT`), in declaration order;
    /// `None` out of range. Borrowed, except for a flattened struct's fields
    /// under a prefix.
    fn field_name(index: usize) -> Option<Cow<'static, str>>;

    /// Decodes `value` into `partial` if `name` is one of this type's fields:
    /// `Ok(true)` when it was, `Ok(false)` (and `value` untouched) when not.
    fn decode_field(
        partial: &mut Self::Partial,
        name: &[u8],
        value: &mut FieldValue<'_, '_>,
    ) -> Result<bool, DecodeError>;

    /// The value, from the fields decoded: defaults for missing fields that
    /// have one, an error naming the first missing required field.
    fn finish(partial: Self::Partial) -> Result<Self, DecodeError>;

    /// Every field name, in declaration order: the fields to ask HMGET for.
    fn field_names() -> FieldNames<Self> {
        FieldNames {
            index: 0,
            hash: PhantomData,
        }
    }
}

/// The field names of a [`FromHash`] type, in declaration order; each one
/// converts into an [`Arg`], so `client.hmget(key, User::field_names())`
/// asks for exactly the struct's fields.
pub struct FieldNames<H> {
    index: usize,
    hash: PhantomData<fn() -> H>,
}

impl<H> Clone for FieldNames<H> {
    fn clone(&self) -> Self {
        FieldNames {
            index: self.index,
            hash: PhantomData,
        }
    }
}

impl<H> std::fmt::Debug for FieldNames<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FieldNames")
            .field("index", &self.index)
            .finish()
    }
}

impl<H: FromHash> Iterator for FieldNames<H> {
    type Item = Cow<'static, str>;

    fn next(&mut self) -> Option<Self::Item> {
        let name = H::field_name(self.index)?;
        self.index += 1;
        Some(name)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = H::FIELD_COUNT.saturating_sub(self.index);
        (n, Some(n))
    }
}

impl<H: FromHash> ExactSizeIterator for FieldNames<H> {}

/// The value of one hash field, offered to [`FromHash::decode_field`]:
/// decode it once, with [`decode`](Self::decode) or [`parse`](Self::parse).
pub struct FieldValue<'r, 'a> {
    item: Item<'a>,
    reader: &'r mut Reader<'a>,
}

impl<'r, 'a> FieldValue<'r, 'a> {
    /// The value whose first item, `item`, was just read from `reader`.
    pub fn new(item: Item<'a>, reader: &'r mut Reader<'a>) -> Self {
        FieldValue { item, reader }
    }

    /// The value's item (for its children, if any, decode through [`decode`](Self::decode)).
    pub fn item(&self) -> Item<'a> {
        self.item
    }

    /// Decodes the value as any [`FromValue`] type, as every command does.
    pub fn decode<T: FromValue>(&mut self) -> Result<T, DecodeError> {
        T::from_value(self.item, self.reader)
    }

    /// Decodes the value's bytes with `parse` (a `with` module's `decode`,
    /// JSON); a failure says `expected` (with `parse`'s error) and shows
    /// the raw value.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use redtyped::hash::FieldValue;
    /// use redtyped::resp::Reader;
    ///
    /// let frame = Bytes::from_static(b"$2\r\nx1\r\n");
    /// let mut reader = Reader::new(&frame);
    /// let item = reader.next()?;
    /// let mut value = FieldValue::new(item, &mut reader);
    /// let e = value.parse("a number", |b| std::str::from_utf8(b).unwrap().parse::<u8>()).unwrap_err();
    /// assert_eq!(e.to_string(), r#"expected a number (invalid digit found in string), got bulk string "x1""#);
    /// # Ok::<(), redtyped::resp::ProtocolError>(())
    /// ```
    pub fn parse<T, E: std::fmt::Display>(
        &mut self,
        expected: &str,
        parse: impl FnOnce(&[u8]) -> Result<T, E>,
    ) -> Result<T, DecodeError> {
        let bytes = text(&self.item).ok_or_else(|| mismatch("a string", &self.item))?;
        parse(bytes)
            .map_err(|e| DecodeError::new(format!("{expected} ({e})"), describe(&self.item)))
    }

    /// Reads past the value's children, if any, when no field took it.
    fn skip(self) -> Result<(), DecodeError> {
        let children = match self.item {
            Item::Array(n) | Item::Set(n) | Item::Push(n) => n as u64,
            Item::Map(n) => 2 * n as u64,
            _ => 0,
        };
        for _ in 0..children {
            self.reader.skip()?;
        }
        Ok(())
    }
}

/// Decodes a [`FromHash`] type from a map reply (HGETALL): what the derived
/// [`FromMap`](crate::FromMap) implementation calls. Fields the type does
/// not have are skipped.
pub fn from_map<H: FromHash>(entries: MapEntries<'_, '_>) -> Result<H, DecodeError> {
    let (reader, mut remaining) = entries.into_parts();
    let mut partial = H::Partial::default();
    while remaining > 0 {
        remaining -= 1;
        let key = reader.next()?;
        let name = text(&key).ok_or_else(|| mismatch("a field name", &key))?;
        let item = reader.next()?;
        let mut value = FieldValue::new(item, reader);
        if !H::decode_field(&mut partial, name, &mut value)? {
            value.skip()?;
        }
    }
    H::finish(partial)
}

/// What [`hmget`] of a struct's fields decodes into: the struct (a missing
/// required field is an error) or `Option` of it (`None` when no field is
/// there, which is also what a missing key gives).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold the fields of a hash",
    label = "HMGET of a struct's fields decodes into the struct or Option of it",
    note = "derive `redtyped::FromHash` for the struct"
)]
pub trait FromHashFields: Sized {
    /// The struct whose fields are asked for.
    type Hash: FromHash;

    /// The value, from the fields decoded and how many of them were present.
    fn from_fields(
        partial: <Self::Hash as FromHash>::Partial,
        present: usize,
    ) -> Result<Self, DecodeError>;
}

impl<H: FromHash> FromHashFields for H {
    type Hash = H;
    fn from_fields(partial: H::Partial, _: usize) -> Result<H, DecodeError> {
        H::finish(partial)
    }
}

impl<H: FromHash> FromHashFields for Option<H> {
    type Hash = H;
    fn from_fields(partial: H::Partial, present: usize) -> Result<Self, DecodeError> {
        if present == 0 {
            Ok(None)
        } else {
            H::finish(partial).map(Some)
        }
    }
}

/// `HMGET key <every field of H>`, decoded into `M`: the struct `H` or
/// `Option<H>`. A command value like those of [`cmd`](crate::cmd): send it
/// with [`Client::send`](crate::Client::send) or queue it wherever commands go.
///
/// ```no_run
/// # #[derive(redtyped::FromHash)] struct User { name: String }
/// # async fn demo(client: redtyped::Client) -> redtyped::Result<()> {
/// let user: Option<User> = client.send(redtyped::hash::hmget("user:1")).await?;
/// let user: User = client.send(redtyped::hash::hmget("user:1")).await?; // missing fields are an error
/// # Ok(()) }
/// ```
pub fn hmget<'a, M: FromHashFields>(key: impl Into<Arg<'a>>) -> Hmget<'a, M> {
    Hmget {
        key: key.into(),
        output: PhantomData,
    }
}

/// The command value of [`hmget`].
#[must_use = "a HMGET command does nothing until it is sent or queued"]
pub struct Hmget<'a, M> {
    key: Arg<'a>,
    output: PhantomData<fn() -> M>,
}

impl<M> std::fmt::Debug for Hmget<'_, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hmget").field("key", &self.key).finish()
    }
}

/// The spec's HMGET, whose facts (arity, flags) [`Hmget`] shares.
type SpecHmget = crate::cmd::Hmget<'static, crate::shape::Any, std::iter::Empty<Arg<'static>>>;

impl<M: FromHashFields> Command for Hmget<'_, M> {
    type Shape = HashFieldsShape<M>;
    const META: &'static CommandMeta = <SpecHmget as Command>::META;

    fn write_args(self, w: &mut ArgWriter<'_>) {
        w.arg(b"HMGET");
        self.key.write(w);
        for name in M::Hash::field_names() {
            w.arg(name.as_bytes());
        }
    }
}

/// The reply shape of [`hmget`]: an array of values, nil for a missing
/// field, in [`FromHash::field_names`] order.
pub struct HashFieldsShape<M>(PhantomData<fn() -> M>);

impl<M: FromHashFields> Shape for HashFieldsShape<M> {
    type Output = M;

    fn decode<'a>(item: Item<'a>, reader: &mut Reader<'a>) -> Result<M, DecodeError> {
        let n = match item {
            Item::Array(n) => n,
            _ => return Err(mismatch("an array", &item)),
        };
        if n != M::Hash::FIELD_COUNT {
            return Err(DecodeError::new(
                format!("{} values", M::Hash::FIELD_COUNT),
                format!("{n}"),
            ));
        }
        let mut partial = <M::Hash as FromHash>::Partial::default();
        let mut present = 0;
        for (index, name) in M::Hash::field_names().enumerate() {
            let item = reader.next()?;
            if let Item::Null = item {
                continue;
            }
            present += 1;
            let mut value = FieldValue::new(item, reader);
            if !M::Hash::decode_field(&mut partial, name.as_bytes(), &mut value)? {
                return Err(DecodeError::new(
                    format!("a field of the struct at {index}"),
                    format!("field {name:?}, which it does not take"),
                ));
            }
        }
        M::from_fields(partial, present)
    }
}

#[cfg(all(test, feature = "derive"))]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::shape::UserMap;

    #[derive(crate::ToHash, crate::FromHash, Debug, PartialEq)]
    #[redis(crate = crate)]
    struct Inner {
        a: i64,
        b: Option<String>,
    }

    #[derive(crate::ToHash, crate::FromHash, Debug, PartialEq)]
    #[redis(crate = crate)]
    struct Outer {
        name: String,
        #[redis(flatten, prefix = "x.")]
        x: Inner,
        #[redis(flatten)]
        y: Inner2,
    }

    #[derive(crate::ToHash, crate::FromHash, Debug, PartialEq)]
    #[redis(crate = crate)]
    struct Inner2 {
        c: u8,
    }

    fn decode<S: Shape>(frame: &'static [u8]) -> Result<S::Output, DecodeError> {
        let frame = Bytes::from_static(frame);
        let mut reader = Reader::new(&frame);
        let out = S::read(&mut reader)?;
        assert!(reader.is_empty(), "the whole reply is read");
        Ok(out)
    }

    #[test]
    fn slots_and_names_follow_declaration_order_through_flatten() {
        let value = Outer {
            name: "n".into(),
            x: Inner { a: 1, b: None },
            y: Inner2 { c: 2 },
        };
        assert_eq!(Outer::FIELD_SLOTS, 4);
        let fields: Vec<(Arg, Arg)> = value.hash_fields().collect();
        assert_eq!(
            fields,
            [
                ("name".into(), "n".into()),
                (Arg::Owned(b"x.a".to_vec()), Arg::Int(1)),
                ("c".into(), Arg::Uint(2)),
            ]
        );
        let names: Vec<_> = Outer::field_names().collect();
        assert_eq!(names, ["name", "x.a", "x.b", "c"]);
        assert_eq!(Outer::field_names().len(), Outer::FIELD_COUNT);
        assert_eq!(Outer::field_name(4), None);
    }

    #[test]
    fn a_map_decodes_from_resp2_and_resp3_skipping_unknown_fields() {
        let expected = Outer {
            name: "n".into(),
            x: Inner {
                a: 1,
                b: Some("bee".into()),
            },
            y: Inner2 { c: 2 },
        };
        // RESP3 map, with an unknown field holding an aggregate first.
        let resp3 = b"%5\r\n$5\r\nextra\r\n*2\r\n:1\r\n:2\r\n$1\r\nc\r\n:2\r\n$3\r\nx.b\r\n$3\r\nbee\r\n$4\r\nname\r\n$1\r\nn\r\n$3\r\nx.a\r\n$1\r\n1\r\n";
        assert_eq!(decode::<UserMap<Outer>>(resp3).unwrap(), expected);
        // RESP2 flat array.
        let resp2 = b"*8\r\n$3\r\nx.a\r\n$1\r\n1\r\n$1\r\nc\r\n$1\r\n2\r\n$4\r\nname\r\n$1\r\nn\r\n$3\r\nx.b\r\n$3\r\nbee\r\n";
        assert_eq!(
            decode::<UserMap<Option<Outer>>>(resp2).unwrap(),
            Some(expected)
        );
        assert_eq!(decode::<UserMap<Option<Outer>>>(b"*0\r\n").unwrap(), None);
    }

    #[test]
    fn errors_name_the_field_and_the_flattening_field() {
        let bad =
            b"*6\r\n$4\r\nname\r\n$1\r\nn\r\n$3\r\nx.a\r\n$3\r\none\r\n$1\r\nc\r\n$1\r\n2\r\n";
        let e = decode::<UserMap<Outer>>(bad).unwrap_err();
        assert_eq!(e.field(), Some("Inner.a in Outer.x"));
        assert_eq!(
            e.to_string(),
            r#"Inner.a in Outer.x: expected an integer that fits i64, got bulk string "one""#
        );
        let missing = b"*4\r\n$4\r\nname\r\n$1\r\nn\r\n$3\r\nx.a\r\n$1\r\n1\r\n";
        let e = decode::<UserMap<Outer>>(missing).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"Inner2.c in Outer.y: expected the hash field "c", got no such field"#
        );
    }

    #[test]
    fn hmget_values_decode_in_field_order() {
        let reply = b"*4\r\n$1\r\nn\r\n$1\r\n1\r\n_\r\n$1\r\n2\r\n";
        let out = decode::<HashFieldsShape<Outer>>(reply).unwrap();
        assert_eq!(out.x, Inner { a: 1, b: None });
        let none = b"*4\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n";
        assert_eq!(
            decode::<HashFieldsShape<Option<Outer>>>(none).unwrap(),
            None
        );
        let e = decode::<HashFieldsShape<Outer>>(none).unwrap_err();
        assert!(e.to_string().starts_with("Outer.name: "), "{e}");
        let short = b"*1\r\n$1\r\nn\r\n";
        let e = decode::<HashFieldsShape<Outer>>(short).unwrap_err();
        assert_eq!(e.to_string(), "expected 4 values, got 1");
    }

    /// Field names that are also the generated code's locals, a const
    /// parameter, and a lifetime only a skipped field uses.
    #[derive(crate::ToHash, crate::FromHash, Debug, PartialEq)]
    #[redis(crate = crate)]
    struct Awkward<'a, const N: usize> {
        partial: u8,
        value: u8,
        name: u8,
        slot: u8,
        index: u8,
        entries: u8,
        r#type: u8,
        #[redis(skip)]
        borrowed: Option<&'a str>,
    }

    #[test]
    fn awkward_structs_derive() {
        let value = Awkward::<'_, 3> {
            partial: 1,
            value: 2,
            name: 3,
            slot: 4,
            index: 5,
            entries: 6,
            r#type: 7,
            borrowed: None,
        };
        let fields: Vec<(Arg, Arg)> = value.hash_fields().collect();
        assert_eq!(fields[6], ("type".into(), Arg::Uint(7)));
        let reply = b"*7\r\n:1\r\n:2\r\n:3\r\n:4\r\n:5\r\n:6\r\n:7\r\n";
        assert_eq!(
            decode::<HashFieldsShape<Awkward<'static, 3>>>(reply).unwrap(),
            value
        );
    }

    #[test]
    fn hmget_writes_every_field_name() {
        let mut buf = bytes::BytesMut::new();
        let mut w = ArgWriter::begin(&mut buf);
        hmget::<Option<Outer>>("k").write_args(&mut w);
        w.finish();
        assert_eq!(
            &buf[..],
            b"*6\r\n$5\r\nHMGET\r\n$1\r\nk\r\n$4\r\nname\r\n$3\r\nx.a\r\n$3\r\nx.b\r\n$1\r\nc\r\n"
        );
        assert_eq!(<Hmget<'_, Outer> as Command>::META.name, "HMGET");
    }
}
