//! Property tests across the module: random RESP2/RESP3 value trees encoded
//! by a test-only server-side encoder, scanned in random chunkings and read
//! back; robustness against random and mutated input; command encoding read
//! back through the scanner and reader.

use bytes::{Bytes, BytesMut};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

use super::*;

/// A reply value as a server would send it.
#[derive(Debug, Clone)]
enum Value {
    Simple(Vec<u8>),
    Error(Vec<u8>),
    BulkError(Vec<u8>),
    Integer(i64),
    Double(f64),
    Bulk(Vec<u8>),
    Verbatim([u8; 3], Vec<u8>),
    /// RESP3 `_`.
    Null,
    /// RESP2 `$-1`.
    NullBulk,
    /// RESP2 `*-1`.
    NullArray,
    Boolean(bool),
    BigNumber(String),
    Array(Vec<Value>),
    Set(Vec<Value>),
    Map(Vec<(Value, Value)>),
    Push(Vec<Value>),
    /// An attribute (`|`) followed by the value it annotates.
    Attributed(Vec<(Value, Value)>, Box<Value>),
}

/// Test-only server-side encoder.
fn encode(value: &Value, out: &mut Vec<u8>) {
    fn line(out: &mut Vec<u8>, tag: u8, text: &[u8]) {
        out.push(tag);
        out.extend_from_slice(text);
        out.extend_from_slice(b"\r\n");
    }
    fn blob(out: &mut Vec<u8>, tag: u8, parts: &[&[u8]]) {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        line(out, tag, len.to_string().as_bytes());
        for part in parts {
            out.extend_from_slice(part);
        }
        out.extend_from_slice(b"\r\n");
    }
    fn pairs(out: &mut Vec<u8>, tag: u8, kvs: &[(Value, Value)]) {
        line(out, tag, kvs.len().to_string().as_bytes());
        for (k, v) in kvs {
            encode(k, out);
            encode(v, out);
        }
    }
    fn seq(out: &mut Vec<u8>, tag: u8, items: &[Value]) {
        line(out, tag, items.len().to_string().as_bytes());
        for item in items {
            encode(item, out);
        }
    }
    match value {
        Value::Simple(s) => line(out, b'+', s),
        Value::Error(s) => line(out, b'-', s),
        Value::BulkError(s) => blob(out, b'!', &[s]),
        Value::Integer(i) => line(out, b':', i.to_string().as_bytes()),
        Value::Double(d) => {
            let text = if d.is_nan() {
                "nan".to_owned()
            } else if d.is_infinite() {
                if *d > 0.0 { "inf" } else { "-inf" }.to_owned()
            } else {
                // Debug: shortest round trip, exponent form for extremes.
                format!("{d:?}")
            };
            line(out, b',', text.as_bytes());
        }
        Value::Bulk(s) => blob(out, b'$', &[s]),
        Value::Verbatim(format, text) => blob(out, b'=', &[format, b":", text]),
        Value::Null => out.extend_from_slice(b"_\r\n"),
        Value::NullBulk => out.extend_from_slice(b"$-1\r\n"),
        Value::NullArray => out.extend_from_slice(b"*-1\r\n"),
        Value::Boolean(b) => line(out, b'#', if *b { b"t" } else { b"f" }),
        Value::BigNumber(n) => line(out, b'(', n.as_bytes()),
        Value::Array(items) => seq(out, b'*', items),
        Value::Set(items) => seq(out, b'~', items),
        Value::Push(items) => seq(out, b'>', items),
        Value::Map(kvs) => pairs(out, b'%', kvs),
        Value::Attributed(attrs, inner) => {
            pairs(out, b'|', attrs);
            encode(inner, out);
        }
    }
}

/// The items a reader should yield for `value`, in pre-order.
fn expected<'v>(value: &'v Value, out: &mut Vec<Item<'v>>) {
    match value {
        Value::Simple(s) => out.push(Item::Simple(s)),
        Value::Error(s) | Value::BulkError(s) => out.push(Item::Error(s)),
        Value::Integer(i) => out.push(Item::Integer(*i)),
        Value::Double(d) => out.push(Item::Double(*d)),
        Value::Bulk(s) => out.push(Item::Bulk(s)),
        Value::Verbatim(format, text) => out.push(Item::Verbatim { format, text }),
        Value::Null | Value::NullBulk | Value::NullArray => out.push(Item::Null),
        Value::Boolean(b) => out.push(Item::Boolean(*b)),
        Value::BigNumber(n) => out.push(Item::BigNumber(n.as_bytes())),
        Value::Array(items) | Value::Set(items) | Value::Push(items) => {
            out.push(match value {
                Value::Array(_) => Item::Array(items.len()),
                Value::Set(_) => Item::Set(items.len()),
                _ => Item::Push(items.len()),
            });
            for item in items {
                expected(item, out);
            }
        }
        Value::Map(kvs) => {
            out.push(Item::Map(kvs.len()));
            for (k, v) in kvs {
                expected(k, out);
                expected(v, out);
            }
        }
        Value::Attributed(_, inner) => expected(inner, out),
    }
}

