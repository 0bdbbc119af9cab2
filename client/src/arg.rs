//! Command arguments.

use bytes::Bytes;

use crate::resp::ArgWriter;

/// One argument of a command, as the server will receive it: a bulk string.
///
/// Every command parameter that takes a key, a string or a pattern accepts
/// `impl Into<Arg>`: string slices and `String`s, byte slices, `Vec<u8>`,
/// [`Bytes`], `Cow<str>`, integers, floats and `bool` (`1`/`0`), each by value
/// or by reference. Owned values are moved in, not copied;
/// numbers are written as decimal text when the command is encoded.
///
/// ```
/// use redtyped::Arg;
///
/// let a: Arg = "user:1".into();
/// let b: Arg = 42i64.into();
/// let c: Arg = String::from("owned").into();
/// let d: Arg = (&b"raw\x00bytes"[..]).into();
/// assert_eq!(a, Arg::Borrowed(b"user:1"));
/// assert_eq!(b, Arg::Int(42));
/// # let _ = (c, d);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Arg<'a> {
    /// Borrowed bytes (from `&str`, `&[u8]`, `&String`, `&Vec<u8>`).
    Borrowed(&'a [u8]),
    /// Owned bytes (from `String`, `Vec<u8>`).
    Owned(Vec<u8>),
    /// Shared bytes (from [`Bytes`]).
    Shared(Bytes),
    /// A signed integer, written as decimal text.
    Int(i64),
    /// An unsigned integer, written as decimal text.
    Uint(u64),
    /// A float, written as the shortest decimal that reads back the same.
    Float(f64),
    /// An `f32`, written as the shortest decimal that reads back the same `f32`.
    Float32(f32),
}

impl Arg<'_> {
    /// The same argument owning its bytes.
    ///
    /// ```
    /// let key = String::from("k");
    /// let owned: redtyped::Arg<'static> = redtyped::Arg::from(&key).into_owned();
    /// assert_eq!(owned, redtyped::Arg::Owned(b"k".to_vec()));
    /// ```
    pub fn into_owned(self) -> Arg<'static> {
        match self {
            Arg::Borrowed(b) => Arg::Owned(b.to_vec()),
            Arg::Owned(b) => Arg::Owned(b),
            Arg::Shared(b) => Arg::Shared(b),
            Arg::Int(i) => Arg::Int(i),
            Arg::Uint(u) => Arg::Uint(u),
            Arg::Float(f) => Arg::Float(f),
            Arg::Float32(f) => Arg::Float32(f),
        }
    }

    /// Writes this argument as one bulk string.
    #[inline]
    pub fn write(&self, w: &mut ArgWriter<'_>) {
        match self {
            Arg::Borrowed(b) => w.arg(b),
            Arg::Owned(b) => w.arg(b),
            Arg::Shared(b) => w.arg(b),
            Arg::Int(i) => w.int(*i),
            Arg::Uint(u) => w.uint(*u),
            Arg::Float(f) => w.float(*f),
            Arg::Float32(f) => w.float32(*f),
        }
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    #[inline]
    fn from(s: &'a str) -> Self {
        Arg::Borrowed(s.as_bytes())
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    #[inline]
    fn from(s: &'a String) -> Self {
        Arg::Borrowed(s.as_bytes())
    }
}

impl<'a> From<&'a &str> for Arg<'a> {
    #[inline]
    fn from(s: &'a &str) -> Self {
        Arg::Borrowed(s.as_bytes())
    }
}

impl From<String> for Arg<'_> {
    #[inline]
    fn from(s: String) -> Self {
        Arg::Owned(s.into_bytes())
    }
}

impl<'a> From<&'a &[u8]> for Arg<'a> {
    #[inline]
    fn from(b: &'a &[u8]) -> Self {
        Arg::Borrowed(b)
    }
}

impl<'a> From<&'a [u8]> for Arg<'a> {
    #[inline]
    fn from(b: &'a [u8]) -> Self {
        Arg::Borrowed(b)
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for Arg<'a> {
    #[inline]
    fn from(b: &'a [u8; N]) -> Self {
        Arg::Borrowed(b)
    }
}

impl<'a> From<&'a Vec<u8>> for Arg<'a> {
    #[inline]
    fn from(b: &'a Vec<u8>) -> Self {
        Arg::Borrowed(b)
    }
}

impl From<Vec<u8>> for Arg<'_> {
    #[inline]
    fn from(b: Vec<u8>) -> Self {
        Arg::Owned(b)
    }
}

impl From<Bytes> for Arg<'_> {
    #[inline]
    fn from(b: Bytes) -> Self {
        Arg::Shared(b)
    }
}

impl<'a> From<&'a Bytes> for Arg<'a> {
    #[inline]
    fn from(b: &'a Bytes) -> Self {
        Arg::Borrowed(b)
    }
}

