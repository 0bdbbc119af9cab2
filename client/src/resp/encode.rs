//! Command encoding: a RESP array of bulk strings, written in one pass.

use core::fmt::{self, Write as _};

use bytes::{Buf as _, BytesMut};

/// Room for the largest aggregate or bulk header: a type byte, up to 20
/// digits (`u64::MAX`) and CRLF.
const HEADER_ROOM: usize = 1 + 20 + 2;

/// What [`ArgWriter::begin`] reserves: the header room plus enough for a
/// typical small command (`GET`, `SET`, `HGET` with short keys and values),
/// so such a command needs at most one buffer growth.
const INITIAL_RESERVE: usize = 128;

/// Longest text `{}` produces for a finite `f64`: a sign, `0.`, and up to
/// 324 fractional digits (the shortest representation of the smallest
/// subnormals ends at the 324th decimal place); the largest values take
/// 309 integer digits. Rounded up for safety.
const FLOAT_TEXT_CAP: usize = 352;

/// `"00" "01" ... "99"`, for writing two digits at a time.
const DIGIT_PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Writes the decimal digits of `v` right-aligned into `out` (which must
/// have room for 20 digits) and returns the index of the first digit.
#[inline]
fn write_digits(mut v: u64, out: &mut [u8]) -> usize {
    let mut at = out.len();
    while v >= 100 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        at -= 2;
        out[at..at + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if v >= 10 {
        let pair = v as usize * 2;
        at -= 2;
        out[at..at + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        at -= 1;
        out[at] = b'0' + v as u8;
    }
    at
}

/// A `tag` + decimal `n` + CRLF header, left-aligned in a fixed array;
/// returns the array and the header's length.
#[inline(always)]
fn header(tag: u8, n: u64) -> ([u8; HEADER_ROOM], usize) {
    let mut out = [0u8; HEADER_ROOM];
    out[0] = tag;
    // Short lengths and counts are by far the most common: no loop.
    let digits = if n < 10 {
        out[1] = b'0' + n as u8;
        1
    } else if n < 100 {
        let pair = n as usize * 2;
        out[1] = DIGIT_PAIRS[pair];
        out[2] = DIGIT_PAIRS[pair + 1];
        2
    } else {
        let digits = n.ilog10() as usize + 1;
        write_digits(n, &mut out[1..=digits]);
        digits
    };
    out[digits + 1] = b'\r';
    out[digits + 2] = b'\n';
    (out, digits + 3)
}

/// Decimal text of an integer, built on the stack.
struct IntText {
    buf: [u8; 21],
    first: usize,
}

impl IntText {
    #[inline]
    fn unsigned(v: u64) -> Self {
        let mut buf = [0u8; 21];
        let first = write_digits(v, &mut buf);
        Self { buf, first }
    }

    #[inline]
    fn signed(v: i64) -> Self {
        let mut text = Self::unsigned(v.unsigned_abs());
        if v < 0 {
            text.first -= 1;
            text.buf[text.first] = b'-';
        }
        text
    }

    #[inline]
    fn as_bytes(&self) -> &[u8] {
        &self.buf[self.first..]
    }
}

/// Text of a finite `f64`, formatted on the stack.
struct FloatText {
    buf: [u8; FLOAT_TEXT_CAP],
    len: usize,
}

impl fmt::Write for FloatText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Appends one command to a buffer as a RESP array of bulk strings, without
/// knowing the argument count in advance and without a second allocation.
///
/// [`begin`](Self::begin) reserves room for the largest possible array
/// header at the buffer's end; each argument is appended as a bulk string
/// (`$<len>\r\n<payload>\r\n`); [`finish`](Self::finish) writes the
/// `*<argc>\r\n` header right-aligned into the reserved room and closes the
/// gap in front of it: in O(1) by advancing the buffer when the command
/// starts at offset 0, otherwise (pipelines append many commands to one
/// buffer) by moving the command left over the gap.
///
/// Dropping a writer without calling `finish` (e.g. when encoding an
/// argument fails, or on panic) truncates the buffer back to where the
/// command began, so a half-written command is never sent.
///
/// ```
/// use bytes::BytesMut;
/// use redtyped::resp::ArgWriter;
///
/// let mut buf = BytesMut::new();
/// let mut cmd = ArgWriter::begin(&mut buf);
/// cmd.arg(b"SET");
/// cmd.arg(b"counter");
/// cmd.int(-5);
/// cmd.finish();
/// assert_eq!(&buf[..], b"*3\r\n$3\r\nSET\r\n$7\r\ncounter\r\n$2\r\n-5\r\n");
///
/// // An abandoned command leaves no trace.
/// let before = buf.len();
/// let mut cmd = ArgWriter::begin(&mut buf);
/// cmd.arg(b"GET");
/// drop(cmd);
/// assert_eq!(buf.len(), before);
/// ```
#[derive(Debug)]
#[must_use = "a command is only kept once `finish` is called"]
pub struct ArgWriter<'b> {
    buf: &'b mut BytesMut,
    /// Where the command (its reserved header room) begins in `buf`.
    start: usize,
    argc: usize,
}

impl<'b> ArgWriter<'b> {
    /// Starts a command at the current end of `buf`, reserving room for
    /// its array header and some arguments.
    ///
    /// ```
    /// # use bytes::BytesMut;
    /// # use redtyped::resp::ArgWriter;
    /// let mut buf = BytesMut::new();
    /// let cmd = ArgWriter::begin(&mut buf);
    /// # cmd.finish();
    /// ```
    #[inline]
    pub fn begin(buf: &'b mut BytesMut) -> Self {
        let start = buf.len();
        buf.reserve(INITIAL_RESERVE);
        buf.extend_from_slice(&[0; HEADER_ROOM]);
        Self {
            buf,
            start,
            argc: 0,
        }
    }

    /// Appends an argument as a bulk string. Any bytes are allowed,
    /// including CR, LF and NUL.
    ///
    /// ```
    /// # use bytes::BytesMut;
    /// # use redtyped::resp::ArgWriter;
    /// # let mut buf = BytesMut::new();
    /// let mut cmd = ArgWriter::begin(&mut buf);
    /// cmd.arg(b"GET");
    /// cmd.arg("key:\r\n:1".as_bytes());
    /// cmd.finish();
    /// assert_eq!(&buf[..], b"*2\r\n$3\r\nGET\r\n$8\r\nkey:\r\n:1\r\n");
    /// ```
    #[inline]
    pub fn arg(&mut self, bytes: &[u8]) {
        let len = bytes.len();
        // Short arguments are by far the most common; their fixed-size
        // headers are stored directly rather than copied with `memcpy`.
        if len < 10 {
            self.buf.reserve(4 + len + 2);
            self.buf
                .extend_from_slice(&[b'$', b'0' + len as u8, b'\r', b'\n']);
        } else if len < 100 {
            let pair = len * 2;
            self.buf.reserve(5 + len + 2);
            self.buf.extend_from_slice(&[
                b'$',
                DIGIT_PAIRS[pair],
                DIGIT_PAIRS[pair + 1],
                b'\r',
                b'\n',
            ]);
        } else {
            let (head, head_len) = header(b'$', len as u64);
            self.buf.reserve(head_len + len + 2);
            self.buf.extend_from_slice(&head[..head_len]);
        }
        self.buf.extend_from_slice(bytes);
        self.buf.extend_from_slice(b"\r\n");
        self.argc += 1;
    }

    /// Appends a signed integer argument in decimal, as Redis expects
    /// integers (e.g. `EXPIRE key 60`, `INCRBY key -5`).
    ///
    /// ```
    /// # use bytes::BytesMut;
    /// # use redtyped::resp::ArgWriter;
    /// # let mut buf = BytesMut::new();
    /// let mut cmd = ArgWriter::begin(&mut buf);
    /// cmd.int(-5);
    /// cmd.finish();
    /// assert_eq!(&buf[..], b"*1\r\n$2\r\n-5\r\n");
    /// ```
    #[inline]
    pub fn int(&mut self, v: i64) {
        self.arg(IntText::signed(v).as_bytes());
    }

    /// Appends an unsigned integer argument in decimal.
    ///
    /// ```
    /// # use bytes::BytesMut;
    /// # use redtyped::resp::ArgWriter;
    /// # let mut buf = BytesMut::new();
    /// let mut cmd = ArgWriter::begin(&mut buf);
    /// cmd.uint(u64::MAX);
    /// cmd.finish();
    /// assert_eq!(&buf[..], b"*1\r\n$20\r\n18446744073709551615\r\n");
    /// ```
    #[inline]
    pub fn uint(&mut self, v: u64) {
        self.arg(IntText::unsigned(v).as_bytes());
    }

    /// Appends a floating-point argument.
    ///
    /// Finite values are written as the shortest decimal that parses back
    /// to the same `f64`, in plain notation (`0.1`, `-2.5`, `1`, `-0`,
    /// `0.000001`, never `1e-6`). Redis parses float arguments with `strtod`
    /// (`string2d`, e.g. `ZADD`) or `strtold` (`string2ld`, e.g.
    /// `INCRBYFLOAT`), which accept this form; the longest such text is 327
    /// bytes, within `string2ld`'s 5 KiB buffer (Redis releases whose
    /// `string2ld` still used a 256-byte buffer reject `INCRBYFLOAT`
    /// arguments beyond roughly 1e255 or below 1e-250 in magnitude).
    /// Infinities are written as `inf` and `-inf`, which Redis accepts
    /// (e.g. as `ZADD` scores). NaN is written as `nan`, which the server
    /// rejects with its own error.
    ///
    /// ```
    /// # use bytes::BytesMut;
    /// # use redtyped::resp::ArgWriter;
    /// # let mut buf = BytesMut::new();
    /// let mut cmd = ArgWriter::begin(&mut buf);
    /// cmd.float(0.1);
    /// cmd.float(1e-7);
    /// cmd.float(f64::NEG_INFINITY);
    /// cmd.finish();
    /// assert_eq!(&buf[..], b"*3\r\n$3\r\n0.1\r\n$9\r\n0.0000001\r\n$4\r\n-inf\r\n");
    /// ```
    pub fn float(&mut self, v: f64) {
        self.float_text(v.is_nan(), v.is_infinite(), v > 0.0, v);
    }

    /// Appends an `f32` argument as the shortest decimal that parses back to
    /// the same `f32` (`0.1f32` is written `0.1`, not the widened
    /// `0.10000000149011612`); otherwise as [`float`](Self::float).
    ///
    /// ```
    /// # use bytes::BytesMut;
    /// # use redtyped::resp::ArgWriter;
    /// # let mut buf = BytesMut::new();
    /// let mut cmd = ArgWriter::begin(&mut buf);
    /// cmd.float32(0.1);
    /// cmd.finish();
    /// assert_eq!(&buf[..], b"*1\r\n$3\r\n0.1\r\n");
    /// ```
    pub fn float32(&mut self, v: f32) {
        self.float_text(v.is_nan(), v.is_infinite(), v > 0.0, v);
    }

    fn float_text(&mut self, nan: bool, infinite: bool, positive: bool, v: impl std::fmt::Display) {
        if nan {
            self.arg(b"nan");
        } else if infinite {
            self.arg(if positive { b"inf" } else { b"-inf" });
        } else {
            let mut text = FloatText {
                buf: [0; FLOAT_TEXT_CAP],
                len: 0,
            };
            // `Display` for floats is the shortest round-trip decimal, never in
            // exponent notation.
            if write!(text, "{v}").is_ok() {
                self.arg(&text.buf[..text.len]);
            } else {
                // Unreachable: FLOAT_TEXT_CAP bounds the text of any f64.
                self.arg(v.to_string().as_bytes());
            }
        }
    }

    /// The number of arguments appended so far.
    ///
    /// ```
    /// # use bytes::BytesMut;
    /// # use redtyped::resp::ArgWriter;
    /// # let mut buf = BytesMut::new();
    /// let mut cmd = ArgWriter::begin(&mut buf);
    /// cmd.arg(b"PING");
    /// assert_eq!(cmd.argc(), 1);
    /// # cmd.finish();
    /// ```
    #[inline]
    #[must_use]
    pub fn argc(&self) -> usize {
        self.argc
    }

    /// Completes the command: writes the `*<argc>\r\n` header and closes
    /// the unused part of the reserved header room.
    ///
    /// ```
    /// # use bytes::BytesMut;
    /// # use redtyped::resp::ArgWriter;
    /// let mut buf = BytesMut::from(&b"*1\r\n$4\r\nPING\r\n"[..]); // pipelined after PING
    /// let mut cmd = ArgWriter::begin(&mut buf);
    /// cmd.arg(b"PING");
    /// cmd.finish();
    /// assert_eq!(&buf[..], b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n");
    /// ```
    #[inline]
    pub fn finish(self) {
        let (head, head_len) = header(b'*', self.argc as u64);
        let gap = HEADER_ROOM - head_len;
        let start = self.start;
        self.buf[start + gap..start + HEADER_ROOM].copy_from_slice(&head[..head_len]);
        if start == 0 {
            self.buf.advance(gap);
        } else if gap > 0 {
            let end = self.buf.len();
            self.buf.copy_within(start + gap..end, start);
            self.buf.truncate(end - gap);
        }
        // Done: skip the truncating `Drop`.
        core::mem::forget(self);
    }
}

impl Drop for ArgWriter<'_> {
    /// Discards an unfinished command.
    fn drop(&mut self) {
        self.buf.truncate(self.start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn encode(build: impl FnOnce(&mut ArgWriter<'_>)) -> BytesMut {
        let mut buf = BytesMut::new();
        let mut cmd = ArgWriter::begin(&mut buf);
        build(&mut cmd);
        cmd.finish();
        buf
    }

    fn float_text(v: f64) -> String {
        let buf = encode(|cmd| cmd.float(v));
        let text = std::str::from_utf8(&buf).unwrap();
        let payload = text.split("\r\n").nth(2).unwrap();
        payload.to_owned()
    }

    #[test]
    fn simple_command() {
        let buf = encode(|cmd| {
            cmd.arg(b"SET");
            cmd.arg(b"counter");
            cmd.int(-5);
            assert_eq!(cmd.argc(), 3);
        });
        assert_eq!(
            &buf[..],
            b"*3\r\n$3\r\nSET\r\n$7\r\ncounter\r\n$2\r\n-5\r\n"
        );
        assert_eq!(&encode(|cmd| cmd.arg(b"PING"))[..], b"*1\r\n$4\r\nPING\r\n");
        assert_eq!(&encode(|_| {})[..], b"*0\r\n");
        assert_eq!(&encode(|cmd| cmd.arg(b""))[..], b"*1\r\n$0\r\n\r\n");
        assert_eq!(
            &encode(|cmd| cmd.arg(b"a\r\nb"))[..],
            b"*1\r\n$4\r\na\r\nb\r\n"
        );
    }

    #[test]
    fn integers() {
        let cases: &[(i64, &[u8])] = &[
            (0, b"0"),
            (7, b"7"),
            (-7, b"-7"),
            (10, b"10"),
            (99, b"99"),
            (100, b"100"),
            (-100, b"-100"),
            (1234567, b"1234567"),
            (i64::MAX, b"9223372036854775807"),
            (i64::MIN, b"-9223372036854775808"),
        ];
        for &(v, text) in cases {
            assert_eq!(IntText::signed(v).as_bytes(), text);
        }
        assert_eq!(
            IntText::unsigned(u64::MAX).as_bytes(),
            b"18446744073709551615"
        );
        assert_eq!(IntText::unsigned(0).as_bytes(), b"0");
        assert_eq!(
            &encode(|cmd| cmd.uint(u64::MAX))[..],
            b"*1\r\n$20\r\n18446744073709551615\r\n"
        );
        assert_eq!(
            &encode(|cmd| cmd.int(i64::MIN))[..],
            b"*1\r\n$20\r\n-9223372036854775808\r\n"
        );
        let (head, len) = header(b'*', u64::MAX);
        assert_eq!(len, HEADER_ROOM);
        assert_eq!(&head[..], b"*18446744073709551615\r\n");
        for n in [0, 9, 10, 99, 100, 999, 1000, 12345, u64::MAX / 10] {
            let (head, len) = header(b'$', n);
            assert_eq!(head[..len], *format!("${n}\r\n").as_bytes());
        }
    }

    #[test]
    fn floats() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (-2.5, "-2.5"),
            (0.1, "0.1"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e-6, "0.000001"),
            (1e21, "1000000000000000000000"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
        ];
        for &(v, text) in cases {
            assert_eq!(float_text(v), text);
        }
        let extremes = [
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
            f64::EPSILON,
            5e-324,
            -5e-324,
            1.5e-323,
            2.225_073_858_507_201e-308,
            -1.797_693_134_862_315_5e308,
            1e300,
            1e-300,
        ];
        let mut longest = 0;
        for v in extremes {
            let text = float_text(v);
            assert!(!text.contains(['e', 'E']), "{text}");
            assert_eq!(
                text.parse::<f64>().unwrap().to_bits(),
                v.to_bits(),
                "{text}"
            );
            longest = longest.max(text.len());
        }
        assert!(longest <= 327, "{longest}");
    }

    #[test]
    fn finish_at_offset_zero_advances_without_copying() {
        let mut buf = BytesMut::with_capacity(256);
        let base = buf.as_ptr();
        let mut cmd = ArgWriter::begin(&mut buf);
        cmd.arg(b"GET");
        cmd.arg(b"key");
        cmd.finish();
        assert_eq!(&buf[..], b"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n");
        // The header was written in place and the gap skipped: the data
        // starts HEADER_ROOM - 4 bytes into the original allocation.
        assert_eq!(buf.as_ptr(), base.wrapping_add(HEADER_ROOM - 4));
    }

    #[test]
    fn finish_at_offset_moves_left() {
        let mut buf = BytesMut::from(&b"+prefix"[..]);
        let mut cmd = ArgWriter::begin(&mut buf);
        for i in 0..12 {
            cmd.uint(i);
        }
        cmd.finish();
        let mut expected = b"+prefix*12\r\n".to_vec();
        for i in 0..12 {
            expected.extend_from_slice(format!("${}\r\n{i}\r\n", i.to_string().len()).as_bytes());
        }
        assert_eq!(&buf[..], &expected[..]);
    }

    #[test]
    fn small_command_grows_at_most_once() {
        let mut buf = BytesMut::new();
        let mut cmd = ArgWriter::begin(&mut buf);
        let capacity = cmd.buf.capacity();
        cmd.arg(b"SET");
        cmd.arg(b"user:1000:session");
        cmd.arg(&[b'x'; 32]);
        cmd.arg(b"EX");
        cmd.int(3600);
        assert_eq!(cmd.buf.capacity(), capacity);
        cmd.finish();
    }

    #[test]
    fn drop_without_finish_truncates() {
        let mut buf = BytesMut::new();
        {
            let mut cmd = ArgWriter::begin(&mut buf);
            cmd.arg(b"GET");
        }
        assert!(buf.is_empty());
        let mut buf = BytesMut::from(&b"*1\r\n$4\r\nPING\r\n"[..]);
        {
            let mut cmd = ArgWriter::begin(&mut buf);
            cmd.arg(&[b'x'; 1000]);
            cmd.float(1.5);
        }
        assert_eq!(&buf[..], b"*1\r\n$4\r\nPING\r\n");
        // And the buffer is still usable afterwards.
        let mut cmd = ArgWriter::begin(&mut buf);
        cmd.arg(b"PING");
        cmd.finish();
        assert_eq!(&buf[..], b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n");
    }

    #[test]
    fn many_arguments_widen_the_header() {
        for n in [9usize, 10, 99, 100, 1000, 12345] {
            let buf = encode(|cmd| {
                for _ in 0..n {
                    cmd.arg(b"a");
                }
            });
            let header = format!("*{n}\r\n");
            assert!(buf.starts_with(header.as_bytes()));
            assert_eq!(buf.len(), header.len() + n * 7);
        }
    }

    proptest! {
        #[test]
        fn digits_match_std(v in any::<u64>(), s in any::<i64>()) {
            let (unsigned, signed) = (IntText::unsigned(v), IntText::signed(s));
            prop_assert_eq!(unsigned.as_bytes(), v.to_string().into_bytes());
            prop_assert_eq!(signed.as_bytes(), s.to_string().into_bytes());
        }

        #[test]
        fn floats_round_trip_in_plain_notation(bits in any::<u64>()) {
            let v = f64::from_bits(bits);
            let text = float_text(v);
            prop_assert!(text.len() <= 327);
            if v.is_nan() {
                prop_assert_eq!(text, "nan");
            } else {
                prop_assert!(!text.contains(['e', 'E']), "{}", text);
                prop_assert_eq!(text.parse::<f64>().unwrap().to_bits(), bits);
            }
        }
    }
}