/// Item equality where NaN equals NaN (and doubles compare by bits).
fn same(a: &Item<'_>, b: &Item<'_>) -> bool {
    match (a, b) {
        (Item::Double(x), Item::Double(y)) => {
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        }
        _ => a == b,
    }
}

fn line_bytes() -> impl Strategy<Value = Vec<u8>> {
    vec(
        any::<u8>().prop_filter("no CR or LF", |b| *b != b'\r' && *b != b'\n'),
        0..24,
    )
}

fn any_bytes() -> impl Strategy<Value = Vec<u8>> {
    // Biased towards CR and LF so payloads often contain line breaks.
    vec(
        prop_oneof![3 => any::<u8>(), 1 => Just(b'\r'), 1 => Just(b'\n')],
        0..48,
    )
}

fn resp2_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        line_bytes().prop_map(Value::Simple),
        line_bytes().prop_map(Value::Error),
        any::<i64>().prop_map(Value::Integer),
        any_bytes().prop_map(Value::Bulk),
        Just(Value::NullBulk),
        Just(Value::NullArray),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| vec(inner, 0..8).prop_map(Value::Array))
}

fn resp3_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        line_bytes().prop_map(Value::Simple),
        line_bytes().prop_map(Value::Error),
        any_bytes().prop_map(Value::BulkError),
        any::<i64>().prop_map(Value::Integer),
        any::<f64>().prop_map(Value::Double),
        any_bytes().prop_map(Value::Bulk),
        (any::<[u8; 3]>(), any_bytes()).prop_map(|(f, t)| Value::Verbatim(f, t)),
        Just(Value::Null),
        Just(Value::NullBulk),
        Just(Value::NullArray),
        any::<bool>().prop_map(Value::Boolean),
        "[+-]?[0-9]{1,40}".prop_map(Value::BigNumber),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            vec(inner.clone(), 0..6).prop_map(Value::Set),
            vec(inner.clone(), 0..6).prop_map(Value::Push),
            vec((inner.clone(), inner.clone()), 0..4).prop_map(Value::Map),
            (vec((inner.clone(), inner.clone()), 0..3), inner)
                .prop_map(|(attrs, v)| Value::Attributed(attrs, Box::new(v))),
        ]
    })
}

/// How the simulated socket delivers bytes: sizes are used in turn,
/// cyclically; `[1]` means one byte per read.
fn chunk_sizes() -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![
        Just(vec![1]),
        vec(1usize..8, 1..16),
        vec(1usize..200, 1..16),
        Just(vec![usize::MAX]),
    ]
}

/// Simulates the driver: reads `input` in chunks into a `BytesMut`, scans,
/// and splits each complete frame off as `Bytes`. Returns the frames and
/// the number of bytes left unconsumed, or the first scan error.
fn drive(
    input: &[u8],
    sizes: &[usize],
    limits: Limits,
) -> Result<(Vec<Bytes>, usize), ProtocolError> {
    let mut scanner = FrameScanner::new(limits);
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    let mut fed = 0;
    let mut sizes = sizes.iter().cycle();
    loop {
        match scanner.scan(&buf)? {
            Some(n) => {
                assert!(
                    n > 0 && n <= buf.len(),
                    "frame of {n} bytes in {}",
                    buf.len()
                );
                frames.push(buf.split_to(n).freeze());
            }
            None if fed == input.len() => return Ok((frames, buf.len())),
            None => {
                let n = (*sizes.next().unwrap()).min(input.len() - fed);
                buf.extend_from_slice(&input[fed..fed + n]);
                fed += n;
            }
        }
    }
}

/// Reads a frame completely; returns its items.
fn read_frame(frame: &Bytes) -> Result<Vec<Item<'_>>, ProtocolError> {
    let mut reader = Reader::new(frame);
    let mut items = Vec::new();
    while !reader.is_empty() {
        items.push(reader.next()?);
    }
    Ok(items)
}