impl<'a, 'b> From<&'b Arg<'a>> for Arg<'a> {
    #[inline]
    fn from(a: &'b Arg<'a>) -> Self {
        a.clone()
    }
}

macro_rules! from_signed {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg<'_> {
            #[inline]
            fn from(v: $t) -> Self { Arg::Int(v as i64) }
        }
        impl From<&$t> for Arg<'_> {
            #[inline]
            fn from(v: &$t) -> Self { Arg::Int(*v as i64) }
        }
    )*};
}
from_signed!(i8, i16, i32, i64, isize);

macro_rules! from_unsigned {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg<'_> {
            #[inline]
            fn from(v: $t) -> Self { Arg::Uint(v as u64) }
        }
        impl From<&$t> for Arg<'_> {
            #[inline]
            fn from(v: &$t) -> Self { Arg::Uint(*v as u64) }
        }
    )*};
}
from_unsigned!(u8, u16, u32, u64, usize);

impl From<&f64> for Arg<'_> {
    #[inline]
    fn from(v: &f64) -> Self {
        Arg::Float(*v)
    }
}

impl From<&f32> for Arg<'_> {
    #[inline]
    fn from(v: &f32) -> Self {
        Arg::Float32(*v)
    }
}

/// `1` or `0`, which [`FromValue`](crate::FromValue) for `bool` reads back.
impl From<bool> for Arg<'_> {
    #[inline]
    fn from(v: bool) -> Self {
        Arg::Borrowed(if v { b"1" } else { b"0" })
    }
}

impl From<&bool> for Arg<'_> {
    #[inline]
    fn from(v: &bool) -> Self {
        Arg::from(*v)
    }
}

/// Any `Cow` that outlives the argument: `FromHash::field_names` gives
/// `Cow<'static, str>`, and a command's arguments share one lifetime.
impl<'a, 'b: 'a> From<std::borrow::Cow<'b, str>> for Arg<'a> {
    #[inline]
    fn from(s: std::borrow::Cow<'b, str>) -> Self {
        match s {
            std::borrow::Cow::Borrowed(s) => Arg::Borrowed(s.as_bytes()),
            std::borrow::Cow::Owned(s) => Arg::Owned(s.into_bytes()),
        }
    }
}

impl<'a> From<&'a std::borrow::Cow<'_, str>> for Arg<'a> {
    #[inline]
    fn from(s: &'a std::borrow::Cow<'_, str>) -> Self {
        Arg::Borrowed(s.as_bytes())
    }
}

impl<'a, 'b: 'a> From<std::borrow::Cow<'b, [u8]>> for Arg<'a> {
    #[inline]
    fn from(b: std::borrow::Cow<'b, [u8]>) -> Self {
        match b {
            std::borrow::Cow::Borrowed(b) => Arg::Borrowed(b),
            std::borrow::Cow::Owned(b) => Arg::Owned(b),
        }
    }
}

impl<'a> From<&'a std::borrow::Cow<'_, [u8]>> for Arg<'a> {
    #[inline]
    fn from(b: &'a std::borrow::Cow<'_, [u8]>) -> Self {
        Arg::Borrowed(b)
    }
}

impl From<f64> for Arg<'_> {
    #[inline]
    fn from(v: f64) -> Self {
        Arg::Float(v)
    }
}

impl From<f32> for Arg<'_> {
    #[inline]
    fn from(v: f32) -> Self {
        Arg::Float32(v)
    }
}

/// Implements `From` for the argument types on a generated `oneof` enum whose one
/// value-carrying variant takes an [`Arg`] (so `xadd(key, "*", …)` reads naturally).
#[doc(hidden)]
#[macro_export]
macro_rules! __impl_from_arg {
    ($enum:ident, $variant:ident) => {
        impl<'a> ::core::convert::From<&'a str> for $enum<'a> {
            fn from(v: &'a str) -> Self {
                $enum::$variant(v.into())
            }
        }
        impl<'a> ::core::convert::From<&'a ::std::string::String> for $enum<'a> {
            fn from(v: &'a ::std::string::String) -> Self {
                $enum::$variant(v.into())
            }
        }
        impl<'a> ::core::convert::From<::std::string::String> for $enum<'a> {
            fn from(v: ::std::string::String) -> Self {
                $enum::$variant(v.into())
            }
        }
        impl<'a> ::core::convert::From<&'a [u8]> for $enum<'a> {
            fn from(v: &'a [u8]) -> Self {
                $enum::$variant(v.into())
            }
        }
        impl<'a> ::core::convert::From<::std::vec::Vec<u8>> for $enum<'a> {
            fn from(v: ::std::vec::Vec<u8>) -> Self {
                $enum::$variant(v.into())
            }
        }
        impl<'a> ::core::convert::From<$crate::Arg<'a>> for $enum<'a> {
            fn from(v: $crate::Arg<'a>) -> Self {
                $enum::$variant(v)
            }
        }
    };
}
