//! Decoding user data: scalars a caller chooses the type of ([`FromValue`]),
//! maps of them ([`FromMap`]), and the untyped [`Value`] tree.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hash};

use bytes::Bytes;

use crate::error::DecodeError;
use crate::resp::{Item, Reader};

/// A short, readable description of a reply item for error messages.
pub(crate) fn describe(item: &Item<'_>) -> Cow<'static, str> {
    fn preview(kind: &str, b: &[u8]) -> Cow<'static, str> {
        let text = String::from_utf8_lossy(&b[..b.len().min(48)]);
        let more = if b.len() > 48 { "…" } else { "" };
        Cow::Owned(format!("{kind} {text:?}{more}"))
    }
    match item {
        Item::Simple(b) => preview("simple string", b),
        Item::Error(b) => preview("error", b),
        Item::Bulk(b) => preview("bulk string", b),
        Item::Verbatim { text, .. } => preview("verbatim string", text),
        Item::Integer(i) => Cow::Owned(format!("integer {i}")),
        Item::Double(d) => Cow::Owned(format!("double {d}")),
        Item::Boolean(b) => Cow::Owned(format!("boolean {b}")),
        Item::Array(n) => Cow::Owned(format!("array of {n}")),
        Item::Set(n) => Cow::Owned(format!("set of {n}")),
        Item::Map(n) => Cow::Owned(format!("map of {n}")),
        Item::Push(n) => Cow::Owned(format!("push of {n}")),
        other => Cow::Borrowed(other.kind_name()),
    }
}

pub(crate) fn mismatch(expected: &'static str, item: &Item<'_>) -> DecodeError {
    DecodeError::new(expected, describe(item))
}

/// The text of a scalar item (simple, bulk or verbatim string), if it is one.
pub(crate) fn text<'a>(item: &Item<'a>) -> Option<&'a [u8]> {
    match *item {
        Item::Simple(b) | Item::Bulk(b) | Item::BigNumber(b) => Some(b),
        Item::Verbatim { text, .. } => Some(text),
        _ => None,
    }
}

/// A type that user data decodes into: the value of GET, a member of LRANGE,
/// a field of HGETALL.
///
/// Implemented for `String`, `Vec<u8>`, [`Bytes`] (zero-copy), the integer and
/// float types (parsed from the server's decimal text, or taken from a RESP3
/// number), `bool` (`1`/`0`, `true`/`false`, or a RESP3 boolean), `Cow<str>`
/// and `Cow<[u8]>` (owned) and [`Value`]; enums of unit variants with
/// `#[derive(ValueEnum)]`.
/// Implement it for your own types to read them straight from replies.
///
/// ```
/// use redtyped::{FromValue, DecodeError};
/// use redtyped::resp::{Item, Reader};
///
/// struct UserId(u64);
/// impl FromValue for UserId {
///     fn from_value<'a>(item: Item<'a>, reader: &mut Reader<'a>) -> Result<Self, DecodeError> {
///         u64::from_value(item, reader).map(UserId)
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold a reply value",
    label = "user data decodes into `FromValue` types",
    note = "use String, Vec<u8>, Bytes, an integer, a float, bool, Value or a `#[derive(ValueEnum)]` enum, or implement `redtyped::FromValue` for `{Self}`"
)]
pub trait FromValue: Sized {
    /// Decodes from `item`, whose children (if any) follow in `reader`.
    fn from_value<'a>(item: Item<'a>, reader: &mut Reader<'a>) -> Result<Self, DecodeError>;
}

impl FromValue for String {
    fn from_value<'a>(item: Item<'a>, _: &mut Reader<'a>) -> Result<Self, DecodeError> {
        match item {
            Item::Integer(i) => Ok(i.to_string()),
            Item::Double(d) => Ok(d.to_string()),
            _ => {
                let b = text(&item).ok_or_else(|| mismatch("a string", &item))?;
                String::from_utf8(b.to_vec()).map_err(|_| mismatch("UTF-8 text", &item))
            }
        }
    }
}