/// Strips attributes to find what a value really is.
fn unattributed(value: &Value) -> &Value {
    match value {
        Value::Attributed(_, inner) => unattributed(inner),
        other => other,
    }
}

fn round_trip(values: &[Value], sizes: &[usize]) -> Result<(), TestCaseError> {
    let encoded: Vec<Vec<u8>> = values
        .iter()
        .map(|v| {
            let mut out = Vec::new();
            encode(v, &mut out);
            out
        })
        .collect();
    let input = encoded.concat();
    let (frames, left) = drive(&input, sizes, Limits::default())
        .map_err(|e| TestCaseError::fail(format!("scan failed: {e}")))?;
    prop_assert_eq!(left, 0);
    prop_assert_eq!(frames.len(), values.len());
    for ((frame, original), value) in frames.iter().zip(&encoded).zip(values) {
        prop_assert_eq!(&frame[..], &original[..]);

        let mut want = Vec::new();
        expected(value, &mut want);
        let got =
            read_frame(frame).map_err(|e| TestCaseError::fail(format!("read failed: {e}")))?;
        prop_assert_eq!(got.len(), want.len(), "{:?} vs {:?}", got, want);
        for (g, w) in got.iter().zip(&want) {
            prop_assert!(same(g, w), "{:?} != {:?}", g, w);
        }

        // Zero-copy payloads point into the frame.
        let mut reader = Reader::new(frame);
        if let Ok(Item::Bulk(payload)) = reader.next() {
            let owned = reader.bytes(payload);
            prop_assert_eq!(&owned[..], payload);
            if !payload.is_empty() {
                prop_assert_eq!(owned.as_ptr(), payload.as_ptr());
            }
        }

        // Skipping the whole value, or each child of the top aggregate,
        // ends exactly at the end of the frame.
        let mut reader = Reader::new(frame);
        reader
            .skip()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(reader.is_empty());
        let mut reader = Reader::new(frame);
        let children = match reader.next().unwrap() {
            Item::Array(n) | Item::Set(n) | Item::Push(n) => n,
            Item::Map(n) => 2 * n,
            _ => 0,
        };
        for _ in 0..children {
            reader
                .skip()
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        prop_assert!(reader.is_empty());

        prop_assert_eq!(
            is_push(frame),
            matches!(unattributed(value), Value::Push(_))
        );
    }
    Ok(())
}

/// Feeds arbitrary input to the scanner (chunked) and the reader; none may
/// panic, and every frame the scanner accepts must read back completely.
fn robust(input: &[u8], sizes: &[usize]) -> Result<(), TestCaseError> {
    let small = Limits {
        max_depth: 8,
        max_bulk_len: 64,
        max_aggregate_len: 16,
    };
    for limits in [Limits::default(), small] {
        let mut scanner = FrameScanner::new(limits);
        if let Ok(Some(n)) = scanner.scan(input) {
            prop_assert!(n <= input.len());
        }
        if let Ok((frames, _)) = drive(input, sizes, limits) {
            for frame in &frames {
                prop_assert!(read_frame(frame).is_ok());
                let mut reader = Reader::new(frame);
                prop_assert!(reader.skip().is_ok());
                prop_assert!(reader.is_empty());
            }
        }
    }
    let bytes = Bytes::copy_from_slice(input);
    let mut reader = Reader::new(&bytes);
    while !reader.is_empty() && reader.next().is_ok() {}
    let mut reader = Reader::new(&bytes);
    while !reader.is_empty() && reader.skip().is_ok() {}
    let _ = is_push(input);
    Ok(())
}

fn resp_ish_bytes() -> impl Strategy<Value = Vec<u8>> {
    let alphabet: &[u8] = b"+-:$*%~>|_#,(!=0123456789\r\n\r\n\r\nabtf.:-";
    vec(proptest::sample::select(alphabet), 0..64)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn resp3_frames_round_trip(values in vec(resp3_value(), 1..6), sizes in chunk_sizes()) {
        round_trip(&values, &sizes)?;
    }

    #[test]
    fn resp2_frames_round_trip(values in vec(resp2_value(), 1..6), sizes in chunk_sizes()) {
        round_trip(&values, &sizes)?;
    }

    #[test]
    fn random_bytes_never_panic(input in vec(any::<u8>(), 0..128), sizes in chunk_sizes()) {
        robust(&input, &sizes)?;
    }

    #[test]
    fn resp_like_bytes_never_panic(input in resp_ish_bytes(), sizes in chunk_sizes()) {
        robust(&input, &sizes)?;
    }

    #[test]
    fn mutated_frames_never_panic(
        values in vec(resp3_value(), 1..4),
        at in any::<Index>(),
        byte in prop_oneof![any::<u8>(), proptest::sample::select(&b"\r\n-0123456789*%|$"[..])],
        sizes in chunk_sizes(),
    ) {
        let mut input = Vec::new();
        for value in &values {
            encode(value, &mut input);
        }
        let i = at.index(input.len());
        input[i] = byte;
        robust(&input, &sizes)?;
        // Truncating at the mutation point must not panic either.
        robust(&input[..i], &sizes)?;
    }
}

// ---------------------------------------------------------------------------
// Command encoding read back through the scanner and reader.

#[derive(Debug, Clone)]
enum Arg {
    Bytes(Vec<u8>),
    Int(i64),
    UInt(u64),
    Float(f64),
}

fn arg() -> impl Strategy<Value = Arg> {
    prop_oneof![
        3 => any_bytes().prop_map(Arg::Bytes),
        1 => vec(any::<u8>(), 0..600).prop_map(Arg::Bytes),
        2 => any::<i64>().prop_map(Arg::Int),
        1 => prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(0), Just(-1)].prop_map(Arg::Int),
        1 => prop_oneof![any::<u64>(), Just(u64::MAX), Just(0)].prop_map(Arg::UInt),
        2 => any::<f64>().prop_map(Arg::Float),
        1 => prop_oneof![
            Just(f64::MAX), Just(f64::MIN_POSITIVE), Just(5e-324), Just(-0.0),
            Just(f64::INFINITY), Just(f64::NEG_INFINITY), Just(f64::NAN),
        ].prop_map(Arg::Float),
    ]
}

