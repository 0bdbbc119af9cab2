//! Decoding named records (`redtyped::reply::*`): the runtime half of the
//! records the generator writes from the spec's `x_records`.
//!
//! Generated decoders call these helpers; a downstream crate generating its
//! own records (a Redis module's replies) calls the same ones.

use crate::error::DecodeError;
use crate::resp::{Item, Reader};
use crate::shape::Shape;
use crate::value::{mismatch, parse_float, text as item_text};

/// A record type that decodes from one reply item.
pub trait FromRecord: Sized {
    /// Decodes from `item`, whose children (if any) follow in `reader`.
    fn decode<'a>(item: Item<'a>, reader: &mut Reader<'a>) -> Result<Self, DecodeError>;
}

/// What kind of item a field starts with: how an optional field of an array
/// record is told apart from the next field, and how a text field is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string (simple, bulk, verbatim).
    Text,
    /// An integer.
    Integer,
    /// A double (or its text form).
    Double,
    /// An array, set or map.
    Aggregate,
    /// Anything.
    Any,
}

impl Kind {
    fn matches(self, item: &Item<'_>) -> bool {
        match self {
            Kind::Text => matches!(
                item,
                Item::Simple(_) | Item::Bulk(_) | Item::Verbatim { .. }
            ),
            Kind::Integer => matches!(item, Item::Integer(_)),
            Kind::Double => matches!(item, Item::Double(_) | Item::Bulk(_)),
            Kind::Aggregate => matches!(item, Item::Array(_) | Item::Set(_) | Item::Map(_)),
            Kind::Any => true,
        }
    }
}

/// The number of items of an array record, which must have at least `min`.
pub fn array_len(item: &Item<'_>, record: &'static str, min: usize) -> Result<usize, DecodeError> {
    match *item {
        // RESP3 sends some records as pushes (SUBSCRIBE's confirmations).
        Item::Array(n) | Item::Push(n) if n >= min => Ok(n),
        Item::Array(n) | Item::Push(n) => Err(DecodeError::new(
            format!("{record}: at least {min} items"),
            format!("{n} items"),
        )),
        _ => Err(mismatch("an array (a record)", item)),
    }
}

/// Reads a required field of an array record.
pub fn required<S: Shape>(
    reader: &mut Reader<'_>,
    left: &mut usize,
) -> Result<S::Output, DecodeError> {
    *left = left.saturating_sub(1);
    S::read(reader)
}

/// Reads an optional field of an array record: present when items are left and
/// the next one is of the field's kind.
pub fn optional<S: Shape>(
    reader: &mut Reader<'_>,
    left: &mut usize,
    kind: Kind,
) -> Result<Option<S::Output>, DecodeError> {
    if *left == 0 {
        return Ok(None);
    }
    let mut probe = reader.clone();
    let item = probe.next()?;
    if !kind.matches(&item) {
        return Ok(None);
    }
    let value = S::decode(item, &mut probe)?;
    *reader = probe;
    *left -= 1;
    Ok(Some(value))
}

/// Reads every item left of an array record into its last field.
pub fn rest<S: Shape>(
    reader: &mut Reader<'_>,
    left: &mut usize,
) -> Result<Vec<S::Output>, DecodeError> {
    let items = (0..*left).map(|_| S::read(reader)).collect();
    *left = 0;
    items
}

/// Skips the items of an array record that no field reads (added by newer servers).
pub fn skip(reader: &mut Reader<'_>, left: usize) -> Result<(), DecodeError> {
    for _ in 0..left {
        reader.skip()?;
    }
    Ok(())
}

/// A required field of a map or text record, or an error naming it.
pub fn present<T>(
    value: Option<T>,
    record: &'static str,
    field: &'static str,
) -> Result<T, DecodeError> {
    value.ok_or_else(|| DecodeError::new(format!("{record}: a `{field}` field"), "none"))
}

/// The text of a text record.
pub fn text<'a>(item: &Item<'a>, record: &'static str) -> Result<&'a [u8], DecodeError> {
    let line = item_text(item).ok_or_else(|| {
        DecodeError::new(
            format!("{record}: a line of text"),
            crate::value::describe(item),
        )
    })?;
    // A one-line reply (CLIENT INFO) ends with a line break of its own.
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    Ok(line.strip_suffix(b"\r").unwrap_or(line))
}

/// The `key=value` words of a line (`id=7 addr=127.0.0.1:5000 name=`).
pub fn kv_words(line: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    words(line).map(|word| match word.iter().position(|&b| b == b'=') {
        Some(i) => (&word[..i], &word[i + 1..]),
        None => (word, &word[word.len()..]),
    })
}

/// The space-separated words of a line.
pub fn words(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|&b| b == b' ').filter(|w| !w.is_empty())
}

/// The next word of a words record, or an error naming the missing field.
pub fn next_word<'a>(
    words: &mut impl Iterator<Item = &'a [u8]>,
    record: &'static str,
    field: &'static str,
) -> Result<&'a [u8], DecodeError> {
    words
        .next()
        .ok_or_else(|| DecodeError::new(format!("{record}: a `{field}` word"), "end of line"))
}

/// Decodes a field of a text record from its text, parsed as `kind`.
pub fn text_field<'a, S: Shape>(
    text: &'a [u8],
    kind: Kind,
    reader: &mut Reader<'a>,
) -> Result<S::Output, DecodeError> {
    let item = match kind {
        Kind::Integer => std::str::from_utf8(text)
            .ok()
            .and_then(|s| s.parse().ok())
            .map(Item::Integer)
            .ok_or_else(|| mismatch("an integer", &Item::Bulk(text)))?,
        Kind::Double => parse_float(text)
            .map(Item::Double)
            .ok_or_else(|| mismatch("a number", &Item::Bulk(text)))?,
        _ => Item::Bulk(text),
    };
    S::decode(item, reader)
}

/// The lines of a text reply, without line ends or empty lines.
pub(crate) fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    text.split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty())
}
