//! The workloads, and running one round of one workload through one client.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::peers::Peer;

/// A value of `len` bytes, the same for every client.
pub fn value(len: usize) -> String {
    "v".repeat(len)
}

/// The key every GET reads: it holds a value of `len` bytes.
pub fn value_key(len: usize) -> String {
    format!("bench:value:{len}")
}

/// What a workload does.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// One task, one command at a time.
    Sequential { op: Op, value_len: usize },
    /// `tasks` tasks sharing one client, each doing `ops` commands one at a time.
    Concurrent { tasks: usize, mix: Mix },
    /// Explicit pipelines of `size` GETs, one after another.
    Pipeline { size: usize },
    /// MULTI, `size` INCRs, EXEC, one after another.
    Transaction { size: usize },
}

/// The command of a sequential workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Get,
    Set,
}

/// The commands of a concurrent workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mix {
    /// Only GETs of a 100-byte value.
    Get,
    /// GET, SET and INCR in turn (each task starts at a different one).
    GetSetIncr,
}

/// A workload and how much of it one round does.
#[derive(Clone, Debug)]
pub struct Workload {
    pub name: &'static str,
    pub kind: Kind,
    /// Commands per round (split evenly between tasks, or into pipelines).
    pub commands: usize,
}

impl Workload {
    /// Every workload of the issue, with the commands one full round does.
    pub fn all() -> Vec<Workload> {
        let w = |name, kind, commands| Workload {
            name,
            kind,
            commands,
        };
        vec![
            w(
                "GET 100 B, 1 task",
                Kind::Sequential {
                    op: Op::Get,
                    value_len: 100,
                },
                20_000,
            ),
            w(
                "SET 100 B, 1 task",
                Kind::Sequential {
                    op: Op::Set,
                    value_len: 100,
                },
                20_000,
            ),
            w(
                "GET 16 KiB, 1 task",
                Kind::Sequential {
                    op: Op::Get,
                    value_len: 16 * 1024,
                },
                10_000,
            ),
            w(
                "SET 16 KiB, 1 task",
                Kind::Sequential {
                    op: Op::Set,
                    value_len: 16 * 1024,
                },
                10_000,
            ),
            w(
                "GET, 64 tasks",
                Kind::Concurrent {
                    tasks: 64,
                    mix: Mix::Get,
                },
                128_000,
            ),
            w(
                "GET/SET/INCR, 64 tasks",
                Kind::Concurrent {
                    tasks: 64,
                    mix: Mix::GetSetIncr,
                },
                96_000,
            ),
            w(
                "GET/SET/INCR, 1024 tasks",
                Kind::Concurrent {
                    tasks: 1024,
                    mix: Mix::GetSetIncr,
                },
                153_600,
            ),
            w("pipeline of 100 GET", Kind::Pipeline { size: 100 }, 200_000),
            w(
                "pipeline of 10,000 GET",
                Kind::Pipeline { size: 10_000 },
                300_000,
            ),
            w(
                "MULTI + 10 INCR + EXEC",
                Kind::Transaction { size: 10 },
                30_000,
            ),
        ]
    }

    /// The same workload with `commands` divided by `divisor`, kept whole for
    /// every task and pipeline.
    pub fn scaled_down(mut self, divisor: usize) -> Workload {
        let unit = match self.kind {
            Kind::Sequential { .. } => 1,
            Kind::Concurrent { tasks, .. } => tasks,
            Kind::Pipeline { size } | Kind::Transaction { size } => size,
        };
        self.commands = (self.commands / divisor).max(unit) / unit * unit;
        self
    }
}

/// What one round of one workload through one client measured.
#[derive(Debug, Default)]
pub struct Sample {
    /// Commands completed (a pipeline's or transaction's commands each count).
    pub commands: usize,
    pub elapsed: Duration,
    /// Each request's round trip (a command, or a whole pipeline or transaction).
    pub latencies: Vec<Duration>,
}

impl Sample {
    pub fn ops_per_sec(&self) -> f64 {
        self.commands as f64 / self.elapsed.as_secs_f64()
    }
}

/// Runs one round of `workload` through `client`. `tag` makes this round's
/// write keys its own, so INCR counters start at zero and can be checked.
pub async fn run<P: Peer>(client: &P, workload: &Workload, tag: &str) -> Sample {
    match workload.kind {
        Kind::Sequential { op, value_len } => {
            sequential(client.clone(), op, value_len, workload.commands, tag).await
        }
        Kind::Concurrent { tasks, mix } => {
            concurrent(client, tasks, mix, workload.commands / tasks, tag).await
        }
        Kind::Pipeline { size } => pipelines(client.clone(), size, workload.commands / size).await,
        Kind::Transaction { size } => {
            transactions(client.clone(), size, workload.commands / size, tag).await
        }
    }
}

