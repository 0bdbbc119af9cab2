//! Synchronous RESP2 / RESP3 framing, decoding and command encoding.
//!
//! This module is the hot path of the client and does no IO, no async and no
//! per-frame allocation:
//!
//! * [`FrameScanner`] finds where one complete top-level frame ends in the
//!   bytes read from the socket so far. It is resumable: when a large reply
//!   arrives in many reads it continues where it stopped instead of
//!   rescanning, so total scanning time is linear in the reply size.
//! * The driver splits the frame off its read buffer as a [`bytes::Bytes`]
//!   (zero copy) and hands it to the caller, who decodes it with a [`Reader`]
//!   directly from the bytes, item by item in pre-order ([`Item`]), without an
//!   intermediate value tree.
//! * Commands are encoded with an [`ArgWriter`] as a RESP array of bulk
//!   strings, appended straight into the connection's write buffer.
//!
//! The read side, as the connection driver and its callers use it:
//!
//! ```
//! use bytes::{Bytes, BytesMut};
//! use redtyped::resp::{FrameScanner, Item, Limits, Reader, is_push};
//!
//! let mut scanner = FrameScanner::new(Limits::default());
//! let mut read_buf = BytesMut::new();
//! let mut frames = Vec::new();
//! // Bytes arrive from the socket in arbitrary pieces.
//! for read in [&b"$5\r\nhel"[..], b"lo\r\n>2\r\n+message\r\n", b"+hi\r\n"] {
//!     read_buf.extend_from_slice(read);
//!     while let Some(n) = scanner.scan(&read_buf)? {
//!         frames.push(read_buf.split_to(n).freeze()); // zero copy
//!     }
//! }
//! assert!(!is_push(&frames[0]) && is_push(&frames[1]));
//!
//! // The waiting caller decodes its reply.
//! let mut reader = Reader::new(&frames[0]);
//! let value: Option<Bytes> = match reader.next()? {
//!     Item::Bulk(payload) => Some(reader.bytes(payload)),
//!     Item::Null => None,
//!     other => panic!("unexpected {}", other.kind_name()),
//! };
//! assert_eq!(value.as_deref(), Some(&b"hello"[..]));
//! # Ok::<(), redtyped::resp::ProtocolError>(())
//! ```

mod encode;
mod lex;
mod reader;
mod scan;

#[cfg(test)]
mod tests;

pub use encode::ArgWriter;
pub use reader::{Item, Reader};
pub use scan::{FrameScanner, is_push};

/// Bounds applied by [`FrameScanner`] to what the server claims.
///
/// Every length in RESP (bulk string sizes, element counts) and the nesting
/// depth come from the network, so they must be bounded before anything
/// trusts them: a broken or hostile peer could otherwise announce a
/// 2^63-byte bulk string, an array of 2^62 elements, or nest aggregates a
/// million levels deep. The scanner rejects such frames with a
/// [`ProtocolError`] as soon as the offending header arrives, instead of
/// waiting (and buffering) forever. Note that nothing in this module ever
/// allocates memory from a claimed length; the limits exist so that the
/// connection fails fast and so that callers decoding a scanned frame can
/// rely on sane sizes.
///
/// The defaults are generous enough for any legitimate Redis reply:
///
/// * `max_depth` = 128 nested aggregates (attributes count as a level),
/// * `max_bulk_len` = 512 MiB, Redis's own `proto-max-bulk-len` default; it
///   also bounds the length of simple-string, error, double and big-number
///   lines,
/// * `max_aggregate_len` = 2^32 elements (or pairs, for maps and
///   attributes), which is above the largest collection Redis can hold.
///
/// ```
/// use redtyped::resp::{FrameScanner, Limits};
///
/// let tight = Limits { max_depth: 16, ..Limits::default() };
/// let mut scanner = FrameScanner::new(tight);
/// assert!(scanner.scan(&b"*1\r\n".repeat(17)).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Maximum number of simultaneously open aggregates (arrays, maps, sets,
    /// pushes, attributes). A top-level `*1\r\n:1\r\n` has depth 1; with
    /// `max_depth == 0` no aggregate is accepted at all.
    pub max_depth: usize,
    /// Maximum declared length of a bulk string, bulk error or verbatim
    /// string, and maximum length of a simple-string, error, double or
    /// big-number line (excluding the type byte and CRLF).
    pub max_bulk_len: usize,
    /// Maximum declared element count of an array, set or push, or pair
    /// count of a map or attribute.
    pub max_aggregate_len: usize,
}

impl Default for Limits {
    /// The defaults described on [`Limits`].
    ///
    /// ```
    /// # use redtyped::resp::Limits;
    /// let limits = Limits::default();
    /// assert_eq!(limits.max_depth, 128);
    /// assert_eq!(limits.max_bulk_len, 512 * 1024 * 1024);
    /// ```
    fn default() -> Self {
        Self {
            max_depth: 128,
            max_bulk_len: 512 * 1024 * 1024,
            // 2^32, saturated on 32-bit targets.
            max_aggregate_len: 1usize.checked_shl(32).unwrap_or(usize::MAX),
        }
    }
}

/// Malformed RESP input.
///
/// Carries a static, human-readable reason and the byte offset at which the
/// problem was detected, counted from the start of the buffer given to
/// [`FrameScanner::scan`] or of the frame given to [`Reader::new`]. After a
/// protocol error the byte stream can no longer be trusted to be in sync, so
/// the connection should be dropped.
///
/// ```
/// use redtyped::resp::{FrameScanner, Limits, ProtocolError};
///
/// let err = FrameScanner::new(Limits::default()).scan(b"*1\r\n:12x\r\n").unwrap_err();
/// assert_eq!(err, ProtocolError::new("invalid integer", 5));
/// assert_eq!(err.to_string(), "protocol error at byte 5: invalid integer");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("protocol error at byte {offset}: {reason}")]
pub struct ProtocolError {
    reason: &'static str,
    offset: usize,
}

impl ProtocolError {
    /// Creates an error with the given reason at the given byte offset.
    ///
    /// ```
    /// # use redtyped::resp::ProtocolError;
    /// let err = ProtocolError::new("unexpected end of frame", 3);
    /// assert_eq!(err.offset(), 3);
    /// ```
    #[inline]
    #[must_use]
    pub const fn new(reason: &'static str, offset: usize) -> Self {
        Self { reason, offset }
    }

    /// The static reason, e.g. `"invalid integer"`.
    ///
    /// ```
    /// # use redtyped::resp::ProtocolError;
    /// assert_eq!(ProtocolError::new("invalid integer", 0).reason(), "invalid integer");
    /// ```
    #[inline]
    #[must_use]
    pub const fn reason(&self) -> &'static str {
        self.reason
    }

    /// The byte offset at which the problem was detected.
    ///
    /// ```
    /// # use redtyped::resp::ProtocolError;
    /// assert_eq!(ProtocolError::new("invalid integer", 12).offset(), 12);
    /// ```
    #[inline]
    #[must_use]
    pub const fn offset(&self) -> usize {
        self.offset
    }
}
