//! Pull decoding of a complete frame, item by item, straight from its bytes.

use bytes::Bytes;

use super::ProtocolError;
use super::lex::{self, Line};

/// One item of a RESP frame, in pre-order.
///
/// Aggregates are announced by their length only; their children are the
/// items that follow. Payload slices borrow from the frame; turn one into an
/// owned zero-copy [`Bytes`] with [`Reader::bytes`].
///
/// ```
/// use bytes::Bytes;
/// use redtyped::resp::{Item, Reader};
///
/// let frame = Bytes::from_static(b"*2\r\n$3\r\nfoo\r\n:1\r\n");
/// let mut reader = Reader::new(&frame);
/// assert_eq!(reader.next()?, Item::Array(2));
/// assert_eq!(reader.next()?, Item::Bulk(b"foo"));
/// assert_eq!(reader.next()?, Item::Integer(1));
/// # Ok::<(), redtyped::resp::ProtocolError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Item<'a> {
    /// `+`: a simple string (never contains CR or LF).
    Simple(&'a [u8]),
    /// `-` (simple error) or `!` (bulk error): the error text, usually
    /// starting with an error code such as `ERR` or `WRONGTYPE`.
    Error(&'a [u8]),
    /// `:`: a signed 64-bit integer.
    Integer(i64),
    /// `,`: a double, possibly infinite or NaN.
    Double(f64),
    /// `$`: a bulk string.
    Bulk(&'a [u8]),
    /// `=`: a verbatim string, e.g. format `txt` or `mkd`.
    Verbatim {
        /// The three-byte format, e.g. `b"txt"`.
        format: &'a [u8],
        /// The text after the `fmt:` prefix.
        text: &'a [u8],
    },
    /// RESP3 `_`, or the RESP2 null bulk string `$-1` or null array `*-1`.
    Null,
    /// `#`: a boolean.
    Boolean(bool),
    /// `(`: a big number, as its decimal text with optional sign.
    BigNumber(&'a [u8]),
    /// `*`: an array of this many elements, which follow.
    Array(usize),
    /// `~`: a set of this many elements, which follow.
    Set(usize),
    /// `%`: a map of this many key/value **pairs** (twice as many items
    /// follow, key then value).
    Map(usize),
    /// `>`: an out-of-band push of this many elements, which follow.
    Push(usize),
}

impl Item<'_> {
    /// A short human-readable name of the item's type, for error messages
    /// such as "expected integer, got bulk string".
    ///
    /// ```
    /// # use redtyped::resp::Item;
    /// assert_eq!(Item::Bulk(b"x").kind_name(), "bulk string");
    /// assert_eq!(Item::Map(0).kind_name(), "map");
    /// ```
    #[must_use]
    pub const fn kind_name(&self) -> &'static str {
        match self {
            Item::Simple(_) => "simple string",
            Item::Error(_) => "error",
            Item::Integer(_) => "integer",
            Item::Double(_) => "double",
            Item::Bulk(_) => "bulk string",
            Item::Verbatim { .. } => "verbatim string",
            Item::Null => "null",
            Item::Boolean(_) => "boolean",
            Item::BigNumber(_) => "big number",
            Item::Array(_) => "array",
            Item::Set(_) => "set",
            Item::Map(_) => "map",
            Item::Push(_) => "push",
        }
    }

    /// How many items make up this item's direct children.
    #[inline]
    fn children(&self) -> u64 {
        match *self {
            Item::Array(n) | Item::Set(n) | Item::Push(n) => n as u64,
            Item::Map(n) => 2 * n as u64,
            _ => 0,
        }
    }
}

/// A raw element: an item, or an attribute announcing this many following
/// items (key/value pairs times two) that annotate the next value.
enum Element<'a> {
    Item(Item<'a>),
    Attribute(u64),
}

/// The decoding engine behind [`Reader`], over a plain byte slice.
///
/// Never panics and never recurses: malformed or truncated input is a
/// [`ProtocolError`].
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    #[inline]
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// The next item, skipping attributes.
    #[inline]
    pub(crate) fn next_item(&mut self) -> Result<Item<'a>, ProtocolError> {
        loop {
            match self.element()? {
                Element::Item(item) => return Ok(item),
                Element::Attribute(children) => self.skip_values(children)?,
            }
        }
    }

    /// Skips `remaining` whole values (with all their children and
    /// attributes), with a counter rather than recursion.
    fn skip_values(&mut self, mut remaining: u64) -> Result<(), ProtocolError> {
        while remaining > 0 {
            let at = self.pos;
            let more = match self.element()? {
                // An attribute does not take the place of a value.
                Element::Attribute(children) => children,
                Element::Item(item) => {
                    remaining -= 1;
                    item.children()
                }
            };
            remaining = remaining
                .checked_add(more)
                .ok_or(ProtocolError::new(lex::COUNT_OVERFLOW, at))?;
        }
        Ok(())
    }

    #[inline]
    fn truncated(&self) -> ProtocolError {
        ProtocolError::new(lex::UNEXPECTED_END, self.buf.len())
    }

    #[inline]
    fn int_line(&self, from: usize) -> Result<(i64, usize), ProtocolError> {
        lex::int_line(self.buf, from)?.ok_or_else(|| self.truncated())
    }

    #[inline]
    fn crlf_at(&self, at: usize) -> Result<usize, ProtocolError> {
        lex::crlf_at(self.buf, at)?.ok_or_else(|| self.truncated())
    }

    /// Decodes the element at the current position and moves past it (past
    /// the header only, for aggregates).
    fn element(&mut self) -> Result<Element<'a>, ProtocolError> {
        let buf = self.buf;
        let start = self.pos;
        let Some(&tag) = buf.get(start) else {
            return Err(self.truncated());
        };
        let (element, next) = match tag {
            b'$' | b'!' | b'=' => {
                let (len, payload) = self.int_line(start + 1)?;
                if len < 0 {
                    if len == -1 && tag == b'$' {
                        (Element::Item(Item::Null), payload)
                    } else {
                        return Err(ProtocolError::new(lex::INVALID_LENGTH, start + 1));
                    }
                } else {
                    let data = usize::try_from(len)
                        .ok()
                        .and_then(|len| buf.get(payload..payload.checked_add(len)?))
                        .ok_or_else(|| self.truncated())?;
                    let next = self.crlf_at(payload + data.len())?;
                    let item = match tag {
                        b'$' => Item::Bulk(data),
                        b'!' => Item::Error(data),
                        _ => match data.split_first_chunk::<3>() {
                            Some((format, [b':', text @ ..])) => Item::Verbatim { format, text },
                            _ => return Err(ProtocolError::new(lex::INVALID_VERBATIM, start + 1)),
                        },
                    };
                    (Element::Item(item), next)
                }
            }
            b'*' | b'%' | b'~' | b'>' | b'|' => {
                let (len, next) = self.int_line(start + 1)?;
                if len < 0 {
                    if len == -1 && tag == b'*' {
                        (Element::Item(Item::Null), next)
                    } else {
                        return Err(ProtocolError::new(lex::INVALID_LENGTH, start + 1));
                    }
                } else {
                    let len = len.unsigned_abs();
                    let pairs = tag == b'%' || tag == b'|';
                    // len <= i64::MAX, so doubling cannot overflow a u64.
                    let children = if pairs { len * 2 } else { len };
                    // Every value takes at least MIN_VALUE_LEN bytes, so this
                    // bounds the count by the frame size: callers may size
                    // collections by it without trusting the network.
                    let room = (buf.len() - next) / lex::MIN_VALUE_LEN;
                    if children > room as u64 {
                        return Err(ProtocolError::new(lex::AGGREGATE_EXCEEDS_FRAME, start + 1));
                    }
                    // len <= children <= room, a usize.
                    let n = len as usize;
                    let element = match tag {
                        b'*' => Element::Item(Item::Array(n)),
                        b'%' => Element::Item(Item::Map(n)),
                        b'~' => Element::Item(Item::Set(n)),
                        b'>' => Element::Item(Item::Push(n)),
                        _ => Element::Attribute(children),
                    };
                    (element, next)
                }
            }
            b':' => {
                let (value, next) = self.int_line(start + 1)?;
                (Element::Item(Item::Integer(value)), next)
            }
            b'+' | b'-' | b',' | b'(' => {
                let text = start + 1;
                let cr = match lex::text_line(buf, text)? {
                    Line::Complete(cr) => cr,
                    Line::Partial(_) => return Err(self.truncated()),
                };
                let content = &buf[text..cr];
                let item = match tag {
                    b'+' => Item::Simple(content),
                    b'-' => Item::Error(content),
                    b',' => Item::Double(
                        lex::parse_double(content)
                            .ok_or(ProtocolError::new(lex::INVALID_DOUBLE, text))?,
                    ),
                    _ if lex::is_big_number(content) => Item::BigNumber(content),
                    _ => return Err(ProtocolError::new(lex::INVALID_BIG_NUMBER, text)),
                };
                (Element::Item(item), cr + 2)
            }
            b'_' => (Element::Item(Item::Null), self.crlf_at(start + 1)?),
            b'#' => {
                let value = match buf.get(start + 1) {
                    Some(b't') => true,
                    Some(b'f') => false,
                    Some(_) => return Err(ProtocolError::new(lex::INVALID_BOOLEAN, start + 1)),
                    None => return Err(self.truncated()),
                };
                (
                    Element::Item(Item::Boolean(value)),
                    self.crlf_at(start + 2)?,
                )
            }
            _ => return Err(ProtocolError::new(lex::UNKNOWN_TYPE, start)),
        };
        self.pos = next;
        Ok(element)
    }
}