/// Always owned: a reply outlives no borrow. For struct fields of type
/// `Cow<'a, str>`, which a value can write borrowed and read back owned.
impl FromValue for Cow<'_, str> {
    fn from_value<'a>(item: Item<'a>, r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        String::from_value(item, r).map(Cow::Owned)
    }
}

/// Always owned, like `Cow<str>`.
impl FromValue for Cow<'_, [u8]> {
    fn from_value<'a>(item: Item<'a>, r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        Vec::<u8>::from_value(item, r).map(Cow::Owned)
    }
}

impl FromValue for Vec<u8> {
    fn from_value<'a>(item: Item<'a>, r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        Bytes::from_value(item, r).map(Vec::from)
    }
}

impl FromValue for Bytes {
    fn from_value<'a>(item: Item<'a>, r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        match item {
            Item::Integer(i) => Ok(Bytes::from(i.to_string())),
            Item::Double(d) => Ok(Bytes::from(d.to_string())),
            _ => text(&item)
                .map(|b| r.bytes(b))
                .ok_or_else(|| mismatch("bytes", &item)),
        }
    }
}

macro_rules! int_from_value {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value<'a>(item: Item<'a>, _: &mut Reader<'a>) -> Result<Self, DecodeError> {
                const EXPECTED: &str = concat!("an integer that fits ", stringify!($t));
                match item {
                    Item::Integer(i) => <$t>::try_from(i).map_err(|_| mismatch(EXPECTED, &item)),
                    // A RESP3 double with no fraction (ZSCORE of an integral score).
                    Item::Double(d) if d.fract() == 0.0 && d.abs() < 9.007_199_254_740_992e15 => {
                        <$t>::try_from(d as i64).map_err(|_| mismatch(EXPECTED, &item))
                    }
                    _ => text(&item)
                        .and_then(|b| std::str::from_utf8(b).ok())
                        .and_then(|s| s.parse::<$t>().ok())
                        .ok_or_else(|| mismatch(EXPECTED, &item)),
                }
            }
        }
    )*};
}
int_from_value!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

/// Parses Redis's float text (`3.5`, `inf`, `-inf`, `1e3`).
pub(crate) fn parse_float(b: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(b).ok()?;
    match s {
        "inf" | "+inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        _ => s.parse().ok(),
    }
}

impl FromValue for f64 {
    fn from_value<'a>(item: Item<'a>, _: &mut Reader<'a>) -> Result<Self, DecodeError> {
        match item {
            Item::Double(d) => Ok(d),
            Item::Integer(i) => Ok(i as f64),
            _ => text(&item)
                .and_then(parse_float)
                .ok_or_else(|| mismatch("a number", &item)),
        }
    }
}

impl FromValue for f32 {
    fn from_value<'a>(item: Item<'a>, r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        f64::from_value(item, r).map(|v| v as f32)
    }
}

impl FromValue for bool {
    fn from_value<'a>(item: Item<'a>, _: &mut Reader<'a>) -> Result<Self, DecodeError> {
        match item {
            Item::Boolean(b) => Ok(b),
            Item::Integer(0) => Ok(false),
            Item::Integer(1) => Ok(true),
            _ => match text(&item) {
                Some(b"1") | Some(b"true") => Ok(true),
                Some(b"0") | Some(b"false") => Ok(false),
                _ => Err(mismatch("a boolean (1/0, true/false)", &item)),
            },
        }
    }
}

