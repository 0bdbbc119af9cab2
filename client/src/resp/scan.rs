//! Resumable frame-boundary scanning.

use super::lex::{self, Line};
use super::reader::{Cursor, Item};
use super::{Limits, ProtocolError};

/// Initial capacity of the scanner's stack of open aggregates; with the
/// default `max_depth` of 128 the stack never grows after construction.
const INITIAL_STACK_CAPACITY: usize = 128;

/// One open aggregate: how many child values are still to come, and whether
/// it is an attribute (which, once complete, is not itself a value of its
/// parent: the value following it is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Level {
    remaining: u64,
    attribute: bool,
}

/// What the element at the current position turned out to be.
enum Step {
    /// A complete value (scalar, null, or empty aggregate) ending here.
    Value(usize),
    /// A non-empty aggregate header (pushed on the stack), or an empty
    /// attribute; the next element starts here.
    Open(usize),
}

/// Finds where one complete top-level RESP2/RESP3 frame ends.
///
/// The driver feeds it the unconsumed bytes of its read buffer, whose first
/// byte is the first byte of the next frame. The scanner validates as far as
/// the bytes go and remembers how far it got (an offset, a resume point for
/// an unterminated line, and a small stack of remaining child counts), so
/// when a large reply arrives in many reads each byte is examined about once
/// in total rather than once per read. Bulk payloads are never looked at
/// byte by byte: only their terminating CRLF is checked.
///
/// What is validated: the type byte; CRLF line ends; integers in Redis's
/// canonical form without overflow; lengths (`-1` only for the RESP2 nulls
/// `$-1` and `*-1`, any other negative length is an error) and nesting depth
/// within [`Limits`]; the CRLF after each bulk payload; no CR or LF inside
/// simple strings and errors; booleans `t`/`f`; doubles (including `inf`,
/// `-inf`, `nan` and exponents); big numbers; the `fmt:` prefix of verbatim
/// strings. An attribute (`|`) is not a frame by itself: it and the value
/// that follows are scanned as one frame. RESP3 streamed strings and
/// aggregates (`$?`, `*?`), which Redis never sends, are rejected.
///
/// Scanning does not allocate, except that the stack grows past its initial
/// capacity of `min(max_depth, 128)` levels when deeper nesting is allowed
/// and occurs.
///
/// ```
/// use redtyped::resp::{FrameScanner, Limits};
///
/// let mut scanner = FrameScanner::new(Limits::default());
/// assert_eq!(scanner.scan(b"*2\r\n$3\r\nfoo"), Ok(None)); // need more
/// assert_eq!(scanner.scan(b"*2\r\n$3\r\nfoo\r\n:1\r\n+OK"), Ok(Some(17)));
/// ```
#[derive(Debug, Clone)]
pub struct FrameScanner {
    limits: Limits,
    /// Offset of the first element not yet fully validated.
    pos: usize,
    /// Where to resume searching for the CR of a free-text line starting at
    /// `pos` (0 when there is none pending).
    line_resume: usize,
    /// Open aggregates, innermost last.
    stack: Vec<Level>,
}

