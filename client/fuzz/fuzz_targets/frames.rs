//! Arbitrary bytes as a server's replies: the frame scanner and the reader
//! must never panic, must agree with each other, and must split the same
//! frames whatever the read sizes.
//!
//! The first input byte picks the size of the reads the bytes arrive in;
//! the rest is the byte stream.

#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use redtyped::resp::{FrameScanner, Limits, Reader};
use redtyped::{FromValue, Value};

/// Tight enough that hostile lengths and nesting are hit often, so the
/// limits' paths are fuzzed too; the default limits are fuzzed as well.
const SMALL: Limits = Limits {
    max_depth: 8,
    max_bulk_len: 64,
    max_aggregate_len: 16,
};

/// How the stream split: the frames, and whether it ended in an error.
struct Split {
    frames: Vec<Bytes>,
    failed: bool,
}

/// Feeds `input` to a scanner in reads of `read` bytes, as the driver does.
fn split(input: &[u8], read: usize, limits: Limits) -> Split {
    let mut scanner = FrameScanner::new(limits);
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for piece in input.chunks(read) {
        buf.extend_from_slice(piece);
        loop {
            match scanner.scan(&buf) {
                Ok(Some(n)) => {
                    assert!(n > 0 && n <= buf.len(), "frame length {n} of {}", buf.len());
                    frames.push(buf.split_to(n).freeze());
                }
                Ok(None) => break,
                Err(_) => {
                    return Split {
                        frames,
                        failed: true,
                    };
                }
            }
        }
    }
    Split {
        frames,
        failed: false,
    }
}

/// A frame the scanner accepted decodes: skipped whole, and as a `Value`.
fn decode(frame: &Bytes) {
    let mut reader = Reader::new(frame);
    reader
        .skip()
        .unwrap_or_else(|e| panic!("a scanned frame does not read: {e} in {frame:?}"));
    let mut reader = Reader::new(frame);
    if let Ok(item) = reader.next() {
        let _ = Value::from_value(item, &mut reader);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&read, input)) = data.split_first() else {
        return;
    };
    let read = usize::from(read).max(1);
    for limits in [SMALL, Limits::default()] {
        let chunked = split(input, read, limits);
        let whole = split(input, input.len().max(1), limits);
        assert_eq!(
            chunked.frames, whole.frames,
            "read size {read} changed the frames"
        );
        assert_eq!(
            chunked.failed, whole.failed,
            "read size {read} changed the verdict"
        );
        for frame in &chunked.frames {
            decode(frame);
        }
    }
});
