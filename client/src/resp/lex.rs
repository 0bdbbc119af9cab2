//! Low-level lexing shared by the frame scanner and the reader: integer
//! lines, free-text lines, CRLF terminators and the validation of doubles and
//! big numbers.
//!
//! Every function takes the whole buffer and an absolute offset, so errors
//! carry absolute offsets, and reports "not enough bytes yet" as `Ok(None)`
//! (or [`Line::Partial`]); the scanner turns that into "need more input", the
//! reader into [`UNEXPECTED_END`].

use super::ProtocolError;

pub(crate) const INVALID_INTEGER: &str = "invalid integer";
pub(crate) const INVALID_LENGTH: &str = "invalid length";
pub(crate) const INVALID_DOUBLE: &str = "invalid double";
pub(crate) const INVALID_BOOLEAN: &str = "invalid boolean";
pub(crate) const INVALID_BIG_NUMBER: &str = "invalid big number";
pub(crate) const INVALID_VERBATIM: &str = "invalid verbatim string";
pub(crate) const EXPECTED_CRLF: &str = "expected CRLF";
pub(crate) const BARE_LF: &str = "line feed without carriage return";
pub(crate) const UNKNOWN_TYPE: &str = "unknown type byte";
pub(crate) const UNEXPECTED_END: &str = "unexpected end of frame";
pub(crate) const BULK_TOO_LONG: &str = "bulk length exceeds limit";
pub(crate) const LINE_TOO_LONG: &str = "line length exceeds limit";
pub(crate) const AGGREGATE_TOO_LONG: &str = "aggregate length exceeds limit";
pub(crate) const AGGREGATE_EXCEEDS_FRAME: &str = "aggregate length exceeds frame size";
pub(crate) const TOO_DEEP: &str = "nesting depth exceeds limit";
pub(crate) const INPUT_SHRANK: &str = "scan input shorter than on the previous call";
pub(crate) const COUNT_OVERFLOW: &str = "element count overflow";

/// The encoded size of the smallest possible RESP value (`_\r\n`, `+\r\n`).
/// An aggregate claiming more children than `bytes left / MIN_VALUE_LEN`
/// cannot fit in the frame.
pub(crate) const MIN_VALUE_LEN: usize = 3;

/// Most digits an `i64` can have.
const MAX_INT_DIGITS: usize = 19;

/// Parses an integer line `-?(0|[1-9][0-9]*)\r\n` whose text starts at
/// `from`, returning the value and the offset just past the CRLF.
///
/// The accepted syntax is exactly that of Redis's `string2ll` (and hiredis):
/// no `+` sign, no leading zeros, no `-0`, no whitespace, no overflow. This
/// also bounds the line, so a stream of digits is rejected after 19 of them
/// instead of being buffered.
#[inline]
pub(crate) fn int_line(buf: &[u8], from: usize) -> Result<Option<(i64, usize)>, ProtocolError> {
    let invalid = || ProtocolError::new(INVALID_INTEGER, from);
    let negative = buf.get(from) == Some(&b'-');
    let digits_from = from + usize::from(negative);
    let mut magnitude: u64 = 0;
    let mut at = digits_from;
    loop {
        match buf.get(at) {
            None => return Ok(None),
            Some(&b) if b.is_ascii_digit() => {
                // A second digit after a leading zero, or a twentieth digit.
                if (at > digits_from && magnitude == 0) || at - digits_from == MAX_INT_DIGITS {
                    return Err(invalid());
                }
                magnitude = magnitude * 10 + u64::from(b - b'0');
                at += 1;
            }
            Some(b'\r') => break,
            Some(_) => return Err(invalid()),
        }
    }
    if at == digits_from || (negative && magnitude == 0) {
        return Err(invalid());
    }
    let value = if negative {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    };
    let value = value.ok_or_else(invalid)?;
    match buf.get(at + 1) {
        None => Ok(None),
        Some(b'\n') => Ok(Some((value, at + 2))),
        Some(_) => Err(ProtocolError::new(EXPECTED_CRLF, at + 1)),
    }
}

/// Checks that `buf[at..at + 2]` is CRLF, returning `at + 2`.
#[inline]
pub(crate) fn crlf_at(buf: &[u8], at: usize) -> Result<Option<usize>, ProtocolError> {
    match buf.get(at) {
        None => Ok(None),
        Some(b'\r') => match buf.get(at + 1) {
            None => Ok(None),
            Some(b'\n') => Ok(Some(at + 2)),
            Some(_) => Err(ProtocolError::new(EXPECTED_CRLF, at + 1)),
        },
        Some(_) => Err(ProtocolError::new(EXPECTED_CRLF, at)),
    }
}

/// Outcome of searching for the end of a free-text line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Line {
    /// The line's CR is at this offset and its LF follows it.
    Complete(usize),
    /// No terminator yet; once more bytes arrive, resume searching at this
    /// offset (everything before it is known to be free of CR and LF).
    Partial(usize),
}