/// Any reply, decoded into a tree. The escape hatch for replies with no fixed
/// shape; typed commands never need it.
///
/// ```
/// use redtyped::Value;
/// let v = Value::Array(vec![Value::Int(1), Value::Bulk("a".into())]);
/// assert!(matches!(v, Value::Array(ref items) if items.len() == 2));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Nil (RESP2 null bulk or array, RESP3 null).
    Nil,
    /// A simple string (status).
    Status(String),
    /// A bulk string.
    Bulk(Bytes),
    /// An integer.
    Int(i64),
    /// A RESP3 double.
    Double(f64),
    /// A RESP3 boolean.
    Bool(bool),
    /// A RESP3 big number, as its decimal text.
    BigNumber(String),
    /// A RESP3 verbatim string: format (`txt`, `mkd`) and text.
    Verbatim(String, Bytes),
    /// An error reply nested in an aggregate (top-level errors are `Err`).
    Error(String),
    /// An array.
    Array(Vec<Value>),
    /// A RESP3 set.
    Set(Vec<Value>),
    /// A RESP3 map, in server order.
    Map(Vec<(Value, Value)>),
    /// A RESP3 push.
    Push(Vec<Value>),
}

/// At least this many bytes encode one element, so a claimed length never
/// reserves more than the frame could hold.
const MIN_ELEMENT_BYTES: usize = 3;

pub(crate) fn capacity(claimed: usize, reader: &Reader<'_>) -> usize {
    claimed.min(reader.frame().len().saturating_sub(reader.position()) / MIN_ELEMENT_BYTES)
}

impl FromValue for Value {
    fn from_value<'a>(item: Item<'a>, r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let list = |n: usize, r: &mut Reader<'a>| -> Result<Vec<Value>, DecodeError> {
            let mut out = Vec::with_capacity(capacity(n, r));
            for _ in 0..n {
                let item = r.next()?;
                out.push(Value::from_value(item, r)?);
            }
            Ok(out)
        };
        Ok(match item {
            Item::Null => Value::Nil,
            Item::Simple(b) => Value::Status(lossy(b)),
            Item::Error(b) => Value::Error(lossy(b)),
            Item::Bulk(b) => Value::Bulk(r.bytes(b)),
            Item::Integer(i) => Value::Int(i),
            Item::Double(d) => Value::Double(d),
            Item::Boolean(b) => Value::Bool(b),
            Item::BigNumber(b) => Value::BigNumber(lossy(b)),
            Item::Verbatim { format, text } => Value::Verbatim(lossy(format), r.bytes(text)),
            Item::Array(n) => Value::Array(list(n, r)?),
            Item::Set(n) => Value::Set(list(n, r)?),
            Item::Push(n) => Value::Push(list(n, r)?),
            Item::Map(n) => {
                let mut out = Vec::with_capacity(capacity(n, r));
                for _ in 0..n {
                    let k = r.next()?;
                    let k = Value::from_value(k, r)?;
                    let v = r.next()?;
                    out.push((k, Value::from_value(v, r)?));
                }
                Value::Map(out)
            }
        })
    }
}

/// The entries of a map reply (a RESP3 map or a RESP2 flat array of
/// field/value pairs), read one at a time by a [`FromMap`] implementation.
pub struct MapEntries<'r, 'a> {
    reader: &'r mut Reader<'a>,
    remaining: usize,
}

impl<'r, 'a> MapEntries<'r, 'a> {
    /// Opens the entries of a map item (`Map(n)` or an even-length `Array`/`Set`).
    pub fn open(item: Item<'a>, reader: &'r mut Reader<'a>) -> Result<Self, DecodeError> {
        let remaining = match item {
            Item::Map(n) => n,
            Item::Array(n) | Item::Set(n) if n % 2 == 0 => n / 2,
            _ => return Err(mismatch("a map (or a flat array of pairs)", &item)),
        };
        Ok(MapEntries { reader, remaining })
    }

    /// The reader and the number of entries not read yet (struct decoding
    /// reads keys and values itself).
    pub(crate) fn into_parts(self) -> (&'r mut Reader<'a>, usize) {
        (self.reader, self.remaining)
    }

    /// Entries not read yet.
    pub fn len(&self) -> usize {
        self.remaining
    }

    /// True when every entry was read.
    pub fn is_empty(&self) -> bool {
        self.remaining == 0
    }

    /// A capacity hint that a hostile length cannot inflate.
    pub fn size_hint(&self) -> usize {
        capacity(self.remaining, self.reader)
    }