impl FrameScanner {
    /// Creates a scanner enforcing `limits`.
    ///
    /// ```
    /// # use redtyped::resp::{FrameScanner, Limits};
    /// let scanner = FrameScanner::new(Limits::default());
    /// ```
    #[must_use]
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            pos: 0,
            line_resume: 0,
            stack: Vec::with_capacity(limits.max_depth.min(INITIAL_STACK_CAPACITY)),
        }
    }

    /// The limits this scanner enforces.
    ///
    /// ```
    /// # use redtyped::resp::{FrameScanner, Limits};
    /// let scanner = FrameScanner::new(Limits::default());
    /// assert_eq!(scanner.limits(), &Limits::default());
    /// ```
    #[inline]
    #[must_use]
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Forgets any partially scanned frame, so that the next
    /// [`scan`](Self::scan) starts afresh at `buf[0]`. Needed only when the
    /// caller abandons a partial frame (e.g. on reconnect); a completed frame
    /// or an error resets the scanner by itself.
    ///
    /// ```
    /// # use redtyped::resp::{FrameScanner, Limits};
    /// let mut scanner = FrameScanner::new(Limits::default());
    /// assert_eq!(scanner.scan(b"*2\r\n:1\r\n"), Ok(None)); // partial
    /// scanner.reset(); // e.g. a new connection: a new stream
    /// assert_eq!(scanner.scan(b"+OK\r\n"), Ok(Some(5)));
    /// ```
    #[inline]
    pub fn reset(&mut self) {
        self.pos = 0;
        self.line_resume = 0;
        self.stack.clear();
    }

    /// Scans `buf`, whose first byte is the first byte of the next frame.
    ///
    /// Returns `Ok(Some(n))` when `buf[..n]` is exactly one complete
    /// top-level frame (`0 < n <= buf.len()`); the scanner is then reset for the
    /// next frame, which starts at `buf[n]`, so the caller should split
    /// those `n` bytes off before scanning again.
    ///
    /// Returns `Ok(None)` when more bytes are needed. The scanner remembers
    /// how far it validated; the caller promises that the next call passes
    /// the same bytes again followed by more (the usual read-buffer pattern),
    /// or calls [`reset`](Self::reset) first.
    ///
    /// # Errors
    ///
    /// A [`ProtocolError`] on malformed input or input outside the
    /// [`Limits`], or if `buf` is shorter than on the previous call; the
    /// connection should then be dropped (the scanner resets itself).
    ///
    /// # Examples
    ///
    /// ```
    /// # use redtyped::resp::{FrameScanner, Limits};
    /// let mut scanner = FrameScanner::new(Limits::default());
    /// assert_eq!(scanner.scan(b"$5\r\nhel"), Ok(None));
    /// assert_eq!(scanner.scan(b"$5\r\nhello\r\n:1\r\n"), Ok(Some(11)));
    /// assert!(scanner.scan(b"?\r\n").is_err());
    /// ```
    pub fn scan(&mut self, buf: &[u8]) -> Result<Option<usize>, ProtocolError> {
        let result = self.scan_inner(buf);
        if result.is_err() {
            self.reset();
        }
        result
    }

    fn scan_inner(&mut self, buf: &[u8]) -> Result<Option<usize>, ProtocolError> {
        if self.pos > buf.len() {
            return Err(ProtocolError::new(lex::INPUT_SHRANK, buf.len()));
        }
        loop {
            let start = self.pos;
            let Some(&tag) = buf.get(start) else {
                return Ok(None);
            };
            let step = match tag {
                b'+' | b'-' | b',' | b'(' => {
                    let text = start + 1;
                    match lex::text_line(buf, self.line_resume.max(text))? {
                        Line::Partial(resume) => {
                            if resume - text > self.limits.max_bulk_len {
                                return Err(ProtocolError::new(lex::LINE_TOO_LONG, start));
                            }
                            self.line_resume = resume;
                            return Ok(None);
                        }
                        Line::Complete(cr) => {
                            let content = &buf[text..cr];
                            if content.len() > self.limits.max_bulk_len {
                                return Err(ProtocolError::new(lex::LINE_TOO_LONG, start));
                            }
                            if tag == b',' && lex::parse_double(content).is_none() {
                                return Err(ProtocolError::new(lex::INVALID_DOUBLE, text));
                            }
                            if tag == b'(' && !lex::is_big_number(content) {
                                return Err(ProtocolError::new(lex::INVALID_BIG_NUMBER, text));
                            }
                            Step::Value(cr + 2)
                        }
                    }
                }
                b':' => match lex::int_line(buf, start + 1)? {
                    Some((_, next)) => Step::Value(next),
                    None => return Ok(None),
                },
                b'_' => match lex::crlf_at(buf, start + 1)? {
                    Some(next) => Step::Value(next),
                    None => return Ok(None),
                },
                b'#' => match buf.get(start + 1) {
                    None => return Ok(None),
                    Some(b't' | b'f') => match lex::crlf_at(buf, start + 2)? {
                        Some(next) => Step::Value(next),
                        None => return Ok(None),
                    },
                    Some(_) => return Err(ProtocolError::new(lex::INVALID_BOOLEAN, start + 1)),
                },
                b'$' | b'!' | b'=' => {
                    let Some((len, payload)) = lex::int_line(buf, start + 1)? else {
                        return Ok(None);
                    };
                    match self.blob(buf, tag, start, len, payload)? {
                        Some(next) => Step::Value(next),
                        None => return Ok(None),
                    }
                }
                b'*' | b'%' | b'~' | b'>' | b'|' => {
                    let Some((len, next)) = lex::int_line(buf, start + 1)? else {
                        return Ok(None);
                    };
                    self.aggregate(tag, start, len, next)?
                }
                _ => return Err(ProtocolError::new(lex::UNKNOWN_TYPE, start)),
            };
            self.line_resume = 0;
            match step {
                Step::Open(next) => self.pos = next,
                Step::Value(next) => {
                    self.pos = next;
                    if self.complete_value() {
                        self.reset();
                        return Ok(Some(next));
                    }
                }
            }
        }
    }

    /// Validates a bulk string, bulk error or verbatim string whose payload
    /// of `len` bytes starts at `payload`; returns the offset past its CRLF,
    /// or `None` if the payload has not fully arrived.
    #[inline]
    fn blob(
        &self,
        buf: &[u8],
        tag: u8,
        start: usize,
        len: i64,
        payload: usize,
    ) -> Result<Option<usize>, ProtocolError> {
        if len < 0 {
            return if len == -1 && tag == b'$' {
                Ok(Some(payload))
            } else {
                Err(ProtocolError::new(lex::INVALID_LENGTH, start + 1))
            };
        }
        let too_long = || ProtocolError::new(lex::BULK_TOO_LONG, start + 1);
        let len = usize::try_from(len).map_err(|_| too_long())?;
        if len > self.limits.max_bulk_len {
            return Err(too_long());
        }
        if tag == b'=' && len < 4 {
            return Err(ProtocolError::new(lex::INVALID_VERBATIM, start + 1));
        }
        let end = payload.checked_add(len).ok_or_else(too_long)?;
        let Some(next) = lex::crlf_at(buf, end)? else {
            return Ok(None);
        };
        if tag == b'=' && buf[payload + 3] != b':' {
            return Err(ProtocolError::new(lex::INVALID_VERBATIM, payload + 3));
        }
        Ok(Some(next))
    }

    /// Handles an aggregate header (`* % ~ > |`) with declared length `len`.
    #[inline]
    fn aggregate(
        &mut self,
        tag: u8,
        start: usize,
        len: i64,
        next: usize,
    ) -> Result<Step, ProtocolError> {
        if len < 0 {
            return if len == -1 && tag == b'*' {
                Ok(Step::Value(next))
            } else {
                Err(ProtocolError::new(lex::INVALID_LENGTH, start + 1))
            };
        }
        if self.stack.len() >= self.limits.max_depth {
            return Err(ProtocolError::new(lex::TOO_DEEP, start));
        }
        let len = len.unsigned_abs();
        if len > u64::try_from(self.limits.max_aggregate_len).unwrap_or(u64::MAX) {
            return Err(ProtocolError::new(lex::AGGREGATE_TOO_LONG, start + 1));
        }
        let attribute = tag == b'|';
        // len <= i64::MAX, so doubling cannot overflow a u64.
        let children = if attribute || tag == b'%' {
            len * 2
        } else {
            len
        };
        if children == 0 {
            // An empty attribute annotates the value that follows; any other
            // empty aggregate is a complete value.
            return Ok(if attribute {
                Step::Open(next)
            } else {
                Step::Value(next)
            });
        }
        self.stack.push(Level {
            remaining: children,
            attribute,
        });
        Ok(Step::Open(next))
    }

    /// Records that a value just completed: counts it against the innermost
    /// open aggregate, closing every aggregate it completes. Returns whether
    /// that completed the top-level frame.
    #[inline]
    fn complete_value(&mut self) -> bool {
        while let Some(level) = self.stack.last_mut() {
            level.remaining -= 1;
            if level.remaining != 0 {
                return false;
            }
            let attribute = level.attribute;
            self.stack.pop();
            if attribute {
                // The attribute's value is still to come.
                return false;
            }
            // The aggregate itself is now a complete value of its parent.
        }
        true
    }
}