fn write_command(buf: &mut BytesMut, args: &[Arg], finish: bool) {
    let mut cmd = ArgWriter::begin(buf);
    for a in args {
        match a {
            Arg::Bytes(b) => cmd.arg(b),
            Arg::Int(i) => cmd.int(*i),
            Arg::UInt(u) => cmd.uint(*u),
            Arg::Float(f) => cmd.float(*f),
        }
    }
    assert_eq!(cmd.argc(), args.len());
    if finish {
        cmd.finish();
    }
}

fn check_command(frame: &Bytes, args: &[Arg]) -> Result<(), TestCaseError> {
    let mut reader = Reader::new(frame);
    prop_assert_eq!(reader.next(), Ok(Item::Array(args.len())));
    for a in args {
        let Ok(Item::Bulk(payload)) = reader.next() else {
            return Err(TestCaseError::fail("expected a bulk string"));
        };
        let text = || std::str::from_utf8(payload).unwrap();
        match a {
            Arg::Bytes(b) => prop_assert_eq!(payload, &b[..]),
            Arg::Int(i) => prop_assert_eq!(text().parse::<i64>().unwrap(), *i),
            Arg::UInt(u) => prop_assert_eq!(text().parse::<u64>().unwrap(), *u),
            Arg::Float(f) if f.is_nan() => prop_assert_eq!(text(), "nan"),
            Arg::Float(f) => {
                prop_assert!(!text().contains(['e', 'E']));
                prop_assert_eq!(text().parse::<f64>().unwrap().to_bits(), f.to_bits());
            }
        }
    }
    prop_assert!(reader.is_empty());
    Ok(())
}

proptest! {
    #[test]
    fn commands_read_back(args in vec(arg(), 0..24)) {
        let mut buf = BytesMut::new();
        write_command(&mut buf, &args, true);
        let mut scanner = FrameScanner::new(Limits::default());
        prop_assert_eq!(scanner.scan(&buf), Ok(Some(buf.len())));
        check_command(&buf.freeze(), &args)?;
    }

    #[test]
    fn pipelined_commands_read_back(
        commands in vec((vec(arg(), 0..8), any::<bool>()), 1..16),
        prefix in prop_oneof![Just(Vec::new()), Just(b"+PING\r\n".to_vec())],
    ) {
        let mut buf = BytesMut::new();
        buf.extend_from_slice(&prefix);
        for (args, finish) in &commands {
            let before = buf.len();
            write_command(&mut buf, args, *finish);
            if !*finish {
                prop_assert_eq!(buf.len(), before);
            }
        }
        let mut buf = buf.freeze();
        let mut scanner = FrameScanner::new(Limits::default());
        if !prefix.is_empty() {
            prop_assert_eq!(scanner.scan(&buf), Ok(Some(prefix.len())));
            let _ = buf.split_to(prefix.len());
        }
        for (args, _) in commands.iter().filter(|(_, finish)| *finish) {
            let n = scanner.scan(&buf).unwrap().expect("complete command");
            check_command(&buf.split_to(n), args)?;
        }
        prop_assert!(buf.is_empty());
    }
}

