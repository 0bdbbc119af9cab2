//! `redis-benchmark` on the same server: the reference for what the server can
//! do (a C client with no decoding to speak of, one thread, its own connections).

use std::process::Command;
use std::time::Duration;

use crate::workload::{Kind, Mix, Op, Workload, value, value_key};

/// What one `redis-benchmark` run reported.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    pub ops_per_sec: f64,
    /// Its p50 and p99, per request (for `-P n`, per command of a pipeline).
    pub p50: Duration,
    pub p99: Duration,
}

/// Where the server is, for `redis-benchmark -h/-p/-a`.
#[derive(Debug, Clone)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub password: Option<String>,
}

/// The `redis-benchmark` arguments that match `workload`, or `None` when it
/// has no counterpart (it cannot send MULTI/EXEC as one request).
pub fn arguments(workload: &Workload) -> Option<Vec<String>> {
    let s = |v: &str| v.to_string();
    let mut args = vec![s("-n"), workload.commands.max(1000).to_string()];
    match workload.kind {
        Kind::Sequential { op, value_len } => {
            args.extend([s("-c"), s("1"), s("-P"), s("1")]);
            match op {
                Op::Get => args.extend([s("GET"), value_key(value_len)]),
                Op::Set => args.extend([s("SET"), s("bench:reference:set"), value(value_len)]),
            }
        }
        Kind::Concurrent { tasks, mix } => {
            args.extend([s("-c"), tasks.to_string(), s("-P"), s("1")]);
            match mix {
                Mix::Get => args.extend([s("GET"), value_key(100)]),
                // Three runs, one per command; combined below.
                Mix::GetSetIncr => args.extend([s("-d"), s("100"), s("-t"), s("get,set,incr")]),
            }
        }
        Kind::Pipeline { size } => {
            args[1] = workload.commands.max(size * 10).to_string();
            args.extend([s("-c"), s("1"), s("-P"), size.to_string()]);
            args.extend([s("GET"), value_key(100)]);
        }
        Kind::Transaction { .. } => return None,
    }
    Some(args)
}

/// Runs `redis-benchmark` with `args` against `target`. Several tests in one
/// run (`-t get,set,incr`) are combined as an equal mix: the harmonic mean of
/// their rates, the rate at which they would run one after another.
pub fn run(target: &Target, args: &[String]) -> Measured {
    let mut command = Command::new("redis-benchmark");
    command
        .args(["-h", &target.host, "-p", &target.port.to_string()])
        .arg("--csv");
    if let Some(password) = &target.password {
        command.args(["-a", password]);
    }
    let output = command.args(args).output().unwrap_or_else(|e| {
        panic!("cannot run redis-benchmark ({e}); it comes with the redis-tools package")
    });
    assert!(
        output.status.success(),
        "redis-benchmark failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let rows: Vec<Vec<f64>> = text
        .lines()
        .filter(|line| !line.starts_with("\"test\""))
        .filter_map(|line| {
            let fields: Vec<&str> = line.split("\",\"").collect();
            (fields.len() >= 7).then(|| {
                fields[1..]
                    .iter()
                    .map(|f| f.trim_matches('"').parse::<f64>().unwrap_or(f64::NAN))
                    .collect()
            })
        })
        .collect();
    assert!(
        !rows.is_empty(),
        "redis-benchmark printed no result: {text}"
    );
    let n = rows.len() as f64;
    let ms = |column: usize| {
        Duration::from_secs_f64(rows.iter().map(|r| r[column]).sum::<f64>() / n / 1000.0)
    };
    Measured {
        ops_per_sec: n / rows.iter().map(|r| 1.0 / r[0]).sum::<f64>(),
        p50: ms(3),
        p99: ms(5),
    }
}