async fn sequential<P: Peer>(
    mut client: P,
    op: Op,
    value_len: usize,
    commands: usize,
    tag: &str,
) -> Sample {
    let read_key = value_key(value_len);
    let write_key = format!("bench:{tag}:set");
    let value = value(value_len);
    let mut latencies = Vec::with_capacity(commands);
    let start = Instant::now();
    for _ in 0..commands {
        let t = Instant::now();
        match op {
            Op::Get => {
                let v = client.get(&read_key).await;
                assert_eq!(v.map(|v| v.len()), Some(value_len), "{}: GET", P::NAME);
            }
            Op::Set => client.set(&write_key, &value).await,
        }
        latencies.push(t.elapsed());
    }
    Sample {
        commands,
        elapsed: start.elapsed(),
        latencies,
    }
}

async fn concurrent<P: Peer>(
    client: &P,
    tasks: usize,
    mix: Mix,
    per_task: usize,
    tag: &str,
) -> Sample {
    let counter = Arc::new(format!("bench:{tag}:counter"));
    let write_key = Arc::new(format!("bench:{tag}:set"));
    let read_key = Arc::new(value_key(100));
    let value = Arc::new(value(100));
    let start_line = Arc::new(tokio::sync::Barrier::new(tasks + 1));
    let mut handles = Vec::with_capacity(tasks);
    let mut expected_incrs = 0;
    for task in 0..tasks {
        let mut client = client.clone();
        let (counter, write_key, read_key, value, start_line) = (
            counter.clone(),
            write_key.clone(),
            read_key.clone(),
            value.clone(),
            start_line.clone(),
        );
        let op_of = move |i: usize| match mix {
            Mix::Get => 0,
            Mix::GetSetIncr => (task + i) % 3,
        };
        expected_incrs += (0..per_task).filter(|&i| op_of(i) == 2).count();
        handles.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_task);
            start_line.wait().await;
            let started = Instant::now();
            for i in 0..per_task {
                let t = Instant::now();
                match op_of(i) {
                    0 => {
                        let v = client.get(&read_key).await;
                        assert_eq!(v.map(|v| v.len()), Some(100), "{}: GET", P::NAME);
                    }
                    1 => client.set(&write_key, &value).await,
                    _ => {
                        client.incr(&counter).await;
                    }
                }
                latencies.push(t.elapsed());
            }
            (started, Instant::now(), latencies)
        }));
    }
    start_line.wait().await;
    // From the first task's first command to the last task's last reply: a
    // task may start before this one is scheduled again after the barrier.
    let mut latencies = Vec::with_capacity(tasks * per_task);
    let (mut first, mut last) = (None::<Instant>, None::<Instant>);
    for handle in handles {
        let (started, ended, task_latencies) = handle.await.expect("a benchmark task panicked");
        first = Some(first.map_or(started, |f| f.min(started)));
        last = Some(last.map_or(ended, |l| l.max(ended)));
        latencies.extend(task_latencies);
    }
    let elapsed = match (first, last) {
        (Some(first), Some(last)) => last - first,
        _ => Duration::ZERO,
    };
    if expected_incrs > 0 {
        let total = client.clone().get(&counter).await;
        assert_eq!(
            total,
            Some(expected_incrs.to_string()),
            "{}: the counter must show every INCR",
            P::NAME
        );
    }
    Sample {
        commands: tasks * per_task,
        elapsed,
        latencies,
    }
}

async fn pipelines<P: Peer>(mut client: P, size: usize, count: usize) -> Sample {
    let key = value_key(100);
    let mut latencies = Vec::with_capacity(count);
    let start = Instant::now();
    for _ in 0..count {
        let t = Instant::now();
        let replies = client.pipeline_get(&key, size).await;
        latencies.push(t.elapsed());
        assert_eq!(replies.len(), size, "{}: pipeline replies", P::NAME);
        assert!(
            replies
                .iter()
                .all(|r| r.as_ref().map(String::len) == Some(100)),
            "{}: pipeline values",
            P::NAME
        );
    }
    Sample {
        commands: size * count,
        elapsed: start.elapsed(),
        latencies,
    }
}

async fn transactions<P: Peer>(mut client: P, size: usize, count: usize, tag: &str) -> Sample {
    let counter = format!("bench:{tag}:counter");
    let mut latencies = Vec::with_capacity(count);
    let start = Instant::now();
    for _ in 0..count {
        let t = Instant::now();
        let replies = client.transaction_incr(&counter, size).await;
        latencies.push(t.elapsed());
        assert_eq!(replies.len(), size, "{}: EXEC replies", P::NAME);
    }
    let elapsed = start.elapsed();
    let total = client.get(&counter).await;
    assert_eq!(
        total,
        Some((size * count).to_string()),
        "{}: the counter must show every INCR",
        P::NAME
    );
    Sample {
        commands: size * count,
        elapsed,
        latencies,
    }
}
