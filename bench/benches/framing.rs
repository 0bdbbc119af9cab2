//! Framing and decoding typical replies, as the driver and its callers do:
//! the driver finds where each frame ends ([`FrameScanner`]) and splits it off
//! without copying; the caller decodes it ([`Reader`], [`Shape`]).
//!
//! `cargo bench -p redtyped-bench --bench framing`

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use redtyped::resp::{FrameScanner, Limits, Reader};
use redtyped::shape::{Bulk, Int, Nullable, Shape};

fn bulk(payload: &[u8]) -> Vec<u8> {
    let mut frame = format!("${}\r\n", payload.len()).into_bytes();
    frame.extend_from_slice(payload);
    frame.extend_from_slice(b"\r\n");
    frame
}

/// Splits every frame off `input` as the driver does; returns how many.
fn split_all(scanner: &mut FrameScanner, input: &mut BytesMut) -> usize {
    let mut frames = 0;
    while let Some(n) = scanner.scan(input).expect("valid frames") {
        black_box(input.split_to(n).freeze());
        frames += 1;
    }
    frames
}

fn scan(c: &mut Criterion) {
    let value = bulk(&[b'v'; 100]);
    let big = bulk(&vec![b'v'; 16 * 1024]);
    let replies: Vec<(&str, Vec<u8>, usize)> = vec![
        ("100 × +OK", b"+OK\r\n".repeat(100), 100),
        ("100 × :integer", b":1234567\r\n".repeat(100), 100),
        ("100 × bulk 100 B", value.repeat(100), 100),
        ("1 × bulk 16 KiB", big.clone(), 1),
        (
            "1 × array of 100 bulk 100 B",
            [b"*100\r\n".to_vec(), value.repeat(100)].concat(),
            1,
        ),
        (
            "1 × RESP3 map of 50 pairs",
            [b"%50\r\n".to_vec(), value.repeat(100)].concat(),
            1,
        ),
    ];
    let mut group = c.benchmark_group("scan");
    for (name, bytes, frames) in &replies {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        let mut scanner = FrameScanner::new(Limits::default());
        let mut input = BytesMut::with_capacity(bytes.len());
        group.bench_function(*name, |b| {
            b.iter(|| {
                input.clear();
                input.extend_from_slice(bytes);
                assert_eq!(split_all(&mut scanner, &mut input), *frames);
            })
        });
    }
    group.finish();

    // A large reply arriving in 1,460-byte reads (one TCP segment each):
    // the scanner resumes where it stopped instead of rescanning.
    let array = [b"*1000\r\n".to_vec(), value.repeat(1000)].concat();
    let mut group = c.benchmark_group("scan in pieces");
    group.throughput(Throughput::Bytes(array.len() as u64));
    let mut scanner = FrameScanner::new(Limits::default());
    let mut input = BytesMut::with_capacity(array.len());
    group.bench_function("array of 1,000 bulk 100 B in 1,460-byte reads", |b| {
        b.iter(|| {
            input.clear();
            let mut frames = 0;
            for piece in array.chunks(1460) {
                input.extend_from_slice(piece);
                frames += split_all(&mut scanner, &mut input);
            }
            assert_eq!(frames, 1);
        })
    });
    group.finish();
}

fn decode(c: &mut Criterion) {
    let value = Bytes::from(bulk(&[b'v'; 100]));
    let big = Bytes::from(bulk(&vec![b'v'; 16 * 1024]));
    let integer = Bytes::from_static(b":1234567\r\n");
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(1));
    group.bench_function("bulk 100 B to Option<String>", |b| {
        b.iter(|| {
            let mut reader = Reader::new(black_box(&value));
            black_box(Nullable::<Bulk<String>>::read(&mut reader).expect("a string"))
        })
    });
    group.bench_function("bulk 100 B to Option<Bytes> (zero copy)", |b| {
        b.iter(|| {
            let mut reader = Reader::new(black_box(&value));
            black_box(Nullable::<Bulk<Bytes>>::read(&mut reader).expect("bytes"))
        })
    });
    group.bench_function("bulk 16 KiB to Option<String>", |b| {
        b.iter(|| {
            let mut reader = Reader::new(black_box(&big));
            black_box(Nullable::<Bulk<String>>::read(&mut reader).expect("a string"))
        })
    });
    group.bench_function("integer to i64", |b| {
        b.iter(|| {
            let mut reader = Reader::new(black_box(&integer));
            black_box(Int::read(&mut reader).expect("an integer"))
        })
    });
    group.finish();
}

criterion_group!(benches, scan, decode);
criterion_main!(benches);