/// Finds the CRLF ending a free-text line (simple string, error, double, big
/// number), searching from `search_from`. The line must not contain a CR or
/// LF other than its terminator.
#[inline]
pub(crate) fn text_line(buf: &[u8], search_from: usize) -> Result<Line, ProtocolError> {
    let tail = buf.get(search_from..).unwrap_or_default();
    match tail.iter().position(|&b| b == b'\r' || b == b'\n') {
        None => Ok(Line::Partial(search_from.max(buf.len()))),
        Some(i) => {
            let at = search_from + i;
            if tail[i] == b'\n' {
                return Err(ProtocolError::new(BARE_LF, at));
            }
            match tail.get(i + 1) {
                None => Ok(Line::Partial(at)),
                Some(b'\n') => Ok(Line::Complete(at)),
                Some(_) => Err(ProtocolError::new(EXPECTED_CRLF, at + 1)),
            }
        }
    }
}

/// Parses the text of a RESP3 double: decimal with optional sign, fraction
/// and exponent, or `inf`, `-inf`, `nan` (any case, as Rust's `f64` parser
/// accepts them).
#[inline]
pub(crate) fn parse_double(text: &[u8]) -> Option<f64> {
    core::str::from_utf8(text).ok()?.parse().ok()
}

/// Whether `text` is a valid big number: an optional sign and at least one
/// decimal digit.
#[inline]
pub(crate) fn is_big_number(text: &[u8]) -> bool {
    let digits = match text {
        [b'-' | b'+', rest @ ..] => rest,
        _ => text,
    };
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(s: &[u8]) -> Result<Option<(i64, usize)>, ProtocolError> {
        int_line(s, 0)
    }

    #[test]
    fn integers() {
        assert_eq!(int(b"0\r\n"), Ok(Some((0, 3))));
        assert_eq!(int(b"7\r\n"), Ok(Some((7, 3))));
        assert_eq!(int(b"-12\r\n"), Ok(Some((-12, 5))));
        assert_eq!(int(b"9223372036854775807\r\n"), Ok(Some((i64::MAX, 21))));
        assert_eq!(int(b"-9223372036854775808\r\n"), Ok(Some((i64::MIN, 22))));
    }

    #[test]
    fn integer_partial() {
        assert_eq!(int(b""), Ok(None));
        assert_eq!(int(b"-"), Ok(None));
        assert_eq!(int(b"12"), Ok(None));
        assert_eq!(int(b"12\r"), Ok(None));
    }

    #[test]
    fn bad_integers() {
        let bad = |s: &[u8]| int(s).unwrap_err().reason();
        for s in [
            &b"\r\n"[..],
            b"-\r\n",
            b"+\r\n",
            b"+1\r\n",
            b"01\r\n",
            b"-0\r\n",
            b"00\r\n",
            b" 1\r\n",
            b"1 \r\n",
            b"1a\r\n",
            b"9223372036854775808\r\n",
            b"-9223372036854775809\r\n",
            b"99999999999999999999\r\n",
            b"12345678901234567890",
        ] {
            assert_eq!(
                bad(s),
                INVALID_INTEGER,
                "{:?}",
                s.escape_ascii().to_string()
            );
        }
        assert_eq!(
            int(b"1\rx").unwrap_err(),
            ProtocolError::new(EXPECTED_CRLF, 2)
        );
        assert_eq!(int(b"1\n").unwrap_err().reason(), INVALID_INTEGER);
    }

    #[test]
    fn lines() {
        assert_eq!(text_line(b"+OK\r\n", 1), Ok(Line::Complete(3)));
        assert_eq!(text_line(b"+OK\r", 1), Ok(Line::Partial(3)));
        assert_eq!(text_line(b"+OK", 1), Ok(Line::Partial(3)));
        assert_eq!(text_line(b"+", 5), Ok(Line::Partial(5)));
        assert_eq!(
            text_line(b"+O\nK\r\n", 1).unwrap_err(),
            ProtocolError::new(BARE_LF, 2)
        );
        assert_eq!(
            text_line(b"+O\rK\r\n", 1).unwrap_err(),
            ProtocolError::new(EXPECTED_CRLF, 3)
        );
    }

    #[test]
    fn doubles_and_big_numbers() {
        assert_eq!(parse_double(b"1.5"), Some(1.5));
        assert_eq!(parse_double(b"-1e-3"), Some(-0.001));
        assert_eq!(parse_double(b"1E10"), Some(1e10));
        assert_eq!(parse_double(b"inf"), Some(f64::INFINITY));
        assert_eq!(parse_double(b"-inf"), Some(f64::NEG_INFINITY));
        assert!(parse_double(b"nan").is_some_and(f64::is_nan));
        assert_eq!(parse_double(b""), None);
        assert_eq!(parse_double(b"1.5x"), None);
        assert_eq!(parse_double(b" 1"), None);
        assert!(is_big_number(b"123"));
        assert!(is_big_number(b"-123"));
        assert!(is_big_number(b"+0"));
        assert!(!is_big_number(b""));
        assert!(!is_big_number(b"-"));
        assert!(!is_big_number(b"1.5"));
    }
}