/// Decodes a complete frame item by item, in pre-order, straight from its
/// bytes: no intermediate value tree and no allocation.
///
/// Attributes are skipped transparently wherever they occur. Although frames
/// are normally delimited and validated by a
/// [`FrameScanner`](super::FrameScanner) first, the reader does not rely on
/// it: it never panics, and malformed or truncated input is a
/// [`ProtocolError`] (with offsets relative to the start of the frame).
///
/// ```
/// use bytes::Bytes;
/// use redtyped::resp::{Item, Reader};
///
/// let frame = Bytes::from_static(b"*2\r\n$3\r\nfoo\r\n:1\r\n");
/// let mut reader = Reader::new(&frame);
/// assert_eq!(reader.next()?, Item::Array(2));
/// let Item::Bulk(foo) = reader.next()? else { panic!("expected a bulk string") };
/// let owned: Bytes = reader.bytes(foo); // zero-copy slice of `frame`
/// assert_eq!(reader.next()?, Item::Integer(1));
/// assert!(reader.is_empty());
/// assert_eq!(owned, "foo");
/// # Ok::<(), redtyped::resp::ProtocolError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    frame: &'a Bytes,
    cursor: Cursor<'a>,
}

impl<'a> Reader<'a> {
    /// Creates a reader positioned at the start of `frame`.
    ///
    /// ```
    /// # use bytes::Bytes;
    /// # use redtyped::resp::Reader;
    /// let frame = Bytes::from_static(b"+OK\r\n");
    /// let mut reader = Reader::new(&frame);
    /// ```
    #[inline]
    #[must_use]
    pub fn new(frame: &'a Bytes) -> Self {
        Self {
            frame,
            cursor: Cursor::new(frame.as_ref()),
        }
    }