    /// The next entry's key as raw bytes (for struct decoding by field name);
    /// read or skip its value next.
    pub fn next_key(&mut self) -> Option<Result<&'a [u8], DecodeError>> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        Some(
            self.reader
                .next()
                .map_err(DecodeError::from)
                .and_then(|item| text(&item).ok_or_else(|| mismatch("a field name", &item))),
        )
    }

    /// The value of the entry whose key was just read.
    pub fn value<V: FromValue>(&mut self) -> Result<V, DecodeError> {
        let item = self.reader.next()?;
        V::from_value(item, self.reader)
    }

    /// Reads the value of the entry whose key was just read with a reply shape.
    pub fn read<S: crate::shape::Shape>(&mut self) -> Result<S::Output, DecodeError> {
        S::read(self.reader)
    }

    /// Skips the value of the entry whose key was just read.
    pub fn skip_value(&mut self) -> Result<(), DecodeError> {
        Ok(self.reader.skip()?)
    }

    /// The next whole entry.
    pub fn next_entry<K: FromValue, V: FromValue>(
        &mut self,
    ) -> Option<Result<(K, V), DecodeError>> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        Some((|| {
            let k = self.reader.next()?;
            let k = K::from_value(k, self.reader)?;
            let v = self.reader.next()?;
            Ok((k, V::from_value(v, self.reader)?))
        })())
    }
}

/// A type a map of user data decodes into (HGETALL): `HashMap`, `BTreeMap`,
/// `Vec<(K, V)>`, or a struct with `#[derive(FromHash)]`.
///
/// ```
/// use redtyped::{FromMap, MapEntries, DecodeError};
///
/// struct FieldCount(usize);
/// impl FromMap for FieldCount {
///     fn from_map(mut entries: MapEntries<'_, '_>) -> Result<Self, DecodeError> {
///         let mut n = 0;
///         while let Some(key) = entries.next_key() {
///             key?;
///             entries.skip_value()?;
///             n += 1;
///         }
///         Ok(FieldCount(n))
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold a map reply",
    label = "map replies decode into `FromMap` types",
    note = "use HashMap<K, V>, BTreeMap<K, V>, Vec<(K, V)> or Option of one of them, or implement `redtyped::FromMap` for `{Self}`"
)]
pub trait FromMap: Sized {
    /// Reads every entry.
    fn from_map(entries: MapEntries<'_, '_>) -> Result<Self, DecodeError>;
}

impl<K: FromValue + Eq + Hash, V: FromValue, H: BuildHasher + Default> FromMap
    for HashMap<K, V, H>
{
    fn from_map(mut entries: MapEntries<'_, '_>) -> Result<Self, DecodeError> {
        let mut map = HashMap::with_capacity_and_hasher(entries.size_hint(), H::default());
        while let Some(entry) = entries.next_entry() {
            let (k, v) = entry?;
            map.insert(k, v);
        }
        Ok(map)
    }
}

impl<K: FromValue + Ord, V: FromValue> FromMap for BTreeMap<K, V> {
    fn from_map(mut entries: MapEntries<'_, '_>) -> Result<Self, DecodeError> {
        let mut map = BTreeMap::new();
        while let Some(entry) = entries.next_entry() {
            let (k, v) = entry?;
            map.insert(k, v);
        }
        Ok(map)
    }
}

impl<K: FromValue, V: FromValue> FromMap for Vec<(K, V)> {
    fn from_map(mut entries: MapEntries<'_, '_>) -> Result<Self, DecodeError> {
        let mut out = Vec::with_capacity(entries.size_hint());
        while let Some(entry) = entries.next_entry() {
            out.push(entry?);
        }
        Ok(out)
    }
}

/// `None` for an empty map (HGETALL of a missing key), else the map.
impl<M: FromMap> FromMap for Option<M> {
    fn from_map(entries: MapEntries<'_, '_>) -> Result<Self, DecodeError> {
        if entries.is_empty() {
            Ok(None)
        } else {
            M::from_map(entries).map(Some)
        }
    }
}
