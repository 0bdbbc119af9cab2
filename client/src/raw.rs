//! The escape hatch: any command by name, with a reply type the caller picks.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hash};
use std::marker::PhantomData;

use bytes::Bytes;

use crate::arg::Arg;
use crate::command::{Command, CommandFlags, CommandMeta};
use crate::error::DecodeError;
use crate::resp::{ArgWriter, Item, Reader};
use crate::shape::Typed;
use crate::value::{FromValue, Value, capacity, mismatch};

/// A type a whole reply decodes into, chosen by the caller of a [`Raw`] command.
///
/// Implemented for `()` (accepts any reply), [`Value`], the scalar types of
/// [`FromValue`] (except `Vec<u8>`: use [`Bytes`] for binary values),
/// `Option<T>` (nil is `None`), `Vec<T>`, `HashMap<K, V>`, `BTreeMap<K, V>`,
/// and tuples of 2 and 3 (from arrays of that length).
pub trait FromReply: Sized {
    /// Decodes from `item`, whose children (if any) follow in `reader`.
    fn from_reply<'a>(item: Item<'a>, reader: &mut Reader<'a>) -> Result<Self, DecodeError>;
}

macro_rules! scalar_from_reply {
    ($($t:ty),*) => {$(
        impl FromReply for $t {
            fn from_reply<'a>(item: Item<'a>, reader: &mut Reader<'a>) -> Result<Self, DecodeError> {
                if let Item::Null = item {
                    return Err(mismatch("a value (use Option for replies that may be nil)", &item));
                }
                <$t as FromValue>::from_value(item, reader)
            }
        }
    )*};
}
scalar_from_reply!(
    String, Bytes, bool, f32, f64, i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

impl FromReply for Value {
    fn from_reply<'a>(item: Item<'a>, reader: &mut Reader<'a>) -> Result<Self, DecodeError> {
        Value::from_value(item, reader)
    }
}

impl FromReply for () {
    fn from_reply<'a>(item: Item<'a>, reader: &mut Reader<'a>) -> Result<Self, DecodeError> {
        // Reading the item's children keeps the reader consistent for a caller decoding more.
        Value::from_value(item, reader).map(drop)
    }
}

impl<T: FromReply> FromReply for Option<T> {
    fn from_reply<'a>(item: Item<'a>, reader: &mut Reader<'a>) -> Result<Self, DecodeError> {
        match item {
            Item::Null => Ok(None),
            item => T::from_reply(item, reader).map(Some),
        }
    }
}

impl<T: FromReply> FromReply for Vec<T> {
    fn from_reply<'a>(item: Item<'a>, reader: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let n = match item {
            Item::Array(n) | Item::Set(n) | Item::Push(n) => n,
            _ => return Err(mismatch("an array", &item)),
        };
        let mut out = Vec::with_capacity(capacity(n, reader));
        for _ in 0..n {
            let item = reader.next()?;
            out.push(T::from_reply(item, reader)?);
        }
        Ok(out)
    }
}

fn map_len(item: &Item<'_>) -> Result<usize, DecodeError> {
    match *item {
        Item::Map(n) => Ok(n),
        Item::Array(n) | Item::Set(n) if n % 2 == 0 => Ok(n / 2),
        _ => Err(mismatch("a map (or a flat array of pairs)", item)),
    }
}

impl<K: FromValue + Eq + Hash, V: FromReply, H: BuildHasher + Default> FromReply
    for HashMap<K, V, H>
{
    fn from_reply<'a>(item: Item<'a>, reader: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let n = map_len(&item)?;
        let mut out = HashMap::with_capacity_and_hasher(capacity(n, reader), H::default());
        for _ in 0..n {
            let k = reader.next()?;
            let k = K::from_value(k, reader)?;
            let v = reader.next()?;
            out.insert(k, V::from_reply(v, reader)?);
        }
        Ok(out)
    }
}

impl<K: FromValue + Ord, V: FromReply> FromReply for BTreeMap<K, V> {
    fn from_reply<'a>(item: Item<'a>, reader: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let n = map_len(&item)?;
        let mut out = BTreeMap::new();
        for _ in 0..n {
            let k = reader.next()?;
            let k = K::from_value(k, reader)?;
            let v = reader.next()?;
            out.insert(k, V::from_reply(v, reader)?);
        }
        Ok(out)
    }
}

macro_rules! tuple_from_reply {
    ($n:literal: $($t:ident),*) => {
        impl<$($t: FromReply),*> FromReply for ($($t,)*) {
            fn from_reply<'a>(item: Item<'a>, reader: &mut Reader<'a>) -> Result<Self, DecodeError> {
                match item {
                    Item::Array($n) => Ok(($({ let i = reader.next()?; $t::from_reply(i, reader)? },)*)),
                    _ => Err(mismatch(concat!("an array of ", $n), &item)),
                }
            }
        }
    };
}
tuple_from_reply!(2: A, B);
tuple_from_reply!(3: A, B, C);

/// Any command by name, for commands not in the spec yet (a module's, a newer
/// server's). The reply type is the caller's choice of [`FromReply`] type.
///
/// Raw commands are never retried and are treated as writes; errors name
/// the command by its first word. Each argument is
/// kept until the command is sent (one `Vec`), unlike generated commands which
/// keep theirs inline.
///
/// ```no_run
/// # async fn demo(client: redtyped::Client) -> redtyped::Result<()> {
/// use redtyped::Raw;
/// let n: i64 = client.send(Raw::new("INCRBY").arg("counter").arg(5)).await?;
/// let info: String = client.send(Raw::new("INFO").arg("server")).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Raw<'a, R = Value> {
    args: Vec<Arg<'a>>,
    reply: PhantomData<fn() -> R>,
}

impl<'a, R> Raw<'a, R> {
    /// A command whose first word is `name` (`"JSON.GET"`, or `"CLIENT"` followed by `.arg("INFO")`).
    pub fn new(name: impl Into<Arg<'a>>) -> Self {
        Raw {
            args: vec![name.into()],
            reply: PhantomData,
        }
    }

    /// Appends one argument.
    pub fn arg(mut self, arg: impl Into<Arg<'a>>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Appends every argument of an iterator.
    pub fn args<A: Into<Arg<'a>>>(mut self, args: impl IntoIterator<Item = A>) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }
}

impl<R: FromReply> Command for Raw<'_, R> {
    type Shape = Typed<R>;
    const META: &'static CommandMeta = &CommandMeta {
        name: "RAW",
        arity: -1,
        flags: CommandFlags::NONE,
        key_specs: &[],
        request_policy: crate::RequestPolicy::Default,
        response_policy: crate::ResponsePolicy::Default,
    };
    const UNCLASSIFIED: bool = true;
    fn write_args(self, w: &mut ArgWriter<'_>) {
        for arg in &self.args {
            arg.write(w);
        }
    }

    fn name(&self) -> Cow<'static, str> {
        match self.args.first() {
            Some(Arg::Borrowed(b)) => Cow::Owned(String::from_utf8_lossy(b).to_uppercase()),
            Some(Arg::Owned(b)) => Cow::Owned(String::from_utf8_lossy(b).to_uppercase()),
            Some(Arg::Shared(b)) => Cow::Owned(String::from_utf8_lossy(b).to_uppercase()),
            _ => Cow::Borrowed(Self::META.name),
        }
    }
}