#[test]
fn pipelined_commands_at_nonzero_offsets() {
    let mut buf = BytesMut::new();
    for i in 0..1000u64 {
        let mut cmd = ArgWriter::begin(&mut buf);
        cmd.arg(b"SET");
        cmd.uint(i);
        cmd.arg(&vec![b'v'; (i % 50) as usize]);
        cmd.finish();
        // An abandoned command in between leaves no trace.
        let mut cmd = ArgWriter::begin(&mut buf);
        cmd.arg(b"DISCARDED");
    }
    let mut buf = buf.freeze();
    let mut scanner = FrameScanner::new(Limits::default());
    for i in 0..1000u64 {
        let n = scanner.scan(&buf).unwrap().unwrap();
        let frame = buf.split_to(n);
        let mut reader = Reader::new(&frame);
        assert_eq!(reader.next(), Ok(Item::Array(3)));
        assert_eq!(reader.next(), Ok(Item::Bulk(b"SET")));
        assert_eq!(reader.next(), Ok(Item::Bulk(i.to_string().as_bytes())));
        assert_eq!(
            reader.next(),
            Ok(Item::Bulk(&vec![b'v'; (i % 50) as usize]))
        );
        assert!(reader.is_empty());
    }
    assert!(buf.is_empty());
}

#[test]
fn scanning_a_huge_reply_in_small_reads_is_linear() {
    const ELEMENTS: usize = 1_000_000;
    let mut reply = format!("*{ELEMENTS}\r\n").into_bytes();
    for i in 0..ELEMENTS {
        reply.extend_from_slice(if i % 2 == 0 {
            b"$3\r\nfoo\r\n"
        } else {
            b":42\r\n"
        });
    }
    reply.extend_from_slice(b"+next\r\n");
    let total = reply.len() - b"+next\r\n".len();

    let mut scanner = FrameScanner::new(Limits::default());
    let mut buf = BytesMut::new();
    let mut result = None;
    for chunk in reply.chunks(4096) {
        buf.extend_from_slice(chunk);
        if let Some(n) = scanner.scan(&buf).unwrap() {
            result = Some(n);
            break;
        }
    }
    assert_eq!(result, Some(total));
    let frame = buf.split_to(total).freeze();
    let mut reader = Reader::new(&frame);
    assert_eq!(reader.next(), Ok(Item::Array(ELEMENTS)));
    reader.skip().unwrap();
    assert_eq!(reader.next(), Ok(Item::Integer(42)));
}

#[test]
fn attributes_before_values_and_inside_arrays() {
    let input = b"|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n|1\r\n+ttl\r\n:3600\r\n:9543892\r\n>2\r\n+invalidate\r\n*1\r\n$3\r\nkey\r\n";
    let (frames, left) = drive(input, &[3], Limits::default()).unwrap();
    assert_eq!(left, 0);
    assert_eq!(frames.len(), 2);
    assert!(!is_push(&frames[0]));
    assert!(is_push(&frames[1]));
    assert_eq!(
        read_frame(&frames[0]).unwrap(),
        [
            Item::Array(2),
            Item::Integer(2_039_123),
            Item::Integer(9_543_892)
        ]
    );
    assert_eq!(
        read_frame(&frames[1]).unwrap(),
        [
            Item::Push(2),
            Item::Simple(b"invalidate"),
            Item::Array(1),
            Item::Bulk(b"key")
        ]
    );
}

#[test]
fn protocol_error_display() {
    let err = ProtocolError::new("invalid integer", 12);
    assert_eq!(
        err.to_string(),
        "protocol error at byte 12: invalid integer"
    );
    assert_eq!(err.reason(), "invalid integer");
    assert_eq!(err.offset(), 12);
    let err = FrameScanner::new(Limits::default())
        .scan(b"*1\r\n:12x\r\n")
        .unwrap_err();
    assert_eq!(err.to_string(), "protocol error at byte 5: invalid integer");
}

#[test]
fn default_limits() {
    let limits = Limits::default();
    assert_eq!(limits.max_depth, 128);
    assert_eq!(limits.max_bulk_len, 512 * 1024 * 1024);
    assert_eq!(limits.max_aggregate_len as u64, 1 << 32);
}
