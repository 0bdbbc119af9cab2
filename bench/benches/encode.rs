//! Encoding typical commands into a write buffer, as `Client::send` does:
//! a regression in the hot path's encoding shows here without a server.
//!
//! `cargo bench -p redtyped-bench --bench encode`

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use redtyped::Command;
use redtyped::cmd;
use redtyped::resp::ArgWriter;

/// Encodes `command` the way the client does, into a buffer that is reused
/// (as the connection's write buffer is), so only encoding is measured.
fn encode(buf: &mut BytesMut, command: impl Command) {
    let mut w = ArgWriter::begin(buf);
    command.write_args(&mut w);
    w.finish();
}

fn commands(c: &mut Criterion) {
    let value = "v".repeat(100);
    let big = "v".repeat(16 * 1024);
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let mut group = c.benchmark_group("encode");
    group.throughput(Throughput::Elements(1));
    group.bench_function("GET key", |b| {
        b.iter(|| {
            buf.clear();
            encode(&mut buf, cmd::get::<String>(black_box("user:1000:name")));
        })
    });
    group.bench_function("SET key 100 B", |b| {
        b.iter(|| {
            buf.clear();
            encode(
                &mut buf,
                cmd::set(black_box("user:1000:name"), black_box(value.as_str())),
            );
        })
    });
    group.bench_function("SET key 100 B EX 60 NX", |b| {
        b.iter(|| {
            buf.clear();
            encode(
                &mut buf,
                cmd::set(black_box("lock:1000"), black_box(value.as_str()))
                    .ex(60)
                    .nx(),
            );
        })
    });
    group.bench_function("SET key 16 KiB", |b| {
        b.iter(|| {
            buf.clear();
            encode(
                &mut buf,
                cmd::set(black_box("blob"), black_box(big.as_str())),
            );
        })
    });
    group.bench_function("INCR key", |b| {
        b.iter(|| {
            buf.clear();
            encode(&mut buf, cmd::incr(black_box("counter")));
        })
    });
    group.bench_function("ZADD key 1.5 member", |b| {
        b.iter(|| {
            buf.clear();
            encode(
                &mut buf,
                cmd::zadd(black_box("board"), [(black_box(1.5), black_box("member"))]),
            );
        })
    });
    group.finish();

    let mut group = c.benchmark_group("encode pipeline");
    group.throughput(Throughput::Elements(100));
    group.bench_function("100 GET", |b| {
        b.iter(|| {
            buf.clear();
            for _ in 0..100 {
                encode(&mut buf, cmd::get::<String>(black_box("user:1000:name")));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, commands);
criterion_main!(benches);