/// Whether a complete frame (as delimited by [`FrameScanner::scan`]) is an
/// out-of-band RESP3 push message (`>`), such as a pub/sub message or a
/// client-side-caching invalidation, rather than the reply to a command.
///
/// The driver uses this to route pushes away from the queue of callers
/// waiting for replies. A push preceded by an attribute is recognised too;
/// malformed input is simply "not a push".
///
/// ```
/// use redtyped::resp::is_push;
///
/// assert!(is_push(b">2\r\n+message\r\n+hello\r\n"));
/// assert!(!is_push(b"*2\r\n+message\r\n+hello\r\n"));
/// ```
#[inline]
#[must_use]
pub fn is_push(frame: &[u8]) -> bool {
    match frame.first() {
        Some(b'>') => true,
        Some(b'|') => matches!(Cursor::new(frame).next_item(), Ok(Item::Push(_))),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_all(input: &[u8]) -> Result<Option<usize>, ProtocolError> {
        FrameScanner::new(Limits::default()).scan(input)
    }

    fn complete(input: &[u8]) {
        assert_eq!(
            scan_all(input),
            Ok(Some(input.len())),
            "{}",
            input.escape_ascii()
        );
        // Every proper prefix is incomplete, whether scanned in one go or
        // byte by byte with the same scanner.
        for cut in 0..input.len() {
            assert_eq!(
                scan_all(&input[..cut]),
                Ok(None),
                "prefix {cut} of {}",
                input.escape_ascii()
            );
        }
        let mut scanner = FrameScanner::new(Limits::default());
        for cut in 0..input.len() {
            assert_eq!(scanner.scan(&input[..cut]), Ok(None));
        }
        assert_eq!(scanner.scan(input), Ok(Some(input.len())));
        // Trailing bytes of the next frame are not included.
        let mut more = input.to_vec();
        more.extend_from_slice(b"+next\r\n");
        assert_eq!(scan_all(&more), Ok(Some(input.len())));
    }

    fn error(input: &[u8]) -> ProtocolError {
        match scan_all(input) {
            Err(e) => e,
            other => panic!("{} scanned as {other:?}", input.escape_ascii()),
        }
    }

    #[test]
    fn scalars() {
        for frame in [
            &b"+OK\r\n"[..],
            b"+\r\n",
            b"-ERR unknown command\r\n",
            b":0\r\n",
            b":-42\r\n",
            b":9223372036854775807\r\n",
            b":-9223372036854775808\r\n",
            b"$0\r\n\r\n",
            b"$5\r\nhello\r\n",
            b"$4\r\na\r\nb\r\n",
            b"$-1\r\n",
            b"*-1\r\n",
            b"_\r\n",
            b"#t\r\n",
            b"#f\r\n",
            b",1.5\r\n",
            b",-0.25\r\n",
            b",inf\r\n",
            b",-inf\r\n",
            b",nan\r\n",
            b",1e10\r\n",
            b",-1.5E-3\r\n",
            b",10\r\n",
            b"(3492890328409238509324850943850943825024385\r\n",
            b"(-1\r\n",
            b"!21\r\nSYNTAX invalid syntax\r\n",
            b"!0\r\n\r\n",
            b"=15\r\ntxt:Some string\r\n",
            b"=4\r\nmkd:\r\n",
        ] {
            complete(frame);
        }
    }

    #[test]
    fn aggregates() {
        for frame in [
            &b"*0\r\n"[..],
            b"%0\r\n",
            b"~0\r\n",
            b">0\r\n",
            b"*2\r\n$3\r\nfoo\r\n:1\r\n",
            b"*2\r\n*1\r\n+a\r\n*0\r\n",
            b"*3\r\n$-1\r\n*-1\r\n_\r\n",
            b"%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n",
            b"~3\r\n+a\r\n+b\r\n+c\r\n",
            b">3\r\n+message\r\n+chan\r\n$5\r\nhello\r\n",
            b"*1\r\n%1\r\n~1\r\n>1\r\n*0\r\n_\r\n",
        ] {
            complete(frame);
        }
    }

    #[test]
    fn attributes() {
        // An attribute before a top-level value is part of the same frame.
        complete(b"|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n");
        // Inside an array, before an element; it does not count as one.
        complete(b"*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n");
        // Empty attribute, attribute chains, attribute before an aggregate.
        complete(b"|0\r\n+OK\r\n");
        complete(b"|1\r\n+a\r\n+b\r\n|1\r\n+c\r\n+d\r\n*1\r\n|0\r\n:1\r\n");
        // An attribute alone is not a frame.
        assert_eq!(scan_all(b"|1\r\n+a\r\n+b\r\n"), Ok(None));
        assert_eq!(scan_all(b"|0\r\n"), Ok(None));
    }

    #[test]
    fn frame_boundaries_in_a_stream() {
        let stream = b"+OK\r\n:1\r\n*1\r\n$1\r\nx\r\n|0\r\n_\r\n";
        let mut scanner = FrameScanner::new(Limits::default());
        let mut rest = &stream[..];
        let mut lens = Vec::new();
        while let Some(n) = scanner.scan(rest).unwrap() {
            lens.push(n);
            rest = &rest[n..];
        }
        assert_eq!(lens, [5, 4, 11, 7]);
        assert!(rest.is_empty());
    }

    #[test]
    fn malformed() {
        let cases: &[(&[u8], &str, usize)] = &[
            (b"?\r\n", lex::UNKNOWN_TYPE, 0),
            (b"\r\n", lex::UNKNOWN_TYPE, 0),
            (b"*1\r\nx\r\n", lex::UNKNOWN_TYPE, 4),
            (b":\r\n", lex::INVALID_INTEGER, 1),
            (b":+1\r\n", lex::INVALID_INTEGER, 1),
            (b":+\r\n", lex::INVALID_INTEGER, 1),
            (b":-\r\n", lex::INVALID_INTEGER, 1),
            (b":1.5\r\n", lex::INVALID_INTEGER, 1),
            (b":9223372036854775808\r\n", lex::INVALID_INTEGER, 1),
            (b":123456789012345678901234567890", lex::INVALID_INTEGER, 1),
            (b":1\n", lex::INVALID_INTEGER, 1),
            (b":1\rx", lex::EXPECTED_CRLF, 3),
            (b"+OK\n", lex::BARE_LF, 3),
            (b"+O\rK\r\n", lex::EXPECTED_CRLF, 3),
            (b"-ERR\nx\r\n", lex::BARE_LF, 4),
            (b"_x\r\n", lex::EXPECTED_CRLF, 1),
            (b"#x\r\n", lex::INVALID_BOOLEAN, 1),
            (b"#tt\r\n", lex::EXPECTED_CRLF, 2),
            (b",\r\n", lex::INVALID_DOUBLE, 1),
            (b",1.5.5\r\n", lex::INVALID_DOUBLE, 1),
            (b",0x10\r\n", lex::INVALID_DOUBLE, 1),
            (b"(\r\n", lex::INVALID_BIG_NUMBER, 1),
            (b"(12a\r\n", lex::INVALID_BIG_NUMBER, 1),
            (b"$3\r\nfoobar\r\n", lex::EXPECTED_CRLF, 7),
            (b"$3\r\nfo\r\n", lex::EXPECTED_CRLF, 7),
            (b"$-2\r\n", lex::INVALID_LENGTH, 1),
            (b"*-2\r\n", lex::INVALID_LENGTH, 1),
            (b"!-1\r\n", lex::INVALID_LENGTH, 1),
            (b"=-1\r\n", lex::INVALID_LENGTH, 1),
            (b"%-1\r\n", lex::INVALID_LENGTH, 1),
            (b"~-1\r\n", lex::INVALID_LENGTH, 1),
            (b">-1\r\n", lex::INVALID_LENGTH, 1),
            (b"|-1\r\n", lex::INVALID_LENGTH, 1),
            (b"$-9223372036854775808\r\n", lex::INVALID_LENGTH, 1),
            (b"=3\r\ntxt\r\n", lex::INVALID_VERBATIM, 1),
            (b"=5\r\ntxt-x\r\n", lex::INVALID_VERBATIM, 7),
            (b"$?\r\n", lex::INVALID_INTEGER, 1),
            (b"*?\r\n", lex::INVALID_INTEGER, 1),
        ];
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
    fn lengths_beyond_limits() {
        let limits = Limits::default();
        let too_big = format!("${}\r\n", limits.max_bulk_len + 1);
        assert_eq!(
            error(too_big.as_bytes()),
            ProtocolError::new(lex::BULK_TOO_LONG, 1)
        );
        let ok = format!("${}\r\n", limits.max_bulk_len);
        assert_eq!(scan_all(ok.as_bytes()), Ok(None));
        assert_eq!(
            error(b"$9223372036854775807\r\n").reason(),
            lex::BULK_TOO_LONG
        );
        assert_eq!(
            error(b"!9223372036854775807\r\n").reason(),
            lex::BULK_TOO_LONG
        );
        assert_eq!(
            error(b"=9223372036854775807\r\n").reason(),
            lex::BULK_TOO_LONG
        );
        let too_many = format!("*{}\r\n", limits.max_aggregate_len as u64 + 1);
        assert_eq!(
            error(too_many.as_bytes()),
            ProtocolError::new(lex::AGGREGATE_TOO_LONG, 1)
        );
        for tag in ["*", "%", "~", ">", "|"] {
            let e = error(format!("{tag}9223372036854775807\r\n").as_bytes());
            assert_eq!(e.reason(), lex::AGGREGATE_TOO_LONG);
        }
        let many = format!("%{}\r\n", limits.max_aggregate_len);
        assert_eq!(scan_all(many.as_bytes()), Ok(None));
        assert_eq!(
            error(b"$99999999999999999999\r\n").reason(),
            lex::INVALID_INTEGER
        );

        let small = Limits {
            max_depth: 4,
            max_bulk_len: 5,
            max_aggregate_len: 2,
        };
        let mut scanner = FrameScanner::new(small);
        assert_eq!(scanner.scan(b"$5\r\nhello\r\n"), Ok(Some(11)));
        assert_eq!(
            scanner.scan(b"$6\r\n").unwrap_err().reason(),
            lex::BULK_TOO_LONG
        );
        assert_eq!(scanner.scan(b"+hello\r\n"), Ok(Some(8)));
        assert_eq!(
            scanner.scan(b"+hello!\r\n").unwrap_err().reason(),
            lex::LINE_TOO_LONG
        );
        // An unterminated line is rejected as soon as it exceeds the limit.
        assert_eq!(scanner.scan(b"-hello"), Ok(None));
        assert_eq!(
            scanner.scan(b"-hello!").unwrap_err().reason(),
            lex::LINE_TOO_LONG
        );
        assert_eq!(scanner.scan(b"%2\r\n"), Ok(None));
        scanner.reset();
        assert_eq!(
            scanner.scan(b"~3\r\n").unwrap_err().reason(),
            lex::AGGREGATE_TOO_LONG
        );
    }

    #[test]
    fn depth_limit() {
        let nested = |depth: usize| {
            let mut frame = b"*1\r\n".repeat(depth);
            frame.extend_from_slice(b":1\r\n");
            frame
        };
        let limits = Limits::default();
        assert_eq!(scan_all(&nested(128)), Ok(Some(128 * 4 + 4)));
        assert_eq!(
            error(&nested(129)),
            ProtocolError::new(lex::TOO_DEEP, 128 * 4)
        );
        // Empty aggregates and attributes count as a level too.
        let mut frame = b"*1\r\n".repeat(128);
        frame.extend_from_slice(b"*0\r\n");
        assert_eq!(error(&frame).reason(), lex::TOO_DEEP);
        let mut frame = b"*1\r\n".repeat(128);
        frame.extend_from_slice(b"|0\r\n:1\r\n");
        assert_eq!(error(&frame).reason(), lex::TOO_DEEP);
        // Hostile depth: an error, not a stack overflow.
        assert_eq!(error(&nested(100_000)).reason(), lex::TOO_DEEP);
        // Allowed huge depth: an explicit stack, still no recursion.
        let deep = Limits {
            max_depth: 100_000,
            ..limits
        };
        let frame = nested(100_000);
        assert_eq!(FrameScanner::new(deep).scan(&frame), Ok(Some(frame.len())));
        // No aggregates at all with max_depth 0.
        let flat = Limits {
            max_depth: 0,
            ..limits
        };
        let mut scanner = FrameScanner::new(flat);
        assert_eq!(scanner.scan(b":1\r\n"), Ok(Some(4)));
        assert_eq!(scanner.scan(b"*-1\r\n"), Ok(Some(5)));
        assert_eq!(scanner.scan(b"*0\r\n").unwrap_err().reason(), lex::TOO_DEEP);
    }

    #[test]
    fn state_after_error_and_contract_violation() {
        let mut scanner = FrameScanner::new(Limits::default());
        assert!(scanner.scan(b"*2\r\n:x\r\n").is_err());
        // Reset by the error: a fresh frame scans normally.
        assert_eq!(scanner.scan(b":1\r\n"), Ok(Some(4)));
        assert_eq!(scanner.scan(b"*2\r\n:1\r\n"), Ok(None));
        assert_eq!(
            scanner.scan(b"*2\r\n").unwrap_err(),
            ProtocolError::new(lex::INPUT_SHRANK, 4)
        );
    }

    #[test]
    fn resumes_long_lines_without_rescanning() {
        // White-box: the resume point for an unterminated simple string moves
        // forward with the input, so the search never restarts at the front.
        let mut scanner = FrameScanner::new(Limits::default());
        let mut frame = b"+".to_vec();
        frame.extend(std::iter::repeat_n(b'a', 10_000));
        assert_eq!(scanner.scan(&frame[..5000]), Ok(None));
        assert_eq!(scanner.line_resume, 5000);
        assert_eq!(scanner.scan(&frame), Ok(None));
        assert_eq!(scanner.line_resume, frame.len());
        frame.push(b'\r');
        assert_eq!(scanner.scan(&frame), Ok(None));
        assert_eq!(scanner.line_resume, frame.len() - 1);
        frame.push(b'\n');
        assert_eq!(scanner.scan(&frame), Ok(Some(frame.len())));
    }

    #[test]
    fn push_detection() {
        assert!(is_push(b">2\r\n+message\r\n+hello\r\n"));
        assert!(is_push(b">0\r\n"));
        assert!(is_push(b"|1\r\n+a\r\n+b\r\n>1\r\n+x\r\n"));
        assert!(!is_push(b"*2\r\n+message\r\n+hello\r\n"));
        assert!(!is_push(b"|1\r\n+a\r\n+b\r\n*1\r\n+x\r\n"));
        assert!(!is_push(b"|1\r\n+a"));
        assert!(!is_push(b""));
        assert!(!is_push(b"+>\r\n"));
    }
}
