//! What the code of `#[derive(ToHash, FromHash, ValueEnum)]` calls besides
//! the public traits. Not a public API: `redtyped` and `redtyped-macros`
//! change it together.

use std::borrow::Cow;

use crate::arg::Arg;
use crate::error::DecodeError;
use crate::resp::Item;
use crate::value::{describe, text};

/// A flattened struct's field name under its prefix (allocates).
pub fn prefixed<'r>(prefix: &str, name: Arg<'r>) -> Arg<'r> {
    let mut out = prefix.as_bytes().to_vec();
    match &name {
        Arg::Borrowed(b) => out.extend_from_slice(b),
        Arg::Owned(b) => out.extend_from_slice(b),
        Arg::Shared(b) => out.extend_from_slice(b),
        // Field names are text; a number would be a hand-written `ToHash`.
        Arg::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Arg::Uint(u) => out.extend_from_slice(u.to_string().as_bytes()),
        Arg::Float(f) => out.extend_from_slice(f.to_string().as_bytes()),
        Arg::Float32(f) => out.extend_from_slice(f.to_string().as_bytes()),
    }
    Arg::Owned(out)
}

/// [`prefixed`] for [`FromHash::field_name`](crate::FromHash::field_name).
pub fn prefixed_name(prefix: &str, name: Cow<'static, str>) -> Cow<'static, str> {
    Cow::Owned(format!("{prefix}{name}"))
}

/// Which of `names` a unit-variant enum's value is.
pub fn variant(item: &Item<'_>, names: &[&str], enum_name: &str) -> Result<usize, DecodeError> {
    let found = text(item).and_then(|b| names.iter().position(|n| n.as_bytes() == b));
    found.ok_or_else(|| {
        let list: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
        DecodeError::new(
            format!("a {enum_name}: one of {}", list.join(", ")),
            describe(item),
        )
    })
}

/// A field stored as JSON (`#[redis(json)]`).
///
/// A value whose `Serialize` fails (a map with non-string keys, a failing
/// hand-written impl) cannot be written: this panics, naming the field,
/// before any part of the command is queued.
#[cfg(feature = "json")]
pub fn json_encode<T: serde::Serialize + ?Sized>(
    value: &T,
    owner: &str,
    field: &str,
) -> Arg<'static> {
    match serde_json::to_vec(value) {
        Ok(json) => Arg::Owned(json),
        Err(e) => panic!("redtyped: {owner}.{field} cannot be written as JSON: {e}"),
    }
}

/// Reads a field stored as JSON (`#[redis(json)]`).
#[cfg(feature = "json")]
pub fn json_decode<T: serde::de::DeserializeOwned>(
    value: &mut crate::hash::FieldValue<'_, '_>,
) -> Result<T, DecodeError> {
    value.parse("JSON", |bytes| serde_json::from_slice::<T>(bytes))
}

/// The serde the `json` bounds name, so a user's crate needs serde only for
/// its own derives.
#[cfg(feature = "json")]
pub use serde;