    /// Decodes the next item in pre-order, skipping any attributes before
    /// it. For an aggregate only its header is consumed; its children are
    /// the following items. The count of an aggregate is at most a third of
    /// the bytes left in the frame (anything larger is an error), so it can
    /// be used to size a collection.
    ///
    /// # Errors
    ///
    /// A [`ProtocolError`] if the input is malformed or truncated, including
    /// when the reader [`is_empty`](Self::is_empty) ("unexpected end of
    /// frame").
    ///
    /// # Examples
    ///
    /// ```
    /// # use bytes::Bytes;
    /// # use redtyped::resp::{Item, Reader};
    /// let frame = Bytes::from_static(b"|1\r\n+ttl\r\n:60\r\n%1\r\n+a\r\n#t\r\n");
    /// let mut reader = Reader::new(&frame);
    /// assert_eq!(reader.next()?, Item::Map(1)); // the attribute was skipped
    /// assert_eq!(reader.next()?, Item::Simple(b"a"));
    /// assert_eq!(reader.next()?, Item::Boolean(true));
    /// assert!(reader.next().is_err()); // nothing left
    /// # Ok::<(), redtyped::resp::ProtocolError>(())
    /// ```
    #[inline]
    #[allow(clippy::should_implement_trait)] // fallible and lending: not an Iterator
    pub fn next(&mut self) -> Result<Item<'a>, ProtocolError> {
        self.cursor.next_item()
    }

    /// Skips the next whole value, including all its children and any
    /// attributes, without recursion.
    ///
    /// # Errors
    ///
    /// A [`ProtocolError`] if the value is malformed or truncated.
    ///
    /// # Examples
    ///
    /// ```
    /// # use bytes::Bytes;
    /// # use redtyped::resp::{Item, Reader};
    /// let frame = Bytes::from_static(b"*2\r\n*2\r\n:1\r\n:2\r\n+last\r\n");
    /// let mut reader = Reader::new(&frame);
    /// assert_eq!(reader.next()?, Item::Array(2));
    /// reader.skip()?; // the inner array
    /// assert_eq!(reader.next()?, Item::Simple(b"last"));
    /// # Ok::<(), redtyped::resp::ProtocolError>(())
    /// ```
    #[inline]
    pub fn skip(&mut self) -> Result<(), ProtocolError> {
        self.cursor.skip_values(1)
    }

    /// A zero-copy [`Bytes`] for a payload slice obtained from this reader
    /// (from [`Item::Bulk`], [`Item::Simple`], ...), sharing the frame's
    /// buffer. A slice that does not lie within the frame is copied instead.
    ///
    /// ```
    /// # use bytes::Bytes;
    /// # use redtyped::resp::{Item, Reader};
    /// let frame = Bytes::from_static(b"$5\r\nhello\r\n");
    /// let mut reader = Reader::new(&frame);
    /// let Item::Bulk(payload) = reader.next()? else { panic!("expected a bulk string") };
    /// let value: Bytes = reader.bytes(payload);
    /// assert_eq!(value, "hello");
    /// # Ok::<(), redtyped::resp::ProtocolError>(())
    /// ```
    #[inline]
    #[must_use]
    pub fn bytes(&self, payload: &'a [u8]) -> Bytes {
        let offset = payload
            .as_ptr()
            .addr()
            .wrapping_sub(self.frame.as_ptr().addr());
        if offset <= self.frame.len() && payload.len() <= self.frame.len() - offset {
            self.frame.slice_ref(payload)
        } else {
            Bytes::copy_from_slice(payload)
        }
    }

    /// Whether the whole frame has been consumed.
    ///
    /// ```
    /// # use bytes::Bytes;
    /// # use redtyped::resp::Reader;
    /// let frame = Bytes::from_static(b":1\r\n");
    /// let mut reader = Reader::new(&frame);
    /// reader.next()?;
    /// assert!(reader.is_empty());
    /// # Ok::<(), redtyped::resp::ProtocolError>(())
    /// ```
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.cursor.pos >= self.cursor.buf.len()
    }

    /// The byte offset of the next unread item within the frame.
    ///
    /// ```
    /// # use bytes::Bytes;
    /// # use redtyped::resp::Reader;
    /// let frame = Bytes::from_static(b":1\r\n:2\r\n");
    /// let mut reader = Reader::new(&frame);
    /// reader.next()?;
    /// assert_eq!(reader.position(), 4);
    /// # Ok::<(), redtyped::resp::ProtocolError>(())
    /// ```
    #[inline]
    #[must_use]
    pub fn position(&self) -> usize {
        self.cursor.pos
    }

    /// The frame being read.
    ///
    /// ```
    /// # use bytes::Bytes;
    /// # use redtyped::resp::Reader;
    /// let frame = Bytes::from_static(b":1\r\n");
    /// assert_eq!(Reader::new(&frame).frame(), &frame);
    /// ```
    #[inline]
    #[must_use]
    pub fn frame(&self) -> &'a Bytes {
        self.frame
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads every item of `frame` until it is consumed.
    fn read_all(frame: &Bytes) -> Result<Vec<Item<'_>>, ProtocolError> {
        let mut reader = Reader::new(frame);
        let mut items = Vec::new();
        while !reader.is_empty() {
            items.push(reader.next()?);
        }
        Ok(items)
    }

    fn check(input: &'static [u8], expected: &[Item<'_>]) {
        let frame = Bytes::from_static(input);
        assert_eq!(
            read_all(&frame).as_deref(),
            Ok(expected),
            "{}",
            input.escape_ascii()
        );
        // Skipping the whole value consumes exactly the frame.
        let mut reader = Reader::new(&frame);
        reader.skip().unwrap();
        assert!(reader.is_empty());
        // Every truncation is an error, never a panic or a success.
        for cut in 0..input.len() {
            let frame = frame.slice(..cut);
            let mut reader = Reader::new(&frame);
            assert!(
                reader.skip().is_err(),
                "prefix {cut} of {}",
                input.escape_ascii()
            );
        }
    }

    fn error(input: &'static [u8]) -> ProtocolError {
        let frame = Bytes::from_static(input);
        let err = read_all(&frame).unwrap_err();
        assert_eq!(Reader::new(&frame).skip().unwrap_err(), err);
        err
    }

    #[test]
    fn scalars() {
        check(b"+OK\r\n", &[Item::Simple(b"OK")]);
        check(b"+\r\n", &[Item::Simple(b"")]);
        check(b"-ERR no\r\n", &[Item::Error(b"ERR no")]);
        check(b"!9\r\nERR\r\nno!!\r\n", &[Item::Error(b"ERR\r\nno!!")]);
        check(b":-42\r\n", &[Item::Integer(-42)]);
        check(b":9223372036854775807\r\n", &[Item::Integer(i64::MAX)]);
        check(b":-9223372036854775808\r\n", &[Item::Integer(i64::MIN)]);
        check(b",1.5\r\n", &[Item::Double(1.5)]);
        check(b",-2.5e-3\r\n", &[Item::Double(-0.0025)]);
        check(b",inf\r\n", &[Item::Double(f64::INFINITY)]);
        check(b",-inf\r\n", &[Item::Double(f64::NEG_INFINITY)]);
        let frame = Bytes::from_static(b",nan\r\n");
        assert!(matches!(Reader::new(&frame).next(), Ok(Item::Double(d)) if d.is_nan()));
        check(b"$5\r\nhe\r\no\r\n", &[Item::Bulk(b"he\r\no")]);
        check(b"$0\r\n\r\n", &[Item::Bulk(b"")]);
        check(
            b"=15\r\ntxt:Some string\r\n",
            &[Item::Verbatim {
                format: b"txt",
                text: b"Some string",
            }],
        );
        check(
            b"=4\r\nmkd:\r\n",
            &[Item::Verbatim {
                format: b"mkd",
                text: b"",
            }],
        );
        check(b"_\r\n", &[Item::Null]);
        check(b"$-1\r\n", &[Item::Null]);
        check(b"*-1\r\n", &[Item::Null]);
        check(b"#t\r\n", &[Item::Boolean(true)]);
        check(b"#f\r\n", &[Item::Boolean(false)]);
        check(
            b"(-12345678901234567890\r\n",
            &[Item::BigNumber(b"-12345678901234567890")],
        );
    }

    #[test]
    fn aggregates() {
        check(b"*0\r\n", &[Item::Array(0)]);
        check(b"%0\r\n", &[Item::Map(0)]);
        check(b"~0\r\n", &[Item::Set(0)]);
        check(b">0\r\n", &[Item::Push(0)]);
        check(
            b"*3\r\n$3\r\nfoo\r\n$-1\r\n*2\r\n:1\r\n*-1\r\n",
            &[
                Item::Array(3),
                Item::Bulk(b"foo"),
                Item::Null,
                Item::Array(2),
                Item::Integer(1),
                Item::Null,
            ],
        );
        check(
            b"%2\r\n+a\r\n:1\r\n+b\r\n~1\r\n#f\r\n",
            &[
                Item::Map(2),
                Item::Simple(b"a"),
                Item::Integer(1),
                Item::Simple(b"b"),
                Item::Set(1),
                Item::Boolean(false),
            ],
        );
        check(
            b">3\r\n$7\r\nmessage\r\n$4\r\nchan\r\n$2\r\nhi\r\n",
            &[
                Item::Push(3),
                Item::Bulk(b"message"),
                Item::Bulk(b"chan"),
                Item::Bulk(b"hi"),
            ],
        );
    }

    #[test]
    fn attributes_are_transparent() {
        // Before a top-level value, with a nested aggregate inside.
        check(
            b"|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.5\r\n*2\r\n:1\r\n:2\r\n",
            &[Item::Array(2), Item::Integer(1), Item::Integer(2)],
        );
        // Inside an array, before an element, chained, and empty.
        check(
            b"*2\r\n|1\r\n+ttl\r\n:3600\r\n:1\r\n|0\r\n|1\r\n+a\r\n|1\r\n+x\r\n+y\r\n+b\r\n:2\r\n",
            &[Item::Array(2), Item::Integer(1), Item::Integer(2)],
        );
        // Before a map key and before a map value.
        check(
            b"%1\r\n|0\r\n+k\r\n|1\r\n+a\r\n+b\r\n+v\r\n",
            &[Item::Map(1), Item::Simple(b"k"), Item::Simple(b"v")],
        );
        // An attribute with nothing after it is a truncated frame.
        assert_eq!(error(b"|1\r\n+a\r\n+b\r\n").reason(), lex::UNEXPECTED_END);
    }

    #[test]
    fn skip_whole_values() {
        let frame = Bytes::from_static(
            b"*3\r\n%1\r\n+k\r\n*1\r\n|1\r\n+a\r\n*1\r\n:0\r\n:1\r\n:2\r\n+last\r\n",
        );
        let mut reader = Reader::new(&frame);
        assert_eq!(reader.next(), Ok(Item::Array(3)));
        reader.skip().unwrap();
        assert_eq!(reader.next(), Ok(Item::Integer(2)));
        assert_eq!(reader.next(), Ok(Item::Simple(b"last")));
        assert!(reader.is_empty());
        assert_eq!(
            reader.next(),
            Err(ProtocolError::new(lex::UNEXPECTED_END, frame.len()))
        );
        assert_eq!(
            reader.skip(),
            Err(ProtocolError::new(lex::UNEXPECTED_END, frame.len()))
        );
    }

    #[test]
    fn deep_nesting_without_recursion() {
        let mut input = b"*1\r\n".repeat(100_000);
        input.extend_from_slice(b"|1\r\n".repeat(100_000).as_slice());
        input.extend_from_slice(b":1\r\n:2\r\n".repeat(100_000).as_slice());
        input.extend_from_slice(b":7\r\n");
        let frame = Bytes::from(input);
        let mut reader = Reader::new(&frame);
        reader.skip().unwrap();
        assert!(reader.is_empty());
        let mut reader = Reader::new(&frame);
        for _ in 0..100_000 {
            assert_eq!(reader.next(), Ok(Item::Array(1)));
        }
        assert_eq!(reader.next(), Ok(Item::Integer(7)));
        assert!(reader.is_empty());
    }

    #[test]
    fn malformed() {
        let cases: &[(&'static [u8], &str, usize)] = &[
            (b"?\r\n", lex::UNKNOWN_TYPE, 0),
            (b":1x\r\n", lex::INVALID_INTEGER, 1),
            (b":+1\r\n", lex::INVALID_INTEGER, 1),
            (b":\r\n", lex::INVALID_INTEGER, 1),
            (b":99999999999999999999\r\n", lex::INVALID_INTEGER, 1),
            (b":1\r", lex::UNEXPECTED_END, 3),
            (b":1\rx", lex::EXPECTED_CRLF, 3),
            (b"+a\nb\r\n", lex::BARE_LF, 2),
            (b"+ab", lex::UNEXPECTED_END, 3),
            (b"$3\r\nab\r\n", lex::EXPECTED_CRLF, 7),
            (b"$3\r\nabcd\r\n", lex::EXPECTED_CRLF, 7),
            (b"$10\r\nabc\r\n", lex::UNEXPECTED_END, 10),
            (b"$9223372036854775807\r\nabc\r\n", lex::UNEXPECTED_END, 27),
            (b"$-2\r\n", lex::INVALID_LENGTH, 1),
            (b"!-1\r\n", lex::INVALID_LENGTH, 1),
            (b"%-1\r\n", lex::INVALID_LENGTH, 1),
            (b"|-1\r\n", lex::INVALID_LENGTH, 1),
            (b"=3\r\ntxt\r\n", lex::INVALID_VERBATIM, 1),
            (b"=4\r\ntxt-\r\n", lex::INVALID_VERBATIM, 1),
            (b",1..5\r\n", lex::INVALID_DOUBLE, 1),
            (b"(1.5\r\n", lex::INVALID_BIG_NUMBER, 1),
            (b"#x\r\n", lex::INVALID_BOOLEAN, 1),
            (b"#", lex::UNEXPECTED_END, 1),
            (b"_x\r\n", lex::EXPECTED_CRLF, 1),
            (b"*2\r\n:1\r\n", lex::AGGREGATE_EXCEEDS_FRAME, 1),
            (b"*9223372036854775807\r\n", lex::AGGREGATE_EXCEEDS_FRAME, 1),
            (b"%2\r\n:1\r\n:2\r\n", lex::AGGREGATE_EXCEEDS_FRAME, 1),
            (b"|1\r\n+a\r\n", lex::AGGREGATE_EXCEEDS_FRAME, 1),
        ];
        let empty = Bytes::new();
        assert_eq!(
            Reader::new(&empty).next(),
            Err(ProtocolError::new(lex::UNEXPECTED_END, 0))
        );
        for &(input, reason, offset) in cases {
            assert_eq!(
                error(input),
                ProtocolError::new(reason, offset),
                "{}",
                input.escape_ascii()
            );
        }
    }

    #[test]
    fn aggregate_counts_are_bounded_by_the_frame() {
        // Exactly enough room for two minimal values is accepted...
        let frame = Bytes::from_static(b"*2\r\n_\r\n_\r\n");
        assert_eq!(Reader::new(&frame).next(), Ok(Item::Array(2)));
        // ...one more is not, before reading any child.
        let frame = Bytes::from_static(b"*3\r\n_\r\n_\r\n");
        assert_eq!(
            Reader::new(&frame).next().unwrap_err().reason(),
            lex::AGGREGATE_EXCEEDS_FRAME
        );
    }

    #[test]
    fn zero_copy_bytes() {
        let frame = Bytes::from(b"*2\r\n$5\r\nhello\r\n+world\r\n".to_vec());
        let mut reader = Reader::new(&frame);
        assert_eq!(reader.next(), Ok(Item::Array(2)));
        let Ok(Item::Bulk(hello)) = reader.next() else {
            panic!("expected bulk")
        };
        let owned = reader.bytes(hello);
        assert_eq!(owned, "hello");
        assert_eq!(owned.as_ptr(), frame[8..].as_ptr());
        let Ok(Item::Simple(world)) = reader.next() else {
            panic!("expected simple")
        };
        assert_eq!(reader.bytes(world).as_ptr(), frame[16..].as_ptr());
        assert_eq!(reader.bytes(&world[5..]), "");
        // A slice from elsewhere is copied, not a panic.
        let other = Bytes::from_static(b"elsewhere");
        assert_eq!(reader.bytes(&other), "elsewhere");
        assert!(reader.is_empty());
        assert_eq!(reader.position(), frame.len());
        assert_eq!(reader.frame(), &frame);
    }

    #[test]
    fn position_advances_per_item() {
        let frame = Bytes::from_static(b"*2\r\n:1\r\n|1\r\n+a\r\n+b\r\n:2\r\n");
        let mut reader = Reader::new(&frame);
        assert_eq!(reader.position(), 0);
        reader.next().unwrap();
        assert_eq!(reader.position(), 4);
        reader.next().unwrap();
        assert_eq!(reader.position(), 8);
        assert_eq!(reader.next(), Ok(Item::Integer(2)));
        assert_eq!(reader.position(), frame.len());
        assert_eq!(reader.frame(), &frame);
    }

    #[test]
    fn kind_names() {
        let names: Vec<_> = [
            Item::Simple(b""),
            Item::Error(b""),
            Item::Integer(0),
            Item::Double(0.0),
            Item::Bulk(b""),
            Item::Verbatim {
                format: b"txt",
                text: b"",
            },
            Item::Null,
            Item::Boolean(true),
            Item::BigNumber(b"1"),
            Item::Array(0),
            Item::Set(0),
            Item::Map(0),
            Item::Push(0),
        ]
        .iter()
        .map(Item::kind_name)
        .collect();
        assert_eq!(
            names,
            [
                "simple string",
                "error",
                "integer",
                "double",
                "bulk string",
                "verbatim string",
                "null",
                "boolean",
                "big number",
                "array",
                "set",
                "map",
                "push"
            ]
        );
    }
}
